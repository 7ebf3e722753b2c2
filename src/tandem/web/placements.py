"""Placement pages (投保项目): the list per role, the account manager's opening form, and the case file
working like a claim's (timeline, message threads per audience, documents with hashes, deadlines with who
holds the ball, next actions from ``PLACEMENT_RULES``). Every placement is fetched through the access
chokepoint (``placement.service.get_placement``): an outsider gets the same 404 page as for a missing id.

The parts of R-U1..R-U4 are partials of the case file (``placements/_selection.html``, ``_report.html``,
``_risk.html``); their modules add a context builder to ``PANELS`` and notices to ``NOTICES``, and use
``page``/``done``/``failed`` for their forms."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tandem.access import scope
from tandem.access.actor import Actor
from tandem.access.models import Organisation, OrgKind, Role, User
from tandem.case import service as case_service
from tandem.case.audience import UPLOAD_CHANNELS
from tandem.case.audience import viewer as case_viewer
from tandem.claim.models import PartyRole
from tandem.deps import ClockDep, SessionDep, SettingsDep
from tandem.kit.clock import Clock
from tandem.kit.errors import ActionNotAllowed, Conflict, InvalidInput, TandemError
from tandem.kit.i18n import N_
from tandem.party.cover import LINES, SECTION_TYPES
from tandem.party.models import Insured
from tandem.placement import service
from tandem.placement.market import visible_deadline
from tandem.placement.models import Placement, PlacementStatus
from tandem.placement.workflow import ADDABLE_STATES
from tandem.routing.service import PROVINCES
from tandem.web import cases, forms
from tandem.web.claims import FormBag, FormDep, document_response, read_message, read_upload
from tandem.web.forms import FormState
from tandem.web.guards import CheckedActor, PageActor
from tandem.web.render import render, request_locale

router = APIRouter(include_in_schema=False)
S = PlacementStatus
K = OrgKind

# Who holds the ball in each state (a ``party`` label), and the steps of the progress bar.
HOLDER: dict[str, str] = {
    S.OPENED: "broker",
    S.AWAITING_CHOICE: "insured",
    S.CHOSEN: "broker",
    S.LETTER_ISSUED: "adjuster_firm",
    S.SURVEYING: "adjuster_firm",
    S.REPORTED: "broker",
    S.DECIDING: "insured",
}
PROGRESS = [s.value for s in S if s != S.WITHDRAWN]
# Where on the page each next action is taken (the partial that owns it).
ACTION_ANCHOR = {
    "explain": "selection",
    "choose": "selection",
    "issue_letter": "selection",
    "accept": "selection",
    "decline": "selection",
    "submit_report": "pre-assessment",
    "publish_register": "risk",
    "go_to_market": "market",
    "withdraw": "withdraw",
}
TABS = ("all", *PROGRESS, S.WITHDRAWN.value)
# Actions with their own form on the case file (the rest link to the part of the page that owns them).
OWN_FORMS = frozenset({"withdraw", "go_to_market"})
MY_SIDE = {K.BROKER: "broker", K.INSURED: "insured", K.ADJUSTER_FIRM: "adjuster_firm"}

NOTICES: dict[str, str] = {
    "opened": N_("The placement is opened. The insured's contacts see it now."),
    "message": N_("Your message was posted."),
    "uploaded": N_("The file was uploaded."),
    "contact": N_("The site contact was added."),
    "withdrawn": N_("The placement is withdrawn."),
    "market": N_("The placement has gone to market; the risk decisions are frozen."),
}
CHECK_FIELDS = N_("Nothing was saved. Please correct the fields marked below.")
WITHDRAW_REASON = N_("Say why the placement is withdrawn.")

# Context builders of the partials of the other parts (selection, report, risk): each is called as
# ``panel(session, actor, placement, now, locale)`` and returns the variables its partial uses.
Panel = Callable[[Session, Actor, Placement, dt.datetime, str], dict[str, Any]]
PANELS: list[Panel] = []


# ---- the list and the work queue -----------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Row:
    placement: Placement
    holder: str | None
    total: Decimal
    my_turn: bool


def holder(placement: Placement) -> str | None:
    return HOLDER.get(placement.status)


def _my_turn(session: Session, actor: Actor, placement: Placement) -> bool:
    """The ball is with the actor's side and the actor may move it (withdrawing aside)."""
    if MY_SIDE.get(actor.org_kind) != holder(placement):
        return False
    return bool(service.allowed(session, actor, placement, guards=False) - {"withdraw"})


