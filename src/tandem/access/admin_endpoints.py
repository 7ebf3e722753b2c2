"""Onboarding (JSON API): organisations and their first administrators, invitations, roles, password
reset by e-mail link, the second factor (TOTP) and the login history."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, Field

from tandem.access import links, logins, onboarding, totp
from tandem.access.endpoints import OrganisationOut, UserOut, org_out, user_out
from tandem.access.models import AccessLink, LoginEvent, Role, User
from tandem.deps import ActorDep, ClockDep, SessionDep, SettingsDep
from tandem.schemas import IdNumber, Strict, Uscc

router = APIRouter(prefix="/api/v1", tags=["onboarding"])
NF: dict[int | str, dict[str, Any]] = {404: {"description": "Not found"}}
Email = Annotated[str, Field(max_length=200, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]


class OrganisationCreate(Strict):
    """An organisation of any kind but the platform, and its first administrator (invited by e-mail)."""

    kind: Literal["broker", "adjuster_firm", "insurer", "insured", "supervision"]
    name: Annotated[str, Field(min_length=1, max_length=200)]
    name_en: Annotated[str, Field(max_length=200)] | None = None
    region: Annotated[str, Field(max_length=40)] | None = None
    uscc: Uscc | None = None
    insured_kind: Literal["company", "person"] | None = None
    id_number: IdNumber | None = None
    broker_id: uuid.UUID | None = None
    contact_phone: Annotated[str, Field(max_length=20)] | None = None
    address: Annotated[str, Field(max_length=300)] | None = None
    legal_form: Literal["company", "partnership"] | None = None
    capital: Annotated[str, Field(max_length=20, pattern=r"^[0-9]+(\.[0-9]{1,2})?$")] | None = None
    filing_no: Annotated[str, Field(max_length=40)] | None = None
    admin_email: Email
    admin_name: Annotated[str, Field(min_length=1, max_length=100)]


class InvitationOut(BaseModel):
    id: uuid.UUID
    organisation_id: uuid.UUID
    email: str
    display_name: str
    roles: list[Role]
    expires_at: dt.datetime


class OrganisationCreated(BaseModel):
    organisation: OrganisationOut
    invitation: InvitationOut


class InvitationCreate(Strict):
    email: Email
    display_name: Annotated[str, Field(min_length=1, max_length=100)]
    roles: Annotated[list[Role], Field(min_length=1)]


class InvitationAccept(Strict):
    token: Annotated[str, Field(min_length=1, max_length=100)]
    username: Annotated[str, Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9._]+$")]
    password: Annotated[str, Field(min_length=1, max_length=256)]


class ResetRequest(Strict):
    login: Annotated[str, Field(min_length=1, max_length=200)]  # username or e-mail address


class ResetConfirm(Strict):
    token: Annotated[str, Field(min_length=1, max_length=100)]
    new_password: Annotated[str, Field(min_length=1, max_length=256)]


class RolesIn(Strict):
    roles: Annotated[list[Role], Field(min_length=1)]


class CodeIn(Strict):
    code: Annotated[str, Field(min_length=1, max_length=20)]


class TotpStart(BaseModel):
    secret: str
    uri: str


class RecoveryCodes(BaseModel):
    recovery_codes: list[str]


class LoginOut(BaseModel):
    at: dt.datetime
    outcome: str
    channel: str
    client: str | None = None
    user_agent: str | None = None


# The answer to every reset request, whether or not an account matched (no account enumeration).
RESET_ANSWER = {"message": "If an account matches, a link to reset its password has been sent to its e-mail address."}


def invitation_out(link: AccessLink) -> InvitationOut:
    return InvitationOut(
        id=link.id,
        organisation_id=link.organisation_id,
        email=link.email,
        display_name=str(link.detail.get("display_name", "")),
        roles=[Role(r) for r in link.detail.get("roles", [])],
        expires_at=link.expires_at,
    )


def login_out(e: LoginEvent) -> LoginOut:
    return LoginOut(at=e.at, outcome=e.outcome, channel=e.channel, client=e.client, user_agent=e.user_agent)


@router.post(
    "/organisations",
    response_model=OrganisationCreated,
    status_code=201,
    responses={403: {"description": "Not allowed"}, 409: {"description": "Name or identifier taken"}},
)
def create_organisation(
    body: OrganisationCreate, actor: ActorDep, session: SessionDep, settings: SettingsDep, clock: ClockDep
) -> OrganisationCreated:
    """The platform admin opens an organisation (USCC, or a person's ID number, checked) and invites its
    first administrator by e-mail."""
    spec = onboarding.NewOrganisation(
        **body.model_dump(exclude={"broker_id", "capital"}),
        broker_id=str(body.broker_id) if body.broker_id else None,
        capital=body.capital,
    )
    org, link = onboarding.create_organisation(session, settings, actor, spec, now=clock.now())
    return OrganisationCreated(organisation=org_out(org), invitation=invitation_out(link))


@router.post(
    "/organisations/{org_id}/invitations",
    response_model=InvitationOut,
    status_code=201,
    responses={**NF, 403: {"description": "Not allowed"}},
)
def invite(
    org_id: str, body: InvitationCreate, actor: ActorDep, session: SessionDep, settings: SettingsDep, clock: ClockDep
) -> InvitationOut:
    """An organisation's administrator invites someone by e-mail: a link that works once, until it expires."""
    org = links.managed_organisation(session, actor, org_id)
    link = links.invite(
        session,
        settings,
        actor,
        org,
        email=body.email,
        display_name=body.display_name,
        roles=body.roles,
        now=clock.now(),
    )
    return invitation_out(link)


@router.post(
    "/invitations/accept", response_model=UserOut, status_code=201, responses={410: {"description": "Link not valid"}}
)
def accept_invitation(body: InvitationAccept, session: SessionDep, settings: SettingsDep, clock: ClockDep) -> UserOut:
    """The invited person chooses a username and sets a password (no sign-in needed: the link is the key)."""
    user = links.accept_invitation(
        session, settings, body.token, username=body.username, password=body.password, now=clock.now()
    )
    return user_out(user)


@router.post("/auth/password-reset", status_code=202, response_model=dict[str, str])
def request_reset(body: ResetRequest, session: SessionDep, settings: SettingsDep, clock: ClockDep) -> dict[str, str]:
    """Mail a reset link to the account with this username or e-mail address; the same answer either way."""
    links.request_reset(session, settings, body.login, now=clock.now())
    return RESET_ANSWER


@router.post(
    "/auth/password-reset/confirm",
    status_code=204,
    response_class=Response,
    responses={410: {"description": "Link not valid"}},
)
def confirm_reset(body: ResetConfirm, session: SessionDep, settings: SettingsDep, clock: ClockDep) -> Response:
    """Set the new password through the link; every session and API token of the account ends."""
    links.reset_password(session, settings, body.token, new_password=body.new_password, now=clock.now())
    return Response(status_code=204)


@router.put("/users/{user_id}/roles", response_model=UserOut, responses={**NF, 403: {"description": "Not allowed"}})
def set_roles(user_id: str, body: RolesIn, actor: ActorDep, session: SessionDep, clock: ClockDep) -> UserOut:
    """Give and take a person's roles (their organisation's administrator, or the platform admin)."""
    return user_out(onboarding.set_roles(session, actor, user_id, body.roles, now=clock.now()))


@router.post(
    "/users/{user_id}/totp-reset", response_model=UserOut, responses={**NF, 403: {"description": "Not allowed"}}
)
def reset_totp(user_id: str, actor: ActorDep, session: SessionDep, clock: ClockDep) -> UserOut:
    """Clear a person's second factor (a lost phone); their sessions and API tokens end."""
    user = onboarding.managed_user(session, actor, user_id)
    totp.reset(session, actor, user, now=clock.now())
    return user_out(user)


@router.get("/users/{user_id}/logins", response_model=list[LoginOut], responses=NF)
def user_logins(user_id: str, actor: ActorDep, session: SessionDep) -> list[LoginOut]:
    """A person's login history, for their organisation's administrator (or the platform admin)."""
    user = onboarding.managed_user(session, actor, user_id)
    return [login_out(e) for e in logins.history(session, user.id)]


@router.get("/me/logins", response_model=list[LoginOut])
def my_logins(actor: ActorDep, session: SessionDep) -> list[LoginOut]:
    """The caller's own login history, newest first."""
    return [login_out(e) for e in logins.history(session, actor.user_id)]


def _me(session: SessionDep, actor: ActorDep) -> User:
    user = session.get(User, actor.user_id)
    assert user is not None
    return user


@router.post("/me/totp/start", response_model=TotpStart, responses={409: {"description": "Already on"}})
def totp_start(actor: ActorDep, session: SessionDep, settings: SettingsDep) -> TotpStart:
    """A new TOTP secret for the caller's authenticator app (on once confirmed with a code)."""
    user = _me(session, actor)
    secret = totp.start(session, settings, user)
    return TotpStart(secret=secret, uri=totp.provisioning_uri(settings, user))


@router.post("/me/totp/confirm", response_model=RecoveryCodes, responses={409: {"description": "Already on"}})
def totp_confirm(
    body: CodeIn, actor: ActorDep, session: SessionDep, settings: SettingsDep, clock: ClockDep
) -> RecoveryCodes:
    """Turn the second factor on with the app's first code; the recovery codes are shown this once."""
    codes = totp.confirm(session, settings, _me(session, actor), body.code, now=clock.now())
    return RecoveryCodes(recovery_codes=codes)


@router.post("/me/totp/disable", status_code=204, response_class=Response, responses={409: {"description": "Required"}})
def totp_disable(
    body: CodeIn, actor: ActorDep, session: SessionDep, settings: SettingsDep, clock: ClockDep
) -> Response:
    """Turn one's own second factor off with a current code (not when one's role requires it)."""
    totp.disable(session, settings, _me(session, actor), body.code, now=clock.now())
    return Response(status_code=204)
