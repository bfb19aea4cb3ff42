"""Feedback and audit store (SQLAlchemy 2.x): a SQLite file by default, PostgreSQL by URL.

The tables:

- ``suggest_audit``: one row per suggest call (``/v1/suggest`` or a CDS Hooks service): request
  id, tenant, code-set release, engine (drafter, model, prompt version, index id, degraded), the
  chunk ids retrieved for it (those the answer cites first), the suggestions (codes, prompt ids,
  warning rules), what the guard did, the transcript's sha256 and length, and the outcome
  (``ok`` or the error type);
- ``cds_card``: each CDS Hooks card sent (card uuid -> request id and target), so feedback that
  names only a card can be tied to its request;
- ``feedback``: accept / dismiss / override of one suggestion, prompt or warning, with the
  override code and reason;
- ``idempotency_key``: the answer to a feedback call sent with an ``Idempotency-Key`` header,
  unique per (tenant, key), so that a retried call returns it instead of writing again;
- ``cds_jwt_use``: the ``jti`` of every CDS Hooks JWT accepted, until it expires, so a token
  is accepted once across every API process (replays are refused).

The schema is Alembic's (``scribeplugin.migrations``): ``create_schema`` gives a new database
the current schema and refuses an older one with the command that upgrades it.

The transcript text is stored only when ``SCRIBE_STORE_TRANSCRIPT_TEXT=true``; its sha256 always
is, so a transcript can be matched without keeping it.

Concurrent writers lose nothing. SQLite runs in WAL mode with a busy timeout, and every
transaction starts with ``BEGIN IMMEDIATE``, so writers (threads, workers, processes) queue for
the write lock instead of failing half-way; PostgreSQL does the same by itself.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, TypeVar, cast

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Engine,
    Float,
    Integer,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    delete,
    event,
    func,
    select,
    text,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import (
    ArgumentError,
    IntegrityError,
    NoSuchModuleError,
    OperationalError,
    SQLAlchemyError,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from scribeplugin.config import Settings
from scribeplugin.errors import ConfigError, ScribeError

log = logging.getLogger(__name__)

TargetKind = Literal["code", "prompt", "warning", "notice"]
Outcome = Literal["accepted", "dismissed", "overridden"]
Source = Literal["api", "ui", "cds-hooks"]
T = TypeVar("T")

SQLITE_BUSY_TIMEOUT_MS = 30_000
_RETRIES = 5
PRUNE_EVERY_S = 60.0  # how often expired JWT ids are deleted


class StoreError(ScribeError):
    """The feedback and audit store cannot be reached or written."""


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# -- tables -----------------------------------------------------------------------------------


class Base(DeclarativeBase):
    pass


def _now() -> datetime:
    return datetime.now(UTC)


class AuditRow(Base):
    __tablename__ = "suggest_audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    tenant: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    source: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(32))
    code_set: Mapped[str | None] = mapped_column(String(128))
    engine: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    degraded: Mapped[bool] = mapped_column(Boolean, default=False)
    chunk_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    suggestions: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    guard: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    transcript_sha256: Mapped[str | None] = mapped_column(String(64))
    transcript_chars: Mapped[int | None] = mapped_column(Integer)
    transcript_text: Mapped[str | None] = mapped_column(Text)
    hook_instance: Mapped[str | None] = mapped_column(String(128))
    total_ms: Mapped[float | None] = mapped_column(Float)


class CardRow(Base):
    __tablename__ = "cds_card"

    card_uuid: Mapped[str] = mapped_column(String(36), primary_key=True)
    request_id: Mapped[str] = mapped_column(String(64), index=True)
    target_kind: Mapped[str] = mapped_column(String(16))
    target_id: Mapped[str] = mapped_column(String(200))


class FeedbackRow(Base):
    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(String(64), index=True)
    tenant: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    source: Mapped[str] = mapped_column(String(16))
    target_kind: Mapped[str] = mapped_column(String(16))
    target_id: Mapped[str] = mapped_column(String(200))
    outcome: Mapped[str] = mapped_column(String(16))
    override_code: Mapped[str | None] = mapped_column(String(16))
    reason_code: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text)
    card_uuid: Mapped[str | None] = mapped_column(String(36))
    code_set: Mapped[str | None] = mapped_column(String(128))


class IdempotencyRow(Base):
    __tablename__ = "idempotency_key"
    __table_args__ = (UniqueConstraint("tenant", "key", name="uq_idempotency_key_tenant_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(200))
    scope: Mapped[str] = mapped_column(String(128))  # the route the key was first used on
    request_sha256: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)


class JwtUseRow(Base):
    """A CDS Hooks JWT accepted once: its issuer and jti, kept until it expires."""

    __tablename__ = "cds_jwt_use"

    issuer: Mapped[str] = mapped_column(String(512), primary_key=True)
    jti: Mapped[str] = mapped_column(String(255), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


# -- records (what callers pass in and get back; never session-bound rows) ---------------------


@dataclass(slots=True)
class AuditRecord:
    request_id: str
    tenant: str
    source: Source
    status: str
    transcript_sha256: str | None = None
    transcript_chars: int | None = None
    transcript_text: str | None = None
    code_set: str | None = None
    engine: dict[str, Any] | None = None
    degraded: bool = False
    chunk_ids: list[str] = field(default_factory=list)
    suggestions: dict[str, Any] = field(default_factory=dict)
    guard: list[dict[str, str]] = field(default_factory=list)
    hook_instance: str | None = None
    total_ms: float | None = None
    cards: list[tuple[str, TargetKind, str]] = field(default_factory=list)  # uuid, kind, id


@dataclass(frozen=True, slots=True)
class RequestInfo:
    """What feedback needs to know about an earlier suggest call."""

    request_id: str
    tenant: str
    code_set: str | None
    status: str
    suggestions: dict[str, Any]

    def targets(self, kind: TargetKind) -> set[str]:
        """The ids a clinician may give feedback on: codes, prompt ids, warning rules."""
        key = {"code": "codes", "prompt": "prompts", "warning": "warnings", "notice": "notices"}
        field_name = {"code": "code", "prompt": "id", "warning": "rule", "notice": "id"}[kind]
        return {str(x[field_name]) for x in self.suggestions.get(key[kind], [])}


@dataclass(frozen=True, slots=True)
class CardInfo:
    card_uuid: str
    request_id: str
    target_kind: TargetKind
    target_id: str


@dataclass(slots=True)
class FeedbackRecord:
    request_id: str
    tenant: str
    source: Source
    target_kind: TargetKind
    target_id: str
    outcome: Outcome
    override_code: str | None = None
    reason_code: str | None = None
    reason: str | None = None
    card_uuid: str | None = None
    code_set: str | None = None


@dataclass(frozen=True, slots=True)
class IdempotentCall:
    """A call sent with an ``Idempotency-Key``: who, which key, where, and what was asked."""

    tenant: str
    key: str
    scope: str
    request_sha256: str


@dataclass(frozen=True, slots=True)
class StoredAnswer:
    """The answer recorded for an idempotent call; ``replayed``: recorded by an earlier call."""

    status_code: int
    body: dict[str, Any]
    replayed: bool


class IdempotencyConflictError(ScribeError):
    """An ``Idempotency-Key`` already used for another request."""


# -- the store --------------------------------------------------------------------------------


class Store:
    """One engine per process; methods are thread-safe (a session per call)."""

    def __init__(self, url: str) -> None:
        try:
            parsed = make_url(url)
        except ArgumentError as exc:
            raise ConfigError(
                f"SCRIBE_DATABASE_URL is not a database URL ({exc}); use e.g. "
                "sqlite:////var/lib/scribe/scribe.db or postgresql+psycopg://user:pw@host/db"
            ) from None
        self.backend = parsed.get_backend_name()
        self.url = parsed
        kwargs: dict[str, Any] = {"pool_pre_ping": True}
        if self.backend == "sqlite":
            database = parsed.database or ""
            if database and database != ":memory:":
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {
                "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000,
                "check_same_thread": False,
            }
        try:
            self.engine: Engine = create_engine(parsed, **kwargs)
        except (NoSuchModuleError, ModuleNotFoundError) as exc:
            raise ConfigError(
                f"No database driver for {parsed.drivername} ({exc}). For PostgreSQL install "
                "the 'postgres' extra (pip install 'scribeplugin[postgres]') and use a "
                "postgresql+psycopg:// URL."
            ) from None
        if self.backend == "sqlite":
            _sqlite_pragmas(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._pruned_at = 0.0

    @classmethod
    def from_settings(cls, settings: Settings) -> Store:
        return cls(settings.database)

    def describe(self) -> str:
        """The URL without its password, for logs and messages."""
        return self.url.render_as_string(hide_password=True)

    def create_schema(self) -> None:
        """Make sure the schema is the current one: a new, empty database gets it (safe when
        several workers start at once); an older one raises ``SchemaError`` with the command
        that upgrades it (``scribeplugin db upgrade``)."""
        from scribeplugin import migrations

        found = self._retry(lambda: migrations.state(self.engine))
        if found.empty:
            self._retry(lambda: migrations.upgrade(self.engine))
        migrations.check(self.engine, self.describe())

    def upgrade_schema(self) -> tuple[str | None, str]:
        """Run the migrations up to the current schema; (revision before, revision after)."""
        from scribeplugin import migrations

        return self._retry(lambda: migrations.upgrade(self.engine))

    def close(self) -> None:
        self.engine.dispose()

    def ping(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except SQLAlchemyError as exc:
            log.warning("store %s unreachable: %s", self.describe(), type(exc).__name__)
            return False

    # -- writes ---------------------------------------------------------------------------------

    def record_suggest(self, record: AuditRecord) -> None:
        """One audit row (and its CDS cards) in one transaction."""

        def write() -> None:
            with self._session() as s:
                s.add(
                    AuditRow(
                        request_id=record.request_id,
                        tenant=record.tenant,
                        source=record.source,
                        status=record.status,
                        code_set=record.code_set,
                        engine=record.engine,
                        degraded=record.degraded,
                        chunk_ids=list(record.chunk_ids),
                        suggestions=record.suggestions,
                        guard=record.guard,
                        transcript_sha256=record.transcript_sha256,
                        transcript_chars=record.transcript_chars,
                        transcript_text=record.transcript_text,
                        hook_instance=record.hook_instance,
                        total_ms=record.total_ms,
                    )
                )
                for card_uuid, kind, target in record.cards:
                    s.add(
                        CardRow(
                            card_uuid=card_uuid,
                            request_id=record.request_id,
                            target_kind=kind,
                            target_id=target,
                        )
                    )

        self._retry(write)

    def add_feedback(self, records: Sequence[FeedbackRecord]) -> list[int]:
        """Feedback rows in one transaction (all or none); their ids."""

        def write() -> list[int]:
            with self._session() as s:
                rows = [_feedback_row(r) for r in records]
                s.add_all(rows)
                s.flush()
                return [row.id for row in rows]

        return self._retry(write)

    def add_feedback_once(
        self,
        records: Sequence[FeedbackRecord],
        call: IdempotentCall,
        answer: Callable[[list[int]], tuple[int, dict[str, Any]]],
    ) -> StoredAnswer:
        """Feedback rows and the answer to ``call`` in one transaction, once per (tenant, key).

        ``answer(row ids)`` gives the status and JSON body to return; a call whose key is on
        record gets the recorded answer back and writes nothing. Two calls with one key at the
        same moment: the unique constraint lets one commit, the other rolls back and returns
        the winner's answer. A key used for a different request raises ``IdempotencyConflictError``.
        """
        found = self.idempotent_answer(call)
        if found is not None:
            return found

        def write() -> StoredAnswer:
            with self._session() as s:
                rows = [_feedback_row(r) for r in records]
                s.add_all(rows)
                s.flush()
                status, body = answer([row.id for row in rows])
                s.add(
                    IdempotencyRow(
                        tenant=call.tenant,
                        key=call.key,
                        scope=call.scope,
                        request_sha256=call.request_sha256,
                        status_code=status,
                        response=body,
                    )
                )
            return StoredAnswer(status, body, replayed=False)

        try:
            return self._retry(write)
        except IntegrityError:  # another call with this key committed first
            found = self.idempotent_answer(call)
            if found is None:
                raise
            return found

    def idempotent_answer(self, call: IdempotentCall) -> StoredAnswer | None:
        """The answer recorded for ``call``'s key, if any (``IdempotencyConflictError`` if the key
        was used for another request)."""

        def read() -> StoredAnswer | None:
            with self._session() as s:
                row = s.scalars(
                    select(IdempotencyRow).where(
                        IdempotencyRow.tenant == call.tenant, IdempotencyRow.key == call.key
                    )
                ).first()
                if row is None:
                    return None
                if row.request_sha256 != call.request_sha256 or row.scope != call.scope:
                    raise IdempotencyConflictError(
                        "this Idempotency-Key was already used for a different request; send a "
                        "new key with each new request, and the same key only to retry one"
                    )
                return StoredAnswer(row.status_code, dict(row.response), replayed=True)

        return self._retry(read)

    def claim_jti(self, issuer: str, jti: str, expires_at: datetime) -> bool:
        """Record a JWT's (issuer, jti) until ``expires_at``; False if it was recorded already
        (a replay). The primary key decides, so this holds across processes and hosts.
        Expired entries are deleted now and then."""

        def write() -> bool:
            try:
                with self._session() as s:
                    s.add(JwtUseRow(issuer=issuer, jti=jti, expires_at=expires_at))
            except IntegrityError:
                return False
            return True

        claimed = self._retry(write)
        now = time.monotonic()
        if now - self._pruned_at > PRUNE_EVERY_S:
            self._pruned_at = now
            self._retry(self._prune_jtis)
        return claimed

    def _prune_jtis(self) -> None:
        with self._session() as s:
            s.execute(delete(JwtUseRow).where(JwtUseRow.expires_at < datetime.now(UTC)))

    # -- reads ----------------------------------------------------------------------------------

    def request(self, request_id: str) -> RequestInfo | None:
        def read() -> RequestInfo | None:
            with self._session() as s:
                row = s.scalars(select(AuditRow).where(AuditRow.request_id == request_id)).first()
                if row is None:
                    return None
                return RequestInfo(
                    row.request_id, row.tenant, row.code_set, row.status, row.suggestions or {}
                )

        return self._retry(read)

    def cards(self, card_uuids: Sequence[str]) -> dict[str, CardInfo]:
        def read() -> dict[str, CardInfo]:
            with self._session() as s:
                rows = s.scalars(select(CardRow).where(CardRow.card_uuid.in_(card_uuids)))
                return {
                    r.card_uuid: CardInfo(
                        r.card_uuid,
                        r.request_id,
                        cast(TargetKind, r.target_kind),
                        r.target_id,
                    )
                    for r in rows
                }

        return self._retry(read)

    def count(
        self,
        table: Literal["suggest_audit", "feedback", "cds_card", "idempotency_key", "cds_jwt_use"],
    ) -> int:
        model = {
            "suggest_audit": AuditRow,
            "feedback": FeedbackRow,
            "cds_card": CardRow,
            "idempotency_key": IdempotencyRow,
            "cds_jwt_use": JwtUseRow,
        }[table]

        def read() -> int:
            with self._session() as s:
                return int(s.scalar(select(func.count()).select_from(model)) or 0)

        return self._retry(read)

    def audit_rows(self, request_id: str | None = None) -> list[dict[str, Any]]:
        """Audit rows as dicts (newest last), for tests, QA and export."""
        return self._rows(AuditRow, request_id)

    def feedback_rows(self, request_id: str | None = None) -> list[dict[str, Any]]:
        return self._rows(FeedbackRow, request_id)

    def _rows(
        self, model: type[AuditRow | FeedbackRow], request_id: str | None
    ) -> list[dict[str, Any]]:
        def read() -> list[dict[str, Any]]:
            with self._session() as s:
                q = select(model).order_by(model.id)
                if request_id is not None:
                    q = q.where(model.request_id == request_id)
                cols = [c.key for c in model.__table__.columns]
                return [{c: getattr(r, c) for c in cols} for r in s.scalars(q)]

        return self._retry(read)

    # -- plumbing -------------------------------------------------------------------------------

    @contextmanager
    def _session(self) -> Iterator[Session]:
        with self._sessions.begin() as s:
            yield s

    def _retry(self, fn: Callable[[], T]) -> T:
        """Run ``fn``; a lock timeout (a very long write elsewhere) is retried with back-off."""
        for attempt in range(_RETRIES):
            try:
                return fn()
            except OperationalError as exc:
                if not _is_busy(exc) or attempt == _RETRIES - 1:
                    raise StoreError(
                        f"The feedback store {self.describe()} failed: {type(exc.orig).__name__}"
                        f" {exc.orig}"
                    ) from exc
                time.sleep(0.05 * 2**attempt)
        raise AssertionError("unreachable")  # pragma: no cover


def _feedback_row(r: FeedbackRecord) -> FeedbackRow:
    return FeedbackRow(
        request_id=r.request_id,
        tenant=r.tenant,
        source=r.source,
        target_kind=r.target_kind,
        target_id=r.target_id,
        outcome=r.outcome,
        override_code=r.override_code,
        reason_code=r.reason_code,
        reason=r.reason,
        card_uuid=r.card_uuid,
        code_set=r.code_set,
    )


def _is_busy(exc: OperationalError) -> bool:
    msg = str(exc.orig).lower()
    return "locked" in msg or "busy" in msg


def _sqlite_pragmas(engine: Engine) -> None:
    """WAL (readers never block the writer), a busy timeout, and BEGIN IMMEDIATE so that a
    transaction takes the write lock up front rather than failing when it upgrades."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # the driver must not BEGIN on its own
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
