"""Scoring the real-visit suite: each answer against its label, then the suite's measures.

A returned code is *right* when it is one of a problem's codes or an optional code; *partial*
when it is a non-billable category above an expected code, returned as needs_documentation (a
query for the missing detail, not a wrong code); otherwise *wrong*, with the error type of the
trap it fell into, or one worked out from the code set (see ``evals/real/README.md``).
Everything works on plain results, so the measures are tested on hand-built answers.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from scribeplugin.evaluation.metrics import PRF, GotCode, GotGuardAction, percentile
from scribeplugin.evaluation.real.labels import ASSERTION_ERRORS, Label

Verdict = Literal["right", "partial", "wrong"]
Describe = Callable[[str], str | None]
# Confidence bins of the reliability table: [low, high).
BINS: tuple[tuple[float, float], ...] = ((0.0, 0.5), (0.5, 0.7), (0.7, 0.85), (0.85, 1.01))


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GotPrompt(_Model):
    id: str
    code: str | None = None
    axis: str | None = None


class CodeVerdict(_Model):
    code: str
    status: str
    billable: bool
    confidence: float
    verdict: Verdict
    error: str | None = None  # the error type of a wrong code
    region: str = "other"  # the body region the code is about (regions.yaml)


class ProblemVerdict(_Model):
    region: str
    basis: str
    codes: list[str]
    recalled: bool  # one of its codes was returned
    family: bool  # a code of its family was returned
    asked: bool  # its family returned as needs_documentation with a prompt on its axis

    @property
    def exact_or_asked(self) -> bool:
        return self.recalled or self.asked


class EncounterResult(_Model):
    id: str
    split: Literal["dev", "check"]
    msk: bool
    chief_complaint: str = ""
    codes: list[GotCode] = Field(default_factory=list)
    prompts: list[GotPrompt] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    guard: list[GotGuardAction] = Field(default_factory=list)
    grounding: dict[str, list[str]] = Field(default_factory=dict)
    latency_ms: float = 0.0
    error: str | None = None
    verdicts: list[CodeVerdict] = Field(default_factory=list)
    problems: list[ProblemVerdict] = Field(default_factory=list)

    @property
    def wrong(self) -> list[CodeVerdict]:
        return [v for v in self.verdicts if v.verdict == "wrong"]

    @property
    def missed(self) -> list[ProblemVerdict]:
        return [p for p in self.problems if not p.recalled]

    @property
    def clean(self) -> bool:
        return not self.error and not self.wrong and not self.missed


# -- body regions of codes -----------------------------------------------------------------------


class RegionRules:
    """``evals/real/regions.yaml``: the body region a code is about, by prefix or description."""

    def __init__(self, rules: list[tuple[str, tuple[str, ...], re.Pattern[str] | None]]) -> None:
        self.rules = rules

    @classmethod
    def load(cls, path: Path) -> RegionRules:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        rules = []
        for r in data["rules"]:
            prefixes = tuple(p.replace(".", "") for p in r.get("prefixes", ()))
            words = r.get("words")
            rules.append((r["region"], prefixes, re.compile("|".join(words)) if words else None))
        return cls(rules)

    def region(self, code: str, description: str | None) -> str:
        bare, text = code.replace(".", ""), (description or "").lower()
        for region, prefixes, words in self.rules:
            if prefixes and bare.startswith(prefixes):
                return region
            if words is not None and words.search(text):
                return region
        return "other"


_SIDE = re.compile(r"\b(right|left|bilateral|unspecified)\b")


def _side(description: str | None) -> str | None:
    found = _SIDE.findall((description or "").lower())
    return found[-1] if found else None


# -- one encounter -------------------------------------------------------------------------------


def judge(
    result: EncounterResult, label: Label, describe: Describe, regions: RegionRules
) -> EncounterResult:
    """Each returned code's verdict and each labelled problem's."""
    right = set(label.all_codes())
    verdicts = []
    for c in result.codes:
        region = regions.region(c.code, describe(c.code))
        if c.code in right:
            v = CodeVerdict(**c.model_dump(), verdict="right", region=region)
        elif not c.billable and c.status == "needs_documentation" and _above(c.code, label):
            v = CodeVerdict(**c.model_dump(), verdict="partial", region=region)
        else:
            error = _error_type(c.code, label, describe, regions, region)
            v = CodeVerdict(**c.model_dump(), verdict="wrong", error=error, region=region)
        verdicts.append(v)
    got = {c.code for c in result.codes}
    problems = []
    for p in label.problems:
        family = [c for c in result.codes if p.in_family(c.code)]
        asked = bool(p.axis) and any(
            c.status == "needs_documentation"
            and any(pr.axis == p.axis and pr.code in (c.code, None) for pr in result.prompts)
            for c in family
        )
        problems.append(
            ProblemVerdict(
                region=p.region,
                basis=p.basis,
                codes=p.codes,
                recalled=bool(got & set(p.codes)),
                family=bool(family),
                asked=asked,
            )
        )
    return result.model_copy(update={"verdicts": verdicts, "problems": problems})


def _above(code: str, label: Label) -> bool:
    bare = code.replace(".", "")
    return any(c.replace(".", "").startswith(bare) for p in label.problems for c in p.codes)


def _error_type(
    code: str, label: Label, describe: Describe, regions: RegionRules, region: str
) -> str:
    trap = label.trap_for(code)
    if trap is not None:
        return trap.error
    for p in label.problems:
        if not (p.in_family(code) or code.split(".")[0] == p.codes[0].split(".")[0]):
            continue
        if len(code) == 8 and any(len(c) == 8 and c[:7] == code[:7] for c in p.codes):
            return "wrong_7th"
        mine = _side(describe(code))
        if mine and all(_side(describe(c)) not in (None, mine) for c in p.codes):
            return "wrong_laterality"
        return "wrong_specificity"
    if not label.msk:
        return "spurious"
    if region not in {p.region for p in label.problems}:
        return "wrong_region"
    return "unlabelled"


# -- a run ---------------------------------------------------------------------------------------


def _rate(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


class Tally(_Model):
    """A count out of a total, with the share."""

    n: int = 0
    of: int = 0

    @property
    def rate(self) -> float | None:
        return _rate(self.n, self.of)

    def add(self, hit: bool) -> None:
        self.of += 1
        self.n += hit


class RegionRow(_Model):
    problems: int = 0
    recalled: int = 0
    family: int = 0
    exact_or_asked: int = 0
    wrong_codes: int = 0  # wrong codes about this region, in any visit


class BinRow(_Model):
    low: float
    high: float
    codes: int = 0
    right: int = 0
    partial: int = 0
    suggested: int = 0
    suggested_right: int = 0


class RealMetrics(_Model):
    encounters: int
    errors: int
    msk_visits: int
    silent_visits: Tally  # visits with no musculoskeletal problem that got no code
    suggested: Tally  # suggested codes that are right
    problems: Tally  # problems recalled
    family: Tally
    exact_or_asked: Tally
    spine: Tally
    withheld: Tally  # uncertain diagnoses withheld whose symptom code was given
    code_exact: dict[str, float | int | None]
    assertion_errors: int  # codes resting on a negated, uncertain, history, family, ROS... mention
    wrong_codes: int
    error_types: dict[str, int]
    error_examples: dict[str, list[str]]
    regions: dict[str, RegionRow]
    reliability: list[BinRow]
    grounding: Tally
    latency_ms: dict[str, float | None]

    def gate_values(self) -> dict[str, float | int | None]:
        return {
            "suggested_precision": self.suggested.rate,
            "problem_recall": self.problems.rate,
            "family_rate": self.family.rate,
            "exact_or_asked_rate": self.exact_or_asked.rate,
            "spine_recall": self.spine.rate,
            "withheld_symptom_rate": self.withheld.rate,
            "silence_rate": self.silent_visits.rate,
            "assertion_errors": self.assertion_errors,
            "wrong_codes": self.wrong_codes,
            "code_f1": self.code_exact["f1"],
            "grounding_rate": self.grounding.rate,
            "errors": self.errors,
        }


GATE_METRICS = (
    "suggested_precision", "problem_recall", "family_rate", "exact_or_asked_rate",
    "spine_recall", "withheld_symptom_rate", "silence_rate", "assertion_errors", "wrong_codes",
    "code_f1", "grounding_rate", "errors",
)  # fmt: skip


def compute(results: Sequence[EncounterResult]) -> RealMetrics:
    ok = [r for r in results if r.error is None]
    silent, suggested, problems, family, exact, spine, withheld, grounding = (
        Tally() for _ in range(8)
    )
    exact_prf = PRF()
    errors: Counter[str] = Counter()
    examples: dict[str, list[str]] = defaultdict(list)
    regions: dict[str, RegionRow] = defaultdict(RegionRow)
    bins = [BinRow(low=lo, high=hi) for lo, hi in BINS]
    for r in ok:
        if not r.msk:
            silent.add(not r.codes)
        for v in r.verdicts:
            if v.status == "suggested":
                suggested.add(v.verdict == "right")
            if v.billable:
                exact_prf.tp += v.verdict == "right"
                exact_prf.fp += v.verdict == "wrong"
            if v.verdict == "wrong":
                errors[v.error or "unlabelled"] += 1
                examples[v.error or "unlabelled"].append(f"{r.id}:{v.code}")
                regions[v.region].wrong_codes += 1
            b = next(b for b in bins if b.low <= v.confidence < b.high)
            b.codes += 1
            b.right += v.verdict == "right"
            b.partial += v.verdict == "partial"
            b.suggested += v.status == "suggested"
            b.suggested_right += v.status == "suggested" and v.verdict == "right"
        for p in r.problems:
            problems.add(p.recalled)
            family.add(p.family)
            exact.add(p.exact_or_asked)
            exact_prf.fn += not p.recalled
            if p.region == "spine":
                spine.add(p.recalled)
            if p.basis == "symptom_for_uncertain":
                withheld.add(p.recalled)
            row = regions[p.region]
            row.problems += 1
            row.recalled += p.recalled
            row.family += p.family
            row.exact_or_asked += p.exact_or_asked
        for issues in r.grounding.values():
            grounding.add(not issues)
    latencies = [r.latency_ms for r in ok]
    return RealMetrics(
        encounters=len(results),
        errors=len(results) - len(ok),
        msk_visits=sum(r.msk for r in ok),
        silent_visits=silent,
        suggested=suggested,
        problems=problems,
        family=family,
        exact_or_asked=exact,
        spine=spine,
        withheld=withheld,
        code_exact=exact_prf.summary(),
        assertion_errors=sum(n for e, n in errors.items() if e in ASSERTION_ERRORS),
        wrong_codes=sum(errors.values()),
        error_types=dict(errors.most_common()),
        error_examples={k: v[:12] for k, v in examples.items()},
        regions=dict(sorted(regions.items())),
        reliability=bins,
        grounding=grounding,
        latency_ms={"p50": percentile(latencies, 50), "p95": percentile(latencies, 95)},
    )


def by_split(results: Iterable[EncounterResult]) -> dict[str, RealMetrics]:
    """Measures of ``dev``, ``check`` and both together (``all``), for the splits present."""
    results = list(results)
    out = {
        split: compute([r for r in results if r.split == split])
        for split in ("dev", "check")
        if any(r.split == split for r in results)
    }
    out["all"] = compute(results)
    return out
