"""Scoring: one case against its expectations, and a whole run into metrics.

Everything here works on :class:`CaseResult` objects (what the engine said, plus what the case
expected), so the metrics can be tested on hand-built results without a pipeline.

Definitions (micro-averaged over cases unless named otherwise):
- code precision / recall / F1, exact: a predicted code counts when it is in ``expect.codes``;
  every billable code in the response counts as predicted, whatever its status (a non-billable
  category marked ``needs_documentation`` is a query for the missing detail, not a code);
- category level: the same on the 3-character categories (M51.16 and M51.17 are both M51);
- per family: exact-code counts bucketed by category (``M51``, ``M54``...);
- ``not_codes`` violations: responses holding a code that matches a forbidden code or pattern;
- prompt recall: expected prompt ids found / expected; prompt precision: over cases whose prompt
  list is exact (``exact_prompts``), expected / emitted;
- warning recall: expected warning rule ids found / expected;
- grounding rate: suggestions with verbatim evidence at their offsets and every citation among
  the chunks retrieved for the request (``guard.assert_invariants``) / all suggestions;
- abstention accuracy: cases where "no confident code, at least one prompt" matches
  ``expect.abstain`` / cases;
- fallback rate: responses whose engine says ``degraded`` / responses;
- latency: wall time of ``Pipeline.suggest`` per case, p50 and p95 (nearest rank).
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from scribeplugin.corpus.rules import code_matches
from scribeplugin.evaluation.cases import Expect

REGIONS = (
    "occipito-atlanto-axial",
    "cervicothoracic",
    "cervical",
    "thoracolumbar",
    "thoracic",
    "lumbosacral",
    "lumbar",
    "sacral",
)
_REGION_WORD = re.compile(r"\b(" + "|".join(REGIONS) + r")\b", re.IGNORECASE)
RegionOf = Callable[[str], str | None]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GotCode(_Model):
    code: str
    status: str
    billable: bool
    confidence: float


class GotGuardAction(_Model):
    action: str
    code: str
    reason: str


class CaseResult(_Model):
    """One case: what it expected, what the engine answered, and the verdict."""

    id: str
    title: str = ""
    source: str = ""
    format: str = ""
    parsed_format: str | None = None
    tags: list[str] = Field(default_factory=list)
    covers: list[str] = Field(default_factory=list)
    expect: Expect
    codes: list[GotCode] = Field(default_factory=list)
    prompts: list[str] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    guard: list[GotGuardAction] = Field(default_factory=list)
    drafter: str = ""
    degraded: bool = False
    degraded_reason: str | None = None
    latency_ms: float = 0.0
    timings_ms: dict[str, float] = Field(default_factory=dict)
    grounding: dict[str, list[str]] = Field(
        default_factory=dict, description="code -> invariant problems (empty list: grounded)"
    )
    error: str | None = None
    passed: bool = False
    reasons: list[str] = Field(default_factory=list)

    @property
    def got(self) -> list[str]:
        """The codes scored: billable ones, whatever their status."""
        return [c.code for c in self.codes if c.billable]

    @property
    def queries(self) -> list[str]:
        """Non-billable categories the engine returned as 'needs documentation': a request to
        document the detail that picks the leaf, not a code; shown, never scored as a code."""
        return [c.code for c in self.codes if not c.billable]

    @property
    def explanation(self) -> str:
        """The case's verdict in one line."""
        return "; ".join(self.reasons) if self.reasons else "ok"

    @property
    def abstained(self) -> bool:
        """No code with status 'suggested', and at least one prompt instead."""
        return not any(c.status == "suggested" for c in self.codes) and bool(self.prompts)


class PRF(_Model):
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def f1(self) -> float | None:
        """2tp / (2tp + fp + fn): 0 when nothing expected was found, None with nothing at all."""
        denominator = 2 * self.tp + self.fp + self.fn
        return 2 * self.tp / denominator if denominator else None

    def summary(self) -> dict[str, float | int | None]:
        return {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "precision": _r(self.precision),
            "recall": _r(self.recall),
            "f1": _r(self.f1),
        }


class RegionPair(_Model):
    expected: str
    got: str
    expected_region: str
    got_region: str
    count: int
    cases: list[str]


