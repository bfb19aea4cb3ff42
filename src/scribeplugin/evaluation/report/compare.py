"""Run comparison: per-case regressions, improvements, changed answers, added and removed cases,
and every gate metric before and after, rendered as Markdown.
"""

from __future__ import annotations

from typing import Literal

from scribeplugin.evaluation.metrics import CaseResult
from scribeplugin.evaluation.report.record import RunReport, _Model
from scribeplugin.evaluation.report.text import _PCT, _got, _md_table, fmt_metric


class CaseChange(_Model):
    id: str
    kind: Literal["regression", "improvement", "changed", "added", "removed"]
    before: str
    after: str


class Comparison(_Model):
    before: str
    after: str
    metrics: dict[str, tuple[float | int | None, float | int | None]]
    changes: list[CaseChange]

    @property
    def regressions(self) -> list[CaseChange]:
        return [c for c in self.changes if c.kind == "regression"]

    @property
    def improvements(self) -> list[CaseChange]:
        return [c for c in self.changes if c.kind == "improvement"]


def _state(r: CaseResult) -> str:
    verdict = "pass" if r.passed else f"FAIL ({r.explanation})"
    return f"{verdict}; codes {_got(r)}"


def compare_runs(before: RunReport, after: RunReport) -> Comparison:
    """Per-case regressions (pass -> fail), improvements (fail -> pass), changed answers, and
    cases added or removed; every gate metric before and after."""
    old = {r.id: r for r in before.cases}
    new = {r.id: r for r in after.cases}
    changes: list[CaseChange] = []
    for cid, r in new.items():
        o = old.get(cid)
        if o is None:
            changes.append(CaseChange(id=cid, kind="added", before="-", after=_state(r)))
        elif o.passed and not r.passed:
            changes.append(CaseChange(id=cid, kind="regression", before=_state(o), after=_state(r)))
        elif r.passed and not o.passed:
            changes.append(
                CaseChange(id=cid, kind="improvement", before=_state(o), after=_state(r))
            )
        elif (o.got, o.prompts, o.warnings, o.reasons) != (r.got, r.prompts, r.warnings, r.reasons):
            changes.append(CaseChange(id=cid, kind="changed", before=_state(o), after=_state(r)))
    changes += [
        CaseChange(id=cid, kind="removed", before=_state(o), after="-")
        for cid, o in old.items()
        if cid not in new
    ]
    order = {"regression": 0, "improvement": 1, "changed": 2, "added": 3, "removed": 4}
    changes.sort(key=lambda c: (order[c.kind], c.id))
    a, b = before.metrics.gate_values(), after.metrics.gate_values()
    return Comparison(
        before=f"{before.created_at} (git {before.git_commit[:12]}, {before.engine.drafter})",
        after=f"{after.created_at} (git {after.git_commit[:12]}, {after.engine.drafter})",
        metrics={k: (a[k], b[k]) for k in b},
        changes=changes,
    )


def render_comparison(c: Comparison) -> str:
    lines = [
        "# scribeplugin eval: comparison",
        "",
        f"before: {c.before}",
        f"after:  {c.after}",
        "",
        f"{len(c.regressions)} regression(s), {len(c.improvements)} improvement(s), "
        f"{sum(x.kind == 'changed' for x in c.changes)} changed, "
        f"{sum(x.kind == 'added' for x in c.changes)} added, "
        f"{sum(x.kind == 'removed' for x in c.changes)} removed",
        "",
        "## Metrics",
        "",
        *_md_table(
            ["metric", "before", "after", "change"],
            (
                [k, fmt_metric(k, a), fmt_metric(k, b), _delta(k, a, b)]
                for k, (a, b) in c.metrics.items()
            ),
        ),
    ]
    for kind, title in (
        ("regression", "Regressions"),
        ("improvement", "Improvements"),
        ("changed", "Changed answers"),
        ("added", "Added cases"),
        ("removed", "Removed cases"),
    ):
        group = [x for x in c.changes if x.kind == kind]
        if group:
            lines += ["", f"## {title} ({len(group)})", ""]
            lines += _md_table(
                ["case", "before", "after"], ([x.id, x.before, x.after] for x in group)
            )
    return "\n".join(lines) + "\n"


def _delta(name: str, a: float | int | None, b: float | int | None) -> str:
    if a is None or b is None or a == b:
        return ""
    d = b - a
    if name in _PCT:
        return f"{d * 100:+.1f} pt"
    return f"{d:+g}"
