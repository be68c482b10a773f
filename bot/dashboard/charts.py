"""Charts as SVG, drawn on the server by pure functions: axes with ticks, a legend, and a <title> on every
mark (a browser shows it as a tooltip; a screen reader reads the chart's own title and description)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 34, 40
# colours with at least 3:1 contrast against white (WCAG 1.4.11, graphics)
COLOURS = ("#1f5f8b", "#b3401a", "#2e7d32", "#6a3d9a", "#8a6d00", "#5d4037")


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]  # None: nothing to show there (no point, no bar)


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def _number(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def _top(series: Sequence[Series], top: float | None) -> float:
    if top is not None:
        return top
    return _nice_max(max((v for s in series for v in s.values if v is not None), default=0))


def _frame(title: str, description: str, top: float, labels: Sequence[str], every: int) -> list[str]:
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}" '
        'xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title><desc>{escape(description)}</desc>",
    ]
    for tick in range(5):
        value = top * tick / 4
        y = TOP + plot_h - plot_h * tick / 4
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" class="tick">{_number(value)}</text>')
    parts.append(f'<line x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{TOP + plot_h}" class="axis"/>')
    parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{TOP + plot_h}" y2="{TOP + plot_h}" class="axis"/>')
    count = max(1, len(labels))
    for index, label in enumerate(labels):
        if index % every:
            continue
        x = LEFT + plot_w * (index + 0.5) / count
        parts.append(
            f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" class="tick">{escape(label)}</text>'
        )
    return parts


def _legend(names: Sequence[str]) -> list[str]:
    parts = []
    x = LEFT
    for index, name in enumerate(names):
        colour = COLOURS[index % len(COLOURS)]
        parts.append(f'<rect x="{x}" y="10" width="12" height="12" fill="{colour}"/>')
        parts.append(f'<text x="{x + 16}" y="20" class="legend">{escape(name)}</text>')
        x += 24 + 7 * len(name)
    return parts


def line_chart(
    title: str, labels: Sequence[str], series: Sequence[Series], *, description: str = "", top: float | None = None
) -> str:
    """One line per series over the labels (weeks)."""
    top = _top(series, top)
    label_every = max(1, math.ceil(len(labels) / 8))
    parts = _frame(title, description or title, top, labels, label_every)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    count = max(1, len(labels))
    for number, line in enumerate(series):
        colour = COLOURS[number % len(COLOURS)]
        points = [
            (LEFT + plot_w * (index + 0.5) / count, TOP + plot_h - plot_h * value / top, labels[index], value)
            for index, value in enumerate(line.values)
            if value is not None and index < len(labels)
        ]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _, _ in points)
        dash = ' stroke-dasharray="5 4"' if number else ""
        parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>')
        for x, y, label, value in points:
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}">'
                f"<title>{escape(line.name)}, {escape(label)}: {_number(value)}</title></circle>"
            )
    parts += _legend([line.name for line in series])
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    description: str = "",
    top: float | None = None,
    unit: str = "",
) -> str:
    """Bars side by side for each label (quarter), one colour per series; a None value draws no bar."""
    top = _top(series, top)
    parts = _frame(title, description or title, top, labels, 1)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    count = max(1, len(labels))
    slot = plot_w / count
    bar = slot * 0.7 / max(1, len(series))
    for number, bars in enumerate(series):
        colour = COLOURS[number % len(COLOURS)]
        for index, (label, value) in enumerate(zip(labels, bars.values, strict=False)):
            if value is None:
                continue
            height = plot_h * value / top
            x = LEFT + slot * index + slot * 0.15 + bar * number
            y = TOP + plot_h - height
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{height:.1f}" fill="{colour}">'
                f"<title>{escape(bars.name)}, {escape(label)}: {_number(value)}{escape(unit)}</title></rect>"
            )
    parts += _legend([bars.name for bars in series])
    parts.append("</svg>")
    return "".join(parts)
