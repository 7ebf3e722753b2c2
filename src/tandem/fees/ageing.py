"""Receivables ageing (应收账款账龄) and days-to-pay: pure functions over ``Decimal`` and calendar dates.

An open invoice is in one bucket by how many days its due date lies behind ``today`` (the Asia/Shanghai
calendar date of the injectable clock): ``current`` (not yet due, or due today), ``1-30``, ``31-60``,
``61-90`` and ``90+`` days overdue. The payer's reminders fall a week before and on the due date, and an
invoice more than 30 days overdue is escalated to the payer's organisation admin. Days-to-pay is the
calendar days from the invoice date to the payment that settled it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

BUCKETS = ("current", "1-30", "31-60", "61-90", "90+")
#: Upper ends (days overdue) of the buckets before the open one.
_ENDS = ((0, "current"), (30, "1-30"), (60, "31-60"), (90, "61-90"))
REMINDER_DAYS_BEFORE = 7
ESCALATE_AFTER_DAYS = 30


def days_overdue(due: dt.date, today: dt.date) -> int:
    """Calendar days past the due date; 0 or less while not overdue."""
    return (today - due).days


def bucket(due: dt.date, today: dt.date) -> str:
    """The ageing bucket of an invoice due on ``due``, seen on ``today``."""
    late = days_overdue(due, today)
    for end, name in _ENDS:
        if late <= end:
            return name
    return "90+"


@dataclass(frozen=True)
class OpenItem:
    """What is still owed on one invoice: ``key`` groups it (a firm's or a payer's id)."""

    key: str
    due: dt.date
    outstanding: Decimal


def ageing(items: Iterable[OpenItem], today: dt.date) -> dict[str, dict[str, Decimal]]:
    """Per key, the outstanding amount in each bucket and in ``total`` (every bucket present, 0.00 when
    empty). A negative outstanding amount is a bug upstream: ValueError."""
    out: dict[str, dict[str, Decimal]] = {}
    for item in items:
        if item.outstanding < 0:
            raise ValueError(f"negative outstanding amount for {item.key}")
        row = out.setdefault(item.key, {name: Decimal("0.00") for name in (*BUCKETS, "total")})
        row[bucket(item.due, today)] += item.outstanding
        row["total"] += item.outstanding
    return out


def reminder_dates(due: dt.date) -> tuple[dt.date, dt.date]:
    """When the payer is reminded: a week before the due date, and on it."""
    return due - dt.timedelta(days=REMINDER_DAYS_BEFORE), due


def escalation_date(due: dt.date) -> dt.date:
    """The first day the invoice is more than 30 days overdue: it goes to the payer's organisation admin."""
    return due + dt.timedelta(days=ESCALATE_AFTER_DAYS + 1)


def days_to_pay(invoice_date: dt.date, paid_on: dt.date) -> int:
    """Calendar days from the invoice date to the payment that settled it."""
    return (paid_on - invoice_date).days


def average_days_to_pay(pairs: Iterable[tuple[dt.date, dt.date]]) -> Decimal | None:
    """The mean days-to-pay of settled invoices ``(invoice_date, paid_on)``, to one decimal half up; None
    when nothing was paid yet."""
    days = [days_to_pay(issued, paid) for issued, paid in pairs]
    if not days:
        return None
    return (Decimal(sum(days)) / len(days)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
