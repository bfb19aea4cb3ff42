"""Schema migrations of the feedback and audit store (Alembic), for SQLite and PostgreSQL.

The revisions live in ``versions/`` inside the package, so an installed scribeplugin carries
the migrations of its own schema. ``scribeplugin db upgrade`` runs them (``upgrade``); the
server checks the schema at start-up (``check``) and refuses an old or unknown one with the
command that fixes it, except a new, empty database, which it brings to the current schema.

An upgrade runs in one transaction on one connection, behind a lock (PostgreSQL: an advisory
lock; SQLite: ``BEGIN IMMEDIATE``), so several processes starting at once migrate once. A
database made before migrations existed (the tables, no ``alembic_version``) is recorded at
revision 0001, the schema of that time, and upgraded from there.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Connection, inspect, text

from scribeplugin.errors import ScribeError

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    from sqlalchemy import Engine

log = logging.getLogger(__name__)

LEGACY_REVISION = "0001"
LEGACY_TABLES = {"suggest_audit", "cds_card", "feedback"}
_PG_LOCK_KEY = 727_014_006  # any constant; the advisory lock of scribeplugin's migrations
UPGRADE_COMMAND = "scribeplugin db upgrade"


class SchemaError(ScribeError):
    """The store's schema is not the one this version of scribeplugin needs."""


@dataclass(frozen=True, slots=True)
class SchemaState:
    current: str | None  # the database's revision (None: not versioned)
    head: str  # the revision this code needs
    tables: frozenset[str]

    @property
    def empty(self) -> bool:
        return not self.tables - {"alembic_version"}

    @property
    def legacy(self) -> bool:
        """Tables made before migrations existed, no recorded revision."""
        return self.current is None and not self.empty

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head


def _config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", "scribeplugin:migrations")
    config.attributes["connection"] = connection
    return config


def _scripts() -> ScriptDirectory:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_config())


def head() -> str:
    revision = _scripts().get_current_head()
    if revision is None:  # pragma: no cover - versions/ ships with the package
        raise SchemaError("scribeplugin's migrations are missing; reinstall scribeplugin.")
    return revision


def _state(connection: Connection) -> SchemaState:
    from alembic.runtime.migration import MigrationContext

    tables = frozenset(inspect(connection).get_table_names())
    current = MigrationContext.configure(connection).get_current_revision()
    return SchemaState(current, head(), tables)


def state(engine: Engine) -> SchemaState:
    with engine.connect() as connection:
        return _state(connection)


def check(engine: Engine, where: str) -> SchemaState:
    """Refuse a schema other than the current one, saying how to fix it. ``where`` names the
    database in messages (its URL without the password)."""
    found = state(engine)
    if found.up_to_date:
        return found
    known = {s.revision for s in _scripts().walk_revisions()}
    if found.current is not None and found.current not in known:
        raise SchemaError(
            f"The feedback store {where} is at schema revision {found.current}, which this "
            f"version of scribeplugin does not know (it needs {found.head}): a newer version "
            "has migrated it. Run that version, or restore the backup taken before its upgrade."
        )
    at = "a schema from before migrations" if found.legacy else f"revision {found.current}"
    raise SchemaError(
        f"The feedback store {where} is at {at}; this version of scribeplugin needs revision "
        f"{found.head}. Back it up, then run: {UPGRADE_COMMAND} (with the same "
        "SCRIBE_DATABASE_URL or --data-dir)."
    )


def upgrade(engine: Engine, target: str = "head") -> tuple[str | None, str]:
    """Bring the database to ``target`` (default: the current schema); (before, after)."""
    from alembic import command

    with engine.begin() as connection:
        _lock(connection)
        before = _state(connection)  # read under the lock: another process may have migrated
        config = _config(connection)
        if before.legacy:
            missing = ", ".join(sorted(LEGACY_TABLES - before.tables))
            if missing:
                raise SchemaError(
                    f"The database holds tables but not scribeplugin's ({missing} missing) "
                    "and no schema revision: is SCRIBE_DATABASE_URL the right database?"
                )
            log.info("recording a database made before migrations at revision %s", LEGACY_REVISION)
            command.stamp(config, LEGACY_REVISION)
        command.upgrade(config, target)
        after = _state(connection).current
    if after is None:  # pragma: no cover - upgrade always records a revision
        raise SchemaError("The upgrade recorded no schema revision.")
    label = "a schema from before migrations" if before.legacy else (before.current or "empty")
    if before.current != after:
        log.info("feedback store schema: %s -> %s", label, after)
    return before.current, after


def downgrade(engine: Engine, target: str) -> None:
    """Back to an older revision (for tests and rollbacks; data in dropped tables is lost)."""
    from alembic import command

    with engine.begin() as connection:
        _lock(connection)
        command.downgrade(_config(connection), target)


def _lock(connection: Connection) -> None:
    """One migrating process at a time; released when the transaction ends."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
    # SQLite: the store's connections begin with BEGIN IMMEDIATE, which takes the write lock.
