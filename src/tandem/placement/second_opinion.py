"""The insurer's own adjuster for a second pre-assessment (第二次预评估, R-U7).

An insurer approached with the placement may appoint its own adjuster at its own cost. The adjuster is
screened like the insured's own (``selection.refusals``: qualification, filing, conflicts, capacity)
except for the broker's blacklist, which the broker answers itself; a firm never works for two sides of
the placement (the broker's adjuster's firm, or another insurer's). The confirmation letter (确认函) and
its acceptance with fee terms are the shared ones (``tandem.case.letters``, side ``insurer``; the insurer
pays). When the adjuster is on the broker's blacklist the broker may require another one (``replaced``)
or withdraw the submission to that insurer (``withdrawn``), each with its reason.

An appointment is keyed by placement and insurer; its events are read by the broker, that insurer and
its firm only (``audience.org``), never by a competing insurer or its adjuster.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tandem.access.actor import Actor
from tandem.access.models import Organisation, Role
from tandem.case import audience, letters
from tandem.case import service as case_service
from tandem.claim.models import Appointment, PartyRole
from tandem.fees.engine import FeeTerms
from tandem.kit import transition
from tandem.kit.clock import local_day
from tandem.kit.errors import ActionNotAllowed, Conflict, InvalidInput, NotFound, StateChanged
from tandem.kit.limits import REASON_MAX
from tandem.party.models import Adjuster
from tandem.party.service import blacklist_hits
from tandem.placement import market, selection
from tandem.placement.market_models import Submission
from tandem.placement.models import Placement, PlacementStatus
from tandem.placement.second_models import InsurerAdjuster
from tandem.placement.service import case_of, get_placement

APPOINTED, ACCEPTED, REPORTED, DECLINED = "appointed", "accepted", "reported", "declined"
REPLACED, WITHDRAWN = "replaced", "withdrawn"
ANSWERABLE = (APPOINTED, ACCEPTED)  # the broker may still refuse a blacklisted adjuster
ACTIVE = (*ANSWERABLE, REPORTED)
BAM, UW = Role.BROKER_ACCOUNT_MANAGER.value, Role.INSURER_UNDERWRITER.value
ADJ, FADM = Role.ADJUSTER.value, Role.ADJUSTER_FIRM_ADMIN.value
# The placement's states in which an insurer may still appoint: once it went to market.
APPOINTABLE = (PlacementStatus.TO_MARKET,)
# The broker's answers to a blacklisted adjuster.
WITHDRAW = "withdraw_submission"
BROKER_ANSWERS = ("require_another", WITHDRAW)
SAME_FIRM = "broker_adjuster_firm"


def _blacklisted(session: Session, row: InsurerAdjuster, actor: Actor) -> None:
    if not row.blacklisted:
        raise Conflict("Only an adjuster on the broker's blacklist can be refused.")


def _rule(to: str, *roles: str, guard: Callable[..., None] | None = None) -> transition.Rule:
    return transition.Rule(to, frozenset(roles), guard)


# (state, action) -> rule: the firm answers the letter; the broker answers a blacklisted adjuster.
SECOND_RULES: transition.Table = {
    (APPOINTED, "accept"): _rule(ACCEPTED, ADJ, FADM),
    (APPOINTED, "decline"): _rule(DECLINED, ADJ, FADM),
    # Its 《预评估报告》 submitted, signed by two of its adjusters (placement.prereport).
    (ACCEPTED, "submit_report"): _rule(REPORTED, ADJ, FADM),
    **{(s, "require_another"): _rule(REPLACED, BAM, guard=_blacklisted) for s in ANSWERABLE},
    **{(s, "withdraw_submission"): _rule(WITHDRAWN, BAM, guard=_blacklisted) for s in ANSWERABLE},
}
# The side on the placement's case each action's actor must hold.
ACTION_SIDE = {
    "accept": PartyRole.INSURER_ADJUSTER,
    "decline": PartyRole.INSURER_ADJUSTER,
    "submit_report": PartyRole.INSURER_ADJUSTER,
    "require_another": PartyRole.BROKER,
    "withdraw_submission": PartyRole.BROKER,
}


class InsurerAdjusterRefused(InvalidInput):
    """The insurer's adjuster may not take the second pre-assessment; ``reasons`` are the codes."""

    code = "placement.insurer_adjuster_refused"
    message = "This adjuster cannot take the second pre-assessment: {reasons}."


