"""The HTML report: one self-contained page rendered from ``templates/eval_report.html.jinja``
(inline CSS and SVG charts, no script, nothing fetched). The template autoescapes: case titles,
explanations and codes are text from outside and are never trusted as markup.
"""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from scribeplugin.evaluation.report.charts import (
    svg_family_bars,
    svg_latency_histogram,
    svg_region_matrix,
)
from scribeplugin.evaluation.report.record import RunReport
from scribeplugin.evaluation.report.text import _got, fmt, fmt_metric, headline

_ENV = Environment(
    loader=PackageLoader("scribeplugin.evaluation", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html", "jinja"), default=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


def render_html(run: RunReport) -> str:
    m = run.metrics
    latencies = [r.latency_ms for r in run.cases if r.error is None]
    # The charts are built in Python with every label escaped (charts.py): markup, not text.
    return _ENV.get_template("eval_report.html.jinja").render(
        run=run,
        failing=[r for r in run.cases if not r.passed],
        headline=headline(run),
        fmt=fmt,
        fmt_metric=fmt_metric,
        got=_got,
        family_chart=Markup(svg_family_bars(m.families)),
        region_chart=Markup(svg_region_matrix(m.region_matrix)),
        latency_chart=Markup(
            svg_latency_histogram(latencies, m.latency_ms["p50"], m.latency_ms["p95"])
        ),
    )
