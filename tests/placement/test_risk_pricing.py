"""The price of the insured's choices (R-U4): the placement priced by the premium engine from the
fitting products' indicative rates — a case computed by hand, and properties on random programmes."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tandem.party.models import InsurerProduct, ProductStatus
from tandem.party.pricing import PlacementSection
from tandem.placement.risk_pricing import PricedPoint, quote

START, END = dt.date(2027, 1, 1), dt.date(2027, 12, 31)
PROPERTY, LIABILITY, CARGO = "企业财产保险", "公众责任保险", "货物运输保险"


def product(
    code: str,
    lines: list[str],
    rates: dict[str, str],
    *,
    bounds: tuple[str, str] = ("0.70", "1.30"),
    minimum: str = "0.00",
    currency: str = "CNY",
    since: dt.date = dt.date(2026, 1, 1),
    status: ProductStatus = ProductStatus.PUBLISHED,
) -> InsurerProduct:
    """A product as the insurers' products page keeps it (not stored: the pricing reads no database)."""
    return InsurerProduct(
        id=uuid.uuid4(),
        code=code,
        name=code,
        status=status,
        lines=lines,
        currency=currency,
        rates=[{"section_type": k, "rate_permille": v} for k, v in rates.items()],
        factors=[],
        coefficient_min=Decimal(bounds[0]),
        coefficient_max=Decimal(bounds[1]),
        minimum_premium=Decimal(minimum),
        short_period="table",
        valid_from=since,
        valid_until=None,
    )


SECTIONS = [
    PlacementSection("S1-1", "building", Decimal("10000000.00")),
    PlacementSection("S1-2", "stock", Decimal("4000000.00")),
    PlacementSection("S1-3", "public_liability", Decimal("5000000.00")),
    PlacementSection("S1-4", "gross_profit", Decimal("3000000.00")),  # no line of the placement rates it
]
POINTS = [
    PricedPoint("1", Decimal("1.1500"), "premium"),
    PricedPoint("2", Decimal("1.0500"), "remediate"),
    PricedPoint("3", Decimal("1.3000"), "undecided"),
]


def test_a_programme_computed_by_hand() -> None:
    catalogue = [
        product("QC-A", [PROPERTY], {"building": "0.85", "stock": "1.20"}, minimum="1000.00"),
        product("QC-B", [PROPERTY], {"building": "0.80", "stock": "1.10"}, bounds=("0.60", "1.60")),
        product("GZ-C", [LIABILITY], {"public_liability": "2.40"}, bounds=("0.60", "1.50"), minimum="800.00"),
        product("HY-D", [CARGO], {"stock": "0.50"}),  # not a line of the placement
        product("QC-E", [PROPERTY], {"building": "0.50"}),  # does not rate the stock: does not fit
        product("QC-F", [PROPERTY], {"building": "0.10", "stock": "0.10"}, since=dt.date(2027, 6, 1)),  # not yet
        product("QC-G", [PROPERTY], {"building": "0.10", "stock": "0.10"}, currency="USD"),
        product("QC-H", [PROPERTY], {"building": "0.10", "stock": "0.10"}, status=ProductStatus.WITHDRAWN),
    ]
    prices = quote(catalogue, lines=[PROPERTY, LIABILITY], sections=SECTIONS, start=START, end=END, points=POINTS)

    assert prices.unpriced_sections == ("S1-4",)
    prop, liab = prices.lines
    assert (prop.line, prop.sections, liab.line, liab.sections) == (PROPERTY, ("S1-1", "S1-2"), LIABILITY, ("S1-3",))
    # Loadings accepted now: RP1 and RP3 (undecided), 1.15 × 1.30 = 1.495.
    # QC-A caps it at 1.30: 8 500 × 1.3 + 4 800 × 1.3 = 11 050 + 6 240 = 17 290.00.
    # QC-B allows up to 1.60: 8 000 × 1.495 + 4 400 × 1.495 = 11 960 + 6 578 = 18 538.00.
    # So QC-A is the cheaper *now*, although its rates are higher.
    assert [(q.code, q.totals.now if q.totals else None) for q in prop.quotes] == [
        ("QC-A", Decimal("17290.00")),
        ("QC-B", Decimal("18538.00")),
    ]
    assert prop.chosen is not None and prop.chosen.code == "QC-A"
    a = prop.chosen.totals
    assert a is not None
    assert (a.all_remediated, a.none_remediated) == (Decimal("13300.00"), Decimal("17290.00"))
    # RP1 and RP2 change nothing under QC-A's cap; remediating RP3 leaves 1.15: 9 775 + 5 520 = 15 295.
    assert [e.premium_effect for e in prop.chosen.effects] == [Decimal("0.00"), Decimal("0.00"), Decimal("1995.00")]

    # Public liability: 5 000 000 × 2.40 ‰ = 12 000 × 1.495 = 17 940.00; all remediated 12 000.00;
    # none remediated 1.15 × 1.05 × 1.30 = 1.56975, capped at 1.50: 18 000.00.
    c = liab.chosen
    assert c is not None and c.code == "GZ-C" and c.totals is not None
    assert (c.totals.now, c.totals.all_remediated, c.totals.none_remediated) == (
        Decimal("17940.00"),
        Decimal("12000.00"),
        Decimal("18000.00"),
    )
    # RP1: 17 940 − 12 000 × 1.30 = 2 340; RP2: 18 000 − 17 940 = 60; RP3: 17 940 − 12 000 × 1.15 = 4 140.
    assert [e.premium_effect for e in c.effects] == [Decimal("2340.00"), Decimal("60.00"), Decimal("4140.00")]

    assert prices.totals is not None
    assert (prices.totals.now, prices.totals.all_remediated, prices.totals.none_remediated) == (
        Decimal("35230.00"),
        Decimal("25300.00"),
        Decimal("35290.00"),
    )
    effects = {e.ref: (e.choice, e.total_if_premium, e.total_if_remediate, e.premium_effect) for e in prices.effects}
    assert effects == {
        "1": ("premium", Decimal("35230.00"), Decimal("32890.00"), Decimal("2340.00")),
        "2": ("remediate", Decimal("35290.00"), Decimal("35230.00"), Decimal("60.00")),
        "3": ("undecided", Decimal("35230.00"), Decimal("29095.00"), Decimal("6135.00")),
    }


