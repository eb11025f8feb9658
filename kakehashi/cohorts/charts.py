"""Small server-rendered SVG charts: no JavaScript, no library, nothing fetched from elsewhere.

Each chart is an ``<svg role="img">`` with a ``<title>`` and a ``<desc>`` that reads out every value,
text labels on the bars and points, and colours as SVG presentation attributes (``fill=``), which the
Content-Security-Policy allows (unlike inline ``style`` attributes). Text is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup

WIDTH = 720
HEIGHT = 280
LEFT, RIGHT, TOP, BOTTOM = 16, 16, 28, 56
BAR = "#1d4f91"
BAR_MUTED = "#9fb3d1"
TARGET = "#b02a37"
AXIS = "#6c757d"
TEXT = "#212529"
FONT = "system-ui, sans-serif"


@dataclass(frozen=True)
class Bar:
    label: str  # under the bar
    value: float | None  # None: no data (a dash, no bar)
    display: str  # the value as people read it, above the bar
    target: float | None = None  # a dashed mark across the bar
    muted: bool = False  # drawn lighter (e.g. does not count in the indicator)


@dataclass(frozen=True)
class Point:
    label: str
    value: float | None
    display: str


def _attrs(**attributes: object) -> Markup:
    return Markup(" ").join(
        Markup('{}="{}"').format(name.rstrip("_").replace("_", "-"), value) for name, value in attributes.items()
    )


def _text(x: float, y: float, content: str, *, anchor: str = "middle", size: int = 12, fill: str = TEXT) -> Markup:
    return Markup("<text {}>{}</text>").format(
        _attrs(x=f"{x:.1f}", y=f"{y:.1f}", text_anchor=anchor, font_size=size, font_family=FONT, fill=fill),
        content,
    )


def _frame(chart_id: str, title: str, desc: str, body: list[Markup]) -> Markup:
    return Markup(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="100%" role="img" '
        'class="kpi-chart" aria-labelledby="{id}-title {id}-desc" id="{id}">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>{body}</svg>'
    ).format(w=WIDTH, h=HEIGHT, id=chart_id, title=title, desc=desc, body=Markup("").join(body))


def _no_data(chart_id: str, title: str, desc: str, message: str) -> Markup:
    return _frame(chart_id, title, desc, [_text(WIDTH / 2, HEIGHT / 2, message, fill=AXIS)])


def bar_chart(
    chart_id: str,
    *,
    title: str,
    desc: str,
    bars: Sequence[Bar],
    no_data: str,
    target_label: str | None = None,
) -> Markup:
    """Vertical bars with their values written on them, and an optional dashed target per bar."""
    values = [b.value for b in bars if b.value is not None] + [b.target for b in bars if b.target is not None]
    if not bars or not values:
        return _no_data(chart_id, title, desc, no_data)
    top = max(values) * 1.15 or 1
    plot_h = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / len(bars)
    bar_w = min(64.0, slot * 0.6)
    base_y = TOP + plot_h

    def y_of(value: float) -> float:
        return base_y - plot_h * (value / top)

    body = [
        Markup("<line {}/>").format(
            _attrs(x1=LEFT, y1=f"{base_y:.1f}", x2=WIDTH - RIGHT, y2=f"{base_y:.1f}", stroke=AXIS, stroke_width=1)
        )
    ]
    for i, bar in enumerate(bars):
        cx = LEFT + slot * i + slot / 2
        if bar.value is not None:
            y = y_of(bar.value)
            body.append(
                Markup("<rect {}><title>{}</title></rect>").format(
                    _attrs(
                        x=f"{cx - bar_w / 2:.1f}",
                        y=f"{y:.1f}",
                        width=f"{bar_w:.1f}",
                        height=f"{max(base_y - y, 0):.1f}",
                        fill=BAR_MUTED if bar.muted else BAR,
                    ),
                    f"{bar.label}: {bar.display}",
                )
            )
            body.append(_text(cx, y - 6, bar.display, size=11))
        else:
            body.append(_text(cx, base_y - 6, bar.display, size=11, fill=AXIS))
        if bar.target is not None:
            ty = y_of(bar.target)
            body.append(
                Markup("<line {}/>").format(
                    _attrs(
                        x1=f"{cx - slot / 2 + 4:.1f}",
                        y1=f"{ty:.1f}",
                        x2=f"{cx + slot / 2 - 4:.1f}",
                        y2=f"{ty:.1f}",
                        stroke=TARGET,
                        stroke_width=2,
                        stroke_dasharray="6 4",
                    )
                )
            )
        body.append(_text(cx, base_y + 18, _short(bar.label, slot), size=11))
    if target_label:
        body.append(
            Markup("<line {}/>").format(
                _attrs(
                    x1=LEFT,
                    y1=HEIGHT - 14,
                    x2=LEFT + 28,
                    y2=HEIGHT - 14,
                    stroke=TARGET,
                    stroke_width=2,
                    stroke_dasharray="6 4",
                )
            )
        )
        body.append(_text(LEFT + 34, HEIGHT - 10, target_label, anchor="start", size=11))
    return _frame(chart_id, title, desc, body)


def line_chart(chart_id: str, *, title: str, desc: str, points: Sequence[Point], no_data: str) -> Markup:
    """A line through the points that have a value, each labelled; points without data are skipped."""
    known = [p.value for p in points if p.value is not None]
    if not points or not known:
        return _no_data(chart_id, title, desc, no_data)
    top = max(known) * 1.15 or 1
    plot_h = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / len(points)
    base_y = TOP + plot_h
    body = [
        Markup("<line {}/>").format(
            _attrs(x1=LEFT, y1=f"{base_y:.1f}", x2=WIDTH - RIGHT, y2=f"{base_y:.1f}", stroke=AXIS, stroke_width=1)
        )
    ]
    coords = []
    for i, point in enumerate(points):
        cx = LEFT + slot * i + slot / 2
        body.append(_text(cx, base_y + 18, point.label, size=11))
        if point.value is None:
            body.append(_text(cx, base_y - 6, point.display, size=11, fill=AXIS))
            continue
        cy = base_y - plot_h * (point.value / top)
        coords.append(f"{cx:.1f},{cy:.1f}")
    if len(coords) > 1:
        body.append(
            Markup("<polyline {}/>").format(_attrs(points=" ".join(coords), fill="none", stroke=BAR, stroke_width=2))
        )
    for i, point in enumerate(points):
        if point.value is None:
            continue
        cx = LEFT + slot * i + slot / 2
        cy = base_y - plot_h * (point.value / top)
        body.append(
            Markup("<circle {}><title>{}</title></circle>").format(
                _attrs(cx=f"{cx:.1f}", cy=f"{cy:.1f}", r=4, fill=BAR), f"{point.label}: {point.display}"
            )
        )
        body.append(_text(cx, cy - 10, point.display, size=11))
    return _frame(chart_id, title, desc, body)


def _short(label: str, room: float) -> str:
    """A label that fits under its bar (about 7 px a character; the full text is in <title> and <desc>)."""
    fits = max(int(room / 7), 4)
    return label if len(label) <= fits else label[: fits - 1] + "…"


def describe(items: Sequence[Bar | Point], lead: str) -> str:
    """The ``<desc>``: the chart read out, value by value."""
    return lead + " " + "; ".join(f"{item.label}: {item.display}" for item in items)


__all__ = ["Bar", "Point", "bar_chart", "describe", "line_chart"]
