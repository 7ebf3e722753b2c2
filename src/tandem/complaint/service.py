"""Explanations and complaints (issue 20 item 3, 消费投诉处理管理办法 Arts. 17-20, 26, 43).

Any party on a case files an explanation request (to an adjuster firm on the case, about its report) or a
complaint (about any other participant). It is received and acknowledged at once; the target decides within
:data:`DECISION_DAYS` natural days, or extends once to :data:`EXTENDED_DAYS` with a reason the complainant is
sent. The complainant may escalate to supervision at any time before a decision or after it; an overdue
complaint is escalated by its timer. Every move is a transition of :data:`RULES` with one audit event in the
same transaction. Who reads: the complainant's and the target's organisations through the case access check
(anybody else 404); supervision reads escalated complaints (read-only); the platform reads all."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, extract, select
from sqlalchemy.orm import Session

from tandem.access import scope
from tandem.access.actor import Actor
from tandem.access.models import OrgKind, Role
from tandem.audit import service as audit
from tandem.case.models import Case
from tandem.claim.models import Participation, PartyRole
from tandem.complaint.models import Complaint
from tandem.kit import transition
from tandem.kit.clock import SHANGHAI, local_day
from tandem.kit.errors import ActionNotAllowed, InvalidInput, NotFound
from tandem.kit.i18n import N_
from tandem.notification.outbox import Job, enqueue_all
from tandem.notification.service import org_users, tell

KINDS = ("explanation", "complaint")
OPEN_STATES = ("received", "extended")
DECISION_DAYS = 15  # Art. 18: a decision within 15 days ("日": natural days, Art. 43)
EXTENDED_DAYS = 30  # extendable to 30 with the reason sent to the complainant
REMIND_DAYS = 3
ADJUSTERS = (PartyRole.ADJUSTER, PartyRole.INSURER_ADJUSTER)
EVERYONE = frozenset(r.value for r in Role)


def _target(org_id: uuid.UUID | None, row: Complaint) -> None:
    if org_id != row.target_id:
        raise ActionNotAllowed()


def _complainant(org_id: uuid.UUID | None, row: Complaint) -> None:
    """The complainant escalates; so does the timer (no organisation) when the decision is overdue."""
    if org_id is not None and org_id != row.complainant_id:
        raise ActionNotAllowed()


RULES: transition.Table = {
    ("received", "extend"): transition.Rule("extended", frozenset(), _target),
    ("received", "decide"): transition.Rule("decided", frozenset(), _target),
    ("extended", "decide"): transition.Rule("decided", frozenset(), _target),
    **{(s, "escalate"): transition.Rule("escalated", frozenset(), _complainant) for s in (*OPEN_STATES, "decided")},
}
ACTIONS = tuple(sorted({a for (_, a) in RULES}))

KIND_NEEDED = N_("Choose an explanation or a complaint.")
TEXT_NEEDED = N_("Describe what the request is about.")
TARGET_NEEDED = N_("Choose a participant of the case other than yourself.")
FIRM_NEEDED = N_("An explanation is asked of an adjuster firm on the case.")
REASON_NEEDED = N_("Give the reason.")
DECISION_NEEDED = N_("Give the decision: the facts, its basis and the routes of redress.")

FILED_SUBJECT = N_("Case {case}: a complaint to decide by {date}")
ACK_SUBJECT = N_("Case {case}: your complaint is received, a decision is due by {date}")
STEP_SUBJECT = {
    "extend": N_("Case {case}: the decision on your complaint is extended to {date}"),
    "decide": N_("Case {case}: the decision on your complaint"),
    "escalate": N_("Case {case}: a complaint is escalated to supervision"),
}
REMIND_SUBJECT = N_("Case {case}: the complaint is to be decided by {date}")
STEP_BODY = N_("{text}")


@dataclass(frozen=True)
class YearFigures:
    organisation_id: uuid.UUID
    received: int
    decided: int
    decided_in_time: int
    extended: int
    escalated: int
    open: int


def _uuid(value: object) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        raise NotFound() from None


def participants(session: Session, case_id: uuid.UUID) -> dict[uuid.UUID, PartyRole]:
    """The organisations taking part in the case now, with their role."""
    stmt = select(Participation.organisation_id, Participation.party_role).where(
        Participation.case_id == case_id, Participation.until.is_(None)
    )
    return {org: role for org, role in session.execute(stmt)}


def case_uuid(value: object) -> uuid.UUID:
    """A case id already checked by ``scope.get_case`` (404 for a malformed one)."""
    return _uuid(value)


def _mine(actor: Actor) -> Any:
    return (Complaint.complainant_id == actor.org_id) | (Complaint.target_id == actor.org_id)


def visible(actor: Actor) -> Select[Complaint]:
    """The complaints the actor reads: its own (filed or about it), supervision the escalated, the platform all."""
    if actor.org_kind == OrgKind.PLATFORM:
        return select(Complaint)
    if actor.org_kind == OrgKind.SUPERVISION:
        return select(Complaint).where(Complaint.escalated_at.is_not(None))
    return select(Complaint).where(
        _mine(actor), Complaint.case_id.in_(scope.visible_cases(actor).with_only_columns(Case.id))
    )


def get(session: Session, actor: Actor, complaint_id: object) -> Complaint:
    row = session.execute(visible(actor).where(Complaint.id == _uuid(complaint_id))).scalar_one_or_none()
    if row is None:
        raise NotFound()
    return row


def of_case(session: Session, actor: Actor, case_id: object) -> list[Complaint]:
    case = scope.get_case(session, actor, case_id)
    stmt = visible(actor).where(Complaint.case_id == case.id).order_by(Complaint.received_at)
    return list(session.execute(stmt).scalars())


def may(actor: Actor, row: Complaint) -> list[str]:
    if actor.read_only:
        return []
    return sorted(transition.permitted(RULES, row.state, frozenset(), actor.org_id, row))


def file(session: Session, actor: Actor, case_id: object, *, kind: str, target_id: object, text: str,
         now: dt.datetime) -> Complaint:  # fmt: skip
    """Receive and acknowledge at once; the decision is due in 15 natural days."""
    case = scope.get_case(session, actor, case_id)
    if actor.read_only:
        raise ActionNotAllowed()
    on_case = participants(session, case.id)
    errors: dict[str, str] = {}
    if kind not in KINDS:
        errors["kind"] = KIND_NEEDED
    target = _as_uuid(target_id)
    if target is None or target not in on_case or target == actor.org_id:
        errors["target_id"] = TARGET_NEEDED
    elif kind == "explanation" and on_case[target] not in ADJUSTERS:
        errors["target_id"] = FIRM_NEEDED
    if not text.strip():
        errors["text"] = TEXT_NEEDED
    if errors:
        raise InvalidInput(next(iter(errors.values())), fields=errors)
    assert target is not None
    due = local_day(now) + dt.timedelta(days=DECISION_DAYS)
    row = Complaint(
        case_id=case.id, kind=kind, state="received", complainant_id=actor.org_id, target_id=target,
        text=text.strip(), filed_by=actor.user_id, received_at=now, acknowledged_at=now, due_on=due,
    )  # fmt: skip
    session.add(row)
    session.flush()
    _audit(session, actor.ref, row, "file", None, now, text.strip(), actor.request_id)
    params = {"case": case.number, "date": due.isoformat(), "text": row.text}
    tell(session, org_users(session, target, EVERYONE), FILED_SUBJECT, STEP_BODY, params, link=link(row),
         key=f"complaint-filed:{row.id}", now=now)  # fmt: skip
    tell(session, org_users(session, actor.org_id, EVERYONE), ACK_SUBJECT, STEP_BODY, params, link=link(row),
         key=f"complaint-ack:{row.id}", now=now)  # fmt: skip
    _timers(session, row, now)
    return row


def _as_uuid(value: object) -> uuid.UUID | None:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        return None


def act(session: Session, actor: Actor, complaint_id: object, action: str, *, text: str,
        now: dt.datetime) -> Complaint:  # fmt: skip
    """The target extends (reason) or decides (facts, basis, redress); the complainant escalates."""
    row = get(session, actor, complaint_id)
    if action not in ACTIONS:
        raise InvalidInput(fields={"action": "one of " + ", ".join(ACTIONS)})
    if actor.read_only:
        raise ActionNotAllowed()
    transition.check_guard(transition.resolve(RULES, row.state, action, frozenset()), actor.org_id, row)
    if not text.strip():
        needed = DECISION_NEEDED if action == "decide" else REASON_NEEDED
        raise InvalidInput(needed, fields={"text": needed})
    _move(session, actor.ref, row, action, text.strip(), now, actor.request_id)
    return row


def _move(session: Session, ref: audit.ActorRef, row: Complaint, action: str, text: str, now: dt.datetime,
          request_id: str | None = None) -> None:  # fmt: skip
    values: dict[str, Any] = {}
    if action == "extend":
        received = local_day(row.received_at)
        values = {"extension_reason": text, "extended_at": now, "due_on": received + dt.timedelta(days=EXTENDED_DAYS)}
    elif action == "decide":
        values = {"decision": text, "decided_at": now}
    else:
        values = {"escalation_reason": text, "escalated_at": now}
    before, _ = transition.move(session, row, RULES, action, frozenset(), ref.org_id, row, values=values)
    _audit(session, ref, row, action, before, now, text, request_id)
    case = session.execute(select(Case.number).where(Case.id == row.case_id)).scalar_one()
    params = {"case": case, "date": row.due_on.isoformat(), "text": text}
    orgs = {row.complainant_id, row.target_id} - {ref.org_id}
    users = [u for org in orgs for u in org_users(session, org, EVERYONE)]
    tell(session, users, STEP_SUBJECT[action], STEP_BODY, params, link=link(row), key=f"complaint-{action}:{row.id}",
         now=now)  # fmt: skip
    _timers(session, row, now)


def _audit(session: Session, ref: audit.ActorRef, row: Complaint, action: str, before: str | None,
           now: dt.datetime, text: str, request_id: str | None) -> None:  # fmt: skip
    audit.record(
        session, ref, action=f"complaint.{action}", entity_type="complaint", entity_id=row.id, at=now,
        chain_key=f"case:{row.case_id}", before={"state": before} if before else None,
        after={"state": row.state, "kind": row.kind, "target_id": str(row.target_id), "due_on": row.due_on.isoformat()},
        reason=text, request_id=request_id,
        audience=["supervision"] if row.state == "escalated" else None,
    )  # fmt: skip


def link(row: Complaint) -> str:
    return f"/complaints/{row.id}"


def _timers(session: Session, row: Complaint, now: dt.datetime) -> None:
    if row.state not in OPEN_STATES:
        return
    jobs = []
    for kind, day in (
        ("remind", row.due_on - dt.timedelta(days=REMIND_DAYS)),
        ("overdue", row.due_on + dt.timedelta(days=1)),
    ):
        at = dt.datetime.combine(day, dt.time(9, 0), tzinfo=SHANGHAI).astimezone(dt.UTC)
        payload = {"complaint_id": str(row.id), "state": row.state, "due_on": row.due_on.isoformat(), "kind": kind}
        jobs.append(Job("complaint.deadline", payload, f"complaint:{row.id}:{row.state}:{kind}", max(at, now)))
    enqueue_all(session, jobs, now=now)


def deadline(session: Session, payload: dict[str, Any], now: dt.datetime) -> bool:
    """The timer: remind the target ahead of the due date; once it has passed undecided, escalate to
    supervision. A decided or re-dated complaint's old timers do nothing."""
    row = session.get(Complaint, _uuid(payload["complaint_id"]))
    if row is None or row.state != payload["state"] or row.due_on.isoformat() != payload["due_on"]:
        return False
    if payload["kind"] == "overdue":
        _move(session, audit.SYSTEM, row, "escalate", OVERDUE_REASON, now)
        return True
    case = session.execute(select(Case.number).where(Case.id == row.case_id)).scalar_one()
    params = {"case": case, "date": row.due_on.isoformat(), "text": row.text}
    tell(session, org_users(session, row.target_id, EVERYONE), REMIND_SUBJECT, STEP_BODY, params, link=link(row),
         key=f"complaint-remind:{row.id}:{row.state}", now=now)  # fmt: skip
    return True


