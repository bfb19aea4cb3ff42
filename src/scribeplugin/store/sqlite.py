"""SQLite as a store for concurrent writers: WAL, a busy timeout, ``BEGIN IMMEDIATE``, and which
errors are a lock held elsewhere (retried).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Engine,
    event,
)
from sqlalchemy.exc import (
    OperationalError,
)

SQLITE_BUSY_TIMEOUT_MS = 30_000


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
