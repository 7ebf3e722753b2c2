"""Choosing the placement's adjuster (R-U1) and instructing it (R-U2).

The broker records that it explained to the insured that the adjuster's pre-assessment (预评估) decides
the programme; the routing engine recommends adjusters good at risk evaluation (风险评估) for the subject,
ranked and explained, with the same exclusions as a claim's routing. The insured acknowledges the
explanation and picks a recommended adjuster or names its own from the public register; its own is
screened by the same engine (``own_adjuster_refusals``) and refused with the reason codes. The broker then
issues the confirmation letter (确认函, ``tandem.case.letters``) to the chosen firm, which accepts with its
fee terms, payment deadline and the report's due date, or declines with a reason — and the insured
chooses again. Every step is a transition of ``PLACEMENT_RULES`` with its audit event, and moves the
clock of whoever holds the ball next.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy.orm import Session

from tandem.access import scope
from tandem.access.actor import Actor
from tandem.case import audience, letters
from tandem.case import service as case_service
from tandem.claim.models import Appointment, Deadline
from tandem.fees.engine import FeeTerms
from tandem.kit.clock import SHANGHAI, local_day
from tandem.kit.errors import InvalidInput, NotFound
from tandem.kit.limits import REASON_MAX
from tandem.kit.workdays import END_OF_DAY, add_working_days
from tandem.party.models import Adjuster
from tandem.placement import service
from tandem.placement.models import Placement, PlacementStatus
from tandem.routing import service as routing
from tandem.sla import calendar

# Working days the insured has to choose, and the firm to answer the letter.
CHOICE_WORKING_DAYS = 5
ANSWER_WORKING_DAYS = 2
# The longest a pre-assessment may be given (the report's due date on accepting the letter).
REPORT_MAX_DAYS = 366
# Clocks (deadline kinds) of the selection and who holds them.
INSURED_CHOICE, LETTER_ANSWER, REPORT_DUE = "insured_choice", "letter_answer", "pre_assessment_report"
# The insured names its own adjuster (R-U1): "accepted only if it holds a valid qualification and is not on
# the broker's blacklist" — every exclusion of the routing engine refuses it, except the two that are the
# insured's own judgement to make: whether the practitioner lists risk evaluation among its lines, and
# whether the subject lies in its service area. Those two are shown to the insured, not held against it.
OWN_NOT_BLOCKING = ("not_qualified_for_line", "outside_area")
RECOMMENDED, OWN = "recommended", "own"
# The placement's transitions this module makes.
ACTIONS = frozenset({"explain", "choose", "issue_letter", "accept", "decline"})
CHOOSE_FROM_REGISTER = "Choose an adjuster from the register."


class OwnAdjusterRefused(InvalidInput):
    """The adjuster the insured named may not take the placement; ``reasons`` are the routing codes."""

    code = "placement.adjuster_refused"
    message = "This adjuster cannot take the placement: {reasons}."


def selection_subject(session: Session, placement: Placement) -> routing.Subject:
    """The placement as the routing engine weighs it: its parties (the broker whose blacklist applies, the
    insured and any insurer, to which no adjuster may belong), risk evaluation as the line skill, and its
    first site's province and address as the place."""
    sites = placement.subject.get("sites") or [{}]
    location = f"{sites[0].get('province', '')}{sites[0].get('address', '')}"
    subject = routing.case_subject(session, service.case_of(session, placement))
    return dataclasses.replace(subject, location=location, adjuster_id=placement.chosen_adjuster_id)


def recommendations(session: Session, placement: Placement, now: dt.datetime) -> list[routing.Recommendation]:
    """Every adjuster, screened and ranked for this placement (the excluded ones with their reasons)."""
    return routing.recommendations(session, selection_subject(session, placement), now)


def evaluate(session: Session, placement: Placement, adj: Adjuster, now: dt.datetime) -> routing.Recommendation:
    return routing.evaluate(session, selection_subject(session, placement), adj, now)


def refusals(rec: routing.Recommendation) -> list[str]:
    """The exclusions that refuse an adjuster the insured names (all but ``OWN_NOT_BLOCKING``)."""
    return [r for r in rec.reasons if r not in OWN_NOT_BLOCKING]


def own_adjuster_refusals(session: Session, placement: Placement, adj: Adjuster, now: dt.datetime) -> list[str]:
    """Why the insured's own adjuster is refused (``certificate_lapsed``, ``firm_not_filed``,
    ``blacklisted``, ``conflict_of_interest``, ``over_capacity``); empty when it is accepted."""
    return refusals(evaluate(session, placement, adj, now))


def _refuse(codes: list[str]) -> None:
    if codes:
        raise OwnAdjusterRefused(reasons=", ".join(codes), fields={"adjuster_id": ", ".join(codes)})


