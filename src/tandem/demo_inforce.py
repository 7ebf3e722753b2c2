"""Demo of policies in force (issue 16 items 3 to 5): the bound demo policy with an accepted mid-term
increase of its sum insured (a second version, the additional premium pro rata by day); insured2's 财产一切险
suspended for unpaid premium and then terminated by the insurer with its refund, the broker's recovery under
way; and the placement's policy the insurer ended (``demo_placements.ENDED_TITLE``), with 正衡's signed
termination assessment report (R-U10) on its accepted letter of instruction with fee terms, its invoice,
and the recovery paid from it. Built through the same services as the
app; called once from ``tandem.demo.load`` after the placements."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.access.actor import Actor
from tandem.access.models import Role, User
from tandem.config import Settings
from tandem.demo_placements import ENDED_TITLE
from tandem.fees import invoices
from tandem.fees.engine import parse_terms
from tandem.fees.terms import engagement_for
from tandem.inforce import termination
from tandem.kit.clock import local_day
from tandem.party.models import Adjuster
from tandem.placement.models import Placement
from tandem.policy import endorsements, recovery, suspension
from tandem.policy import versions as policy_versions
from tandem.policy.models import Policy

SUSPENDED_POLICY = "PCA2026441900002"  # insured2's 财产一切险: suspended, then terminated by the insurer
#: The status changes of that policy, in order.
STATUS_CHANGES = ("suspend", "terminate")
#: The steps of its recovery (追偿), in order: at round 2, awaiting the insurer's answer.
RECOVERY_STEPS = ("demand", "counter", "demand")
REPLACEMENT = Decimal("5600.00")  # replacement cover for the rest of the period, minus the refund
RECOVERY_REASONS = "保险人在催缴程序存在瑕疵的情况下中止并解除合同，应赔偿被保险人由此产生的损失。"
#: The steps of the recovery that took its amount from the termination assessment report, in order.
ASSESSED_RECOVERY_STEPS = ("demand", "accept", "pay")
ASSESSMENT = {
    "cause": "保险人以投保人未按约定整改消防隐患、危险程度显著增加为由解除保险合同",
    "basis": "解除通知书、原保单、三家保险公司对剩余期间的报价及重新验标费用发票",
}
ASSESSED_HEADS = {"replacement_cost": Decimal("6200.00"), "other_costs": Decimal("900.00")}
#: 正衡's fee terms on its letter of instruction for the assessment: a fixed fee the insured pays in 30 days.
ASSESSMENT_TERMS = {"basis": "fixed", "amount": "6000.00", "payer": "insured", "payment_days": 30}
INCREASE = Decimal("1.20")  # the bound policy's first section: +20 % from two months back
CHANGE_AGO = dt.timedelta(days=60)


def _actor(session: Session, username: str) -> Actor:
    return Actor.from_user(session.execute(select(User).where(User.username == username)).unique().scalar_one())


def _underwriter(session: Session, policy: Policy) -> Actor:
    """The underwriter of the policy's insurer."""
    users = session.execute(select(User).where(User.organisation_id == policy.insurer_id)).unique().scalars()
    return next(a for a in map(Actor.from_user, users) if Role.INSURER_UNDERWRITER in a.roles)


def load(session: Session, settings: Settings, now: dt.datetime) -> None:
    broker, underwriter = _actor(session, "broker"), _actor(session, "underwriter1")
    placed = select(Policy).join(Placement, Placement.id == Policy.placement_id)
    assessed = session.execute(placed.where(Placement.title == ENDED_TITLE)).unique().scalar_one_or_none()
    bound = session.execute(placed.where(Placement.title != ENDED_TITLE)).unique().scalars().first()
    if assessed is not None:
        _assessed(session, broker, underwriter, assessed, now)
    if bound is not None:
        current = policy_versions.current(session, bound)
        changes = [
            endorsements.SectionChange(
                s["code"],
                s["name"],
                (Decimal(s["sum_insured"]) * (INCREASE if i == 0 else 1)).quantize(Decimal("0.01")),
                Decimal(s["rate_permille"]),
            )
            for i, s in enumerate(current.sections)
        ]
        # Two months back (the period began some months ago): a later change and a termination can follow
        # it on days already past, as the browser journey of a policy in force does.
        since = max(bound.period_start + dt.timedelta(days=1), local_day(now) - CHANGE_AGO)
        row = endorsements.request(
            session, broker, bound.id, effective_date=since, sections=changes,
            reason="新建成品仓库投入使用，首个分项保险金额增加 20%。", now=now - dt.timedelta(days=3),
            answer_working_days=settings.endorsement_answer_working_days,
        )  # fmt: skip
        endorsements.answer(
            session, underwriter, bound.id, row.id, "accept", reason=None, now=now - dt.timedelta(days=2)
        )
    policy = session.execute(select(Policy).where(Policy.number == SUSPENDED_POLICY)).unique().scalar_one_or_none()
    if policy is None:
        return
    underwriter = _underwriter(session, policy)
    today = local_day(now)
    suspended = max(policy.period_start + dt.timedelta(days=1), today - dt.timedelta(days=20))
    ended = min(policy.period_end, max(suspended + dt.timedelta(days=1), today - dt.timedelta(days=2)))
    suspension.change(
        session, underwriter, policy.id, "suspend", effective_date=suspended, reason_code="premium_unpaid",
        reason="第二期保费超过约定期限六十日未支付，合同效力中止（保险法第三十六条）。",
        now=now - dt.timedelta(days=19),
    )  # fmt: skip
    suspension.change(
        session, underwriter, policy.id, "terminate", effective_date=ended, reason_code="premium_unpaid",
        reason="催缴后仍未补缴保费，保险人解除合同。", ended_by="insurer",
        premium_paid=Decimal("24000.00"), now=now - dt.timedelta(days=1),
    )  # fmt: skip
    _recovery(session, broker, underwriter, policy, ended, now)


