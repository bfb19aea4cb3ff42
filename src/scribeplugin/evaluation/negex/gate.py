"""The gate of the NegEx/ConText check: ``evals/negex/thresholds.yaml``, a bound per figure of
the project's reading (:data:`score.GATE_METRICS`), each the level measured when it was last
raised. medspaCy's default is the baseline the report shows beside the project, not a gate: on
historical and other experiencer the default is ahead by a few rows (see the report)."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from scribeplugin.config import PROJECT_ROOT
from scribeplugin.evaluation.metrics import Bound, GateCheck, check_bounds
from scribeplugin.evaluation.negex.data import NegexDataError
from scribeplugin.evaluation.negex.score import GATE_METRICS, Scores

DEFAULT_THRESHOLDS = PROJECT_ROOT / "evals" / "negex" / "thresholds.yaml"


class NegexThresholds(BaseModel):
    """``evals/negex/thresholds.yaml``: a bound per metric; an unknown metric name is an error."""

    model_config = ConfigDict(extra="forbid")
    gates: dict[str, Bound]

    @model_validator(mode="after")
    def _known(self) -> NegexThresholds:
        unknown = sorted(set(self.gates) - set(GATE_METRICS))
        if unknown:
            raise ValueError(
                f"unknown metric(s) {', '.join(unknown)}; known: {', '.join(GATE_METRICS)}"
            )
        for name, b in self.gates.items():
            if b.min is None and b.max is None:
                raise ValueError(f"gate {name} needs min or max")
        return self


def load_thresholds(path: Path = DEFAULT_THRESHOLDS) -> dict[str, Bound]:
    """The bounds of ``path``; :class:`NegexDataError` naming the file (and key) otherwise."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return NegexThresholds.model_validate(data).gates
    except (OSError, yaml.YAMLError) as exc:
        raise NegexDataError(f"{path}: cannot read the NegEx/ConText gates ({exc})") from exc
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(map(str, err["loc"])) or "file"
        raise NegexDataError(f"{path}: {where}: {err['msg']}") from exc


def check(scores: Scores, gates: dict[str, Bound]) -> list[GateCheck]:
    """One check per bound, on the project's figures. A figure with nothing to measure (None:
    the project never gave the label) fails a minimum."""
    return check_bounds(scores.systems["project"].gate_values(), gates)