class Metrics(_Model):
    """Every number of a run. ``gate_values`` flattens the ones thresholds can name."""

    cases: int
    passed: int
    failed: int
    errors: int
    code_exact: dict[str, float | int | None]
    code_category: dict[str, float | int | None]
    families: dict[str, dict[str, float | int | None]]
    not_codes_violations: int
    prompts_expected: int
    prompts_found: int
    prompt_recall: float | None
    prompt_precision: float | None
    prompt_precision_cases: int
    not_prompts_violations: int
    warnings_expected: int
    warnings_found: int
    warning_recall: float | None
    not_warnings_violations: int
    suggestions: int
    grounded: int
    grounding_rate: float | None
    abstention: dict[str, int]
    abstention_accuracy: float | None
    guard_removals: dict[str, int]
    guard_actions: dict[str, int]
    fallback_rate: float | None
    latency_ms: dict[str, float | None]
    region_matrix: dict[str, dict[str, int]]
    region_pairs: list[RegionPair]

    def gate_values(self) -> dict[str, float | int | None]:
        return {
            "pass_rate": _r(self.passed / self.cases) if self.cases else None,
            "errors": self.errors,
            "code_precision": self.code_exact["precision"],
            "code_recall": self.code_exact["recall"],
            "code_f1": self.code_exact["f1"],
            "category_f1": self.code_category["f1"],
            "not_codes_violations": self.not_codes_violations,
            "prompt_recall": self.prompt_recall,
            "prompt_precision": self.prompt_precision,
            "not_prompts_violations": self.not_prompts_violations,
            "warning_recall": self.warning_recall,
            "not_warnings_violations": self.not_warnings_violations,
            "grounding_rate": self.grounding_rate,
            "abstention_accuracy": self.abstention_accuracy,
            "fallback_rate": self.fallback_rate,
            "latency_p50_ms": self.latency_ms["p50"],
            "latency_p95_ms": self.latency_ms["p95"],
        }


GATE_METRICS = (
    "pass_rate",
    "errors",
    "code_precision",
    "code_recall",
    "code_f1",
    "category_f1",
    "not_codes_violations",
    "prompt_recall",
    "prompt_precision",
    "not_prompts_violations",
    "warning_recall",
    "not_warnings_violations",
    "grounding_rate",
    "abstention_accuracy",
    "fallback_rate",
    "latency_p50_ms",
    "latency_p95_ms",
)


def _r(x: float | None, n: int = 4) -> float | None:
    return None if x is None else round(x, n)


def category(code: str) -> str:
    return code.split(".")[0]


# -- one case ------------------------------------------------------------------------------------


def forbidden_hits(got: Iterable[str], not_codes: Iterable[str]) -> list[str]:
    patterns = list(not_codes)
    return [c for c in got if any(code_matches(c, p) for p in patterns)]


def score_case(result: CaseResult, region_of: RegionOf | None = None) -> CaseResult:
    """Set ``passed`` and ``reasons``: the case passes when the response holds exactly the
    expected codes, none of the forbidden ones, every expected prompt and warning and none of
    the excluded ones, abstains as expected, and every suggestion is grounded."""
    region_of = region_of or default_region_of()
    e, reasons = result.expect, []
    if result.error:
        reasons.append(f"error: {result.error}")
        return result.model_copy(update={"passed": False, "reasons": reasons})
    if result.parsed_format and result.parsed_format != result.format:
        reasons.append(f"transcript parsed as {result.parsed_format}, expected {result.format}")
    got = result.got
    missed = [c for c in e.codes if c not in got]
    extra = [c for c in got if c not in e.codes]
    forbidden = forbidden_hits([c.code for c in result.codes], e.not_codes)
    for m in missed:
        swap = next((x for x in extra if _region_swap(m, x, region_of)), None)
        if swap:
            reasons.append(
                f"region mix-up: {swap} ({region_of(swap)}) instead of {m} ({region_of(m)})"
            )
            extra.remove(swap)
        else:
            near = [x for x in extra if category(x) == category(m)]
            reasons.append(f"missed {m}" + (f" (got {', '.join(near)})" if near else ""))
    for x in extra:
        reasons.append(f"forbidden {x}" if x in forbidden else f"unexpected {x}")
    for x in forbidden:
        if x not in extra and f"forbidden {x}" not in reasons:
            reasons.append(f"forbidden {x}")
    if missing := [p for p in e.prompts if p not in result.prompts]:
        reasons.append(f"prompt missing: {', '.join(missing)}")
    if bad := [p for p in e.not_prompts if p in result.prompts]:
        reasons.append(f"prompt should not appear: {', '.join(bad)}")
    if e.exact_prompts and (spurious := [p for p in result.prompts if p not in e.prompts]):
        reasons.append(f"unexpected prompt: {', '.join(spurious)}")
    if missing := [w for w in e.warnings if w not in result.warnings]:
        reasons.append(f"warning missing: {', '.join(missing)}")
    if bad := [w for w in e.not_warnings if w in result.warnings]:
        reasons.append(f"warning should not appear: {', '.join(bad)}")
    if e.abstain and not result.abstained:
        confident = [c.code for c in result.codes if c.status == "suggested"]
        reasons.append(
            "expected abstention (no confident code, a prompt): "
            + (f"suggested {', '.join(confident)}" if confident else "no prompt")
        )
    elif not e.abstain and result.abstained and e.codes:
        reasons.append("abstained, but the visit supports a confident code")
    for code, problems in result.grounding.items():
        if problems:
            reasons.append(f"ungrounded {code}: {problems[0]}")
    return result.model_copy(update={"passed": not reasons, "reasons": reasons})


