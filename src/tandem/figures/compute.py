"""The market figures from the rows of ``facts``, pure (no database), every amount and ratio ``Decimal``.

Per group of rows (a period, line, region, insurer or firm, and the whole selection):

- ``claims`` notified, ``appointed`` (with an accepted letter), ``delegation`` = appointed ÷ claims (%);
- ``settled`` (every payment), ``settled_reported`` (on claims that had a report), ``supply`` (公估供给率)
  = settled_reported ÷ settled (%);
- turnaround p50 / p90 in days: notice → adjuster, notice → report, report → agreement, agreement → payment
  (``percentile``: linear between closest ranks, as the insurer comparison);
- ``sla_steps`` (clock-bound steps decided: done, or overdue), ``sla`` (% done within their clock) and the
  days each party held the ball (``held_<holder>``, running clocks to now);
- fees: ``fees_billed`` (invoice totals), ``fees_paid``, ``fees_overdue`` (open amounts past due) and
  ``days_to_pay`` (median calendar days from the invoice to its settling payment).

Percentages and days have one decimal (half up), amounts two. Each figure is a ``comparison_stats.Figure``;
for a ``private`` reader (outside the broker) one computed from fewer than 5 distinct insureds is hidden
by ``comparison_stats.aggregate``, the insurer comparison's rule."""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from tandem.figures.facts import ClaimRow, ClockRow, Dims, Facts, FeeRow
from tandem.placement import comparison_stats as stats
from tandem.placement.comparison_stats import Figure

HUNDRED = Decimal(100)
#: Turnaround intervals: code, start and end attribute of a claim row.
INTERVALS = (
    ("notice_adjuster", "notified_at", "appointed_at"),
    ("notice_report", "notified_at", "reported_at"),
    ("report_agreement", "reported_at", "agreed_at"),
    ("agreement_payment", "agreed_at", "paid_at"),
)
HOLDERS = ("broker", "insured", "insurer", "adjuster_firm")
CLAIM_FIGURES = ("claims", "appointed", "delegation", "settled", "settled_reported", "supply")
TURNAROUND = tuple(f"{code}_{q}" for code, _s, _e in INTERVALS for q in ("p50", "p90"))
FEE_FIGURES = ("fees_billed", "fees_paid", "fees_overdue", "days_to_pay")
#: Every figure, in the order of the table's columns.
METRICS: tuple[str, ...] = (
    *CLAIM_FIGURES,
    *TURNAROUND,
    "sla_steps",
    "sla",
    *(f"held_{h}" for h in HOLDERS),
    *FEE_FIGURES,
)
#: How each figure is written: a count, an amount, a share in % or days.
KINDS: dict[str, str] = {
    m: (
        "count"
        if m in ("claims", "appointed", "sla_steps")
        else "percent"
        if m in ("delegation", "supply", "sla")
        else "money"
        if m.startswith(("settled", "fees_"))
        else "days"
    )
    for m in METRICS
}


@dataclass(frozen=True)
class Filters:
    """The selection: months ``YYYY-MM`` from/to (inclusive) and one line, region, insurer or firm."""

    period_from: str | None = None
    period_to: str | None = None
    line: str | None = None
    region: str | None = None
    insurer: Hashable | None = None
    firm: Hashable | None = None

    def admits(self, d: Dims) -> bool:
        return (
            (self.period_from is None or d.period >= self.period_from)
            and (self.period_to is None or d.period <= self.period_to)
            and (self.line is None or d.line == self.line)
            and (self.region is None or d.region == self.region)
            and (self.insurer is None or d.insurer == self.insurer)
            and (self.firm is None or d.firm == self.firm)
        )


@dataclass(frozen=True)
class Group:
    key: Any  # the dimension's value (None for the total, or a row without it)
    figures: dict[str, Figure]


@dataclass(frozen=True)
class Table:
    dimension: str
    total: Group
    groups: list[Group]


def _q(value: Decimal, places: str = "0.1") -> Decimal:
    return value.quantize(Decimal(places), rounding=ROUND_HALF_UP)


def _days(start: dt.datetime, end: dt.datetime) -> Decimal:
    return stats.days_between(start, end)


def _count(values: list[Any]) -> int:
    return len(values)


def _sum(values: list[Decimal]) -> Decimal:
    return _q(sum(values, Decimal("0.00")), "0.01")


