"""Placements API, two pre-assessments and one answer (R-U8): the consultation over the risk points of the
broker's adjuster's and the insurer's adjuster's 《预评估报告》 (opening, alignment, rounds, umpire), the
MoU and its acknowledgements, the MoU taken into the risk register, and the premium the insurer rates on
it. The same engine as a claim's consultation (``tandem.reconciliation.consultation``); another insurer
approached with the placement gets 404 for all of it."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.deps import ActorDep, ClockDep, SessionDep, SettingsDep
from tandem.kit.limits import REASON_MAX
from tandem.placement import consult
from tandem.placement.risk_endpoints import PricesOut, prices_out
from tandem.placement.selection_endpoints import MOVES, NF
from tandem.reconciliation import consultation as engine
from tandem.reconciliation.documents import mou_response
from tandem.reconciliation.models import Consultation, ConsultationMove
from tandem.report.models import Report
from tandem.schemas import ConfirmIn, Strict

router = APIRouter(prefix="/api/v1/placements", tags=["placements"])
CONSULT = "/{placement_id}/consultation"
Coefficient = Annotated[Decimal, Field(ge=1, le=10, max_digits=6, decimal_places=4)]


class OpenIn(Strict):
    appointment_id: uuid.UUID | None = Field(None, description="the insurer's appointment (the broker names it)")


class AlignmentIn(Strict):
    pairs: Annotated[list[tuple[str, str]], Field(max_length=500)]


class RiskMoveIn(Strict):
    kind: Literal["accept", "propose", "hold"]
    level: Literal["低", "中", "高", "重大"] | None = None
    coefficient: Coefficient | None = None
    reason: Annotated[str, Field(max_length=REASON_MAX)] | None = None
    evidence_sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")] | None = None


class UmpireIn(Strict):
    kind: Literal["expert", "adjuster"]
    umpire_id: uuid.UUID


class RiskDecisionIn(Strict):
    level: Literal["低", "中", "高", "重大"]
    coefficient: Coefficient
    reason: Annotated[str, Field(min_length=1, max_length=REASON_MAX)]


class RiskConsultationOut(BaseModel):
    state: str
    round: int
    max_rounds: int
    round_deadline: str | None
    my_side: str | None
    report_a: dict[str, str]
    report_b: dict[str, str]
    items: list[dict[str, Any]]
    umpire: dict[str, Any] | None
    memorandum: dict[str, Any] | None


def _item(i: Any, moves: list[dict[str, Any]]) -> dict[str, Any]:
    keys = ("a_ref", "b_ref", "description", "a_level", "b_level", "a_coefficient", "b_coefficient", "state", "how")
    return {
        "id": str(i.id),
        **{k: getattr(i, k) for k in keys},
        "level": i.agreed_level,
        "coefficient": i.agreed_coefficient,
        "fields_differ": i.fields_differ,
        "moves": moves,
    }


def view(session: Session, actor: Any, cons: Consultation) -> RiskConsultationOut:
    ra, rb = session.get(Report, cons.report_a_id), session.get(Report, cons.report_b_id)
    assert ra is not None and rb is not None
    rows = engine.items(session, cons)
    by_item: dict[uuid.UUID, list[dict[str, Any]]] = {}
    stmt = select(ConsultationMove).where(ConsultationMove.item_id.in_([i.id for i in rows]))
    for m in session.execute(stmt.order_by(ConsultationMove.at)).scalars():
        by_item.setdefault(m.item_id, []).append(
            {"round": m.round, "side": m.side, "kind": m.kind, "level": m.level, "coefficient": m.coefficient,
             "reason": m.reason, "at": m.at.isoformat()}
        )  # fmt: skip
    memo = engine.memorandum(session, cons)
    side = "a" if actor.org_id == cons.firm_a_id else "b" if actor.org_id == cons.firm_b_id else None
    return RiskConsultationOut(
        state=cons.state,
        round=cons.round,
        max_rounds=cons.max_rounds,
        round_deadline=cons.round_deadline.isoformat() if cons.round_deadline else None,
        my_side=side,
        report_a={"number": ra.display_number, "sha256": ra.content_hash},
        report_b={"number": rb.display_number, "sha256": rb.content_hash},
        items=[_item(i, by_item.get(i.id, [])) for i in rows],
        umpire=None
        if cons.umpire_id is None
        else {"kind": cons.umpire_kind, "name": cons.umpire_name, "accepted": cons.umpire_accepted},
        memorandum=None
        if memo is None
        else {
            "number": memo.number,
            "content_hash": memo.content_hash,
            "content": memo.content,
            "acknowledged_by": [a.party for a in engine.acks(session, memo)],
            "final": {a.party for a in engine.acks(session, memo)} == set(engine.acknowledgers(cons)),
        },
    )


def _view(session: Session, actor: Any, placement_id: str) -> RiskConsultationOut:
    session.flush()
    _, cons = consult.consultation_of(session, actor, placement_id)
    session.refresh(cons)
    return view(session, actor, cons)


@router.get(CONSULT, response_model=RiskConsultationOut, responses=NF)
def read(placement_id: str, actor: ActorDep, session: SessionDep) -> RiskConsultationOut:
    return _view(session, actor, placement_id)


@router.post(CONSULT, response_model=RiskConsultationOut, status_code=201, responses=MOVES)
def open_consultation(
    placement_id: str,
    actor: ActorDep,
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
    body: OpenIn | None = None,
) -> RiskConsultationOut:
    """The insurer opens it on its own adjuster's report (or the broker, naming the insurer's appointment),
    once both pre-assessments are in (409 before)."""
    consult.open_consultation(
        session,
        actor,
        placement_id,
        now=clock.now(),
        round_working_days=settings.round_working_days,
        appointment_id=body.appointment_id if body else None,
    )
    return _view(session, actor, placement_id)


@router.put(f"{CONSULT}/alignment", response_model=RiskConsultationOut, responses=MOVES)
def realign(
    placement_id: str, body: AlignmentIn, actor: ActorDep, session: SessionDep, clock: ClockDep
) -> RiskConsultationOut:
    """Either adjuster corrects the proposed pairs of risk points before the rounds start."""
    consult.consultation_of(session, actor, placement_id)
    engine.realign(session, actor, placement_id, [(a, b) for a, b in body.pairs], now=clock.now())
    return _view(session, actor, placement_id)


@router.post(f"{CONSULT}/start", response_model=RiskConsultationOut, responses=MOVES)
def start(placement_id: str, actor: ActorDep, session: SessionDep, clock: ClockDep) -> RiskConsultationOut:
    consult.consultation_of(session, actor, placement_id)
    engine.start_rounds(session, actor, placement_id, now=clock.now())
    return _view(session, actor, placement_id)


@router.post(f"{CONSULT}/end-round", response_model=RiskConsultationOut, responses=MOVES)
def end_round(
    placement_id: str, actor: ActorDep, session: SessionDep, clock: ClockDep, body: ConfirmIn | None = None
) -> RiskConsultationOut:
    """The broker ends the current round: the body must say ``{"confirm": true}``."""
    consult.consultation_of(session, actor, placement_id)
    engine.end_round(session, actor, placement_id, now=clock.now(), confirm=body is not None and body.confirm)
    return _view(session, actor, placement_id)


@router.post(f"{CONSULT}/items/{{item_id}}/moves", response_model=RiskConsultationOut, responses=MOVES)
def item_move(
    placement_id: str, item_id: str, body: RiskMoveIn, actor: ActorDep, session: SessionDep, clock: ClockDep
) -> RiskConsultationOut:
    """Per risk point: accept the other side's level and coefficient, propose one's own (with a reason) or hold."""
    consult.consultation_of(session, actor, placement_id)
    engine.item_move(
        session,
        actor,
        placement_id,
        item_id,
        kind=body.kind,
        now=clock.now(),
        reason=body.reason,
        evidence_sha256=body.evidence_sha256,
        level=body.level,
        coefficient=body.coefficient,
    )
    return _view(session, actor, placement_id)


@router.post(f"{CONSULT}/umpire", response_model=RiskConsultationOut, responses=MOVES)
def propose_umpire(
    placement_id: str, body: UmpireIn, actor: ActorDep, session: SessionDep, clock: ClockDep
) -> RiskConsultationOut:
    """One adjuster proposes an umpire (expert or third adjuster) for what stays open after the last round."""
    consult.consultation_of(session, actor, placement_id)
    engine.propose_umpire(session, actor, placement_id, kind=body.kind, umpire_id=body.umpire_id, now=clock.now())
    return _view(session, actor, placement_id)


@router.post(f"{CONSULT}/umpire/accept", response_model=RiskConsultationOut, responses=MOVES)
def accept_umpire(placement_id: str, actor: ActorDep, session: SessionDep, clock: ClockDep) -> RiskConsultationOut:
    consult.consultation_of(session, actor, placement_id)
    engine.accept_umpire(session, actor, placement_id, now=clock.now())
    return _view(session, actor, placement_id)


@router.post(f"{CONSULT}/items/{{item_id}}/umpire-decision", response_model=RiskConsultationOut, responses=MOVES)
def umpire_decision(
    placement_id: str, item_id: str, body: RiskDecisionIn, actor: ActorDep, session: SessionDep, clock: ClockDep
) -> RiskConsultationOut:
    """The accepted umpire's final level and coefficient, entered by the broker's risk evaluators."""
    consult.consultation_of(session, actor, placement_id)
    engine.umpire_decision(
        session,
        actor,
        placement_id,
        item_id,
        reason=body.reason,
        now=clock.now(),
        level=body.level,
        coefficient=body.coefficient,
    )
    return _view(session, actor, placement_id)


@router.post(f"{CONSULT}/memorandum/ack", response_model=RiskConsultationOut, responses=MOVES)
def acknowledge(placement_id: str, actor: ActorDep, session: SessionDep, clock: ClockDep) -> RiskConsultationOut:
    """Both adjusters, the broker's risk evaluators, the insurer and the insured acknowledge the MoU."""
    consult.consultation_of(session, actor, placement_id)
    engine.acknowledge(session, actor, placement_id, now=clock.now())
    return _view(session, actor, placement_id)


