"""Reports of a run: ``run.json`` (stable schema), ``report.md``, ``report.html``; run comparison.

``run.json`` is the machine-readable record (``schema_version`` 1): the code-set release, the
corpus version, the engine, the git commit, the thresholds, the gate, every metric and every
case with its one-line verdict. The Markdown and HTML reports are rendered from it alone, so an
old ``run.json`` can be re-rendered and compared. The HTML is one self-contained file: inline CSS
and SVG charts, no script, nothing fetched.

The steps, one module each: ``record`` (the models of ``run.json``, ``load_run``), ``text``
(number formats, the headline figures, ``report.md``), ``charts`` (the inline SVG charts),
``page`` (``report.html`` from a Jinja template with autoescape), ``compare`` (two runs, case by
case). The names are re-exported here: import them from ``scribeplugin.evaluation.report``.
"""

from __future__ import annotations

from pathlib import Path

from scribeplugin.evaluation.report.charts import (
    svg_family_bars,
    svg_latency_histogram,
    svg_region_matrix,
)
from scribeplugin.evaluation.report.compare import (
    CaseChange,
    Comparison,
    compare_runs,
    render_comparison,
)
from scribeplugin.evaluation.report.page import render_html
from scribeplugin.evaluation.report.record import (
    SCHEMA_VERSION,
    EngineRecord,
    Gate,
    ReportError,
    RunReport,
    load_run,
)
from scribeplugin.evaluation.report.text import fmt, fmt_metric, headline, render_markdown

__all__ = [
    "SCHEMA_VERSION",
    "CaseChange",
    "Comparison",
    "EngineRecord",
    "Gate",
    "ReportError",
    "RunReport",
    "compare_runs",
    "fmt",
    "fmt_metric",
    "headline",
    "load_run",
    "render_comparison",
    "render_html",
    "render_markdown",
    "svg_family_bars",
    "svg_latency_histogram",
    "svg_region_matrix",
    "write_reports",
]


def write_reports(run: RunReport, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "run.json", out / "report.md", out / "report.html"]
    paths[0].write_text(run.model_dump_json(indent=2) + "\n", encoding="utf-8")
    paths[1].write_text(render_markdown(run), encoding="utf-8")
    paths[2].write_text(render_html(run), encoding="utf-8")
    return paths
