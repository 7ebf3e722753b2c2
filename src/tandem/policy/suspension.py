"""Suspension, reinstatement and termination of a policy (效力中止、复效、解除, issue 16 item 4, R-U10).

The insurer's underwriter suspends the policy from a date with the reason (premium unpaid …) and reinstates
it; the insurer ends it (保险人解除), or the broker's account manager for the insured (投保人解除), or
either records an end by agreement. Each is a transition of the policy's table (``POLICY_RULES``, audited)
and one immutable :class:`StatusChange` row; a termination carries the refund the premium engine works out.
Claims intake asks :func:`uncovered` whether a loss day falls in a time without cover."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tandem.access import scope
from tandem.access.actor import Actor
from tandem.access.models import Role
from tandem.kit.errors import ActionNotAllowed, InvalidInput
from tandem.kit.i18n import N_
from tandem.policy import notices, pricing, service
from tandem.policy import versions as policy_versions
from tandem.policy.inforce_models import PolicyVersion, StatusChange
from tandem.policy.models import Policy
from tandem.premium.engine import is_full_year

ACTIONS = ("suspend", "reinstate", "terminate")
REASONS: dict[str, tuple[str, ...]] = {
    "suspend": ("premium_unpaid", "other"),
    "reinstate": ("premium_paid", "other"),
    "terminate": ("premium_unpaid", "breach", "risk_increased", "insured_request", "agreement", "other"),
}
ENDED_BY = ("insurer", "insured", "agreement")
# Who records what: the insurer's side suspends, reinstates and ends; the broker ends for the insured.
INSURER_ENDS = ("insurer", "agreement")
BROKER_ENDS = ("insured", "agreement")

OUTSIDE = N_("The date must be within the policy period.")
NOT_AFTER_START = N_("A termination takes effect after the first day of the period.")
BEFORE_LAST = N_("The date cannot be before the last change of status ({date}).")
BAD_REASON = N_("Choose a reason.")
REASON_NEEDED = N_("Give the reason.")
BAD_ENDED_BY = N_("Choose who ends the contract.")
PAID_UNKNOWN = N_("The premium written is not known here; give the premium paid.")
SUSPENDED_FROM = N_("The policy is suspended from {date}: a loss on or after that day is not covered.")
SUSPENDED_BETWEEN = N_("The policy was suspended from {date} until {until}: a loss in that time is not covered.")
TERMINATED_FROM = N_("The policy is terminated from {date}: a loss on or after that day is not covered.")


@dataclass(frozen=True)
class Gap:
    """A time without cover containing a loss day: the message and its parameters."""

    message: str
    date: dt.date
    until: dt.date | None = None

    def params(self) -> dict[str, str]:
        return {"date": self.date.isoformat(), "until": self.until.isoformat() if self.until else ""}

    def text(self) -> str:
        return self.message.format(**self.params())


def changes(session: Session, policy: Policy) -> list[StatusChange]:
    return list(
        session.execute(
            select(StatusChange).where(StatusChange.policy_id == policy.id).order_by(StatusChange.number)
        ).scalars()
    )


def uncovered(session: Session, policy: Policy, day: dt.date) -> Gap | None:
    """The suspension or termination that leaves ``day`` without cover, if any."""
    since: dt.date | None = None
    for c in changes(session, policy):
        if c.action == "suspend":
            since = c.effective_date
        elif c.action == "reinstate" and since is not None:
            if since <= day < c.effective_date:
                return Gap(SUSPENDED_BETWEEN, since, c.effective_date)
            since = None
        elif c.action == "terminate":
            if since is not None and since <= day:
                return Gap(SUSPENDED_FROM, since)
            if day >= c.effective_date:
                return Gap(TERMINATED_FROM, c.effective_date)
    if since is not None and since <= day:
        return Gap(SUSPENDED_FROM, since)
    return None


def _check(session: Session, actor: Actor, policy: Policy, action: str, day: dt.date, ended_by: str | None) -> None:
    if action == "terminate":
        sides = {policy.insurer_id: INSURER_ENDS, policy.broker_id: BROKER_ENDS}
        allowed = sides.get(actor.org_id, ())
        if ended_by not in ENDED_BY:
            raise InvalidInput(BAD_ENDED_BY, fields={"ended_by": BAD_ENDED_BY})
        if ended_by not in allowed:
            raise ActionNotAllowed()
        if not policy.period_start < day <= policy.period_end:
            raise InvalidInput(NOT_AFTER_START, fields={"effective_date": NOT_AFTER_START})
    else:
        if actor.org_id != policy.insurer_id:
            raise ActionNotAllowed()
        if not policy.period_start <= day <= policy.period_end:
            raise InvalidInput(OUTSIDE, fields={"effective_date": OUTSIDE})
    earlier = changes(session, policy)
    if earlier and day < earlier[-1].effective_date:
        last = earlier[-1].effective_date.isoformat()
        raise InvalidInput(BEFORE_LAST, date=last, fields={"effective_date": BEFORE_LAST.format(date=last)})


def _written(session: Session, policy: Policy) -> Decimal | None:
    """The premium written: the annual premium bound (or the first version's), plus every change's delta."""
    recorded = session.execute(select(PolicyVersion).where(PolicyVersion.policy_id == policy.id)).scalars().all()
    base = policy.premium
    if base is None:
        first = next((v for v in recorded if v.number == 1), None)
        base = first.total_premium if first is not None else None
    if base is None:
        return None
    return base + sum((v.premium_delta for v in recorded), Decimal(0))


def _refund(
    session: Session, policy: Policy, day: dt.date, ended_by: str, paid: Decimal | None
) -> tuple[Decimal, Decimal, dict[str, object]]:
    written = _written(session, policy)
    if paid is None:
        # A policy entered by hand records its annual premium: what was charged only over a full-year term.
        # One bound from a quote records the quote's premium for its own period.
        annual_only = (
            policy.premium is not None
            and policy.quote_id is None
            and not is_full_year(policy.period_start, policy.period_end)
        )
        if written is None or annual_only:
            raise InvalidInput(PAID_UNKNOWN, fields={"premium_paid": PAID_UNKNOWN})
        paid = written
    in_force = policy_versions.version_at(session, policy, day - dt.timedelta(days=1))
    if in_force is not None:
        sections, coefficient = list(in_force.sections), in_force.coefficient
    else:
        first = policy_versions.as_issued(session, policy)
        sections, coefficient = first.sections, first.coefficient
    annual = policy.premium if policy.premium is not None else written
    amount, doc = pricing.refund(policy, sections, coefficient, day=day, ended_by=ended_by, paid=paid, annual=annual)
    return paid, amount, doc


def change(
    session: Session,
    actor: Actor,
    policy_id: object,
    action: str,
    *,
    effective_date: dt.date,
    reason_code: str,
    reason: str,
    now: dt.datetime,
    ended_by: str | None = None,
    premium_paid: Decimal | None = None,
) -> StatusChange:
    """Suspend, reinstate or terminate the policy from ``effective_date`` (a transition, audited)."""
    policy = scope.get_policy(session, actor, policy_id)
    if actor.read_only or not actor.roles & {Role.INSURER_UNDERWRITER, Role.BROKER_ACCOUNT_MANAGER}:
        raise ActionNotAllowed()
    if action not in ACTIONS:
        raise InvalidInput(fields={"action": "one of suspend, reinstate, terminate"})
    if reason_code not in REASONS[action]:
        raise InvalidInput(BAD_REASON, fields={"reason_code": BAD_REASON})
    if not reason.strip():
        raise InvalidInput(REASON_NEEDED, fields={"reason": REASON_NEEDED})
    _check(session, actor, policy, action, effective_date, ended_by)
    paid = refund = None
    doc = None
    if action == "terminate":
        assert ended_by is not None
        paid, refund, doc = _refund(session, policy, effective_date, ended_by, premium_paid)
    detail = {"effective_date": effective_date.isoformat(), "reason_code": reason_code}
    if action == "terminate":
        detail.update(ended_by=str(ended_by), premium_paid=f"{paid:.2f}", refund=f"{refund:.2f}")
    service.apply(session, actor, policy, action, at=now, reason=reason.strip(), detail=detail)
    number = session.execute(select(func.max(StatusChange.number)).where(StatusChange.policy_id == policy.id)).scalar()
    row = StatusChange(
        policy_id=policy.id,
        number=(number or 0) + 1,
        action=action,
        effective_date=effective_date,
        reason_code=reason_code,
        reason=reason.strip(),
        ended_by=ended_by if action == "terminate" else None,
        premium_paid=paid,
        refund=refund,
        pricing=doc,
        created_at=now,
        created_by=actor.user_id,
    )
    session.add(row)
    session.flush()
    notices.status_changed(session, policy, row, now)
    return row
