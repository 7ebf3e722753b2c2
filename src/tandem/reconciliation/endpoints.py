"""Dispute API: the insurer's own adjuster, the consultation side by side, the MoU."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.access.actor import Actor
from tandem.claim import workflow
from tandem.claim.models import Claim
from tandem.deps import ActorDep, ClockDep, SessionDep, SettingsDep
from tandem.kit.errors import Conflict
from tandem.kit.limits import REASON_MAX
from tandem.kit.money import round_cny
from tandem.reconciliation import consultation as svc
from tandem.reconciliation.documents import mou_response
from tandem.reconciliation.models import Consultation, ConsultationMove
from tandem.schemas import ConfirmIn, MoneyIn, Strict
from tandem.settlement import calculator

router = APIRouter(prefix="/api/v1/claims", tags=["consultation"])
ERR: dict[int | str, dict[str, Any]] = {
    403: {"description": "Not allowed"},
    404: {"description": "Not found"},
    409: {"description": "Conflict"},
}


class AdjusterIn(Strict):
    adjuster_id: uuid.UUID


class ReasonIn(Strict):
    reason: Annotated[str, Field(min_length=1, max_length=REASON_MAX)]


class AlignmentIn(Strict):
    pairs: Annotated[list[tuple[str, str]], Field(max_length=500)]


class MoveIn(Strict):
    kind: Literal["accept", "propose", "hold"]
    amount: MoneyIn | None = None
    reason: Annotated[str, Field(max_length=5000)] | None = None
    evidence_sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")] | None = None


class UmpireIn(Strict):
    kind: Literal["expert", "adjuster"]
    umpire_id: uuid.UUID


class DecisionIn(Strict):
    amount: MoneyIn
    reason: Annotated[str, Field(min_length=1, max_length=5000)]


class ConsultationView(BaseModel):
    state: str
    round: int
    max_rounds: int
    round_working_days: int
    round_deadline: str | None
    my_side: str | None
    report_a: dict[str, Any]
    report_b: dict[str, Any]
    items: list[dict[str, Any]]
    totals: dict[str, str]
    payable: dict[str, str | None]
    umpire: dict[str, Any] | None
    notes: list[dict[str, Any]]
    memorandum: dict[str, Any] | None


def _payable(session: Session, claim: Claim, cons: Consultation, pick: str) -> str | None:
    """The total payable the items imply if settled at one side's current figures (through the engine)."""
    rows = svc.items(session, cons)
    salvage = svc.item_salvage(session, cons)
    sections: dict[str, list[dict[str, Any]]] = {}
    for i in rows:
        value = round_cny(
            (i.agreed_loss if i.state == "agreed" else (i.a_position if pick == "a" else i.b_position)) or Decimal(0)
        )
        sections.setdefault(i.section, []).append(
            {
                "ref": str(i.id)[:8],
                "description": i.description,
                "loss": str(value),
                "salvage": str(min(salvage[i.id], value)),
            }
        )
    content = {"sections": [{"code": c, "items": its} for c, its in sections.items()]}
    try:
        doc = workflow.build_calc_input(session, claim, content)
        inp = calculator.parse_input(doc)
    except (Conflict, calculator.CalcInputError):
        # The figures do not make a calculation (a section the policy lacks, a figure out of range):
        # no payable to show. Anything else is a bug and surfaces.
        return None
    return str(calculator.result_to_json(calculator.compute(inp))["total_payable"])


def umpire_out(session: Session, claim: Claim, cons: Consultation) -> dict[str, Any]:
    """The proposed umpire with its affiliation and whether it stands outside every party of the case."""
    from tandem.party.models import Adjuster, Expert
    from tandem.reconciliation import umpire

    out: dict[str, Any] = {"kind": cons.umpire_kind, "name": cons.umpire_name, "accepted": cons.umpire_accepted}
    if cons.umpire_kind == "expert":
        expert = session.get(Expert, cons.umpire_id)
        found = umpire.expert_standing(session, claim, cons, expert) if expert else None
    else:
        adj = session.get(Adjuster, cons.umpire_id)
        found = umpire.adjuster_standing(session, claim, adj, cons.created_at) if adj else None
    if found is not None:
        out.update(affiliation=found.affiliation, neutral=found.neutral)
    return out


class CandidateOut(BaseModel):
    kind: str
    id: uuid.UUID
    name: str
    affiliation: str
    neutral: bool


class CandidatePage(BaseModel):
    items: list[CandidateOut]


class AwardIn(Strict):
    amount: MoneyIn


