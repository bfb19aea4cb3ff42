"""The feedback and audit store, on SQLite (WAL mode) and on a real PostgreSQL server:
concurrent writers (threads and processes at once) lose nothing, a batch is all or nothing, and
an idempotent call stores its feedback once however many times and places it is retried."""

from __future__ import annotations

import multiprocessing
import threading
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from scribeplugin.config import Settings
from scribeplugin.errors import ConfigError
from scribeplugin.store import (
    AuditRecord,
    FeedbackRecord,
    IdempotencyConflictError,
    IdempotentCall,
    Store,
)

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


def test_concurrent_writers_lose_nothing(db_url: str) -> None:
    url = db_url
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


def test_a_batch_of_feedback_is_all_or_nothing(db_url: str) -> None:
    store = Store(db_url)
    store.create_schema()
    bad = _feedback("r", 1, "x")
    bad.target_id = None  # type: ignore[assignment]  # NOT NULL: the insert fails
    with pytest.raises(IntegrityError, match=r"NOT NULL|not-null"):
        store.add_feedback([_feedback("r", 0, "x"), bad])
    assert store.count("feedback") == 0


def test_default_location_and_bad_urls(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "var")
    store = Store.from_settings(settings)
    store.create_schema()
    assert (tmp_path / "var" / "scribe.db").is_file()
    with pytest.raises(ConfigError, match="not a database URL"):
        Store("not a url")
    with pytest.raises(ConfigError, match="postgres"):  # a driver that is not installed
        Store("postgresql+pg8000://scribe:secret@db.example/scribe")


# -- idempotent feedback ------------------------------------------------------------------------

CALL = IdempotentCall(
    tenant="t", key="retry-me", scope="POST /v1/feedback", request_sha256="a" * 64
)


def _answer(ids: list[int]) -> tuple[int, dict[str, object]]:
    return 201, {"id": ids[0]}


def retry_once(url: str, n: int) -> list[int]:
    """One process retrying the same call ``n`` times with its own engine; the ids it got."""
    store = Store(url)
    try:
        return [
            store.add_feedback_once([_feedback("req", 0, "retry")], CALL, _answer).body["id"]
            for _ in range(n)
        ]
    finally:
        store.close()


def test_an_idempotent_call_is_stored_once_whoever_retries_it(db_url: str) -> None:
    store = Store(db_url)
    store.create_schema()
    first = store.add_feedback_once([_feedback("req", 0, "retry")], CALL, _answer)
    assert first.status_code == 201 and not first.replayed
    again = store.add_feedback_once([_feedback("req", 0, "retry")], CALL, _answer)
    assert again.replayed and again.body == first.body

    # Racing retries with a new key: 8 threads and 3 processes at once.
    call = IdempotentCall("t", "racing", CALL.scope, CALL.request_sha256)
    barrier = threading.Barrier(8)
    got: list[int] = []

    def thread_retry() -> None:
        barrier.wait()
        answer = store.add_feedback_once([_feedback("req", 1, "race")], call, _answer)
        got.append(int(answer.body["id"]))

    threads = [threading.Thread(target=thread_retry) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=60)
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(3) as pool:
        from_processes = pool.starmap(retry_once, [(db_url, 2)] * 3)
    assert len(got) == 8 and len(set(got)) == 1
    assert {i for ids in from_processes for i in ids} == {first.body["id"]}
    assert store.count("feedback") == 2  # one per key, however many calls
    assert store.count("idempotency_key") == 2


def test_a_key_used_for_another_request_is_refused(db_url: str) -> None:
    store = Store(db_url)
    store.create_schema()
    store.add_feedback_once([_feedback("req", 0, "x")], CALL, _answer)
    other = IdempotentCall(CALL.tenant, CALL.key, CALL.scope, "b" * 64)
    with pytest.raises(IdempotencyConflictError, match="different request"):
        store.add_feedback_once([_feedback("req", 1, "x")], other, _answer)
    elsewhere = IdempotentCall(CALL.tenant, CALL.key, "POST /cds-services/x/feedback", "a" * 64)
    with pytest.raises(IdempotencyConflictError):
        store.idempotent_answer(elsewhere)
    # another tenant's key of the same name is its own
    theirs = IdempotentCall("other-tenant", CALL.key, CALL.scope, "b" * 64)
    assert not store.add_feedback_once([_feedback("req", 2, "y")], theirs, _answer).replayed
    assert store.count("feedback") == 2