def sees_judgement(session: Session, actor: Actor, placement: Placement) -> bool:
    """Who sees the broker's judgement of adjusters (exclusions, blacklist, ranking), as for a claim: the
    broker, and the insured while it chooses."""
    return viewer(session, actor, placement).chooses_adjuster(placement.status == PlacementStatus.AWAITING_CHOICE)


def viewer(session: Session, actor: Actor, placement: Placement) -> audience.Viewer:
    """The actor's organisation looking at the placement's case: its sides there."""
    return audience.Viewer(actor.org_id, audience.sides_of(session, placement.case_id, actor.org_id), actor.is_admin)


def chosen_adjuster(session: Session, placement: Placement) -> Adjuster | None:
    return session.get(Adjuster, placement.chosen_adjuster_id) if placement.chosen_adjuster_id else None


def _working_days(session: Session, now: dt.datetime, days: int) -> dt.datetime:
    return add_working_days(now, days, calendar.load(session))


def _start(session: Session, placement: Placement, kind: str, holder: str, now: dt.datetime, due: dt.datetime) -> None:
    case_service.start_deadline(session, service.case_of(session, placement), kind, holder, now=now, due=due)


def _stop(session: Session, placement: Placement, kind: str, now: dt.datetime) -> None:
    case_service.stop_deadline(session, service.case_of(session, placement), kind, now=now)


# ---- R-U1: the explanation, the recommendations and the insured's choice ------------------------------


def explain(session: Session, actor: Actor, placement: Placement, now: dt.datetime, *, note: str = "") -> Placement:
    """The broker's account manager records that it explained to the insured that the pre-assessment
    decides the programme, and puts its recommendations before the insured, who now holds the ball
    (``insured_choice``, 5 working days)."""
    note = note.strip()
    if len(note) > REASON_MAX:
        raise InvalidInput(fields={"note": f"at most {REASON_MAX} characters"})
    service.transition(
        session,
        actor,
        placement,
        "explain",
        now,
        after={"note": note} if note else None,
        values={"explained_at": now},
    )
    _start(session, placement, INSURED_CHOICE, "insured", now, _working_days(session, now, CHOICE_WORKING_DAYS))
    return placement


def listed_adjuster(session: Session, actor: Actor, adjuster_id: object) -> Adjuster:
    try:
        return scope.get_listed_adjuster(session, actor, adjuster_id)
    except NotFound:
        raise InvalidInput(
            "Choose an adjuster from the register.", fields={"adjuster_id": "no such adjuster"}
        ) from None


def choose(
    session: Session, actor: Actor, placement: Placement, adjuster_id: object, *, acknowledged: bool, now: dt.datetime
) -> Placement:
    """The insured acknowledges the explanation and picks the adjuster: one of the recommended, or its own
    from the register — refused (``OwnAdjusterRefused``, 422 naming ``adjuster_id``) with the reason
    codes when the routing checks exclude it. The broker now holds the ball (it issues the letter)."""
    if not acknowledged:
        raise InvalidInput("Confirm that the pre-assessment was explained to you.", fields={"acknowledged": "required"})
    adj = listed_adjuster(session, actor, adjuster_id)
    rec = evaluate(session, placement, adj, now)
    _refuse(refusals(rec))
    choice = OWN if rec.reasons else RECOMMENDED
    service.transition(
        session,
        actor,
        placement,
        "choose",
        now,
        after={
            "adjuster_id": str(adj.id),
            "adjuster": adj.name,
            "firm_id": str(adj.firm_id),
            "firm": adj.firm.organisation.name,
            "choice": choice,
            "notes": rec.reasons,  # an own adjuster's line or area, shown, not held against it
        },
        values={"chosen_adjuster_id": adj.id, "choice": choice, "acknowledged_at": now},
    )
    _stop(session, placement, INSURED_CHOICE, now)
    return placement


# ---- R-U2: the confirmation letter and the firm's answer ----------------------------------------------


def issue_letter(session: Session, actor: Actor, placement: Placement, now: dt.datetime) -> Appointment:
    """The broker issues the confirmation letter (确认函) to the chosen adjuster's firm, after screening it
    again (a lapse or a blacklisting since the choice refuses it: the insured chooses again). The firm
    takes part in the case from now on and has 2 working days to answer (``letter_answer``)."""
    adj = chosen_adjuster(session, placement)
    if adj is None:
        raise InvalidInput("The insured has not chosen an adjuster.", fields={"adjuster_id": "required"})
    _refuse(own_adjuster_refusals(session, placement, adj, now))
    case = service.case_of(session, placement)
    letter = letters.issue_letter(session, case, adj, side="broker", now=now)
    case_service.stop_deadline(session, case, "appointment_answer", now=now)  # a claim's 24 h; see below
    service.transition(
        session,
        actor,
        placement,
        "issue_letter",
        now,
        after={
            "letter_no": letter.letter_no,
            "firm_id": str(adj.firm_id),
            "firm": adj.firm.organisation.name,
            "adjuster_id": str(adj.id),
            "adjuster": adj.name,
        },
        audience=audience.LETTER_READERS["broker"],
        values={"adjuster_firm_id": adj.firm_id},
    )
    _start(session, placement, LETTER_ANSWER, "adjuster_firm", now, _working_days(session, now, ANSWER_WORKING_DAYS))
    return letter