def view(session: Session, actor: Actor, claim: Claim, cons: Consultation) -> ConsultationView:
    from tandem.report.models import Report

    ra, rb = session.get(Report, cons.report_a_id), session.get(Report, cons.report_b_id)
    assert ra is not None and rb is not None
    rows = svc.items(session, cons)
    moves = session.execute(
        select(ConsultationMove).where(ConsultationMove.item_id.in_([i.id for i in rows])).order_by(ConsultationMove.at)
    ).scalars()
    by_item: dict[uuid.UUID, list[dict[str, Any]]] = {}
    for m in moves:
        by_item.setdefault(m.item_id, []).append(
            {
                "round": m.round,
                "side": m.side,
                "kind": m.kind,
                "reason": m.reason,
                "at": m.at.isoformat(),
                "amount": f"{m.amount:.2f}" if m.amount is not None else None,
                "evidence_sha256": m.evidence_sha256,
            }
        )
    side = "a" if actor.org_id == cons.firm_a_id else "b" if actor.org_id == cons.firm_b_id else None

    def money(v: Decimal | None) -> str | None:
        return f"{v:.2f}" if v is not None else None

    memo = svc.memorandum(session, cons)
    total_a = sum((i.a_loss or Decimal(0) for i in rows), Decimal(0))
    total_b = sum((i.b_loss or Decimal(0) for i in rows), Decimal(0))
    agreed = sum((i.agreed_loss or Decimal(0) for i in rows if i.state == "agreed"), Decimal(0))
    return ConsultationView(
        state=cons.state,
        round=cons.round,
        max_rounds=cons.max_rounds,
        round_working_days=cons.round_working_days,
        round_deadline=cons.round_deadline.isoformat() if cons.round_deadline else None,
        my_side=side,
        report_a={"number": ra.display_number, "sha256": ra.content_hash, "total": money(ra.total_loss)},
        report_b={"number": rb.display_number, "sha256": rb.content_hash, "total": money(rb.total_loss)},
        items=[
            {
                "id": str(i.id),
                "section": i.section,
                "a_ref": i.a_ref,
                "b_ref": i.b_ref,
                "description": i.description,
                "a_loss": money(i.a_loss),
                "b_loss": money(i.b_loss),
                "a_position": money(i.a_position),
                "b_position": money(i.b_position),
                "state": i.state,
                "agreed_loss": money(i.agreed_loss),
                "how": i.how,
                "confidence": i.confidence,
                "fields_differ": i.fields_differ,
                "moves": by_item.get(i.id, []),
            }
            for i in rows
        ],
        totals={
            "a": f"{total_a:.2f}",
            "b": f"{total_b:.2f}",
            "agreed": f"{agreed:.2f}",
            "open_items": str(sum(1 for i in rows if i.state == "open")),
        },
        payable={"at_a": _payable(session, claim, cons, "a"), "at_b": _payable(session, claim, cons, "b")},
        umpire=None if cons.umpire_id is None else umpire_out(session, claim, cons),
        notes=cons.notes,
        memorandum=None
        if memo is None
        else {
            "number": memo.number,
            "content_hash": memo.content_hash,
            "content": memo.content,
            "acknowledged_by": [a.party for a in svc.acks(session, memo)],
            "final": svc.acknowledged_memorandum(session, claim) is not None,
        },
    )


def _view(session: Session, actor: Actor, claim_id: str) -> ConsultationView:
    session.flush()
    claim, cons = svc.get_consultation(session, actor, claim_id)
    session.refresh(cons)
    return view(session, actor, claim, cons)


@router.post("/{claim_id}/insurer-adjuster", responses=ERR, status_code=201)
def appoint_insurer_adjuster(
    claim_id: str, body: AdjusterIn, actor: ActorDep, session: SessionDep, clock: ClockDep
) -> dict[str, str]:
    """The insurer appoints its own adjuster for a disputed report (at its own cost)."""
    letter = workflow.appoint_insurer_adjuster(session, actor, claim_id, body.adjuster_id, now=clock.now())
    return {"letter_no": letter.letter_no, "state": letter.state}


@router.post("/{claim_id}/insurer-adjuster/refuse", responses=ERR)
def refuse_insurer_adjuster(
    claim_id: str, body: ReasonIn, actor: ActorDep, session: SessionDep, clock: ClockDep
) -> dict[str, str]:
    workflow.require_other_insurer_adjuster(session, actor, claim_id, now=clock.now(), reason=body.reason)
    return {"state": "refused_by_broker"}


@router.get("/{claim_id}/consultation", response_model=ConsultationView, responses=ERR)
def get_consultation(claim_id: str, actor: ActorDep, session: SessionDep) -> ConsultationView:
    return _view(session, actor, claim_id)


@router.post("/{claim_id}/consultation", response_model=ConsultationView, status_code=201, responses=ERR)
def open_consultation(
    claim_id: str, actor: ActorDep, session: SessionDep, clock: ClockDep, settings: SettingsDep
) -> ConsultationView:
    """Each round lasts ``round_working_days`` working days (China's calendar with 调休); ``round_deadline``
    is the end (23:59:59.999999 Asia/Shanghai, given in UTC) of the last of them."""
    svc.open_consultation(session, actor, claim_id, now=clock.now(), round_working_days=settings.round_working_days)
    return _view(session, actor, claim_id)


