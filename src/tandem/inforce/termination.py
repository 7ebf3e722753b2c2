"""The termination assessment (保险合同效力中止或终止评估, issue 16 item 4, R-U10): when the insurer suspends
or ends a policy bound from a placement, the broker's account manager instructs an adjuster firm to assess
the loss this causes the insured, by a letter of instruction (委托函, purpose ``termination``) issued
through the letters service on the placement's case, beside its pre-assessment letter. The firm accepts it
with its fee terms (fixed, hourly, a rate of the assessed loss or a scale; the insured or the broker pays)
or declines it with a reason, which sends it back to the broker to instruct another firm. Once accepted
the firm files the 《保险合同效力中止或终止评估报告》 (report kind ``termination``: cause, basis and the
itemised heads with evidence), signed by two of its adjusters and frozen like every report; the recovery
(``policy.recovery``) then takes its amount from it, and the firm invoices the fee its own letter fixed
(``fees.invoices``, purpose ``termination``).

The assessment (:class:`TerminationAssessment`) moves ``instructed`` → ``accepted`` | ``declined``,
``declined`` → ``instructed`` (another firm), ``accepted`` → ``reported`` by :data:`RULES`, each move
audited on the case's chain in the same transaction."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.access import scope
from tandem.access.actor import Actor
from tandem.access.models import OrgKind
from tandem.case import audience, letters
from tandem.case import service as case_service
from tandem.case.models import Case
from tandem.claim.models import Appointment
from tandem.fees.engine import FeeTerms
from tandem.inforce import staged
from tandem.kit import transition
from tandem.kit.clock import local_day
from tandem.kit.errors import ActionNotAllowed, Conflict, InvalidInput, NotFound
from tandem.kit.i18n import N_
from tandem.kit.limits import reason_text
from tandem.notification.service import org_users, tell
from tandem.party import service as party_service
from tandem.party.models import Adjuster
from tandem.placement.models import Placement
from tandem.policy import recovery
from tandem.policy.inforce_models import TerminationAssessment
from tandem.policy.models import Policy
from tandem.report import service as report_service
from tandem.report.models import Report
from tandem.report.schemas import validate_content

KIND = letters.TERMINATION
RULES: transition.Table = {
    ("instructed", "accept"): transition.Rule("accepted", staged.FIRM_SIDE),
    ("instructed", "decline"): transition.Rule("declined", staged.FIRM_SIDE),
    ("declined", "instruct"): transition.Rule("instructed", recovery.BROKER),
    ("accepted", "report"): transition.Rule("reported", staged.FIRM_SIDE),
}

NO_FIRM = N_("The placement has no adjuster firm to instruct.")
ALREADY = N_("The assessment is already instructed.")
NOT_INSTRUCTED = N_("No termination assessment is instructed for your firm on this policy.")
NOT_ACCEPTED = N_("Accept the letter of instruction before filing the report.")
NO_LETTER = N_("There is no open letter of instruction for your firm.")
CHOOSE_ADJUSTER = N_("Choose the adjuster of the firm to instruct.")
NO_ADJUSTER = N_("No such adjuster.")
DECLINED_BEFORE = N_("This firm declined the assessment; instruct another firm.")
INSTRUCTED_SUBJECT = N_("Policy {policy}: assess the loss of its suspension or termination")
INSTRUCTED_BODY = N_(
    "The broker instructs your firm by letter {letter} to file the termination assessment report: accept it "
    "with your fee terms or decline it. {note}"
)
ACCEPTED_SUBJECT = N_("Policy {policy}: {firm} accepted the termination assessment")
DECLINED_SUBJECT = N_("Policy {policy}: {firm} declined the termination assessment")
DECLINED_BODY = N_("Reason: {reason}. Instruct another firm.")
ACCEPTED_BODY = N_("Letter {letter} is accepted with its fee terms; the firm assesses the loss.")
REPORTED_SUBJECT = N_("Policy {policy}: termination assessment report {report}")
REPORTED_BODY = N_("The assessed loss is {amount}.")


def of_policy(session: Session, policy: Policy) -> TerminationAssessment | None:
    stmt = select(TerminationAssessment).where(TerminationAssessment.policy_id == policy.id)
    return session.execute(stmt).scalar_one_or_none()


def report_of(session: Session, row: TerminationAssessment | None) -> Report | None:
    return session.get(Report, row.report_id) if row is not None and row.report_id else None


def letter_of(session: Session, row: TerminationAssessment | None) -> Appointment | None:
    """The assessment's current letter of instruction (None for one instructed before letters)."""
    return session.get(Appointment, row.appointment_id) if row is not None and row.appointment_id else None


