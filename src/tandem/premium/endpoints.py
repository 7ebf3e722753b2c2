"""``POST /api/v1/calc/premium``: the premium engine over HTTP, for any logged-in user.

The body is the same JSON document as ``tandem calc premium`` reads, parsed by the same code (numbers
as decimals, never floats), and the answer is the same output document. Bad input is a 422 whose
``fields`` names the offending field by its contract path (``{"sections[1].rate_permille": "…"}``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from tandem.deps import ActorDep
from tandem.kit.errors import InvalidInput
from tandem.premium.engine import CURRENCIES, MAX_ENTRIES, PremiumInputError, loads_json, price_document

router = APIRouter(prefix="/api/v1/calc", tags=["calculations"])

Amount = Annotated[str, Field(pattern=r"^-?[0-9]+\.[0-9]{2}$", examples=["12231.65"])]
Ratio = Annotated[str, Field(pattern=r"^-?[0-9]+\.[0-9]{6}$", examples=["1.176120"])]


class SectionPremiumOut(BaseModel):
    code: str
    annual_premium: Amount
    premium: Amount


class RiskPointEffectOut(BaseModel):
    ref: str
    choice: Literal["premium", "remediate", "undecided"]
    premium_effect: Amount


class TerminationOut(BaseModel):
    date: str
    by: Literal["insured", "insurer"]
    premium_paid: Amount
    elapsed_days: int
    elapsed_months: int
    method: Literal["short_period_table", "pro_rata_daily"]
    retained: Amount
    refund: Amount


class PremiumOut(BaseModel):
    """The output document of ``premium.md``: amounts with 2 decimals, ratios with 6, as strings."""

    currency: str
    term_days: int
    term_months: int
    short_period: Literal["table", "monthly", "daily", "none"]
    short_factor: Ratio
    factor_product: Ratio
    loading_product: Ratio
    raw_coefficient: Ratio
    coefficient: Ratio
    bounded_by: Literal["none", "min", "max"]
    sections: list[SectionPremiumOut]
    total_premium: Amount
    minimum_applied: bool
    risk_points: list[RiskPointEffectOut]
    termination: TerminationOut | None


# The request body as premium.md describes it (documentation only: the engine validates).
_NUMBER: dict[str, Any] = {
    "anyOf": [{"type": "string", "pattern": r"^-?[0-9]+(\.[0-9]+)?$"}, {"type": "number"}],
    "description": 'a decimal string such as "1200.50", or a JSON number read as a decimal',
}
_DATE: dict[str, Any] = {"type": "string", "format": "date"}


def _object(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": required, "additionalProperties": False}


def _list(item: dict[str, Any], min_items: int = 0) -> dict[str, Any]:
    return {"type": "array", "items": item, "minItems": min_items, "maxItems": MAX_ENTRIES}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


_REQUEST_SCHEMA = _object(
    {
        "currency": {"type": "string", "enum": list(CURRENCIES)},
        "period": _object({"start": _DATE, "end": _DATE}, ["start", "end"]),
        "short_period": _nullable({"type": "string", "enum": ["table", "monthly", "daily", "none"]}),
        "sections": _list(
            _object(
                {"code": {"type": "string"}, "sum_insured": _NUMBER, "rate_permille": _NUMBER},
                ["code", "sum_insured", "rate_permille"],
            ),
            min_items=1,
        ),
        "factors": _nullable(_list(_object({"code": {"type": "string"}, "value": _NUMBER}, ["code", "value"]))),
        "factor_bounds": _nullable(_object({"min": _nullable(_NUMBER), "max": _nullable(_NUMBER)}, [])),
        "risk_points": _nullable(
            _list(
                _object(
                    {
                        "ref": {"type": "string"},
                        "loading": _NUMBER,
                        "choice": {"type": "string", "enum": ["premium", "remediate", "undecided"]},
                    },
                    ["ref", "loading", "choice"],
                )
            )
        ),
        "minimum_premium": _nullable(_NUMBER),
        "termination": _nullable(
            _object(
                {
                    "date": _DATE,
                    "by": {"type": "string", "enum": ["insured", "insurer"]},
                    "premium_paid": _nullable(_NUMBER),
                },
                ["date", "by"],
            )
        ),
    },
    ["currency", "period", "sections"],
)


@router.post(
    "/premium",
    response_model=PremiumOut,
    responses={422: {"description": "Invalid input"}},
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": _REQUEST_SCHEMA}}}},
)
async def calc_premium(request: Request, actor: ActorDep) -> dict[str, Any]:
    """Premium, risk-point effects and refunds (保费计算), exactly as ``tandem calc premium`` computes them."""
    raw = await request.body()
    try:
        return await run_in_threadpool(price_document, loads_json(raw))
    except PremiumInputError as exc:
        raise InvalidInput(fields={exc.path or "body": exc.message}) from None