def event_audience(insurer_id: uuid.UUID, firm_id: uuid.UUID) -> list[str]:
    """Who reads an appointment's events: the broker, supervision, this insurer and its firm."""
    return [audience.BROKER, audience.SUPERVISION, audience.org(insurer_id), audience.org(firm_id)]


def _record(
    session: Session,
    actor: Actor,
    placement: Placement,
    row: InsurerAdjuster,
    action: str,
    now: dt.datetime,
    **kw: object,
) -> None:
    case_service.record_event(
        session,
        actor,
        case_of(session, placement),
        f"placement.insurer_adjuster.{action}",
        now=now,
        after={
            "appointment": str(row.id),
            "insurer_id": str(row.insurer_id),
            "firm_id": str(row.firm_id),
            "adjuster_id": str(row.adjuster_id),
            "state": row.state,
            **{k: v for k, v in kw.items() if k != "reason"},
        },
        reason=kw.get("reason") if isinstance(kw.get("reason"), str) else None,  # type: ignore[arg-type]
        audience=event_audience(row.insurer_id, row.firm_id),
    )


# ---- reading ----------------------------------------------------------------------------------------


def appointments(session: Session, placement: Placement, insurer_id: uuid.UUID | None = None) -> list[InsurerAdjuster]:
    stmt = select(InsurerAdjuster).where(InsurerAdjuster.case_id == placement.case_id)
    if insurer_id is not None:
        stmt = stmt.where(InsurerAdjuster.insurer_id == insurer_id)
    return list(session.execute(stmt.order_by(InsurerAdjuster.created_at, InsurerAdjuster.id)).scalars())


def active(session: Session, placement: Placement, insurer_id: uuid.UUID) -> InsurerAdjuster | None:
    return next((r for r in appointments(session, placement, insurer_id) if r.state in ACTIVE), None)


def of_firm(session: Session, placement: Placement, firm_id: uuid.UUID) -> InsurerAdjuster | None:
    """The active appointment a firm works under on the placement (at most one: a firm serves one side)."""
    return next((r for r in appointments(session, placement) if r.state in ACTIVE and r.firm_id == firm_id), None)


def visible(session: Session, actor: Actor, placement: Placement) -> list[InsurerAdjuster]:
    """The appointments the actor may see: the broker and supervision all of them; an insurer its own;
    a firm those it was appointed under; nobody else any."""
    sides = case_service.participant_roles(session, case_of(session, placement), actor.org_id)
    rows = appointments(session, placement)
    if actor.is_admin or sides & {PartyRole.BROKER, PartyRole.SUPERVISION}:
        return rows
    return [r for r in rows if actor.org_id in (r.insurer_id, r.firm_id)]


def get_appointment(
    session: Session, actor: Actor, placement_id: object, appointment_id: object
) -> tuple[Placement, InsurerAdjuster]:
    """The placement and one appointment the actor may see; 404 for "not yours" and "does not exist"."""
    placement = get_placement(session, actor, placement_id)
    try:
        key = uuid.UUID(str(appointment_id))
    except ValueError:
        raise NotFound() from None
    row = next((r for r in visible(session, actor, placement) if r.id == key), None)
    if row is None:
        raise NotFound()
    return placement, row


def letter_of(session: Session, row: InsurerAdjuster) -> Appointment:
    letter = session.get(Appointment, row.appointment_id)
    assert letter is not None
    return letter


# ---- the insurer appoints --------------------------------------------------------------------------


def refusals(
    session: Session, placement: Placement, adj: Adjuster, insurer_id: uuid.UUID, now: dt.datetime
) -> list[str]:
    """Why the insurer's adjuster is refused: the routing checks but the blacklist, the broker's adjuster's
    firm (``broker_adjuster_firm``) and a firm working for another insurer here (``conflict_of_interest``)."""
    codes = [r for r in selection.refusals(selection.evaluate(session, placement, adj, now)) if r != "blacklisted"]
    if adj.firm_id == placement.adjuster_firm_id:
        codes.append(SAME_FIRM)
    taken = of_firm(session, placement, adj.firm_id)
    if taken is not None and taken.insurer_id != insurer_id and "conflict_of_interest" not in codes:
        codes.append("conflict_of_interest")
    return codes


