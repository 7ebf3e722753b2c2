"""Organisations and their people (pages): the platform admin opens an organisation and invites its first
administrator; an organisation's administrator invites people, gives and takes roles, deactivates, clears a
lost second factor and reads each person's login history. Another organisation's people: the same 404 page
as nobody (``tandem.access.onboarding.managed_user``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.access import links, logins, onboarding, scope, totp
from tandem.access import service as access_service
from tandem.access.actor import Actor
from tandem.access.models import ADMIN_ROLES, ROLES_BY_KIND, Organisation, OrgKind, Role, User
from tandem.access.permissions import Perm
from tandem.deps import ClockDep, SessionDep, SettingsDep
from tandem.kit.clock import Clock, today_local
from tandem.kit.errors import ActionNotAllowed, InvalidInput, NotFound, TandemError
from tandem.kit.i18n import N_
from tandem.kit.limits import REASON_MAX
from tandem.party import reveal, views
from tandem.party.endpoints import access_log_csv_response
from tandem.web import data, forms
from tandem.web.guards import CheckedActor, PageActor
from tandem.web.render import render

router = APIRouter(include_in_schema=False)

NOTICES = {
    "invited": N_("The invitation was sent by e-mail. The link works once, for 72 hours."),
    "roles": N_("The roles were changed."),
    "deactivated": N_("The person was deactivated; their sessions and API tokens have ended."),
    "totp": N_("The second factor was cleared; the person sets it up again at the next sign-in if the role needs it."),
    "created": N_("The organisation was opened and its administrator invited by e-mail."),
}
ORG_FIELDS = (
    "kind",
    "name",
    "name_en",
    "region",
    "uscc",
    "insured_kind",
    "id_number",
    "broker_id",
    "contact_phone",
    "address",
    "legal_form",
    "capital",
    "filing_no",
    "admin_email",
    "admin_name",
)


REGISTER_VIEWERS = frozenset(
    {OrgKind.BROKER, OrgKind.INSURER, OrgKind.SUPERVISION, OrgKind.ADJUSTER_FIRM, OrgKind.PLATFORM}
)


def sees_register(actor: Actor) -> bool:
    return actor.org_kind in REGISTER_VIEWERS


async def _form(request: Request) -> dict[str, Any]:
    form = await request.form()
    return {k: forms.text(form, k, 300) for k in form if k != "csrf_token"} | {"roles": form.getlist("roles")}


def _roles(values: list[Any]) -> list[Role]:
    out = []
    for v in values:
        try:
            out.append(Role(str(v)))
        except ValueError:
            continue
    return out


def _brokers(session: Session) -> list[Organisation]:
    stmt = select(Organisation).where(Organisation.kind == OrgKind.BROKER).order_by(Organisation.name)
    return list(session.execute(stmt).scalars())


def _org_form(
    request: Request, session: Session, values: dict[str, Any], errors: dict[str, Any], status: int = 200
) -> Response:
    ctx = {"values": values, "errors": errors, "kinds": onboarding.CREATABLE, "brokers": _brokers(session)}
    return render(request, "organisations/new.html", ctx, status=status)


def _require_platform_admin(actor: Actor) -> None:
    if not actor.can(Perm.MANAGE_ORGANISATIONS):
        raise ActionNotAllowed()


@router.get("/organisations/new")
def new_organisation(request: Request, actor: PageActor, session: SessionDep) -> Response:
    _require_platform_admin(actor)
    return _org_form(request, session, {"kind": "broker"}, {})


@router.post("/organisations/new")
async def create_organisation(
    request: Request, actor: CheckedActor, session: SessionDep, settings: SettingsDep, clock: ClockDep
) -> Response:
    """Every field is checked (USCC, ID number, names taken) and shown beside itself; nothing is written
    unless all are right."""
    _require_platform_admin(actor)
    values = await _form(request)
    spec = onboarding.NewOrganisation(**{k: values.get(k) or None for k in ORG_FIELDS})  # type: ignore[arg-type]
    try:
        org, _link = onboarding.create_organisation(session, settings, actor, spec, now=clock.now())
    except TandemError as exc:
        if not exc.fields:
            raise
        session.rollback()
        return _org_form(request, session, values, dict(exc.fields), status=exc.status)
    return RedirectResponse(f"/organisations/{org.id}?done=created", 303)


@router.post("/organisations/{org_id}/invite")
async def invite(
    org_id: str, request: Request, actor: CheckedActor, session: SessionDep, settings: SettingsDep, clock: ClockDep
) -> Response:
    org = links.managed_organisation(session, actor, org_id)
    values = await _form(request)
    try:
        links.invite(
            session,
            settings,
            actor,
            org,
            email=values.get("email", ""),
            display_name=values.get("display_name", ""),
            roles=_roles(values["roles"]),
            now=clock.now(),
        )
    except InvalidInput as exc:
        session.rollback()
        invited = {"values": values, "errors": dict(exc.fields or {})}
        return organisation_view(request, actor, session, clock, org, invite=invited, status=422)
    return RedirectResponse(f"/organisations/{org.id}?done=invited", 303)


def organisation_view(
    request: Request,
    actor: Actor,
    session: Session,
    clock: Clock,
    org: Organisation,
    *,
    invite: dict[str, Any] | None = None,
    notice: str | None = None,
    status: int = 200,
    shown: dict[str, Any] | None = None,
) -> Response:
    """An organisation's page (the caller fetched it through the access check): its record, its people
    and, for its administrator, the invitation form."""
    try:
        people = access_service.users_of(session, actor, org.id)
    except NotFound:
        people = None  # the organisation is visible, its people list is not
    firm = None
    if org.kind == OrgKind.ADJUSTER_FIRM and sees_register(actor):
        try:
            firm = data.firm_row(session, scope.get_firm(session, actor, org.id), today_local(clock))
        except NotFound:
            firm = None
    insured = None
    if org.kind == OrgKind.INSURED:
        try:
            insured = views.insured_out(actor, scope.get_insured(session, actor, org.id))
        except NotFound:
            insured = None
    kinds = (OrgKind.BROKER, OrgKind.INSURER, OrgKind.INSURED)
    policies = data.policies(session, actor, org_id=org.id) if org.kind in kinds else []
    ctx = {
        "org": org,
        "people": people,
        "firm": firm,
        "insured": insured,
        "policies": policies,
        "manage": can_manage(actor, org),
        "invitations": links.pending_invitations(session, org.id, clock.now()) if can_manage(actor, org) else [],
        "roles": assignable_roles(org),
        "invite": invite or {"values": {}, "errors": {}},
        "notice": notice,
        # A full ID or phone number shown on request (logged), or the request form's values and errors.
        "shown": shown or {"values": {}, "errors": {}},
        "pii_log": can_manage(actor, org) and reveal.may_export(actor),
        # Retention / 保存期限 (issue 20 item 2): brokers' and adjuster firms' admins, and the platform admin.
        "retention": org.id == actor.org_id and actor.has_any(ADMIN_ROLES) and actor.org_kind in RETAINING,
    }
    return render(request, "organisations/detail.html", ctx, status=status)


RETAINING = frozenset({OrgKind.BROKER, OrgKind.ADJUSTER_FIRM, OrgKind.PLATFORM})


def can_manage(actor: Actor, org: Organisation) -> bool:
    return actor.can(Perm.MANAGE_USERS) and (org.id == actor.org_id or actor.is_admin)


def assignable_roles(org: Organisation) -> list[Role]:
    return sorted(ROLES_BY_KIND[org.kind])


# ---- a person ------------------------------------------------------------------------------------


def _person(
    request: Request,
    actor: Actor,
    session: Session,
    user: User,
    *,
    errors: dict[str, Any] | None = None,
    notice: str | None = None,
    status: int = 200,
) -> Response:
    ctx = {
        "person": user,
        "roles": assignable_roles(user.organisation),
        "history": logins.history(session, user.id),
        "totp_on": totp.enabled(user),
        "errors": errors or {},
        "notice": notice,
    }
    return render(request, "users/detail.html", ctx, status=status)


@router.get("/users/{user_id}")
def person_page(
    user_id: str, request: Request, actor: PageActor, session: SessionDep, done: str | None = None
) -> Response:
    user = onboarding.managed_user(session, actor, user_id)
    return _person(request, actor, session, user, notice=NOTICES.get(done or ""))


@router.post("/users/{user_id}/roles")
async def person_roles(
    user_id: str, request: Request, actor: CheckedActor, session: SessionDep, clock: ClockDep
) -> Response:
    user = onboarding.managed_user(session, actor, user_id)
    values = await _form(request)
    try:
        onboarding.set_roles(session, actor, user.id, _roles(values["roles"]), now=clock.now())
    except TandemError as exc:
        if exc.status not in (409, 422):
            raise
        session.rollback()
        errors: dict[str, Any] = dict(exc.fields) if exc.fields else {"roles": exc}
        return _person(request, actor, session, user, errors=errors, status=exc.status)
    return RedirectResponse(f"/users/{user.id}?done=roles", 303)


@router.post("/users/{user_id}/deactivate")
def person_deactivate(
    user_id: str, request: Request, actor: CheckedActor, session: SessionDep, clock: ClockDep
) -> Response:
    user = onboarding.managed_user(session, actor, user_id)
    try:
        onboarding.deactivate(session, actor, str(user.id), now=clock.now())
    except TandemError as exc:
        if exc.status != 409:
            raise
        return _person(request, actor, session, user, errors={"active": exc}, status=409)
    return RedirectResponse(f"/users/{user.id}?done=deactivated", 303)


@router.post("/users/{user_id}/totp-reset")
def person_totp_reset(user_id: str, actor: CheckedActor, session: SessionDep, clock: ClockDep) -> Response:
    user = onboarding.managed_user(session, actor, user_id)
    totp.reset(session, actor, user, now=clock.now())
    return RedirectResponse(f"/users/{user.id}?done=totp", 303)


@router.post("/organisations/{org_id}/reveal")
async def reveal_personal(
    org_id: str, request: Request, actor: CheckedActor, session: SessionDep, clock: ClockDep
) -> Response:
    """Show an insured's full ID or contact phone number once, for a role that needs it, with the reason
    given; the view is written to the access log (tandem.party.reveal)."""
    org = scope.get_organisation(session, actor, org_id)  # the page's own access check first
    form = await request.form()
    values = {"field": forms.text(form, "field", 32), "reason": forms.text(form, "reason", REASON_MAX)}
    try:
        done = reveal.reveal(session, actor, "insured", org.id, values["field"], values["reason"], clock.now())
    except InvalidInput as exc:
        session.rollback()
        failed = {"values": values, "errors": dict(exc.fields or {})}
        return organisation_view(request, actor, session, clock, org, shown=failed, status=422)
    shown: dict[str, Any] = {"values": {}, "errors": {}, "field": done.field, "value": done.value}
    return organisation_view(request, actor, session, clock, org, shown=shown)


@router.get("/access-log")
def access_log_page(request: Request, actor: PageActor, session: SessionDep) -> Response:
    """The organisation's access log of full ID and phone numbers (its administrators), the latest 200."""
    return render(request, "organisations/access_log.html", {"entries": reveal.entries(session, actor, limit=200)})


@router.get("/access-log.csv")
def access_log_csv(actor: PageActor, session: SessionDep, clock: ClockDep) -> Response:
    return access_log_csv_response(session, actor, clock)
