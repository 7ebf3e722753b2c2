"""The market part of the placement's case file (``placements/_market.html``, issue 15 items 3 and 6): the
disclosure and the mandate with the insured's acknowledgements, the submissions to insurers, the quotes
side by side and the insured's acceptance that binds the placement into a policy. Insurers never see this
card (they are not parties to the case); their pages are :mod:`tandem.web.submissions`. Every write goes
through :mod:`tandem.placement.market`, :mod:`tandem.placement.market_docs` or
:mod:`tandem.placement.binding`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.access.actor import Actor
from tandem.access.models import Organisation, OrgKind, Role
from tandem.case import service as case_service
from tandem.claim.models import PartyRole
from tandem.deps import ClockDep, SessionDep, SettingsDep
from tandem.kit.clock import local_day
from tandem.kit.errors import InvalidInput, NotFound, TandemError
from tandem.kit.i18n import N_, Phrase
from tandem.kit.limits import REASON_MAX
from tandem.placement import binding, market, market_docs, screening
from tandem.placement import service as placement_service
from tandem.placement.market_guard import missing_consents
from tandem.placement.market_models import ConsentKind
from tandem.placement.models import Placement, PlacementStatus
from tandem.placement.workflow import ADDABLE_STATES
from tandem.web import forms
from tandem.web.claims import FormDep, read_upload
from tandem.web.forms import FormState
from tandem.web.guards import CheckedActor
from tandem.web.placements import NOTICES, PANELS, done, page

router = APIRouter(include_in_schema=False)
ANCHOR = "going-to-market"
NOTICES.update(
    {
        "disclosure": N_("The client disclosure is given to the insured."),
        "mandate": N_("The written mandate is recorded for the insured to acknowledge."),
        "acknowledged": N_("Your acknowledgement is recorded."),
        "submitted": N_("The programme is submitted; each insurer sees only its own submission."),
        "bound": N_("The quote is accepted: the policy is issued and the placement is bound."),
    }
)


def _sides(session: Session, actor: Actor, placement: Placement) -> set[PartyRole]:
    return case_service.participant_roles(session, placement_service.case_of(session, placement), actor.org_id)


def _insurers(session: Session, placement: Placement) -> list[dict[str, Any]]:
    """The insurers the broker may approach, the shortlist's ticked."""
    saved = screening.shortlists(session, placement.id)
    kept = {str(k["insurer_id"]) for k in saved[0].kept} if saved else set()
    orgs = session.execute(
        select(Organisation).where(Organisation.kind == OrgKind.INSURER, Organisation.active.is_(True))
    ).scalars()
    return [{"id": str(o.id), "name": o.name, "kept": str(o.id) in kept} for o in orgs]


def panel(session: Session, actor: Actor, placement: Placement, now: dt.datetime, locale: str) -> dict[str, Any]:
    """The context of ``placements/_market.html`` (registered in the case file's ``PANELS``)."""
    sides = _sides(session, actor, placement)
    if not sides & {PartyRole.BROKER, PartyRole.INSURED, PartyRole.SUPERVISION}:
        return {"market": None}
    writer = not actor.read_only
    manager = writer and PartyRole.BROKER in sides and Role.BROKER_ACCOUNT_MANAGER in actor.roles
    insured = writer and PartyRole.INSURED in sides and Role.INSURED_CONTACT in actor.roles
    at_market = placement.status == PlacementStatus.TO_MARKET
    _, rows, cheapest = market.comparison(session, actor, placement.id, now)
    return {
        "market": {
            "consents": market.consents(session, placement.id),
            "missing": missing_consents(session, placement.id),
            "may_give": manager and placement.status in ADDABLE_STATES,
            "may_acknowledge": insured,
            "rows": rows,
            "cheapest": cheapest,
            "may_submit": manager and at_market,
            "insurers": _insurers(session, placement) if manager and at_market else [],
            "may_accept": insured and at_market,
            "adjusters": binding.designatable(session, actor, placement, now) if insured and at_market else [],
            "policy": binding.policy_of(session, placement.id),
            "today": local_day(now),
        }
    }


PANELS.append(panel)


def field_errors(exc: TandemError, state: FormState, default: str) -> object:
    """Each field's own message from the service (``sections[0].rate_permille``: "Enter a rate …"), or the
    error beside ``default``; the alert to show when no field is named (None otherwise)."""
    if exc.fields:
        # Words the service composed (``why``: a kit.i18n Phrase) are read in the page's language, not the API's.
        phrased = any(isinstance(v, Phrase) for v in exc.params.values())
        state.errors.update({k: exc if phrased else v for k, v in exc.fields.items()})
        return None
    if isinstance(exc, InvalidInput):
        state.errors[default] = exc
        return None
    return exc


