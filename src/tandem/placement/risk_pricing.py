"""The price of the insured's choices (R-U4): the placement priced from the indicative rates of the
insurers' products that fit it, by the one premium engine (``premium.md``), with the risk register's
loadings and the insured's decisions.

How the programme is put together (the issue is silent; docs/decisions.md "Risk register"):

- A product is a candidate when it is published and valid on the first day of cover, in the
  placement's currency (CNY), and insures one of the placement's lines.
- Each line of the placement (in its order) prices the placement's sections whose section type some
  candidate of the line rates; a candidate *fits* the line when it rates every one of them. A section
  may be priced under two lines, since they insure it against different perils (the machinery under
  企业财产保险 for fire, under 机器损坏保险 for breakdown). Sections no line prices are shown as such.
- Each fitting product prices its line's sections with no rating factors (the indicative rate, factor
  product 1), the product's coefficient bounds, minimum premium and short-period method, and every risk
  point of the register as a loading of ``coefficient − 1`` (1.1500 → +15 %) with the insured's choice.
- The programme takes, per line, the fitting product cheapest *as decided now* (ties by product code)
  and keeps it for the three totals, so the totals compare like with like: ``now`` (undecided priced
  like an accepted loading), ``all_remediated`` and ``none_remediated``. A risk point's effect is the
  sum over the chosen products of the engine's ``premium_effect``, and so are both sides of it.

Every figure is the engine's own, exact to the fen; sums of them are exact too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from tandem.party import pricing, products
from tandem.party.models import InsurerProduct
from tandem.premium.engine import Choice, PremiumInput, PremiumInputError, PremiumResult, compute, with_choice

CURRENCY = "CNY"
_ZERO = Decimal("0.00")
_ONE = Decimal(1)


@dataclass(frozen=True)
class PricedPoint:
    """A risk point as the engine prices it: its loading (coefficient − 1) and the insured's choice."""

    ref: str
    coefficient: Decimal
    choice: str  # undecided | remediate | premium


@dataclass(frozen=True)
class Totals:
    now: Decimal  # the decisions as they stand, undecided priced like an accepted loading
    all_remediated: Decimal
    none_remediated: Decimal


@dataclass(frozen=True)
class Effect:
    """What one risk point costs: the total if its loading is accepted, if it is remediated, the difference."""

    ref: str
    choice: str
    total_if_premium: Decimal
    total_if_remediate: Decimal
    premium_effect: Decimal


@dataclass(frozen=True)
class ProductQuote:
    """One product's price of one line's sections; ``error`` (a field path and message) when the engine
    refused the input (e.g. a term longer than 366 days)."""

    product_id: str
    code: str
    name: str
    insurer: str
    totals: Totals | None
    effects: tuple[Effect, ...] = ()
    result: PremiumResult | None = None
    error: str | None = None


@dataclass(frozen=True)
class LineQuote:
    line: str
    sections: tuple[str, ...]  # the placement's section refs this line prices
    quotes: tuple[ProductQuote, ...]  # every fitting product, cheapest first
    chosen: ProductQuote | None  # the cheapest that priced


@dataclass(frozen=True)
class Prices:
    currency: str
    lines: tuple[LineQuote, ...]
    unpriced_sections: tuple[str, ...]  # sections no candidate product rates
    totals: Totals | None  # None when nothing could be priced
    effects: tuple[Effect, ...]


def loading(coefficient: Decimal) -> Decimal:
    """The engine's loading of a coefficient: 1.1500 → 0.1500 (+15 %)."""
    return coefficient - _ONE


def sections_of(subject: dict[str, object]) -> list[pricing.PlacementSection]:
    """The placement subject's sections, every site's, in order (money kept as Decimal)."""
    out = []
    for site in subject.get("sites", []) or []:  # type: ignore[attr-defined]
        for sec in site.get("sections", []) or []:
            out.append(pricing.PlacementSection(str(sec["ref"]), str(sec["type"]), Decimal(str(sec["sum_insured"]))))
    return out


def candidates(all_products: Sequence[InsurerProduct], lines: Sequence[str], day: dt.date) -> list[InsurerProduct]:
    """Products in force on ``day``, in CNY, that insure one of ``lines``."""
    wanted = set(lines)
    return [
        p for p in all_products if products.in_force(p, day) and p.currency == CURRENCY and wanted & set(p.lines or [])
    ]