def rows(session: Session, actor: Actor, placements: list[Placement]) -> list[Row]:
    return [
        Row(p, holder(p), service.total_sum_insured(p), _my_turn(session, actor, p) if p.status in HOLDER else False)
        for p in placements
    ]


def status_counts(session: Session, actor: Actor) -> dict[str, int]:
    visible = service.visible_placements(actor).subquery()
    counts = {
        str(getattr(status, "value", status)): n
        for status, n in session.execute(select(visible.c.status, func.count()).group_by(visible.c.status))
    }
    return {"all": sum(counts.values()), **{t: counts.get(t, 0) for t in TABS if t != "all"}}


def my_turn(session: Session, actor: Actor, limit: int = 5) -> tuple[list[Row], int]:
    """The placements waiting for the actor's move (home page), newest first, and how many there are."""
    waiting = [r for r in rows(session, actor, service.list_placements(session, actor)) if r.my_turn]
    return waiting[:limit], len(waiting)


# Who has a placements queue on the home page: the parties that move a placement, and supervision, which
# reads the pre-assessment reports copied to it.
QUEUE_KINDS = frozenset({K.BROKER, K.INSURED, K.ADJUSTER_FIRM, K.SUPERVISION})


@dataclasses.dataclass(frozen=True)
class HomeQueue:
    rows: list[Row]  # waiting for the actor's move (supervision: the latest it can read)
    waiting: int
    active: int  # placements in progress
    read_only: bool
    can_open: bool


def home_queue(session: Session, actor: Actor, limit: int = 5) -> HomeQueue:
    """The home page's placements: the ones waiting for this actor, or for supervision the latest copies."""
    counts = status_counts(session, actor)
    active = sum(counts.get(s.value, 0) for s in S if s in HOLDER)
    if actor.read_only:
        latest = rows(session, actor, service.list_placements(session, actor, limit=limit))
        return HomeQueue(latest, 0, active, True, False)
    waiting, count = my_turn(session, actor, limit)
    return HomeQueue(waiting, count, active, False, can_open(actor))


def can_open(actor: Actor) -> bool:
    return actor.org_kind == K.BROKER and Role.BROKER_ACCOUNT_MANAGER in actor.roles


@router.get("/placements")
def placement_list(
    request: Request,
    actor: PageActor,
    session: SessionDep,
    status: Annotated[str, Query(max_length=20)] = "all",
) -> Response:
    tab = status if status in TABS else "all"
    found = service.list_placements(session, actor, status=None if tab == "all" else PlacementStatus(tab))
    return render(
        request,
        "placements/list.html",
        {
            "rows": rows(session, actor, found),
            "tab": tab,
            "tabs": TABS,
            "counts": status_counts(session, actor),
            "can_open": can_open(actor),
        },
    )


# ---- opening a placement -------------------------------------------------------------------------

_SUBJECT_FIELD = re.compile(r"^sites\[(\d{1,2})\]\.(?:sections\[(\d{1,2})\]\.)?([a-z_]+)$")
SITE_KEYS = ("name", "address", "province", "occupancy", "construction")
SECTION_KEYS = ("type", "description", "sum_insured")


def _blank_site() -> dict[str, Any]:
    return {**dict.fromkeys(SITE_KEYS, ""), "sections": [dict.fromkeys(SECTION_KEYS, "")]}


