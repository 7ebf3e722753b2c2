"""The shared case file and every party's moves on it (JSON API)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from tandem.access import scope
from tandem.access.actor import Actor
from tandem.case import letters
from tandem.case.audience import BROKER, INSURED
from tandem.case.audience import viewer as case_viewer
from tandem.claim import documents, proposal, survey_notes, workflow
from tandem.claim.endpoints import ClaimOut, claim_out
from tandem.claim.models import Claim, Survey
from tandem.claim.service import CLAIM_RULES
from tandem.deps import ActorDep, ClockDep, SessionDep, SettingsDep
from tandem.fees.terms import FeeTermsIn, terms_from_api
from tandem.kit import transition
from tandem.kit.errors import InvalidInput, NotFound
from tandem.kit.limits import REASON_MAX
from tandem.kit.storage import store_for
from tandem.kit.uploads import MAX_UPLOAD, evidence_type
from tandem.report.service import ReportImmutable
from tandem.schemas import ConfirmIn, MoneyIn, Strict, UtcDateTime

router = APIRouter(prefix="/api/v1/claims", tags=["case file"])
NF: dict[int | str, dict[str, Any]] = {404: {"description": "Not found"}}
ERR: dict[int | str, dict[str, Any]] = {403: {"description": "Not allowed"}, 409: {"description": "Conflict"}, **NF}
Text = Annotated[str, Field(min_length=1, max_length=5000)]


class ChooseAdjuster(Strict):
    adjuster_id: uuid.UUID
    reason: Annotated[str, Field(max_length=REASON_MAX)] | None = None


class ProposalIn(Strict):
    adjuster_id: uuid.UUID
    note: Annotated[str, Field(max_length=REASON_MAX)] | None = None


class ProposalAnswer(Strict):
    """The insured's say: agree to the proposed adjuster, pick another (``adjuster_id``, from the claim's
    recommendations) or leave the choice to the broker."""

    answer: Literal["agree", "other", "leave_to_broker"]
    adjuster_id: uuid.UUID | None = None


class AppointmentAnswer(Strict):
    """Accept with the fee terms (docs/fees.md; the payer a claim allows is the insurer), or decline with
    a reason."""

    accept: bool
    terms: FeeTermsIn | None = None
    reason: Annotated[str, Field(max_length=REASON_MAX)] | None = None


class TeamIn(Strict):
    adjuster_id: uuid.UUID


class SurveyIn(Strict):
    scheduled_at: UtcDateTime
    surveyed_at: UtcDateTime | None = None
    participants: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(default_factory=list)
    notes: Annotated[str, Field(max_length=20000)] | None = None
    photo_hashes: list[Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]] = Field(default_factory=list)


class LossItemIn(Strict):
    ref: Annotated[str, Field(min_length=1, max_length=20)]
    description: Annotated[str, Field(min_length=1, max_length=300)]
    category: Annotated[str, Field(max_length=40)] | None = None
    quantity: MoneyIn | None = None
    unit: Annotated[str, Field(max_length=20)] | None = None
    unit_value: MoneyIn | None = None
    depreciation_rate: Annotated[Decimal, Field(ge=0, le=1, allow_inf_nan=False)] | None = None
    salvage: MoneyIn | None = None
    loss: MoneyIn


class SectionIn(Strict):
    code: Annotated[str, Field(min_length=1, max_length=40)]
    name: Annotated[str, Field(max_length=100)] | None = None
    replacement_value: MoneyIn | None = None
    items: Annotated[list[LossItemIn], Field(min_length=1, max_length=500)]


class DraftIn(Strict):
    cause: Annotated[str, Field(max_length=20000)] | None = None
    liability: Annotated[str, Field(max_length=20000)] | None = None
    conclusion: Annotated[str, Field(max_length=20000)] | None = None
    sections: Annotated[list[SectionIn], Field(min_length=1, max_length=20)]


class SubmitIn(Strict):
    signer_ids: Annotated[list[uuid.UUID], Field(min_length=1, max_length=10)]
    correction_of: uuid.UUID | None = None
    reason: Annotated[str, Field(max_length=REASON_MAX)] | None = None


class NegotiationIn(Strict):
    move: Literal["propose", "accept", "counter", "dispute", "refuse", "reconsider", "withdraw"]
    amount: MoneyIn | None = None
    # A zero or implausible offer (workflow.implausible_offer) is sent only with confirm: true (else 422).
    confirm: bool = False
    reason: Annotated[str, Field(max_length=5000)] | None = None


class PaymentIn(Strict):
    kind: Literal["advance", "final"]
    amount: MoneyIn
    reference: Annotated[str, Field(min_length=1, max_length=100)]


class ReasonIn(Strict):
    reason: Annotated[str, Field(min_length=1, max_length=REASON_MAX)]  # the same limit as the withdraw form


class DocumentsRequestIn(Strict):
    items: Annotated[list[Annotated[str, Field(min_length=1, max_length=200)]], Field(min_length=1, max_length=50)]
    due_days: Annotated[int, Field(ge=1, le=90)] = 10


Channel = Literal["all", "broker_adjuster", "broker_insurer", "insurer_adjuster"]


class SurveyNoteIn(Strict):
    """A note (and photos: evidence of the case, by SHA-256) added by the broker's staff who joined a survey."""

    audience: Channel | Literal["internal"] = "all"
    body: Annotated[str, Field(min_length=1, max_length=survey_notes.NOTE_MAX)]
    photo_hashes: list[Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]] = Field(default_factory=list, max_length=50)


