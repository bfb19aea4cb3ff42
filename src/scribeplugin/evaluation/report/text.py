"""The Markdown report, and the text helpers the HTML report and the comparison share: number
formats, the headline figures a QA lead reads first, Markdown tables.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from scribeplugin.evaluation.metrics import CaseResult
from scribeplugin.evaluation.report.record import RunReport


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
