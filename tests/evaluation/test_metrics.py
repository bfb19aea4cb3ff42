"""Metrics and verdicts on hand-built results: every number is checked against a count by hand."""

from __future__ import annotations

import re
from typing import Any

import pytest
from pydantic import ValidationError

from scribeplugin.evaluation.cases import Expect
from scribeplugin.evaluation.metrics import (
    CaseResult,
    GotCode,
    GotGuardAction,
    Thresholds,
    check_gates,
    compute_metrics,
    percentile,
    score_case,
)

BILLABLE_OR_NOT = {"M51.1": False, "M51.3": False}


def result(
    id: str,
    expect: dict[str, Any],
    got: list[str] | None = None,
    *,
    status: dict[str, str] | None = None,
    **kw: Any,
) -> CaseResult:
    """A scored result: ``got`` codes are 'suggested' and billable unless said otherwise."""
    status = status or {}
    codes = [
        GotCode(
            code=c,
            status=status.get(c, "suggested"),
            billable=BILLABLE_OR_NOT.get(c, True),
            confidence=0.9,
        )
        for c in got or []
    ]
    grounding = kw.pop("grounding", {c: [] for c in got or []})
    r = CaseResult(id=id, expect=Expect(**expect), codes=codes, grounding=grounding, **kw)
    return score_case(r)


def test_an_exact_answer_passes() -> None:
    r = result(
        "a",
        {
            "codes": ["M51.17"],
            "not_codes": ["M54.17"],
            "prompts": ["m51-17-side"],
            "warnings": ["m53-87-more-specific-code"],
        },
        ["M51.17"],
        prompts=["m51-17-side", "m51-17-imaging-concordance"],
        warnings=["m53-87-more-specific-code"],
    )
    assert r.passed and r.explanation == "ok"


@pytest.mark.parametrize(
    ("expect", "got", "kw", "why"),
    [
        (
            {"codes": ["M51.17"]},
            ["M51.16"],
            {},
            "region mix-up: M51.16 (lumbar) instead of M51.17 (lumbosacral)",
        ),
        ({"codes": ["M51.17"]}, ["M51.27"], {}, "missed M51.17 (got M51.27); unexpected M51.27"),
        (
            {"codes": ["M51.17"], "not_codes": ["M54.4-"]},
            ["M51.17", "M54.41"],
            {},
            "forbidden M54.41",
        ),
        ({"codes": ["M54.50"]}, ["M54.50", "M53.86"], {}, "unexpected M53.86"),
        (
            {"codes": ["M54.50"], "prompts": ["confirm-disc-herniation"]},
            ["M54.50"],
            {},
            "prompt missing: confirm-disc-herniation",
        ),
        (
            {"codes": ["M51.17"], "not_prompts": ["m51-17-side"]},
            ["M51.17"],
            {"prompts": ["m51-17-side"]},
            "prompt should not appear: m51-17-side",
        ),
        (
            {"codes": ["M51.17"], "exact_prompts": True},
            ["M51.17"],
            {"prompts": ["m51-17-side"]},
            "unexpected prompt: m51-17-side",
        ),
        (
            {"codes": ["M51.17"], "warnings": ["m51-17-no-separate-radiculopathy-code"]},
            ["M51.17"],
            {},
            "warning missing: m51-17-no-separate-radiculopathy-code",
        ),
        (
            {"codes": ["M54.9"], "abstain": True},
            ["M54.9"],
            {"prompts": ["missing-level-or-region"]},
            "expected abstention (no confident code, a prompt): suggested M54.9",
        ),
        (
            {"codes": ["M48.061"]},
            ["M48.061"],
            {"status": {"M48.061": "needs_documentation"}, "prompts": ["missing-x"]},
            "abstained, but the visit supports a confident code",
        ),
        (
            {"codes": ["M54.2"]},
            ["M54.2"],
            {"grounding": {"M54.2": ["M54.2 has no citation"]}},
            "ungrounded M54.2: M54.2 has no citation",
        ),
        (
            {"codes": ["M54.2"]},
            [],
            {"error": "InputError: transcript is empty"},
            "error: InputError: transcript is empty",
        ),
        (
            {"codes": ["M54.2"]},
            ["M54.2"],
            {"format": "asr", "parsed_format": "labeled"},
            "transcript parsed as labeled, expected asr",
        ),
    ],
)
def test_each_failure_is_explained_in_one_line(
    expect: dict[str, Any], got: list[str], kw: dict[str, Any], why: str
) -> None:
    r = result("a", expect, got, **kw)
    assert not r.passed
    assert r.explanation == why
    assert "\n" not in r.explanation


def test_an_abstention_that_was_expected_passes() -> None:
    r = result(
        "a",
        {"codes": ["M54.9"], "abstain": True},
        ["M54.9"],
        status={"M54.9": "needs_documentation"},
        prompts=["missing-level-or-region"],
    )
    assert r.passed


def test_a_category_awaiting_documentation_is_a_query_not_a_code() -> None:
    r = result(
        "a",
        {"codes": [], "abstain": True},
        ["M51.3"],
        status={"M51.3": "needs_documentation"},
        prompts=["missing-level-or-region"],
    )
    assert r.passed and r.got == [] and r.queries == ["M51.3"]


