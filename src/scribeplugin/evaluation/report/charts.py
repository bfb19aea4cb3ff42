"""The HTML report's charts: inline SVG (F1 per code family, the region confusion matrix, the
latency histogram). The geometry is computed here, every coordinate already formatted; the markup
is in ``templates/eval_charts.html.jinja`` (macros, autoescaped). Nothing is fetched.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from scribeplugin.evaluation.report.text import _region_columns, fmt

ENV = Environment(
    loader=PackageLoader("scribeplugin.evaluation", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html", "jinja"), default=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


def _color(v: float | None) -> str:
    if v is None:
        return "#999"
    return "#2e8540" if v >= 0.9 else "#d08a00" if v >= 0.7 else "#c0392b"


def family_bars(families: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
    """Horizontal bars: F1 per code family (category), with tp/fp/fn; None for no families."""
    rows = list(families.items())
    if not rows:
        return None
    bar_h, gap, left, width = 18, 6, 60, 420
    h = len(rows) * (bar_h + gap) + 30
    bars = []
    for i, (fam, v) in enumerate(rows):
        y = i * (bar_h + gap) + 4
        f1 = v.get("f1")
        bars.append(
            {
                "family": fam,
                "y": y,
                "text_y": y + 13,
                "w": f"{(f1 or 0) * width:.1f}",
                "fill": _color(f1),
                "f1": fmt(f1),
                "tp": v["tp"],
                "fp": v["fp"],
                "fn": v["fn"],
            }
        )
    return {
        "width": left + width + 250,
        "height": h,
        "left": left,
        "label_x": left - 6,
        "stats_x": left + width + 6,
        "bar_h": bar_h,
        "grid": [
            {"x": f"{left + x * width:.1f}", "dash": "4 3" if x == 0.9 else "0", "label": f"{x:g}"}
            for x in (0, 0.5, 0.9, 1.0)
        ],
        "grid_bottom": h - 20,
        "grid_label_y": h - 5,
        "bars": bars,
    }


def region_matrix(matrix: dict[str, dict[str, int]]) -> dict[str, Any] | None:
    """Heat map: expected region (rows) against the region coded (columns); None for no rows."""
    cols = _region_columns(matrix)
    rows = [r for r in cols if r in matrix]
    if not rows:
        return None
    cell, left, top = 64, 130, 90
    peak = max((n for row in matrix.values() for n in row.values()), default=1) or 1
    out_rows = []
    for i, r in enumerate(rows):
        y = top + i * cell
        cells = []
        for j, c in enumerate(cols):
            n = matrix[r].get(c, 0)
            base = (46, 133, 64) if r == c else (192, 57, 43)
            alpha = 0.12 + 0.88 * n / peak if n else 0.0
            cells.append(
                {
                    "col": c,
                    "n": n,
                    "x": left + j * cell,
                    "fill": f"rgba({base[0]},{base[1]},{base[2]},{alpha:.2f})" if n else "#fafafc",
                    "text_x": f"{left + j * cell + cell / 2 - 1:.0f}",
                    "ink": "#fff" if alpha > 0.55 else "#1d2330",
                }
            )
        out_rows.append({"region": r, "y": y, "label_y": f"{y + cell / 2 + 4:.0f}", "cells": cells})
    return {
        "width": left + cell * len(cols) + 10,
        "height": top + cell * len(rows) + 10,
        "left": left,
        "label_x": left - 6,
        "head_y": top - 8,
        "size": cell - 2,
        "columns": [
            {"name": c, "x": f"{left + j * cell + cell / 2:.0f}"} for j, c in enumerate(cols)
        ],
        "rows": out_rows,
    }


def latency_histogram(
    latencies: Sequence[float], p50: float | None, p95: float | None
) -> dict[str, Any] | None:
    """16 bins of the cases' latencies, with the p50 and p95 marked; None for no latencies."""
    if not latencies:
        return None
    lo, hi = min(latencies), max(latencies)
    bins = 16
    span = (hi - lo) or 1.0
    counts = [0] * bins
    for v in latencies:
        counts[min(bins - 1, int((v - lo) / span * bins))] += 1
    left, width, height, top = 40, 640, 180, 34
    peak = max(counts)
    bw = width / bins
    base = top + height
    bars = []
    for i, n in enumerate(counts):
        bh = n / peak * height if peak else 0
        x = left + i * bw
        bars.append(
            {
                "n": n,
                "x": f"{x + 1:.1f}",
                "y": f"{base - bh:.1f}",
                "w": f"{bw - 2:.1f}",
                "h": f"{bh:.1f}",
                "range": f"{lo + i * span / bins:.0f}-{lo + (i + 1) * span / bins:.0f}",
                "text_x": f"{x + bw / 2:.1f}",
                "text_y": f"{base - bh - 3:.1f}",
            }
        )
    marks = []
    for label, at, color in (("p50", p50, "#2e8540"), ("p95", p95, "#c0392b")):
        if at is not None:
            x = left + (at - lo) / span * width
            y = 12 if label == "p50" else 26
            marks.append(
                {
                    "label": label,
                    "x": f"{x:.1f}",
                    "text_x": f"{x + 3:.1f}",
                    "y": y,
                    "line_y": y + 2,
                    "color": color,
                    "ms": f"{at:.0f}",
                }
            )
    return {
        "width": left + width + 20,
        "height": top + height + 44,
        "left": left,
        "right": left + width,
        "middle": left + width / 2,
        "base": base,
        "bottom_y": base + 18,
        "caption_y": base + 38,
        "lo": f"{lo:.0f}",
        "hi": f"{hi:.0f}",
        "bars": bars,
        "marks": marks,
    }


def _chart(name: str, data: dict[str, Any] | None) -> str:
    macro = getattr(ENV.get_template("eval_charts.html.jinja").module, name)
    return str(macro(data))


def svg_family_bars(families: dict[str, dict[str, Any]]) -> str:
    """Horizontal bars: F1 per code family (category), with tp/fp/fn."""
    return _chart("family_bars", family_bars(families))


def svg_region_matrix(matrix: dict[str, dict[str, int]]) -> str:
    """Heat map: expected region (rows) against the region coded (columns)."""
    return _chart("region_matrix", region_matrix(matrix))


def svg_latency_histogram(latencies: Sequence[float], p50: float | None, p95: float | None) -> str:
    return _chart("latency_histogram", latency_histogram(latencies, p50, p95))