class MessageIn(Strict):
    audience: Channel | Literal["internal"]
    body: Text


class SignIn(Strict):
    content_hash: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class CaseFile(BaseModel):
    claim: ClaimOut
    next_actions: list[str]
    team: list[dict[str, Any]]
    appointment: dict[str, Any] | None
    surveys: list[dict[str, Any]]
    draft: dict[str, Any] | None
    reports: list[dict[str, Any]]
    confirmation: dict[str, Any] | None
    negotiation: list[dict[str, Any]]
    payments: list[dict[str, Any]]
    deadlines: list[dict[str, Any]]
    documents: list[dict[str, Any]]
    messages: list[dict[str, Any]]
    timeline: list[dict[str, Any]]
    # The actor's firm's report waiting for signatures (number, content hash, who signed), if any.
    signing: dict[str, Any] | None = None
    # The broker's latest adjuster proposal to the insured and the insured's answer (broker and insured only).
    proposal: dict[str, Any] | None = None


def next_actions(session: Any, actor: Actor, claim: Claim) -> list[str]:
    roles = frozenset(r.value for r in actor.roles)
    return sorted(transition.permitted(CLAIM_RULES, claim.status.value, roles, session, claim, actor))


def _iso(t: dt.datetime | None) -> str | None:
    return t.isoformat() if t else None


