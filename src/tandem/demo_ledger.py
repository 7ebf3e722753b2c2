"""Demo client money (演示客户资金) and business files (业务档案): a year of the demo broker's ledger, derived
from what the demo records — each policy's premium received from the insured and remitted to the insurer,
each claim payment an insurer recorded on the broker's claims received and passed to the insured — through
the real services (``tandem.brokerage``), so the client money page shows real figures on first login.

A few receipts are left open at different ages (the latest claim payments not yet passed on, one about a
month old still held, one a quarter old passed on in half, one premium in four remitted only in part), and
one mistaken pay-out is reversed with its reason. Each policy with a premium has its business file (commission
deducted, premium remitted net within 7 days, the staff who served), but one in five (flagged on its page).
Loaded after the demo history."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.access.actor import Actor
from tandem.access.models import User
from tandem.brokerage import business_file, ledger
from tandem.brokerage.models import ClientMoneyEntry
from tandem.claim.models import Claim, Payment
from tandem.kit.clock import SHANGHAI, local_day
from tandem.policy.models import Policy

OPEN_CLAIMS = 3  # the latest claim payments received and not yet passed on
PASS_ON_DAYS = (2, 3, 5, 4, 6)  # days from a receipt to its pay-out, in turn
REMIT_DAYS = 7  # the business file's remittance: within 7 days of receipt
COMMISSION = Decimal("0.15")  # deducted from the premium remitted
FILE_GAP = 5
STALE_DAYS = 30  # about a month old: still held, waiting for the insured's bank details
HALVED_DAYS = 90  # a quarter old: half passed on, the rest disputed


def _at(day: dt.date) -> dt.datetime:
    """10:00 Asia/Shanghai on ``day``."""
    return dt.datetime.combine(day, dt.time(10), SHANGHAI).astimezone(dt.UTC)


def _pass_on(
    session: Session, actor: Actor, receipt: ClientMoneyEntry, kind: str, amount: Decimal, day: dt.date
) -> ClientMoneyEntry:
    data = ledger.EntryIn(kind, amount, day, f"ZC-{day:%Y%m%d}-{str(receipt.id)[:6]}", receipt_id=receipt.id)
    return ledger.record(session, actor, data, at=_at(day))


def load(session: Session, now: dt.datetime) -> int:
    """Record the demo broker's ledger; return the number of entries."""
    staff = list(
        session.execute(select(User).where(User.username.in_(("broker", "broker2"))).order_by(User.username)).scalars()
    )
    actor = Actor.from_user(staff[0])
    today = local_day(now)
    start = today - dt.timedelta(days=365)
    count = 0
    policies = session.execute(
        select(Policy)
        .where(Policy.broker_id == actor.org_id, Policy.premium.is_not(None), Policy.period_start <= today)
        .order_by(Policy.period_start, Policy.number)
    ).scalars()
    for i, policy in enumerate(list(policies)):
        if policy.premium is None or policy.premium <= 0:
            continue
        day = max(policy.period_start, start)
        if i % FILE_GAP:  # one policy in FILE_GAP is left without its business file (flagged on its page)
            commission = (policy.premium * COMMISSION).quantize(Decimal("0.01"))
            terms = business_file.FileIn(COMMISSION, commission, "deducted", "net", REMIT_DAYS, staff[i % 2].id)
            business_file.save(session, actor, policy.id, terms, at=_at(day))
        rec = ledger.record(
            session,
            actor,
            ledger.EntryIn("premium_received", policy.premium, day, f"BF-{policy.number}", policy_id=policy.id),
            at=_at(day),
        )
        count += 1
        remit = day + dt.timedelta(days=REMIT_DAYS)
        if remit > today:
            continue  # received lately: still open
        share = policy.premium if i % 4 else (policy.premium * Decimal("0.6")).quantize(Decimal("0.01"))
        _pass_on(session, actor, rec, "premium_remitted", share, remit)  # one in four only in part
        count += 1
    rows = session.execute(
        select(Payment, Claim)
        .join(Claim, Claim.id == Payment.claim_id)
        .where(Claim.broker_id == actor.org_id)
        .order_by(Payment.paid_at, Payment.id)
    )
    pays = [(p, c) for p, c in rows if start <= local_day(p.paid_at) <= today]
    ages = [(today - local_day(p.paid_at)).days for p, _c in pays]
    # One older claim payment still held (over the hold limit), one long ago passed on only in half.
    stale = next((n for n in reversed(range(len(pays))) if ages[n] >= STALE_DAYS), None)
    halved = next((n for n in reversed(range(len(pays))) if ages[n] >= HALVED_DAYS), None)
    for n, (pay, claim) in enumerate(pays):
        day = local_day(pay.paid_at)
        data = ledger.EntryIn(
            "claim_received", pay.amount, day, f"SK-{claim.number}", claim_id=claim.id, payment_id=pay.id
        )
        rec = ledger.record(session, actor, data, at=_at(day))
        count += 1
        out = day + dt.timedelta(days=PASS_ON_DAYS[n % len(PASS_ON_DAYS)])
        if n >= len(pays) - OPEN_CLAIMS or out > today or n == stale:
            continue
        amount = (pay.amount / 2).quantize(Decimal("0.01")) if n == halved else pay.amount
        first = _pass_on(session, actor, rec, "claim_paid", amount, out)
        count += 1
        if n == 0:  # the first pay-out went to a wrong account: reversed, then paid again
            ledger.reverse(session, actor, first.id, reason="收款账户有误，退回后重付", at=_at(out))
            _pass_on(session, actor, rec, "claim_paid", pay.amount, out)
            count += 2
    session.flush()
    return count