def report_due_at(due: dt.date | None, now: dt.datetime) -> dt.datetime:
    """The end of the report's due day (Asia/Shanghai), or InvalidInput naming ``report_due``."""
    today = local_day(now)
    if due is None:
        raise InvalidInput("Agree the date the report is due.", fields={"report_due": "required"})
    if due <= today:
        raise InvalidInput("The report is due after today.", fields={"report_due": "must be after today"})
    if (due - today).days > REPORT_MAX_DAYS:
        raise InvalidInput(
            "The report is due within a year.", fields={"report_due": f"at most {REPORT_MAX_DAYS} days ahead"}
        )
    return dt.datetime.combine(due, END_OF_DAY, SHANGHAI).astimezone(dt.UTC)


def accept_letter(
    session: Session,
    actor: Actor,
    placement: Placement,
    now: dt.datetime,
    *,
    terms: FeeTerms | None,
    report_due: dt.date | None,
) -> Appointment:
    """The firm accepts the letter with its fee terms and payment deadline and the date its pre-assessment
    report is due; the appointed adjuster leads its team, and the firm holds the ball until the report
    (``pre_assessment_report``)."""
    due = report_due_at(report_due, now)
    case = service.case_of(session, placement)
    letter = letters.answer_letter(
        session,
        actor,
        case,
        "broker",
        accept=True,
        now=now,
        terms=terms,
    )
    service.transition(
        session,
        actor,
        placement,
        "accept",
        now,
        after={"letter_no": letter.letter_no, "report_due": due.isoformat()},
    )
    _stop(session, placement, LETTER_ANSWER, now)
    _start(session, placement, REPORT_DUE, "adjuster_firm", now, due)
    return letter


def decline_letter(
    session: Session, actor: Actor, placement: Placement, now: dt.datetime, *, reason: str
) -> Appointment:
    """The firm declines with a reason; it no longer takes part, and the insured chooses again
    (``insured_choice`` restarts, 5 working days)."""
    reason = (reason or "").strip()
    if not reason or len(reason) > REASON_MAX:
        field = "required" if not reason else f"at most {REASON_MAX} characters"
        raise InvalidInput("Give the reason for declining.", fields={"reason": field})
    letter = letters.current_letter(session, service.case_of(session, placement), "broker")
    service.transition(
        session,
        actor,
        placement,
        "decline",
        now,
        reason=reason,
        after={"letter_no": letter.letter_no if letter else None},
        values={"adjuster_firm_id": None, "chosen_adjuster_id": None, "choice": None},
    )
    answered = letters.answer_letter(
        session, actor, service.case_of(session, placement), "broker", accept=False, now=now, reason=reason
    )
    _stop(session, placement, LETTER_ANSWER, now)
    _start(session, placement, INSURED_CHOICE, "insured", now, _working_days(session, now, CHOICE_WORKING_DAYS))
    return answered


# ---- what the page and the API show -------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Selection:
    """Where the choice of the adjuster stands, as one party may see it."""

    placement: Placement
    judgement: bool  # the viewer sees the ranking and the exclusions
    recommended: list[routing.Recommendation]
    excluded: list[routing.Recommendation]
    chosen: Adjuster | None
    letter: Appointment | None
    clocks: list[Deadline]


def _by_firm(r: routing.Recommendation) -> tuple[str, str]:
    return (r.adjuster.firm.organisation.name, r.adjuster.name)


SELECTION_CLOCKS = (INSURED_CHOICE, LETTER_ANSWER, REPORT_DUE)


def selection(session: Session, actor: Actor, placement: Placement, now: dt.datetime) -> Selection:
    """The recommendations (ranked; the excluded with their reasons for those who choose, else only the
    chosen adjuster), the choice, the current letter and the selection's clocks."""
    judgement = sees_judgement(session, actor, placement)
    recs = recommendations(session, placement, now) if judgement else []
    ranked = sorted((r for r in recs if not r.reasons), key=lambda r: (-r.score, r.adjuster.name))
    case = service.case_of(session, placement)
    return Selection(
        placement=placement,
        judgement=judgement,
        recommended=ranked,
        excluded=sorted(
            (r for r in recs if r.reasons), key=lambda r: (r.adjuster.firm.organisation.name, r.adjuster.name)
        ),
        chosen=chosen_adjuster(session, placement),
        letter=letters.current_letter(session, case, "broker"),
        clocks=[d for d in case_service.deadlines(session, case) if d.kind in SELECTION_CLOCKS],
    )


def letter_of(session: Session, placement: Placement) -> Appointment | None:
    return letters.current_letter(session, service.case_of(session, placement), "broker")
