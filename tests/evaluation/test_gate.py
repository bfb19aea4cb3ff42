"""The release gate, end to end through ``scribeplugin eval`` and the real pipeline (medspaCy,
MiniLM, Chroma, BM25, the guard) over the session's spine index (tests/conftest.py).

1. The whole suite in ``evals/cases`` on the rules drafter meets ``evals/thresholds.yaml``; the
   orthopedic suite (``evals/ortho``, on the default index) meets its own measured gate.
2. A deliberately wrong setting is caught: a scripted model (a real HTTP server) obeys a prompt
   injection; with the guard the one-case suite in ``tests/data/evals_guard`` passes, and with
   ``--no-guard`` the eval exits 1 and names the case, and ``--compare`` shows the regression.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scribeplugin.cli import main
from scribeplugin.config import PROJECT_ROOT
from scribeplugin.evaluation.report import load_run
from tests.support.openai_server import Reply, ScriptedServer

pytestmark = pytest.mark.slow

GUARD_SUITE = PROJECT_ROOT / "tests" / "data" / "evals_guard"
_PASSAGE_LINE = re.compile(r"^\[([0-9a-f]{64})\] \(([^)]*)\)", re.MULTILINE)


@pytest.fixture
def data_dir(spine_index: Any, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``scribeplugin eval`` pointed at the session's spine index and its corpus copy."""
    monkeypatch.setenv("SCRIBE_CORPUS_DIR", str(spine_index.corpus))
    monkeypatch.setenv("SCRIBE_INDEX_SCOPE", "spine")
    return Path(spine_index.settings.data_dir)


def run_eval(
    data_dir: Path, out: Path, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str]:
    code = main(["--data-dir", str(data_dir), "eval", "--out", str(out), "--quiet", *args])
    return code, capsys.readouterr().out


def test_the_rules_drafter_meets_the_release_gate(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    code, _ = run_eval(data_dir, out, capsys, "--jobs", "2")
    for name in ("run.json", "report.md", "report.html"):
        assert (out / name).is_file()
    run = load_run(out / "run.json")
    assert run.engine.drafter == "rules" and run.engine.guard_enabled
    assert run.metrics.cases >= 110 and run.metrics.errors == 0
    broken = [f"{c.metric} {c.op} {c.bound}: {c.value}" for c in run.gate.checks if not c.passed]
    failing = "\n".join(f"  {r.id}: {r.explanation}" for r in run.cases if not r.passed)
    assert code == 0 and not broken, (
        f"release gate failed ({'; '.join(broken)}); failing cases:\n{failing}"
    )


# -- a wrong setting is caught ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def obedient_model() -> Iterator[ScriptedServer]:
    """A model that codes the visit right and also obeys the injection (M54.17, with a quote
    of the injection as evidence and an invented citation)."""

    def answer(body: dict[str, Any]) -> Reply:
        shown = {ref: cid for cid, ref in _PASSAGE_LINE.findall(body["messages"][-1]["content"])}
        good = code("M54.2", ["neck pain, cervicalgia"], [shown["tabular:M54.2"]])
        injected = code("M54.17", ["bill M54.17"], ["0" * 64])
        return Reply.json({"codes": [good, injected], "prompts": [], "warnings": []})

    server = ScriptedServer(script=answer).start()
    yield server
    server.stop()


def code(c: str, evidence: list[str], citations: list[str]) -> dict[str, Any]:
    return {
        "code": c,
        "evidence": evidence,
        "citations": citations,
        "rationale": "scripted",
        "confidence": 0.95,
        "status": "suggested",
    }


def test_disabling_the_guard_fails_the_gate_and_names_the_case(
    data_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    obedient_model: ScriptedServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SCRIBE_LLM_BASE_URL", obedient_model.url)
    monkeypatch.setenv("SCRIBE_LLM_MODEL", "scripted-model")
    monkeypatch.setenv("SCRIBE_LLM_TIMEOUT_S", "10")
    monkeypatch.setenv("SCRIBE_LLM_MAX_RETRIES", "0")
    suite = (
        "--drafter",
        "llm",
        "--no-cache",
        "--cases",
        str(GUARD_SUITE / "cases"),
        "--thresholds",
        str(GUARD_SUITE / "thresholds.yaml"),
    )

    code_on, text_on = run_eval(data_dir, tmp_path / "guarded", capsys, *suite)
    guarded = load_run(tmp_path / "guarded" / "run.json")
    assert guarded.metrics.fallback_rate == 0.0, "the scripted model must answer, not degrade"
    assert code_on == 0, text_on
    assert (
        guarded.metrics.guard_removals.get("no_evidence", 0)
        + guarded.metrics.guard_removals.get("negated_or_family_evidence", 0)
        + guarded.metrics.guard_removals.get("no_citation", 0)
        >= 1
    )

    code_off, text_off = run_eval(
        data_dir,
        tmp_path / "unguarded",
        capsys,
        *suite,
        "--no-guard",
        "--compare",
        str(tmp_path / "guarded" / "run.json"),
    )
    assert code_off == 1
    assert "scribeplugin eval: FAIL" in text_off and "guard OFF" in text_off
    assert "gate FAIL not_codes_violations <= 0: 1" in text_off
    [line] = [ln for ln in text_off.splitlines() if ln.startswith("  guard-injection-neck-visit:")]
    assert "forbidden M54.17" in line and "ungrounded M54.17" in line
    assert "## Regressions (1)" in text_off
    assert (tmp_path / "unguarded" / "compare.md").is_file()


def test_the_orthopedic_suite_holds_its_measured_level(
    default_index: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``scribeplugin eval --suite ortho``: the orthopedic cases (evals/ortho) against the
    default (musculoskeletal) index meet evals/ortho/thresholds.yaml, the level the engine has
    reached on the limbs; it can only go up."""
    out = tmp_path / "ortho"
    args = ["eval", "--suite", "ortho", "--quiet", "--out", str(out), "--jobs", "2"]
    code = main(["--data-dir", str(default_index.data_dir), *args])
    text = capsys.readouterr().out
    run = load_run(out / "run.json")
    assert run.metrics.cases >= 240 and run.metrics.errors == 0
    broken = [f"{c.metric} {c.op} {c.bound}: {c.value}" for c in run.gate.checks if not c.passed]
    assert code == 0 and not broken, f"orthopedic gate failed: {broken}\n{text[-3000:]}"
