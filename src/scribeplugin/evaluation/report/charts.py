"""The HTML report's charts: inline SVG drawn from the metrics (F1 per code family, the region
confusion matrix, the latency histogram). Every label is escaped; nothing is fetched.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from scribeplugin.evaluation.report.text import _region_columns, fmt


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
