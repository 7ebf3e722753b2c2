"""API of a policy in force (issue 16): its versions, mid-term changes (批改), suspension, reinstatement
and termination. Every read goes through the policy access check: not a party is 404."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from tandem.access import scope
from tandem.deps import ActorDep, ClockDep, SessionDep, SettingsDep
from tandem.kit.clock import local_day
from tandem.kit.limits import REASON_MAX
from tandem.policy import endorsements, suspension
from tandem.policy import versions as policy_versions
from tandem.policy.inforce_models import Endorsement, EndorsementStatus, StatusChange
from tandem.schemas import Date, MoneyIn, MoneyOut, Strict

router = APIRouter(prefix="/api/v1", tags=["policies"])
NF: dict[int | str, dict[str, Any]] = {404: {"description": "Not found"}}
WRITE: dict[int | str, dict[str, Any]] = {
    403: {"description": "Not allowed"},
    409: {"description": "Illegal in this state"},
    422: {"description": "Invalid input (the body names the field)"},
    **NF,
}
Reason = Annotated[str, Field(max_length=REASON_MAX)]
RatePermille = Annotated[Decimal, Field(gt=0, le=1000, max_digits=12, decimal_places=6, allow_inf_nan=False)]


class VersionSection(BaseModel):
    code: str
    name: str
    sum_insured: str | None = None
    rate_permille: str | None = None


class VersionOut(BaseModel):
    number: int = Field(description="0: the policy as issued, before any recorded change")
    effective_date: dt.date
    sections: list[VersionSection]
    coefficient: str
    total_premium: MoneyOut | None = Field(None, description="the premium of the whole period on this version")
    premium_delta: MoneyOut = Field(description="additional (+) or returned (−) premium of the change")


class SectionChangeIn(Strict):
    code: Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[a-z0-9_]+$")]
    name: Annotated[str, Field(min_length=1, max_length=100)]
    sum_insured: MoneyIn
    rate_permille: RatePermille


class EndorsementIn(Strict):
    effective_date: Date
    sections: Annotated[list[SectionChangeIn], Field(min_length=1, max_length=50)]
    reason: Annotated[str, Field(min_length=1, max_length=REASON_MAX)]


class EndorsementAction(Strict):
    action: Literal["accept", "decline", "withdraw"]
    reason: Reason | None = None


class EndorsementOut(BaseModel):
    id: uuid.UUID
    number: int
    status: EndorsementStatus
    effective_date: dt.date
    sections: list[VersionSection]
    premium_delta: MoneyOut = Field(description="additional (+) or returned (−) premium, pro rata by day")
    pricing: dict[str, Any] = Field(description="the premium engine's documents: old, new, pro_rata (input, output)")
    reason: str
    answer: str | None = None
    answer_due: dt.date | None = Field(None, description="the last day (Asia/Shanghai) for the insurer's answer")
    late: bool = Field(False, description="still awaiting the insurer's answer after its last day")
    requested_at: dt.datetime
    answered_at: dt.datetime | None = None


class StatusChangeIn(Strict):
    action: Literal["suspend", "reinstate", "terminate"]
    effective_date: Date
    reason_code: Annotated[str, Field(max_length=40)]
    reason: Annotated[str, Field(min_length=1, max_length=REASON_MAX)]
    ended_by: Literal["insurer", "insured", "agreement"] | None = None
    premium_paid: MoneyIn | None = None


class StatusChangeOut(BaseModel):
    number: int
    action: str
    effective_date: dt.date
    reason_code: str
    reason: str
    ended_by: str | None = None
    premium_paid: MoneyOut | None = None
    refund: MoneyOut | None = None
    pricing: dict[str, Any] | None = None
    created_at: dt.datetime


def _sections(rows: list[dict[str, Any]]) -> list[VersionSection]:
    return [VersionSection(**{k: s.get(k) for k in ("code", "name", "sum_insured", "rate_permille")}) for s in rows]


def endorsement_out(e: Endorsement, now: dt.datetime) -> EndorsementOut:
    return EndorsementOut(
        id=e.id,
        number=e.number,
        status=e.status,
        effective_date=e.effective_date,
        sections=_sections(e.sections),
        premium_delta=e.premium_delta,
        pricing={k: e.pricing.get(k) for k in ("old", "new", "pro_rata")},
        reason=e.reason,
        answer=e.answer,
        answer_due=e.answer_due,
        late=endorsements.is_late(e, local_day(now)),
        requested_at=e.requested_at,
        answered_at=e.answered_at,
    )


def change_out(c: StatusChange) -> StatusChangeOut:
    return StatusChangeOut(
        number=c.number,
        action=c.action,
        effective_date=c.effective_date,
        reason_code=c.reason_code,
        reason=c.reason,
        ended_by=c.ended_by,
        premium_paid=c.premium_paid,
        refund=c.refund,
        pricing=c.pricing,
        created_at=c.created_at,
    )


@router.get("/policies/{policy_id}/versions", response_model=list[VersionOut], responses=NF)
def list_versions(policy_id: str, actor: ActorDep, session: SessionDep) -> list[VersionOut]:
    """The versions of the cover, oldest first (the policy as issued when nothing was changed)."""
    policy = scope.get_policy(session, actor, policy_id)
    return [
        VersionOut(
            number=v.number,
            effective_date=v.effective_date,
            sections=_sections(v.sections),
            coefficient=v.coefficient,
            total_premium=v.total_premium,
            premium_delta=v.premium_delta,
        )
        for v in policy_versions.history(session, policy)
    ]


@router.get("/policies/{policy_id}/endorsements", response_model=list[EndorsementOut], responses=NF)
def list_endorsements(policy_id: str, actor: ActorDep, session: SessionDep, clock: ClockDep) -> list[EndorsementOut]:
    policy = scope.get_policy(session, actor, policy_id)
    return [endorsement_out(e, clock.now()) for e in endorsements.of_policy(session, policy)]


@router.post("/policies/{policy_id}/endorsements", response_model=EndorsementOut, status_code=201, responses=WRITE)
def request_endorsement(
    policy_id: str, body: EndorsementIn, actor: ActorDep, session: SessionDep, clock: ClockDep, settings: SettingsDep
) -> EndorsementOut:
    """The broker's account manager requests a mid-term change; it is priced by the premium engine."""
    row = endorsements.request(
        session,
        actor,
        policy_id,
        effective_date=body.effective_date,
        sections=[endorsements.SectionChange(**s.model_dump()) for s in body.sections],
        reason=body.reason,
        now=clock.now(),
        answer_working_days=settings.endorsement_answer_working_days,
    )
    return endorsement_out(row, clock.now())