OVERDUE_REASON = "逾期未作出处理决定，自动提交监管"  # stored as the escalation reason (data, not UI)


def statistics(session: Session, actor: Actor, year: int) -> list[YearFigures]:
    """Per target organisation, the complaints received in ``year`` (UTC): decided (in time), extended,
    escalated, still open. Supervision and the platform read every organisation, others their own."""
    stmt = select(Complaint).where(extract("year", Complaint.received_at) == year)
    if actor.org_kind not in (OrgKind.PLATFORM, OrgKind.SUPERVISION):
        stmt = stmt.where(Complaint.target_id == actor.org_id)
    counts: dict[uuid.UUID, Counter[str]] = {}
    for row in session.execute(stmt).scalars():
        c = counts.setdefault(row.target_id, Counter())
        c["received"] += 1
        c["extended"] += row.extended_at is not None
        c["escalated"] += row.escalated_at is not None
        c["open"] += row.state in OPEN_STATES
        if row.decided_at is not None:
            c["decided"] += 1
            c["decided_in_time"] += local_day(row.decided_at) <= row.due_on
    fields = ("received", "decided", "decided_in_time", "extended", "escalated", "open")
    return [
        YearFigures(org, **{k: c[k] for k in fields}) for org, c in sorted(counts.items(), key=lambda kv: str(kv[0]))
    ]
