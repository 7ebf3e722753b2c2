"""Receivables ageing and days-to-pay (issue 18 item 2, the pure part): buckets computed by hand for a
moved clock, the buckets partition the outstanding total, reminders and escalation dates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tandem.fees.ageing import (
    BUCKETS,
    OpenItem,
    ageing,
    average_days_to_pay,
    bucket,
    days_to_pay,
    escalation_date,
    reminder_dates,
)

TODAY = dt.date(2027, 5, 1)


@pytest.mark.parametrize(
    ("due", "expected"),
    [
        (dt.date(2027, 5, 20), "current"),  # not yet due
        (dt.date(2027, 5, 1), "current"),  # due today: 0 days overdue
        (dt.date(2027, 4, 30), "1-30"),  # 1 day
        (dt.date(2027, 4, 1), "1-30"),  # 30 days (April has 30)
        (dt.date(2027, 3, 31), "31-60"),  # 31 days
        (dt.date(2027, 3, 2), "31-60"),  # 30 + 30 = 60 days
        (dt.date(2027, 3, 1), "61-90"),  # 61 days
        (dt.date(2027, 1, 31), "61-90"),  # 29 (to 1 March, February 2027 has 28) + 61 = 90 days
        (dt.date(2027, 1, 30), "90+"),  # 91 days
    ],
)
def test_bucket_boundaries_by_hand(due, expected):
    assert bucket(due, TODAY) == expected


def test_ageing_per_payer_on_a_moved_clock():
    items = [
        OpenItem("insurer-a", dt.date(2027, 3, 15), Decimal("19629.63")),
        OpenItem("insurer-a", dt.date(2027, 4, 20), Decimal("3180.00")),
        OpenItem("insurer-b", dt.date(2027, 5, 10), Decimal("8480.00")),
    ]
    # 1 May: 47 days (31-60), 11 days (1-30); insurer B's not due yet.
    first = ageing(items, TODAY)
    assert first["insurer-a"] == {
        "current": Decimal("0.00"),
        "1-30": Decimal("3180.00"),
        "31-60": Decimal("19629.63"),
        "61-90": Decimal("0.00"),
        "90+": Decimal("0.00"),
        "total": Decimal("22809.63"),
    }
    assert first["insurer-b"]["current"] == Decimal("8480.00") == first["insurer-b"]["total"]
    # 45 days later, 15 June: 92 days (90+), 56 days (31-60), 36 days (31-60).
    later = ageing(items, TODAY + dt.timedelta(days=45))
    assert later["insurer-a"]["90+"] == Decimal("19629.63") and later["insurer-a"]["31-60"] == Decimal("3180.00")
    assert later["insurer-b"]["31-60"] == Decimal("8480.00") and later["insurer-b"]["current"] == Decimal("0.00")
    with pytest.raises(ValueError):
        ageing([OpenItem("x", TODAY, Decimal("-0.01"))], TODAY)


@given(
    st.lists(
        st.tuples(
            st.dates(dt.date(2026, 1, 1), dt.date(2028, 12, 31)),
            st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False),
        ),
        max_size=20,
    ),
    st.dates(dt.date(2026, 1, 1), dt.date(2028, 12, 31)),
)
def test_buckets_partition_the_total(rows, today):
    out = ageing([OpenItem("k", due, amount) for due, amount in rows], today)
    if not rows:
        assert out == {}
        return
    row = out["k"]
    assert sum(row[b] for b in BUCKETS) == row["total"] == sum(a for _, a in rows)


def test_reminders_escalation_and_days_to_pay():
    due = dt.date(2027, 4, 14)
    assert reminder_dates(due) == (dt.date(2027, 4, 7), due)
    assert escalation_date(due) == dt.date(2027, 5, 15)  # 31 days overdue: more than 30
    assert bucket(escalation_date(due), escalation_date(due)) == "current"
    assert bucket(due, escalation_date(due)) == "31-60"
    assert days_to_pay(dt.date(2027, 3, 15), dt.date(2027, 5, 20)) == 66
    pairs = [(dt.date(2027, 3, 15), dt.date(2027, 5, 20)), (dt.date(2027, 1, 31), dt.date(2027, 3, 2))]
    assert average_days_to_pay(pairs) == Decimal("48.0")  # (66 + 30) / 2
    assert average_days_to_pay([*pairs[:1], (dt.date(2027, 1, 1), dt.date(2027, 1, 2))]) == Decimal("33.5")
    assert average_days_to_pay([]) is None
