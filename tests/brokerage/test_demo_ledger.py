"""The demo broker's client money: a year of entries derived from the demo's claim payments (and premiums of
the policies that have one), open items of different ages, one reversal, and balances that add up."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from sqlalchemy import select

from tandem import demo_history, demo_ledger
from tandem.audit import service as audit
from tandem.brokerage import ledger
from tandem.brokerage.models import BusinessFile, ClientMoneyEntry
from tandem.claim.models import Claim, Payment
from tandem.kit.clock import local_day
from tandem.policy.models import Policy
from tests.helpers import _ok


def test_demo_ledger_is_derived_from_the_demo_and_reconciles(env):
    now = env.clock.now()
    with env.factory.begin() as s:
        demo_history.load(s, now)
        # The history's policies carry no premium; give a few one, as a bound placement's policy has.
        some = s.execute(select(Policy).where(Policy.broker_id.is_not(None)).order_by(Policy.number).limit(7))
        for n, policy in enumerate(some.scalars()):
            policy.premium = Decimal("12345.67") + n
        s.flush()
        count = demo_ledger.load(s, now)
    today = local_day(now)
    with env.session() as s:
        rows = list(s.execute(select(ClientMoneyEntry)).scalars())
        broker = rows[0].broker_id
        pays = [
            p
            for p in s.execute(
                select(Payment).join(Claim, Claim.id == Payment.claim_id).where(Claim.broker_id == broker)
            ).scalars()
            if local_day(p.paid_at) > today.replace(year=today.year - 1)
        ]
        premiums = list(
            s.execute(
                select(Policy.id).where(Policy.broker_id == broker, Policy.premium > 0, Policy.period_start <= today)
            ).scalars()
        )
        filed = set(s.execute(select(BusinessFile.policy_id)).scalars())
        assert (
            len(premiums) == 7
            and filed < set(premiums)
            and len(filed) == sum(1 for i in range(len(premiums)) if i % demo_ledger.FILE_GAP)
        )
        kinds = Counter(e.kind for e in rows if e.reverses_id is None)
        assert len(rows) == count
        assert kinds["claim_received"] == len(pays) > demo_ledger.OPEN_CLAIMS
        assert {e.payment_id for e in rows if e.kind == "claim_received"} == {p.id for p in pays}
        assert kinds["premium_received"] == len(premiums)
        reversals = [e for e in rows if e.reverses_id is not None]
        assert len(reversals) == 1 and reversals[0].reason
        items = ledger.open_items(rows, today, env.settings.client_money_hold_days)
        assert len(items) >= demo_ledger.OPEN_CLAIMS
        assert len({i.age_days for i in items}) > 1 and any(i.over_limit for i in items)
        assert ledger.balance(rows) == sum((i.held for i in items), Decimal("0.00"))
        assert audit.verify(s) == []
    got = _ok(env.client("broker").get("/api/v1/client-money/open-items"))
    assert [i["entry"]["id"] for i in got] == [str(i.receipt.id) for i in items]  # oldest first
    incomplete = _ok(env.client("broker").get("/api/v1/business-files/incomplete"))
    assert {r["policy_id"] for r in incomplete} >= {str(p) for p in set(premiums) - filed}
    st = _ok(env.client("broker").get("/api/v1/client-money/statement", params={"by": "insurer"}))
    assert sum(Decimal(r["balance"]) for r in st["rows"]) == ledger.balance(rows)