def _recovery(
    session: Session, broker: Actor, underwriter: Actor, policy: Policy, ended: dt.date, now: dt.datetime
) -> None:
    """The broker's recovery (追偿) for insured2: the refund due, replacement cover bought for the rest of
    the period minus the refund, and the loss left uncovered while suspended; the insurer countered and
    the broker demanded again (round 2, awaiting the insurer's answer)."""
    refund = suspension.changes(session, policy)[-1].refund or Decimal(0)
    heads = [
        {"head": "refund_due", "amount": f"{refund:.2f}", "evidence": "保险人解除合同通知书载明的应退保费"},
        {"head": "replacement_cost", "amount": f"{REPLACEMENT:.2f}",
         "evidence": f"另行投保 {ended.isoformat()} 起剩余期间的报价 {refund + REPLACEMENT:.2f} 元减应退保费"},
        {"head": "uncovered_losses", "amount": "18500.00", "evidence": "效力中止期间仓库漏雨造成的存货损失及修复发票"},
    ]  # fmt: skip
    row = recovery.open_recovery(
        session, broker, policy.id, heads=heads, reasons=RECOVERY_REASONS,
        now=now - dt.timedelta(hours=20),
    )  # fmt: skip
    recovery.act(
        session, underwriter, policy.id, row.id, "counter", amount=refund + REPLACEMENT,
        reasons="中止期间的损失不属于保险责任，仅同意退费及重新投保差价。", now=now - dt.timedelta(hours=8),
    )  # fmt: skip
    recovery.act(
        session, broker, policy.id, row.id, "demand", amount=refund + REPLACEMENT + Decimal("9250.00"),
        reasons="中止期间的损失按一半主张，附催缴通知未送达的证明。", now=now - dt.timedelta(hours=2),
    )  # fmt: skip


def _assessed(session: Session, broker: Actor, underwriter: Actor, policy: Policy, now: dt.datetime) -> None:
    """The placement's policy the insurer ended a month ago (保险人解除): the broker instructed 正衡 to assess
    the loss, 张伟 and 陈亮 signed the 《保险合同效力中止或终止评估报告》, and the broker's recovery took its
    amount from it; the insurer accepted and paid."""
    today = local_day(now)
    ended = max(policy.period_start + dt.timedelta(days=1), today - dt.timedelta(days=30))
    day = dt.timedelta(days=1)
    refund = suspension.change(
        session, underwriter, policy.id, "terminate", effective_date=ended, reason_code="risk_increased",
        reason="投保人未按约定整改秀洲仓库消防通道及化学品储存隐患，危险程度显著增加，保险人解除合同。",
        ended_by="insurer", now=now - 29 * day,
    ).refund or Decimal(0)  # fmt: skip
    termination.instruct(
        session, broker, policy.id, note="请评估保险人解除合同给被保险人造成的损失。", now=now - 28 * day
    )
    firm = _actor(session, "adjuster3")
    engagement = engagement_for(termination.KIND, "broker")
    terms = parse_terms(ASSESSMENT_TERMS, "terms", engagement=engagement)
    termination.accept(session, firm, policy.id, terms=terms, now=now - 27 * day)
    heads = [{"head": "refund_due", "amount": f"{refund:.2f}", "evidence": "解除通知书载明的应退保费"}]
    heads += [
        {"head": "replacement_cost", "amount": f"{ASSESSED_HEADS['replacement_cost']:.2f}",
         "evidence": f"另行投保 {ended.isoformat()} 起剩余期间的最低报价减应退保费"},
        {"head": "other_costs", "amount": f"{ASSESSED_HEADS['other_costs']:.2f}", "evidence": "重新投保的验标费用发票"},
    ]  # fmt: skip
    termination.save_draft(session, firm, policy.id, {**ASSESSMENT, "heads": heads}, now=now - 22 * day)
    signers = (
        session.execute(select(Adjuster.id).where(Adjuster.firm_id == firm.org_id, Adjuster.name.in_(("张伟", "陈亮"))))
        .scalars()
        .all()
    )
    termination.submit(session, firm, policy.id, signer_ids=list(signers), now=now - 21 * day)
    # 正衡 invoices the fee its letter fixed (the insured pays).
    invoices.raise_invoice(
        session, firm, policy.placement_id, invoices.WorkIn(), at=now - 20 * day, purpose=termination.KIND
    )
    row = recovery.open_recovery(
        session, broker, policy.id, heads=None, reasons="依据公估机构的评估报告，追偿保险人解除合同造成的损失。",
        now=now - 20 * day,
    )  # fmt: skip
    recovery.act(session, underwriter, policy.id, row.id, "accept", reasons="", now=now - 15 * day)
    recovery.act(
        session, underwriter, policy.id, row.id, "pay", amount=row.amount, reasons="", on_date=today - 10 * day,
        now=now - 10 * day,
    )  # fmt: skip