def hand_run() -> list[CaseResult]:
    return [
        # exact and category hit; one prompt of two; a warning; guard removed a forbidden code
        result(
            "hit",
            {"codes": ["M51.17"], "prompts": ["p1", "p2"], "warnings": ["w1"]},
            ["M51.17"],
            prompts=["p1", "p9"],
            warnings=["w1", "w2"],
            latency_ms=100,
            guard=[GotGuardAction(action="removed", code="M54.17", reason="pitfall_rule")],
        ),
        # region mix-up: exact miss, category hit
        result("swap", {"codes": ["M53.87"]}, ["M53.86"], latency_ms=200),
        # a forbidden extra, and an ungrounded suggestion
        result(
            "extra",
            {"codes": ["M54.50"], "not_codes": ["M53.9"], "warnings": ["w3"]},
            ["M54.50", "M53.9"],
            latency_ms=300,
            grounding={"M54.50": [], "M53.9": ["M53.9 has no citation"]},
            guard=[GotGuardAction(action="evidence_dropped", code="M53.9", reason="no_evidence")],
        ),
        # expected abstention, done; degraded engine
        result(
            "ask",
            {
                "codes": ["M54.9"],
                "abstain": True,
                "prompts": ["missing-level-or-region"],
                "exact_prompts": True,
            },
            ["M54.9"],
            status={"M54.9": "needs_documentation"},
            prompts=["missing-level-or-region"],
            latency_ms=400,
            degraded=True,
        ),
        # nothing expected, nothing given (a kidney stone)
        result("none", {"codes": []}, [], latency_ms=500),
        # an engine error: counted, never scored as codes
        result("boom", {"codes": ["M54.2"]}, [], error="crash ValueError: x"),
    ]


def test_metrics_of_a_hand_built_run() -> None:
    m = compute_metrics(hand_run())
    assert (m.cases, m.passed, m.failed, m.errors) == (6, 2, 4, 1)
    # exact: tp M51.17, M54.50, M54.9; fp M53.86, M53.9; fn M53.87
    assert m.code_exact == {
        "tp": 3,
        "fp": 2,
        "fn": 1,
        "precision": 0.6,
        "recall": 0.75,
        "f1": pytest.approx(0.6667, abs=1e-4),
    }
    # category: M51, M53 (swap), M54 (extra), M54 (ask) hit; M53 in "extra" is a false positive
    assert (m.code_category["tp"], m.code_category["fp"], m.code_category["fn"]) == (4, 1, 0)
    assert m.families["M53"] == {
        "tp": 0,
        "fp": 2,
        "fn": 1,
        "precision": 0.0,
        "recall": 0.0,
        "f1": 0.0,
    }
    assert m.families["M51"]["f1"] == 1.0
    assert m.not_codes_violations == 1
    assert (m.prompts_expected, m.prompts_found, m.prompt_recall) == (
        3,
        2,
        pytest.approx(0.6667, abs=1e-4),
    )
    assert (m.prompt_precision, m.prompt_precision_cases) == (1.0, 1)
    assert (m.warnings_expected, m.warnings_found, m.warning_recall) == (2, 1, 0.5)
    assert (m.suggestions, m.grounded, m.grounding_rate) == (5, 4, 0.8)
    assert m.abstention == {"tp": 1, "fp": 0, "fn": 0, "tn": 4}
    assert m.abstention_accuracy == 1.0
    assert m.guard_removals == {"pitfall_rule": 1}
    assert m.guard_actions == {"evidence_dropped:no_evidence": 1, "removed:pitfall_rule": 1}
    assert m.fallback_rate == 0.2
    assert m.latency_ms == {"p50": 300.0, "p95": 500.0, "max": 500.0, "mean": 300.0}
    assert m.region_matrix == {"lumbosacral": {"lumbosacral": 1, "lumbar": 1}}
    [pair] = m.region_pairs
    assert (pair.expected, pair.got, pair.count, pair.cases) == ("M53.87", "M53.86", 1, ["swap"])


def test_percentile_is_nearest_rank() -> None:
    assert percentile([], 50) is None
    assert percentile([5.0], 95) == 5.0
    values = [float(v) for v in range(1, 21)]
    assert (percentile(values, 50), percentile(values, 95), percentile(values, 100)) == (
        10.0,
        19.0,
        20.0,
    )


def test_gates_hold_or_fail_by_their_bounds() -> None:
    m = compute_metrics(hand_run())
    t = Thresholds.model_validate(
        {
            "gates": {
                "code_f1": {"min": 0.9},
                "not_codes_violations": {"max": 0},
                "errors": {"max": 1},
                "abstention_accuracy": {"min": 1.0},
                "grounding_rate": {"min": 0.5, "max": 1.0},
            }
        }
    )
    checks = {(c.metric, c.op): c.passed for c in check_gates(m, t)}
    assert checks == {
        ("code_f1", ">="): False,
        ("not_codes_violations", "<="): False,
        ("errors", "<="): True,
        ("abstention_accuracy", ">="): True,
        ("grounding_rate", ">="): True,
        ("grounding_rate", "<="): True,
    }


def test_a_metric_with_nothing_to_measure_fails_a_minimum() -> None:
    m = compute_metrics([result("none", {"codes": []}, [])])
    assert m.grounding_rate is None
    t = Thresholds.model_validate(
        {"gates": {"grounding_rate": {"min": 1.0}, "fallback_rate": {"max": 0}}}
    )
    assert [c.passed for c in check_gates(m, t)] == [False, True]


@pytest.mark.parametrize(
    ("gates", "message"),
    [
        ({"code_f2": {"min": 0.9}}, "unknown metric(s) code_f2"),
        ({"code_f1": {}}, "gate code_f1 needs min or max"),
        ({"code_f1": {"minimum": 0.9}}, "Extra inputs"),
    ],
)
def test_thresholds_are_validated(gates: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(message)):
        Thresholds.model_validate({"gates": gates})
