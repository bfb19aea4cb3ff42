"""Reports and run comparison, from hand-built runs: the three files, the stable run.json, and
per-case regressions and improvements."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from scribeplugin.evaluation.cases import Expect
from scribeplugin.evaluation.metrics import (
    CaseResult,
    GotCode,
    Thresholds,
    check_gates,
    compute_metrics,
    score_case,
)
from scribeplugin.evaluation.report import (
    EngineRecord,
    Gate,
    ReportError,
    RunReport,
    compare_runs,
    load_run,
    render_comparison,
    write_reports,
)


def case(id: str, expected: list[str], got: list[str], latency: float = 80.0) -> CaseResult:
    r = CaseResult(
        id=id,
        title=f"case {id}",
        expect=Expect(codes=expected),
        codes=[GotCode(code=c, status="suggested", billable=True, confidence=0.9) for c in got],
        grounding={c: [] for c in got},
        latency_ms=latency,
    )
    return score_case(r)


def run(results: list[CaseResult], commit: str = "a" * 40) -> RunReport:
    metrics = compute_metrics(results)
    thresholds = Thresholds.model_validate(
        {"gates": {"code_f1": {"min": 0.9}, "not_codes_violations": {"max": 0}}}
    )
    checks = check_gates(metrics, thresholds)
    return RunReport(
        created_at="2026-11-24T12:00:00+00:00",
        duration_s=3.2,
        warm_up_ms=900.0,
        code_set="ICD-10-CM FY2026 (April 1, 2026 update)",
        corpus_version=1,
        corpus_name="test corpus",
        engine=EngineRecord(drafter="rules", index_id="idx-1"),
        git_commit=commit,
        git_dirty=False,
        cases_dir="evals/cases",
        thresholds=thresholds.gates,
        gate=Gate(
            passed=all(c.passed for c in checks),
            checks=checks,
            failing_cases=[r.id for r in results if not r.passed],
        ),
        metrics=metrics,
        cases=results,
    )


@pytest.fixture
def before() -> RunReport:
    return run(
        [
            case("stays-good", ["M51.17"], ["M51.17"]),
            case("breaks", ["M53.87"], ["M53.87"]),
            case("gets-fixed", ["M51.16"], ["M51.17"]),
            case("dropped", ["M54.2"], ["M54.2"]),
        ]
    )


@pytest.fixture
def after() -> RunReport:
    return run(
        [
            case("stays-good", ["M51.17"], ["M51.17"], latency=70.0),
            case("breaks", ["M53.87"], ["M53.86"]),
            case("gets-fixed", ["M51.16"], ["M51.16"]),
            case("new-one", ["M54.50"], ["M54.50"]),
        ],
        commit="b" * 40,
    )


def test_three_report_files_and_a_stable_run_json(tmp_path: Path, after: RunReport) -> None:
    paths = write_reports(after, tmp_path / "out")
    assert [p.name for p in paths] == ["run.json", "report.md", "report.html"]
    data = json.loads(paths[0].read_text())
    assert data["schema_version"] == 1
    for key in (
        "created_at",
        "code_set",
        "corpus_version",
        "engine",
        "git_commit",
        "thresholds",
        "gate",
        "metrics",
        "cases",
    ):
        assert key in data
    assert load_run(paths[0]) == after


def test_the_markdown_names_failing_cases_and_why(tmp_path: Path, after: RunReport) -> None:
    md = (write_reports(after, tmp_path)[1]).read_text()
    assert md.startswith("# scribeplugin eval: FAIL")
    assert "| breaks | region mix-up: M53.86 (lumbar) instead of M53.87 (lumbosacral) |" in md
    assert "| M53.87 | M53.86 | 1 | breaks |" in md


def test_the_html_is_self_contained_with_three_charts(tmp_path: Path, after: RunReport) -> None:
    page = (write_reports(after, tmp_path)[2]).read_text()
    assert page.count("<svg") == 3
    for label in ("F1 per code family", "Region confusion matrix", "Latency histogram"):
        assert f'aria-label="{label}"' in page
    assert "<script" not in page.lower()
    # The only URL is the SVG namespace: nothing is fetched.
    assert set(re.findall(r"https?://[^\s\"'<>]+", page)) == {"http://www.w3.org/2000/svg"}
    assert "breaks" in page and "region mix-up" in page


def test_an_old_or_foreign_run_json_is_refused(tmp_path: Path, after: RunReport) -> None:
    path = write_reports(after, tmp_path)[0]
    data = json.loads(path.read_text())
    data["schema_version"] = 0
    path.write_text(json.dumps(data))
    with pytest.raises(ReportError, match="schema_version 0 is not 1"):
        load_run(path)
    path.write_text("{not json")
    with pytest.raises(ReportError, match=r"cannot read a run\.json"):
        load_run(path)


def test_compare_shows_regressions_improvements_and_churn(
    before: RunReport, after: RunReport
) -> None:
    c = compare_runs(before, after)
    kinds = {x.id: x.kind for x in c.changes}
    assert kinds == {
        "breaks": "regression",
        "gets-fixed": "improvement",
        "new-one": "added",
        "dropped": "removed",
    }
    assert c.metrics["code_f1"] == (pytest.approx(0.75), pytest.approx(0.75))
    text = render_comparison(c)
    assert "1 regression(s), 1 improvement(s), 0 changed, 1 added, 1 removed" in text
    assert "## Regressions (1)" in text
    assert (
        "| breaks | pass; codes M53.87 | FAIL (region mix-up: M53.86 (lumbar) instead of "
        "M53.87 (lumbosacral)); codes M53.86 |"
    ) in text
    assert "## Improvements (1)" in text and "| gets-fixed |" in text
    assert "| latency_p50_ms | 80 | 80 |" in text