@router.put("/{claim_id}/consultation/alignment", response_model=ConsultationView, responses=ERR)
def realign(
    claim_id: str, body: AlignmentIn, actor: ActorDep, session: SessionDep, clock: ClockDep
) -> ConsultationView:
    svc.realign(session, actor, claim_id, [(a, b) for a, b in body.pairs], now=clock.now())
    return _view(session, actor, claim_id)


@router.post("/{claim_id}/consultation/start", response_model=ConsultationView, responses=ERR)
def start(claim_id: str, actor: ActorDep, session: SessionDep, clock: ClockDep) -> ConsultationView:
    svc.start_rounds(session, actor, claim_id, now=clock.now())
    return _view(session, actor, claim_id)


@router.post("/{claim_id}/consultation/end-round", response_model=ConsultationView, responses=ERR)
def end_round(
    claim_id: str, actor: ActorDep, session: SessionDep, clock: ClockDep, body: ConfirmIn | None = None
) -> ConsultationView:
    """End the current round: the body must say ``{"confirm": true}`` (422 naming ``confirm`` otherwise)."""
    svc.end_round(session, actor, claim_id, now=clock.now(), confirm=body is not None and body.confirm)
    return _view(session, actor, claim_id)


@router.post("/{claim_id}/consultation/items/{item_id}/moves", response_model=ConsultationView, responses=ERR)
def item_move(
    claim_id: str, item_id: str, body: MoveIn, actor: ActorDep, session: SessionDep, clock: ClockDep
) -> ConsultationView:
    svc.item_move(
        session,
        actor,
        claim_id,
        item_id,
        kind=body.kind,
        now=clock.now(),
        amount=body.amount,
        reason=body.reason,
        evidence_sha256=body.evidence_sha256,
    )
    return _view(session, actor, claim_id)


@router.post("/{claim_id}/consultation/umpire", response_model=ConsultationView, responses=ERR)
def propose_umpire(
    claim_id: str, body: UmpireIn, actor: ActorDep, session: SessionDep, clock: ClockDep
) -> ConsultationView:
    svc.propose_umpire(session, actor, claim_id, kind=body.kind, umpire_id=body.umpire_id, now=clock.now())
    return _view(session, actor, claim_id)


@router.get("/{claim_id}/consultation/umpire-candidates", response_model=CandidatePage, responses=ERR)
def umpire_candidates(claim_id: str, actor: ActorDep, session: SessionDep, clock: ClockDep) -> CandidatePage:
    """Experts and third adjusters the caller may propose as umpire: outsiders first, affiliations shown,
    conflicted ones left out."""
    from tandem.reconciliation import umpire

    claim, cons = svc.get_consultation(session, actor, claim_id)
    workflow.adjuster_side(session, actor, claim)
    found = umpire.candidates(session, actor, claim, cons, clock.now())
    return CandidatePage(
        items=[
            CandidateOut(kind=c.kind, id=c.id, name=c.name, affiliation=c.affiliation, neutral=c.neutral) for c in found
        ]
    )


@router.post(
    "/{claim_id}/consultation/items/{item_id}/award-acceptance", response_model=ConsultationView, responses=ERR
)
def accept_award(
    claim_id: str, item_id: str, body: AwardIn, actor: ActorDep, session: SessionDep, clock: ClockDep
) -> ConsultationView:
    """One side accepts explicitly an award outside the range of the two positions."""
    svc.accept_award(session, actor, claim_id, item_id, amount=body.amount, now=clock.now())
    return _view(session, actor, claim_id)


@router.post("/{claim_id}/consultation/umpire/accept", response_model=ConsultationView, responses=ERR)
def accept_umpire(claim_id: str, actor: ActorDep, session: SessionDep, clock: ClockDep) -> ConsultationView:
    svc.accept_umpire(session, actor, claim_id, now=clock.now())
    return _view(session, actor, claim_id)


@router.post("/{claim_id}/consultation/items/{item_id}/umpire-decision", response_model=ConsultationView, responses=ERR)
def umpire_decision(
    claim_id: str, item_id: str, body: DecisionIn, actor: ActorDep, session: SessionDep, clock: ClockDep
) -> ConsultationView:
    svc.umpire_decision(session, actor, claim_id, item_id, amount=body.amount, reason=body.reason, now=clock.now())
    return _view(session, actor, claim_id)


@router.post("/{claim_id}/consultation/memorandum/ack", response_model=ConsultationView, responses=ERR)
def acknowledge(claim_id: str, actor: ActorDep, session: SessionDep, clock: ClockDep) -> ConsultationView:
    svc.acknowledge(session, actor, claim_id, now=clock.now())
    return _view(session, actor, claim_id)


@router.get("/{claim_id}/consultation/memorandum.pdf", responses=ERR, response_class=Response)
def memorandum_pdf(
    claim_id: str, actor: ActorDep, session: SessionDep, lang: Annotated[Literal["zh_CN", "en"], Query()] = "zh_CN"
) -> Response:
    """The MoU as a PDF: Chinese by default, English with ``?lang=en``."""
    _, cons = svc.get_consultation(session, actor, claim_id)
    return mou_response(session, cons, lang)
