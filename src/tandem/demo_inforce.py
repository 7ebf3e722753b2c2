"""Demo of policies in force (issue 16 items 3 and 4): the bound demo policy with an accepted mid-term
increase of its sum insured (a second version, the additional premium pro rata by day), and insured2's
财产一切险 suspended for unpaid premium and then terminated by the insurer with its refund. Built through
the same services as the app; called once from ``tandem.demo.load`` after the placements."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.access.actor import Actor
from tandem.access.models import Role, User
from tandem.kit.clock import SHANGHAI
from tandem.policy import endorsements, suspension
from tandem.policy import versions as policy_versions
from tandem.policy.models import Policy

SUSPENDED_POLICY = "PCA2026441900002"  # insured2's 财产一切险: suspended, then terminated by the insurer
#: The status changes of that policy, in order.
STATUS_CHANGES = ("suspend", "terminate")
INCREASE = Decimal("1.20")  # the bound policy's first section: +20 % from the middle of the period


def _actor(session: Session, username: str) -> Actor:
    return Actor.from_user(session.execute(select(User).where(User.username == username)).unique().scalar_one())


def _underwriter(session: Session, policy: Policy) -> Actor:
    """The underwriter of the policy's insurer."""
    users = session.execute(select(User).where(User.organisation_id == policy.insurer_id)).unique().scalars()
    return next(a for a in map(Actor.from_user, users) if Role.INSURER_UNDERWRITER in a.roles)


def load(session: Session, now: dt.datetime) -> None:
    broker, underwriter = _actor(session, "broker"), _actor(session, "underwriter1")
    bound = session.execute(select(Policy).where(Policy.placement_id.is_not(None))).unique().scalars().first()
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
        middle = bound.period_start + (bound.period_end - bound.period_start) / 2
        row = endorsements.request(
            session, broker, bound.id, effective_date=middle, sections=changes,
            reason="新建成品仓库投入使用，首个分项保险金额增加 20%。", now=now - dt.timedelta(days=3),
        )  # fmt: skip
        endorsements.answer(
            session, underwriter, bound.id, row.id, "accept", reason=None, now=now - dt.timedelta(days=2)
        )
    policy = session.execute(select(Policy).where(Policy.number == SUSPENDED_POLICY)).unique().scalar_one_or_none()
    if policy is None:
        return
    underwriter = _underwriter(session, policy)
    today = now.astimezone(SHANGHAI).date()
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
