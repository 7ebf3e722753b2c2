"""Insurers' products (pages): the catalogue each party may read, the insurer's underwriters' form
(field errors beside the fields, the same service checks as the API), publish/withdraw, and the
insurer's standing (solvency ratio and risk rating).

Every product is fetched through ``tandem.access.scope``; writes go through ``tandem.party.products``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from tandem.access import scope
from tandem.access.actor import Actor
from tandem.access.models import Organisation, OrgKind
from tandem.access.permissions import Perm
from tandem.deps import ClockDep, SessionDep
from tandem.kit.clock import today_local
from tandem.kit.errors import ActionNotAllowed, NotFound, TandemError
from tandem.kit.i18n import N_
from tandem.party import cover, products
from tandem.party.models import Insurer, InsurerProduct, ProductStatus
from tandem.web import forms
from tandem.web.guards import CheckedActor, PageActor
from tandem.web.render import render

router = APIRouter(include_in_schema=False)

BAD_DATE = N_("Enter a date as YYYY-MM-DD.")  # the same msgid as the blacklist form's
NOT_SAVED = N_("The product was not saved. Please correct the fields marked below.")
DONE = {
    "created": N_("The product was saved as a draft."),
    "updated": N_("The product was saved."),
    "publish": N_("The product is published: brokers can see it."),
    "withdraw": N_("The product is withdrawn: it is no longer offered."),
    "standing": N_("The standing was saved."),
    "underwriting": N_("The underwriting process was saved; brokers' comparisons show it."),
}
READERS = frozenset({OrgKind.BROKER, OrgKind.INSURER, OrgKind.SUPERVISION, OrgKind.PLATFORM})
EMPTY_ROWS = 2  # blank rate and factor rows offered below the filled ones


async def form_data(request: Request) -> FormData:
    return await request.form(max_part_size=64 * 1024)


FormDep = Annotated[FormData, Depends(form_data)]


def writes(actor: Actor) -> bool:
    return actor.org_kind == OrgKind.INSURER and actor.can(Perm.MANAGE_PRODUCTS)


@dataclass
class ProductForm:
    """The form's values as typed (strings), rows compacted, and the errors by field path."""

    values: dict[str, Any] = field(default_factory=dict)
    rates: list[dict[str, str]] = field(default_factory=list)
    factors: list[dict[str, str]] = field(default_factory=list)
    perils: dict[str, str] = field(default_factory=dict)  # peril code -> covered | excluded
    lines: list[str] = field(default_factory=list)
    errors: dict[str, object] = field(default_factory=dict)
    alert: object | None = None


def _fmt(value: Decimal | None) -> str:
    return "" if value is None else format(value, "f")


def form_of(p: InsurerProduct | None) -> ProductForm:
    if p is None:
        return ProductForm(values={"currency": "CNY", "short_period": "table", "fund_mode": "traditional"})
    data = products.data_of(p)
    perils = {c: "covered" for c in data.perils_covered} | {c: "excluded" for c in data.perils_excluded}
    return ProductForm(
        values={
            "code": data.code,
            "name": data.name,
            "fund_mode": data.fund_mode,
            "summary": data.summary,
            "currency": data.currency,
            "capacity": _fmt(data.capacity),
            "coefficient_min": _fmt(data.coefficient_min),
            "coefficient_max": _fmt(data.coefficient_max),
            "minimum_premium": _fmt(data.minimum_premium),
            "short_period": data.short_period,
            "valid_from": data.valid_from.isoformat() if data.valid_from else "",
            "valid_until": data.valid_until.isoformat() if data.valid_until else "",
            "version": str(p.version),
        },
        rates=[{"section_type": r.section_type, "rate_permille": _fmt(r.rate_permille)} for r in data.rates],
        factors=[{"code": f.code, "min": _fmt(f.min), "max": _fmt(f.max)} for f in data.factors],
        perils=perils,
        lines=list(data.lines),
    )


def _rows(form: Mapping[str, Any], prefix: str, keys: tuple[str, ...]) -> list[dict[str, str]]:
    """The filled rows ``prefix[i].key`` in order, blank ones left out (so the paths are renumbered)."""
    rows = []
    for i in range(60):
        row = {k: forms.text(form, f"{prefix}[{i}].{k}", 60) for k in keys}
        if any(row.values()):
            rows.append(row)
    return rows


def _decimal(value: str, errors: dict[str, object], name: str) -> Decimal | None:
    if not value:
        return None
    found = forms.decimal(value)
    if found is None:
        errors[name] = forms.BAD_NUMBER
    return found


