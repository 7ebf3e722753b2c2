"""Policy API (保单)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from tandem.access import scope
from tandem.deps import ActorDep, ClockDep, SessionDep
from tandem.kit.limits import REASON_MAX
from tandem.kit.pagination import decode_cursor, encode_cursor
from tandem.policy import service
from tandem.policy.models import Policy, PolicyStatus
from tandem.schemas import Date, MoneyIn, MoneyOut, RateIn, RateOut, Ref, Strict

router = APIRouter(prefix="/api/v1", tags=["policies"])
NF: dict[int | str, dict[str, Any]] = {404: {"description": "Not found"}}


class SectionOut(BaseModel):
    code: str
    name: str
    sum_insured: MoneyOut | None = None
    insured_value: MoneyOut | None = None
    deductible_amount: MoneyOut | None = None
    deductible_rate: RateOut | None = None
    per_occurrence_limit: MoneyOut | None = None
    aggregate_limit: MoneyOut | None = None
    options: dict[str, Any] = {}


class AdjusterRef(Ref):
    firm: Ref


class PolicyOut(BaseModel):
    id: uuid.UUID
    number: str
    status: PolicyStatus
    line: str
    currency: str
    period_start: dt.date
    period_end: dt.date
    insured: Ref
    insurer: Ref
    broker: Ref | None = None
    product: Ref | None = None
    designated_adjuster: AdjusterRef | None = None
    sections: list[SectionOut]
    premium: MoneyOut | None = Field(None, description="the annual premium of a policy bound on the platform")
    placement_id: uuid.UUID | None = Field(None, description="the placement it was bound from (issue 15)")


class PolicyPage(BaseModel):
    items: list[PolicyOut]
    next: str | None = None


class SectionOptions(Strict):
    """The amount engine's policy options of a section (docs: claim-amount.md, "Policy options")."""

    basis: Literal["average", "first_loss"] | None = None
    salvage: Literal["before_average", "after_average"] | None = None
    sum_insured_reduces: bool | None = None
    liability_ratio: RateIn | None = None
    deductible_kind: Literal["absolute", "franchise"] | None = None
    deductible_rate_base: Literal["loss", "sum_insured"] | None = None


class SectionIn(Strict):
    code: Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[a-z0-9_]+$")]
    name: Annotated[str, Field(min_length=1, max_length=100)]
    sum_insured: MoneyIn | None = None
    insured_value: MoneyIn | None = None
    deductible_amount: MoneyIn | None = None
    deductible_rate: RateIn | None = None
    per_occurrence_limit: MoneyIn | None = None
    aggregate_limit: MoneyIn | None = None
    options: SectionOptions | None = None


class PolicyIn(Strict):
    number: Annotated[str, Field(min_length=3, max_length=60)]
    insured_id: uuid.UUID
    insurer_id: uuid.UUID
    product_id: uuid.UUID | None = None
    line: Annotated[str, Field(min_length=1, max_length=60)]
    currency: Annotated[str, Field(pattern=r"^(CNY|USD|EUR|HKD|GBP)$")] = "CNY"
    period_start: Date
    period_end: Date
    designated_adjuster_id: uuid.UUID | None = None
    sections: Annotated[list[SectionIn], Field(min_length=1, max_length=50)]


class PolicyAction(Strict):
    action: Annotated[str, Field(pattern=r"^(bind|cancel|expire)$")]
    reason: Annotated[str, Field(max_length=REASON_MAX)] | None = None


def policy_out(p: Policy) -> PolicyOut:
    adj = p.designated_adjuster
    return PolicyOut(
        id=p.id,
        number=p.number,
        status=p.status,
        line=p.line,
        currency=p.currency,
        period_start=p.period_start,
        period_end=p.period_end,
        insured=Ref(id=p.insured.id, name=p.insured.name),
        insurer=Ref(id=p.insurer.id, name=p.insurer.name),
        broker=Ref(id=p.broker.id, name=p.broker.name) if p.broker else None,
        product=Ref(id=p.product.id, name=p.product.name) if p.product else None,
        designated_adjuster=AdjusterRef(
            id=adj.id, name=adj.name, firm=Ref(id=adj.firm_id, name=adj.firm.organisation.name)
        )
        if adj
        else None,
        sections=[
            SectionOut(
                code=s.code,
                name=s.name,
                sum_insured=s.sum_insured,
                insured_value=s.insured_value,
                deductible_amount=s.deductible_amount,
                deductible_rate=s.deductible_rate,
                per_occurrence_limit=s.per_occurrence_limit,
                aggregate_limit=s.aggregate_limit,
                options=s.options or {},
            )
            for s in p.sections
        ],
        premium=p.premium,
        placement_id=p.placement_id,
    )


@router.get("/policies", response_model=PolicyPage)
def list_policies(
    actor: ActorDep,
    session: SessionDep,
    status: PolicyStatus | None = None,
    q: Annotated[str | None, Query(max_length=60)] = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> PolicyPage:
    stmt = scope.visible_policies(actor).order_by(Policy.number)
    if status is not None:
        stmt = stmt.where(Policy.status == status)
    if q:
        stmt = stmt.where(Policy.number.contains(q, autoescape=True))
    after = decode_cursor(cursor)
    if after:
        stmt = stmt.where(Policy.number > str(after[0]))
    rows = list(session.execute(stmt.limit(limit + 1)).unique().scalars())
    nxt = encode_cursor([rows[limit - 1].number]) if len(rows) > limit else None
    return PolicyPage(items=[policy_out(p) for p in rows[:limit]], next=nxt)


@router.get("/policies/{policy_id}", response_model=PolicyOut, responses=NF)
def get_policy(policy_id: str, actor: ActorDep, session: SessionDep) -> PolicyOut:
    return policy_out(scope.get_policy(session, actor, policy_id))


@router.post(
    "/policies",
    response_model=PolicyOut,
    status_code=201,
    responses={403: {"description": "Not allowed"}, 409: {"description": "Number taken"}},
)
def create_policy(body: PolicyIn, actor: ActorDep, session: SessionDep, clock: ClockDep) -> PolicyOut:
    sections = [
        service.SectionInput(
            **s.model_dump(exclude={"options"}),
            options=s.options.model_dump(mode="json", exclude_none=True) if s.options else {},
        )
        for s in body.sections
    ]
    policy = service.create_policy(
        session,
        actor,
        number=body.number,
        insured_id=body.insured_id,
        insurer_id=body.insurer_id,
        product_id=body.product_id,
        line=body.line,
        currency=body.currency,
        period_start=body.period_start,
        period_end=body.period_end,
        designated_adjuster_id=body.designated_adjuster_id,
        sections=sections,
        at=clock.now(),
    )
    session.refresh(policy)
    return policy_out(policy)


@router.post(
    "/policies/{policy_id}/actions",
    response_model=PolicyOut,
    responses={403: {"description": "Not allowed"}, 409: {"description": "Illegal"}, **NF},
)
def act_on_policy(
    policy_id: str, body: PolicyAction, actor: ActorDep, session: SessionDep, clock: ClockDep
) -> PolicyOut:
    policy = service.change_status(session, actor, policy_id, body.action, at=clock.now(), reason=body.reason)
    return policy_out(policy)
