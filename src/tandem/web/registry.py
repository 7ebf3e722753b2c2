"""Home, organisations, policies, the adjuster register, firms and the broker's blacklist (pages).

Every object is fetched through ``tandem.access.scope``, so an outsider gets the same 404 page as
for an id that does not exist.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from tandem.access import scope
from tandem.access.actor import Actor
from tandem.access.models import OrgKind
from tandem.access.permissions import Perm
from tandem.claim.service import NOTIFIABLE
from tandem.deps import ClockDep, SessionDep, get_clock
from tandem.kit.clock import Clock, today_local
from tandem.kit.errors import ActionNotAllowed, Conflict, InvalidInput, NotFound, TandemError
from tandem.kit.i18n import N_
from tandem.kit.limits import REASON_MAX
from tandem.party import practice, views
from tandem.party import service as party_service
from tandem.party.models import Adjuster, AdjusterFirm
from tandem.placement import binding
from tandem.policy.models import Policy
from tandem.web import cases, data, people, placements
from tandem.web.claims import FormBag
from tandem.web.forms import REASON_TOO_LONG, FormState, PageState, optional_day, uuid_or_none
from tandem.web.guards import CheckedActor, PageActor
from tandem.web.render import is_htmx, render

router = APIRouter(include_in_schema=False)
K = OrgKind

CHOOSE_ADJUSTER = N_("Choose an adjuster from the list.")
REASON_REQUIRED = N_("A reason is required.")  # the same msgid as the party service's
DATE_REQUIRED = N_("Enter the start date.")
DATE_INVALID = N_("Enter a date as YYYY-MM-DD.")
END_BEFORE_START = N_("The end is before the start.")  # the same msgid as the party service's
ADDED = N_("The adjuster is now on the blacklist.")
LIFTED = N_("The blacklist entry has been lifted.")


# ---- home ----------------------------------------------------------------------------------------


@router.get("/")
def home(request: Request, actor: PageActor, session: SessionDep, clock: ClockDep) -> Response:
    """The start page of each party: what it works on, at a glance."""
    today = today_local(clock)
    kind = actor.org_kind
    ctx: dict[str, Any] = {
        "today": today,
        "policies": None,
        "summary": None,
        "firm_rows": None,
        "blacklist_rows": None,
        "own_firm": None,
        "staff": None,
        "org_count": None,
        "policy_count": None,
    }
    if kind in (K.BROKER, K.INSURER, K.INSURED, K.ADJUSTER_FIRM, K.PLATFORM):
        ctx["policies"] = data.policies(session, actor, limit=10)
        ctx["policy_count"] = data.count_policies(session, actor)
    if kind in (K.BROKER, K.SUPERVISION, K.PLATFORM):
        ctx["summary"] = data.summarise(data.adjusters(session, actor, today))
        ctx["firm_rows"] = data.firms(session, actor, today)
    if kind in (K.BROKER, K.PLATFORM):
        ctx["blacklist_rows"] = [r for r in data.blacklist(session, actor, today) if r.display_state == "in_force"]
    if kind == K.ADJUSTER_FIRM:
        firm = scope.get_firm(session, actor, actor.org_id)
        ctx["own_firm"] = data.firm_row(session, firm, today)
        ctx["staff"] = data.staff(session, actor, firm, today)
    if kind == K.PLATFORM:
        ctx["org_count"] = len(data.organisations(session, actor))
    ctx["claim_counts"] = cases.status_counts(session, actor)
    ctx["my_turn"], ctx["my_turn_count"] = cases.my_turn(session, actor, clock.now())
    ctx["can_report"] = cases.can_report(actor)
    ctx["drafts_count"] = cases.inbound_count(session, actor) if kind in (K.BROKER, K.PLATFORM) else None
    ctx["placement_queue"] = placements.home_queue(session, actor) if kind in placements.QUEUE_KINDS else None
    ctx["now"] = clock.now()
    return render(request, "home.html", ctx)


# ---- organisations -------------------------------------------------------------------------------


@router.get("/organisations")
def organisation_list(request: Request, actor: PageActor, session: SessionDep) -> Response:
    return render(request, "organisations/list.html", {"organisations": data.organisations(session, actor)})


@router.get("/organisations/{org_id}")
def organisation_page(
    org_id: str, request: Request, actor: PageActor, session: SessionDep, clock: ClockDep, done: str | None = None
) -> Response:
    org = scope.get_organisation(session, actor, org_id)
    return people.organisation_view(request, actor, session, clock, org, notice=people.NOTICES.get(done or ""))


# ---- policies ------------------------------------------------------------------------------------


@router.get("/policies")
def policy_list(request: Request, actor: PageActor, session: SessionDep) -> Response:
    return render(
        request,
        "policies/list.html",
        {"policies": data.policies(session, actor), "total_sum_insured": data.total_sum_insured},
    )


# The cards other modules add to the policy page (issue 16: versions, changes, suspension, termination):
# each returns its part of the context for (session, actor, policy, now).
POLICY_PANELS: list[Callable[[Session, Actor, Policy, dt.datetime], dict[str, Any]]] = []


@router.get("/policies/{policy_id}")
def policy_page(
    policy_id: str, request: Request, actor: PageActor, session: SessionDep, done: str | None = None
) -> Response:
    return policy_view(request, actor, session, policy_id, notice=POLICY_NOTICES.get(done or ""))


POLICY_NOTICES: dict[str, str] = {}


def policy_view(
    request: Request,
    actor: Actor,
    session: Session,
    policy_id: str,
    *,
    states: dict[str, FormState] | None = None,
    alert: object = None,
    notice: object = None,
    status: int = 200,
) -> Response:
    """The policy's page; ``states`` the forms to show again with their errors."""
    policy = scope.get_policy(session, actor, policy_id)
    session.refresh(policy)
    ctx: dict[str, Any] = {
        "policy": policy,
        "total": data.total_sum_insured(policy),
        "sees_register": people.sees_register(actor),
        "can_report": cases.can_report(actor) and policy.status in NOTIFIABLE,
        "origin": binding.origin(session, actor, policy),
        "fs": FormBag(dict(states or {})),
        "alert": alert,
        "notice": notice,
    }
    now = get_clock(request).now()
    for panel in POLICY_PANELS:
        ctx.update(panel(session, actor, policy, now))
    return render(request, "policies/detail.html", ctx, status=status)