def _rated(p: InsurerProduct) -> set[str]:
    return {r.section_type for r in products.rates_of(p)}


def _quote(
    p: InsurerProduct,
    sections: Sequence[pricing.PlacementSection],
    points: Sequence[PricedPoint],
    start: dt.date,
    end: dt.date,
) -> ProductQuote:
    head = (str(p.id), p.code, p.name, p.insurer.name if p.insurer else "")
    choices = [pricing.RiskPointChoice(rp.ref, loading(rp.coefficient), rp.choice) for rp in points]
    try:
        inp: PremiumInput = pricing.engine_input(p, sections, start=start, end=end, risk_points=choices)
    except PremiumInputError as exc:
        return ProductQuote(*head, totals=None, error=str(exc))
    now = compute(inp)
    totals = Totals(
        now=now.total_premium,
        all_remediated=compute(with_choice(inp, Choice.REMEDIATE)).total_premium,
        none_remediated=compute(with_choice(inp, Choice.PREMIUM)).total_premium,
    )
    effects = tuple(
        Effect(r.ref, r.choice.value, r.total_if_premium, r.total_if_remediate, r.premium_effect)
        for r in now.risk_points
    )
    return ProductQuote(*head, totals=totals, effects=effects, result=now)


def _sort_key(q: ProductQuote) -> tuple[int, Decimal, str]:
    return (0, q.totals.now, q.code) if q.totals is not None else (1, _ZERO, q.code)


def quote(
    all_products: Sequence[InsurerProduct],
    *,
    lines: Sequence[str],
    sections: Sequence[pricing.PlacementSection],
    start: dt.date,
    end: dt.date,
    points: Sequence[PricedPoint],
) -> Prices:
    """The placement's prices (see the module's docstring); pure, no database."""
    pool = candidates(all_products, lines, start)
    priced: set[str] = set()
    line_quotes: list[LineQuote] = []
    for line in lines:
        of_line = [p for p in pool if line in (p.lines or [])]
        rated = set().union(*(_rated(p) for p in of_line)) if of_line else set()
        taken = [s for s in sections if s.section_type in rated]
        if not taken:
            continue
        priced.update(s.code for s in taken)
        types = {s.section_type for s in taken}
        fitting = [p for p in of_line if types <= _rated(p)]
        quotes = sorted((_quote(p, taken, points, start, end) for p in fitting), key=_sort_key)
        chosen = next((q for q in quotes if q.totals is not None), None)
        line_quotes.append(LineQuote(line, tuple(s.code for s in taken), tuple(quotes), chosen))
    return Prices(
        currency=CURRENCY,
        lines=tuple(line_quotes),
        unpriced_sections=tuple(s.code for s in sections if s.code not in priced),
        totals=_programme_totals(line_quotes),
        effects=_programme_effects(line_quotes, points),
    )


def _chosen(line_quotes: Sequence[LineQuote]) -> list[ProductQuote]:
    return [lq.chosen for lq in line_quotes if lq.chosen is not None]


def _programme_totals(line_quotes: Sequence[LineQuote]) -> Totals | None:
    chosen = [q.totals for q in _chosen(line_quotes) if q.totals is not None]
    if not chosen:
        return None
    return Totals(
        now=sum((t.now for t in chosen), _ZERO),
        all_remediated=sum((t.all_remediated for t in chosen), _ZERO),
        none_remediated=sum((t.none_remediated for t in chosen), _ZERO),
    )


def _programme_effects(line_quotes: Sequence[LineQuote], points: Sequence[PricedPoint]) -> tuple[Effect, ...]:
    chosen = _chosen(line_quotes)
    out = []
    for i, rp in enumerate(points):
        parts = [q.effects[i] for q in chosen]
        out.append(
            Effect(
                rp.ref,
                rp.choice,
                sum((e.total_if_premium for e in parts), _ZERO),
                sum((e.total_if_remediate for e in parts), _ZERO),
                sum((e.premium_effect for e in parts), _ZERO),
            )
        )
    return tuple(out)