def _share(values: list[tuple[Decimal, Decimal]]) -> Decimal | None:
    """Σ part ÷ Σ whole in % (pairs of part and whole); None when the whole is 0."""
    whole = sum((w for _p, w in values), Decimal(0))
    return None if not whole else _q(HUNDRED * sum((p for p, _w in values), Decimal(0)) / whole)


def _p(fraction: str) -> Callable[[list[Decimal]], Decimal]:
    def compute(values: list[Decimal]) -> Decimal:
        return _q(stats.percentile(values, Decimal(fraction)))

    return compute


def _median_days(values: list[int]) -> Decimal:
    return _q(Decimal(str(statistics.median(values))))


def _days_sum(values: list[Decimal]) -> Decimal:
    return _q(sum(values, Decimal(0)))


def _figure(observations: Iterable[tuple[Hashable, Any]], compute: Callable[[list[Any]], Any], private: bool) -> Figure:
    rows = list(observations)
    if private:
        return stats.aggregate(rows, compute)
    insureds = len({who for who, _ in rows})
    return Figure(compute([v for _, v in rows]) if rows else None, insureds)


def figures(
    claims: Sequence[ClaimRow], clocks: Sequence[ClockRow], fees: Sequence[FeeRow], private: bool
) -> dict[str, Figure]:
    """Every figure of one group of rows."""

    def fig(obs: Iterable[tuple[Hashable, Any]], compute: Callable[[list[Any]], Any]) -> Figure:
        return _figure(obs, compute, private)

    out = {
        "claims": fig(((c.dims.insured, 1) for c in claims), _count),
        "appointed": fig(((c.dims.insured, 1) for c in claims if c.appointed_at), _count),
        "delegation": fig(
            ((c.dims.insured, (Decimal(c.appointed_at is not None), Decimal(1))) for c in claims), _share
        ),
        "settled": fig(((c.dims.insured, c.settled) for c in claims if c.settled), _sum),
        "settled_reported": fig(((c.dims.insured, c.settled) for c in claims if c.settled and c.reported_at), _sum),
        "supply": fig(
            ((c.dims.insured, (c.settled if c.reported_at else Decimal(0), c.settled)) for c in claims if c.settled),
            _share,
        ),
    }
    for code, start, end in INTERVALS:
        spans = [
            (c.dims.insured, _days(getattr(c, start), getattr(c, end)))
            for c in claims
            if getattr(c, start) is not None and getattr(c, end) is not None
        ]
        out[f"{code}_p50"] = fig(spans, _p("0.5"))
        out[f"{code}_p90"] = fig(spans, _p("0.9"))
    decided = [k for k in clocks if k.met is not None]
    out["sla_steps"] = fig(((k.dims.insured, 1) for k in decided), _count)
    out["sla"] = fig(((k.dims.insured, (Decimal(bool(k.met)), Decimal(1))) for k in decided), _share)
    for holder in HOLDERS:
        out[f"held_{holder}"] = fig(((k.dims.insured, k.held_days) for k in clocks if k.holder == holder), _days_sum)
    out["fees_billed"] = fig(((f.dims.insured, f.total) for f in fees), _sum)
    out["fees_paid"] = fig(((f.dims.insured, f.paid) for f in fees), _sum)
    out["fees_overdue"] = fig(((f.dims.insured, f.overdue) for f in fees), _sum)
    out["days_to_pay"] = fig(((f.dims.insured, f.days_to_pay) for f in fees if f.days_to_pay is not None), _median_days)
    return out


def table(facts: Facts, selection: Filters, dimension: str, *, private: bool) -> Table:
    """The figures of the selected rows in total and per value of ``dimension`` (sorted by that value)."""
    claims = [c for c in facts.claims if selection.admits(c.dims)]
    clocks = [k for k in facts.clocks if selection.admits(k.dims)]
    fees = [f for f in facts.fees if selection.admits(f.dims)]
    parts: dict[Any, tuple[list[ClaimRow], list[ClockRow], list[FeeRow]]] = {}
    for rows, at in ((claims, 0), (clocks, 1), (fees, 2)):
        for r in rows:
            parts.setdefault(r.dims.key(dimension), ([], [], []))[at].append(r)  # type: ignore[arg-type]
    groups = [Group(key, figures(*parts[key], private)) for key in sorted(parts, key=lambda k: (k is None, str(k)))]
    return Table(dimension, Group(None, figures(claims, clocks, fees, private)), groups)