def case_file(session: Any, actor: Actor, claim: Claim, now: dt.datetime) -> CaseFile:
    from sqlalchemy import select

    from tandem.report.models import ReportDraft

    kind = actor.org_kind.value
    viewer = case_viewer(session, actor, claim)
    appt = workflow.current_appointment(session, claim)
    fees = appt is not None and viewer.sees_fees(appt.side)
    draft = session.execute(
        select(ReportDraft).where(ReportDraft.claim_id == claim.id, ReportDraft.firm_id == actor.org_id)
    ).scalar_one_or_none()
    conf = workflow.latest_confirmation(session, claim)
    reports = workflow.reports(session, claim)
    superseded = {r.supersedes_id for r in reports if r.supersedes_id}
    docs = workflow.visible_documents(session, actor, claim)
    signing = workflow.open_signing(session, claim, actor.org_id) if kind == "adjuster_firm" else None
    notes = survey_notes.visible_notes(session, actor, claim)
    return CaseFile(
        signing=workflow.signing_view(session, signing) if signing else None,
        proposal=_proposal(session, claim) if viewer.sees([BROKER, INSURED]) else None,
        claim=claim_out(claim),
        next_actions=next_actions(session, actor, claim),
        team=[
            {
                "adjuster_id": str(m.adjuster_id),
                "name": m.adjuster.name,
                "role": m.role.value,
                "certificate_no": m.adjuster.certificate_no,
            }
            for m in workflow.team(session, claim)
        ],
        appointment=None
        if appt is None
        else {
            "letter_no": appt.letter_no,
            "state": appt.state,
            "firm_id": str(appt.firm_id),
            "issued_at": _iso(appt.issued_at),
            "fee_terms": appt.fee_terms if fees else None,
            "fee_basis": appt.fee_basis if fees else None,
            "fee_payment_days": appt.fee_payment_days if fees else None,
            "decline_reason": appt.decline_reason,
            "letter_sha256": appt.letter_sha256,
        },
        surveys=[
            {
                "id": str(s.id),
                "notes_added": [
                    {
                        "by": n.author_name,
                        "audience": n.audience,
                        "body": n.body,
                        "photo_hashes": n.photo_hashes,
                        "at": _iso(n.created_at),
                    }
                    for n in notes.get(s.id, [])
                ],
                "scheduled_at": _iso(s.scheduled_at),
                "surveyed_at": _iso(s.surveyed_at),
                "participants": s.participants,
                "notes": s.notes,
                "photo_hashes": s.photo_hashes,
            }
            for s in session.execute(
                select(Survey).where(Survey.claim_id == claim.id).order_by(Survey.scheduled_at)
            ).scalars()
        ],
        draft=draft.content if draft else None,
        reports=[
            {
                "id": str(r.id),
                "number": r.display_number,
                "version": r.version,
                "firm_id": str(r.firm_id),
                "content_hash": r.content_hash,
                "total_loss": f"{r.total_loss:.2f}",
                "submitted_at": _iso(r.submitted_at),
                "superseded": r.id in superseded,
                "supersedes_id": str(r.supersedes_id) if r.supersedes_id else None,
                "signatures": [str(s.adjuster_id) for s in workflow.signatures(session, r)],
                "content": r.content,
            }
            for r in reports
        ],
        confirmation=None
        if conf is None
        else {
            "basis_kind": conf.basis_kind,
            "basis_id": str(conf.basis_id),
            "result": conf.calc_result,
            "input": conf.calc_input,
            "sources": conf.sources or {},
            "confirmed_at": _iso(conf.confirmed_at),
        },
        negotiation=[
            {
                "move": s.move,
                "amount": f"{s.amount:.2f}" if s.amount is not None else None,
                "reason": s.reason,
                "by_org_id": str(s.by_org_id),
                "at": _iso(s.at),
                "withdrawn": s.withdrawn_at is not None,
            }
            for s in workflow.negotiation(session, claim)
        ]
        if kind != "adjuster_firm"
        else [],
        payments=[
            {"kind": p.kind, "amount": f"{p.amount:.2f}", "paid_at": _iso(p.paid_at), "reference": p.reference}
            for p in workflow.payments(session, claim)
        ],
        deadlines=[
            {
                "kind": d.kind,
                "holder": d.holder,
                "started_at": _iso(d.started_at),
                "due_at": _iso(d.due_at),
                "stopped_at": _iso(d.stopped_at),
                "breached_at": _iso(d.breached_at),
                "held_hours": round(((d.stopped_at or now) - d.started_at).total_seconds() / 3600, 1),
            }
            for d in workflow.deadlines(session, claim)
        ],
        documents=[
            {
                "id": str(d.id),
                "kind": d.kind,
                "filename": d.filename,
                "sha256": d.sha256,
                "size": d.size,
                "created_at": _iso(d.created_at),
            }
            for d in docs
        ],
        messages=[
            {
                "audience": m.audience,
                "body": m.body,
                "author_org_id": str(m.author_org_id),
                "created_at": _iso(m.created_at),
            }
            for m in workflow.visible_messages(session, actor, claim)
        ],
        timeline=[
            {
                "seq": e.seq,
                "action": e.action,
                "at": _iso(e.occurred_at),
                "after": viewer.event_after(e.action, e.after),
                "reason": e.reason,
                "actor_org_id": str(e.actor_org_id) if e.actor_org_id else None,
            }
            for e in workflow.timeline(session, actor, claim)
        ],
    )


