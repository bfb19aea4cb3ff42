"""``scribeplugin eval --suite real``: the real encounters through the pipeline the API uses.

Labels from ``evals/real/labels/``, the split from ``evals/real/split.yaml``, gates from
``evals/real/thresholds.yaml`` (one set per split), the transcripts from
``<external_dir>/aci_dev.jsonl``. Exit codes as for the synthetic suite: 0 every gate holds,
1 a gate fails, 2 bad labels or setup (the message says which file, or where the encounters were
looked for).
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from scribeplugin.config import Settings
from scribeplugin.evaluation.metrics import Bound, GotCode, GotGuardAction, check_bounds
from scribeplugin.evaluation.real.labels import (
    Encounter,
    Label,
    LabelError,
    check_labels,
    load_encounters,
    load_labels,
    load_split,
    split_of,
)
from scribeplugin.evaluation.real.report import RealGate, RealRun, compare, load_run, write_reports
from scribeplugin.evaluation.real.score import (
    GATE_METRICS,
    EncounterResult,
    GotPrompt,
    RegionRules,
    by_split,
    judge,
)
from scribeplugin.evaluation.report import EngineRecord
from scribeplugin.evaluation.runner import (
    RecordingRetriever,
    build_pipeline,
    corpus_version,
    ensure_index,
    eval_settings,
    git_state,
)

if TYPE_CHECKING:
    from scribeplugin.pipeline import Pipeline

log = logging.getLogger(__name__)
SPLITS = ("dev", "check", "all")


class _Thresholds(BaseModel):
    """``evals/real/thresholds.yaml``: bounds per split (``dev``, ``check``, ``all``)."""

    model_config = ConfigDict(extra="forbid")
    gates: dict[str, dict[str, Bound]]

    @model_validator(mode="after")
    def _known(self) -> _Thresholds:
        for split, bounds in self.gates.items():
            if split not in SPLITS:
                raise ValueError(f"unknown split {split!r}; known: {', '.join(SPLITS)}")
            unknown = sorted(set(bounds) - set(GATE_METRICS))
            if unknown:
                raise ValueError(
                    f"unknown metric(s) {', '.join(unknown)}; known: {', '.join(GATE_METRICS)}"
                )
        return self


def load_thresholds(path: Path) -> dict[str, dict[str, Bound]]:
    try:
        return _Thresholds.model_validate(yaml.safe_load(path.read_text(encoding="utf-8"))).gates
    except (OSError, yaml.YAMLError) as exc:
        raise LabelError(f"{path}: cannot read the real-suite gates ({exc})") from exc
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(map(str, err["loc"])) or "file"
        raise LabelError(f"{path}: {where}: {err['msg']}") from exc


def run_encounter(
    pipeline: Pipeline,
    recorder: RecordingRetriever,
    enc: Encounter,
    label: Label,
    split: Literal["dev", "check"],
) -> EncounterResult:
    """One encounter through ``Pipeline.suggest``; a crash fails the encounter, not the run."""
    from scribeplugin.extract.transcript import parse_transcript
    from scribeplugin.guard import assert_invariants

    base = EncounterResult(
        id=enc.id,
        split=split,
        msk=label.msk,
        chief_complaint=label.chief_complaint,
    )
    try:
        transcript = parse_transcript(
            enc.dialogue, max_chars=pipeline.settings.max_transcript_chars
        )
        recorder.start()
        t0 = time.perf_counter()
        response = pipeline.suggest(enc.dialogue, request_id=f"real-{enc.id}")
        latency = (time.perf_counter() - t0) * 1000
    except Exception as exc:  # an engine crash fails its encounter, not the run
        log.warning("encounter %s failed: %s", enc.id, type(exc).__name__, exc_info=True)
        return base.model_copy(update={"error": f"{type(exc).__name__}: {exc}"})
    retrieved = recorder.retrieved()
    return base.model_copy(
        update={
            "codes": [
                GotCode(code=c.code, status=c.status, billable=c.billable, confidence=c.confidence)
                for c in response.codes
            ],
            "prompts": [GotPrompt(id=p.id, code=p.code, axis=p.axis) for p in response.prompts],
            "warnings": [w.rule for w in response.warnings],
            "guard": [
                GotGuardAction(action=a.action, code=a.code, reason=a.reason)
                for a in response.guard
            ],
            "grounding": {
                s.code: assert_invariants([s], transcript.text, retrieved, pipeline.codeset)
                for s in response.codes
            },
            "latency_ms": round(latency, 2),
        }
    )


def real_eval_cli(
    settings: Settings, args: argparse.Namespace, out: Callable[[str], None] = print
) -> int:
    started = time.perf_counter()
    settings = eval_settings(settings, no_cache=bool(getattr(args, "no_cache", False)))
    real_dir = settings.evals_dir / "real"
    labels = load_labels(real_dir / "labels")
    _, check = load_split(real_dir / "split.yaml")
    wanted = getattr(args, "split", None) or "all"
    thresholds_arg = getattr(args, "thresholds", None)
    gates = load_thresholds(
        Path(thresholds_arg) if thresholds_arg else real_dir / "thresholds.yaml"
    )
    encounters = load_encounters(settings.external_dir)
    regions = RegionRules.load(real_dir / "regions.yaml")
    previous = load_run(Path(args.compare)) if getattr(args, "compare", None) else None

    ensure_index(settings)
    pipeline, recorder = build_pipeline(settings, guard=not getattr(args, "no_guard", False))
    problems = check_labels(labels, pipeline.codeset, encounters)
    if problems:
        raise LabelError(
            f"{len(problems)} problem(s) in the labels:\n  " + "\n  ".join(problems[:20])
        )
    pipeline.warm_up()

    chosen = [i for i in sorted(labels) if wanted == "all" or split_of(i, check) == wanted]
    describe = _describer(pipeline)
    results = []
    for n, eid in enumerate(chosen, 1):
        label = labels[eid]
        r = run_encounter(pipeline, recorder, encounters[eid], label, split_of(eid, check))
        results.append(judge(r, label, describe, regions))
        if not getattr(args, "quiet", False) and n % 20 == 0:
            print(f"eval: {n}/{len(chosen)} encounters", file=sys.stderr)
    metrics = by_split(results)
    checks = {
        split: check_bounds(metrics[split].gate_values(), bounds)
        for split, bounds in gates.items()
        if split in metrics
    }
    commit, dirty = git_state()
    version, _ = corpus_version(settings.corpus_dir)
    run = RealRun(
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        duration_s=round(time.perf_counter() - started, 2),
        code_set=pipeline.codeset.release.name,
        corpus_version=version,
        engine=EngineRecord(
            drafter=settings.drafter,
            index_id=pipeline.index_id,
            guard_enabled=not getattr(args, "no_guard", False),
        ),
        git_commit=commit,
        git_dirty=dirty,
        split=wanted,
        thresholds=gates,
        gate=RealGate(passed=all(c.passed for cs in checks.values() for c in cs), checks=checks),
        metrics=metrics,
        encounters=results,
    )
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out_dir = (
        Path(args.out)
        if getattr(args, "out", None)
        else settings.data_dir / "evals" / f"real-{stamp}"
    )
    paths = write_reports(run, out_dir)
    from scribeplugin.evaluation.real.report import render_markdown

    summary = render_markdown(run).split("## Gate")[0]
    out(summary.rstrip())
    failing = [
        f"{s} {c.metric} {c.op} {c.bound}: {c.value}"
        for s, cs in checks.items()
        for c in cs
        if not c.passed
    ]
    out("gate: " + ("PASS" if run.gate.passed else "FAIL: " + "; ".join(failing)))
    out(f"reports: {', '.join(str(p) for p in paths)}")
    if previous is not None:
        text = compare(previous, run)
        (out_dir / "compare.md").write_text(text, encoding="utf-8")
        out(text)
    return 0 if run.gate.passed else 1


def _describer(pipeline: Pipeline) -> Callable[[str], str | None]:
    def describe(code: str) -> str | None:
        entry = pipeline.codeset.get(code)
        return entry.description if entry else None

    return describe