@router.post(
    "/policies/{policy_id}/endorsements/{endorsement_id}/actions", response_model=EndorsementOut, responses=WRITE
)
def act_on_endorsement(
    policy_id: str, endorsement_id: str, body: EndorsementAction, actor: ActorDep, session: SessionDep, clock: ClockDep
) -> EndorsementOut:
    """The insurer's underwriter accepts (a new version) or declines (with a reason); the broker withdraws."""
    row = endorsements.answer(
        session, actor, policy_id, endorsement_id, body.action, reason=body.reason, now=clock.now()
    )
    return endorsement_out(row, clock.now())


@router.get("/policies/{policy_id}/status-changes", response_model=list[StatusChangeOut], responses=NF)
def list_status_changes(policy_id: str, actor: ActorDep, session: SessionDep) -> list[StatusChangeOut]:
    policy = scope.get_policy(session, actor, policy_id)
    return [change_out(c) for c in suspension.changes(session, policy)]


@router.post("/policies/{policy_id}/status-changes", response_model=StatusChangeOut, status_code=201, responses=WRITE)
def change_status(
    policy_id: str, body: StatusChangeIn, actor: ActorDep, session: SessionDep, clock: ClockDep
) -> StatusChangeOut:
    """Suspend (效力中止), reinstate (复效) or terminate (解除) the policy from a date; a termination carries
    the refund the premium engine works out (``premium.md`` step 8)."""
    row = suspension.change(
        session,
        actor,
        policy_id,
        body.action,
        effective_date=body.effective_date,
        reason_code=body.reason_code,
        reason=body.reason,
        ended_by=body.ended_by,
        premium_paid=body.premium_paid,
        now=clock.now(),
    )
    return change_out(row)