def _proposal(session: Any, claim: Claim) -> dict[str, Any] | None:
    prop = proposal.latest_proposal(session, claim)
    if prop is None:
        return None

    def named(adj: Any) -> dict[str, str] | None:
        return {"id": str(adj.id), "name": adj.name, "firm": adj.firm.organisation.name} if adj else None

    return {
        "state": prop.state,
        "adjuster": named(prop.adjuster),
        "note": prop.note,
        "proposed_at": _iso(prop.proposed_at),
        "chosen_adjuster": named(prop.chosen_adjuster),
        "answered_at": _iso(prop.answered_at),
    }


@router.get("/{claim_id}/case", response_model=CaseFile, responses=NF)
def get_case_file(claim_id: str, actor: ActorDep, session: SessionDep, clock: ClockDep) -> CaseFile:
    """The case file every participant opens: timeline, thread, documents, deadlines, next actions."""
    return case_file(session, actor, scope.get_claim(session, actor, claim_id), clock.now())


def _file(session: Any, actor: Actor, claim: Claim, clock: Any) -> CaseFile:
    session.flush()
    session.refresh(claim)
    return case_file(session, actor, claim, clock.now())


@router.post("/{claim_id}/adjuster", response_model=CaseFile, responses=ERR)
def choose_adjuster(
    claim_id: str, body: ChooseAdjuster, actor: ActorDep, session: SessionDep, clock: ClockDep
) -> CaseFile:
    claim = workflow.choose_adjuster(session, actor, claim_id, body.adjuster_id, now=clock.now(), reason=body.reason)
    return _file(session, actor, claim, clock)


@router.post("/{claim_id}/adjuster-proposal", response_model=CaseFile, status_code=201, responses=ERR)
def propose_adjuster(
    claim_id: str, body: ProposalIn, actor: ActorDep, session: SessionDep, clock: ClockDep
) -> CaseFile:
    """The broker proposes an eligible adjuster to the insured (R-C2); the routing clock passes to the insured."""
    proposal.propose_adjuster(session, actor, claim_id, body.adjuster_id, now=clock.now(), reason=body.note)
    return _file(session, actor, scope.get_claim(session, actor, claim_id), clock)


@router.post("/{claim_id}/adjuster-proposal/answer", response_model=CaseFile, responses=ERR)
def answer_proposal(
    claim_id: str, body: ProposalAnswer, actor: ActorDep, session: SessionDep, clock: ClockDep
) -> CaseFile:
    """The insured agrees, picks another eligible adjuster, or leaves the choice to the broker."""
    proposal.answer_proposal(session, actor, claim_id, body.answer, now=clock.now(), adjuster_id=body.adjuster_id)
    return _file(session, actor, scope.get_claim(session, actor, claim_id), clock)


@router.post("/{claim_id}/appointment", response_model=CaseFile, responses=ERR)
def answer_appointment(
    claim_id: str, body: AppointmentAnswer, actor: ActorDep, session: SessionDep, clock: ClockDep
) -> CaseFile:
    terms = None
    if body.accept and body.terms is not None:
        subject = scope.get_claim(session, actor, claim_id)
        side = "broker" if workflow.adjuster_side(session, actor, subject) == "a" else "insurer"
        terms = terms_from_api(body.terms, letters.engagement_of(subject, side))
    claim = workflow.answer_appointment(
        session, actor, claim_id, accept=body.accept, now=clock.now(), terms=terms, reason=body.reason
    )
    return _file(session, actor, claim, clock)


