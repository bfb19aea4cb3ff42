"""``scribeplugin eval --suite negex``: run the check, write ``run.json`` and ``report.md``, print
the summary table (``--json``: the run, as ``run.json`` holds it). Exit 0 when every bound of
``evals/negex/thresholds.yaml`` (or ``--thresholds``) holds on the project's figures, 1 when one
is broken (named), 2 when the annotations or the thresholds are absent or malformed (the message
names the file)."""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from scribeplugin.config import PROJECT_ROOT, Settings
from scribeplugin.evaluation.metrics import Bound, GateCheck
from scribeplugin.evaluation.negex.data import (
    LABEL_TITLES,
    LABELS,
    default_path,
    load_rows,
)
from scribeplugin.evaluation.negex.gate import DEFAULT_THRESHOLDS, check, load_thresholds
from scribeplugin.evaluation.negex.score import CLASSES, LabelScore, Scores, evaluate
from scribeplugin.evaluation.negex.systems import DefaultContext, ProjectContext

SYSTEMS = ("project", "default")
_CLASS_TITLES = {"affirmed": "affirmed", **LABEL_TITLES}


class NegexRun(BaseModel):
    model_config = ConfigDict(extra="forbid")
    schema_version: Literal[1] = 1
    suite: Literal["negex"] = "negex"
    created_at: str
    duration_s: float
    git_commit: str
    git_dirty: bool | None
    machine: str
    medspacy: str
    data_file: str
    data_sha256: str
    stand_in_concept: str  # the condition concept the project reads each target as
    thresholds_file: str
    passed: bool
    gate: list[GateCheck]  # the bounds on the project's figures
    scores: Scores


# -- formatting ----------------------------------------------------------------------------------


def _rate(v: float | None) -> str:
    return "n/a" if v is None else f"{v:.1%}"


def _pair(p: float | None, d: float | None) -> str:
    return f"{_rate(p)} / {_rate(d)}"