def _date(value: str, errors: dict[str, object], name: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        errors[name] = BAD_DATE
        return None


def parse(form: FormData) -> tuple[ProductForm, products.ProductData]:
    """The posted form as data for the service; typing errors (not a number, not a date) are kept aside."""
    view = ProductForm()
    names = [
        *("code", "name", "fund_mode", "currency", "capacity", "coefficient_min", "coefficient_max"),
        *("minimum_premium", "short_period", "valid_from", "valid_until", "version"),
    ]
    view.values = {n: forms.text(form, n, 400) for n in names}
    view.values["summary"] = forms.text(form, "summary", 4000)
    view.lines = [v for v in form.getlist("lines") if isinstance(v, str)]
    view.perils = {c: forms.text(form, f"peril.{c}", 20) for c in cover.PERILS}
    view.perils = {c: v for c, v in view.perils.items() if v in ("covered", "excluded")}
    view.rates = _rows(form, "rates", ("section_type", "rate_permille"))
    view.factors = _rows(form, "factors", ("code", "min", "max"))
    e = view.errors
    v = view.values
    data = products.ProductData(
        code=v["code"],
        name=v["name"],
        lines=view.lines,
        fund_mode=v["fund_mode"],
        summary=v["summary"],
        perils_covered=[c for c, s in view.perils.items() if s == "covered"],
        perils_excluded=[c for c, s in view.perils.items() if s == "excluded"],
        currency=v["currency"] or "CNY",
        capacity=_decimal(v["capacity"], e, "capacity"),
        rates=[
            products.Rate(r["section_type"], _decimal(r["rate_permille"], e, f"rates[{i}].rate_permille"))  # type: ignore[arg-type]
            for i, r in enumerate(view.rates)
        ],
        factors=[
            products.FactorRange(
                f["code"],
                _decimal(f["min"], e, f"factors[{i}].min"),  # type: ignore[arg-type]
                _decimal(f["max"], e, f"factors[{i}].max"),  # type: ignore[arg-type]
            )
            for i, f in enumerate(view.factors)
        ],
        coefficient_min=_decimal(v["coefficient_min"], e, "coefficient_min"),
        coefficient_max=_decimal(v["coefficient_max"], e, "coefficient_max"),
        minimum_premium=_decimal(v["minimum_premium"], e, "minimum_premium") if v["minimum_premium"] else Decimal(0),
        short_period=v["short_period"],
        valid_from=_date(v["valid_from"], e, "valid_from"),
        valid_until=_date(v["valid_until"], e, "valid_until"),
    )
    return view, data


def _form_page(request: Request, product: InsurerProduct | None, view: ProductForm, status: int = 200) -> Response:
    return render(
        request,
        "products/form.html",
        {
            "product": product,
            "view": view,
            "lines": cover.LINES,
            "perils": list(cover.PERILS),
            "section_types": list(cover.SECTION_TYPES),
            "rating_factors": list(cover.RATING_FACTORS),
            "fund_modes": list(cover.FUND_MODES),
            "short_periods": ["table", "monthly", "daily", "none"],
            "currencies": ["CNY", "USD", "EUR", "HKD", "GBP"],
            "empty_rows": EMPTY_ROWS,
        },
        status=status,
    )


def _save(
    request: Request,
    actor: Actor,
    session: Session,
    clock: ClockDep,
    form: FormData,
    product: InsurerProduct | None,
) -> Response:
    view, data = parse(form)
    failed = dict(view.errors)
    try:
        if failed:  # typing errors first; the service's checks add what else is wrong
            view.errors = {**products.validate(data), **failed}
            return _form_page(request, product, view, 422)
        if product is None:
            saved = products.create_product(session, actor, data, at=clock.now())
            done = "created"
        else:
            version = int(view.values["version"]) if view.values.get("version", "").isdigit() else None
            saved = products.update_product(session, actor, product.id, data, at=clock.now(), version=version)
            done = "updated"
    except TandemError as exc:
        session.rollback()
        if exc.fields:
            view.errors = dict(exc.fields)
        view.alert = exc if exc.status != 422 else NOT_SAVED
        return _form_page(request, product, view, exc.status)
    return RedirectResponse(f"/products/{saved.id}?done={done}", 303)


def _standing(session: Session, org: Organisation) -> Insurer | None:
    return session.get(Insurer, org.id)


@router.get("/products")
def product_list(
    request: Request,
    actor: PageActor,
    session: SessionDep,
    clock: ClockDep,
    done: Annotated[str | None, Query()] = None,
) -> Response:
    """The catalogue: an insurer's underwriters keep theirs here; brokers and supervision read all offered."""
    return _list_page(request, actor, session, clock, forms.FormState(), DONE.get(done or ""))


def _list_page(
    request: Request,
    actor: Actor,
    session: Session,
    clock: ClockDep,
    standing_form: forms.FormState,
    notice: str | None,
    status: int = 200,
    underwriting_form: forms.FormState | None = None,
) -> Response:
    if actor.org_kind not in READERS:
        raise NotFound()
    today = today_local(clock)
    rows = list(
        session.execute(
            scope.visible_products(actor)
            .join(InsurerProduct.insurer)
            .order_by(Organisation.name, InsurerProduct.status, InsurerProduct.code)
        )
        .unique()
        .scalars()
    )
    groups: list[tuple[Organisation, Insurer | None, list[InsurerProduct]]] = []
    for p in rows:
        if not groups or groups[-1][0].id != p.insurer_id:
            groups.append((p.insurer, _standing(session, p.insurer), []))
        groups[-1][2].append(p)
    own = next((g for g in groups if g[0].id == actor.org_id), None)
    if own is None and actor.org_kind == OrgKind.INSURER:
        org = session.get(Organisation, actor.org_id)
        own = (org, _standing(session, org), []) if org else None
    return render(
        request,
        "products/list.html",
        {
            "groups": [g for g in groups if g is not own],
            "own": own,
            "writes": writes(actor),
            "today": today,
            "in_force": products.in_force,
            "notice": notice,
            "standing_form": standing_form,
            "underwriting_form": underwriting_form or forms.FormState(),
            "ratings": list(cover.RISK_RATINGS),
        },
        status=status,
    )


@router.post("/products/standing")
def standing_save(
    request: Request, actor: CheckedActor, session: SessionDep, clock: ClockDep, form: FormDep
) -> Response:
    """The insurer's solvency ratio and risk rating, as last disclosed (its underwriters only)."""
    if not writes(actor):
        raise ActionNotAllowed()
    state = forms.FormState(values={n: forms.text(form, n, 40) for n in ("solvency_ratio", "risk_rating", "as_of")})
    ratio = forms.number(state.values["solvency_ratio"].rstrip("%％"), state.errors, "solvency_ratio")
    as_of = _date(state.values["as_of"], state.errors, "as_of")
    data = products.StandingData(ratio, state.values["risk_rating"], as_of)
    try:
        if state.errors:
            state.errors = {**products.validate_standing(data, today_local(clock)), **state.errors}
        else:
            products.set_standing(session, actor, actor.org_id, data, at=clock.now(), today=today_local(clock))
    except TandemError as exc:
        session.rollback()
        if exc.status != 422:
            raise
        state.errors = dict(exc.fields or {})
    if state.errors:
        return _list_page(request, actor, session, clock, state, None, 422)
    return RedirectResponse("/products?done=standing", 303)


@router.post("/products/underwriting")
def underwriting_save(
    request: Request, actor: CheckedActor, session: SessionDep, clock: ClockDep, form: FormDep
) -> Response:
    """The insurer's declared underwriting process (承保流程): steps one per line, turnaround in working
    days (its underwriters only); shown in the brokers' comparisons (横评)."""
    if not writes(actor):
        raise ActionNotAllowed()
    state = forms.FormState(
        values={"steps": forms.text(form, "steps", 4000), "turnaround_days": forms.text(form, "turnaround_days", 10)}
    )
    days = state.values["turnaround_days"]
    steps = [line.strip() for line in state.values["steps"].splitlines() if line.strip()]
    data = products.UnderwritingData(steps, int(days) if days.isdigit() else None)
    try:
        products.set_underwriting(session, actor, actor.org_id, data, at=clock.now())
    except TandemError as exc:
        session.rollback()
        if exc.status != 422:
            raise
        state.errors = {k.split("[")[0]: v for k, v in (exc.fields or {}).items()}
        return _list_page(request, actor, session, clock, forms.FormState(), None, 422, underwriting_form=state)
    return RedirectResponse("/products?done=underwriting", 303)


@router.get("/products/new")
def product_new(request: Request, actor: PageActor) -> Response:
    if not writes(actor):
        raise ActionNotAllowed()
    return _form_page(request, None, form_of(None))


@router.post("/products/new")
def product_create(
    request: Request, actor: CheckedActor, session: SessionDep, clock: ClockDep, form: FormDep
) -> Response:
    return _save(request, actor, session, clock, form, None)


@router.get("/products/{product_id}")
def product_page(
    product_id: str,
    request: Request,
    actor: PageActor,
    session: SessionDep,
    clock: ClockDep,
    done: Annotated[str | None, Query()] = None,
) -> Response:
    product = scope.get_product(session, actor, product_id)
    own = writes(actor) and product.insurer_id == actor.org_id
    return render(
        request,
        "products/detail.html",
        {
            "p": product,
            "record": _standing(session, product.insurer),
            "own": own,
            "actions": sorted(a for (s, a) in products.PRODUCT_RULES if s == product.status.value and own),
            "in_force": products.in_force(product, today_local(clock)),
            "notice": DONE.get(done or ""),
            "frozen": product.status == ProductStatus.WITHDRAWN,
        },
    )


@router.get("/products/{product_id}/edit")
def product_edit(product_id: str, request: Request, actor: PageActor, session: SessionDep) -> Response:
    product = products.own_product(session, actor, product_id)
    return _form_page(request, product, form_of(product))


@router.post("/products/{product_id}/edit")
def product_update(
    product_id: str, request: Request, actor: CheckedActor, session: SessionDep, clock: ClockDep, form: FormDep
) -> Response:
    product = products.own_product(session, actor, product_id)
    return _save(request, actor, session, clock, form, product)


@router.post("/products/{product_id}/actions")
def product_action(
    product_id: str, request: Request, actor: CheckedActor, session: SessionDep, clock: ClockDep, form: FormDep
) -> Response:
    action = forms.text(form, "action", 20)
    products.change_status(session, actor, product_id, action, at=clock.now())
    return RedirectResponse(f"/products/{product_id}?done={action}", 303)