@router.post("/{claim_id}/team", response_model=CaseFile, responses=ERR)
def add_team_member(claim_id: str, body: TeamIn, actor: ActorDep, session: SessionDep, clock: ClockDep) -> CaseFile:
    workflow.add_team_member(session, actor, claim_id, body.adjuster_id, now=clock.now())
    return _file(session, actor, scope.get_claim(session, actor, claim_id), clock)


@router.post("/{claim_id}/surveys", response_model=CaseFile, responses=ERR)
def record_survey(claim_id: str, body: SurveyIn, actor: ActorDep, session: SessionDep, clock: ClockDep) -> CaseFile:
    workflow.record_survey(
        session,
        actor,
        claim_id,
        now=clock.now(),
        scheduled_at=body.scheduled_at,
        surveyed_at=body.surveyed_at,
        participants=body.participants,
        notes=body.notes,
        photo_hashes=body.photo_hashes,
    )
    return _file(session, actor, scope.get_claim(session, actor, claim_id), clock)


@router.post("/{claim_id}/surveys/{survey_id}/notes", response_model=CaseFile, status_code=201, responses=ERR)
def add_survey_note(
    claim_id: str, survey_id: str, body: SurveyNoteIn, actor: ActorDep, session: SessionDep, clock: ClockDep
) -> CaseFile:
    """The broker's staff join the survey and add a note with photos for one audience (R-C3)."""
    survey_notes.add_survey_note(
        session,
        actor,
        claim_id,
        survey_id,
        audience=body.audience,
        body=body.body,
        photo_hashes=body.photo_hashes,
        now=clock.now(),
    )
    return _file(session, actor, scope.get_claim(session, actor, claim_id), clock)


@router.put("/{claim_id}/report-draft", response_model=CaseFile, responses=ERR)
def save_draft(claim_id: str, body: DraftIn, actor: ActorDep, session: SessionDep, clock: ClockDep) -> CaseFile:
    refs = [i.ref for s in body.sections for i in s.items]
    if len(set(refs)) != len(refs):
        raise InvalidInput("Item numbers must be unique.", fields={"sections": "duplicate item ref"})
    workflow.save_draft(session, actor, claim_id, body.model_dump(mode="json", exclude_none=True), now=clock.now())
    return _file(session, actor, scope.get_claim(session, actor, claim_id), clock)


@router.post("/{claim_id}/reports", response_model=CaseFile, status_code=201, responses=ERR)
def submit_report(claim_id: str, body: SubmitIn, actor: ActorDep, session: SessionDep, clock: ClockDep) -> CaseFile:
    workflow.submit_report(
        session,
        actor,
        claim_id,
        signer_ids=body.signer_ids,
        now=clock.now(),
        correction_of=body.correction_of,
        reason=body.reason,
    )
    return _file(session, actor, scope.get_claim(session, actor, claim_id), clock)


def _refuse_change(session: Session, actor: Actor, claim_id: str, report_id: str) -> Response:
    """Submitted reports are immutable: any change answers 409 (submit a correction instead)."""
    claim = scope.get_claim(session, actor, claim_id)
    if not any(str(r.id) == report_id for r in workflow.reports(session, claim)):
        raise NotFound()
    raise ReportImmutable()


@router.post("/{claim_id}/reports/sign", response_model=CaseFile, responses=ERR)
def sign_report(claim_id: str, body: SignIn, actor: ActorDep, session: SessionDep, clock: ClockDep) -> CaseFile:
    """A named co-signer signs the frozen report's content hash in person; two signatures submit it."""
    claim = workflow.sign_report(session, actor, claim_id, content_hash=body.content_hash, now=clock.now())
    return _file(session, actor, claim, clock)


