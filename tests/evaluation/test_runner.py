"""The runner's own parts, without a model: settings, thresholds, case selection, retrieval
recording per thread, and a failing request that fails its case, not the run.

The end-to-end runs through the real pipeline are in test_gate.py."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from scribeplugin.codeset import get_codeset
from scribeplugin.config import PROJECT_ROOT, Settings
from scribeplugin.draft.types import (
    Citation,
    CodeSuggestion,
    EngineInfo,
    Evidence,
    SuggestResponse,
)
from scribeplugin.errors import InputError
from scribeplugin.evaluation.cases import CaseError, load_case_file, load_cases
from scribeplugin.evaluation.runner import (
    RecordingRetriever,
    ThresholdsError,
    eval_settings,
    load_thresholds,
    run_case,
    run_cases,
    select,
)

TEXT = "Doctor: What brings you in?\nPatient: My neck is sore.\n"
CASE = f"""\
- id: neck-visit
  title: A short synthetic neck visit
  format: labeled
  transcript: |
{"".join("    " + line + chr(10) for line in TEXT.splitlines())}  expect:
    codes: [M54.2]
"""


def test_eval_settings_cache_llm_replies_under_the_data_dir(tmp_path: Path) -> None:
    s = eval_settings(Settings(data_dir=tmp_path))
    assert (s.llm_cache_dir, s.llm_cache_bypass) == (tmp_path / "llm-cache", False)
    s = eval_settings(Settings(data_dir=tmp_path, llm_cache_dir=tmp_path / "c"), no_cache=True)
    assert (s.llm_cache_dir, s.llm_cache_bypass) == (tmp_path / "c", True)


def test_the_real_thresholds_load_and_a_bad_one_is_named(tmp_path: Path) -> None:
    t = load_thresholds(PROJECT_ROOT / "evals" / "thresholds.yaml")
    assert t.gates["code_f1"].min == 0.9 and t.gates["grounding_rate"].min == 1.0
    assert t.gates["not_codes_violations"].max == 0
    bad = tmp_path / "thresholds.yaml"
    bad.write_text("gates:\n  recall_everything: {min: 1}\n")
    with pytest.raises(ThresholdsError, match=r"thresholds\.yaml: .*unknown metric"):
        load_thresholds(bad)
    with pytest.raises(ThresholdsError, match="cannot read"):
        load_thresholds(tmp_path / "missing.yaml")


def test_select_by_glob() -> None:
    cases = load_cases(PROJECT_ROOT / "evals" / "cases")
    chosen = select(cases, ["m46-*"])
    assert chosen and all(c.id.startswith("m46-") for c in chosen)
    assert select(cases, None) == cases
    with pytest.raises(CaseError, match="no case id matches"):
        select(cases, ["nothing-like-this-*"])


@dataclass(frozen=True)
class P:
    chunk_id: str


class Inner:
    index_id = "idx-1"

    def search_many(self, queries: list[str], k: int = 6) -> list[list[P]]:
        return [[P(f"{q}-{i}") for i in range(2)] for q in queries]

    def passages_for(self, codes: list[str]) -> list[P]:
        return [P(c) for c in codes]


def test_the_recorder_remembers_retrieved_chunks_per_thread() -> None:
    rec = RecordingRetriever(Inner())
    assert rec.index_id == "idx-1"
    seen: dict[str, set[str]] = {}

    def work(name: str) -> None:
        rec.start()
        rec.search_many([name])
        rec.passages_for(codes=[f"{name}-code"])
        seen[name] = rec.retrieved()

    threads = [threading.Thread(target=work, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == {"a": {"a-0", "a-1", "a-code"}, "b": {"b-0", "b-1", "b-code"}}


class FakePipeline:
    """Just enough of ``Pipeline`` for ``run_case``: settings, code set, ``suggest``."""

    def __init__(self, answer: Any) -> None:
        self.settings = Settings()
        self.codeset = get_codeset()
        self.answer = answer

    def suggest(self, data: Any, **kw: Any) -> SuggestResponse:
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer  # type: ignore[no-any-return]


def response(cite: str) -> SuggestResponse:
    start = TEXT.index("neck is sore")
    return SuggestResponse(
        request_id="r",
        code_set="x",
        engine=EngineInfo(drafter="rules", index_id="idx-1"),
        codes=[
            CodeSuggestion(
                code="M54.2",
                display="Cervicalgia",
                billable=True,
                confidence=0.9,
                status="suggested",
                rationale="",
                evidence=[Evidence(text="neck is sore", start=start, end=start + 12)],
                citations=[Citation(chunk_id=cite, source="tabular", ref="tabular:M54.2", text="")],
            )
        ],
        prompts=[],
        warnings=[],
        findings=[],
    )


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (InputError("transcript is empty"), "InputError: transcript is empty"),
        (RuntimeError("index closed"), "crash RuntimeError: index closed"),
    ],
)
def test_a_failing_request_fails_its_case_only(tmp_path: Path, answer: Any, error: str) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(CASE)
    [case] = load_case_file(path)
    rec = RecordingRetriever(Inner())
    [r] = run_cases(FakePipeline(answer), rec, [case], "rules", progress=False)  # type: ignore[arg-type]
    assert (r.passed, r.error, r.explanation) == (False, error, f"error: {error}")


def test_grounding_is_checked_against_the_chunks_retrieved_for_the_request(
    tmp_path: Path,
) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(CASE)
    [case] = load_case_file(path)
    rec = RecordingRetriever(Inner())
    r = run_case(FakePipeline(response("never-retrieved")), rec, case, "rules")  # type: ignore[arg-type]
    assert r.grounding == {"M54.2": ["M54.2 cites never-retrieved, not retrieved"]}
    assert r.parsed_format == "labeled"