def refused(session: Session, exc: TandemError, state: FormState, default: str) -> dict[str, Any]:
    """A service refused a form: roll back; the page's ``alert`` and ``status`` (messages beside fields)."""
    session.rollback()
    return {"alert": field_errors(exc, state, default), "status": exc.status}


def _fail(
    request: Request,
    actor: Actor,
    session: Session,
    clock: Any,
    pid: str,
    exc: TandemError,
    name: str,
    state: FormState,
    field: str,
) -> Response:
    """Show the case file again with the service's messages beside the form's fields."""
    return page(request, actor, session, clock, pid, states={name: state}, **refused(session, exc, state, field))


@router.post("/placements/{placement_id}/disclosure")
def give_disclosure(
    placement_id: str,
    request: Request,
    form: FormDep,
    actor: CheckedActor,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
) -> Response:
    """The account manager generates the client disclosure (客户告知书) and gives it to the insured."""
    keys = ("remuneration", "related_parties", "complaints")
    state = FormState(values={k: forms.text(form, k, REASON_MAX) for k in keys})
    try:
        kind = ConsentKind.DISCLOSURE
        market_docs.generate(session, settings, actor, placement_id, kind, state.values, now=clock.now())
    except TandemError as exc:
        return _fail(request, actor, session, clock, placement_id, exc, "disclosure", state, "remuneration")
    return done(placement_id, "disclosure", ANCHOR)


@router.post("/placements/{placement_id}/mandate")
def record_mandate(
    placement_id: str,
    request: Request,
    form: FormDep,
    actor: CheckedActor,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
) -> Response:
    """The written mandate (委托书): generated, or a signed scan uploaded (``op=upload``)."""
    state = FormState(values={"scope": forms.text(form, "scope", REASON_MAX), "op": forms.text(form, "op", 10)})
    try:
        if state.values["op"] == "upload":
            upload = read_upload(form, state)
            if upload is None:
                raise InvalidInput(fields={k: str(v) for k, v in state.errors.items()})
            market_docs.upload_mandate(session, settings, actor, placement_id, upload[0], upload[1], now=clock.now())
        else:
            kind = ConsentKind.MANDATE
            market_docs.generate(session, settings, actor, placement_id, kind, state.values, now=clock.now())
    except TandemError as exc:
        return _fail(request, actor, session, clock, placement_id, exc, "mandate", state, "scope")
    return done(placement_id, "mandate", ANCHOR)


@router.post("/placements/{placement_id}/consents/{kind}/acknowledge")
def acknowledge(
    placement_id: str, kind: str, request: Request, actor: CheckedActor, session: SessionDep, clock: ClockDep
) -> Response:
    """The insured acknowledges the disclosure or the mandate."""
    try:
        market.acknowledge(session, actor, placement_id, kind, now=clock.now())
    except TandemError as exc:
        return _fail(request, actor, session, clock, placement_id, exc, "consent", FormState(), "consent")
    return done(placement_id, "acknowledged", ANCHOR)


@router.post("/placements/{placement_id}/submissions")
def submit(
    placement_id: str, request: Request, form: FormDep, actor: CheckedActor, session: SessionDep, clock: ClockDep
) -> Response:
    """The account manager submits the programme to the insurers ticked."""
    ids = [v for v in form.getlist("insurer_ids") if isinstance(v, str)][: market.MAX_INSURERS]
    state = FormState(values={"answer_days": forms.text(form, "answer_days", 3)})
    days = state.values["answer_days"]
    try:
        if not days.isdigit():
            raise InvalidInput(market.BAD_DAYS, fields={"answer_days": market.BAD_DAYS})
        market.submit(session, actor, placement_id, insurer_ids=ids, answer_days=int(days), now=clock.now())
    except TandemError as exc:
        return _fail(request, actor, session, clock, placement_id, exc, "submit", state, "insurer_ids")
    return done(placement_id, "submitted", ANCHOR)


@router.post("/placements/{placement_id}/quotes/{quote_id}/accept")
def accept(
    placement_id: str,
    quote_id: str,
    request: Request,
    form: FormDep,
    actor: CheckedActor,
    session: SessionDep,
    clock: ClockDep,
) -> Response:
    """The insured accepts a quote (with the adjuster it designates for claims, if any): bound."""
    placement = placement_service.get_placement(session, actor, placement_id)
    state = FormState(values={"designated_adjuster_id": forms.text(form, "designated_adjuster_id", 40)})
    try:
        sub, _quote = market.get_quote(session, actor, quote_id)
        if sub.case_id != placement.id:
            raise NotFound()
        adjuster = state.values["designated_adjuster_id"] or None
        binding.accept(session, actor, quote_id, designated_adjuster_id=adjuster, now=clock.now())
    except TandemError as exc:
        return _fail(request, actor, session, clock, placement_id, exc, "accept", state, "designated_adjuster_id")
    return RedirectResponse(f"/placements/{placement_id}?done=bound#{ANCHOR}", 303)
