"""Stage 2 comparison API (横评, R-U6): the insured, the broker and the broker's adjuster read the
comparison of the shortlisted insurers; the insured picks one or asks the broker to recommend one and
confirms the recommendation; the broker's account manager publishes the weights of the integrity score.

``GET /api/v1/placements/{id}/comparison``, ``POST /api/v1/placements/{id}/comparison/choice``,
``GET|PUT /api/v1/comparison-weights``. The PDF is served by the pages (``/placements/{id}/comparison.pdf``).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from tandem.deps import ActorDep, ClockDep, SessionDep
from tandem.kit.errors import ActionNotAllowed
from tandem.kit.limits import REASON_MAX
from tandem.placement import comparison
from tandem.schemas import Strict

router = APIRouter(prefix="/api/v1", tags=["placements"])
RESPONSES: dict[int | str, dict[str, Any]] = {
    403: {"description": "Not a party that reads the comparison, or not your move"},
    404: {"description": "Not found (or not yours)"},
    409: {"description": "No shortlist saved yet, or the move does not fit the choice's state"},
    422: {"description": "Invalid field (named)"},
}


class FigureOut(BaseModel):
    shown: bool = Field(description="false: fewer than min_insureds insureds behind it (value and insureds null)")
    value: str | list[str] | None = Field(description="a decimal string; premium rates: [Q1, median, Q3] in ‰")
    insureds: int | None = Field(description="distinct insureds behind the figure")


class PartOut(FigureOut):
    code: str
    weight: int = Field(description="the broker's published weight")
    effective_weight: str | None = Field(description="% after re-weighting over the components with data")
    points: str | None = Field(description="0–100 points the figure earns")


class IntegrityOut(BaseModel):
    score: str | None
    rank: int | None
    components: list[PartOut]


class UnderwritingOut(BaseModel):
    steps: list[str]
    turnaround_days: int | None


class InsurerOut(BaseModel):
    insurer_id: str
    name: str
    products: list[str]
    underwriting: UnderwritingOut
    premium_rates: FigureOut
    claims_record: dict[str, FigureOut]
    integrity: IntegrityOut


class ComponentOut(BaseModel):
    code: str
    name: str
    scoring: str
    weight: int


class ChoiceOut(BaseModel):
    state: Literal["open", "requested", "recommended", "chosen"]
    insurer_id: str | None
    insurer: str | None
    how: str | None
    recommended_insurer_id: str | None
    recommended_insurer: str | None
    reasons: str | None
    recommended_at: str | None
    chosen_at: str | None


class ComparisonOut(BaseModel):
    placement_id: str
    shortlist_version: int
    lines: list[str]
    min_insureds: int
    min_components: int
    components: list[ComponentOut]
    insurers: list[InsurerOut] = Field(description="ranked first to last, then the unranked")
    choice: ChoiceOut
    actions: list[str]


class ChoiceIn(Strict):
    action: Literal["pick", "ask", "recommend", "confirm"]
    insurer_id: uuid.UUID | None = Field(default=None, description="pick, recommend: an insurer on the shortlist")
    reasons: Annotated[str, Field(max_length=REASON_MAX)] | None = Field(default=None, description="recommend")


class WeightsIn(Strict):
    weights: dict[str, int] = Field(description="component code -> weight 0..100; absent codes keep their default")


@router.get("/placements/{placement_id}/comparison", response_model=ComparisonOut, responses=RESPONSES)
def read(placement_id: str, actor: ActorDep, session: SessionDep, clock: ClockDep) -> dict[str, Any]:
    """Each shortlisted insurer: premium rates for the lines (quartiles, ‰), the declared underwriting
    process, the claims record on the platform and the integrity score with its components and rank.
    A figure behind fewer than ``min_insureds`` insureds is ``{"shown": false, "value": null}``."""
    return comparison.as_json(session, comparison.comparison(session, actor, placement_id, clock.now()))


@router.post("/placements/{placement_id}/comparison/choice", response_model=ComparisonOut, responses=RESPONSES)
def choose(placement_id: str, body: ChoiceIn, actor: ActorDep, session: SessionDep, clock: ClockDep) -> dict[str, Any]:
    """One move of the insured's choice: ``pick`` (the insured), ``ask`` (the insured asks the broker to
    recommend), ``recommend`` (the broker's account manager, with reasons), ``confirm`` (the insured)."""
    comp = comparison.choose(
        session, actor, placement_id, body.action, now=clock.now(), insurer_id=body.insurer_id, reasons=body.reasons
    )
    return comparison.as_json(session, comp)


@router.get("/comparison-weights", responses=RESPONSES)
def weights(actor: ActorDep, session: SessionDep) -> dict[str, Any]:
    """The broker's published weights of the integrity score (brokers' staff)."""
    if actor.org_kind.value != "broker":
        raise ActionNotAllowed()
    return {"weights": comparison.weights_of(session, actor.org_id)}


@router.put("/comparison-weights", responses=RESPONSES)
def set_weights(body: WeightsIn, actor: ActorDep, session: SessionDep, clock: ClockDep) -> dict[str, Any]:
    return {"weights": comparison.set_weights(session, actor, body.weights, now=clock.now())}
