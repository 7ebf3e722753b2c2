"""Claims API: loss notice intake, the claim list and page data, adjuster recommendations."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from pydantic import BaseModel
from sqlalchemy import bindparam, tuple_

from tandem.access import scope
from tandem.case.audience import viewer as case_viewer
from tandem.claim import batch, service
from tandem.claim.models import Channel, Claim, ClaimStatus
from tandem.claim.schemas import NoticeIn
from tandem.deps import ActorDep, ClockDep, SessionDep, SettingsDep
from tandem.kit.pagination import decode_cursor, encode_cursor
from tandem.schemas import MoneyOut, RecommendationsOut, Ref

router = APIRouter(prefix="/api/v1", tags=["claims"])
NF: dict[int | str, dict[str, Any]] = {404: {"description": "Not found"}}


class AdjusterRef(Ref):
    firm: str


class ClaimOut(BaseModel):
    id: uuid.UUID
    number: str
    status: ClaimStatus
    policy_id: uuid.UUID
    policy_number: str
    insured: Ref
    insurer: Ref
    adjuster: AdjusterRef | None = None
    channel: Channel
    loss_at: dt.datetime
    notified_at: dt.datetime
    routing_deadline: dt.datetime
    location: str
    description: str
    estimated_loss: MoneyOut | None = None
    possible_duplicates: list[str] = []


class ClaimPage(BaseModel):
    items: list[ClaimOut]
    next: str | None = None


def claim_out(c: Claim) -> ClaimOut:
    adj = c.adjuster
    return ClaimOut(
        id=c.id,
        number=c.number,
        status=c.status,
        policy_id=c.policy_id,
        policy_number=c.policy.number,
        insured=Ref(id=c.insured_id, name=c.policy.insured.name),
        insurer=Ref(id=c.insurer.id, name=c.insurer.name),
        adjuster=AdjusterRef(id=adj.id, name=adj.name, firm=adj.firm.organisation.name) if adj else None,
        channel=c.channel,
        loss_at=c.loss_at,
        notified_at=c.notified_at,
        routing_deadline=c.routing_deadline,
        location=c.location,
        description=c.description,
        estimated_loss=c.estimated_loss,
        possible_duplicates=c.possible_duplicates or [],
    )


@router.post(
    "/claims",
    response_model=ClaimOut,
    status_code=201,
    responses={
        200: {"model": ClaimOut, "description": "Replay of an earlier request with this key"},
        403: {"description": "Not allowed"},
        **NF,
    },
)
def notify_loss(
    body: NoticeIn,
    response: Response,
    actor: ActorDep,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> ClaimOut:
    """Report a loss (报案). The same Idempotency-Key with the same body returns the same claim."""
    claim, created = service.notify_loss(
        session, settings, actor, body.notice(), now=clock.now(), idempotency_key=idempotency_key
    )
    if not created:
        response.status_code = 200
    return claim_out(claim)


@router.get("/claims", response_model=ClaimPage)
def list_claims(
    actor: ActorDep,
    session: SessionDep,
    status: ClaimStatus | None = None,
    q: Annotated[str | None, Query(max_length=40)] = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> ClaimPage:
    """The caller's work queue, newest first, keyset-paginated."""
    stmt = scope.visible_claims(actor).order_by(Claim.notified_at.desc(), Claim.id.desc())
    if status is not None:
        stmt = stmt.where(Claim.status == status)
    if q:
        # The prefix is rendered as a literal: PostgreSQL can use ix_claim_number_prefix only for a
        # constant pattern, and the generic plan of a prepared statement never has one.
        pattern = q.replace("/", "//").replace("%", "/%").replace("_", "/_") + "%"
        stmt = stmt.where(Claim.number.like(bindparam("number_prefix", pattern, literal_execute=True), escape="/"))
    after = decode_cursor(cursor)
    if after and len(after) == 2:
        try:
            at, cid = dt.datetime.fromisoformat(str(after[0])), uuid.UUID(str(after[1]))
        except ValueError:
            at, cid = None, None
        if at is not None and cid is not None:
            # A row comparison, so the index range starts at the cursor (an OR would be a filter).
            stmt = stmt.where(tuple_(Claim.notified_at, Claim.id) < tuple_(at, cid))
    rows = list(session.execute(stmt.limit(limit + 1)).unique().scalars())
    last = rows[limit - 1] if len(rows) > limit else None
    nxt = encode_cursor([last.notified_at.isoformat(), str(last.id)]) if last else None
    return ClaimPage(items=[claim_out(c) for c in rows[:limit]], next=nxt)


@router.get("/claims/{claim_id}", response_model=ClaimOut, responses=NF)
def get_claim(claim_id: str, actor: ActorDep, session: SessionDep) -> ClaimOut:
    return claim_out(scope.get_claim(session, actor, claim_id))


@router.get("/claims/{claim_id}/adjuster-recommendations", response_model=RecommendationsOut, responses=NF)
def adjuster_recommendations(
    claim_id: str, actor: ActorDep, session: SessionDep, clock: ClockDep
) -> RecommendationsOut:
    """Ranked, explained adjuster choices; ineligible adjusters are listed with their reason codes. Only
    those who choose (the broker; the insured while the adjuster is chosen) see the exclusions and the
    ranking; every other party sees at most the adjuster chosen and why."""
    claim = scope.get_claim(session, actor, claim_id)
    if not case_viewer(session, actor, claim).chooses_adjuster(claim.status == ClaimStatus.NOTIFIED):
        chosen = service.evaluate(session, claim, claim.adjuster, clock.now()) if claim.adjuster else None
        return RecommendationsOut.chosen(chosen)
    return RecommendationsOut.ranked(service.recommendations(session, claim, clock.now()))


class BatchRowOut(BaseModel):
    row: int
    idempotency_key: str | None = None
    outcome: str  # created | known | refused
    claim_id: uuid.UUID | None = None
    number: str | None = None
    status: str | None = None
    field: str | None = None
    message: str | None = None


class BatchOut(BaseModel):
    created: int
    known: int
    refused: int
    rows: list[BatchRowOut]


def batch_out(results: list[batch.RowResult]) -> BatchOut:
    rows = [
        BatchRowOut(
            row=r.row,
            idempotency_key=r.key,
            outcome=r.outcome,
            claim_id=r.claim_id,
            number=r.number,
            status=r.status,
            field=r.field,
            message=r.message,
        )
        for r in results
    ]
    return BatchOut(**batch.summary(results), rows=rows)


async def raw_body(request: Request) -> bytes:
    return await request.body()


@router.post(
    "/claims/batch",
    response_model=BatchOut,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
                "application/x-ndjson": {"schema": {"type": "string"}},
            },
        }
    },
    responses={403: {"description": "Not allowed"}, 422: {"description": "Not a batch"}},
)
def notify_batch(
    raw: Annotated[bytes, Depends(raw_body)],
    actor: ActorDep,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
) -> BatchOut:
    """Report many losses at once (批量报案): a JSON array or JSON Lines of notices, each with its own
    ``idempotency_key`` (and ``policy_id`` or ``policy_number``), at most 10,000. Each row is created, already
    known (a retry), or refused naming its field; a refused row writes nothing (docs/batch-intake.md)."""
    return batch_out(batch.intake(session, settings, actor, batch.parse_body(raw), now=clock.now()))
