"""Stage 1 screening API (初筛, R-U5), for the broker's staff only (403 for the other parties on the
case, 404 for anybody else).

``GET /api/v1/placements/{id}/screening`` previews the screening with the thresholds given as query
parameters (defaults otherwise); ``POST /{id}/shortlist`` saves it as the next version;
``GET /{id}/shortlist`` lists the saved versions, newest first.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from tandem.deps import ActorDep, ClockDep, SessionDep
from tandem.placement import screening
from tandem.placement.screening_models import Shortlist
from tandem.schemas import Strict

router = APIRouter(prefix="/api/v1/placements", tags=["placements"])
RESPONSES: dict[int | str, dict[str, Any]] = {
    403: {"description": "Not the broker on this placement"},
    404: {"description": "Not found (or not yours)"},
    409: {"description": "The insured is not deciding yet"},
    422: {"description": "Invalid field (named)"},
}


class ReasonOut(BaseModel):
    code: str = Field(description=", ".join(screening.REASONS))
    params: dict[str, str]
    text: str = Field(description="the reason in words (English)")


class OutcomeOut(BaseModel):
    product_id: str
    code: str
    name: str
    insurer_id: str
    insurer: str
    reasons: list[ReasonOut]


class ScreeningOut(BaseModel):
    criteria: dict[str, Any]
    kept: list[OutcomeOut]
    excluded: list[OutcomeOut]


class ShortlistOut(ScreeningOut):
    version: int
    created_at: dt.datetime


class ShortlistIn(Strict):
    min_solvency: Decimal | None = Field(default=None, description="comprehensive solvency ratio, %")
    ratings: list[Annotated[str, Field(max_length=1)]] | None = Field(default=None, max_length=4)
    fund_mode: str | None = Field(default=None, max_length=40)
    perils: list[Annotated[str, Field(max_length=40)]] | None = Field(
        default=None, max_length=40, description="peril codes to screen against (default: read from the risk points)"
    )


def _outcome(o: dict[str, Any]) -> OutcomeOut:
    reasons = [
        ReasonOut(code=r["code"], params=r["params"], text=screening.describe(r["code"], r["params"]))
        for r in o["reasons"]
    ]
    return OutcomeOut(**{k: o[k] for k in ("product_id", "code", "name", "insurer_id", "insurer")}, reasons=reasons)


def _shortlist(row: Shortlist) -> ShortlistOut:
    return ShortlistOut(
        version=row.version,
        created_at=row.created_at,
        criteria=row.criteria,
        kept=[_outcome(o) for o in row.kept],
        excluded=[_outcome(o) for o in row.excluded],
    )


@router.get("/{placement_id}/screening", response_model=ScreeningOut, responses=RESPONSES)
def preview(
    placement_id: str,
    actor: ActorDep,
    session: SessionDep,
    min_solvency: Annotated[Decimal | None, Query()] = None,
    ratings: Annotated[list[str] | None, Query(max_length=4)] = None,
    fund_mode: Annotated[str | None, Query(max_length=40)] = None,
    perils: Annotated[list[str] | None, Query(max_length=40)] = None,
) -> ScreeningOut:
    """The screening as it would be saved now, each product left out with its reasons."""
    settings = screening.check_settings(min_solvency, ratings, fund_mode, perils)
    _placement, result = screening.preview(session, actor, placement_id, settings)
    return ScreeningOut(
        criteria=screening.criteria_json(result),
        kept=[_outcome(screening.outcome_json(o)) for o in result.kept],
        excluded=[_outcome(screening.outcome_json(o)) for o in result.excluded],
    )


@router.post("/{placement_id}/shortlist", response_model=ShortlistOut, status_code=201, responses=RESPONSES)
def save(placement_id: str, body: ShortlistIn, actor: ActorDep, session: SessionDep, clock: ClockDep) -> ShortlistOut:
    """Screen and save the shortlist as the next version (earlier versions stay as they were)."""
    settings = screening.check_settings(body.min_solvency, body.ratings, body.fund_mode, body.perils)
    return _shortlist(screening.save_shortlist(session, actor, placement_id, settings, now=clock.now()))


@router.get("/{placement_id}/shortlist", response_model=list[ShortlistOut], responses=RESPONSES)
def versions(placement_id: str, actor: ActorDep, session: SessionDep) -> list[ShortlistOut]:
    """The saved shortlists, newest first."""
    return [_shortlist(row) for row in screening.saved(session, actor, placement_id)]
