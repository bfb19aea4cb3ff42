"""The release gate: thresholds (``evals/thresholds.yaml``) and their checks against a run's
metrics.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from pydantic import model_validator

from scribeplugin.evaluation.metrics.results import (
    GATE_METRICS,
    Metrics,
    _Model,
)


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
