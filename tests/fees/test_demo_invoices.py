"""The demo's fee invoices: every stage is there, the worker's first run sends the reminders and
escalations due in the past, and receivables, payables and days-to-pay show them."""

from __future__ import annotations

import uuid
from collections import Counter
from decimal import Decimal

from sqlalchemy import select

from tandem import demo_claims, demo_invoices
from tandem.audit import service as audit
from tandem.fees import invoices
from tandem.fees.models import Invoice
from tandem.worker import runner
from tests.helpers import _ok, inbox


def test_demo_invoices_at_every_stage(env):
    with env.factory.begin() as s:
        demo_claims.load(s, env.settings, env.clock.now())
        demo_invoices.load(s, env.clock.now())
    for _ in range(10):
        if not runner.run_once(env.factory, env.settings, env.clock).done:
            break
    with env.session() as s:
        rows = list(s.execute(select(Invoice).order_by(Invoice.number)).scalars())
        states = Counter(i.state for i in rows)
        assert states == {"paid": 2, "replaced": 1, "part_paid": 1, "issued": 2, "accepted": 2, "disputed": 1}, states
        assert [i.number for i in rows] == [f"GF-2026-{n:06d}" for n in range(1, 10)]  # gap-free
        late = next(i for i in rows if i.state == "paid" and i.settled_on and i.settled_on > i.due_date)
        assert (late.settled_on - late.invoice_date).days == 52
        payer = rows[0].payer_id
        habits = invoices.days_to_pay_by_payer(s, [payer])[payer]
        assert (habits.median_days, habits.settled, habits.insureds) == (Decimal("31.0"), 2, 1)  # 52 and 10 days
        assert audit.verify(s) == []
    ageing = _ok(env.client("adjuster1").get("/api/v1/receivables"))["ageing"]
    (row,) = ageing
    assert Decimal(row["31-60"]) > 0 and Decimal(row["1-30"]) > 0 and Decimal(row["current"]) > 0
    assert _ok(env.client("insurer1").get("/api/v1/payables"))["ageing"][0]["total"] == row["total"]
    overdue = next(i for i in rows if i.state == "issued" and i.due_date < env.clock.now().date())
    escalated = [m for m in inbox(env, "insurer1") if overdue.number in m and "逾期超过30天" in m]
    assert escalated, inbox(env, "insurer1")
    assert uuid.UUID(row["org_id"]) == payer