def _region_swap(expected: str, got: str, region_of: RegionOf) -> bool:
    if category(expected) != category(got):
        return False
    a, b = region_of(expected), region_of(got)
    return a is not None and b is not None and a != b


# -- a run ---------------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def compute_metrics(results: Sequence[CaseResult], region_of: RegionOf | None = None) -> Metrics:
    region_of = region_of or default_region_of()
    ok = [r for r in results if r.error is None]
    exact, cat = PRF(), PRF()
    families: dict[str, PRF] = defaultdict(PRF)
    not_codes_violations = 0
    prompts_expected = prompts_found = not_prompts = 0
    exact_emitted = exact_matched = exact_cases = 0
    warnings_expected = warnings_found = not_warnings = 0
    suggestions = grounded = 0
    abst: Counter[str] = Counter()
    removals: Counter[str] = Counter()
    actions: Counter[str] = Counter()
    matrix: dict[str, Counter[str]] = defaultdict(Counter)
    pairs: dict[tuple[str, str], list[str]] = defaultdict(list)

    for r in ok:
        e, got = r.expect, set(r.got)
        want = set(e.codes)
        for c in got & want:
            exact.tp += 1
            families[category(c)].tp += 1
        for c in got - want:
            exact.fp += 1
            families[category(c)].fp += 1
        for c in want - got:
            exact.fn += 1
            families[category(c)].fn += 1
        got_cat, want_cat = {category(c) for c in got}, {category(c) for c in want}
        cat.tp += len(got_cat & want_cat)
        cat.fp += len(got_cat - want_cat)
        cat.fn += len(want_cat - got_cat)
        if forbidden_hits([c.code for c in r.codes], e.not_codes):
            not_codes_violations += 1

        prompts = set(r.prompts)
        prompts_expected += len(e.prompts)
        prompts_found += len(set(e.prompts) & prompts)
        not_prompts += len(set(e.not_prompts) & prompts)
        if e.exact_prompts:
            exact_cases += 1
            exact_emitted += len(prompts)
            exact_matched += len(prompts & set(e.prompts))
        warnings = set(r.warnings)
        warnings_expected += len(e.warnings)
        warnings_found += len(set(e.warnings) & warnings)
        not_warnings += len(set(e.not_warnings) & warnings)

        for suggestion in r.codes:
            suggestions += 1
            grounded += not r.grounding.get(suggestion.code)

        predicted = r.abstained
        abst[
            "tp" if predicted and e.abstain else "fp" if predicted else "fn" if e.abstain else "tn"
        ] += 1

        for a in r.guard:
            actions[f"{a.action}:{a.reason}"] += 1
            if a.action == "removed":
                removals[a.reason] += 1

        # Region view: each expected regional code against the same category's answer.
        for c in want:
            er = region_of(c)
            if er is None:
                continue
            if c in got:
                matrix[er][er] += 1
                continue
            swaps = [x for x in got - want if _region_swap(c, x, region_of)]
            if swaps:
                gr = region_of(swaps[0]) or "?"
                matrix[er][gr] += 1
                pairs[(c, swaps[0])].append(r.id)
            else:
                matrix[er]["missed"] += 1

    latencies = [r.latency_ms for r in ok]
    n = len(ok)
    return Metrics(
        cases=len(results),
        passed=sum(r.passed for r in results),
        failed=sum(not r.passed for r in results),
        errors=len(results) - n,
        code_exact=exact.summary(),
        code_category=cat.summary(),
        families={k: families[k].summary() for k in sorted(families)},
        not_codes_violations=not_codes_violations,
        prompts_expected=prompts_expected,
        prompts_found=prompts_found,
        prompt_recall=_r(prompts_found / prompts_expected) if prompts_expected else None,
        prompt_precision=_r(exact_matched / exact_emitted)
        if exact_emitted
        else (1.0 if exact_cases else None),
        prompt_precision_cases=exact_cases,
        not_prompts_violations=not_prompts,
        warnings_expected=warnings_expected,
        warnings_found=warnings_found,
        warning_recall=_r(warnings_found / warnings_expected) if warnings_expected else None,
        not_warnings_violations=not_warnings,
        suggestions=suggestions,
        grounded=grounded,
        grounding_rate=_r(grounded / suggestions) if suggestions else None,
        abstention={k: abst.get(k, 0) for k in ("tp", "fp", "fn", "tn")},
        abstention_accuracy=_r((abst["tp"] + abst["tn"]) / n) if n else None,
        guard_removals=dict(sorted(removals.items())),
        guard_actions=dict(sorted(actions.items())),
        fallback_rate=_r(sum(r.degraded for r in ok) / n) if n else None,
        latency_ms={
            "p50": _r(percentile(latencies, 50), 1),
            "p95": _r(percentile(latencies, 95), 1),
            "max": _r(max(latencies), 1) if latencies else None,
            "mean": _r(sum(latencies) / n, 1) if n else None,
        },
        region_matrix={k: dict(v) for k, v in sorted(matrix.items())},
        region_pairs=sorted(
            (
                RegionPair(
                    expected=a,
                    got=b,
                    expected_region=region_of(a) or "?",
                    got_region=region_of(b) or "?",
                    count=len(ids),
                    cases=ids,
                )
                for (a, b), ids in pairs.items()
            ),
            key=lambda p: (-p.count, p.expected, p.got),
        ),
    )


