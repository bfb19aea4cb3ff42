"""Reports of a real-visit run: ``run.json``, ``report.md`` (its ``## Summary`` first, as the
stop hook and a QA lead read it) and ``report.html`` (a Jinja template with autoescape: labels
and answers are text from outside and are never trusted as markup). ``compare`` diffs two runs
encounter by encounter.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Literal

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from scribeplugin.evaluation.metrics import Bound, GateCheck
from scribeplugin.evaluation.real.score import EncounterResult, RealMetrics, Tally
from scribeplugin.evaluation.report import EngineRecord, ReportError


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RealGate(_Model):
    passed: bool
    checks: dict[str, list[GateCheck]]  # split -> checks


class RealRun(_Model):
    schema_version: Literal[1] = 1
    suite: Literal["real"] = "real"
    created_at: str
    duration_s: float
    code_set: str
    corpus_version: int | str
    engine: EngineRecord
    git_commit: str
    git_dirty: bool | None
    split: str
    thresholds: dict[str, dict[str, Bound]] = Field(default_factory=dict)
    gate: RealGate
    metrics: dict[str, RealMetrics]
    encounters: list[EncounterResult]


def write_reports(run: RealRun, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "run.json", out / "report.md", out / "report.html"]
    paths[0].write_text(run.model_dump_json(indent=2) + "\n", encoding="utf-8")
    paths[1].write_text(render_markdown(run), encoding="utf-8")
    paths[2].write_text(render_html(run), encoding="utf-8")
    return paths


def load_run(path: Path) -> RealRun:
    try:
        return RealRun.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, json.JSONDecodeError, ValidationError) as exc:
        raise ReportError(f"{path}: not a real-visit run.json of this version ({exc})") from exc


# -- formatting ----------------------------------------------------------------------------------


def tally(t: Tally) -> str:
    return "n/a" if t.rate is None else f"{t.rate:.1%} ({t.n}/{t.of})"


COUNTS = frozenset({"assertion_errors", "wrong_codes", "errors"})


def num(v: float | int | None, metric: str = "") -> str:
    """A rate as a percentage, a count (``COUNTS``, or any int) as a number."""
    if v is None:
        return "n/a"
    if metric in COUNTS or isinstance(v, int):
        return str(int(v))
    return f"{v:.1%}"


def summary_rows(run: RealRun) -> list[tuple[str, list[str]]]:
    """(measure, one cell per split) rows of the summary table."""
    ms = list(run.metrics.values())

    def row(name: str, cells: Iterable[str]) -> tuple[str, list[str]]:
        return name, list(cells)

    return [
        row("`suggested` codes right", (tally(m.suggested) for m in ms)),
        row("problems recalled (exact code)", (tally(m.problems) for m in ms)),
        row("right family", (tally(m.family) for m in ms)),
        row("exact, or asked on the open axis", (tally(m.exact_or_asked) for m in ms)),
        row("spine problems recalled", (tally(m.spine) for m in ms)),
        row("withheld uncertain dx: symptom coded", (tally(m.withheld) for m in ms)),
        row("codes on negated/uncertain/history/family/ROS/imaging",
            (str(m.assertion_errors) for m in ms)),
        row("wrong codes (any status)", (str(m.wrong_codes) for m in ms)),
        row("silent on visits without an MSK problem", (tally(m.silent_visits) for m in ms)),
        row("code F1 (billable, exact)", (num(m.code_exact["f1"]) for m in ms)),
        row("grounded codes", (tally(m.grounding) for m in ms)),
    ]  # fmt: skip


def _table(head: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(str(c).replace("|", "\\|") for c in r) + " |" for r in rows]
    return out


def _pct(n: int, of: int) -> str:
    return f"{n / of:.0%} ({n}/{of})" if of else "n/a"


def render_markdown(run: RealRun) -> str:
    splits = list(run.metrics)
    lines = [
        f"# Real-visit suite ({run.split}): {'PASS' if run.gate.passed else 'FAIL'}",
        "",
        f"{run.created_at}, git {run.git_commit[:12]}{' (dirty)' if run.git_dirty else ''}, "
        f"{run.code_set}, corpus v{run.corpus_version}, {run.engine.drafter} drafter"
        f"{', guard OFF' if not run.engine.guard_enabled else ''}.",
        "",
        "## Summary",
        "",
    ]
    header = ["measure", *[f"{s} ({run.metrics[s].encounters})" for s in splits]]
    lines += _table(header, ([name, *cells] for name, cells in summary_rows(run)))
    lines += ["", "## Gate", ""]
    for split, checks in run.gate.checks.items():
        for c in checks:
            mark = "ok" if c.passed else "**FAIL**"
            lines.append(
                f"- {mark} {split} {c.metric} {c.op} {num(c.bound, c.metric)}: "
                f"{num(c.value, c.metric)}"
            )
    for split in splits:
        m = run.metrics[split]
        lines += ["", f"## Per region ({split})", ""]
        lines += _table(
            ["region", "problems", "recalled", "right family", "exact or asked", "wrong codes"],
            (
                [r, str(x.problems), _pct(x.recalled, x.problems), _pct(x.family, x.problems),
                 _pct(x.exact_or_asked, x.problems), str(x.wrong_codes)]
                for r, x in m.regions.items()
            ),
        )  # fmt: skip
    for split in splits:
        m = run.metrics[split]
        lines += ["", f"## Error types ({split})", ""]
        lines += _table(
            ["error", "codes", "examples"],
            ([e, str(n), ", ".join(m.error_examples.get(e, []))] for e, n in m.error_types.items()),
        )
    for split in splits:
        m = run.metrics[split]
        lines += ["", f"## Confidence reliability ({split})", ""]
        lines += _table(
            ["confidence", "codes", "right", "partial", "suggested", "suggested right"],
            (
                [f"{b.low:.2f}-{min(b.high, 1.0):.2f}", str(b.codes), _pct(b.right, b.codes),
                 str(b.partial), str(b.suggested), _pct(b.suggested_right, b.suggested)]
                for b in m.reliability
            ),
        )  # fmt: skip
    lines += ["", "## Encounters with a wrong or missed code", ""]
    rows = []
    for r in run.encounters:
        if r.clean:
            continue
        wrong = ", ".join(f"{v.code} {v.status[:4]} ({v.error})" for v in r.wrong)
        missed = ", ".join("/".join(p.codes) for p in r.missed)
        rows.append([r.id, r.split, r.chief_complaint, r.error or wrong, missed])
    lines += _table(["visit", "split", "complaint", "wrong", "missed"], rows) if rows else ["none"]
    return "\n".join(lines) + "\n"


_ENV = Environment(
    loader=PackageLoader("scribeplugin.evaluation", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html", "jinja"), default=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def render_html(run: RealRun) -> str:
    return _ENV.get_template("real_report.html.jinja").render(
        run=run, summary=summary_rows(run), pct=_pct, num=num
    )


# -- comparison ----------------------------------------------------------------------------------


def compare(before: RealRun, after: RealRun) -> str:
    """What changed, encounter by encounter, and the summary figures before and after."""
    old = {r.id: r for r in before.encounters}
    lines = [f"# Real-visit suite: {before.git_commit[:12]} -> {after.git_commit[:12]}", ""]
    for split in after.metrics:
        if split not in before.metrics:
            continue
        a, b = before.metrics[split].gate_values(), after.metrics[split].gate_values()
        lines.append(
            f"- {split}: "
            + "; ".join(f"{k} {num(a[k], k)} -> {num(b[k], k)}" for k in a if a[k] != b[k])
        )
    lines += ["", "| visit | split | before | after |", "|---|---|---|---|"]
    for r in after.encounters:
        o = old.get(r.id)
        if o is None:
            continue
        was = _codes(o)
        now = _codes(r)
        if was != now:
            lines.append(f"| {r.id} | {r.split} | {was or '-'} | {now or '-'} |")
    return "\n".join(lines) + "\n"


def _codes(r: EncounterResult) -> str:
    return ", ".join(
        f"{v.code}{'' if v.status == 'suggested' else '?'}{'' if v.verdict != 'wrong' else ' x'}"
        for v in r.verdicts
    )