@router.get(f"{CONSULT}/memorandum.pdf", responses=NF, response_class=Response)
def memorandum_pdf(
    placement_id: str, actor: ActorDep, session: SessionDep, lang: Annotated[Literal["zh_CN", "en"], Query()] = "zh_CN"
) -> Response:
    """The MoU as a PDF: Chinese by default, English with ``?lang=en``."""
    _, cons = consult.consultation_of(session, actor, placement_id)
    return mou_response(session, cons, lang)


@router.post("/{placement_id}/risk-register/memorandum", status_code=204, response_class=Response, responses=MOVES)
def merge_memorandum(placement_id: str, actor: ActorDep, session: SessionDep, clock: ClockDep) -> Response:
    """A risk evaluator takes the acknowledged MoU's settled risk points into the register (409 before)."""
    consult.merge_memorandum(session, actor, placement_id, now=clock.now())
    return Response(status_code=204)


@router.get(f"{CONSULT}/premium", response_model=PricesOut, responses=MOVES)
def premium(placement_id: str, actor: ActorDep, session: SessionDep) -> PricesOut:
    """The premium the consultation's insurer rates on the acknowledged MoU: its own published products,
    the MoU's settled loadings and the insured's decisions, through the premium engine."""
    cons, prices = consult.premium(session, actor, placement_id)
    placement, _ = consult.consultation_of(session, actor, placement_id)
    return prices_out(prices, detail=actor.org_id in (cons.insurer_id, placement.broker_id))
