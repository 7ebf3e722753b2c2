"""The comparison's arithmetic (横评, R-U6), pure: quartiles and medians, the claims record from claim
facts, suppression below 5 insureds, and the integrity score's re-weighting and ranking."""

from __future__ import annotations

import datetime as dt
import statistics
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from tandem.placement import comparison_stats as stats

T0 = dt.datetime(2026, 1, 5, 2, 0, tzinfo=dt.UTC)
NOW = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
decimals = st.decimals(min_value=Decimal("0.001"), max_value=Decimal("50"), places=3)


def test_upheld_complaints_per_hundred_insureds() -> None:
    counts = [(i, Decimal(c)) for i, c in enumerate([0, 0, 1, 0, 2, 0, 0, 0])]
    assert stats.aggregate(counts, stats.per_hundred) == stats.Figure(Decimal("37.5"), 8)


def test_quartiles_interpolate_between_closest_ranks() -> None:
    values = [Decimal(v) for v in ("1", "2", "3", "4", "10")]
    assert stats.quartiles(values) == (Decimal(2), Decimal(3), Decimal(4))
    assert stats.quartiles([Decimal(1), Decimal(2)]) == (Decimal("1.25"), Decimal("1.5"), Decimal("1.75"))
    assert stats.median([Decimal(7)]) == Decimal(7)
    assert stats.rate_quartiles([Decimal("0.8"), Decimal("0.9"), Decimal("1.0"), Decimal("1.35")]) == (
        Decimal("0.875"),
        Decimal("0.950"),
        Decimal("1.088"),
    )


@given(st.lists(decimals, min_size=1, max_size=40))
def test_quartiles_are_ordered_within_the_range_and_the_median_is_the_statistics_one(values: list[Decimal]) -> None:
    low, mid, high = stats.quartiles(values)
    assert min(values) <= low <= mid <= high <= max(values)
    assert mid == statistics.median(values)
    # Order does not matter; the same values twice give the same quartiles.
    assert stats.quartiles(list(reversed(values))) == (low, mid, high)
    assert stats.quartiles(values + values)[1] == mid


@given(st.lists(st.tuples(st.integers(0, 8), decimals), max_size=30))
def test_a_figure_is_shown_only_with_five_insureds_behind_it(rows: list[tuple[int, Decimal]]) -> None:
    figure = stats.aggregate(rows, stats.median)
    insureds = len({who for who, _ in rows})
    if insureds < stats.MIN_INSUREDS:
        assert figure == stats.HIDDEN and figure.value is None and figure.insureds is None and not figure.shown
    else:
        assert figure.insureds == insureds and figure.value == stats.median([v for _, v in rows])


def _claim(who: int, **kw) -> stats.ClaimFacts:
    return stats.ClaimFacts(insured=who, notified_at=T0, **kw)


def _days(n: float) -> dt.datetime:
    return T0 + dt.timedelta(days=n)


def test_the_claims_record_from_claim_facts() -> None:
    facts = [
        # paid in 12, 20, 30, 40 and 50 days; decided in 5..45 days; paid 3..12 days after agreement
        _claim(1, agreed_at=_days(5), negotiated=True, paid_at=_days(12)),
        _claim(2, agreed_at=_days(15), negotiated=True, paid_at=_days(20)),
        _claim(3, agreed_at=_days(25), negotiated=True, disputed=True, paid_at=_days(30)),
        _claim(4, agreed_at=_days(35), negotiated=True, paid_at=_days(40)),
        _claim(5, agreed_at=_days(38), negotiated=True, paid_at=_days(50)),
        _claim(6, refused_at=_days(10), negotiated=True, paid_after_refusal=True),
        _claim(6, refused_at=_days(20), negotiated=True, disputed=True),
        _claim(7, withdrawn=True),  # withdrawn undecided: in no share
        stats.ClaimFacts(insured=8, notified_at=NOW - dt.timedelta(days=3)),  # too early to tell
    ]
    record = stats.claims_record(facts, NOW)
    assert record["payment_days"] == stats.Figure(Decimal("30.0"), 5)
    assert record["decided_30d"] == stats.Figure(Decimal("71.4"), 6)  # 5 of 7 decided within 30 days
    assert record["paid_10d"] == stats.Figure(Decimal("80.0"), 5)  # one paid 12 days after agreement
    assert record["disputes"] == stats.Figure(Decimal("28.6"), 6)  # 2 of 7 negotiated
    assert record["refusals"] == stats.Figure(Decimal("28.6"), 6)
    assert record["refusals_paid"] == stats.HIDDEN  # refusals of one insured only


