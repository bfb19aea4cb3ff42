"""What the engine said for a case and what the case expected (``CaseResult``), and the models
of a run's metrics.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from scribeplugin.evaluation.cases import Expect


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