def read_sites(form: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The repeatable rows of the form (``sites[0].sections[1].sum_insured``) as the service takes them."""
    found: dict[int, dict[str, Any]] = {}
    for key in form:
        m = _SUBJECT_FIELD.match(key)
        if m is None:
            continue
        site = found.setdefault(int(m[1]), {**dict.fromkeys(SITE_KEYS, ""), "sections": {}})
        if m[2] is None and m[3] in SITE_KEYS:
            site[m[3]] = forms.text(form, key, 300)
        elif m[2] is not None and m[3] in SECTION_KEYS:
            site["sections"].setdefault(int(m[2]), dict.fromkeys(SECTION_KEYS, ""))[m[3]] = forms.text(form, key, 500)
    return [
        {
            **{k: v for k, v in site.items() if k != "sections"},
            "sections": [s for _, s in sorted(site["sections"].items())],
        }
        for _, site in sorted(found.items())
    ]


def _edit_rows(sites: list[dict[str, Any]], command: str) -> list[dict[str, Any]]:
    """Add or remove a site or a section (the form's row buttons; works without JavaScript)."""
    verb, _, where = command.partition(":")
    at = [int(x) for x in where.split(":") if x.isdigit()]
    if verb == "add-site" and len(sites) < service.MAX_SITES:
        sites.append(_blank_site())
    elif verb == "add-section" and at and at[0] < len(sites) and len(sites[at[0]]["sections"]) < service.MAX_SECTIONS:
        sites[at[0]]["sections"].append(dict.fromkeys(SECTION_KEYS, ""))
    elif verb == "remove-site" and at and at[0] < len(sites) and len(sites) > 1:
        sites.pop(at[0])
    elif verb == "remove-section" and len(at) == 2 and at[0] < len(sites):
        sections = sites[at[0]]["sections"]
        if at[1] < len(sections) and len(sections) > 1:
            sections.pop(at[1])
    return sites


def _new_page(
    request: Request, actor: Actor, session: Session, state: FormState, sites: list[dict[str, Any]], status: int = 200
) -> Response:
    if not can_open(actor):
        raise ActionNotAllowed()
    insureds = list(
        session.execute(scope.visible_insureds(actor).join(Insured.organisation).order_by(Organisation.name))
        .unique()
        .scalars()
    )
    return render(
        request,
        "placements/new.html",
        {
            "f": state,
            "sites": sites,
            "insureds": insureds,
            "lines": LINES,
            "provinces": PROVINCES,
            "section_types": list(SECTION_TYPES),
            "alert": CHECK_FIELDS if state.errors else None,
        },
        status=status,
    )


@router.get("/placements/new")
def new_form(
    request: Request,
    actor: PageActor,
    session: SessionDep,
    insured: Annotated[str, Query(max_length=40)] = "",
) -> Response:
    return _new_page(request, actor, session, FormState({"insured_id": insured, "lines": []}), [_blank_site()])


@router.post("/placements/new")
def new_submit(request: Request, actor: CheckedActor, session: SessionDep, clock: ClockDep, form: FormDep) -> Response:
    """Open a placement: the errors come back beside the fields (422); the row buttons redraw the form."""
    if not can_open(actor):
        raise ActionNotAllowed()
    values: dict[str, Any] = {
        k: forms.text(form, k, 200) for k in ("insured_id", "title", "period_start", "period_end")
    }
    values["lines"] = [x for x in form.getlist("lines") if isinstance(x, str)]
    sites = read_sites(form) or [_blank_site()]
    command = forms.text(form, "rows", 40)
    if command:
        return _new_page(request, actor, session, FormState(values), _edit_rows(sites, command))
    try:
        placement = service.open_placement(session, actor, {**values, "sites": sites}, clock.now())
    except InvalidInput as exc:
        session.rollback()
        state = FormState(values, dict((exc.fields or {"title": exc.message}).items()))
        return _new_page(request, actor, session, state, sites, 422)
    return RedirectResponse(f"/placements/{placement.id}?done=opened", 303)


# ---- the case file -------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Actions:
    next: list[tuple[str, str]]  # (action, anchor on the page)
    message_audiences: list[str]
    upload_audiences: list[str]
    add_contact: bool
    withdraw: bool
    go_to_market: bool

    @property
    def any(self) -> bool:
        return bool(self.next) or self.go_to_market


@dataclasses.dataclass(frozen=True)
class PlacementFile:
    """What the case file shows one actor (the attribute names the shared case-file macros read)."""

    placement: Placement
    kind: str
    roles: set[PartyRole]
    holder: str | None
    step: int
    broker: str
    insured: str
    firm: str | None
    account_manager: str
    total: Decimal
    deadlines: list[cases.DeadlineRow]
    documents: list[Any]
    messages: list[cases.MessageRow]
    timeline: list[cases.EventRow]
    actions: Actions


def _actions(session: Session, actor: Actor, placement: Placement, roles: set[PartyRole]) -> Actions:
    allowed = service.allowed(session, actor, placement) if not actor.read_only else set()
    channels = case_viewer(session, actor, case_row(session, placement)).channels() if not actor.read_only else []
    # Insurers approached talk on their submission's thread (placement.service.check_thread).
    insurer_only = bool(roles) and roles <= {PartyRole.INSURER}
    channels = [] if insurer_only else [c for c in channels if c not in service.SHARED_WITH_INSURERS]
    writable = placement.status in ADDABLE_STATES
    return Actions(
        next=[(a, ACTION_ANCHOR.get(a, "next-actions")) for a in sorted(allowed) if a not in OWN_FORMS],
        message_audiences=channels,
        upload_audiences=[c for c in channels if c in UPLOAD_CHANNELS] if writable else [],
        add_contact=writable and bool(roles & {PartyRole.INSURED, PartyRole.BROKER}) and not actor.read_only,
        withdraw="withdraw" in allowed,
        go_to_market="go_to_market" in allowed,
    )


def case_row(session: Session, placement: Placement) -> Any:
    return service.case_of(session, placement)


def file_view(session: Session, actor: Actor, placement: Placement, now: dt.datetime) -> PlacementFile:
    case = service.case_of(session, placement)
    roles = case_service.participant_roles(session, case, actor.org_id)
    viewer = case_viewer(session, actor, case)
    thread, names = cases.thread_view(
        session, actor, case, viewer, [placement.broker_id, placement.insured_id, placement.adjuster_firm_id]
    )
    manager = session.get(User, placement.account_manager_id)
    return PlacementFile(
        placement=placement,
        kind=actor.org_kind.value,
        roles=roles,
        holder=holder(placement),
        step=PROGRESS.index(placement.status.value) if placement.status.value in PROGRESS else 0,
        broker=names.get(placement.broker_id, ""),
        insured=names.get(placement.insured_id, ""),
        firm=names.get(placement.adjuster_firm_id) if placement.adjuster_firm_id else None,
        account_manager=manager.display_name if manager else "",
        total=service.total_sum_insured(placement),
        deadlines=[r for r in cases.deadline_rows(session, case, now) if visible_deadline(session, actor, r.deadline)],
        documents=thread.documents,
        messages=thread.messages,
        timeline=thread.timeline,
        actions=_actions(session, actor, placement, roles),
    )


def page(
    request: Request,
    actor: Actor,
    session: Session,
    clock: Clock,
    placement_id: str,
    *,
    states: Mapping[str, FormState] | None = None,
    alert: object = None,
    notice: object = None,
    status: int = 200,
    extra: Mapping[str, Any] | None = None,
) -> Response:
    """The placement's case file for this actor; ``states`` the forms to show again with their errors."""
    placement = service.get_placement(session, actor, placement_id)
    session.refresh(placement)
    now = clock.now()
    locale = request_locale(request, actor)
    ctx: dict[str, Any] = {
        "placement": placement,
        "case": file_view(session, actor, placement, now),
        "fs": FormBag(dict(states or {})),
        "alert": alert,
        "notice": notice,
        "progress": PROGRESS,
        "base": f"/placements/{placement.id}",
        "now": now,
    }
    for panel in PANELS:
        ctx.update(panel(session, actor, placement, now, locale))
    ctx.update(extra or {})
    return render(request, "placements/detail.html", ctx, status=status)


def done(placement_id: object, what: str, anchor: str = "") -> Response:
    return RedirectResponse(f"/placements/{placement_id}?done={what}" + (f"#{anchor}" if anchor else ""), 303)


def failed(
    request: Request,
    actor: Actor,
    session: Session,
    clock: Clock,
    placement_id: str,
    exc: TandemError,
    name: str,
    state: FormState,
    default_field: str,
    rename: Mapping[str, str] | None = None,
) -> Response:
    """A service refused: roll back, then show the file again with the message beside the form (the
    service's field names ``rename``d to the form's)."""
    session.rollback()
    alert: object = None
    if isinstance(exc, InvalidInput) or exc.fields:
        forms.service_errors(exc, state.errors, default_field, rename)
    else:
        alert = exc
    return page(request, actor, session, clock, placement_id, states={name: state}, alert=alert, status=exc.status)


@router.get("/placements/{placement_id}")
def placement_file(
    placement_id: str,
    request: Request,
    actor: PageActor,
    session: SessionDep,
    clock: ClockDep,
    done: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    return page(request, actor, session, clock, placement_id, notice=NOTICES.get(done))


@router.post("/placements/{placement_id}/messages")
def post_message(
    placement_id: str, request: Request, actor: CheckedActor, session: SessionDep, clock: ClockDep, form: FormDep
) -> Response:
    state = read_message(form)
    if state.errors:
        return page(request, actor, session, clock, placement_id, states={"message": state}, status=422)
    v = state.values
    try:
        service.post_message(session, actor, placement_id, audience=v["audience"], body=v["body"], now=clock.now())
    except (Conflict, InvalidInput) as exc:
        return failed(request, actor, session, clock, placement_id, exc, "message", state, "body")
    return done(placement_id, "message", "messages")


@router.post("/placements/{placement_id}/documents")
def upload_document(
    placement_id: str,
    request: Request,
    actor: CheckedActor,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    form: FormDep,
) -> Response:
    """Add a document (site plans, licences, 环评/安评 papers …), stored content-addressed by SHA-256."""
    service.get_placement(session, actor, placement_id)
    state = FormState({"audience": forms.text(form, "audience")})
    upload = read_upload(form, state)
    if upload is None:
        return page(request, actor, session, clock, placement_id, states={"upload": state}, status=422)
    filename, data, content_type = upload
    try:
        service.upload_document(
            session, settings, actor, placement_id, state.values["audience"], filename, content_type, data,
            now=clock.now(),
        )  # fmt: skip
    except (Conflict, InvalidInput) as exc:
        return failed(request, actor, session, clock, placement_id, exc, "upload", state, "audience")
    return done(placement_id, "uploaded", "documents")


@router.get("/placements/{placement_id}/documents/{document_id}")
def download_document(
    placement_id: str, document_id: str, actor: PageActor, session: SessionDep, settings: SettingsDep
) -> Response:
    placement = service.get_placement(session, actor, placement_id)
    case = service.case_of(session, placement)
    return document_response(settings, cases.visible_document(session, actor, case, document_id))


@router.post("/placements/{placement_id}/contacts")
def add_contact(
    placement_id: str, request: Request, actor: CheckedActor, session: SessionDep, clock: ClockDep, form: FormDep
) -> Response:
    """The insured (or the broker) adds a site contact (现场联系人)."""
    state = FormState({k: forms.text(form, k, 100) for k in ("site_ref", "name", "phone", "role")})
    try:
        service.add_contact(session, actor, placement_id, state.values, clock.now())
    except (Conflict, InvalidInput) as exc:
        return failed(request, actor, session, clock, placement_id, exc, "contact", state, "name")
    return done(placement_id, "contact", "contacts")


@router.post("/placements/{placement_id}/withdraw")
def withdraw(
    placement_id: str, request: Request, actor: CheckedActor, session: SessionDep, clock: ClockDep, form: FormDep
) -> Response:
    """The broker withdraws the placement, with a reason kept on the record."""
    state = FormState({"reason": forms.text(form, "reason", 1000)})
    if not state.values["reason"]:
        state.errors["reason"] = WITHDRAW_REASON
        return page(request, actor, session, clock, placement_id, states={"withdraw": state}, status=422)
    placement = service.get_placement(session, actor, placement_id)
    try:
        service.transition(session, actor, placement, "withdraw", clock.now(), reason=state.values["reason"])
    except (Conflict, ActionNotAllowed) as exc:
        return failed(request, actor, session, clock, placement_id, exc, "withdraw", state, "reason")
    return done(placement_id, "withdrawn")


@router.post("/placements/{placement_id}/go-to-market")
def go_to_market(
    placement_id: str, request: Request, actor: CheckedActor, session: SessionDep, clock: ClockDep
) -> Response:
    """The broker takes the placement to market (issue 15 continues); the insured's decisions freeze."""
    try:
        service.go_to_market(session, actor, placement_id, clock.now())
    except (Conflict, ActionNotAllowed) as exc:
        return failed(request, actor, session, clock, placement_id, exc, "market", FormState(), "market")
    return done(placement_id, "market")
