"""``POST /api/v1/calc/fee``: the fee engine over HTTP, for any logged-in user.

The body is the document ``tandem calc fee`` reads, parsed by the same code (numbers as decimals, never
floats), and the answer is the same output document (docs/fees.md). Bad input is a 422 whose ``fields``
names the offending field by its contract path (``{"terms.scale[1].rate": "…"}``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from tandem.deps import ActorDep
from tandem.fees.engine import MAX_PAYMENT_DAYS, MAX_TIERS, FeeInputError, fee_document, loads_json
from tandem.kit.errors import InvalidInput

router = APIRouter(prefix="/api/v1/calc", tags=["calculations"])

Fen = Annotated[str, Field(pattern=r"^[0-9]+\.[0-9]{2}$", examples=["18074.07"])]
Figure = str | int | None


class StepOut(BaseModel):
    """One line of the step table: its code, the figures it takes (``in``) and gives (``out``)."""

    model_config = ConfigDict(populate_by_name=True)

    code: str
    inputs: dict[str, Figure] = Field(alias="in")
    outputs: dict[str, Figure] = Field(alias="out")


class EngagementOut(BaseModel):
    kind: Literal["claim", "pre_assessment"]
    instructed_by: Literal["broker", "insurer"]


class FeeOut(BaseModel):
    """The output document of docs/fees.md: amounts as strings in whole fen, ``terms`` canonical."""

    currency: Literal["CNY"]
    engagement: EngagementOut
    terms: dict[str, Any]
    fee: Fen
    bounded_by: Literal["none", "minimum", "maximum"]
    expenses: Fen
    taxable: Fen
    vat: Fen
    total: Fen
    invoice_date: str
    due_date: str
    steps: list[StepOut]


# The request body as docs/fees.md describes it (documentation only: the engine validates).
_NUMBER: dict[str, Any] = {
    "anyOf": [{"type": "string", "pattern": r"^[0-9]+(\.[0-9]+)?$"}, {"type": "number", "minimum": 0}],
    "description": 'a decimal string such as "1200.50", or a JSON number read as a decimal',
}
_OPTIONAL_NUMBER: dict[str, Any] = {"anyOf": [_NUMBER, {"type": "null"}]}


def _shape(required: list[str], **properties: Any) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": required, "additionalProperties": False}


def _choice(*values: str) -> dict[str, Any]:
    return {"type": "string", "enum": list(values)}


_REQUEST_SCHEMA = _shape(
    ["engagement", "terms", "invoice_date"],
    engagement=_shape(
        ["kind", "instructed_by"], kind=_choice("claim", "pre_assessment"), instructed_by=_choice("broker", "insurer")
    ),
    terms=_shape(
        ["basis", "payer", "payment_days"],
        basis=_choice("fixed", "hourly", "rate", "scale"),
        amount=_OPTIONAL_NUMBER,
        hourly_rate=_OPTIONAL_NUMBER,
        rate=_OPTIONAL_NUMBER,
        scale={
            "anyOf": [
                {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": MAX_TIERS,
                    "items": _shape(["rate"], up_to=_OPTIONAL_NUMBER, rate=_NUMBER),
                },
                {"type": "null"},
            ]
        },
        minimum_fee=_OPTIONAL_NUMBER,
        maximum_fee=_OPTIONAL_NUMBER,
        expenses={
            "anyOf": [
                _shape(
                    ["policy"],
                    policy=_choice("none", "actual", "allowance"),
                    cap=_OPTIONAL_NUMBER,
                    amount=_OPTIONAL_NUMBER,
                ),
                {"type": "null"},
            ]
        },
        vat_rate=_OPTIONAL_NUMBER,
        payer=_choice("insurer", "insured", "broker"),
        payment_days={"type": "integer", "minimum": 0, "maximum": MAX_PAYMENT_DAYS},
    ),
    work={
        "anyOf": [
            _shape([], assessed_loss=_OPTIONAL_NUMBER, hours=_OPTIONAL_NUMBER, expenses_incurred=_OPTIONAL_NUMBER),
            {"type": "null"},
        ]
    },
    invoice_date={"type": "string", "format": "date"},
)


@router.post(
    "/fee",
    response_model=FeeOut,
    responses={422: {"description": "Invalid input"}},
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": _REQUEST_SCHEMA}}}},
)
async def calc_fee(request: Request, actor: ActorDep) -> dict[str, Any]:
    """An adjuster's fee, expenses, VAT, total and due date with every step, as ``tandem calc fee`` computes them."""
    raw = await request.body()
    try:
        return await run_in_threadpool(fee_document, loads_json(raw))
    except FeeInputError as exc:
        raise InvalidInput(fields={exc.path or "body": exc.message}) from None