@router.put("/{claim_id}/reports/{report_id}", responses=ERR, response_model=None)
def replace_report(claim_id: str, report_id: str, actor: ActorDep, session: SessionDep) -> Response:
    """Refused: a submitted report is never changed (409)."""
    return _refuse_change(session, actor, claim_id, report_id)


@router.patch("/{claim_id}/reports/{report_id}", responses=ERR, response_model=None)
def patch_report(claim_id: str, report_id: str, actor: ActorDep, session: SessionDep) -> Response:
    """Refused: a submitted report is never changed (409)."""
    return _refuse_change(session, actor, claim_id, report_id)


@router.delete("/{claim_id}/reports/{report_id}", responses=ERR, response_model=None)
def delete_report(claim_id: str, report_id: str, actor: ActorDep, session: SessionDep) -> Response:
    """Refused: a submitted report is never deleted (409)."""
    return _refuse_change(session, actor, claim_id, report_id)


@router.post("/{claim_id}/amount-confirmation", response_model=CaseFile, responses=ERR)
def confirm_amount(claim_id: str, actor: ActorDep, session: SessionDep, clock: ClockDep) -> CaseFile:
    workflow.confirm_amount(session, actor, claim_id, now=clock.now())
    return _file(session, actor, scope.get_claim(session, actor, claim_id), clock)


class AmountPreview(BaseModel):
    basis_kind: str
    basis_number: str
    input: dict[str, Any]
    result: dict[str, Any]
    sources: dict[str, Any]


@router.get("/{claim_id}/amount-confirmation/preview", response_model=AmountPreview, responses=ERR)
def amount_preview(claim_id: str, actor: ActorDep, session: SessionDep, clock: ClockDep) -> AmountPreview:
    """What confirming the amount now would give, every step computed; nothing is stored."""
    _, conf, number = workflow.amount_preview(session, actor, claim_id, now=clock.now())
    return AmountPreview(
        basis_kind=conf.basis_kind,
        basis_number=number,
        input=conf.calc_input,
        result=conf.calc_result,
        sources=conf.sources or {},
    )


@router.post("/{claim_id}/negotiation", response_model=CaseFile, responses=ERR)
def negotiate(claim_id: str, body: NegotiationIn, actor: ActorDep, session: SessionDep, clock: ClockDep) -> CaseFile:
    workflow.negotiate(
        session,
        actor,
        claim_id,
        body.move,
        now=clock.now(),
        amount=body.amount,
        reason=body.reason,
        confirm=body.confirm,
    )
    return _file(session, actor, scope.get_claim(session, actor, claim_id), clock)


@router.post("/{claim_id}/payments", response_model=CaseFile, responses=ERR)
def record_payment(claim_id: str, body: PaymentIn, actor: ActorDep, session: SessionDep, clock: ClockDep) -> CaseFile:
    workflow.record_payment(
        session, actor, claim_id, kind=body.kind, amount=body.amount, reference=body.reference, now=clock.now()
    )
    return _file(session, actor, scope.get_claim(session, actor, claim_id), clock)


@router.post("/{claim_id}/close", response_model=CaseFile, responses=ERR)
def close(
    claim_id: str, actor: ActorDep, session: SessionDep, clock: ClockDep, body: ConfirmIn | None = None
) -> CaseFile:
    """Close the claim: the body must say ``{"confirm": true}`` (422 naming ``confirm`` otherwise)."""
    claim = workflow.close(session, actor, claim_id, now=clock.now(), confirm=body is not None and body.confirm)
    return _file(session, actor, claim, clock)


@router.post("/{claim_id}/withdraw", response_model=CaseFile, responses=ERR)
def withdraw(claim_id: str, body: ReasonIn, actor: ActorDep, session: SessionDep, clock: ClockDep) -> CaseFile:
    claim = workflow.withdraw(session, actor, claim_id, now=clock.now(), reason=body.reason)
    return _file(session, actor, claim, clock)


