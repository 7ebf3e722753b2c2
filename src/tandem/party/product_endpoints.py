"""Insurers' products and standing API (保险产品): list, read, create, replace, publish or withdraw.

Who sees what (``tandem.access.scope.visible_products``): an insurer all its own products and the
published ones of other insurers; brokers and supervision every product that is or was offered (not
drafts); the platform all; insureds and adjuster firms none. Only the insurer's underwriters write;
another insurer gets 404 for a product not its own, readers who may not write 403.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from tandem.access import scope
from tandem.access.models import Organisation
from tandem.deps import ActorDep, ClockDep, SessionDep
from tandem.kit.clock import today_local
from tandem.party import cover, products
from tandem.party.models import Insurer, InsurerProduct, ProductStatus
from tandem.schemas import Date, MoneyOut, RateOut, Ref, Strict

router = APIRouter(prefix="/api/v1", tags=["products"])
NF: dict[int | str, dict[str, Any]] = {404: {"description": "Not found"}}
WRITE: dict[int | str, dict[str, Any]] = {
    403: {"description": "Not allowed"},
    409: {"description": "Code taken, changed meanwhile, or withdrawn"},
    422: {"description": "Invalid field (named)"},
    **NF,
}

Figure = Annotated[Decimal, Field(allow_inf_nan=False)]


class RateBody(Strict):
    section_type: Annotated[str, Field(max_length=40)]
    rate_permille: Figure


class FactorBody(Strict):
    code: Annotated[str, Field(max_length=40)]
    min: Figure
    max: Figure


class ProductBody(Strict):
    """A whole product (create, or replace on PUT). Codes come from ``GET /api/v1/cover-vocabulary``."""

    code: Annotated[str, Field(max_length=100)]
    name: Annotated[str, Field(max_length=400)]
    lines: Annotated[list[Annotated[str, Field(max_length=60)]], Field(max_length=30)]
    fund_mode: Annotated[str, Field(max_length=40)]
    summary: Annotated[str, Field(max_length=4000)] = ""
    perils_covered: Annotated[list[Annotated[str, Field(max_length=40)]], Field(max_length=60)]
    perils_excluded: Annotated[list[Annotated[str, Field(max_length=40)]], Field(max_length=60)] = Field(
        default_factory=list
    )
    currency: Annotated[str, Field(max_length=3)] = "CNY"
    capacity: Figure
    rates: Annotated[list[RateBody], Field(max_length=30)]
    factors: Annotated[list[FactorBody], Field(max_length=30)] = Field(default_factory=list)
    coefficient_min: Figure | None = None
    coefficient_max: Figure | None = None
    minimum_premium: Figure = Decimal(0)
    short_period: Annotated[str, Field(max_length=16)] = "table"
    valid_from: Date
    valid_until: Date | None = None
    version: int | None = Field(default=None, description="On PUT: the version read; 409 if it changed since")

    def data(self) -> products.ProductData:
        return products.ProductData(
            code=self.code,
            name=self.name,
            lines=list(self.lines),
            fund_mode=self.fund_mode,
            summary=self.summary,
            perils_covered=list(self.perils_covered),
            perils_excluded=list(self.perils_excluded),
            currency=self.currency,
            capacity=self.capacity,
            rates=[products.Rate(r.section_type, r.rate_permille) for r in self.rates],
            factors=[products.FactorRange(f.code, f.min, f.max) for f in self.factors],
            coefficient_min=self.coefficient_min,
            coefficient_max=self.coefficient_max,
            minimum_premium=self.minimum_premium,
            short_period=self.short_period,
            valid_from=self.valid_from,
            valid_until=self.valid_until,
        )


class ProductAction(Strict):
    action: Literal["publish", "withdraw"]


class RateOutBody(BaseModel):
    section_type: str
    rate_permille: str


class FactorOut(BaseModel):
    code: str
    min: str
    max: str


class ProductOut(BaseModel):
    id: uuid.UUID
    insurer: Ref
    code: str
    name: str
    status: ProductStatus
    in_force: bool
    lines: list[str]
    fund_mode: str
    summary: str
    perils_covered: list[str]
    perils_excluded: list[str]
    currency: str
    capacity: MoneyOut | None = None
    rates: list[RateOutBody]
    factors: list[FactorOut]
    coefficient_min: RateOut | None = None
    coefficient_max: RateOut | None = None
    minimum_premium: MoneyOut
    short_period: str
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None
    version: int


class StandingBody(Strict):
    solvency_ratio: Figure
    risk_rating: Annotated[str, Field(max_length=2)]
    as_of: Date


class InsurerOut(BaseModel):
    id: uuid.UUID
    name: str
    solvency_ratio: RateOut | None = Field(default=None, description="综合偿付能力充足率, in %")
    risk_rating: str | None = Field(default=None, description="风险综合评级: A, B, C or D")
    standing_as_of: dt.date | None = None
    underwriting_steps: list[str] = Field(default_factory=list, description="承保流程: the declared steps, in order")
    underwriting_days: int | None = Field(default=None, description="declared turnaround, working days")


class UnderwritingBody(Strict):
    steps: list[Annotated[str, Field(max_length=400)]] = Field(max_length=40)
    turnaround_days: int | None = None


class Vocabulary(BaseModel):
    lines: list[str]
    perils: list[str]
    section_types: list[str]
    rating_factors: list[str]
    fund_modes: list[str]
    short_periods: list[str]
    risk_ratings: list[str]


def product_out(p: InsurerProduct, today: dt.date) -> ProductOut:
    return ProductOut(
        id=p.id,
        insurer=Ref(id=p.insurer_id, name=p.insurer.name),
        code=p.code,
        name=p.name,
        status=p.status,
        in_force=products.in_force(p, today),
        lines=list(p.lines or []),
        fund_mode=p.fund_mode,
        summary=p.summary,
        perils_covered=list(p.perils_covered or []),
        perils_excluded=list(p.perils_excluded or []),
        currency=p.currency,
        capacity=p.capacity,
        rates=[RateOutBody(**r) for r in p.rates or []],
        factors=[FactorOut(**f) for f in p.factors or []],
        coefficient_min=p.coefficient_min,
        coefficient_max=p.coefficient_max,
        minimum_premium=p.minimum_premium,
        short_period=p.short_period,
        valid_from=p.valid_from,
        valid_until=p.valid_until,
        version=p.version,
    )


def insurer_out(session: Session, org: Organisation) -> InsurerOut:
    record = session.get(Insurer, org.id)
    return InsurerOut(
        id=org.id,
        name=org.name,
        solvency_ratio=record.solvency_ratio if record else None,
        risk_rating=record.risk_rating if record else None,
        standing_as_of=record.standing_as_of if record else None,
        underwriting_steps=list(record.underwriting_steps or []) if record else [],
        underwriting_days=record.underwriting_days if record else None,
    )


@router.get("/cover-vocabulary", response_model=Vocabulary)
def vocabulary(actor: ActorDep) -> Vocabulary:
    """The codes products and risk points use (lines are named in Chinese)."""
    return Vocabulary(
        lines=list(cover.LINES),
        perils=list(cover.PERILS),
        section_types=list(cover.SECTION_TYPES),
        rating_factors=list(cover.RATING_FACTORS),
        fund_modes=list(cover.FUND_MODES),
        short_periods=["table", "monthly", "daily", "none"],
        risk_ratings=list(cover.RISK_RATINGS),
    )


@router.get("/products", response_model=list[ProductOut])
def list_products(
    actor: ActorDep,
    session: SessionDep,
    clock: ClockDep,
    line: str | None = None,
    insurer_id: uuid.UUID | None = None,
    status: ProductStatus | None = None,
    in_force: bool | None = None,
) -> list[ProductOut]:
    """Insurers' products the actor may see, by insurer and code; filters narrow them."""
    today = today_local(clock)
    stmt = scope.visible_products(actor).join(InsurerProduct.insurer).order_by(Organisation.name, InsurerProduct.code)
    if insurer_id is not None:
        stmt = stmt.where(InsurerProduct.insurer_id == insurer_id)
    if status is not None:
        stmt = stmt.where(InsurerProduct.status == status)
    rows = [p for p in session.execute(stmt).unique().scalars() if line is None or line in (p.lines or [])]
    if in_force is not None:
        rows = [p for p in rows if products.in_force(p, today) == in_force]
    return [product_out(p, today) for p in rows]


