"""Staged risk evaluation API (阶段性风险评价, R-U9) on a bound policy.

``/api/v1/policies/{id}/staged-risk`` GET: the plan, the re-surveys, the register over time (open points by
level per stage) and the insured's tasks (for the broker, the insured, the re-surveying firm, and the
insurer where the plan says so); 404 for anybody else. ``/plan`` POST (the broker proposes or changes the
interval), ``/plan/agree`` POST (the insured), ``/draft`` PUT and ``/reports`` POST (the broker's adjuster
firm while a re-survey is open: two adjusters sign).
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, Field

from tandem.access.models import Organisation
from tandem.claim import documents
from tandem.claim.models import Appointment
from tandem.deps import ActorDep, ClockDep, SessionDep
from tandem.fees.terms import FeeTermsIn, engagement_for, terms_from_api
from tandem.inforce import staged, termination, tracking
from tandem.inforce.models import StagedTask
from tandem.kit.limits import REASON_MAX
from tandem.party.models import Adjuster
from tandem.policy.models import Policy
from tandem.report.models import Report
from tandem.schemas import Ref, Strict

router = APIRouter(prefix="/api/v1/policies", tags=["policies"])
READ: dict[int | str, dict[str, Any]] = {404: {"description": "Not found (or not yours)"}}
WRITE: dict[int | str, dict[str, Any]] = {
    403: {"description": "Not allowed"},
    409: {"description": "Not in this state"},
    422: {"description": "Invalid field (named)"},
    **READ,
}


class PlanIn(Strict):
    interval_months: int = Field(description="a re-survey every so many months from the policy's start (1-12)")
    lead_days: int = Field(14, description="the re-survey opens so many days ahead of its date (1-60)")
    insurer_sees_missed: bool = Field(False, description="the policy says the insurer is told of missed commitments")


class PlanOut(BaseModel):
    status: str = Field(description="proposed | agreed")
    interval_months: int
    lead_days: int
    insurer_sees_missed: bool
    proposed_at: dt.datetime
    agreed_at: dt.datetime | None


class SurveyOut(BaseModel):
    stage: int
    due_date: dt.date
    opens_at: dt.datetime
    status: str = Field(description="scheduled | open | reported")
    opened_at: dt.datetime | None
    report_id: uuid.UUID | None
    reported_at: dt.datetime | None


class StagePointOut(BaseModel):
    ref: str
    title: str
    level: str
    state: str = Field(description="open (at binding) | remedied | not_remedied | worse | new")
    evidence: str


class ReportRef(BaseModel):
    id: uuid.UUID
    number: str
    content_hash: str


class StageOut(BaseModel):
    number: int = Field(description="0: the register at binding; then one per staged report")
    at: dt.datetime
    report: ReportRef | None
    points: list[StagePointOut]
    open_by_level: dict[str, int]


class TaskOut(BaseModel):
    ref: str
    title: str
    level: str
    opened_stage: int
    due_date: dt.date
    status: str = Field(description="open | missed | done")
    missed_at: dt.datetime | None
    closed_at: dt.datetime | None


class StagedOut(BaseModel):
    policy_id: uuid.UUID
    plan: PlanOut | None
    surveys: list[SurveyOut]
    stages: list[StageOut]
    tasks: list[TaskOut] | None = Field(description="null: not shown to this reader")
    missed: list[TaskOut] | None = Field(description="the commitments missed (tasks past their date while open)")
    may: list[str]


class DraftIn(Strict):
    content: dict[str, Any]


class DraftOut(BaseModel):
    content: dict[str, Any]


class SubmitIn(Strict):
    signer_ids: Annotated[list[uuid.UUID], Field(min_length=2, max_length=10)]


def _task(t: StagedTask) -> TaskOut:
    return TaskOut.model_validate(t, from_attributes=True)


def _stage(s: staged.Stage) -> StageOut:
    points = [StagePointOut.model_validate(p, from_attributes=True) for p in s.points]
    return StageOut(
        number=s.number,
        at=s.at,
        report=_ref(s.report) if s.report else None,
        points=points,
        open_by_level=s.open_by_level(),
    )


def _ref(report: Report) -> ReportRef:
    return ReportRef(id=report.id, number=report.display_number, content_hash=report.content_hash)


def staged_out(view: staged.Overview) -> StagedOut:
    tasks = [_task(t) for t in view.tasks] if view.tasks is not None else None
    return StagedOut(
        policy_id=view.policy.id,
        plan=PlanOut.model_validate(view.plan, from_attributes=True) if view.plan else None,
        surveys=[SurveyOut.model_validate(s, from_attributes=True) for s in view.surveys],
        stages=[_stage(s) for s in view.stages],
        tasks=tasks,
        missed=[t for t in tasks if t.missed_at is not None] if tasks is not None else None,
        may=sorted(view.may),
    )


@router.get("/{policy_id}/staged-risk", response_model=StagedOut, responses=READ)
def read(policy_id: str, actor: ActorDep, session: SessionDep) -> StagedOut:
    return staged_out(staged.overview(session, actor, policy_id))


@router.post("/{policy_id}/staged-risk/plan", response_model=StagedOut, responses=WRITE)
def propose(policy_id: str, body: PlanIn, actor: ActorDep, session: SessionDep, clock: ClockDep) -> StagedOut:
    staged.propose(session, actor, policy_id, **body.model_dump(), now=clock.now())
    return staged_out(staged.overview(session, actor, policy_id))


@router.post("/{policy_id}/staged-risk/plan/agree", response_model=StagedOut, responses=WRITE)
def agree(policy_id: str, actor: ActorDep, session: SessionDep, clock: ClockDep) -> StagedOut:
    staged.agree(session, actor, policy_id, now=clock.now())
    return staged_out(staged.overview(session, actor, policy_id))


@router.put("/{policy_id}/staged-risk/draft", response_model=DraftOut, responses=WRITE)
def save_draft(policy_id: str, body: DraftIn, actor: ActorDep, session: SessionDep, clock: ClockDep) -> DraftOut:
    return DraftOut(content=staged.save_draft(session, actor, policy_id, body.content, now=clock.now()))


@router.post("/{policy_id}/staged-risk/reports", response_model=ReportRef, status_code=201, responses=WRITE)
def submit(policy_id: str, body: SubmitIn, actor: ActorDep, session: SessionDep, clock: ClockDep) -> ReportRef:
    return _ref(staged.submit(session, actor, policy_id, signer_ids=body.signer_ids, now=clock.now()))


# ---- the termination assessment (issue 16 item 4, R-U10) ------------------------------------------


class InstructIn(Strict):
    note: Annotated[str, Field(max_length=REASON_MAX)] = ""
    adjuster_id: uuid.UUID | None = Field(
        None, description="the adjuster the letter names; default (first time): the placement's pre-assessment one"
    )


class TerminationLetterOut(BaseModel):
    letter_no: str
    state: str = Field(description="issued | accepted | declined")
    firm: Ref
    adjuster: str
    issued_at: dt.datetime
    answered_at: dt.datetime | None
    decline_reason: str | None
    fee_terms: dict[str, Any] | None = Field(
        None, description="the fee terms fixed on acceptance (docs/fees.md; the broker, the insured and the firm)"
    )


class AssessmentOut(BaseModel):
    status: str = Field(description="instructed | accepted | declined | reported")
    case_id: uuid.UUID = Field(description="the placement's case: the firm invoices it with purpose termination")
    note: str
    instructed_at: dt.datetime
    letter: TerminationLetterOut | None = Field(None, description="the current letter of instruction")
    letters: list[TerminationLetterOut] = Field(default_factory=list, description="every letter, oldest first")
    report: ReportRef | None = None
    content: dict[str, Any] | None = Field(None, description="the signed report: cause, basis, heads, assessed_loss")


class AcceptIn(Strict):
    terms: FeeTermsIn


class DeclineIn(Strict):
    reason: Annotated[str, Field(max_length=REASON_MAX)]


def _letter_out(session: SessionDep, letter: Appointment, fees: bool) -> TerminationLetterOut:
    firm = session.get(Organisation, letter.firm_id)
    adjuster = session.get(Adjuster, letter.adjuster_id)
    assert firm is not None and adjuster is not None
    return TerminationLetterOut(
        letter_no=letter.letter_no, state=letter.state, firm=Ref(id=firm.id, name=firm.name), adjuster=adjuster.name,
        issued_at=letter.issued_at, answered_at=letter.answered_at, decline_reason=letter.decline_reason,
        fee_terms=letter.fee_terms if fees else None,
    )  # fmt: skip


def _assessment(session: SessionDep, actor: ActorDep, policy_id: str) -> AssessmentOut | None:
    policy, _placement = termination.readable_policy(session, actor, policy_id)
    return _assessment_of(session, actor, policy)


def _assessment_of(session: SessionDep, actor: ActorDep, policy: Policy) -> AssessmentOut | None:
    row = termination.of_policy(session, policy)
    if row is None:
        return None
    report = termination.report_of(session, row)
    all_letters = termination.letters_of(session, row)
    parties = (policy.broker_id, policy.insured_id)
    outs = [_letter_out(session, lt, actor.is_admin or actor.org_id in (*parties, lt.firm_id)) for lt in all_letters]
    current = next((o for lt, o in zip(all_letters, outs, strict=True) if lt.id == row.appointment_id), None)
    return AssessmentOut(
        status=row.status, case_id=row.case_id, note=row.note, instructed_at=row.instructed_at, letter=current,
        letters=outs,
        report=_ref(report) if report else None, content=report.content if report else None,
    )  # fmt: skip


@router.get("/{policy_id}/termination-assessment", response_model=AssessmentOut | None, responses=READ)
def read_assessment(policy_id: str, actor: ActorDep, session: SessionDep) -> AssessmentOut | None:
    """The broker's letter of instruction to assess the loss of the insurer's suspension or termination, the
    firm's answer (fee terms, or a decline) and the firm's signed report (null before it is instructed)."""
    return _assessment(session, actor, policy_id)


@router.post("/{policy_id}/termination-assessment", response_model=AssessmentOut, status_code=201, responses=WRITE)
def instruct(policy_id: str, body: InstructIn, actor: ActorDep, session: SessionDep, clock: ClockDep) -> AssessmentOut:
    """The broker issues the letter of instruction (first time, or to another firm after a decline)."""
    row = termination.instruct(session, actor, policy_id, note=body.note, adjuster_id=body.adjuster_id, now=clock.now())
    return _after(session, actor, row.policy_id)


def _after(session: SessionDep, actor: ActorDep, policy_id: uuid.UUID) -> AssessmentOut:
    """The assessment after a write, as the writer may read it (a firm that declined reads it once more)."""
    policy = session.get(Policy, policy_id)
    out = _assessment_of(session, actor, policy) if policy is not None else None
    assert out is not None
    return out


@router.post("/{policy_id}/termination-assessment/letter/accept", response_model=AssessmentOut, responses=WRITE)
def accept_letter(
    policy_id: str, body: AcceptIn, actor: ActorDep, session: SessionDep, clock: ClockDep
) -> AssessmentOut:
    """The instructed firm accepts the letter with its fee terms (payer: the insured or the broker)."""
    terms = terms_from_api(body.terms, engagement_for(termination.KIND, "broker"))
    letter = termination.accept(session, actor, policy_id, terms=terms, now=clock.now())
    return _after(session, actor, termination.policy_of_letter(session, letter))


@router.post("/{policy_id}/termination-assessment/letter/decline", response_model=AssessmentOut, responses=WRITE)
def decline_letter(
    policy_id: str, body: DeclineIn, actor: ActorDep, session: SessionDep, clock: ClockDep
) -> AssessmentOut:
    """The instructed firm declines with a reason (and no longer reads the assessment, unless the placement's
    own firm); the broker instructs another firm. The answer is the assessment as declined."""
    letter = termination.decline(session, actor, policy_id, reason=body.reason, now=clock.now())
    return _after(session, actor, termination.policy_of_letter(session, letter))


@router.put("/{policy_id}/termination-assessment/draft", response_model=DraftOut, responses=WRITE)
def save_termination_draft(
    policy_id: str, body: DraftIn, actor: ActorDep, session: SessionDep, clock: ClockDep
) -> DraftOut:
    """The firm's working copy of the 《保险合同效力中止或终止评估报告》 (cause, basis, heads with evidence)."""
    return DraftOut(content=termination.save_draft(session, actor, policy_id, body.content, now=clock.now()))


