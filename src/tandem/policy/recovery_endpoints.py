"""API of recoveries (追偿, issue 16 item 5): the broker claims from the insurer the loss its suspension or
termination of a policy causes the insured. Every read goes through the policy access check: 404 for
anybody not a party to the policy."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from tandem.access import scope
from tandem.deps import ActorDep, ClockDep, SessionDep
from tandem.kit.limits import REASON_MAX
from tandem.policy import recovery
from tandem.policy.inforce_endpoints import NF, WRITE
from tandem.policy.inforce_models import Recovery, RecoveryStep
from tandem.policy.models import Policy
from tandem.report.schemas import TerminationHead
from tandem.schemas import Date, MoneyIn, MoneyOut, Strict

router = APIRouter(prefix="/api/v1", tags=["policies"])
Reasons = Annotated[str, Field(max_length=REASON_MAX)]


class RecoveryIn(Strict):
    heads: list[TerminationHead] | None = Field(
        None,
        description="refund_due, replacement_cost (a new quote minus the refund), uncovered_losses, "
        "other_costs; each with its amount and evidence. Not needed (and not used) when the signed "
        "termination report is in: the recovery takes its heads.",
    )
    reasons: Reasons = ""


class RecoveryAction(Strict):
    action: Literal["accept", "counter", "refuse", "accept_counter", "demand", "pay", "escalate", "decide", "close"]
    amount: MoneyIn | None = None
    reasons: Reasons = ""
    channel: Literal["regulator", "arbitration", "litigation"] | None = None
    on_date: Date | None = Field(None, description="the day a payment, escalation or outcome happened")


class StepOut(BaseModel):
    number: int
    round: int
    action: str
    amount: MoneyOut | None = None
    reasons: str
    channel: str | None = None
    on_date: dt.date
    created_at: dt.datetime


class HeadOut(BaseModel):
    head: str
    amount: MoneyOut
    evidence: str


class RecoveryOut(BaseModel):
    id: uuid.UUID
    status: str
    amount: MoneyOut = Field(description="the amount demanded in the current round")
    heads: list[HeadOut]
    report_id: uuid.UUID | None = None
    round: int
    agreed: MoneyOut | None = None
    answer_due: dt.date | None = None
    payment_due: dt.date | None = None
    paid: MoneyOut | None = None
    opened_at: dt.datetime
    may: list[str] = Field(description="the moves the caller may make now")
    steps: list[StepOut]


def recovery_out(session: SessionDep, actor: ActorDep, policy: Policy, row: Recovery) -> RecoveryOut:
    return RecoveryOut(
        id=row.id,
        status=row.status,
        amount=row.amount,
        heads=[HeadOut(**h) for h in row.heads],
        report_id=row.report_id,
        round=row.round_no,
        agreed=row.agreed,
        answer_due=row.answer_due,
        payment_due=row.payment_due,
        paid=row.paid,
        opened_at=row.opened_at,
        may=recovery.may(actor, policy, row),
        steps=[_step(s) for s in recovery.steps_of(session, row)],
    )


def _step(s: RecoveryStep) -> StepOut:
    return StepOut(
        number=s.number, round=s.round_no, action=s.action, amount=s.amount, reasons=s.reasons,
        channel=s.channel, on_date=s.on_date, created_at=s.created_at,
    )  # fmt: skip


@router.get("/policies/{policy_id}/recoveries", response_model=list[RecoveryOut], responses=NF)
def list_recoveries(policy_id: str, actor: ActorDep, session: SessionDep) -> list[RecoveryOut]:
    policy = scope.get_policy(session, actor, policy_id)
    return [recovery_out(session, actor, policy, r) for r in recovery.of_policy(session, policy)]


@router.post("/policies/{policy_id}/recoveries", response_model=RecoveryOut, status_code=201, responses=WRITE)
def open_recovery(
    policy_id: str, body: RecoveryIn, actor: ActorDep, session: SessionDep, clock: ClockDep
) -> RecoveryOut:
    """The broker's account manager claims the itemised loss from the insurer that suspended or ended the
    policy (the insurer answers within 15 days)."""
    row = recovery.open_recovery(session, actor, policy_id, heads=body.heads, reasons=body.reasons, now=clock.now())
    return recovery_out(session, actor, scope.get_policy(session, actor, policy_id), row)


@router.post("/policies/{policy_id}/recoveries/{recovery_id}/actions", response_model=RecoveryOut, responses=WRITE)
def act_on_recovery(
    policy_id: str, recovery_id: str, body: RecoveryAction, actor: ActorDep, session: SessionDep, clock: ClockDep
) -> RecoveryOut:
    """The insurer accepts, counters or refuses; the broker takes the counter, demands again, escalates,
    records the outcome or closes it; either records the payment."""
    row = recovery.act(
        session, actor, policy_id, recovery_id, body.action, now=clock.now(), amount=body.amount,
        reasons=body.reasons, channel=body.channel, on_date=body.on_date,
    )  # fmt: skip
    return recovery_out(session, actor, scope.get_policy(session, actor, policy_id), row)
