"""A product and a placement's sections as the premium engine's input: every worked case of
``tests/data/premium-calc`` rebuilt as a product plus a placement gives the engine the very same input
and the expected output; a stored demo product prices a placement as the figures say; what the
product does not allow is named by its path."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from sqlalchemy import select

from tandem.party.models import InsurerProduct
from tandem.party.pricing import EarlyEnd, FactorValue, PlacementSection, RiskPointChoice, engine_document, engine_input
from tandem.premium.engine import PremiumInput, PremiumInputError, compute, loads_json, parse_input, result_to_json
from tests.premium.data import load

CASES = load("cases")


def as_product_and_placement(inp: PremiumInput) -> tuple[InsurerProduct, dict[str, object]]:
    """The product that rates each section as the case does (a section type per section) and allows
    exactly the case's factor values, and the placement that picks them."""
    product = InsurerProduct(
        code="CASE",
        currency=inp.currency,
        rates=[{"section_type": f"type_{s.code}", "rate_permille": format(s.rate_permille, "f")} for s in inp.sections],
        factors=[{"code": f.code, "min": format(f.value, "f"), "max": format(f.value, "f")} for f in inp.factors],
        coefficient_min=inp.factor_bounds.min,
        coefficient_max=inp.factor_bounds.max,
        minimum_premium=inp.minimum_premium,
        short_period=inp.short_period.value,
    )
    t = inp.termination
    placement: dict[str, object] = {
        "start": inp.start,
        "end": inp.end,
        "factors": [FactorValue(f.code, f.value) for f in inp.factors],
        "risk_points": [RiskPointChoice(rp.ref, rp.loading, rp.choice.value) for rp in inp.risk_points],
        "termination": None if t is None else EarlyEnd(t.date, t.by.value, t.premium_paid),
    }
    return product, placement


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_every_worked_case_through_a_product(case) -> None:
    original = parse_input(loads_json(case.input_text))
    product, placement = as_product_and_placement(original)
    sections = [PlacementSection(s.code, f"type_{s.code}", s.sum_insured) for s in original.sections]
    built = engine_input(product, sections, **placement)  # type: ignore[arg-type]
    assert built == original
    assert result_to_json(compute(built)) == case.expected
    # the document is the contract's JSON: it survives a trip through text and the CLI's parser
    doc = engine_document(product, sections, **placement)  # type: ignore[arg-type]
    assert parse_input(loads_json(json.dumps(doc))) == original


def test_a_stored_demo_product_prices_a_placement(env) -> None:
    with env.session() as s:
        product = s.execute(select(InsurerProduct).where(InsurerProduct.code == "ZA-QC-2024")).scalar_one()
        inp = engine_input(
            product,
            [
                PlacementSection("plant-a-building", "building", Decimal("8000000.00")),
                PlacementSection("plant-a-stock", "stock", Decimal("3000000.00")),
            ],
            start=dt.date(2027, 1, 1),
            end=dt.date(2027, 6, 30),
            factors=[FactorValue("sprinkler", Decimal("0.90")), FactorValue("claims_history", Decimal("1.10"))],
            risk_points=[RiskPointChoice("RP-1", Decimal("0.10"), "premium")],
        )
    res = compute(inp)
    # 8,000,000 × 0.85‰ and 3,000,000 × 1.20‰, × 0.90 × 1.10 × 1.10 = 1.089, × 0.60 (six months, table)
    assert [s.premium for s in res.sections] == [Decimal("4443.12"), Decimal("2352.24")]
    assert (res.total_premium, res.coefficient, res.minimum_premium) == (
        Decimal("6795.36"),
        Decimal("1.0890"),
        Decimal("1000.00"),
    )
    assert res.risk_points[0].premium_effect == Decimal("617.76")


def _demo_like() -> InsurerProduct:
    return InsurerProduct(
        code="P",
        currency="CNY",
        rates=[{"section_type": "building", "rate_permille": "0.85"}],
        factors=[{"code": "sprinkler", "min": "0.80", "max": "1.00"}],
        coefficient_min=Decimal("0.70"),
        coefficient_max=Decimal("1.30"),
        minimum_premium=Decimal("1000.00"),
        short_period="table",
    )


@pytest.mark.parametrize(
    ("sections", "factors", "path"),
    [
        ([("a", "building"), ("b", "stock")], [], "sections[1].section_type"),
        ([("a", "building")], [("sprinkler", "0.90"), ("astrology", "1.00")], "factors[1].code"),
        ([("a", "building")], [("sprinkler", "1.05")], "factors[0].value"),
        ([("a", "building")], [("sprinkler", "0.79")], "factors[0].value"),
        ([("a", "building"), ("a", "building")], [], "sections[1].code"),  # the engine's own check
    ],
)
def test_what_the_product_does_not_allow_is_named(sections, factors, path) -> None:
    with pytest.raises(PremiumInputError) as caught:
        engine_input(
            _demo_like(),
            [PlacementSection(code, kind, Decimal("1000000")) for code, kind in sections],
            start=dt.date(2027, 1, 1),
            end=dt.date(2027, 12, 31),
            factors=[FactorValue(code, Decimal(v)) for code, v in factors],
        )
    assert caught.value.path == path


def test_the_factor_range_includes_its_ends() -> None:
    for value in ("0.80", "1.00"):
        inp = engine_input(
            _demo_like(),
            [PlacementSection("a", "building", Decimal("1000000"))],
            start=dt.date(2027, 1, 1),
            end=dt.date(2027, 12, 31),
            factors=[FactorValue("sprinkler", Decimal(value))],
        )
        assert inp.factors[0].value == Decimal(value)
