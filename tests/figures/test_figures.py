"""Market figures (issue 18 item 3) on a known set of claims and fees, every figure worked out by hand
(tests/helpers.figures_known_set describes the six claims A-F; now is 2026-11-25 02:00 UTC)."""

from __future__ import annotations

import uuid
from decimal import Decimal

from tandem.figures import compute, facts
from tandem.figures.compute import Filters
from tests.helpers import _user_actor, figures_known_set


def _table(env, username, dimension="period", selection=Filters()):
    with env.session() as s:
        rows = facts.read(s, _user_actor(s, username), env.clock.now())
    private = username not in ("broker", "insured1")
    return compute.table(rows, selection, dimension, private=private)


def _values(group):
    return {k: f.value for k, f in group.figures.items()}


D = Decimal


def test_every_figure_of_the_brokers_book_matches_the_hand_computation(env):
    figures_known_set(env)
    t = _table(env, "broker").total
    v = _values(t)
    assert (v["claims"], v["appointed"], v["delegation"]) == (6, 3, D("50.0"))  # A, B, E of six
    assert v["settled"] == D("450000.00") and v["settled_reported"] == D("400000.00")
    assert v["supply"] == D("88.9")  # 400 000 / 450 000
    # notice → adjuster: A 1, B 3, E 1 days; p90 = 1 + (3 - 1) × 0.8
    assert (v["notice_adjuster_p50"], v["notice_adjuster_p90"]) == (D("1.0"), D("2.6"))
    assert (v["notice_report_p50"], v["notice_report_p90"]) == (D("17.0"), D("21.8"))  # 11, 23
    assert (v["report_agreement_p50"], v["report_agreement_p90"]) == (D("25.0"), D("37.0"))  # 10, 40
    assert (v["agreement_payment_p50"], v["agreement_payment_p90"]) == (D("5.0"), D("10.6"))  # 2, 5, 12
    # Clocks decided: A 4 met; B routing late (letter after 52 h), answer met, decision late, payment met;
    # C decision met, payment late; D decision met, payment overdue; E routing and answer met, decision
    # overdue; F running within its clock.
    assert (v["sla_steps"], v["sla"]) == (15, D("66.7"))  # 10 of 15
    assert v["held_broker"] == D("2.5")  # routing to the letter: A 4 h, B 52 h, E 4 h
    assert v["held_adjuster_firm"] == D("2.5")  # the letter answered in 20 h: A, B, E
    assert v["held_insurer"] == D("171.0")  # A 10+5, B 40+2, C 15+12, D 20+26 (to now), E 36, F 5
    assert t.figures["held_insured"].value is None
    # Fees: A 5 300 paid after 20 days; B 9 540 invoiced 10 Oct, due 9 Nov, unpaid.
    assert (v["fees_billed"], v["fees_paid"], v["fees_overdue"]) == (D("14840.00"), D("5300.00"), D("9540.00"))
    assert v["days_to_pay"] == D("20.0")


def test_per_period_and_filters(env):
    ids = figures_known_set(env)
    groups = {g.key: _values(g) for g in _table(env, "broker").groups}
    assert list(groups) == ["2026-09", "2026-10", "2026-11"]
    sep, octo, nov = groups["2026-09"], groups["2026-10"], groups["2026-11"]
    assert (sep["claims"], sep["delegation"], sep["supply"]) == (2, D("100.0"), D("100.0"))
    assert sep["fees_billed"] == D("5300.00")  # B's invoice is October's (its invoice date)
    assert (octo["claims"], octo["delegation"], octo["supply"], octo["fees_overdue"]) == (
        3,
        D("33.3"),
        D("0.0"),
        D("9540.00"),
    )
    assert (nov["claims"], nov["delegation"], nov["supply"]) == (1, D("0.0"), None)
    zhongan = uuid.UUID(ids["中安财产保险股份有限公司"])
    by_insurer = _values(_table(env, "broker", selection=Filters(insurer=zhongan)).total)
    assert (by_insurer["claims"], by_insurer["delegation"]) == (4, D("50.0"))  # A, B, C, F
    assert _values(_table(env, "broker", selection=Filters(region="浙江")).total)["claims"] == 1  # B
    firm = _values(_table(env, "broker", selection=Filters(firm=uuid.UUID(ids["王建国"]))).total)
    assert (firm["claims"], firm["fees_billed"]) == (1, D("5300.00"))  # A
    sept = _values(_table(env, "broker", selection=Filters(period_from="2026-10", period_to="2026-10")).total)
    assert (sept["claims"], sept["fees_billed"]) == (3, D("9540.00"))
    lines = {g.key: _values(g)["claims"] for g in _table(env, "broker", "line").groups}
    assert lines == {"企业财产保险": 4, "货物运输保险": 2}


def test_figures_from_fewer_than_five_insureds_are_hidden_outside_the_broker(env):
    figures_known_set(env)
    market = _table(env, "regulator").total.figures  # market-wide: six insureds behind the claims
    assert market["claims"].value == 6 and market["delegation"].value == D("50.0")
    assert market["sla"].value == D("66.7")  # A-E: five insureds
    for code in ("appointed", "notice_adjuster_p50", "supply", "fees_billed", "days_to_pay"):  # 2-3 insureds
        assert not market[code].shown and market[code].value is None, code
    insurer = _table(env, "insurer1").total.figures  # 中安: A, B, C, F, four insureds
    assert not any(f.shown for f in insurer.values())
    own = _values(_table(env, "insured1").total)  # its own claim A: nothing of another insured
    assert (own["claims"], own["notice_report_p50"], own["agreement_payment_p50"]) == (1, D("11.0"), D("5.0"))


def test_figures_as_of_a_past_moment_leave_later_claims_and_steps_out(env):
    """A past day's figures (the supervision export of that day) count only what had happened by then."""
    import datetime as dt

    figures_known_set(env)
    now = env.clock.now()
    past = now - dt.timedelta(days=6)  # F was notified 5 days ago
    with env.session() as s:
        actor = _user_actor(s, "broker")
        later, then = facts.read(s, actor, now), facts.read(s, actor, past)
    assert len(later.claims) == 6 and len(then.claims) == 5
    steps = [
        t
        for c in then.claims
        for t in (c.notified_at, c.appointed_at, c.reported_at, c.agreed_at, c.paid_at)
        if t is not None
    ]
    assert steps and max(steps) <= past
    # Some step of the six claims came after that moment, so the two readings really differ.
    assert any(
        t is not None and t > past
        for c in later.claims
        for t in (c.notified_at, c.appointed_at, c.reported_at, c.agreed_at, c.paid_at)
    )
