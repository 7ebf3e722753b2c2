"""Findings of unfairness (不公正认定) and the notices (通报) they become: recorded by a risk evaluator with
evidence, confirmed or rejected by a second one, answered by the adjuster within a window of working days,
then upheld or withdrawn, with reasons, by someone other than the finder; no answer by the deadline: upheld
by default after a reminder (the worker's ``neutrality.answer_due``)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from tandem.access import scope
from tandem.access.actor import Actor
from tandem.access.models import Role
from tandem.case.models import Case
from tandem.case.numbering import next_number
from tandem.claim.models import Appointment, Claim, Document, TeamMember
from tandem.kit import transition
from tandem.kit.errors import ActionNotAllowed, InvalidInput
from tandem.kit.i18n import format_local
from tandem.kit.limits import reason_text
from tandem.kit.workdays import add_working_days, on_working_day_before
from tandem.neutrality import common
from tandem.neutrality.models import Finding
from tandem.notification.outbox import enqueue
from tandem.party.models import Adjuster
from tandem.report.models import Report
from tandem.sla import calendar

KINDS = ("leans_to_appointer", "leans_to_insured", "leans_to_insurer", "procedure")
SEVERITIES = ("minor", "serious")
ANSWER_WORKING_DAYS = 10
REMIND_AT = dt.time(9, 0)  # Asia/Shanghai, on the working day before the deadline
TEXT_MAX = 4000
EVIDENCE_MAX = 30
PREFIX = "TB"  # 通报


def _not_the_finder(finding: Finding, actor: Actor, now: dt.datetime) -> None:
    if actor.user_id == finding.recorded_by:
        raise ActionNotAllowed("Someone other than the one who recorded the finding must do this.")


def _answers_for(finding: Finding, actor: Actor, now: dt.datetime) -> None:
    if not common.speaks_for(actor, finding.adjuster):
        raise ActionNotAllowed()
    if finding.answer_due is not None and now > finding.answer_due:
        raise ActionNotAllowed("The answer window has closed.")


def _deadline_passed(finding: Finding, actor: Actor | None, now: dt.datetime) -> None:
    if finding.answer_due is None or now <= finding.answer_due:
        raise ActionNotAllowed("The answer window is still open.")


RULES: transition.Table = {
    ("recorded", "confirm"): transition.Rule("notified", common.EVALUATORS, _not_the_finder),
    ("recorded", "reject"): transition.Rule("rejected", common.EVALUATORS, _not_the_finder),
    ("notified", "answer"): transition.Rule("answered", common.ADJUSTER_SIDE, _answers_for),
    ("notified", "withdraw"): transition.Rule("withdrawn", common.BROKER_STAFF, _not_the_finder),
    ("notified", "uphold_by_default"): transition.Rule("upheld", common.SYSTEM_ROLES, _deadline_passed),
    ("answered", "uphold"): transition.Rule("upheld", common.BROKER_STAFF, _not_the_finder),
    ("answered", "withdraw"): transition.Rule("withdrawn", common.BROKER_STAFF, _not_the_finder),
}


@dataclass(frozen=True)
class NewFinding:
    adjuster_id: uuid.UUID
    case_id: uuid.UUID
    kind: str
    severity: str
    text: str
    documents: list[uuid.UUID] = field(default_factory=list)
    reports: list[uuid.UUID] = field(default_factory=list)
    cases: list[uuid.UUID] = field(default_factory=list)


def link(finding: Finding) -> str:
    return f"/neutrality/findings/{finding.id}"


def _worked(case_id: uuid.UUID, adjuster_id: Any) -> Any:
    """The adjuster was instructed on the case, or was on its team (an SQL condition)."""
    return or_(
        exists().where(Appointment.case_id == case_id, Appointment.adjuster_id == adjuster_id),
        exists().where(TeamMember.case_id == case_id, TeamMember.adjuster_id == adjuster_id),
        exists().where(Claim.case_id == case_id, Claim.adjuster_id == adjuster_id),
    )


def on_case(session: Session, case_id: uuid.UUID) -> list[Adjuster]:
    """The adjusters :func:`worked_on` the case, by name."""
    stmt = select(Adjuster).where(_worked(case_id, Adjuster.id)).order_by(Adjuster.name, Adjuster.id)
    return list(session.execute(stmt).unique().scalars())


def worked_on(session: Session, case_id: uuid.UUID, adjuster_id: uuid.UUID) -> bool:
    """The adjuster was instructed on the case, or was on its team."""
    return bool(session.execute(select(_worked(case_id, adjuster_id))).scalar())


def _evidence(session: Session, actor: Actor, case: Case, new: NewFinding) -> list[dict[str, Any]]:
    """The evidence as recorded: documents of the case by hash, its reports by number, related cases (each
    through the access check) by number."""
    if len(new.documents) + len(new.reports) + len(new.cases) > EVIDENCE_MAX:
        raise InvalidInput("Too many evidence items.", fields={"documents": f"at most {EVIDENCE_MAX} items"})
    items: list[dict[str, Any]] = []
    for doc_id in dict.fromkeys(new.documents):
        doc = session.execute(
            select(Document).where(Document.id == doc_id, Document.case_id == case.id)
        ).scalar_one_or_none()
        if doc is None:
            raise InvalidInput("No such document on this case.", fields={"documents": str(doc_id)})
        items.append({"kind": "document", "id": str(doc.id), "sha256": doc.sha256, "name": doc.filename})
    for report_id in dict.fromkeys(new.reports):
        rep = session.execute(
            select(Report).where(Report.id == report_id, Report.case_id == case.id)
        ).scalar_one_or_none()
        if rep is None:
            raise InvalidInput("No such report on this case.", fields={"reports": str(report_id)})
        items.append({"kind": "report", "id": str(rep.id), "number": rep.display_number})
    for case_id in dict.fromkeys(new.cases):
        other = scope.get_case(session, actor, case_id)
        items.append({"kind": "case", "id": str(other.id), "number": other.number})
    return items


def record_finding(session: Session, actor: Actor, new: NewFinding, *, at: dt.datetime) -> Finding:
    """A risk evaluator records a finding against one adjuster on one case of its broker."""
    common.require_broker(actor, common.EVALUATORS)
    if new.kind not in KINDS:
        raise InvalidInput("Unknown kind of unfairness.", fields={"kind": "one of " + ", ".join(KINDS)})
    if new.severity not in SEVERITIES:
        raise InvalidInput("Unknown severity.", fields={"severity": "minor or serious"})
    text = reason_text(new.text, "text")
    case = scope.get_case(session, actor, new.case_id)
    adj = scope.get_adjuster(session, actor, new.adjuster_id)
    if not worked_on(session, case.id, adj.id):
        raise InvalidInput("This adjuster did not work on this case.", fields={"adjuster_id": "not on the case"})
    finding = Finding(
        number=next_number(session, at, PREFIX),
        broker_id=actor.org_id,
        adjuster_id=adj.id,
        firm_id=adj.firm_id,
        case_id=case.id,
        kind=new.kind,
        severity=new.severity,
        text=text,
        evidence=_evidence(session, actor, case, new),
        state="recorded",
        recorded_by=actor.user_id,
        recorded_at=at,
    )
    session.add(finding)
    session.flush()
    after = {"number": finding.number, "adjuster_id": str(adj.id), "case": case.number, "kind": new.kind}
    common.record(
        session,
        actor,
        "neutrality.finding_recorded",
        finding,
        at=at,
        broker_id=actor.org_id,
        after={**after, "severity": new.severity, "state": "recorded"},
        reason=text,
    )
    others = common.users_with_role(session, actor.org_id, Role.BROKER_RISK_EVALUATOR)
    common.tell(
        session,
        others,
        "neutrality.finding_recorded",
        at=at,
        link=link(finding),
        key=f"neutrality:{finding.id}:recorded",
        skip=actor.user_id,
    )
    return finding


def review(session: Session, actor: Actor, finding_id: Any, *, confirm: bool, reason: str, at: dt.datetime) -> Finding:
    """The second reviewer confirms (the finding becomes a notice) or rejects it."""
    finding = scope.get_finding(session, actor, finding_id)
    common.require_broker(actor, common.EVALUATORS)
    text = reason_text(reason)
    values: dict[str, Any] = {"reviewed_by": actor.user_id, "reviewed_at": at, "review_reason": text}
    if confirm:
        due = add_working_days(at, ANSWER_WORKING_DAYS, calendar.load(session))
        values |= {"notified_at": at, "answer_due": due}
    before, after = transition.move(
        session,
        finding,
        RULES,
        "confirm" if confirm else "reject",
        common.roles_of(actor),
        finding,
        actor,
        at,
        values=values,
    )
    action = "neutrality.notice_issued" if confirm else "neutrality.finding_rejected"
    extra = {"answer_due": finding.answer_due.isoformat()} if finding.answer_due else {}
    common.record(
        session,
        actor,
        action,
        finding,
        at=at,
        broker_id=finding.broker_id,
        before={"state": before},
        after={"state": after, **extra},
        reason=text,
    )
    if confirm:
        _issue(session, finding, at)
    else:
        common.tell(
            session,
            [u for u in common.users_with_role(session, finding.broker_id, Role.BROKER_RISK_EVALUATOR)],
            action,
            at=at,
            link=link(finding),
            key=f"neutrality:{finding.id}:rejected",
            reason=text,
            skip=actor.user_id,
        )
    return finding


def _issue(session: Session, finding: Finding, at: dt.datetime) -> None:
    """The notice goes out: to the adjuster and its firm, its PDF rendered, its reminder and deadline set."""
    assert finding.answer_due is not None
    cal = calendar.load(session)
    remind = max(on_working_day_before(finding.answer_due, cal, REMIND_AT), at)
    ident = {"finding_id": str(finding.id)}
    enqueue(session, "neutrality.render_notice", ident, now=at, dedupe_key=f"neutrality:pdf:{finding.id}")
    enqueue(
        session, "neutrality.remind", ident, now=at, not_before=remind, dedupe_key=f"neutrality:remind:{finding.id}"
    )
    enqueue(
        session,
        "neutrality.answer_due",
        ident,
        now=at,
        not_before=finding.answer_due + dt.timedelta(microseconds=1),
        dedupe_key=f"neutrality:due:{finding.id}",
    )
    common.tell(
        session,
        common.adjuster_side(session, finding.adjuster),
        "neutrality.notice_issued",
        at=at,
        link=link(finding),
        key=f"neutrality:{finding.id}:issued",
        params={"number": finding.number, "due": format_local(finding.answer_due)},
        reason=finding.text,
    )


def answer(session: Session, actor: Actor, finding_id: Any, *, text: str, at: dt.datetime) -> Finding:
    """The adjuster (or its firm's administrator) answers the notice within the window."""
    finding = scope.get_finding(session, actor, finding_id)
    body = reason_text(text, "answer")
    values = {"answer": body, "answered_by": actor.user_id, "answered_at": at}
    before, after = transition.move(
        session, finding, RULES, "answer", common.roles_of(actor), finding, actor, at, values=values
    )
    common.record(
        session,
        actor,
        "neutrality.notice_answered",
        finding,
        at=at,
        broker_id=finding.broker_id,
        before={"state": before},
        after={"state": after},
        reason=body,
    )
    common.tell(
        session,
        common.users_with_role(session, finding.broker_id, Role.BROKER_RISK_EVALUATOR),
        "neutrality.notice_answered",
        at=at,
        link=link(finding),
        key=f"neutrality:{finding.id}:answered",
        params={"number": finding.number},
    )
    return finding


def decide(session: Session, actor: Actor, finding_id: Any, *, uphold: bool, reason: str, at: dt.datetime) -> Finding:
    """The broker upholds or withdraws the notice, with reasons, by someone other than the finder."""
    finding = scope.get_finding(session, actor, finding_id)
    common.require_broker(actor, common.BROKER_STAFF)
    text = reason_text(reason)
    values = {"decided_by": actor.user_id, "decided_at": at, "decision_reason": text}
    action = "uphold" if uphold else "withdraw"
    before, _ = transition.move(
        session, finding, RULES, action, common.roles_of(actor), finding, actor, at, values=values
    )
    _decided(session, actor, finding, before, at)
    return finding


def uphold_by_default(session: Session, finding: Finding, at: dt.datetime) -> bool:
    """At the deadline, with no answer: the notice is upheld by default and says so. False when the notice
    moved on meanwhile (answered, withdrawn) or the deadline is not yet past."""
    if finding.state != "notified" or finding.answer_due is None or at <= finding.answer_due:
        return False
    values = {"decided_at": at, "decision_reason": None, "by_default": True}
    before, _ = transition.move(
        session, finding, RULES, "uphold_by_default", common.SYSTEM_ROLES, finding, None, at, values=values
    )
    _decided(session, None, finding, before, at)
    return True


def _decided(session: Session, actor: Actor | None, finding: Finding, before: str, at: dt.datetime) -> None:
    if finding.state == "upheld":
        action = "neutrality.notice_upheld_by_default" if finding.by_default else "neutrality.notice_upheld"
    else:
        action = "neutrality.notice_withdrawn"
    common.record(
        session,
        actor,
        action,
        finding,
        at=at,
        broker_id=finding.broker_id,
        before={"state": before},
        after={"state": finding.state, "by_default": finding.by_default},
        reason=finding.decision_reason,
    )
    people = common.adjuster_side(session, finding.adjuster) + common.users_with_role(
        session, finding.broker_id, Role.BROKER_RISK_EVALUATOR
    )
    common.tell(
        session,
        people,
        action,
        at=at,
        link=link(finding),
        key=f"neutrality:{finding.id}:{finding.state}",
        params={"number": finding.number},
        reason=finding.decision_reason,
        skip=actor.user_id if actor else None,
    )
    if finding.state == "upheld":
        from tandem.neutrality import proposals

        proposals.check_tolerance(session, finding, at)


def remind(session: Session, finding: Finding, at: dt.datetime) -> bool:
    """The reminder before the deadline (once); False when there is nothing to remind of."""
    if finding.state != "notified" or finding.reminded_at is not None or finding.answer_due is None:
        return False
    finding.reminded_at = at
    common.record(
        session,
        None,
        "neutrality.answer_reminder",
        finding,
        at=at,
        broker_id=finding.broker_id,
        after={"answer_due": finding.answer_due.isoformat()},
    )
    common.tell(
        session,
        common.adjuster_side(session, finding.adjuster),
        "neutrality.answer_reminder",
        at=at,
        link=link(finding),
        key=f"neutrality:{finding.id}:reminder",
        params={"number": finding.number, "due": format_local(finding.answer_due)},
    )
    return True
