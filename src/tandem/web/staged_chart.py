"""The risk register over time (风险变化图) of a policy, drawn on the server as SVG geometry like the other
charts (``web/bias_chart.py``, ``web/figure_chart.py``): one bar per stage (0: the register at binding,
then each staged report), stacked by level (低, 中, 高, 重大) from the open points of that stage. No script
and no network: the template writes the SVG elements."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar

from tandem.report.schemas import RISK_LEVELS

WIDTH = 520
HEIGHT = 220
LEFT = 36  # room for the y labels
RIGHT = 8
TOP = 14
BOTTOM = 30  # room for the stage labels
LEVEL_CLASS = {"低": "low", "中": "medium", "高": "high", "重大": "major"}


@dataclass(frozen=True)
class Block:
    """One level's part of a stage's bar: top-left corner, height, level and count."""

    y: float
    height: float
    level: str
    css: str
    count: int


@dataclass(frozen=True)
class Column:
    x: float
    label: str
    total: int
    top: float  # y of the bar's top (for the total above it)
    blocks: list[Block]


@dataclass(frozen=True)
class Chart:
    bar_width: float
    columns: list[Column]
    ticks: list[tuple[float, int]]  # y of each scale line and its count
    # The frame is the module's constants.
    width: ClassVar[int] = WIDTH
    height: ClassVar[int] = HEIGHT
    left: ClassVar[int] = LEFT
    right: ClassVar[int] = RIGHT
    base: ClassVar[int] = HEIGHT - BOTTOM


def chart(stages: Sequence[tuple[str, Mapping[str, int]]]) -> Chart:
    """Geometry of the stacked bars of ``stages`` (label, open points by level) in order."""
    top = max((sum(c.values()) for _l, c in stages), default=0)
    step = max(1, -(-top // 4))  # whole points per scale line, at most 4 lines above zero
    scale = max(step * 4, 1)
    plot_h = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / max(len(stages), 1)
    width = round(min(slot * 0.6, 64), 1)
    base = HEIGHT - BOTTOM

    def h(count: int) -> float:
        return round(count / scale * plot_h, 1)

    columns = []
    for i, (label, counts) in enumerate(stages):
        x = round(LEFT + i * slot + (slot - width) / 2, 1)
        y = float(base)
        blocks = []
        for level in RISK_LEVELS:
            n = counts.get(level, 0)
            if n:
                y = round(y - h(n), 1)
                blocks.append(Block(y, h(n), level, LEVEL_CLASS[level], n))
        columns.append(Column(x, label, sum(counts.values()), y, blocks))
    ticks = [(round(base - h(k * step), 1), k * step) for k in range(5)]
    return Chart(width, columns, ticks)
