"""The termination assessment (保险合同效力中止或终止评估, issue 16 item 4, R-U10): when the insurer suspends
or ends a policy bound from a placement, the broker's account manager instructs its adjuster firm on the
placement (the firm already under the broker's letter on the case, as for the staged re-surveys) to assess
the loss this causes the insured. The firm files the 《保险合同效力中止或终止评估报告》 (report kind
``termination``: cause, basis and the itemised heads with evidence), signed by two of its adjusters and
frozen like every report; the recovery (``policy.recovery``) then takes its amount from it.

Not a second letter on the placement's case: the placement pages read the newest broker letter on the
case as the pre-assessment letter, so the instruction is its own record (:class:`TerminationAssessment`,
``instructed`` → ``reported`` by :data:`RULES`, audited on the case's chain)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.access.actor import Actor
from tandem.case import audience
from tandem.case import service as case_service
from tandem.case.models import Case
from tandem.inforce import staged
from tandem.kit import transition
from tandem.kit.errors import ActionNotAllowed, Conflict
from tandem.kit.i18n import N_
from tandem.notification.service import org_users, tell
from tandem.policy import recovery
from tandem.policy.inforce_models import TerminationAssessment
from tandem.policy.models import Policy
from tandem.report import service as report_service
from tandem.report.models import Report
from tandem.report.schemas import validate_content

KIND = "termination"
RULES: transition.Table = {("instructed", "report"): transition.Rule("reported", staged.FIRM_SIDE)}

NO_FIRM = N_("The placement has no adjuster firm to instruct.")
ALREADY = N_("The assessment is already instructed.")
NOT_INSTRUCTED = N_("No termination assessment is instructed for your firm on this policy.")
INSTRUCTED_SUBJECT = N_("Policy {policy}: assess the loss of its suspension or termination")
INSTRUCTED_BODY = N_("The broker instructs your firm to file the termination assessment report. {note}")
REPORTED_SUBJECT = N_("Policy {policy}: termination assessment report {report}")
REPORTED_BODY = N_("The assessed loss is {amount}.")


def of_policy(session: Session, policy: Policy) -> TerminationAssessment | None:
    stmt = select(TerminationAssessment).where(TerminationAssessment.policy_id == policy.id)
    return session.execute(stmt).scalar_one_or_none()


def report_of(session: Session, row: TerminationAssessment | None) -> Report | None:
    return session.get(Report, row.report_id) if row is not None and row.report_id else None


def _case(session: Session, row_case: uuid.UUID) -> Case:
    case = session.get(Case, row_case)
    assert case is not None
    return case


def instruct(
    session: Session, actor: Actor, policy_id: object, *, note: str, now: dt.datetime
) -> TerminationAssessment:
    """The broker's account manager instructs the placement's adjuster firm (once per policy)."""
    policy, placement = staged.readable_policy(session, actor, policy_id)
    if actor.read_only or actor.org_id != policy.broker_id or not actor.has_any(recovery.BROKER):
        raise ActionNotAllowed()
    if not recovery.recoverable(session, policy):
        raise Conflict(recovery.NOT_BY_INSURER)
    if of_policy(session, policy) is not None:
        raise Conflict(ALREADY)
    firm = staged.survey_firm(placement)
    if firm is None:
        raise Conflict(NO_FIRM)
    row = TerminationAssessment(
        policy_id=policy.id, case_id=placement.id, firm_id=firm, status="instructed", note=note.strip(),
        instructed_at=now, instructed_by=actor.user_id,
    )  # fmt: skip
    session.add(row)
    session.flush()
    case_service.record_event(
        session, actor, _case(session, placement.id), "termination.instructed", now=now,
        after={"policy": policy.number}, reason=note.strip() or None,
        audience=[audience.BROKER, audience.INSURED, audience.FIRM_A],
    )  # fmt: skip
    users = org_users(session, firm, staged.FIRM_SIDE)
    params = {"policy": policy.number, "note": note.strip()}
    key = f"termination-instructed:{row.id}"
    tell(session, users, INSTRUCTED_SUBJECT, INSTRUCTED_BODY, params, link=_link(policy), key=key, now=now)
    return row


def _link(policy: Policy) -> str:
    return f"/policies/{policy.id}/termination-assessment"


def _instructed_for(session: Session, actor: Actor, policy_id: object) -> tuple[Policy, TerminationAssessment]:
    policy, _placement = staged.readable_policy(session, actor, policy_id)
    row = of_policy(session, policy)
    if actor.read_only or not actor.has_any(staged.FIRM_SIDE) or row is None or row.firm_id != actor.org_id:
        raise ActionNotAllowed()
    if row.status != "instructed":
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
    roles = frozenset(r.value for r in actor.roles)
    transition.resolve(RULES, row.status, "report", roles)
    transition.move_row(session, row, {"status": "reported", "report_id": report.id, "reported_at": now})
    amount = report.content["assessed_loss"]
    case_service.record_event(
        session, actor, case, "termination.reported", now=now,
        after={"policy": policy.number, "report": report.display_number, "assessed_loss": amount},
        audience=[audience.BROKER, audience.INSURED, audience.FIRM_A, audience.org(policy.insurer_id)],
    )  # fmt: skip
    users = [
        *org_users(session, policy.broker_id, recovery.BROKER),
        *org_users(session, policy.insured_id, recovery.INSURED),
    ]
    params = {"policy": policy.number, "report": report.display_number, "amount": amount}
    key = f"termination-reported:{row.id}"
    tell(session, users, REPORTED_SUBJECT, REPORTED_BODY, params, link=_link(policy), key=key, now=now)
    return report
