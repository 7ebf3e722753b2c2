"""Neutrality API (相对中立, R-C7): findings and notices, tolerance, blacklist proposals, decisions, appeals,
and the adjuster's and firm's record."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import Field

from tandem.access import scope
from tandem.deps import ActorDep, ClockDep, SessionDep, SettingsDep
from tandem.kit.clock import today_local
from tandem.kit.errors import NotFound
from tandem.kit.limits import REASON_MAX
from tandem.neutrality import documents, findings, interests, proposals, recusal, views
from tandem.schemas import Date, Strict

router = APIRouter(prefix="/api/v1/neutrality", tags=["neutrality"])
NF: dict[int | str, dict[str, Any]] = {404: {"description": "Not found"}}
ACT: dict[int | str, dict[str, Any]] = {
    403: {"description": "Not allowed"},
    409: {"description": "Not possible in this state, or changed meanwhile"},
    **NF,
}
Text = Annotated[str, Field(min_length=1, max_length=REASON_MAX)]


class FindingCreate(Strict):
    adjuster_id: uuid.UUID
    case_id: uuid.UUID
    kind: Literal["leans_to_appointer", "leans_to_insured", "leans_to_insurer", "procedure"]
    severity: Literal["minor", "serious"]
    text: Text
    documents: list[uuid.UUID] = Field(default_factory=list, max_length=findings.EVIDENCE_MAX)
    reports: list[uuid.UUID] = Field(default_factory=list, max_length=findings.EVIDENCE_MAX)
    cases: list[uuid.UUID] = Field(default_factory=list, max_length=findings.EVIDENCE_MAX)


class ReasonBody(Strict):
    reason: Text


class AnswerBody(Strict):
    answer: Text


class DecisionBody(Strict):
    outcome: Literal["blacklist", "no_listing"]
    reason: Text
    lines: list[Annotated[str, Field(min_length=1, max_length=60)]] = Field(default_factory=list, max_length=50)
    term_months: Annotated[int, Field(ge=1, le=proposals.TERM_MAX_MONTHS)] | None = None


class AppealDecisionBody(Strict):
    outcome: Literal["granted", "dismissed"]
    reason: Text


class ToleranceBody(Strict):
    tolerance: Annotated[int, Field(ge=0, le=proposals.TOLERANCE_MAX)]
    window_months: Annotated[int, Field(ge=1, le=proposals.WINDOW_MAX_MONTHS)]


class QueueOut(Strict):
    to_review: list[views.FindingOut]
    answered: list[views.FindingOut]
    waiting: list[views.FindingOut]
    proposals: list[views.ProposalOut]
    appeals: list[views.ProposalOut]
    suggestions: list[views.SuggestionOut]  # adjusters the bias analytics flag: to review, not findings


# ---- tolerance ------------------------------------------------------------------------------------


@router.get("/tolerance", response_model=views.ToleranceOut, responses={403: {"description": "Not a broker"}})
def get_tolerance(actor: ActorDep, session: SessionDep) -> views.ToleranceOut:
    from tandem.neutrality import common

    common.require_broker(actor, common.BROKER_STAFF)
    t = proposals.tolerance_of(session, actor.org_id)
    return views.ToleranceOut(tolerance=t.tolerance, window_months=t.window_months)


@router.put("/tolerance", response_model=views.ToleranceOut, responses={403: {"description": "Not allowed"}})
def put_tolerance(body: ToleranceBody, actor: ActorDep, session: SessionDep, clock: ClockDep) -> views.ToleranceOut:
    t = proposals.set_tolerance(
        session, actor, tolerance=body.tolerance, window_months=body.window_months, at=clock.now()
    )
    return views.ToleranceOut(tolerance=t.tolerance, window_months=t.window_months)


# ---- findings and notices -------------------------------------------------------------------------


@router.get("/queue", response_model=QueueOut)
def get_queue(actor: ActorDep, session: SessionDep, clock: ClockDep) -> QueueOut:
    """What waits on the broker: findings to review, answered notices, open notices, proposals, appeals."""
    now = clock.now()
    q = views.queue(session, actor)

    def fo(rows: list[Any]) -> list[views.FindingOut]:
        return [views.finding_out(session, actor, f, now) for f in rows]

    def po(rows: list[Any]) -> list[views.ProposalOut]:
        return [views.proposal_out(session, actor, p, now) for p in rows]

    return QueueOut(
        to_review=fo(q.to_review),
        answered=fo(q.answered),
        waiting=fo(q.waiting),
        proposals=po(q.proposals),
        appeals=po(q.appeals),
        suggestions=views.suggestions(session, actor),
    )


@router.post("/findings", response_model=views.FindingOut, status_code=201, responses=ACT)
def create_finding(body: FindingCreate, actor: ActorDep, session: SessionDep, clock: ClockDep) -> views.FindingOut:
    new = findings.NewFinding(
        adjuster_id=body.adjuster_id,
        case_id=body.case_id,
        kind=body.kind,
        severity=body.severity,
        text=body.text,
        documents=body.documents,
        reports=body.reports,
        cases=body.cases,
    )
    f = findings.record_finding(session, actor, new, at=clock.now())
    return views.finding_out(session, actor, f, clock.now())


@router.get("/findings/{finding_id}", response_model=views.FindingOut, responses=NF)
def get_finding(finding_id: str, actor: ActorDep, session: SessionDep, clock: ClockDep) -> views.FindingOut:
    return views.finding_out(session, actor, scope.get_finding(session, actor, finding_id), clock.now())


def _review(finding_id: str, confirm: bool, body: ReasonBody, actor: Any, session: Any, clock: Any) -> views.FindingOut:
    f = findings.review(session, actor, finding_id, confirm=confirm, reason=body.reason, at=clock.now())
    return views.finding_out(session, actor, f, clock.now())


@router.post("/findings/{finding_id}/confirm", response_model=views.FindingOut, responses=ACT)
def confirm_finding(
    finding_id: str, body: ReasonBody, actor: ActorDep, session: SessionDep, clock: ClockDep
) -> views.FindingOut:
    """The second reviewer confirms: the finding becomes a notice (通报) to the adjuster and its firm."""
    return _review(finding_id, True, body, actor, session, clock)


@router.post("/findings/{finding_id}/reject", response_model=views.FindingOut, responses=ACT)
def reject_finding(
    finding_id: str, body: ReasonBody, actor: ActorDep, session: SessionDep, clock: ClockDep
) -> views.FindingOut:
    return _review(finding_id, False, body, actor, session, clock)


@router.post("/findings/{finding_id}/answer", response_model=views.FindingOut, responses=ACT)
def answer_notice(
    finding_id: str, body: AnswerBody, actor: ActorDep, session: SessionDep, clock: ClockDep
) -> views.FindingOut:
    f = findings.answer(session, actor, finding_id, text=body.answer, at=clock.now())
    return views.finding_out(session, actor, f, clock.now())


def _decide(finding_id: str, uphold: bool, body: ReasonBody, actor: Any, session: Any, clock: Any) -> views.FindingOut:
    f = findings.decide(session, actor, finding_id, uphold=uphold, reason=body.reason, at=clock.now())
    return views.finding_out(session, actor, f, clock.now())


@router.post("/findings/{finding_id}/uphold", response_model=views.FindingOut, responses=ACT)
def uphold_notice(
    finding_id: str, body: ReasonBody, actor: ActorDep, session: SessionDep, clock: ClockDep
) -> views.FindingOut:
    return _decide(finding_id, True, body, actor, session, clock)


@router.post("/findings/{finding_id}/withdraw", response_model=views.FindingOut, responses=ACT)
def withdraw_notice(
    finding_id: str, body: ReasonBody, actor: ActorDep, session: SessionDep, clock: ClockDep
) -> views.FindingOut:
    return _decide(finding_id, False, body, actor, session, clock)


@router.get("/findings/{finding_id}/notice.pdf", responses=NF, response_class=Response)
def notice_pdf(finding_id: str, actor: ActorDep, session: SessionDep, settings: SettingsDep) -> Response:
    """The notice (通报) as a PDF, once rendered (404 before)."""
    f = scope.get_finding(session, actor, finding_id)
    data = documents.notice_pdf(settings, f)
    if data is None:
        raise NotFound()
    return Response(
        data,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{f.number}.pdf"',
            "X-Content-SHA256": f.pdf_sha256 or "",
        },
    )


# ---- proposals, decisions, appeals ----------------------------------------------------------------


@router.get("/proposals/{proposal_id}", response_model=views.ProposalOut, responses=NF)
def get_proposal(proposal_id: str, actor: ActorDep, session: SessionDep, clock: ClockDep) -> views.ProposalOut:
    return views.proposal_out(session, actor, scope.get_proposal(session, actor, proposal_id), clock.now())


@router.post("/proposals/{proposal_id}/decide", response_model=views.ProposalOut, responses=ACT)
def decide_proposal(
    proposal_id: str, body: DecisionBody, actor: ActorDep, session: SessionDep, clock: ClockDep
) -> views.ProposalOut:
    """A broker account manager decides: blacklist (lines, term in months or none for indefinite) or not."""
    decision = proposals.Decision(
        blacklist=body.outcome == "blacklist",
        reason=body.reason,
        lines=tuple(body.lines),
        term_months=body.term_months,
    )
    p = proposals.decide(session, actor, proposal_id, decision, at=clock.now())
    return views.proposal_out(session, actor, p, clock.now())


@router.post("/proposals/{proposal_id}/appeal", response_model=views.ProposalOut, responses=ACT)
def appeal_decision(
    proposal_id: str, body: ReasonBody, actor: ActorDep, session: SessionDep, clock: ClockDep
) -> views.ProposalOut:
    p = proposals.appeal(session, actor, proposal_id, reason=body.reason, at=clock.now())
    return views.proposal_out(session, actor, p, clock.now())


@router.post("/proposals/{proposal_id}/appeal/decide", response_model=views.ProposalOut, responses=ACT)
def decide_appeal(
    proposal_id: str, body: AppealDecisionBody, actor: ActorDep, session: SessionDep, clock: ClockDep
) -> views.ProposalOut:
    p = proposals.decide_appeal(
        session, actor, proposal_id, grant=body.outcome == "granted", reason=body.reason, at=clock.now()
    )
    return views.proposal_out(session, actor, p, clock.now())


# ---- records --------------------------------------------------------------------------------------


@router.get("/adjusters/{adjuster_id}/record", response_model=views.RecordOut, responses=NF)
def adjuster_record(adjuster_id: str, actor: ActorDep, session: SessionDep, clock: ClockDep) -> views.RecordOut:
    """An adjuster's whole record: its notices with their answers and decisions, and the blacklist
    decisions; the broker also sees how many upheld notices count against its tolerance now."""
    return views.adjuster_record(session, actor, adjuster_id, clock.now())


@router.get("/firms/{firm_id}/record", response_model=views.RecordOut, responses=NF)
def firm_record(firm_id: str, actor: ActorDep, session: SessionDep, clock: ClockDep) -> views.RecordOut:
    return views.firm_record(session, actor, firm_id, clock.now())


# ---- declared interests (回避) --------------------------------------------------------------------


class InterestCreate(Strict):
    organisation_id: uuid.UUID
    kind: Literal["employment", "shareholding", "relative"]
    detail: Text
    ended_on: Date | None = None


class InterestOut(Strict):
    id: uuid.UUID
    organisation: views.Person
    kind: str
    detail: str
    ended_on: Date | None = None
    declared_at: dt.datetime
    in_force: bool


def _interest_out(d: Any, today: dt.date) -> InterestOut:
    return InterestOut(
        id=d.id,
        organisation=views.Person(id=d.organisation.id, name=d.organisation.name),
        kind=d.kind,
        detail=d.detail,
        ended_on=d.ended_on,
        declared_at=d.declared_at,
        in_force=interests.in_force(d, today),
    )


@router.get("/adjusters/{adjuster_id}/interests", response_model=list[InterestOut], responses=NF)
def list_interests(adjuster_id: str, actor: ActorDep, session: SessionDep, clock: ClockDep) -> list[InterestOut]:
    """An adjuster's declared interests, with whether each keeps it from the organisation's cases today."""
    today = today_local(clock)
    return [_interest_out(d, today) for d in interests.declarations(session, actor, adjuster_id)]


@router.post("/adjusters/{adjuster_id}/interests", response_model=InterestOut, status_code=201, responses=ACT)
def declare_interest(
    adjuster_id: str, body: InterestCreate, actor: ActorDep, session: SessionDep, clock: ClockDep
) -> InterestOut:
    """The adjuster (or its firm's administrator) declares an interest in an insurer or insured: routing
    then excludes it from that organisation's cases with ``conflict_of_interest``."""
    new = interests.NewDeclaration(body.organisation_id, body.kind, body.detail, body.ended_on)
    d = interests.declare(session, actor, adjuster_id, new, at=clock.now())
    return _interest_out(d, today_local(clock))


# ---- recusal requests (回避申请) -------------------------------------------------------------------


class RecusalCreate(Strict):
    case_id: uuid.UUID
    adjuster_id: uuid.UUID
    reason: Text


class RecusalDecision(Strict):
    outcome: Literal["granted", "refused"]
    reason: Text


class RecusalOut(Strict):
    id: uuid.UUID
    case_id: uuid.UUID
    adjuster: views.Person
    reason: str
    requested_at: dt.datetime
    state: str
    decided_at: dt.datetime | None = None
    decision_reason: str | None = None


def _recusal_out(r: Any) -> RecusalOut:
    return RecusalOut(
        id=r.id,
        case_id=r.case_id,
        adjuster=views.Person(id=r.adjuster.id, name=r.adjuster.name),
        reason=r.reason,
        requested_at=r.requested_at,
        state=r.state,
        decided_at=r.decided_at,
        decision_reason=r.decision_reason,
    )


@router.get("/recusals", response_model=list[RecusalOut], responses=NF)
def list_recusals(case_id: uuid.UUID, actor: ActorDep, session: SessionDep) -> list[RecusalOut]:
    """The recusal requests on a case, for the parties on it."""
    return [_recusal_out(r) for r in recusal.for_case(session, actor, case_id)]


@router.post("/recusals", response_model=RecusalOut, status_code=201, responses=ACT)
def request_recusal(body: RecusalCreate, actor: ActorDep, session: SessionDep, clock: ClockDep) -> RecusalOut:
    """Any party on the case asks, with reasons, that an adjuster on it step aside; the broker decides."""
    return _recusal_out(recusal.request(session, actor, body.case_id, body.adjuster_id, body.reason, at=clock.now()))


@router.post("/recusals/{recusal_id}/decide", response_model=RecusalOut, responses=ACT)
def decide_recusal(
    recusal_id: str, body: RecusalDecision, actor: ActorDep, session: SessionDep, clock: ClockDep
) -> RecusalOut:
    r = recusal.decide(session, actor, recusal_id, grant=body.outcome == "granted", reason=body.reason, at=clock.now())
    return _recusal_out(r)