def test_nothing_fits_and_a_term_the_engine_refuses() -> None:
    catalogue = [product("QC-A", [PROPERTY], {"building": "0.85"})]
    none = quote(catalogue, lines=[LIABILITY], sections=SECTIONS[:1], start=START, end=END, points=POINTS)
    assert (none.lines, none.unpriced_sections, none.totals) == ((), ("S1-1",), None)

    long = quote(catalogue, lines=[PROPERTY], sections=SECTIONS[:1], start=START, end=END.replace(year=2028), points=[])
    (line,) = long.lines
    assert line.chosen is None and long.totals is None
    assert line.quotes[0].error == "period.end: the term is 731 days, more than 366"


# ---- properties ---------------------------------------------------------------------------------

SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TYPES = ["building", "stock", "machinery"]
figures = st.decimals(min_value=Decimal("0.10"), max_value=Decimal("5.00"), places=2)
bounds = st.tuples(
    st.decimals(min_value=Decimal("0.50"), max_value=Decimal("1.00"), places=2),
    st.decimals(min_value=Decimal("1.00"), max_value=Decimal("2.00"), places=2),
)
catalogues = st.lists(
    st.tuples(
        st.dictionaries(st.sampled_from(TYPES), figures, min_size=1),
        bounds,
        st.decimals(min_value=Decimal("0.00"), max_value=Decimal("50000.00"), places=2),
    ),
    min_size=1,
    max_size=4,
)
section_lists = st.lists(
    st.tuples(st.sampled_from(TYPES), st.decimals(min_value=0, max_value=Decimal("100000000.00"), places=2)),
    min_size=1,
    max_size=5,
)
point_lists = st.lists(
    st.tuples(
        st.decimals(min_value=Decimal("1.0000"), max_value=Decimal("3.0000"), places=4),
        st.sampled_from(["premium", "remediate", "undecided"]),
    ),
    max_size=6,
)
ends = st.dates(min_value=dt.date(2027, 1, 1), max_value=dt.date(2027, 12, 31))


@SETTINGS
@given(catalogues, section_lists, point_lists, ends)
def test_remediating_never_costs_more_and_the_effects_add_up(
    specs: list[Any], secs: list[Any], pts: list[Any], end: dt.date
) -> None:
    catalogue = [
        product(
            f"P{i}",
            [PROPERTY],
            {k: format(v, "f") for k, v in rates.items()},
            bounds=(format(lo, "f"), format(hi, "f")),
            minimum=format(m, "f"),
        )
        for i, (rates, (lo, hi), m) in enumerate(specs)
    ]
    sections = [PlacementSection(f"S-{i}", t, s) for i, (t, s) in enumerate(secs)]
    points = [PricedPoint(f"RP-{i}", c, choice) for i, (c, choice) in enumerate(pts)]
    prices = quote(catalogue, lines=[PROPERTY], sections=sections, start=START, end=end, points=points)
    if prices.totals is None:  # no product rates every section
        assert all(not lq.quotes for lq in prices.lines)
        return
    t = prices.totals
    assert t.all_remediated <= t.now <= t.none_remediated
    for amount in (t.now, t.all_remediated, t.none_remediated):
        assert amount == amount.quantize(Decimal("0.01"))
    (line,) = prices.lines
    assert line.chosen is not None and line.chosen.totals is not None
    assert all(q.totals is None or line.chosen.totals.now <= q.totals.now for q in line.quotes)
    for e in prices.effects:
        assert e.premium_effect == e.total_if_premium - e.total_if_remediate >= 0
        assert (e.total_if_remediate if e.choice == "remediate" else e.total_if_premium) == t.now
    if not points:
        assert t.all_remediated == t.now == t.none_remediated
