"""The dashboards' trend charts (走势图), drawn on the server as SVG geometry like the bias chart
(``web/bias_chart.py``): one bar per month of one figure, the value above it, a hidden or empty month
left as a gap with its label. No script and no network: the template writes the SVG elements."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar

WIDTH = 560
HEIGHT = 200
LEFT = 64  # room for the y labels (up to 9 digits with separators)
RIGHT = 8
TOP = 18  # room for the value over the tallest bar
BOTTOM = 30  # room for the month labels


@dataclass(frozen=True)
class Bar:
    """One month's bar (its width is the chart's): top-left corner, height, month and value (``None``:
    hidden or nothing to measure, drawn as a gap)."""

    x: float
    y: float
    height: float
    label: str
    value: Decimal | None


@dataclass(frozen=True)
class Chart:
    code: str  # the figure drawn
    bars: list[Bar]
    ticks: list[tuple[float, Decimal]]  # y of each scale line and its value
    bar_width: float
    # The frame is the same for every chart: the module's constants.
    width: ClassVar[int] = WIDTH
    height: ClassVar[int] = HEIGHT
    left: ClassVar[int] = LEFT
    right: ClassVar[int] = RIGHT

    @property
    def base(self) -> int:
        return HEIGHT - BOTTOM


def _ceiling(value: Decimal) -> Decimal:
    """A round top for the scale at or above ``value``: 1, 2 or 5 times a power of ten."""
    if value <= 0:
        return Decimal(1)
    power = Decimal(10) ** (value.adjusted())
    for step in (1, 2, 5, 10):
        if value <= power * step:
            return power * step
    return power * 10  # pragma: no cover - the loop ends at 10


def chart(code: str, points: Sequence[tuple[str, Decimal | int | None]]) -> Chart:
    """Geometry of one figure's bars over ``points`` (label, value; a count is an int) in order."""
    exact = [(label, None if v is None else Decimal(v)) for label, v in points]
    values = [v for _l, v in exact if v is not None]
    top = _ceiling(max(values, default=Decimal(0)))
    plot_h = HEIGHT - TOP - BOTTOM
    plot_w = WIDTH - LEFT - RIGHT
    slot = plot_w / max(len(points), 1)
    width = round(slot * 0.64, 1)

    def y(value: Decimal) -> float:
        return round(float(TOP + (top - value) / top * plot_h), 1)

    bars = []
    for i, (label, value) in enumerate(exact):
        x = round(LEFT + i * slot + (slot - width) / 2, 1)
        top_y = y(value) if value is not None else float(HEIGHT - BOTTOM)
        bars.append(Bar(x, top_y, round(HEIGHT - BOTTOM - top_y, 1), label, value))
    ticks = [(y(top * k / 4), top * k / 4) for k in range(5)]
    return Chart(code, bars, ticks, width)
