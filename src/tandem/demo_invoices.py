"""Demo fee invoices (演示公估费发票): firm A (华信) invoices insurer1 on its reported demo claims, one invoice
at each stage — paid late, disputed and reissued then part paid, overdue past the escalation, accepted and
overdue, disputed awaiting the reissue, paid on time, just issued — through the real service, so the case
pages, the receivables and payables pages, the ageing and the days-to-pay show real figures on first login.
Loaded by ``tandem demo load`` after the demo claims; the reminders and escalations due in the past are
sent by the worker's first run."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tandem.access.actor import Actor
from tandem.access.models import User
from tandem.fees import invoices
from tandem.fees.invoices import WorkIn
from tandem.fees.models import Invoice
from tandem.kit.clock import SHANGHAI, local_day
from tandem.report.models import Report

DAY = dt.timedelta(days=1)


def _morning(at: dt.datetime, days: float) -> dt.datetime:
    """10:00 Asia/Shanghai, ``days`` after ``at``'s day."""
    local = (at + dt.timedelta(days=days)).astimezone(SHANGHAI)
    return local.replace(hour=10, minute=0, second=0, microsecond=0).astimezone(dt.UTC)


class _Demo:
    def __init__(self, session: Session, firm: Actor, payer: Actor, now: dt.datetime) -> None:
        self.session, self.firm, self.payer, self.now = session, firm, payer, now

    def after(self, at: dt.datetime, days: float) -> dt.datetime:
        """10:00 ``days`` after ``at``, but never after the demo's now (a demo loaded early in January)."""
        return min(_morning(at, days), self.now)

    def issue(self, case_id: uuid.UUID, at: dt.datetime, incurred: str) -> Invoice:
        return invoices.raise_invoice(
            self.session, self.firm, case_id, WorkIn(expenses_incurred=Decimal(incurred)), at=at
        )

    def pay(self, inv: Invoice, at: dt.datetime, amount: Decimal | None = None) -> None:
        left = amount if amount is not None else invoices.open_amount(self.session, inv)
        on = local_day(at)
        ref = f"ZA-FEE-{inv.number[-6:]}"
        invoices.record_payment(self.session, self.payer, inv.id, amount=left, paid_on=on, reference=ref, at=at)

    def paid_late(self, case_id: uuid.UUID, at: dt.datetime) -> None:
        """Invoiced, accepted, paid 52 days after the invoice (22 days late)."""
        inv = self.issue(case_id, at, "2350.00")
        invoices.accept(self.session, self.payer, inv.id, at=self.after(at, 6))
        self.pay(inv, self.after(at, 52))

    def reissued_part_paid(self, case_id: uuid.UUID, at: dt.datetime) -> None:
        """The insurer disputes the expenses; the firm reissues them as vouched; the insurer pays half."""
        inv = self.issue(case_id, at, "4800.00")
        reason = "差旅费超出实际票据金额，请按票据核减后重开"
        invoices.dispute(self.session, self.payer, inv.id, reason=reason, disputed=["expenses"], at=self.after(at, 5))
        again = invoices.reissue(
            self.session,
            self.firm,
            inv.id,
            WorkIn(expenses_incurred=Decimal("3260.00")),
            reason="按票据核减差旅费",
            at=self.after(at, 8),
        )
        self.pay(again, self.after(at, 30), (again.total / 2).quantize(Decimal("0.01")))

    def overdue(self, case_id: uuid.UUID, at: dt.datetime) -> None:
        """Issued and never answered: more than 30 days overdue (escalated)."""
        self.issue(case_id, at, "1680.00")

    def accepted_overdue(self, case_id: uuid.UUID, at: dt.datetime) -> None:
        inv = self.issue(case_id, at, "920.00")
        invoices.accept(self.session, self.payer, inv.id, at=self.after(at, 3))

    def disputed(self, case_id: uuid.UUID, at: dt.datetime) -> None:
        inv = self.issue(case_id, at, "3100.00")
        reason = "公估费按报告金额计算，但报告金额尚在协商，暂不确认"
        invoices.dispute(self.session, self.payer, inv.id, reason=reason, disputed=["fee"], at=self.after(at, 4))

    def paid_on_time(self, case_id: uuid.UUID, at: dt.datetime) -> None:
        inv = self.issue(case_id, at, "1200.00")
        self.pay(inv, self.after(at, 10))

    def issued(self, case_id: uuid.UUID, at: dt.datetime) -> None:
        self.issue(case_id, at, "860.00")


def load(session: Session, now: dt.datetime) -> None:
    """Firm A's invoices on its reported demo claims, oldest report first, one stage each."""
    users = {
        u.username: u
        for u in session.execute(select(User).where(User.username.in_(["adjuster1", "insurer1"]))).unique().scalars()
    }
    demo = _Demo(session, Actor.from_user(users["adjuster1"]), Actor.from_user(users["insurer1"]), now)
    firm_id = users["adjuster1"].organisation_id
    reports = session.execute(
        select(Report.case_id, func.min(Report.submitted_at).label("at"))
        .where(Report.firm_id == firm_id)
        .group_by(Report.case_id)
        .order_by("at")
    ).all()
    stages: list[Callable[[uuid.UUID, dt.datetime], None]] = [
        demo.paid_late,
        demo.reissued_part_paid,
        demo.overdue,
        demo.accepted_overdue,
        demo.accepted_overdue,
        demo.disputed,
        demo.paid_on_time,
        demo.issued,
    ]
    for (case_id, reported_at), stage in zip(reports, stages, strict=False):
        at = _morning(reported_at, 2)
        if at < now:
            stage(case_id, at)
    session.flush()
