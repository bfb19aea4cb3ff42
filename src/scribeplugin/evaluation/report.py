"""Reports of a run: ``run.json`` (stable schema), ``report.md``, ``report.html``; run comparison.

``run.json`` is the machine-readable record (``schema_version`` 1): the code-set release, the
corpus version, the engine, the git commit, the thresholds, the gate, every metric and every
case with its one-line verdict. The Markdown and HTML reports are rendered from it alone, so an
old ``run.json`` can be re-rendered and compared. The HTML is one self-contained file: inline CSS
and SVG charts, no script, nothing fetched.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

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


# -- files ---------------------------------------------------------------------------------------


def write_reports(run: RunReport, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "run.json", out / "report.md", out / "report.html"]
    paths[0].write_text(run.model_dump_json(indent=2) + "\n", encoding="utf-8")
    paths[1].write_text(render_markdown(run), encoding="utf-8")
    paths[2].write_text(render_html(run), encoding="utf-8")
    return paths


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


# -- text helpers --------------------------------------------------------------------------------


def fmt(v: float | int | None, pct: bool = False) -> str:
    if v is None:
        return "n/a"
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, int):
        return str(v)
    if pct:
        return f"{v:.1%}"
    return f"{v:g}" if v == int(v) else f"{v:.3f}".rstrip("0").rstrip(".")


_PCT = {
    "pass_rate",
    "code_precision",
    "code_recall",
    "code_f1",
    "category_f1",
    "prompt_recall",
    "prompt_precision",
    "warning_recall",
    "grounding_rate",
    "abstention_accuracy",
    "fallback_rate",
}


def fmt_metric(name: str, v: float | int | None) -> str:
    return fmt(v, pct=name in _PCT)


def headline(run: RunReport) -> list[tuple[str, str]]:
    """The numbers a QA lead reads first, as (label, value)."""
    m = run.metrics
    ce, cc = m.code_exact, m.code_category
    return [
        ("Cases", f"{m.cases} ({m.passed} passed, {m.failed} failed, {m.errors} errors)"),
        (
            "Codes, exact: P / R / F1",
            f"{fmt(ce['precision'], True)} / {fmt(ce['recall'], True)} / {fmt(ce['f1'], True)}",
        ),
        (
            "Codes, category: P / R / F1",
            f"{fmt(cc['precision'], True)} / {fmt(cc['recall'], True)} / {fmt(cc['f1'], True)}",
        ),
        ("not_codes violations", str(m.not_codes_violations)),
        ("Prompt recall", f"{fmt(m.prompt_recall, True)} ({m.prompts_found}/{m.prompts_expected})"),
        (
            "Prompt precision",
            f"{fmt(m.prompt_precision, True)} (over {m.prompt_precision_cases} exact-list cases)",
        ),
        ("Prompts that should not appear", str(m.not_prompts_violations)),
        (
            "Warning recall",
            f"{fmt(m.warning_recall, True)} ({m.warnings_found}/{m.warnings_expected})",
        ),
        ("Warnings that should not appear", str(m.not_warnings_violations)),
        ("Grounding rate", f"{fmt(m.grounding_rate, True)} ({m.grounded}/{m.suggestions})"),
        (
            "Abstention accuracy",
            fmt(m.abstention_accuracy, True)
            + " (tp {tp}, fp {fp}, fn {fn}, tn {tn})".format(**m.abstention),
        ),
        ("Fallback (degraded) rate", fmt(m.fallback_rate, True)),
        (
            "Latency p50 / p95 / max",
            f"{fmt(m.latency_ms['p50'])} / {fmt(m.latency_ms['p95'])} / "
            f"{fmt(m.latency_ms['max'])} ms",
        ),
    ]


def _md_cell(s: str) -> str:
    return s.replace("|", "\\|").replace("\n", " ")


def _md_table(head: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    out = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    out += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in rows]
    return out


def _got(r: CaseResult) -> str:
    parts = [c.code + ("?" if c.status != "suggested" else "") for c in r.codes]
    return ", ".join(parts) or "-"


# -- markdown ------------------------------------------------------------------------------------


def render_markdown(run: RunReport) -> str:
    m = run.metrics
    verdict = "PASS" if run.gate.passed else "FAIL"
    lines = [
        f"# scribeplugin eval: {verdict}",
        "",
        f"{run.created_at} · drafter **{run.engine.drafter}**"
        + (f" ({run.engine.model}, prompt {run.engine.prompt_version})" if run.engine.model else "")
        + f" · {run.code_set} · corpus v{run.corpus_version} · git {run.git_commit[:12]}"
        + (" (uncommitted changes)" if run.git_dirty else "")
        + f" · guard {'on' if run.engine.guard_enabled else 'OFF'} · index {run.engine.index_id}"
        + f" · {run.duration_s:.1f} s, {run.engine.jobs} job(s)",
        "",
        "## Gate",
        "",
        *_md_table(
            ["metric", "bound", "value", ""],
            (
                [
                    c.metric,
                    f"{c.op} {fmt_metric(c.metric, c.bound)}",
                    fmt_metric(c.metric, c.value),
                    "ok" if c.passed else "**FAIL**",
                ]
                for c in run.gate.checks
            ),
        ),
        "",
        "## Summary",
        "",
        *_md_table(["metric", "value"], headline(run)),
        "",
    ]
    failing = [r for r in run.cases if not r.passed]
    lines += [f"## Failing cases ({len(failing)})", ""]
    if failing:
        lines += _md_table(["case", "why"], ([r.id, r.explanation] for r in failing))
    else:
        lines.append("None.")
    lines += ["", "## Code families (exact codes, by category)", ""]
    lines += _md_table(
        ["family", "tp", "fp", "fn", "precision", "recall", "F1"],
        (
            [
                fam,
                str(v["tp"]),
                str(v["fp"]),
                str(v["fn"]),
                fmt(v["precision"], True),
                fmt(v["recall"], True),
                fmt(v["f1"], True),
            ]
            for fam, v in m.families.items()
        ),
    )
    lines += [
        "",
        "## Region mix-ups",
        "",
        "Rows: the region of the expected code; columns: the region the engine coded in the "
        "same category ('missed': no code of that category).",
        "",
    ]
    cols = _region_columns(m.region_matrix)
    if cols:
        lines += _md_table(
            ["expected \\ got", *cols],
            (
                [row, *(str(m.region_matrix[row].get(c, 0) or "") for c in cols)]
                for row in m.region_matrix
            ),
        )
    if m.region_pairs:
        lines += [
            "",
            *_md_table(
                ["expected", "got", "count", "cases"],
                ([p.expected, p.got, str(p.count), ", ".join(p.cases)] for p in m.region_pairs),
            ),
        ]
    lines += ["", "## Guard", ""]
    if m.guard_actions:
        lines += _md_table(
            ["action: reason", "count"], ([k, str(v)] for k, v in m.guard_actions.items())
        )
    else:
        lines.append("The guard removed, downgraded or dropped nothing.")
    lines += [
        "",
        f"## All cases ({len(run.cases)})",
        "",
        "A `?` after a code: status `needs_documentation`.",
        "",
    ]
    lines += _md_table(
        ["case", "result", "expected", "got", "ms", "why"],
        (
            [
                r.id,
                "pass" if r.passed else "FAIL",
                ", ".join(r.expect.codes) or "-",
                _got(r),
                f"{r.latency_ms:.0f}",
                r.explanation if not r.passed else "",
            ]
            for r in run.cases
        ),
    )
    return "\n".join(lines) + "\n"


def _region_columns(matrix: dict[str, dict[str, int]]) -> list[str]:
    from scribeplugin.evaluation.metrics import REGIONS

    used = {c for row in matrix.values() for c in row} | set(matrix)
    return [r for r in REGIONS if r in used] + (["missed"] if "missed" in used else [])


# -- html ----------------------------------------------------------------------------------------

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;
max-width:1100px;color:#1d2330;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2rem;
border-bottom:1px solid #dde;padding-bottom:.2rem}
.meta{color:#556;font-size:.9rem}.pass{color:#17702e;font-weight:600}
.fail{color:#b3261e;font-weight:600}
table{border-collapse:collapse;margin:.5rem 0;width:100%}
th,td{border:1px solid #dde;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f4f8}td.num{text-align:right;font-variant-numeric:tabular-nums}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(210px,1fr));gap:.6rem}
.card{border:1px solid #dde;border-radius:6px;padding:.5rem .7rem}
.card .k{color:#556;font-size:.8rem}.card .v{font-size:1.15rem;font-weight:600}
code{font-size:.92em}details{margin:.5rem 0}summary{cursor:pointer}
svg text{font:12px system-ui,sans-serif}
"""