def policy_of_letter(session: Session, letter: Appointment) -> uuid.UUID:
    """The policy whose assessment a termination letter instructs."""
    stmt = select(TerminationAssessment.policy_id).where(TerminationAssessment.appointment_id == letter.id)
    return session.execute(stmt).scalar_one()


def letters_of(session: Session, row: TerminationAssessment | None) -> list[Appointment]:
    """Every termination letter on the placement's case, oldest first (declined ones included)."""
    if row is None:
        return []
    stmt = select(Appointment).where(Appointment.case_id == row.case_id, Appointment.purpose == KIND)
    return list(session.execute(stmt.order_by(Appointment.issued_at, Appointment.letter_no)).scalars())


def _case(session: Session, row_case: uuid.UUID) -> Case:
    case = session.get(Case, row_case)
    assert case is not None
    return case


def readable_policy(session: Session, actor: Actor, policy_id: object) -> tuple[Policy, Placement]:
    """As :func:`staged.readable_policy`, and for the firm the current termination letter names while it
    stands (issued or accepted); 404 for anybody else."""
    try:
        return staged.readable_policy(session, actor, policy_id)
    except NotFound:
        try:
            found = session.get(Policy, uuid.UUID(str(policy_id)))
        except ValueError:
            raise NotFound() from None
        row = of_policy(session, found) if found is not None and actor.org_kind == OrgKind.ADJUSTER_FIRM else None
        letter = letter_of(session, row)
        if row is None or letter is None or letter.firm_id != actor.org_id or letter.state not in OPEN:
            raise
        placement = session.get(Placement, row.case_id)
        assert found is not None and placement is not None
        scope.get_case(session, actor, row.case_id)  # the firm takes part in the placement's case
        return found, placement


OPEN = ("issued", "accepted")


def _adjuster(
    session: Session, policy: Policy, case: Case, adjuster_id: uuid.UUID | None, now: dt.datetime
) -> Adjuster:
    """The adjuster the letter names: the one given, else (first time) the pre-assessment's; never of a firm
    that declined this assessment, and only one who may be given work (422 naming ``adjuster_id``)."""
    if adjuster_id is None:
        pre = letters.current_letter(session, case, "broker", letters.PRE_ASSESSMENT)
        if pre is None or pre.state != "accepted":
            raise InvalidInput(CHOOSE_ADJUSTER, fields={"adjuster_id": CHOOSE_ADJUSTER})
        adjuster_id = pre.adjuster_id
    adj = session.get(Adjuster, adjuster_id)
    if adj is None:
        raise InvalidInput(NO_ADJUSTER, fields={"adjuster_id": NO_ADJUSTER})
    declined = session.execute(
        select(Appointment.id).where(
            Appointment.case_id == case.id,
            Appointment.purpose == KIND,
            Appointment.firm_id == adj.firm_id,
            Appointment.state == "declined",
        )
    ).first()
    if declined is not None:
        raise InvalidInput(DECLINED_BEFORE, fields={"adjuster_id": DECLINED_BEFORE})
    today = local_day(now)
    words = party_service.ineligibility_words(session, adj, today, policy.broker_id)
    if words is not None:
        raise InvalidInput(str(words), fields={"adjuster_id": str(words)})
    return adj