@router.get("/products/{product_id}", response_model=ProductOut, responses=NF)
def get_product(product_id: str, actor: ActorDep, session: SessionDep, clock: ClockDep) -> ProductOut:
    return product_out(scope.get_product(session, actor, product_id), today_local(clock))


@router.post("/products", response_model=ProductOut, status_code=201, responses=WRITE)
def create_product(body: ProductBody, actor: ActorDep, session: SessionDep, clock: ClockDep) -> ProductOut:
    """A new product of the underwriter's insurer, as a draft (publish it with ``/actions``)."""
    product = products.create_product(session, actor, body.data(), at=clock.now())
    session.refresh(product)
    return product_out(product, today_local(clock))


@router.put("/products/{product_id}", response_model=ProductOut, responses=WRITE)
def replace_product(
    product_id: str, body: ProductBody, actor: ActorDep, session: SessionDep, clock: ClockDep
) -> ProductOut:
    product = products.update_product(session, actor, product_id, body.data(), at=clock.now(), version=body.version)
    session.refresh(product)
    return product_out(product, today_local(clock))


@router.post("/products/{product_id}/actions", response_model=ProductOut, responses=WRITE)
def product_action(
    product_id: str, body: ProductAction, actor: ActorDep, session: SessionDep, clock: ClockDep
) -> ProductOut:
    product = products.change_status(session, actor, product_id, body.action, at=clock.now())
    session.refresh(product)
    return product_out(product, today_local(clock))