def appoint(
    session: Session, actor: Actor, placement_id: object, adjuster_id: object, *, now: dt.datetime
) -> InsurerAdjuster:
    """The insurer's underwriter appoints its own adjuster: screened (422 naming ``adjuster_id`` with the
    codes), the letter issued to its firm (which takes part as the insurer's adjuster from now on), and
    ``blacklisted`` noted for the broker when the broker's blacklist holds it."""
    placement = get_placement(session, actor, placement_id)
    case = case_of(session, placement)
    if not actor.has_any(frozenset({Role.INSURER_UNDERWRITER.value})):
        raise ActionNotAllowed()
    case_service.require_party(session, actor, case, PartyRole.INSURER)
    if placement.status not in APPOINTABLE:
        raise Conflict("The insurer appoints its adjuster once the placement went to market.")
    if active(session, placement, actor.org_id) is not None:
        raise Conflict("Your adjuster is already appointed.")
    adj = selection.listed_adjuster(session, actor, adjuster_id)
    codes = refusals(session, placement, adj, actor.org_id, now)
    if codes:
        raise InsurerAdjusterRefused(reasons=", ".join(codes), fields={"adjuster_id": ", ".join(codes)})
    letter = letters.issue_letter(session, case, adj, side="insurer", now=now)
    row = InsurerAdjuster(
        case_id=case.id,
        insurer_id=actor.org_id,
        appointment_id=letter.id,
        firm_id=adj.firm_id,
        adjuster_id=adj.id,
        state=APPOINTED,
        blacklisted=bool(blacklist_hits(session, adj, local_day(now), placement.broker_id)),
        created_at=now,
        created_by=actor.user_id,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    _record(session, actor, placement, row, "appointed", now, letter_no=letter.letter_no, blacklisted=row.blacklisted)
    return row


# ---- moves on an appointment -------------------------------------------------------------------------


def _move(
    session: Session, actor: Actor, placement: Placement, row: InsurerAdjuster, action: str, now: dt.datetime
) -> str:
    """Apply one transition of ``SECOND_RULES`` (role, side, guard, a conditional UPDATE); the new state."""
    rule = transition.resolve(SECOND_RULES, row.state, action, frozenset(r.value for r in actor.roles))
    if not _holds_side(session, actor, placement, row, action):
        raise ActionNotAllowed()
    transition.check_guard(rule, session, row, actor)
    moved = session.execute(
        update(InsurerAdjuster)
        .where(InsurerAdjuster.id == row.id, InsurerAdjuster.state == row.state)
        .values(state=rule.to, updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    if moved != 1:
        raise StateChanged()
    session.refresh(row)
    return rule.to


def _reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason or len(reason) > REASON_MAX:
        raise InvalidInput(
            "Give the reason.", fields={"reason": "required" if not reason else f"at most {REASON_MAX} characters"}
        )
    return reason


def accept(
    session: Session,
    actor: Actor,
    placement_id: object,
    appointment_id: object,
    *,
    terms: FeeTerms | None,
    report_due: dt.date | None,
    now: dt.datetime,
) -> InsurerAdjuster:
    """The firm accepts the insurer's letter with its fee terms (the insurer pays: a second pre-assessment
    is the insurer's cost) and the date its report is due."""
    placement, row = get_appointment(session, actor, placement_id, appointment_id)
    due = selection.report_due_at(report_due, now)
    letter = _answer(session, actor, placement, row, now, terms=terms)
    _record(session, actor, placement, row, "accepted", now, letter_no=letter.letter_no, report_due=due.isoformat())
    return row


def _answer(
    session: Session,
    actor: Actor,
    placement: Placement,
    row: InsurerAdjuster,
    now: dt.datetime,
    *,
    terms: FeeTerms | None = None,
    reason: str | None = None,
) -> Appointment:
    """The firm's answer: the appointment's transition, then the letter's (accepted with terms, or declined)."""
    _move(session, actor, placement, row, "decline" if reason else "accept", now)
    case = case_of(session, placement)
    return letters.answer_letter(
        session,
        actor,
        case,
        "insurer",
        accept=not reason,
        now=now,
        terms=terms,
        reason=reason,
        letter=letter_of(session, row),
    )


def decline(
    session: Session, actor: Actor, placement_id: object, appointment_id: object, *, reason: str, now: dt.datetime
) -> InsurerAdjuster:
    placement, row = get_appointment(session, actor, placement_id, appointment_id)
    reason = _reason(reason)
    _answer(session, actor, placement, row, now, reason=reason)
    _record(session, actor, placement, row, "declined", now, reason=reason)
    return row


def answer_blacklisted(
    session: Session,
    actor: Actor,
    placement_id: object,
    appointment_id: object,
    *,
    action: str,
    reason: str,
    now: dt.datetime,
) -> InsurerAdjuster:
    """The broker answers an adjuster on its blacklist: ``require_another`` (the insurer appoints again) or
    ``withdraw_submission`` (the broker takes the placement to another insurer). Either ends the letter
    (``refused_by_broker``) and the firm's part in the case, with the reason."""
    if action not in BROKER_ANSWERS:
        raise InvalidInput(fields={"action": " or ".join(BROKER_ANSWERS)})
    placement, row = get_appointment(session, actor, placement_id, appointment_id)
    reason = _reason(reason)
    _move(session, actor, placement, row, action, now)
    session.execute(update(InsurerAdjuster).where(InsurerAdjuster.id == row.id).values(reason=reason))
    session.refresh(row)
    case = case_of(session, placement)
    letters.end_letter(session, case, letter_of(session, row), "refused_by_broker", reason, now)
    case_service.stop_deadline(session, case, "appointment_answer", now=now)
    withdrawn = _withdraw_submissions(session, actor, placement, row, reason, now) if action == WITHDRAW else []
    _record(session, actor, placement, row, action, now, reason=reason, submissions=withdrawn)
    return row


def _withdraw_submissions(
    session: Session, actor: Actor, placement: Placement, row: InsurerAdjuster, reason: str, now: dt.datetime
) -> list[str]:
    """The broker's live submissions to that insurer are withdrawn with the same reason (``market.close``:
    the insurer is told, its clocks stop, it leaves the case once nothing of it is live)."""
    live = session.execute(
        select(Submission).where(
            Submission.case_id == placement.id,
            Submission.insurer_id == row.insurer_id,
            Submission.status.in_(market.LIVE),
        )
    ).scalars()
    return [market.close(session, actor, sub.id, "withdraw", reason, now=now).number for sub in list(live)]


def reported(
    session: Session,
    actor: Actor,
    placement: Placement,
    row: InsurerAdjuster,
    facts: dict[str, object],
    now: dt.datetime,
) -> None:
    """The firm's second pre-assessment is submitted (``prereport.sign``): the appointment moves on."""
    _move(session, actor, placement, row, "submit_report", now)
    _record(session, actor, placement, row, "reported", now, **facts)


def report_audience(row: InsurerAdjuster) -> list[str]:
    """Who reads the insurer's adjuster's work on the placement (photos, visits, its report's events): the
    broker, the insured, supervision, that insurer and its firm; the broker's adjuster reads the report
    itself in the consultation."""
    return [*event_audience(row.insurer_id, row.firm_id), audience.INSURED]


def hidden_firms(session: Session, actor: Actor, placement: Placement) -> set[uuid.UUID]:
    """The firms whose work on the placement the actor may not read: those of other insurers' adjusters
    (an insurer and its firm never see a competitor's second pre-assessment)."""
    sides = case_service.participant_roles(session, case_of(session, placement), actor.org_id)
    if actor.is_admin or not sides & {PartyRole.INSURER, PartyRole.INSURER_ADJUSTER}:
        return set()
    return {r.firm_id for r in appointments(session, placement) if actor.org_id not in (r.insurer_id, r.firm_id)}


def org_name(session: Session, org_id: uuid.UUID) -> str:
    found = session.get(Organisation, org_id)
    return found.name if found else ""


def actions(session: Session, actor: Actor, placement: Placement, row: InsurerAdjuster) -> list[str]:
    """The caller's next moves on the appointment (role, side and guard)."""
    roles = frozenset(r.value for r in actor.roles)
    permitted = transition.permitted(SECOND_RULES, row.state, roles, session, row, actor)
    return sorted(a for a in permitted if _holds_side(session, actor, placement, row, a))


def _holds_side(session: Session, actor: Actor, placement: Placement, row: InsurerAdjuster, action: str) -> bool:
    """The actor's organisation holds the side the action is taken for (the firm: the appointed one)."""
    side = ACTION_SIDE[action]
    held = case_service.participant_roles(session, case_of(session, placement), actor.org_id)
    return side in held and (side != PartyRole.INSURER_ADJUSTER or actor.org_id == row.firm_id)