# ---- adjusters -----------------------------------------------------------------------------------


@router.get("/adjusters")
def adjuster_register(
    request: Request,
    actor: PageActor,
    session: SessionDep,
    clock: ClockDep,
    status: Annotated[str | None, Query()] = None,
    firm_id: Annotated[str | None, Query()] = None,
) -> Response:
    """The adjuster register (公估师名录) with qualification status and assignability."""
    today = today_local(clock)
    firm: AdjusterFirm | None = scope.get_firm(session, actor, firm_id) if firm_id else None
    rows = data.adjusters(session, actor, today, firm_id=firm.organisation_id if firm else None)
    summary = data.summarise(rows)
    if status in ("valid", "lapsed", "sanctioned", "inactive"):
        rows = [r for r in rows if r.qualification_status == status]
    else:
        status = None
    return render(
        request,
        "adjusters/register.html",
        {
            "rows": rows,
            "summary": summary,
            "status": status,
            "firm": firm,
            "firm_rows": data.firms(session, actor, today) if firm is None else [],
            "limit": data.REGISTER_LIMIT,
            "today": today,
            "late": late_deregistrations(session, actor, today),
        },
    )


def late_deregistrations(
    session: Session, actor: Actor, today: dt.date
) -> list[tuple[Adjuster, views.RegistrationOut]]:
    """Supervision's (and the platform's) list of deregistrations past their 5 working days."""
    if actor.org_kind not in (K.SUPERVISION, K.PLATFORM):
        return []
    rows = []
    for reg in practice.late_deregistrations(session, today):
        adj = session.get(Adjuster, reg.adjuster_id)
        if adj is not None:
            rows.append((adj, views.registration_out(reg, today)))
    return rows


@router.get("/adjuster-firms/{firm_id}")
def firm_page(firm_id: str, request: Request, actor: PageActor, session: SessionDep, clock: ClockDep) -> Response:
    return firm_view(request, actor, session, clock, firm_id)


def firm_view(
    request: Request,
    actor: Actor,
    session: Session,
    clock: Clock,
    firm_id: str,
    move: PageState | None = None,
    status: int = 200,
) -> Response:
    """The firm's page; ``move``: the form registering a practitioner who moves in, shown again with errors
    (its own administrator only)."""
    today = today_local(clock)
    firm = scope.get_firm(session, actor, firm_id)
    staff = data.staff(session, actor, firm, today)
    own = actor.org_id == firm.organisation_id and actor.can(Perm.MANAGE_ADJUSTERS) and not actor.read_only
    context = {
        "row": data.firm_row(session, firm, today),
        "staff": staff,
        "summary": data.summarise(staff),
        "today": today,
        "move": (move or PageState(values={"starts_on": today.isoformat()})) if own else None,
    }
    return render(request, "adjusters/firm.html", context, status=status)


# ---- blacklist -----------------------------------------------------------------------------------


@dataclass
class BlacklistForm:
    adjuster_id: str = ""
    reason: str = ""
    valid_from: str = ""
    valid_until: str = ""


@dataclass
class BlacklistView:
    form: BlacklistForm
    errors: dict[str, object] = field(default_factory=dict)
    lift_errors: dict[str, object] = field(default_factory=dict)
    lift_reasons: dict[str, str] = field(default_factory=dict)
    alert: TandemError | None = None
    notice: str | None = None


def can_manage_blacklist(actor: Actor) -> bool:
    return actor.org_kind == K.BROKER and actor.can(Perm.MANAGE_BLACKLIST)


