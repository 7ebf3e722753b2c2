"""The bias chart (偏向分析图) of an adjuster's or firm's record, drawn on the server as SVG geometry:
one dot per measured case (its lean toward the appointer), the mean, the lower confidence bound and
the tolerance as horizontal lines. No script and no network: the template writes the SVG elements.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from tandem.neutrality.views import BiasOut

WIDTH = 640
HEIGHT = 240
LEFT = 56  # room for the y labels
RIGHT = 12
TOP = 12
BOTTOM = 28


@dataclass(frozen=True)
class Dot:
    x: float
    y: float
    case_number: str
    claim_id: str
    lean: str


@dataclass(frozen=True)
class Rule:
    """A horizontal line across the plot at a figure: ``kind`` is zero, mean, lower or tolerance."""

    kind: str
    y: float
    value: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    dots: list[Dot]
    rules: list[Rule]
    ticks: list[Rule]


def _percent(value: Decimal) -> str:
    return f"{value * 100:.1f}%"


def chart(figures: BiasOut) -> Chart:
    """Geometry of the chart of ``figures`` (4-decimal strings read back as exact decimals)."""
    leans = [Decimal(c.lean) for c in figures.cases]
    marks = {"zero": Decimal(0), "mean": Decimal(figures.mean), "tolerance": Decimal(figures.tolerance)}
    if figures.lower is not None:
        marks["lower"] = Decimal(figures.lower)
    low = min([*leans, *marks.values()])
    high = max([*leans, *marks.values()])
    pad = max((high - low) * Decimal("0.08"), Decimal("0.01"))
    low, high = low - pad, high + pad
    plot_h = HEIGHT - TOP - BOTTOM
    plot_w = WIDTH - LEFT - RIGHT

    def y(value: Decimal) -> float:
        return round(float(TOP + (high - value) / (high - low) * plot_h), 1)

    n = len(leans)
    dots = [
        Dot(round(LEFT + (i + 0.5) / n * plot_w, 1), y(lean), c.case_number, str(c.claim_id), c.lean)
        for i, (c, lean) in enumerate(zip(figures.cases, leans, strict=True))
    ]
    rules = [Rule(kind, y(value), _percent(value)) for kind, value in marks.items()]
    step = (high - low) / 4
    ticks = [Rule("tick", y(low + step * k), _percent(low + step * k)) for k in range(5)]
    return Chart(WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM, dots, rules, ticks)
