"""Policies entered by hand (issue 19 item 6): a broker's account manager records a policy placed outside
the platform — parties, period, currency, premium, the designated adjuster (refused as any routing
choice, ``policy.service.designation_refusal``) and its sections with sums insured, deductibles, limits
and the amount engine's options — every refusal beside its field. The fields are read by
``policy.entry``, as the book import reads them. A draft entered by hand can be edited; a policy in force
changes only through a mid-term change (批改), so the cover claims read is never rewritten."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from tandem.access import scope
from tandem.access.actor import Actor
from tandem.access.models import Organisation, OrgKind
from tandem.access.permissions import Perm
from tandem.deps import ClockDep, SessionDep
from tandem.kit.errors import ActionNotAllowed, TandemError
from tandem.kit.i18n import N_
from tandem.party import cover
from tandem.party.models import Adjuster, InsurerProduct, ProductStatus
from tandem.policy import entry, service
from tandem.policy.models import Policy
from tandem.web import forms
from tandem.web.claims import FormDep
from tandem.web.guards import CheckedActor, PageActor
from tandem.web.registry import POLICY_NOTICES, POLICY_PANELS
from tandem.web.render import render

router = APIRouter(include_in_schema=False)

CHOOSE_INSURED = N_("Choose the insured.")
CHOOSE_INSURER = N_("Choose the insurer.")
ONE_SECTION = N_("Enter at least one section.")
NOT_SAVED = N_("The policy was not saved. Please correct the fields marked below.")
POLICY_NOTICES.update({"entered": N_("The policy was saved."), "edited": N_("The draft policy was saved.")})
ROWS = 12  # section rows the form reads
BLANK_ROWS = 2  # empty rows offered below the filled ones
TERMS = ("number", "line", "currency", "period_start", "period_end", "premium")
PARTIES = ("insured_id", "insurer_id", "product_id", "designated_adjuster_id")


def may_enter(actor: Actor) -> bool:
    return actor.org_kind == OrgKind.BROKER and actor.can(Perm.MANAGE_POLICIES)


@dataclass
class PolicyForm(forms.FormState):
    """The form's values as typed, its section rows (blank ones left out) and the errors by field path."""

    sections: list[dict[str, str]] = field(default_factory=list)
    alert: object = None


def _text(value: Any) -> str:
    return "" if value is None else format(value, "f") if not isinstance(value, str) else value


def _percent(rate: Decimal | None) -> str:
    return "" if rate is None else f"{format((rate * 100).normalize(), 'f')}%"


def form_of(policy: Policy | None) -> PolicyForm:
    if policy is None:
        return PolicyForm(values={"currency": "CNY", "in_force": "1"})
    values = {k: _text(getattr(policy, k)) for k in TERMS if k not in ("period_start", "period_end")}
    values.update({k: str(getattr(policy, k) or "") for k in PARTIES})
    values.update(period_start=policy.period_start.isoformat(), period_end=policy.period_end.isoformat())
    rows = []
    for s in policy.sections:
        row = {k: _text(getattr(s, k, None)) for k in ("code", "name", *entry.MONEY_FIELDS)}
        row["deductible_rate"] = _percent(s.deductible_rate)
        row.update({k: str(v).lower() for k, v in (s.options or {}).items() if k in entry.OPTION_CHOICES})
        ratio = (s.options or {}).get("liability_ratio")
        row["liability_ratio"] = _percent(None if ratio is None else Decimal(str(ratio)))
        rows.append(row)
    return PolicyForm(values=values, sections=rows)


def parse(form: FormData) -> tuple[PolicyForm, entry.PolicyFields | None, list[service.SectionInput]]:
    view = PolicyForm(values={n: forms.text(form, n, 200) for n in (*TERMS, *PARTIES, "in_force")})
    for i in range(ROWS):
        row = {k: forms.text(form, f"sections[{i}].{k}", 200) for k in entry.SECTION_FIELDS}
        if any(row.values()):
            view.sections.append(row)
    e = view.errors
    fields = entry.policy_fields(view.values, e)
    sections = [entry.section(row, e, f"sections[{i}].") for i, row in enumerate(view.sections)]
    if not view.sections:
        e["sections"] = ONE_SECTION
    for name, problem in (("insured_id", CHOOSE_INSURED), ("insurer_id", CHOOSE_INSURER)):
        if forms.uuid_or_none(view.values[name]) is None:
            e[name] = problem
    return view, fields, [s for s in sections if s is not None]


