"""Recovery (追偿, issue 16 item 5, R-U10): when the insurer suspends or ends a policy, the broker claims from
the insurer, for the insured, the loss this causes — the amount of the signed termination report, or the
itemised heads (the premium refund due, replacement cover minus the refund, losses left uncovered during
the suspension, other costs, each with its evidence).

The insurer answers (accept / counter with an amount and reasons / refuse with reasons); the broker takes a
counter or demands again (a new round); an agreed amount is paid; when it fails the broker records the
escalation (complaint to the regulator, arbitration or litigation) with its date and then its outcome.
Every move is a transition of :data:`RULES`, one immutable :class:`RecoveryStep` and one audit event in the
same transaction. Deadlines: the insurer answers within :data:`ANSWER_DAYS` and pays within
:data:`PAYMENT_DAYS`; durable timers (outbox jobs) remind the insurer ahead and tell both sides when the
date has passed. Who reads: the parties to the policy (``scope.get_policy``), anybody else 404."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tandem.access import scope
from tandem.access.actor import Actor
from tandem.access.models import Role
from tandem.audit import service as audit
from tandem.kit import transition
from tandem.kit.clock import SHANGHAI, local_day
from tandem.kit.errors import ActionNotAllowed, Conflict, InvalidInput, NotFound
from tandem.kit.i18n import N_
from tandem.notification.outbox import Job, enqueue_all
from tandem.notification.service import org_users, tell
from tandem.policy import suspension
from tandem.policy.inforce_models import Recovery, RecoveryStep, TerminationAssessment
from tandem.policy.models import Policy
from tandem.report.models import Report
from tandem.report.schemas import TerminationHead

BROKER = frozenset({Role.BROKER_ACCOUNT_MANAGER.value})
INSURER = frozenset({Role.INSURER_UNDERWRITER.value, Role.INSURER_CLAIMS_HANDLER.value})
INSURED = frozenset({Role.INSURED_CONTACT.value})
SYSTEM: frozenset[str] = frozenset()

RULES: transition.Table = {
    ("demanded", "accept"): transition.Rule("accepted", INSURER),
    ("demanded", "counter"): transition.Rule("countered", INSURER),
    ("demanded", "refuse"): transition.Rule("refused", INSURER),
    ("countered", "accept_counter"): transition.Rule("accepted", BROKER),
    ("countered", "demand"): transition.Rule("demanded", BROKER),
    ("refused", "demand"): transition.Rule("demanded", BROKER),
    ("accepted", "pay"): transition.Rule("paid", BROKER | INSURER),
    ("decided", "pay"): transition.Rule("paid", BROKER | INSURER),
    **{(s, "escalate"): transition.Rule("escalated", BROKER) for s in ("demanded", "countered", "refused", "accepted")},
    ("escalated", "decide"): transition.Rule("decided", BROKER),
    **{(s, "close"): transition.Rule("closed", BROKER) for s in ("countered", "refused", "escalated", "decided")},
}
ACTIONS = tuple(sorted({a for (_, a) in RULES}))
OPEN_STATES = ("demanded", "countered", "refused", "accepted", "escalated", "decided")
CHANNELS = ("regulator", "arbitration", "litigation")
ANSWER_DAYS = 15  # the insurer answers a demand within 15 days
PAYMENT_DAYS = 10  # and pays an agreed amount within 10
REMIND_DAYS = 3  # the reminder goes out 3 days ahead

NOT_BY_INSURER = N_("Only a suspension or termination by the insurer is recovered from it.")
ALREADY_OPEN = N_("A recovery on this policy is already under way.")
HEADS_NEEDED = N_("List the heads of the loss, each with its amount and evidence.")
AMOUNT_NEEDED = N_("Give an amount above zero.")
REASONS_NEEDED = N_("Give the reasons.")
CHANNEL_NEEDED = N_("Choose the complaint, arbitration or litigation.")
DATE_NEEDED = N_("Give a date from the opening of the recovery to today.")

DEMAND_SUBJECT = N_("Policy {policy}: recovery of {amount} to answer by {date}")
STEP_SUBJECT = {
    "accept": N_("Policy {policy}: the insurer accepts the recovery"),
    "counter": N_("Policy {policy}: the insurer counters the recovery"),
    "refuse": N_("Policy {policy}: the insurer refuses the recovery"),
    "accept_counter": N_("Policy {policy}: the broker accepts the insurer's counter"),
    "pay": N_("Policy {policy}: the recovery is paid"),
    "escalate": N_("Policy {policy}: the recovery is escalated"),
    "decide": N_("Policy {policy}: the outcome of the escalated recovery"),
    "close": N_("Policy {policy}: the recovery is closed"),
}
STEP_BODY = N_("Amount {amount}. {reasons}")
REMIND_SUBJECT = {
    "demanded": N_("Policy {policy}: the recovery is to be answered by {date}"),
    "accepted": N_("Policy {policy}: the recovery is to be paid by {date}"),
    "decided": N_("Policy {policy}: the recovery is to be paid by {date}"),
}
OVERDUE_SUBJECT = {
    "demanded": N_("Policy {policy}: the insurer did not answer the recovery by {date}"),
    "accepted": N_("Policy {policy}: the recovery was not paid by {date}"),
    "decided": N_("Policy {policy}: the recovery was not paid by {date}"),
}
DEADLINE_BODY = N_("Recovery round {round}: {amount}.")


def _uuid(value: object) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        raise NotFound() from None


def of_policy(session: Session, policy: Policy) -> list[Recovery]:
    stmt = select(Recovery).where(Recovery.policy_id == policy.id).order_by(Recovery.opened_at)
    return list(session.execute(stmt).scalars())


def steps_of(session: Session, recovery: Recovery) -> list[RecoveryStep]:
    stmt = select(RecoveryStep).where(RecoveryStep.recovery_id == recovery.id).order_by(RecoveryStep.number)
    return list(session.execute(stmt).scalars())


def recoverable(session: Session, policy: Policy) -> bool:
    """Whether the insurer suspended or ended the policy (the loss the broker may recover from it)."""
    return any(
        c.action == "suspend" or (c.action == "terminate" and c.ended_by == "insurer")
        for c in suspension.changes(session, policy)
    )


def may(actor: Actor, policy: Policy, recovery: Recovery) -> list[str]:
    """The actions this actor may take on the recovery now (the pages' forms)."""
    if actor.read_only:
        return []
    side = BROKER if actor.org_id == policy.broker_id else INSURER if actor.org_id == policy.insurer_id else None
    if side is None:
        return []
    roles = frozenset(r.value for r in actor.roles) & side
    return transition.allowed_actions({k: r for k, r in RULES.items() if r.by & side}, recovery.status, roles)


def check_heads(raw: object) -> list[TerminationHead]:
    """The itemised heads, validated; 422 ``heads`` naming what is wrong."""
    if not isinstance(raw, list) or not raw:
        raise InvalidInput(HEADS_NEEDED, fields={"heads": HEADS_NEEDED})
    try:
        heads = [h if isinstance(h, TerminationHead) else TerminationHead.model_validate(h) for h in raw]
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InvalidInput(HEADS_NEEDED, fields={f"heads.{where}": first["msg"]}) from None
    if sum((h.amount for h in heads), Decimal(0)) <= 0:
        raise InvalidInput(AMOUNT_NEEDED, fields={"heads": AMOUNT_NEEDED})
    return heads


def signed_report(session: Session, policy: Policy) -> Report | None:
    """The signed termination report of the policy's assessment, if it is in."""
    stmt = select(TerminationAssessment.report_id).where(TerminationAssessment.policy_id == policy.id)
    report_id = session.execute(stmt).scalar_one_or_none()
    return session.get(Report, report_id) if report_id else None


def open_recovery(
    session: Session,
    actor: Actor,
    policy_id: object,
    *,
    heads: object,
    reasons: str,
    now: dt.datetime,
) -> Recovery:
    """The broker's account manager demands the amount from the insurer: round 1, answer due in 15 days.
    The amount is the signed termination report's when there is one (its heads), else the heads given."""
    report_id = None
    policy = scope.get_policy(session, actor, policy_id)
    if actor.read_only or actor.org_id != policy.broker_id or not actor.has_any(BROKER):
        raise ActionNotAllowed()
    if not recoverable(session, policy):
        raise Conflict(NOT_BY_INSURER)
    if any(r.status != "closed" for r in of_policy(session, policy)):  # paid or under way: no second
        raise Conflict(ALREADY_OPEN)
    signed = signed_report(session, policy)
    if signed is not None:  # the termination report's heads and amount
        heads, report_id = signed.content["heads"], signed.id
    items = check_heads(heads)
    if not reasons.strip():
        raise InvalidInput(REASONS_NEEDED, fields={"reasons": REASONS_NEEDED})
    amount = sum((h.amount for h in items), Decimal(0))
    today = local_day(now)
    row = Recovery(
        policy_id=policy.id, status="demanded", amount=amount, round_no=1, report_id=report_id,
        heads=[{"head": h.head, "amount": f"{h.amount:.2f}", "evidence": h.evidence} for h in items],
        answer_due=today + dt.timedelta(days=ANSWER_DAYS), opened_at=now, opened_by=actor.user_id,
    )  # fmt: skip
    session.add(row)
    session.flush()
    _record(session, actor, policy, row, "demand", None, amount=amount, reasons=reasons.strip(), on=today, now=now)
    return row


def act(
    session: Session,
    actor: Actor,
    policy_id: object,
    recovery_id: object,
    action: str,
    *,
    now: dt.datetime,
    amount: Decimal | None = None,
    reasons: str = "",
    channel: str | None = None,
    on_date: dt.date | None = None,
) -> Recovery:
    """One move of the recovery by the side whose turn it is; 422 naming the field a move needs."""
    policy = scope.get_policy(session, actor, policy_id)
    row = session.get(Recovery, _uuid(recovery_id))
    if row is None or row.policy_id != policy.id:
        raise NotFound()
    if actor.read_only or action not in may(actor, policy, row):
        if action not in ACTIONS:
            raise InvalidInput(fields={"action": "one of " + ", ".join(ACTIONS)})
        transition.resolve(RULES, row.status, action, frozenset())  # 409 when illegal in this state
        raise ActionNotAllowed()
    today = local_day(now)
    on = _checked(action, row, amount, reasons, channel, on_date, today)
    before = row.status
    rule = transition.resolve(RULES, row.status, action, frozenset(r.value for r in actor.roles))
    changes: dict[str, Any] = {"status": rule.to}
    if action == "demand":
        changes.update(amount=amount, round_no=row.round_no + 1, answer_due=today + dt.timedelta(days=ANSWER_DAYS))
    elif action in ("accept", "accept_counter") or (action == "decide" and amount):
        agreed = row.amount if action == "accept" else amount if action == "decide" else _last_counter(session, row)
        changes.update(agreed=agreed, payment_due=today + dt.timedelta(days=PAYMENT_DAYS))
    elif action == "pay":
        changes.update(paid=amount)
    transition.move_row(session, row, changes)
    step_amount = amount if amount is not None else row.agreed if action in ("accept", "accept_counter") else None
    _record(session, actor, policy, row, action, before, amount=step_amount, reasons=reasons.strip(), on=on, now=now,
            channel=channel)  # fmt: skip
    return row


def _checked(
    action: str,
    row: Recovery,
    amount: Decimal | None,
    reasons: str,
    channel: str | None,
    on_date: dt.date | None,
    today: dt.date,
) -> dt.date:
    """The fields the move needs (422 naming them); the date the step happened."""
    errors: dict[str, str] = {}
    if action in ("counter", "demand", "pay") and (amount is None or amount <= 0):
        errors["amount"] = AMOUNT_NEEDED
    if action in ("counter", "refuse", "demand", "decide", "close") and not reasons.strip():
        errors["reasons"] = REASONS_NEEDED
    if action == "escalate" and channel not in CHANNELS:
        errors["channel"] = CHANNEL_NEEDED
    dated = action in ("pay", "escalate", "decide")
    opened = local_day(row.opened_at)
    if dated and (on_date is None or not opened <= on_date <= today):
        errors["on_date"] = DATE_NEEDED
    if errors:
        raise InvalidInput(next(iter(errors.values())), fields=errors)
    return on_date if dated and on_date is not None else today


def _last_counter(session: Session, row: Recovery) -> Decimal | None:
    return next((s.amount for s in reversed(steps_of(session, row)) if s.action == "counter"), None)


def _record(
    session: Session,
    actor: Actor,
    policy: Policy,
    row: Recovery,
    action: str,
    before: str | None,
    *,
    amount: Decimal | None,
    reasons: str,
    on: dt.date,
    now: dt.datetime,
    channel: str | None = None,
) -> None:
    """The step row, the audit event, the notices and the deadline's timers of one move."""
    number = session.execute(select(func.max(RecoveryStep.number)).where(RecoveryStep.recovery_id == row.id)).scalar()
    step = RecoveryStep(
        recovery_id=row.id, number=(number or 0) + 1, round_no=row.round_no, action=action, amount=amount,
        reasons=reasons, channel=channel if action == "escalate" else None, on_date=on, created_at=now,
        created_by=actor.user_id,
    )  # fmt: skip
    session.add(step)
    session.flush()
    detail = {"policy": policy.number, "status": row.status, "round": row.round_no, "on_date": on.isoformat()}
    if amount is not None:
        detail["amount"] = f"{amount:.2f}"
    if step.channel:
        detail["channel"] = step.channel
    audit.record(
        session, actor.ref, action=f"recovery.{action}", entity_type="policy_recovery", entity_id=row.id, at=now,
        before={"status": before} if before else None, after=detail, reason=reasons or None,
        request_id=actor.request_id,
    )  # fmt: skip
    params = {
        "policy": policy.number,
        "amount": f"{(amount if amount is not None else row.amount):.2f}",
        "reasons": reasons,
        "date": row.answer_due.isoformat() if row.answer_due else "",
    }
    users = [
        *org_users(session, policy.broker_id, BROKER),
        *org_users(session, policy.insured_id, INSURED),
        *org_users(session, policy.insurer_id, INSURER),
    ]
    others = [u for u in users if u.organisation_id != actor.org_id]
    subject = DEMAND_SUBJECT if action == "demand" else STEP_SUBJECT[action]
    tell(session, others, subject, STEP_BODY, params, link=link(policy), key=f"recovery-step:{step.id}", now=now)
    _timers(session, row, now)


def link(policy: Policy) -> str:
    return f"/policies/{policy.id}/recovery"


def due_of(row: Recovery) -> dt.date | None:
    """The date the current state waits for: the insurer's answer, or the payment."""
    if row.status == "demanded":
        return row.answer_due
    if row.status in ("accepted", "decided") and row.agreed:
        return row.payment_due
    return None


def _timers(session: Session, row: Recovery, now: dt.datetime) -> None:
    due = due_of(row)
    if due is None:
        return
    jobs = []
    for kind, day in (("remind", due - dt.timedelta(days=REMIND_DAYS)), ("overdue", due + dt.timedelta(days=1))):
        at = dt.datetime.combine(day, dt.time(9, 0), tzinfo=SHANGHAI).astimezone(dt.UTC)
        payload = {"recovery_id": str(row.id), "status": row.status, "round": row.round_no, "kind": kind}
        key = f"recovery:{row.id}:{row.round_no}:{row.status}:{kind}"
        jobs.append(Job("recovery.deadline", payload, key, max(at, now)))
    enqueue_all(session, jobs, now=now)


def deadline(session: Session, payload: dict[str, Any], now: dt.datetime) -> bool:
    """The timer: remind the insurer ahead of the date, or tell both sides it has passed — only while the
    recovery still waits in the same state and round (an answered demand's timers do nothing)."""
    row = session.get(Recovery, _uuid(payload["recovery_id"]))
    if row is None or row.status != payload["status"] or row.round_no != payload["round"]:
        return False
    due = due_of(row)
    policy = session.get(Policy, row.policy_id)
    if due is None or policy is None:
        return False
    kind = payload["kind"]
    users = org_users(session, policy.insurer_id, INSURER)
    if kind == "overdue":
        users += org_users(session, policy.broker_id, BROKER)
    subject = (OVERDUE_SUBJECT if kind == "overdue" else REMIND_SUBJECT)[row.status]
    amount = row.agreed if row.status != "demanded" and row.agreed is not None else row.amount
    params = {"policy": policy.number, "date": due.isoformat(), "round": row.round_no, "amount": f"{amount:.2f}"}
    key = f"recovery-deadline:{row.id}:{row.round_no}:{row.status}:{kind}"
    tell(session, users, subject, DEADLINE_BODY, params, link=link(policy), key=key, now=now)
    return True