@router.post("/{claim_id}/documents-request", response_model=CaseFile, status_code=201, responses=ERR)
def request_documents(
    claim_id: str, body: DocumentsRequestIn, actor: ActorDep, session: SessionDep, clock: ClockDep
) -> CaseFile:
    """One consolidated request for every missing document (保险法 Art. 22)."""
    workflow.request_documents(session, actor, claim_id, items=body.items, due_days=body.due_days, now=clock.now())
    return _file(session, actor, scope.get_claim(session, actor, claim_id), clock)


@router.post("/{claim_id}/documents-complete", response_model=CaseFile, responses=ERR)
def documents_complete(claim_id: str, actor: ActorDep, session: SessionDep, clock: ClockDep) -> CaseFile:
    claim = workflow.documents_complete(session, actor, claim_id, now=clock.now())
    return _file(session, actor, claim, clock)


@router.post("/{claim_id}/messages", response_model=CaseFile, status_code=201, responses=ERR)
def post_message(claim_id: str, body: MessageIn, actor: ActorDep, session: SessionDep, clock: ClockDep) -> CaseFile:
    workflow.post_message(session, actor, claim_id, audience=body.audience, body=body.body, now=clock.now())
    return _file(session, actor, scope.get_claim(session, actor, claim_id), clock)


@router.post(
    "/{claim_id}/documents",
    response_model=CaseFile,
    status_code=201,
    responses={**ERR, 413: {"description": "Body over the upload cap"}},
)
def upload_document(
    claim_id: str,
    actor: ActorDep,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    file: Annotated[UploadFile, File()],
    audience: Annotated[Channel, Form()] = "all",
) -> CaseFile:
    """Upload evidence for a channel you belong to: photos, PDF or office documents, recognised by their
    content (the declared type is ignored); stored content-addressed by SHA-256."""
    claim = scope.get_claim(session, actor, claim_id)
    data = file.file.read(MAX_UPLOAD + 1)
    if not data:
        raise InvalidInput("The file is empty.", fields={"file": "empty"})
    if len(data) > MAX_UPLOAD:
        raise InvalidInput("The file is too large.", fields={"file": "at most 20 MB"})
    content_type = evidence_type(data)
    if content_type is None:
        raise InvalidInput("Not an accepted type.", fields={"file": "photos, PDF or office documents only"})
    workflow.upload_evidence(
        session, settings, actor, claim.id, audience, file.filename, content_type, data, now=clock.now()
    )
    return _file(session, actor, claim, clock)


@router.get("/{claim_id}/documents/{document_id}", responses=NF, response_class=Response)
def download_document(
    claim_id: str, document_id: str, actor: ActorDep, session: SessionDep, settings: SettingsDep
) -> Response:
    claim = scope.get_claim(session, actor, claim_id)
    doc = workflow.visible_document(session, actor, claim, document_id)
    if doc is None:
        raise NotFound()
    data = store_for(settings.var_dir).get(doc.sha256)
    return Response(
        data,
        media_type=doc.content_type,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{_quote(doc.filename)}",
            "X-Content-SHA256": doc.sha256,
        },
    )


@router.get("/{claim_id}/reports/{report_id}/pdf", responses=NF, response_class=Response)
def report_pdf(
    claim_id: str,
    report_id: str,
    actor: ActorDep,
    session: SessionDep,
    lang: Annotated[Literal["zh_CN", "en"], Query()] = "zh_CN",
) -> Response:
    """A submitted report as a 《公估报告》 PDF: Chinese (as filed) by default, English with ``?lang=en``."""
    claim = scope.get_claim(session, actor, claim_id)
    report = next((r for r in workflow.reports(session, claim) if str(r.id) == report_id), None)
    if report is None:
        raise NotFound()
    return Response(
        documents.report_pdf(session, report, lang),
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{report.display_number}.pdf"',
            "X-Content-SHA256": report.content_hash,
        },
    )


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name)