@router.get("/insurers", response_model=list[InsurerOut])
def list_insurers(actor: ActorDep, session: SessionDep) -> list[InsurerOut]:
    """Insurers with their standing (solvency ratio and risk rating, as disclosed)."""
    return [insurer_out(session, org) for org in products.visible_insurers(session, actor)]


@router.get("/insurers/{insurer_id}", response_model=InsurerOut, responses=NF)
def get_insurer(insurer_id: str, actor: ActorDep, session: SessionDep) -> InsurerOut:
    return insurer_out(session, products.get_insurer(session, actor, insurer_id))


@router.put("/insurers/{insurer_id}/standing", response_model=InsurerOut, responses=WRITE)
def set_standing(
    insurer_id: str, body: StandingBody, actor: ActorDep, session: SessionDep, clock: ClockDep
) -> InsurerOut:
    data = products.StandingData(body.solvency_ratio, body.risk_rating, body.as_of)
    products.set_standing(session, actor, insurer_id, data, at=clock.now(), today=today_local(clock))
    return insurer_out(session, products.get_insurer(session, actor, insurer_id))


@router.put("/insurers/{insurer_id}/underwriting", response_model=InsurerOut, responses=WRITE)
def set_underwriting(
    insurer_id: str, body: UnderwritingBody, actor: ActorDep, session: SessionDep, clock: ClockDep
) -> InsurerOut:
    """The insurer's underwriter declares its underwriting process (steps and turnaround), shown in the
    placement comparison (横评)."""
    data = products.UnderwritingData(body.steps, body.turnaround_days)
    products.set_underwriting(session, actor, insurer_id, data, at=clock.now())
    return insurer_out(session, products.get_insurer(session, actor, insurer_id))
