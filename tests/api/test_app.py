"""The HTTP API: in-process through TestClient, and once through a real uvicorn server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from scribeplugin.api.app import create_app
from tests.conftest import SpineIndex, free_port, spine_settings, stop, wait_for

QUERY = "chronic pain at the lumbosacral junction without radiculopathy"


def test_healthz_without_an_index(tmp_path: Path) -> None:
    settings = spine_settings(tmp_path / "var", Path(__file__).parents[2] / "corpus")
    with TestClient(create_app(settings)) as c:
        assert c.get("/healthz").json() == {"status": "ok"}
        r = c.get("/v1/search", params={"q": QUERY})
        assert r.status_code == 503
        assert r.json()["error"]["type"] == "index_not_ready"
        assert "index build --scope spine" in r.json()["error"]["message"]


@pytest.mark.slow
def test_search(client: TestClient) -> None:
    r = client.get("/v1/search", params={"q": QUERY, "k": 5})
    assert r.status_code == 200
    body = r.json()
    assert body["k"] == 5 and body["mode"] == "hybrid" and body["query"] == QUERY
    assert body["index"].startswith("scribe-spine-minilm-l6-v2-fy2026-c1@")
    assert len(body["passages"]) == 5
    first = body["passages"][0]
    assert set(first) == {
        "chunk_id",
        "code",
        "kind",
        "item_id",
        "source",
        "text",
        "score",
        "dense_rank",
        "lexical_rank",
    }
    assert len(first["chunk_id"]) == 64 and body["took_ms"] >= 0


@pytest.mark.slow
def test_search_filters(client: TestClient) -> None:
    r = client.get(
        "/v1/search",
        params=[("q", QUERY), ("k", "8"), ("kind", "faq"), ("kind", "pitfall"), ("code", "M53.8")],
    )
    assert r.status_code == 200
    passages = r.json()["passages"]
    assert passages
    assert all(p["kind"] in {"faq", "pitfall"} and p["code"].startswith("M53.8") for p in passages)
    lexical = client.get("/v1/search", params={"q": "M48.062", "mode": "lexical", "k": 1})
    assert lexical.json()["passages"][0]["code"] == "M48.062"
    index = client.get("/v1/search", params={"q": "strain low back", "kind": "index", "k": 3})
    assert index.status_code == 200
    entries = index.json()["passages"]
    assert {p["kind"] for p in entries} == {"index"} and entries[0]["source"] == "alphabetic"
    assert (entries[0]["item_id"], entries[0]["code"]) == ("Strain > low back", "S39.012")


@pytest.mark.slow
@pytest.mark.parametrize(
    "params",
    [
        {"q": ""},
        {"q": "   "},
        {"q": "pain", "k": "0"},
        {"q": "pain", "k": "101"},
        {"q": "pain", "mode": "fuzzy"},
        {"q": "pain", "kind": "card"},
        {"q": "pain", "code": "lumbar"},
        {"q": "x" * 2001},
        {},
    ],
)
def test_bad_requests_get_a_422_with_a_reason(client: TestClient, params: dict[str, str]) -> None:
    r = client.get("/v1/search", params=params)
    assert r.status_code == 422
    assert r.json()["error"]["type"] == "invalid_request" and r.json()["error"]["message"]


@pytest.mark.slow
def test_real_server(spine_index: SpineIndex) -> None:
    """``scribeplugin serve`` under uvicorn on a free port: start, answer, stop."""
    port = free_port()
    settings = spine_index.settings
    env = {
        **os.environ,
        "SCRIBE_INDEX_SCOPE": "spine",
        "SCRIBE_CORPUS_DIR": str(settings.corpus_dir),
        "SCRIBE_EMBEDDER": settings.embedder,
        "HF_HUB_OFFLINE": "1",
    }
    env.pop("SCRIBE_CHROMA_URL", None)
    log = settings.data_dir / f"serve-{port}.log"
    cmd = [
        sys.executable,
        "-m",
        "scribeplugin.cli",
        "--data-dir",
        str(settings.data_dir),
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{base}/healthz", timeout=180, proc=proc, log=log)  # loads the pipeline first
        r = httpx.get(f"{base}/v1/search", params={"q": QUERY, "k": 3}, timeout=30)
        assert r.status_code == 200
        assert len(r.json()["passages"]) == 3
        assert QUERY not in log.read_text(errors="replace")  # no query text in the logs
    finally:
        stop(proc)
    assert proc.returncode is not None
