"""The real-visit suite: its labels, its split, its scoring, and its gate end to end.

The scoring tests build answers by hand (no pipeline) so that every measure is pinned to a
known right answer. The labels are checked against the code set always, and against their
transcripts when ``../shared/external`` is beside the checkout (else those tests skip).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from scribeplugin.cli import main
from scribeplugin.codeset import get_codeset
from scribeplugin.config import PROJECT_ROOT, Settings
from scribeplugin.evaluation.metrics import GotCode
from scribeplugin.evaluation.real.labels import (
    Label,
    LabelError,
    check_labels,
    load_encounters,
    load_labels,
    load_split,
    make_split,
)
from scribeplugin.evaluation.real.report import load_run, render_html, render_markdown
from scribeplugin.evaluation.real.score import (
    EncounterResult,
    GotPrompt,
    RegionRules,
    by_split,
    compute,
    judge,
)

REAL = PROJECT_ROOT / "evals" / "real"
EXTERNAL = Settings().external_dir
needs_shared = pytest.mark.skipif(
    not (EXTERNAL / "aci_dev.jsonl").is_file(),
    reason=f"{EXTERNAL}/aci_dev.jsonl is absent (the real encounters live in ../shared)",
)


@pytest.fixture(scope="module")
def labels() -> dict[str, Label]:
    return load_labels(REAL / "labels")


@pytest.fixture(scope="module")
def regions() -> RegionRules:
    return RegionRules.load(REAL / "regions.yaml")


def describe(code: str) -> str | None:
    entry = get_codeset().get(code)
    return entry.description if entry else None


# -- labels and split ----------------------------------------------------------------------------


def test_the_split_is_the_one_the_seed_gives(labels: dict[str, Label]) -> None:
    seed, check = load_split(REAL / "split.yaml")
    assert check == make_split(list(labels), seed)
    assert len(check) == round(len(labels) / 3)


def test_every_label_names_real_billable_codes(labels: dict[str, Label]) -> None:
    assert check_labels(labels, get_codeset()) == []


@needs_shared
def test_every_encounter_is_labelled_and_every_quote_is_verbatim(
    labels: dict[str, Label],
) -> None:
    encounters = load_encounters(EXTERNAL)
    assert set(labels) == set(encounters)
    assert check_labels(labels, get_codeset(), encounters) == []


def test_a_bad_label_is_refused_with_its_file(tmp_path: Path) -> None:
    (tmp_path / "D2N999.yaml").write_text(
        "id: D2N999\nmsk: false\nproblems:\n  - {region: knee, codes: [M17.11], quote: x, "
        "reason: y}\n",
        encoding="utf-8",
    )
    with pytest.raises(LabelError, match=r"D2N999\.yaml.*msk is false"):
        load_labels(tmp_path)


def test_a_label_with_an_unknown_code_or_a_category_is_a_problem() -> None:
    label = Label.model_validate(
        {
            "id": "D2N998",
            "msk": True,
            "problems": [
                {"region": "knee", "codes": ["M17.1"], "quote": "q", "reason": "r"},
                {"region": "knee", "codes": ["M17.99"], "quote": "q", "reason": "r"},
            ],
        }
    )
    problems = check_labels({"D2N998": label}, get_codeset())
    assert any("M17.1 is not billable" in p for p in problems)
    assert any("M17.99 is not in" in p for p in problems)


# -- scoring -------------------------------------------------------------------------------------

KNEE = Label.model_validate(
    {
        "id": "D2N900",
        "msk": True,
        "problems": [
            {
                "region": "knee",
                "codes": ["S83.411A"],
                "family": "S83.41",
                "axis": "laterality",
                "quote": "mcl strain",
                "reason": "r",
            },
            {
                "region": "spine",
                "codes": ["M54.50"],
                "basis": "symptom_for_uncertain",
                "quote": "back",
                "reason": "r",
            },
        ],
        "optional": ["M25.561"],
        "not_codes": [{"code": "M54.1-", "error": "negation", "reason": "denied"}],
    }
)


def got(code: str, status: str = "suggested", conf: float = 0.9) -> GotCode:
    billable = get_codeset().is_billable(code)
    return GotCode(code=code, status=status, billable=billable, confidence=conf)


def answer(*codes: GotCode, prompts: list[GotPrompt] | None = None, label: Label = KNEE) -> Any:
    r = EncounterResult(id=label.id, split="dev", msk=label.msk, codes=list(codes))
    return r.model_copy(update={"prompts": prompts or []})


@pytest.mark.parametrize(
    ("code", "verdict", "error"),
    [
        ("S83.411A", "right", None),
        ("M25.561", "right", None),  # optional
        ("M54.16", "wrong", "negation"),  # the trap it fell into
        ("S83.411D", "wrong", "wrong_7th"),
        ("S83.412A", "wrong", "wrong_laterality"),
        ("S83.421A", "wrong", "wrong_specificity"),
        ("M77.11", "wrong", "wrong_region"),  # an elbow code in a knee and back visit
    ],
)
def test_each_returned_code_gets_a_verdict_and_an_error_type(
    code: str, verdict: str, error: str | None, regions: RegionRules
) -> None:
    [v] = judge(answer(got(code)), KNEE, describe, regions).verdicts
    assert (v.verdict, v.error) == (verdict, error)


def test_a_category_asked_for_is_partial_and_recalls_the_problem_by_its_axis(
    regions: RegionRules,
) -> None:
    query = got("S83.41", status="needs_documentation", conf=0.4)
    asked = GotPrompt(id="missing-laterality", code="S83.41", axis="laterality")
    r = judge(answer(query, prompts=[asked]), KNEE, describe, regions)
    assert [v.verdict for v in r.verdicts] == ["partial"]
    knee = r.problems[0]
    assert (knee.recalled, knee.family, knee.asked) == (False, True, True)
    # Without the prompt on the axis, it is only the right family.
    r = judge(answer(query), KNEE, describe, regions)
    assert (r.problems[0].family, r.problems[0].asked) == (True, False)


def test_a_code_in_a_visit_without_a_musculoskeletal_problem_is_spurious(
    regions: RegionRules,
) -> None:
    silent = Label.model_validate({"id": "D2N901", "msk": False})
    [v] = judge(answer(got("M54.9"), label=silent), silent, describe, regions).verdicts
    assert (v.verdict, v.error) == ("wrong", "spurious")


def test_the_measures_of_a_run(regions: RegionRules) -> None:
    silent = Label.model_validate({"id": "D2N901", "msk": False})
    results = [
        judge(answer(got("S83.411A"), got("M54.16", conf=0.6)), KNEE, describe, regions),
        judge(answer(label=silent), silent, describe, regions),
        judge(
            answer(got("M54.50", status="needs_documentation", conf=0.4)), KNEE, describe, regions
        ).model_copy(update={"split": "check"}),
    ]
    m = compute(results)
    assert (m.suggested.n, m.suggested.of) == (1, 2)  # S83.411A right, M54.16 wrong
    assert (m.problems.n, m.problems.of) == (2, 4)  # the knee once, the back pain once
    assert (m.spine.n, m.spine.of) == (1, 2)
    assert (m.withheld.n, m.withheld.of) == (1, 2)
    assert m.assertion_errors == 1 and m.error_types == {"negation": 1}
    assert (m.silent_visits.n, m.silent_visits.of) == (1, 1)
    assert m.regions["knee"].recalled == 1 and m.regions["spine"].wrong_codes == 1
    low, mid, _, high = m.reliability
    assert (low.codes, low.right) == (1, 1) and (mid.codes, mid.right) == (1, 0)
    assert (high.codes, high.right) == (1, 1)
    assert set(by_split(results)) == {"dev", "check", "all"}


@pytest.mark.parametrize(
    ("code", "region"),
    [
        ("M51.16", "spine"),
        ("S83.411A", "knee"),
        ("S42.201A", "shoulder"),
        ("M77.01", "elbow"),
        ("S62.632A", "hand_wrist"),
        ("G56.01", "hand_wrist"),
        ("M16.11", "hip"),
        ("S72.001A", "hip"),
        ("S93.401A", "ankle_foot"),
        ("M76.61", "ankle_foot"),
        ("M10.9", "systemic"),
    ],
)
def test_codes_fall_in_their_body_region(code: str, region: str, regions: RegionRules) -> None:
    assert regions.region(code, describe(code)) == region


# -- end to end ----------------------------------------------------------------------------------


@needs_shared
@pytest.mark.slow
def test_the_real_suite_meets_its_gate_and_reports(
    default_index: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "real"
    code = main(
        ["--data-dir", str(default_index.data_dir), "eval", "--suite", "real", "--out", str(out)]
    )
    text = capsys.readouterr().out
    run = load_run(out / "run.json")
    assert run.metrics["all"].encounters == 160 and run.metrics["all"].errors == 0
    assert set(run.metrics) == {"dev", "check", "all"}
    broken = [
        f"{split} {c.metric} {c.op} {c.bound}: {c.value}"
        for split, checks in run.gate.checks.items()
        for c in checks
        if not c.passed
    ]
    assert code == 0 and not broken, f"real-suite gate failed: {broken}\n{text}"
    assert "## Summary" in (out / "report.md").read_text(encoding="utf-8")
    assert render_markdown(run) == (out / "report.md").read_text(encoding="utf-8")
    html = render_html(run)
    assert "<script" not in html and "Per region" in html


def test_the_html_report_escapes_what_comes_from_outside(regions: RegionRules) -> None:
    from scribeplugin.evaluation.real.report import RealGate, RealRun
    from scribeplugin.evaluation.report import EngineRecord

    hostile = KNEE.model_copy(update={"chief_complaint": "<script>alert(1)</script>"})
    r = judge(answer(got("S83.411A")), hostile, describe, regions)
    r = r.model_copy(update={"chief_complaint": hostile.chief_complaint})
    run = RealRun(
        created_at="2026-12-07T00:00:00+00:00",
        duration_s=1.0,
        code_set="ICD-10-CM",
        corpus_version=1,
        engine=EngineRecord(drafter="rules", index_id="i"),
        git_commit="0" * 40,
        git_dirty=False,
        split="all",
        gate=RealGate(passed=True, checks={}),
        metrics=by_split([r]),
        encounters=[r],
    )
    html = render_html(run)
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
