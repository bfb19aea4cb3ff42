"""The record of a run: ``run.json`` (``schema_version`` 1) as pydantic models, and its reading.

``run.json`` is the machine-readable record: the code-set release, the corpus version, the
engine, the git commit, the thresholds, the gate, every metric and every case with its one-line
verdict. ``load_run`` refuses a file of another schema with a message that says what to do.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from scribeplugin.errors import ScribeError
from scribeplugin.evaluation.metrics import Bound, CaseResult, GateCheck, Metrics

SCHEMA_VERSION = 1  # RunReport.schema_version: bump with any incompatible change


class ReportError(ScribeError):
    """A run.json that cannot be read or is of another schema."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EngineRecord(_Model):
    drafter: str
    model: str | None = None
    prompt_version: str | None = None
    index_id: str
    guard_enabled: bool = True
    jobs: int = 1
    llm_cache_dir: str | None = None
    llm_cache_bypass: bool = False


class Gate(_Model):
    passed: bool
    checks: list[GateCheck]
    failing_cases: list[str] = Field(default_factory=list)


class RunReport(_Model):
    schema_version: Literal[1] = 1
    created_at: str
    duration_s: float
    warm_up_ms: float
    code_set: str
    corpus_version: int | str
    corpus_name: str
    engine: EngineRecord
    git_commit: str
    git_dirty: bool | None = None
    cases_dir: str
    thresholds: dict[str, Bound]
    gate: Gate
    metrics: Metrics
    cases: list[CaseResult]


def load_run(path: Path) -> RunReport:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReportError(f"{path}: cannot read a run.json ({exc})") from exc
    version = data.get("schema_version") if isinstance(data, dict) else None
    if version != SCHEMA_VERSION:
        raise ReportError(
            f"{path}: schema_version {version!r} is not {SCHEMA_VERSION}; re-run the eval with "
            "this version of scribeplugin to compare"
        )
    try:
        return RunReport.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(map(str, err["loc"]))
        raise ReportError(f"{path}: not a valid run.json ({where}: {err['msg']})") from exc