def _e(s: object) -> str:
    return html.escape(str(s))


def _color(v: float | None) -> str:
    if v is None:
        return "#999"
    return "#2e8540" if v >= 0.9 else "#d08a00" if v >= 0.7 else "#c0392b"


def svg_family_bars(families: dict[str, dict[str, Any]]) -> str:
    """Horizontal bars: F1 per code family (category), with tp/fp/fn."""
    rows = list(families.items())
    if not rows:
        return "<p>No codes expected or predicted.</p>"
    bar_h, gap, left, width = 18, 6, 60, 420
    h = len(rows) * (bar_h + gap) + 30
    parts = [
        f'<svg role="img" aria-label="F1 per code family" width="{left + width + 250}" '
        f'height="{h}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for x in (0, 0.5, 0.9, 1.0):
        gx = left + x * width
        parts.append(
            f'<line x1="{gx:.1f}" y1="0" x2="{gx:.1f}" y2="{h - 20}" stroke="#ccd" '
            f'stroke-dasharray="{"4 3" if x == 0.9 else "0"}"/>'
        )
        parts.append(f'<text x="{gx:.1f}" y="{h - 5}" text-anchor="middle">{x:g}</text>')
    for i, (fam, v) in enumerate(rows):
        y = i * (bar_h + gap) + 4
        f1 = v.get("f1")
        w = (f1 or 0) * width
        parts.append(f'<text x="{left - 6}" y="{y + 13}" text-anchor="end">{_e(fam)}</text>')
        parts.append(
            f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar_h}" '
            f'fill="{_color(f1)}"><title>{_e(fam)}: F1 {fmt(f1)}</title></rect>'
        )
        parts.append(
            f'<text x="{left + width + 6}" y="{y + 13}">F1 {fmt(f1)} '
            f"(tp {v['tp']}, fp {v['fp']}, fn {v['fn']})</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def svg_region_matrix(matrix: dict[str, dict[str, int]]) -> str:
    """Heat map: expected region (rows) against the region coded (columns)."""
    cols = _region_columns(matrix)
    rows = [r for r in cols if r in matrix]
    if not rows:
        return "<p>No regional codes expected.</p>"
    cell, left, top = 64, 130, 90
    w, h = left + cell * len(cols) + 10, top + cell * len(rows) + 10
    peak = max((n for row in matrix.values() for n in row.values()), default=1) or 1
    parts = [
        f'<svg role="img" aria-label="Region confusion matrix" width="{w}" height="{h}" '
        f'xmlns="http://www.w3.org/2000/svg">',
        f'<text x="{left}" y="14" font-weight="600">coded as \u2192</text>',
        f'<text x="4" y="{top - 8}" font-weight="600">expected \u2193</text>',
    ]
    for j, c in enumerate(cols):
        x = left + j * cell + cell / 2
        parts.append(f'<text transform="translate({x:.0f},{top - 8}) rotate(-40)">{_e(c)}</text>')
    for i, r in enumerate(rows):
        y = top + i * cell
        parts.append(
            f'<text x="{left - 6}" y="{y + cell / 2 + 4:.0f}" text-anchor="end">{_e(r)}</text>'
        )
        for j, c in enumerate(cols):
            n = matrix[r].get(c, 0)
            x = left + j * cell
            good = r == c
            base = (46, 133, 64) if good else (192, 57, 43)
            alpha = 0.12 + 0.88 * n / peak if n else 0.0
            fill = f"rgba({base[0]},{base[1]},{base[2]},{alpha:.2f})" if n else "#fafafc"
            parts.append(
                f'<rect x="{x}" y="{y}" width="{cell - 2}" height="{cell - 2}" '
                f'fill="{fill}" stroke="#dde"><title>expected {_e(r)}, coded '
                f"{_e(c)}: {n}</title></rect>"
            )
            if n:
                ink = "#fff" if alpha > 0.55 else "#1d2330"
                parts.append(
                    f'<text x="{x + cell / 2 - 1:.0f}" y="{y + cell / 2 + 4:.0f}" '
                    f'text-anchor="middle" fill="{ink}">{n}</text>'
                )
    parts.append("</svg>")
    return "".join(parts)


def svg_latency_histogram(latencies: Sequence[float], p50: float | None, p95: float | None) -> str:
    if not latencies:
        return "<p>No latencies recorded.</p>"
    lo, hi = min(latencies), max(latencies)
    bins = 16
    span = (hi - lo) or 1.0
    counts = [0] * bins
    for v in latencies:
        counts[min(bins - 1, int((v - lo) / span * bins))] += 1
    left, width, height, top = 40, 640, 180, 34
    peak = max(counts)
    bw = width / bins

    def x_of(v: float) -> float:
        return left + (v - lo) / span * width

    parts = [
        f'<svg role="img" aria-label="Latency histogram" width="{left + width + 20}" '
        f'height="{top + height + 44}" xmlns="http://www.w3.org/2000/svg">',
        f'<line x1="{left}" y1="{top + height}" x2="{left + width}" y2="{top + height}" '
        'stroke="#556"/>',
    ]
    for i, n in enumerate(counts):
        bh = n / peak * height if peak else 0
        x = left + i * bw
        a, b = lo + i * span / bins, lo + (i + 1) * span / bins
        parts.append(
            f'<rect x="{x + 1:.1f}" y="{top + height - bh:.1f}" width="{bw - 2:.1f}" '
            f'height="{bh:.1f}" fill="#4a6fa5"><title>{a:.0f}-{b:.0f} ms: {n} '
            f"case(s)</title></rect>"
        )
        if n:
            parts.append(
                f'<text x="{x + bw / 2:.1f}" y="{top + height - bh - 3:.1f}" '
                f'text-anchor="middle">{n}</text>'
            )
    marks: tuple[tuple[str, float | None, str], ...] = (
        ("p50", p50, "#2e8540"),
        ("p95", p95, "#c0392b"),
    )
    for label, at, color in marks:
        if at is not None:
            x = x_of(at)
            y = 12 if label == "p50" else 26
            parts.append(
                f'<line x1="{x:.1f}" y1="{y + 2}" x2="{x:.1f}" y2="{top + height}" '
                f'stroke="{color}" stroke-dasharray="4 3"/>'
            )
            parts.append(f'<text x="{x + 3:.1f}" y="{y}" fill="{color}">{label} {at:.0f} ms</text>')
    parts.append(f'<text x="{left}" y="{top + height + 18}">{lo:.0f} ms</text>')
    parts.append(
        f'<text x="{left + width}" y="{top + height + 18}" text-anchor="end">{hi:.0f} ms</text>'
    )
    parts.append(
        f'<text x="{left + width / 2}" y="{top + height + 38}" text-anchor="middle">'
        "wall time of one suggest call per case</text>"
    )
    parts.append("</svg>")
    return "".join(parts)


def _html_table(head: Sequence[str], rows: Iterable[Sequence[str]], num: Sequence[int] = ()) -> str:
    out = ["<table><thead><tr>", *(f"<th>{_e(h)}</th>" for h in head), "</tr></thead><tbody>"]
    for row in rows:
        out.append(
            "<tr>"
            + "".join(
                f'<td class="num">{c}</td>' if i in num else f"<td>{c}</td>"
                for i, c in enumerate(row)
            )
            + "</tr>"
        )
    out.append("</tbody></table>")
    return "".join(out)


def render_html(run: RunReport) -> str:
    m = run.metrics
    ok = run.gate.passed
    failing = [r for r in run.cases if not r.passed]
    latencies = [r.latency_ms for r in run.cases if r.error is None]
    meta = (
        f"{_e(run.created_at)} · drafter <b>{_e(run.engine.drafter)}</b>"
        + (
            f" ({_e(run.engine.model)}, prompt {_e(run.engine.prompt_version)})"
            if run.engine.model
            else ""
        )
        + f" · {_e(run.code_set)} · corpus v{_e(run.corpus_version)} · git "
        f"<code>{_e(run.git_commit[:12])}</code>"
        + (" (uncommitted changes)" if run.git_dirty else "")
        + f" · guard {'on' if run.engine.guard_enabled else '<b class=fail>OFF</b>'}"
        + f" · index <code>{_e(run.engine.index_id)}</code> · {run.duration_s:.1f} s"
    )
    cards = "".join(
        f'<div class="card"><div class="k">{_e(k)}</div><div class="v">{_e(v)}</div></div>'
        for k, v in headline(run)
    )
    gate = _html_table(
        ["metric", "bound", "value", "result"],
        (
            [
                _e(c.metric),
                _e(f"{c.op} {fmt_metric(c.metric, c.bound)}"),
                _e(fmt_metric(c.metric, c.value)),
                '<span class="pass">ok</span>' if c.passed else '<span class="fail">FAIL</span>',
            ]
            for c in run.gate.checks
        ),
    )
    fail_table = (
        _html_table(
            ["case", "why", "expected", "got"],
            (
                [
                    f"<code>{_e(r.id)}</code><br><small>{_e(r.title)}</small>",
                    _e(r.explanation),
                    _e(", ".join(r.expect.codes) or "-"),
                    _e(_got(r)),
                ]
                for r in failing
            ),
        )
        if failing
        else "<p>None.</p>"
    )
    pairs = (
        _html_table(
            ["expected", "coded instead", "count", "cases"],
            (
                [
                    f"<code>{_e(p.expected)}</code> ({_e(p.expected_region)})",
                    f"<code>{_e(p.got)}</code> ({_e(p.got_region)})",
                    str(p.count),
                    _e(", ".join(p.cases)),
                ]
                for p in m.region_pairs
            ),
            num=[2],
        )
        if m.region_pairs
        else "<p>No region mix-ups.</p>"
    )
    guard = (
        _html_table(
            ["action: reason", "count"],
            ([_e(k), str(v)] for k, v in m.guard_actions.items()),
            num=[1],
        )
        if m.guard_actions
        else "<p>The guard removed, downgraded or dropped nothing.</p>"
    )
    families = _html_table(
        ["family", "tp", "fp", "fn", "precision", "recall", "F1"],
        (
            [
                _e(f),
                str(v["tp"]),
                str(v["fp"]),
                str(v["fn"]),
                fmt(v["precision"], True),
                fmt(v["recall"], True),
                fmt(v["f1"], True),
            ]
            for f, v in m.families.items()
        ),
        num=[1, 2, 3, 4, 5, 6],
    )
    all_cases = _html_table(
        ["case", "result", "expected", "got", "prompts", "warnings", "ms", "why"],
        (
            [
                f"<code>{_e(r.id)}</code>",
                '<span class="pass">pass</span>' if r.passed else '<span class="fail">FAIL</span>',
                _e(", ".join(r.expect.codes) or "-"),
                _e(_got(r)),
                _e(", ".join(r.prompts) or "-"),
                _e(", ".join(r.warnings) or "-"),
                f"{r.latency_ms:.0f}",
                _e(r.explanation if not r.passed else ""),
            ]
            for r in run.cases
        ),
        num=[6],
    )
    verdict = "PASS" if ok else "FAIL"
    title = f"scribeplugin eval: {verdict}"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{_e(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>{_CSS}</style></head><body>
<h1>scribeplugin eval: <span class="{"pass" if ok else "fail"}">{verdict}</span></h1>
<p class="meta">{meta}</p>
<h2>Gate</h2>{gate}
<h2>Summary</h2><div class="cards">{cards}</div>
<h2>Failing cases ({len(failing)})</h2>{fail_table}
<h2>F1 per code family</h2>
<p>Exact codes, bucketed by category; the dashed line is 0.9.</p>{svg_family_bars(m.families)}
<details><summary>Counts per family</summary>{families}</details>
<h2>Region mix-ups</h2>
<p>Rows: the region of the code the case expects; columns: the region of the code the engine
gave in the same category (lumbar vs lumbosacral, M53.86 vs M53.87, M51.16 vs M51.17...).
Green is right, red is a mix-up, 'missed' means no code of that category at all.</p>
{svg_region_matrix(m.region_matrix)}{pairs}
<h2>Latency</h2>{svg_latency_histogram(latencies, m.latency_ms["p50"], m.latency_ms["p95"])}
<h2>Guard actions</h2>{guard}
<h2>All cases ({len(run.cases)})</h2>
<p>A <code>?</code> after a code: status <code>needs_documentation</code>.</p>
<details><summary>Show every case</summary>{all_cases}</details>
</body></html>
"""


# -- comparison ----------------------------------------------------------------------------------


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
