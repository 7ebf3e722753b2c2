"""The arithmetic of the Stage 2 comparison (横评, R-U6), pure: quartiles and medians, the claims record
from claim facts, the suppression of small groups, and the integrity score (诚信评价) with its ranking.

**Privacy is structural here.** Everything about other insureds enters as observations
``(insured, value)`` and leaves only through :func:`aggregate`, which returns a :class:`Figure`: the
aggregate and its count of distinct insureds, or — when fewer than :data:`MIN_INSUREDS` insureds stand
behind it — nothing at all (no value, no count). No function here returns an observation, an insured
or a count below the threshold, so a page, the API or the PDF can show only what this module lets out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

#: No figure computed from fewer distinct insureds is shown.
MIN_INSUREDS = 5
#: An insurer is ranked only when its score stands on at least this many components.
MIN_COMPONENTS = 3

HUNDRED = Decimal(100)
DAY = Decimal(86400)


@dataclass(frozen=True)
class Figure:
    """One shown aggregate and the number of distinct insureds behind it; both ``None`` when suppressed
    ("not enough data")."""

    value: Any = None
    insureds: int | None = None

    @property
    def shown(self) -> bool:
        return self.insureds is not None


HIDDEN = Figure()


def aggregate(observations: Iterable[tuple[Hashable, Any]], compute: Callable[[list[Any]], Any]) -> Figure:
    """The one way out of this module: ``compute`` over the observed values, with the number of distinct
    insureds they came from — or :data:`HIDDEN` when that number is below :data:`MIN_INSUREDS`."""
    rows = list(observations)
    insureds = len({who for who, _ in rows})
    if insureds < MIN_INSUREDS:
        return HIDDEN
    return Figure(compute([value for _, value in rows]), insureds)


def _q(value: Decimal, places: str) -> Decimal:
    return value.quantize(Decimal(places), rounding=ROUND_HALF_UP)


def percentile(values: Sequence[Decimal], fraction: Decimal) -> Decimal:
    """The ``fraction`` quantile by linear interpolation between closest ranks (Excel QUARTILE.INC,
    numpy's default). ``values`` must not be empty."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values")
    position = fraction * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def median(values: Sequence[Decimal]) -> Decimal:
    return percentile(values, Decimal("0.5"))


def quartiles(values: Sequence[Decimal]) -> tuple[Decimal, Decimal, Decimal]:
    """Lower quartile, median and upper quartile."""
    return tuple(percentile(values, Decimal(f)) for f in ("0.25", "0.5", "0.75"))  # type: ignore[return-value]


def share(flags: Sequence[bool]) -> Decimal:
    """The share of true flags in %, to one place."""
    return _q(HUNDRED * sum(1 for f in flags if f) / len(flags), "0.1")


def per_hundred(counts: list[Decimal]) -> Decimal:
    """Events per 100 of the observed insureds (one count per insured), to one place."""
    return _q(HUNDRED * sum(counts, Decimal(0)) / len(counts), "0.1")


def rate_quartiles(values: list[Decimal]) -> tuple[Decimal, Decimal, Decimal]:
    """Quartiles of premium rates in ‰, to three places."""
    low, mid, high = quartiles(values)
    return _q(low, "0.001"), _q(mid, "0.001"), _q(high, "0.001")


def median_days(values: list[Decimal]) -> Decimal:
    return _q(median(values), "0.1")


def days_between(start: dt.datetime, end: dt.datetime) -> Decimal:
    return Decimal(int((end - start).total_seconds())) / DAY


# ---- the claims record ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ClaimFacts:
    """What the record reads of one claim against the insurer (never shown as such)."""

    insured: Hashable
    notified_at: dt.datetime
    agreed_at: dt.datetime | None = None
    refused_at: dt.datetime | None = None
    negotiated: bool = False
    disputed: bool = False
    paid_at: dt.datetime | None = None  # the final payment
    paid_after_refusal: bool = False
    withdrawn: bool = False

    @property
    def decided_at(self) -> dt.datetime | None:
        times = [t for t in (self.agreed_at, self.refused_at) if t is not None]
        return min(times) if times else None


DECISION_DAYS = 30  # 保险法 Art. 23: decide within 30 days
PAYMENT_DAYS = 10  # 保险法 Art. 23: pay within 10 days of the agreement


def _decided_in_time(c: ClaimFacts, now: dt.datetime) -> bool | None:
    """Whether the claim was decided within 30 days of notice; ``None`` while it cannot be told yet (or
    it was withdrawn undecided)."""
    limit = c.notified_at + dt.timedelta(days=DECISION_DAYS)
    decided = c.decided_at
    if decided is not None:
        return decided <= limit
    return None if c.withdrawn or now < limit else False


def _paid_in_time(c: ClaimFacts, now: dt.datetime) -> bool | None:
    if c.agreed_at is None:
        return None
    limit = c.agreed_at + dt.timedelta(days=PAYMENT_DAYS)
    if c.paid_at is not None:
        return c.paid_at <= limit
    return None if now < limit else False


def decided_in_time(c: ClaimFacts, now: dt.datetime) -> bool | None:
    """保险法 Art. 23: decided within 30 days of notice (None: cannot be told yet, or withdrawn undecided)."""
    return _decided_in_time(c, now)


def paid_in_time(c: ClaimFacts, now: dt.datetime) -> bool | None:
    """保险法 Art. 23: paid within 10 days of the agreement (None: not agreed, or the 10 days still run)."""
    return _paid_in_time(c, now)


def claims_record(facts: Sequence[ClaimFacts], now: dt.datetime) -> dict[str, Figure]:
    """The insurer's claims record on the platform, every figure through :func:`aggregate`: median days
    from notice to the final payment, % decided within 30 days of notice, % paid within 10 days of the
    agreement, % of negotiated claims disputed, % of decided claims refused, % of refusals later paid."""
    decided = [(c.insured, c) for c in facts if c.decided_at is not None]
    refused = [(who, c) for who, c in decided if c.refused_at is not None]
    in_30 = [(c.insured, ok) for c in facts if (ok := _decided_in_time(c, now)) is not None]
    in_10 = [(c.insured, ok) for c in facts if (ok := _paid_in_time(c, now)) is not None]
    return {
        "payment_days": aggregate(
            ((c.insured, days_between(c.notified_at, c.paid_at)) for c in facts if c.paid_at is not None), median_days
        ),
        "decided_30d": aggregate(in_30, share),
        "paid_10d": aggregate(in_10, share),
        "disputes": aggregate(((c.insured, c.disputed) for c in facts if c.negotiated), share),
        "refusals": aggregate(((who, c.refused_at is not None) for who, c in decided), share),
        "refusals_paid": aggregate(((who, c.paid_after_refusal) for who, c in refused), share),
    }


# ---- the integrity score -------------------------------------------------------------------------


def _linear(best: int, worst: int) -> Callable[[Decimal], Decimal]:
    """100 points at ``best`` days or fewer, none at ``worst`` or more, straight in between."""

    def points(days: Decimal) -> Decimal:
        return max(Decimal(0), min(HUNDRED, HUNDRED * (worst - days) / (worst - best)))

    return points


def _higher_is_better(value: Decimal) -> Decimal:
    return value


def _lower_is_better(value: Decimal) -> Decimal:
    return HUNDRED - value


def _per_hundred(value: Decimal) -> Decimal:
    return max(Decimal(0), HUNDRED - 10 * value)


@dataclass(frozen=True)
class Component:
    """One published component of the integrity score: its fact and how the fact earns 0–100 points."""

    code: str
    points: Callable[[Decimal], Decimal]
    default_weight: int


#: The components in the order shown, each with its published scoring and default weight (sum 100).
COMPONENTS: tuple[Component, ...] = (
    Component("payment_days", _linear(10, 90), 15),  # median days notice → payment
    Component("decided_30d", _higher_is_better, 15),
    Component("paid_10d", _higher_is_better, 15),
    Component("disputes", _lower_is_better, 10),
    Component("refusals", _lower_is_better, 10),
    Component("refusals_paid", _lower_is_better, 10),
    Component("fee_days", _linear(30, 120), 15),  # median days to pay adjusters' fees
    Component("complaints", _per_hundred, 10),  # upheld complaints per 100 insureds
)
BY_CODE: Mapping[str, Component] = {c.code: c for c in COMPONENTS}
DEFAULT_WEIGHTS: Mapping[str, int] = {c.code: c.default_weight for c in COMPONENTS}


@dataclass(frozen=True)
class Part:
    """A component as the comparison shows it: the figure, the points it earns, the published weight and
    the weight it carries after re-weighting over the components with data (in %)."""

    code: str
    figure: Figure
    weight: int
    points: Decimal | None
    effective: Decimal | None


@dataclass(frozen=True)
class Integrity:
    parts: tuple[Part, ...]
    score: Decimal | None  # None: fewer than MIN_COMPONENTS components with data (and weight)
    rank: int | None = None


def integrity(figures: Mapping[str, Figure], weights: Mapping[str, int]) -> Integrity:
    """The score over the components that have data and a weight, each weight re-scaled so that they sum
    to 100 %; no score below :data:`MIN_COMPONENTS` such components."""
    points = {
        c.code: _q(c.points(Decimal(figures[c.code].value)), "0.1")
        for c in COMPONENTS
        if figures.get(c.code, HIDDEN).shown
    }
    counted = {code: weights.get(code, 0) for code in points if weights.get(code, 0) > 0}
    total = sum(counted.values())
    parts = tuple(
        Part(
            c.code,
            figures.get(c.code, HIDDEN),
            weights.get(c.code, 0),
            points.get(c.code),
            _q(HUNDRED * counted[c.code] / total, "0.1") if c.code in counted else None,
        )
        for c in COMPONENTS
    )
    if len(counted) < MIN_COMPONENTS:
        return Integrity(parts, None)
    score = sum((points[code] * weight for code, weight in counted.items()), Decimal(0)) / total
    return Integrity(parts, _q(score, "0.1"))


def ranked(scores: Mapping[Hashable, Decimal | None]) -> dict[Hashable, int | None]:
    """Competition ranking by score, highest first (equal scores share a rank: 1, 1, 3); no rank
    without a score."""
    ordered = sorted((s for s in scores.values() if s is not None), reverse=True)
    return {key: (None if s is None else ordered.index(s) + 1) for key, s in scores.items()}