# -- regions -------------------------------------------------------------------------------------


def region_in(description: str) -> str | None:
    m = _REGION_WORD.search(description)
    return m.group(1).lower() if m else None


@lru_cache(maxsize=1)
def default_region_of() -> RegionOf:
    """The spinal region named in a code's official description (M53.87 -> lumbosacral)."""
    from scribeplugin.codeset import get_codeset

    cs = get_codeset()

    @lru_cache(maxsize=4096)
    def region_of(code: str) -> str | None:
        entry = cs.get(code)
        return region_in(entry.description) if entry else None

    return region_of


# -- gate ----------------------------------------------------------------------------------------


class Bound(_Model):
    min: float | None = None
    max: float | None = None


class Thresholds(_Model):
    """``evals/thresholds.yaml``: a bound per metric; an unknown metric name is an error."""

    gates: dict[str, Bound]

    @model_validator(mode="after")
    def _known(self) -> Thresholds:
        unknown = sorted(set(self.gates) - set(GATE_METRICS))
        if unknown:
            raise ValueError(
                f"unknown metric(s) {', '.join(unknown)}; known: {', '.join(GATE_METRICS)}"
            )
        for name, b in self.gates.items():
            if b.min is None and b.max is None:
                raise ValueError(f"gate {name} needs min or max")
        return self


class GateCheck(_Model):
    metric: str
    op: Literal[">=", "<="]
    bound: float
    value: float | int | None
    passed: bool


def check_gates(metrics: Metrics, thresholds: Thresholds) -> list[GateCheck]:
    """One check per bound. A metric with nothing to measure (None) fails a minimum on purpose:
    no suggestions at all is not a grounding rate of 1.0. It passes a maximum."""
    return check_bounds(metrics.gate_values(), thresholds.gates)


def check_bounds(
    values: Mapping[str, float | int | None], gates: Mapping[str, Bound]
) -> list[GateCheck]:
    """The checks of ``gates`` on ``values`` (see :func:`check_gates`)."""
    checks = []
    for name, b in gates.items():
        v = values[name]
        if b.min is not None:
            checks.append(
                GateCheck(
                    metric=name, op=">=", bound=b.min, value=v, passed=v is not None and v >= b.min
                )
            )
        if b.max is not None:
            checks.append(
                GateCheck(
                    metric=name, op="<=", bound=b.max, value=v, passed=v is None or v <= b.max
                )
            )
    return checks