@router.post("/{policy_id}/termination-assessment/report", response_model=ReportRef, status_code=201, responses=WRITE)
def submit_termination(
    policy_id: str, body: SubmitIn, actor: ActorDep, session: SessionDep, clock: ClockDep
) -> ReportRef:
    """Two adjusters of the firm sign and submit; the recovery then takes its amount from the report."""
    return _ref(termination.submit(session, actor, policy_id, signer_ids=body.signer_ids, now=clock.now()))


@router.get("/{policy_id}/staged-risk/reports/{report_id}/pdf", responses=READ, response_class=Response)
def report_pdf(policy_id: str, report_id: str, actor: ActorDep, session: SessionDep) -> Response:
    """The staged risk report as filed (Chinese PDF), its content hash in ``X-Content-SHA256``."""
    report = staged.stage_report(session, actor, policy_id, report_id)
    return Response(
        documents.report_pdf(session, report),
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{report.display_number}.pdf"',
            "X-Content-SHA256": report.content_hash,
        },
    )


# ---- tracking the insurer (issue 16 item 2) -------------------------------------------------------

records_router = APIRouter(prefix="/api/v1/insurer-records", tags=["policies"])
BROKER_ONLY: dict[int | str, dict[str, Any]] = {403: {"description": "A party, not the broker"}, **READ}