def instruct(
    session: Session,
    actor: Actor,
    policy_id: object,
    *,
    note: str,
    now: dt.datetime,
    adjuster_id: uuid.UUID | None = None,
) -> TerminationAssessment:
    """The broker's account manager instructs an adjuster firm by a letter of instruction (once per policy,
    again with another firm after a decline): by default the adjuster under the placement's pre-assessment
    letter; the firm answers the letter."""
    policy, placement = staged.readable_policy(session, actor, policy_id)
    if actor.read_only or actor.org_id != policy.broker_id or not actor.has_any(recovery.BROKER):
        raise ActionNotAllowed()
    if not recovery.recoverable(session, policy):
        raise Conflict(recovery.NOT_BY_INSURER)
    row = of_policy(session, policy)
    if row is not None and row.status != "declined":
        raise Conflict(ALREADY)
    case = _case(session, placement.id)
    if adjuster_id is None and row is None and staged.survey_firm(placement) is None:
        raise Conflict(NO_FIRM)
    adj = _adjuster(session, policy, case, adjuster_id, now)
    letter = letters.issue_letter(
        session, case, adj, side="broker", now=now, purpose=KIND, answer_clock=False
    )  # fmt: skip
    changes = {
        "firm_id": adj.firm_id, "appointment_id": letter.id, "note": note.strip(),
        "instructed_at": now, "instructed_by": actor.user_id,
    }  # fmt: skip
    if row is None:
        row = TerminationAssessment(policy_id=policy.id, case_id=placement.id, status="instructed", **changes)
        session.add(row)
        session.flush()
    else:
        _move(session, actor, row, "instruct", changes)
    case_service.record_event(
        session, actor, case, "termination.instructed", now=now,
        after={"policy": policy.number, "letter_no": letter.letter_no, "firm_id": str(adj.firm_id),
               "firm": adj.firm.organisation.name, "adjuster": adj.name},
        reason=note.strip() or None,
        audience=[audience.BROKER, audience.INSURED, audience.org(adj.firm_id)],
    )  # fmt: skip
    users = org_users(session, adj.firm_id, staged.FIRM_SIDE)
    params = {"policy": policy.number, "note": note.strip(), "letter": letter.letter_no}
    key = f"termination-instructed:{letter.id}"
    tell(session, users, INSTRUCTED_SUBJECT, INSTRUCTED_BODY, params, link=_link(policy), key=key, now=now)
    return row


def _move(session: Session, actor: Actor, row: TerminationAssessment, action: str, changes: dict[str, Any]) -> None:
    roles = frozenset(r.value for r in actor.roles)
    rule = transition.resolve(RULES, row.status, action, roles)
    transition.move_row(session, row, {"status": rule.to, **changes})


def _open_letter(session: Session, actor: Actor, policy_id: object) -> tuple[Policy, TerminationAssessment]:
    policy, _placement = readable_policy(session, actor, policy_id)
    row = of_policy(session, policy)
    if actor.read_only or not actor.has_any(staged.FIRM_SIDE) or row is None or row.firm_id != actor.org_id:
        raise ActionNotAllowed()
    letter = letter_of(session, row)
    if row.status != "instructed" or letter is None or letter.state != "issued":
        raise Conflict(NO_LETTER)
    return policy, row


def _tell_broker(
    session: Session, policy: Policy, row: TerminationAssessment, subject: str, body: str, params: dict[str, Any],
    now: dt.datetime,
) -> None:  # fmt: skip
    users = org_users(session, policy.broker_id, recovery.BROKER)
    key = f"termination-{row.status}:{row.appointment_id}"
    tell(session, users, subject, body, {"policy": policy.number, **params}, link=_link(policy), key=key, now=now)


def accept(
    session: Session, actor: Actor, policy_id: object, *, terms: FeeTerms | None, now: dt.datetime
) -> Appointment:
    """The firm accepts its letter with its fee terms (the insured or the broker pays, as agreed): the
    appointed adjuster leads its team on the case, and it may file the report."""
    policy, row = _open_letter(session, actor, policy_id)
    case = _case(session, row.case_id)
    letter = letter_of(session, row)
    letter = letters.answer_letter(session, actor, case, "broker", accept=True, now=now, terms=terms, letter=letter)
    _move(session, actor, row, "accept", {})
    case_service.record_event(
        session, actor, case, "termination.accepted", now=now,
        after={"policy": policy.number, "letter_no": letter.letter_no, "fee_terms": letter.fee_terms},
        audience=[audience.BROKER, audience.INSURED, audience.org(row.firm_id)],
    )  # fmt: skip
    firm = actor.org_name or ""
    params = {"firm": firm, "letter": letter.letter_no}
    _tell_broker(session, policy, row, ACCEPTED_SUBJECT, ACCEPTED_BODY, params, now)
    return letter