def _blacklist_page(
    request: Request, actor: Actor, session: SessionDep, today: dt.date, view: BlacklistView, status: int = 200
) -> Response:
    manage = can_manage_blacklist(actor)
    groups: list[tuple[str, list[views.AdjusterOut]]] = []
    if manage:
        for a in data.adjusters(session, actor, today):
            if not groups or groups[-1][0] != a.firm.name:
                groups.append((a.firm.name, []))
            groups[-1][1].append(a)
    return render(
        request,
        "blacklist/list.html",
        {
            "rows": data.blacklist(session, actor, today),
            "manage": manage,
            "adjuster_groups": groups,
            "view": view,
            "today": today,
        },
        status=status,
    )


@router.get("/blacklist")
def blacklist_page(
    request: Request,
    actor: PageActor,
    session: SessionDep,
    clock: ClockDep,
    done: Annotated[str | None, Query()] = None,
) -> Response:
    today = today_local(clock)
    notice = {"added": ADDED, "lifted": LIFTED}.get(done or "")
    view = BlacklistView(BlacklistForm(valid_from=today.isoformat()), notice=notice)
    return _blacklist_page(request, actor, session, today, view)


@router.post("/blacklist")
def blacklist_add(
    request: Request,
    actor: CheckedActor,
    session: SessionDep,
    clock: ClockDep,
    adjuster_id: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
    valid_from: Annotated[str, Form()] = "",
    valid_until: Annotated[str, Form()] = "",
) -> Response:
    """Put an adjuster on this broker's blacklist; field errors come back next to the fields (422)."""
    if not can_manage_blacklist(actor):
        raise ActionNotAllowed()
    today = today_local(clock)
    form = BlacklistForm(adjuster_id.strip(), reason.strip(), valid_from.strip(), valid_until.strip())
    view = BlacklistView(form)
    target = uuid_or_none(form.adjuster_id)
    if target is None:
        view.errors["adjuster_id"] = CHOOSE_ADJUSTER
    if not form.reason:
        view.errors["reason"] = REASON_REQUIRED
    elif len(form.reason) > REASON_MAX:
        view.errors["reason"] = REASON_TOO_LONG
    start = optional_day(form.valid_from) if form.valid_from else None
    if not form.valid_from:
        view.errors["valid_from"] = DATE_REQUIRED
    elif start is None:
        view.errors["valid_from"] = DATE_INVALID
    end = optional_day(form.valid_until) if form.valid_until else None
    if form.valid_until and end is None:
        view.errors["valid_until"] = DATE_INVALID
    elif start and end and end < start:
        view.errors["valid_until"] = END_BEFORE_START
    if view.errors or target is None or start is None:
        return _blacklist_page(request, actor, session, today, view, 422)
    try:
        party_service.add_to_blacklist(
            session, actor, at=clock.now(), reason=form.reason, valid_from=start, valid_until=end, adjuster_id=target
        )
    except InvalidInput as exc:
        session.rollback()
        for name in exc.fields or {"reason": ""}:
            view.errors[name] = exc
        return _blacklist_page(request, actor, session, today, view, 422)
    except NotFound:
        session.rollback()
        view.errors["adjuster_id"] = CHOOSE_ADJUSTER
        return _blacklist_page(request, actor, session, today, view, 422)
    return _done(request, actor, session, today, "added")


@router.post("/blacklist/{entry_id}/lift")
def blacklist_lift(
    entry_id: str,
    request: Request,
    actor: CheckedActor,
    session: SessionDep,
    clock: ClockDep,
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Lift an entry, with a reason. A second lift is a conflict (409), shown above the list."""
    today = today_local(clock)
    entry = scope.get_blacklist_entry(session, actor, entry_id)
    if not can_manage_blacklist(actor):
        raise ActionNotAllowed()
    key = str(entry.id)
    view = BlacklistView(BlacklistForm(valid_from=today.isoformat()))
    reason = reason.strip()
    view.lift_reasons[key] = reason
    if not reason:
        view.lift_errors[key] = REASON_REQUIRED
    elif len(reason) > REASON_MAX:
        view.lift_errors[key] = REASON_TOO_LONG
    if view.lift_errors:
        return _blacklist_page(request, actor, session, today, view, 422)
    try:
        party_service.lift_blacklist_entry(session, actor, entry.id, at=clock.now(), reason=reason)
    except Conflict as exc:
        session.rollback()
        view.alert = exc
        return _blacklist_page(request, actor, session, today, view, exc.status)
    return _done(request, actor, session, today, "lifted")


def _done(request: Request, actor: Actor, session: SessionDep, today: dt.date, what: str) -> Response:
    """After a change: htmx gets the fresh section; a plain form post is redirected (POST/redirect/GET)."""
    if is_htmx(request):
        session.flush()
        notice = ADDED if what == "added" else LIFTED
        view = BlacklistView(BlacklistForm(valid_from=today.isoformat()), notice=notice)
        return _blacklist_page(request, actor, session, today, view)
    return RedirectResponse(f"/blacklist?done={what}", 303)
