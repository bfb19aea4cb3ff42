"""The HTML report: one self-contained page rendered from ``templates/eval_report.html.jinja``
(inline CSS and SVG charts, no script, nothing fetched). The template autoescapes: case titles,
explanations and codes are text from outside and are never trusted as markup.
"""

from __future__ import annotations

from scribeplugin.evaluation.report.charts import (
    ENV,
    family_bars,
    latency_histogram,
    region_matrix,
)
from scribeplugin.evaluation.report.record import RunReport
from scribeplugin.evaluation.report.text import _got, fmt, fmt_metric, headline


def render_html(run: RunReport) -> str:
    m = run.metrics
    latencies = [r.latency_ms for r in run.cases if r.error is None]
    return ENV.get_template("eval_report.html.jinja").render(
        run=run,
        failing=[r for r in run.cases if not r.passed],
        headline=headline(run),
        fmt=fmt,
        fmt_metric=fmt_metric,
        got=_got,
        family_chart=family_bars(m.families),
        region_chart=region_matrix(m.region_matrix),
        latency_chart=latency_histogram(latencies, m.latency_ms["p50"], m.latency_ms["p95"]),
    )
