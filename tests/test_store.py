"""The feedback and audit store: SQLite in WAL mode, and concurrent writers (threads and
processes at once) lose nothing."""

from __future__ import annotations

import multiprocessing
import threading
from pathlib import Path

import pytest
from sqlalchemy import text

from scribeplugin.config import Settings
from scribeplugin.errors import ConfigError
from scribeplugin.store import AuditRecord, FeedbackRecord, Store

THREADS, PROCESSES, EACH = 8, 4, 40


def _feedback(request_id: str, i: int, who: str) -> FeedbackRecord:
    return FeedbackRecord(
        request_id=request_id,
        tenant="t",
        source="api",
        target_kind="code",
        target_id="M53.87",
        outcome="accepted",
        reason=f"{who}-{i}",
    )


def write_many(url: str, who: str, n: int) -> None:
    """One writer: its own engine (as a worker process has), n feedback rows, one per
    transaction, and an audit row every tenth."""
    store = Store(url)
    for i in range(n):
        store.add_feedback([_feedback("req-shared", i, who)])
        if i % 10 == 0:
            store.record_suggest(
                AuditRecord(request_id=f"{who}-{i}", tenant="t", source="api", status="ok")
            )
    store.close()


def test_concurrent_writers_lose_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'scribe.db'}"
    store = Store(url)
    store.create_schema()
    shared = Store(url)  # threads share one engine, as the app's workers threads do
    errors: list[BaseException] = []

    def thread_writer(k: int) -> None:
        try:
            for i in range(EACH):
                shared.add_feedback([_feedback("req-shared", i, f"thread{k}")])
                if i % 10 == 0:
                    shared.record_suggest(
                        AuditRecord(
                            request_id=f"thread{k}-{i}", tenant="t", source="api", status="ok"
                        )
                    )
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=write_many, args=(url, f"proc{k}", EACH)) for k in range(PROCESSES)]
    threads = [threading.Thread(target=thread_writer, args=(k,)) for k in range(THREADS)]
    for p in procs:
        p.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    for p in procs:
        p.join(timeout=120)
    assert errors == []
    assert [p.exitcode for p in procs] == [0] * PROCESSES
    writers = THREADS + PROCESSES
    assert store.count("feedback") == writers * EACH
    assert store.count("suggest_audit") == writers * (EACH // 10)
    reasons = {r["reason"] for r in store.feedback_rows("req-shared")}
    assert len(reasons) == writers * EACH  # every row distinct, none lost or doubled


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'x.db'}")
    store.create_schema()
    with store.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() >= 5000


def test_a_batch_of_feedback_is_all_or_nothing(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'x.db'}")
    store.create_schema()
    bad = _feedback("r", 1, "x")
    bad.target_id = None  # type: ignore[assignment]  # NOT NULL: the insert fails
    with pytest.raises(Exception, match="NOT NULL"):
        store.add_feedback([_feedback("r", 0, "x"), bad])
    assert store.count("feedback") == 0


def test_default_location_and_bad_urls(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "var")
    store = Store.from_settings(settings)
    store.create_schema()
    assert (tmp_path / "var" / "scribe.db").is_file()
    with pytest.raises(ConfigError, match="not a database URL"):
        Store("not a url")
    with pytest.raises(ConfigError, match="postgres"):
        Store("postgresql+psycopg://scribe:secret@db.example/scribe")