def _choices(session: Session, actor: Actor) -> dict[str, Any]:
    insureds = session.execute(scope.visible_insureds(actor)).scalars()
    insurers = session.execute(
        select(Organisation).where(Organisation.kind == OrgKind.INSURER, Organisation.active.is_(True))
    ).scalars()
    products = session.execute(
        scope.visible_products(actor).where(InsurerProduct.status == ProductStatus.PUBLISHED)
    ).scalars()
    adjusters = session.execute(scope.register_adjusters(actor).order_by(Adjuster.firm_id, Adjuster.name)).scalars()
    return {
        "insureds": sorted(((str(i.organisation_id), i.organisation.name) for i in insureds), key=lambda x: x[1]),
        "insurers": sorted((str(o.id), o.name) for o in insurers),
        "products": [(str(p.id), f"{p.insurer.name} · {p.name}") for p in products],
        "adjusters": [(str(a.id), f"{a.name} · {a.firm.organisation.name}") for a in adjusters],
        "lines": cover.LINES,
        "currencies": entry.CURRENCIES,
        "option_choices": entry.OPTION_CHOICES,
        "money_fields": entry.MONEY_FIELDS,
    }


def _page(
    request: Request, actor: Actor, session: Session, policy: Policy | None, view: PolicyForm, status: int = 200
) -> Response:
    if not may_enter(actor):
        raise ActionNotAllowed()
    rows = [*view.sections, *({} for _ in range(BLANK_ROWS))][: max(ROWS, len(view.sections))]
    ctx = {"policy": policy, "view": view, "rows": rows, **_choices(session, actor)}
    return render(request, "policies/form.html", ctx, status=status)


def _save(
    request: Request, actor: Actor, session: Session, clock: ClockDep, form: FormData, policy: Policy | None
) -> Response:
    if not may_enter(actor):
        raise ActionNotAllowed()
    view, fields, sections = parse(form)
    if view.errors or fields is None:
        view.alert = NOT_SAVED
        return _page(request, actor, session, policy, view, 422)
    ids = {k: forms.uuid_or_none(view.values[k]) for k in PARTIES}
    terms = {**fields.terms(), **ids}
    try:
        if policy is None:
            saved = service.create_policy(
                session, actor, sections=sections, at=clock.now(), extra={"premium": fields.premium}, **terms
            )
            if view.values.get("in_force"):
                service.apply(session, actor, saved, "bind", at=clock.now())
        else:
            saved = service.update_draft(
                session, actor, policy.id, at=clock.now(), sections=sections, premium=fields.premium, **terms
            )
    except TandemError as exc:
        session.rollback()
        why = exc.params.get("why")
        view.errors = {name: why or forms.readable(exc) for name in exc.fields or {}}
        view.alert = NOT_SAVED if exc.fields else exc
        return _page(request, actor, session, policy, view, exc.status)
    return RedirectResponse(f"/policies/{saved.id}?done={'edited' if policy else 'entered'}", 303)


@router.get("/policies/new")
def policy_new(request: Request, actor: PageActor, session: SessionDep) -> Response:
    return _page(request, actor, session, None, form_of(None))


@router.post("/policies/new")
def policy_create(
    request: Request, actor: CheckedActor, session: SessionDep, clock: ClockDep, form: FormDep
) -> Response:
    return _save(request, actor, session, clock, form, None)


def _draft(session: Session, actor: Actor, policy_id: str) -> Policy:
    policy = scope.get_policy(session, actor, policy_id)
    if not service.editable(actor, policy):
        raise ActionNotAllowed()
    return policy


@router.get("/policies/{policy_id}/edit")
def policy_edit(policy_id: str, request: Request, actor: PageActor, session: SessionDep) -> Response:
    policy = _draft(session, actor, policy_id)
    return _page(request, actor, session, policy, form_of(policy))


@router.post("/policies/{policy_id}/edit")
def policy_update(
    policy_id: str, request: Request, actor: CheckedActor, session: SessionDep, clock: ClockDep, form: FormDep
) -> Response:
    return _save(request, actor, session, clock, form, _draft(session, actor, policy_id))


def _panel(session: Session, actor: Actor, policy: Policy, now: dt.datetime) -> dict[str, Any]:
    return {"can_edit": service.editable(actor, policy)}


POLICY_PANELS.append(_panel)
