"""A product and a placement's sections as the premium engine's input (``premium.md``).

The product gives each section its rate (by section type, in ‰), the factors' ranges, the
coefficient's bounds (``factor_bounds``), the minimum premium, the short-period method and the
currency; the placement gives the sections with their sums insured, the period, the factor values
chosen, the risk points and an early end if any. The document is built as the contract spells it and
read by the engine's own :func:`~tandem.premium.engine.parse_input`, so what a placement prices is
exactly what ``tandem calc premium`` would.

Bad input raises :class:`~tandem.premium.engine.PremiumInputError` naming the field by its path in the
placement's terms: ``sections[1].section_type`` (the product has no rate for it), ``factors[0].code``
(not a factor of the product), ``factors[0].value`` (outside the product's range).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tandem.party import products
from tandem.party.models import InsurerProduct
from tandem.premium.engine import PremiumInput, PremiumInputError, parse_input


@dataclass(frozen=True)
class PlacementSection:
    """One section of a placement: its own code (unique in the placement), its type, its sum insured."""

    code: str
    section_type: str
    sum_insured: Decimal


@dataclass(frozen=True)
class FactorValue:
    code: str
    value: Decimal


@dataclass(frozen=True)
class RiskPointChoice:
    ref: str
    loading: Decimal
    choice: str = "undecided"


@dataclass(frozen=True)
class EarlyEnd:
    date: dt.date
    by: str
    premium_paid: Decimal | None = None


def _figure(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def engine_document(
    product: InsurerProduct,
    sections: Sequence[PlacementSection],
    *,
    start: dt.date,
    end: dt.date,
    factors: Sequence[FactorValue] = (),
    risk_points: Sequence[RiskPointChoice] = (),
    termination: EarlyEnd | None = None,
) -> dict[str, Any]:
    """The engine's input document (figures as decimal strings) for this product and these sections."""
    rates = {r.section_type: r.rate_permille for r in products.rates_of(product)}
    ranges = {f.code: f for f in products.factors_of(product)}
    doc_sections = []
    for i, s in enumerate(sections):
        if s.section_type not in rates:
            raise PremiumInputError(f"sections[{i}].section_type", f"the product has no rate for {s.section_type!r}")
        doc_sections.append(
            {"code": s.code, "sum_insured": _figure(s.sum_insured), "rate_permille": _figure(rates[s.section_type])}
        )
    doc_factors = []
    for i, f in enumerate(factors):
        allowed = ranges.get(f.code)
        if allowed is None:
            raise PremiumInputError(f"factors[{i}].code", f"not a rating factor of the product: {f.code!r}")
        if not allowed.min <= f.value <= allowed.max:
            raise PremiumInputError(
                f"factors[{i}].value", f"outside the product's range {allowed.min} to {allowed.max}"
            )
        doc_factors.append({"code": f.code, "value": _figure(f.value)})
    return {
        "currency": product.currency,
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "short_period": product.short_period,
        "sections": doc_sections,
        "factors": doc_factors,
        "factor_bounds": {"min": _figure(product.coefficient_min), "max": _figure(product.coefficient_max)},
        "risk_points": [{"ref": rp.ref, "loading": _figure(rp.loading), "choice": rp.choice} for rp in risk_points],
        "minimum_premium": _figure(product.minimum_premium),
        "termination": None
        if termination is None
        else {
            "date": termination.date.isoformat(),
            "by": termination.by,
            "premium_paid": _figure(termination.premium_paid),
        },
    }


def engine_input(
    product: InsurerProduct,
    sections: Sequence[PlacementSection],
    *,
    start: dt.date,
    end: dt.date,
    factors: Sequence[FactorValue] = (),
    risk_points: Sequence[RiskPointChoice] = (),
    termination: EarlyEnd | None = None,
) -> PremiumInput:
    """The validated engine input (``compute(engine_input(...))`` prices the placement)."""
    doc = engine_document(
        product, sections, start=start, end=end, factors=factors, risk_points=risk_points, termination=termination
    )
    return parse_input(doc)