class TallyOut(BaseModel):
    on_time: int
    late: int
    pending: int = Field(description="cannot be told yet (the clock still runs)")


class RecordOut(BaseModel):
    insurer: Ref
    policies: list[str]
    decided: TallyOut
    paid: TallyOut
    fees_paid: TallyOut
    disputes: int = Field(description="claims the insurer disputed")
    fee_disputes: int = Field(description="adjusters' fee invoices the insurer disputed")
    platform_fee_days: Decimal | None = Field(description="the insurer's median days to pay fees, platform-wide")
    claims: list[tracking.ClaimLine] = Field(
        description="decided_on_time / paid_on_time: 保险法 Art. 23 (30 and 10 days)"
    )
    fees: list[tracking.FeeLine]


def record_out(r: tracking.Record) -> RecordOut:
    def t(x: tracking.Tally) -> TallyOut:
        return TallyOut.model_validate(x, from_attributes=True)

    return RecordOut(
        insurer=Ref(id=r.insurer_id, name=r.insurer_name),
        policies=r.policies,
        decided=t(r.decided),
        paid=t(r.paid),
        fees_paid=t(r.fees_paid),
        disputes=r.disputes,
        fee_disputes=r.fee_disputes,
        platform_fee_days=r.platform_fee_days,
        claims=r.claims,
        fees=r.fees,
    )


@router.get(
    "/{policy_id}/insurer-record", response_model=RecordOut, responses={403: {"description": "Not the broker"}, **READ}
)
def policy_record(policy_id: str, actor: ActorDep, session: SessionDep, clock: ClockDep) -> RecordOut:
    return record_out(tracking.policy_record(session, actor, policy_id, clock.now()))


@records_router.get("", response_model=list[Ref], responses=READ)
def record_insurers(actor: ActorDep, session: SessionDep) -> list[Ref]:
    return [Ref(id=o.id, name=o.name) for o in tracking.insurers(session, actor)]


@records_router.get("/{insurer_id}", response_model=RecordOut, responses=READ)
def insurer_record(insurer_id: str, actor: ActorDep, session: SessionDep, clock: ClockDep) -> RecordOut:
    return record_out(tracking.insurer_record(session, actor, insurer_id, clock.now()))
