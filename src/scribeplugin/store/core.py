"""The store: one SQLAlchemy engine per process, a session per call, writes retried while
another writer holds the lock."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, TypeVar, cast

from sqlalchemy import (
    Engine,
    create_engine,
    delete,
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
from sqlalchemy.orm import Session, sessionmaker

from scribeplugin.config import Settings
from scribeplugin.errors import ConfigError
from scribeplugin.store.records import (
    AuditRecord,
    CardInfo,
    FeedbackRecord,
    IdempotencyConflictError,
    IdempotentCall,
    RequestInfo,
    StoredAnswer,
    StoreError,
    TargetKind,
)
from scribeplugin.store.sqlite import SQLITE_BUSY_TIMEOUT_MS, _is_busy, _sqlite_pragmas
from scribeplugin.store.tables import (
    AuditRow,
    CardRow,
    FeedbackRow,
    IdempotencyRow,
    JwtUseRow,
)

log = logging.getLogger("scribeplugin.store")  # the name it has always logged under


T = TypeVar("T")


_RETRIES = 5
PRUNE_EVERY_S = 60.0  # how often expired JWT ids are deleted


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