def test_an_agreed_claim_unpaid_after_ten_days_counts_as_late_and_an_undecided_one_after_thirty() -> None:
    facts = [_claim(i, agreed_at=_days(1), negotiated=True) for i in range(5)]
    assert stats.claims_record(facts, NOW)["paid_10d"] == stats.Figure(Decimal("0.0"), 5)
    early = [_claim(i, agreed_at=NOW - dt.timedelta(days=2)) for i in range(5)]
    assert stats.claims_record(early, NOW)["paid_10d"] == stats.HIDDEN  # nothing can be told yet
    stale = [_claim(i) for i in range(5)]
    assert stats.claims_record(stale, NOW)["decided_30d"] == stats.Figure(Decimal("0.0"), 5)


def _figures(**values: str) -> dict[str, stats.Figure]:
    return {code: stats.Figure(Decimal(v), 9) for code, v in values.items()}


def test_the_score_reweights_over_the_components_with_data() -> None:
    weights = dict(stats.DEFAULT_WEIGHTS)
    full = stats.integrity(
        _figures(payment_days="50", decided_30d="80", paid_10d="90", disputes="10", refusals="5", refusals_paid="0"),
        weights,
    )
    # points: 50 days -> 50.0; 80; 90; 90; 95; 100. Weights 15, 15, 15, 10, 10, 10 of 75.
    expected = (Decimal(50) * 15 + 80 * 15 + 90 * 15 + 90 * 10 + 95 * 10 + 100 * 10) / 75
    assert full.score == expected.quantize(Decimal("0.1"))
    parts = {p.code: p for p in full.parts}
    assert parts["payment_days"].points == Decimal("50.0") and parts["payment_days"].effective == Decimal("20.0")
    assert parts["fee_days"].figure == stats.HIDDEN and parts["fee_days"].effective is None
    assert parts["fee_days"].weight == 15  # the published weight is still shown

    # Three components: a score; two: none (and so no rank).
    three = stats.integrity(_figures(decided_30d="80", paid_10d="90", disputes="10"), weights)
    assert three.score == Decimal("86.3")  # (80*15 + 90*15 + 90*10) / 40 = 86.25
    assert stats.integrity(_figures(decided_30d="80", paid_10d="90"), weights).score is None
    # A weight of 0 leaves its component out of the count.
    no_disputes = {**weights, "disputes": 0}
    assert stats.integrity(_figures(decided_30d="80", paid_10d="90", disputes="10"), no_disputes).score is None


@given(
    st.dictionaries(st.sampled_from([c.code for c in stats.COMPONENTS]), st.decimals(0, 100, places=1), min_size=3),
    st.dictionaries(st.sampled_from([c.code for c in stats.COMPONENTS]), st.integers(1, 100)),
)
def test_the_score_is_a_weighted_mean_of_the_points(values: dict[str, Decimal], weights: dict[str, int]) -> None:
    weights = {**stats.DEFAULT_WEIGHTS, **weights}
    result = stats.integrity({c: stats.Figure(v, 5) for c, v in values.items()}, weights)
    points = [p.points for p in result.parts if p.points is not None]
    assert result.score is not None and min(points) <= result.score <= max(points)  # type: ignore[type-var]
    effective = [p.effective for p in result.parts if p.effective is not None]
    assert abs(sum(effective) - 100) <= Decimal("0.1") * len(effective)  # type: ignore[arg-type]


def test_ranking_shares_ties_and_leaves_out_the_unscored() -> None:
    assert stats.ranked({"a": Decimal("80"), "b": Decimal("91.5"), "c": None, "d": Decimal("80")}) == {
        "a": 2,
        "b": 1,
        "c": None,
        "d": 2,
    }


@given(
    st.lists(
        st.tuples(
            st.integers(0, 7),
            st.integers(0, 60),
            st.one_of(st.none(), st.integers(1, 40)),
            st.booleans(),
            st.one_of(st.none(), st.integers(0, 30)),
        ),
        max_size=40,
    )
)
def test_no_figure_of_the_claims_record_stands_on_fewer_than_five_insureds(rows) -> None:
    facts = []
    for who, notified, decided, refused, paid in rows:
        at = T0 + dt.timedelta(days=notified)
        decision = None if decided is None else at + dt.timedelta(days=decided)
        facts.append(
            stats.ClaimFacts(
                insured=who,
                notified_at=at,
                agreed_at=None if refused else decision,
                refused_at=decision if refused else None,
                negotiated=decision is not None,
                paid_at=None if decision is None or paid is None else decision + dt.timedelta(days=paid),
            )
        )
    for figure in stats.claims_record(facts, NOW).values():
        assert figure == stats.HIDDEN or (figure.insureds is not None and figure.insureds >= stats.MIN_INSUREDS)
        assert figure.shown or (figure.value is None and figure.insureds is None)