def decline(session: Session, actor: Actor, policy_id: object, *, reason: str, now: dt.datetime) -> Appointment:
    """The firm declines its letter with a reason: it no longer takes part (unless under its pre-assessment
    letter), and the broker instructs another firm."""
    text = reason_text(reason, "reason")
    policy, row = _open_letter(session, actor, policy_id)
    case = _case(session, row.case_id)
    letter = letters.answer_letter(
        session, actor, case, "broker", accept=False, now=now, reason=text, letter=letter_of(session, row)
    )
    _move(session, actor, row, "decline", {})
    case_service.record_event(
        session, actor, case, "termination.declined", now=now, reason=text,
        after={"policy": policy.number, "letter_no": letter.letter_no},
        audience=[audience.BROKER, audience.INSURED, audience.org(row.firm_id)],
    )  # fmt: skip
    _tell_broker(
        session, policy, row, DECLINED_SUBJECT, DECLINED_BODY, {"firm": actor.org_name or "", "reason": text}, now
    )
    return letter


def _link(policy: Policy) -> str:
    return f"/policies/{policy.id}/termination-assessment"


def _instructed_for(session: Session, actor: Actor, policy_id: object) -> tuple[Policy, TerminationAssessment]:
    """The firm's assessment once its letter is accepted (409 before: accept the letter first)."""
    policy, _placement = readable_policy(session, actor, policy_id)
    row = of_policy(session, policy)
    if actor.read_only or not actor.has_any(staged.FIRM_SIDE) or row is None or row.firm_id != actor.org_id:
        raise ActionNotAllowed()
    if row.status == "instructed":
        raise Conflict(NOT_ACCEPTED)
    if row.status != "accepted":
        raise Conflict(NOT_INSTRUCTED)
    return policy, row


def save_draft(
    session: Session, actor: Actor, policy_id: object, content: dict[str, Any], *, now: dt.datetime
) -> dict[str, Any]:
    """The firm's working copy of the report (422 naming the field)."""
    _policy, row = _instructed_for(session, actor, policy_id)
    checked = validate_content(KIND, content)
    return report_service.save_draft(session, actor, _case(session, row.case_id), KIND, checked, now=now).content


def submit(
    session: Session, actor: Actor, policy_id: object, *, signer_ids: list[uuid.UUID], now: dt.datetime
) -> Report:
    """Two adjusters of the firm sign and submit: the report is frozen, the assessment reported; the broker
    and the insured are told the assessed loss."""
    policy, row = _instructed_for(session, actor, policy_id)
    case = _case(session, row.case_id)
    report = report_service.submit(session, actor, case, KIND, signer_ids=signer_ids, now=now, again=True)
    _move(session, actor, row, "report", {"report_id": report.id, "reported_at": now})
    amount = report.content["assessed_loss"]
    case_service.record_event(
        session, actor, case, "termination.reported", now=now,
        after={"policy": policy.number, "report": report.display_number, "assessed_loss": amount},
        audience=[audience.BROKER, audience.INSURED, audience.org(row.firm_id), audience.org(policy.insurer_id)],
    )  # fmt: skip
    users = [
        *org_users(session, policy.broker_id, recovery.BROKER),
        *org_users(session, policy.insured_id, recovery.INSURED),
    ]
    params = {"policy": policy.number, "report": report.display_number, "amount": amount}
    key = f"termination-reported:{row.id}"
    tell(session, users, REPORTED_SUBJECT, REPORTED_BODY, params, link=_link(policy), key=key, now=now)
    return report
