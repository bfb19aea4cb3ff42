"""``/healthz``, ``/readyz`` and ``/metrics``, including the guard and fallback counters fed by a
real pipeline whose LLM drafter talks to a scripted model over HTTP."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from scribeplugin.api.app import create_app
from scribeplugin.api.metrics import Metrics
from scribeplugin.draft.llm import LLMDrafter
from scribeplugin.draft.rules import RulesDrafter
from scribeplugin.draft.types import EngineInfo, GuardAction, SuggestResponse
from scribeplugin.pipeline import Pipeline
from scribeplugin.store import Store
from tests.api.conftest import make_app, settings_for
from tests.conftest import SpineIndex, spine_settings
from tests.support.llm_context import HERNIATION_VISIT
from tests.support.openai_server import Reply, ScriptedServer

CORPUS = Path(__file__).parents[2] / "corpus"


def metric(text: str, name: str, **labels: str) -> float:
    """The value of one sample of the Prometheus text, 0 when absent."""
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        sample, value = line.rsplit(" ", 1)
        found = dict(re.findall(r'(\w+)="([^"]*)"', sample))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(value)
    return 0.0


def test_healthz_and_readyz_without_an_index(tmp_path: Path) -> None:
    settings = spine_settings(tmp_path / "var", CORPUS)
    with TestClient(create_app(settings)) as c:
        assert c.get("/healthz").json() == {"status": "ok"}
        r = c.get("/readyz")
        assert r.status_code == 503
        body = r.json()
        assert body["status"] == "not_ready" and body["model_loaded"] is False
        assert body["index"]["state"] == "missing"
        assert body["fix"].startswith("scribeplugin --data-dir ")
        assert body["fix"].endswith(" index build --scope spine --embedder torch")
        assert "Fix: scribeplugin --data-dir" in body["message"]
        r = c.post("/v1/suggest", json={"transcript": "Doctor: low back pain."})
        assert r.status_code == 503 and r.json()["error"]["type"] == "index_not_ready"
        assert "index build --scope spine" in r.json()["error"]["message"]
        # the code set and the cards need no index
        assert c.get("/v1/codes/M53.87").status_code == 200


@pytest.mark.slow
def test_readyz_when_ready(client: TestClient) -> None:
    r = client.get("/readyz")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "ready" and body["model_loaded"] and body["store"] == "ok"
    assert body["index"]["state"] == "current" and body["fix"] is None


@pytest.mark.slow
def test_readyz_when_the_corpus_changed(
    spine_index: SpineIndex, spine_pipeline: Pipeline, store: Store, tmp_path: Path
) -> None:
    """A stale index (a card edited since the build) is not ready; the fix rebuilds it."""
    import shutil

    corpus = tmp_path / "corpus"
    shutil.copytree(spine_index.corpus, corpus)
    card = corpus / "cards" / "M53.87.md"
    text = card.read_text(encoding="utf-8")
    assert "Record" in text
    card.write_text(text.replace("Record", "Write down", 1), encoding="utf-8")
    app = make_app(spine_index, spine_pipeline, store, corpus_dir=corpus)
    with TestClient(app) as c:
        r = c.get("/readyz")
    assert r.status_code == 503
    assert r.json()["index"]["state"] == "stale"
    assert " index build --scope spine --corpus " in r.json()["fix"]


@pytest.mark.slow
def test_metrics_count_requests_by_route(client: TestClient) -> None:
    before = client.get("/metrics").text
    client.get("/v1/codes/M53.87")
    client.get("/v1/codes/M99.999")
    r = client.get("/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    text = r.text
    for status in ("200", "404"):
        delta = metric(
            text, "scribe_http_requests_total", route="/v1/codes/{code}", status=status
        ) - metric(before, "scribe_http_requests_total", route="/v1/codes/{code}", status=status)
        assert delta == 1
    assert metric(text, "scribe_http_request_duration_seconds_count", route="/v1/codes/{code}")
    assert "M99.999" not in text  # labels are route templates, never raw paths


@pytest.fixture(scope="module")
def scripted() -> Iterator[ScriptedServer]:
    s = ScriptedServer().start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def llm_client(
    spine_index: SpineIndex, spine_pipeline: Pipeline, scripted: ScriptedServer, store: Store
) -> Iterator[TestClient]:
    """The session pipeline's components with an LLM drafter on the scripted model."""
    settings = settings_for(
        spine_index,
        llm_base_url=scripted.url,
        llm_model="scripted-model",
        llm_timeout_s=2.0,
        llm_max_retries=0,
    )
    rules = RulesDrafter()
    p = spine_pipeline
    pipeline = Pipeline(
        settings,
        p.codeset,
        p.extractor,
        p.retriever,
        p.rules,
        {"rules": rules, "llm": LLMDrafter(settings, fallback=rules)},
    )
    with TestClient(create_app(settings, pipeline=pipeline, store=store)) as c:
        yield c


_PASSAGE = re.compile(r"^\[([0-9a-f]{64})\] \(([^)]*)\)", re.MULTILINE)


@pytest.mark.slow
def test_metrics_count_guard_removals_and_fallbacks(
    llm_client: TestClient, scripted: ScriptedServer
) -> None:
    def invented_code(body: dict[str, Any]) -> Reply:
        shown = {ref: cid for cid, ref in _PASSAGE.findall(body["messages"][-1]["content"])}
        cite = [shown["tabular:M51.17"]] if "tabular:M51.17" in shown else list(shown.values())[:1]
        bogus = {
            "code": "M51.99",
            "evidence": ["an L5-S1 disc herniation"],
            "citations": cite,
            "rationale": "scripted",
            "confidence": 0.9,
            "status": "suggested",
        }
        return Reply.json({"codes": [bogus], "prompts": [], "warnings": []})

    scripted.reply_with(invented_code)
    r = llm_client.post("/v1/suggest", json={"transcript": HERNIATION_VISIT, "drafter": "llm"})
    assert r.status_code == 200, r.text
    assert any(a["code"] == "M51.99" and a["reason"] == "unknown_code" for a in r.json()["guard"])

    scripted.reply_with(Reply(status=500))
    r = llm_client.post("/v1/suggest", json={"transcript": HERNIATION_VISIT, "drafter": "llm"})
    assert r.status_code == 200
    assert r.json()["engine"]["degraded"] is True

    text = llm_client.get("/metrics").text
    assert metric(text, "scribe_guard_actions_total", action="removed", reason="unknown_code") >= 1
    assert metric(text, "scribe_drafter_fallbacks_total", drafter="rules") == 1
    assert metric(text, "scribe_suggest_calls_total", source="api", outcome="ok") >= 2
    assert metric(text, "scribe_suggest_duration_seconds_count", source="api", drafter="llm") >= 1


def test_each_app_has_its_own_registry() -> None:
    a, b = Metrics(), Metrics()
    response = SuggestResponse(
        request_id="r" * 8,
        code_set="x",
        codes=[],
        prompts=[],
        warnings=[],
        findings=[],
        engine=EngineInfo(drafter="rules", index_id="i", degraded=True, degraded_reason="t"),
        guard=[GuardAction(action="removed", code="M51.99", reason="unknown_code", detail="")],
    )
    a.observe_suggest(response, "api", 0.1)
    assert metric(a.render().decode(), "scribe_drafter_fallbacks_total", drafter="rules") == 1
    assert metric(b.render().decode(), "scribe_drafter_fallbacks_total", drafter="rules") == 0
