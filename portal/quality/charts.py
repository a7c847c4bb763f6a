"""Horizontal bar charts drawn as inline SVG on the server: no script, no style attribute (CSP).

Each bar carries its label and its number as text, so the chart never speaks by colour alone;
the page shows the same numbers in a table next to it.
"""
from __future__ import annotations

from dataclasses import dataclass

WIDTH = 640          # the viewBox is WIDTH wide; the SVG shrinks on narrow screens, never grows
BAR_MAX = 520        # room is left after the longest bar for its number
ROW = 44             # label line + bar
FILLS = {"ok": "#146c2e", "late": "#b3261e", "warn": "#8a5a00", "brand": "#0b5cab", "muted": "#5a6470"}


@dataclass(frozen=True)
class Bar:
    label: str
    value_text: str
    width: int
    fill: str
    label_y: int
    bar_y: int
    value_x: int
    value_y: int


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    bars: list[Bar]
    width: int
    height: int


def bar_chart(chart_id: str, title: str, items: list[tuple[str, float | int | None, str, str]]) -> Chart:
    """items: (label, value, value as text, tone); a tone is a key of FILLS."""
    top = max((value or 0 for _label, value, _text, _tone in items), default=0)
    bars = []
    for i, (label, value, text, tone) in enumerate(items):
        width = round(BAR_MAX * (value or 0) / top) if top else 0
        if value and width == 0:
            width = 1  # a non-zero figure is never invisible
        y = i * ROW
        bars.append(Bar(label=str(label), value_text=text, width=width, fill=FILLS[tone], label_y=y + 14,
                        bar_y=y + 20, value_x=width + 6, value_y=y + 33))
    return Chart(id=chart_id, title=str(title), bars=bars, width=WIDTH, height=max(len(items) * ROW, ROW))
