"""Schema migrations (Alembic) on SQLite and on a real PostgreSQL server: a new database gets the
current schema, an old one is refused with the fix until ``scribeplugin db upgrade`` has run
(rows kept), and several processes starting on an empty database migrate it once."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from scribeplugin import migrations
from scribeplugin.cli import main
from scribeplugin.migrations import SchemaError
from scribeplugin.store import AuditRecord, AuditRow, Base, CardRow, FeedbackRow, Store
from tests.conftest import free_port

HEAD = migrations.head()


def _in_an_hour() -> datetime:
    return datetime.now(UTC) + timedelta(hours=1)


def _legacy(url: str) -> Store:
    """A store as scribeplugin made them before migrations: ``create_all``, no revision."""
    store = Store(url)
    tables = [AuditRow.__table__, CardRow.__table__, FeedbackRow.__table__]
    Base.metadata.create_all(store.engine, tables=tables)
    store.record_suggest(AuditRecord(request_id="old-1", tenant="t", source="api", status="ok"))
    return store


def test_a_new_database_gets_the_current_schema(db_url: str) -> None:
    store = Store(db_url)
    assert migrations.state(store.engine).empty
    store.create_schema()
    found = migrations.state(store.engine)
    assert found.current == HEAD == "0003" and found.up_to_date
    tables = {"suggest_audit", "cds_card", "feedback", "idempotency_key", "cds_jwt_use"}
    assert tables <= found.tables
    store.create_schema()  # again: nothing to do
    uniques = inspect(store.engine).get_unique_constraints("idempotency_key")
    assert [u["column_names"] for u in uniques] == [["tenant", "key"]]
    jwt_key = inspect(store.engine).get_pk_constraint("cds_jwt_use")
    assert jwt_key["constrained_columns"] == ["issuer", "jti"]


def test_an_old_database_is_refused_until_db_upgrade(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    store = _legacy(db_url)
    with pytest.raises(SchemaError, match=r"before migrations.*run: scribeplugin db upgrade"):
        store.create_schema()

    monkeypatch.setenv("SCRIBE_DATABASE_URL", db_url)
    assert main(["--data-dir", str(tmp_path), "db", "status"]) == 1
    assert "Fix: scribeplugin db upgrade" in capsys.readouterr().out
    assert main(["--data-dir", str(tmp_path), "db", "upgrade"]) == 0
    assert f"to revision {HEAD}" in capsys.readouterr().out
    assert main(["--data-dir", str(tmp_path), "db", "upgrade"]) == 0
    assert "already at revision" in capsys.readouterr().out
    assert main(["--data-dir", str(tmp_path), "db", "status"]) == 0

    store.create_schema()
    assert [r["request_id"] for r in store.audit_rows()] == ["old-1"]  # the rows are kept
    assert store.count("idempotency_key") == 0
    assert store.claim_jti("https://ehr.example", "jti-1", _in_an_hour())  # the new table works


def test_one_revision_behind_is_refused_then_upgraded(db_url: str) -> None:
    store = Store(db_url)
    migrations.upgrade(store.engine, "0001")
    with pytest.raises(SchemaError, match=r"at revision 0001.*needs revision 0003"):
        store.create_schema()
    assert store.upgrade_schema() == ("0001", HEAD)
    store.create_schema()
    migrations.downgrade(store.engine, "0001")  # and back, for a rollback
    tables = inspect(store.engine).get_table_names()
    assert "idempotency_key" not in tables and "cds_jwt_use" not in tables


def test_the_jwt_table_comes_with_0003(db_url: str) -> None:
    """A database at 0002 (idempotency keys, no JWT table) is refused, then upgraded to the
    table that refuses replayed CDS Hooks JWTs; a downgrade to 0002 drops only that table."""
    store = Store(db_url)
    migrations.upgrade(store.engine, "0002")
    with pytest.raises(SchemaError, match=r"at revision 0002.*needs revision 0003"):
        store.create_schema()
    assert store.upgrade_schema() == ("0002", HEAD)
    store.create_schema()
    assert store.claim_jti("https://ehr.example", "jti-1", _in_an_hour())
    assert not store.claim_jti("https://ehr.example", "jti-1", _in_an_hour())  # a replay
    assert store.claim_jti("https://other.example", "jti-1", _in_an_hour())  # another issuer
    assert store.count("cds_jwt_use") == 2
    migrations.downgrade(store.engine, "0002")
    tables = inspect(store.engine).get_table_names()
    assert "cds_jwt_use" not in tables and "idempotency_key" in tables


def test_a_schema_from_a_newer_version_is_refused(db_url: str) -> None:
    store = Store(db_url)
    store.create_schema()
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    with pytest.raises(SchemaError, match="0099, which this version of scribeplugin does not"):
        store.create_schema()


def _start(url: str) -> str | None:
    store = Store(url)
    try:
        store.create_schema()
        return migrations.state(store.engine).current
    finally:
        store.close()


def test_workers_starting_together_migrate_once(db_url: str) -> None:
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        assert pool.map(_start, [db_url] * 4) == [HEAD] * 4
    store = Store(db_url)
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1


def test_the_server_refuses_to_start_on_an_old_schema(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    _legacy(url).close()
    env = {**os.environ, "SCRIBE_DATABASE_URL": url, "HF_HUB_OFFLINE": "1"}
    port = str(free_port())
    cmd = [sys.executable, "-m", "scribeplugin.cli", "--data-dir", str(tmp_path)]
    done = subprocess.run(
        [*cmd, "serve", "--port", port], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2
    assert "needs revision 0003" in done.stderr
    assert "run: scribeplugin db upgrade" in done.stderr