def _table(head: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    return out + ["| " + " | ".join(r) + " |" for r in rows]


def summary_table(run: NegexRun) -> list[str]:
    """Per label, the project's figure beside the default's ("project / default")."""
    s = run.scores
    p, d = s.systems["project"], s.systems["default"]
    rows = []
    for n in LABELS:
        lp, ld = p.labels[n], d.labels[n]
        rows.append(
            [LABEL_TITLES[n], str(lp.tp + lp.fn), _pair(lp.precision, ld.precision),
             _pair(lp.recall, ld.recall), _pair(lp.f1, ld.f1), _pair(lp.accuracy, ld.accuracy)]
        )  # fmt: skip
    rows.append(["one assertion per row", str(s.scored), "", "", "",
                 _pair(p.class_accuracy, d.class_accuracy)])  # fmt: skip
    rows.append(["all four labels right", str(s.scored), "", "", "",
                 _pair(p.agreement, d.agreement)])  # fmt: skip
    head = ["label (project / default)", "in the set", "precision", "recall", "F1", "accuracy"]
    return _table(head, rows)


def confusion_table(table: dict[str, dict[str, int]]) -> list[str]:
    """Rows: the annotated class; columns: the system's."""
    head = ["annotated \\ read as", *(_CLASS_TITLES[c] for c in CLASSES), "total"]
    rows = [
        [_CLASS_TITLES[g], *(str(table[g][c]) for c in CLASSES), str(sum(table[g].values()))]
        for g in CLASSES
    ]
    return _table(head, rows)


def _label_rows(lp: LabelScore, ld: LabelScore) -> list[list[str]]:
    def counts(x: LabelScore) -> str:
        return f"{x.tp} / {x.fp} / {x.fn} / {x.tn}"

    return [
        ["precision", _rate(lp.precision), _rate(ld.precision)],
        ["recall", _rate(lp.recall), _rate(ld.recall)],
        ["F1", _rate(lp.f1), _rate(ld.f1)],
        ["accuracy", _rate(lp.accuracy), _rate(ld.accuracy)],
        ["TP / FP / FN / TN", counts(lp), counts(ld)],
    ]


def _check_line(c: GateCheck) -> str:
    value = "n/a" if c.value is None else f"{c.value:.4f}"
    return f"- {'ok' if c.passed else 'BROKEN'}: {c.metric} {value} {c.op} {c.bound}"


def render_markdown(run: NegexRun) -> str:
    s = run.scores
    broken = [c.metric for c in run.gate if not c.passed]
    verdict = "PASS" if run.passed else f"FAIL ({', '.join(broken)})"
    lines = [
        f"# NegEx/ConText check: {verdict}",
        "",
        f"{run.created_at}, git {run.git_commit[:12]}{' (dirty)' if run.git_dirty else ''}, "
        f"medspaCy {run.medspacy}, {run.machine}, {run.duration_s:.0f} s.",
        f"`{run.data_file}` (sha256 {run.data_sha256[:12]}): {s.rows} rows, {s.scored} scored, "
        f"{len(s.not_found)} whose concept is not in its sentence.",
        "",
        "The project's ConText as extraction runs it (an unlabelled speaker; the target read as "
        f"a condition, `{run.stand_in_concept}`) beside medspaCy's default ConText, the "
        f"baseline. Gate: the bounds of `{run.thresholds_file}` on the project's figures.",
        "",
        "## Summary",
        "",
        *summary_table(run),
        "",
        "## Gate",
        "",
        *(_check_line(c) for c in run.gate),
    ]
    p, d = s.systems["project"], s.systems["default"]
    for n in LABELS:
        lp = p.labels[n]
        lines += ["", f"## {LABEL_TITLES[n]} ({lp.tp + lp.fn} of {s.scored} in the set)", ""]
        lines += _table(["", "project", "default"], _label_rows(lp, d.labels[n]))
    lines += [
        "",
        "## Confusion, one assertion per row",
        "",
        "Each row's labels made one class in extraction's order (other experiencer, then "
        "negated, then hypothetical, then historical, else affirmed).",
    ]
    for name, system in (("project", p), ("default", d)):
        lines += ["", f"### {name}: {_rate(system.class_accuracy)} right", ""]
        lines += confusion_table(system.confusion)
    same = s.systems_agree
    lines += [
        "",
        "## Agreement",
        "",
        f"- all four labels as annotated: project {_rate(p.agreement)} ({p.all_right}/"
        f"{s.scored}), default {_rate(d.agreement)} ({d.all_right}/{s.scored})",
        f"- the two systems give the same four labels: "
        f"{_rate(same / s.scored if s.scored else None)} ({same}/{s.scored})",
        f"- targets the project's units cut (read in the units joined): "
        f"{sum(r.units > 1 for r in s.results)}",
        "",
        "## Mapping",
        "",
        "- project: negated = NEGATED_EXISTENCE; historical = HISTORICAL (a problem said to "
        "have resolved included); hypothetical = a HYPOTHETICAL cue; other experiencer = "
        "FAMILY; all after the project's speaker-aware reading (`Mentions.reading`). "
        "POSSIBLE_EXISTENCE, GUESS and REPORTED (possible), ASSESSMENT and PLAN map to none.",
        "- default: NEGATED_EXISTENCE, HISTORICAL, HYPOTHETICAL, FAMILY; POSSIBLE_EXISTENCE to "
        "none.",
        "- the set: Negated; Historical; Not particular (hypothetical); Other or Family member.",
        "",
        "## Rows not scored",
        "",
    ]
    lines += [f"- {r.id}: {r.note or 'concept not found'}" for r in s.not_found] or ["none"]
    return "\n".join(lines) + "\n"


def write_reports(run: NegexRun, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "run.json", out / "report.md"]
    paths[0].write_text(run.model_dump_json(indent=2) + "\n", encoding="utf-8")
    paths[1].write_text(render_markdown(run), encoding="utf-8")
    return paths


# -- command -------------------------------------------------------------------------------------


def _shown(path: Path) -> str:
    """``path`` relative to the checkout when it is inside it."""
    try:
        return str(path.resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def run_negex(
    path: Path,
    gates: dict[str, Bound] | None = None,
    thresholds_file: Path = DEFAULT_THRESHOLDS,
    quiet: bool = True,
) -> NegexRun:
    """The check on the annotations at ``path``, gated by ``gates`` (default: those of
    ``thresholds_file``)."""
    from scribeplugin.evaluation.runner import git_state

    started = time.perf_counter()
    rows = load_rows(path)
    gates = load_thresholds(thresholds_file) if gates is None else gates
    project = ProjectContext()
    default = DefaultContext()

    def progress(n: int, of: int) -> None:
        if n % 500 == 0 or n == of:
            print(f"negex: {n}/{of} sentences", file=sys.stderr)

    scores = evaluate(rows, project, default, None if quiet else progress)
    checks = check(scores, gates)
    commit, dirty = git_state()
    return NegexRun(
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        duration_s=round(time.perf_counter() - started, 2),
        git_commit=commit,
        git_dirty=dirty,
        machine=f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        medspacy=version("medspacy"),
        data_file=path.name,
        data_sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
        stand_in_concept=project.concept,
        thresholds_file=_shown(thresholds_file),
        passed=all(c.passed for c in checks),
        gate=checks,
        scores=scores,
    )


def negex_eval_cli(
    settings: Settings, args: argparse.Namespace, out: Callable[[str], None] = print
) -> int:
    thresholds_arg = getattr(args, "thresholds", None)
    thresholds = Path(thresholds_arg) if thresholds_arg else DEFAULT_THRESHOLDS
    as_json = bool(getattr(args, "json", False))
    run = run_negex(
        default_path(settings.external_dir),
        thresholds_file=thresholds,
        quiet=as_json or bool(getattr(args, "quiet", False)),
    )
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out_arg = getattr(args, "out", None)
    out_dir = Path(out_arg) if out_arg else settings.data_dir / "evals" / f"negex-{stamp}"
    paths = write_reports(run, out_dir)
    if as_json:
        out(run.model_dump_json(indent=2))
    else:
        out("\n".join(summary_table(run)))
        broken = [_check_line(c)[2:] for c in run.gate if not c.passed]
        out("gate: " + ("PASS" if run.passed else "FAIL: " + "; ".join(broken)))
    where = f"reports: {', '.join(str(p) for p in paths)}"
    if as_json:
        print(where, file=sys.stderr)
    else:
        out(where)
    return 0 if run.passed else 1
