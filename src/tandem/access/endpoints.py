"""Auth, the current user, organisations and people (JSON API)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from tandem.access import logins, onboarding, scope
from tandem.access import service as access_service
from tandem.access.models import ApiToken, Organisation, OrgKind, Role, User
from tandem.deps import ActorDep, ClockDep, SessionDep, SettingsDep, client_address, current_token_id
from tandem.kit.pagination import decode_cursor, encode_cursor
from tandem.schemas import Strict, TokenRequest, TokenResponse

router = APIRouter(prefix="/api/v1", tags=["access"])


class UserOut(BaseModel):
    id: uuid.UUID
    username: str
    display_name: str
    organisation_id: uuid.UUID
    roles: list[Role]
    email: str | None = None
    active: bool


class MeOut(UserOut):
    organisation_name: str
    organisation_kind: OrgKind


class OrganisationOut(BaseModel):
    id: uuid.UUID
    kind: OrgKind
    name: str
    name_en: str | None = None
    region: str | None = None
    active: bool


class OrganisationPage(BaseModel):
    items: list[OrganisationOut]
    next: str | None = None


class UserCreate(Strict):
    username: Annotated[str, Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9._]+$")]
    display_name: Annotated[str, Field(min_length=1, max_length=100)]
    password: Annotated[str, Field(min_length=1, max_length=256)]  # the policy names what is wrong
    roles: Annotated[list[Role], Field(min_length=1)]
    email: Annotated[str, Field(max_length=200, pattern=r"^[^@\s]+@[^@\s]+$")] | None = None
    organisation_id: uuid.UUID | None = None


class TokenOut(BaseModel):
    """A browser session (``web``) or API token (``api``) of the user; never the secret itself."""

    id: uuid.UUID
    kind: str
    created_at: dt.datetime
    expires_at: dt.datetime
    current: bool


class PasswordChange(Strict):
    current_password: Annotated[str, Field(min_length=1, max_length=256)]
    new_password: Annotated[str, Field(min_length=1, max_length=256)]


THROTTLED = {"error": {"code": "auth.rate_limited", "message": "Too many attempts; try again later."}}


def user_out(u: User) -> UserOut:
    return UserOut(
        id=u.id,
        username=u.username,
        display_name=u.display_name,
        organisation_id=u.organisation_id,
        roles=sorted(u.roles),
        email=u.email,
        active=u.active,
    )


def org_out(o: Organisation) -> OrganisationOut:
    return OrganisationOut(id=o.id, kind=o.kind, name=o.name, name_en=o.name_en, region=o.region, active=o.active)


@router.post(
    "/auth/token",
    response_model=TokenResponse,
    responses={
        401: {"description": "Wrong username, password or code"},
        403: {"description": "A second factor must be set up first"},
        429: {"description": "Throttled"},
    },
)
def issue_token(
    body: TokenRequest, request: Request, session: SessionDep, settings: SettingsDep, clock: ClockDep
) -> TokenResponse | JSONResponse:
    """Exchange username and password (and the TOTP code, when the account has a second factor) for a
    bearer token. Failed attempts are rate-limited; each attempt on an account is in its login history."""
    attempt = logins.Attempt("api", client_address(request), request.headers.get("user-agent"))
    result = logins.sign_in(session, settings, body.username, body.password, body.totp_code, attempt, clock.now())
    if result.outcome == logins.THROTTLED:
        return JSONResponse(THROTTLED, 429, headers={"Retry-After": str(result.retry_after)})
    # Refusals are returned (not raised) so the failure counter and the login history commit.
    if result.outcome != logins.SUCCESS or result.user is None:
        code, status, message = REFUSALS[result.outcome]
        return JSONResponse({"error": {"code": code, "message": message}}, status)
    token, row = access_service.issue_token(session, settings, result.user, now=clock.now())
    return TokenResponse(access_token=token, expires_at=row.expires_at)


REFUSALS = {
    logins.WRONG_PASSWORD: ("auth.invalid_credentials", 401, "Wrong username or password."),
    logins.CODE_NEEDED: ("auth.totp_required", 401, "This account has a second factor: send totp_code too."),
    logins.WRONG_CODE: ("auth.totp_invalid", 401, "The second-factor code is not right."),
    logins.ENROLMENT_REQUIRED: (
        "auth.totp_enrolment_required",
        403,
        "Your role requires a second factor: sign in on the web once to set it up.",
    ),
}


@router.get("/me", response_model=MeOut)
def me(actor: ActorDep, session: SessionDep) -> MeOut:
    user = session.get(User, actor.user_id)
    assert user is not None
    return MeOut(**user_out(user).model_dump(), organisation_name=actor.org_name, organisation_kind=actor.org_kind)


@router.get("/organisations", response_model=OrganisationPage)
def list_organisations(
    actor: ActorDep,
    session: SessionDep,
    kind: OrgKind | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> OrganisationPage:
    stmt = scope.visible_organisations(actor).order_by(Organisation.name, Organisation.id)
    if kind is not None:
        stmt = stmt.where(Organisation.kind == kind)
    after = decode_cursor(cursor)
    if after:
        stmt = stmt.where(Organisation.name > str(after[0]))
    rows = list(session.execute(stmt.limit(limit + 1)).scalars())
    nxt = encode_cursor([rows[limit - 1].name]) if len(rows) > limit else None
    return OrganisationPage(items=[org_out(o) for o in rows[:limit]], next=nxt)


@router.get("/organisations/{org_id}", response_model=OrganisationOut, responses={404: {"description": "Not found"}})
def get_organisation(org_id: str, actor: ActorDep, session: SessionDep) -> OrganisationOut:
    return org_out(scope.get_organisation(session, actor, org_id))


@router.get(
    "/organisations/{org_id}/users", response_model=list[UserOut], responses={404: {"description": "Not found"}}
)
def list_people(org_id: str, actor: ActorDep, session: SessionDep) -> list[UserOut]:
    org = scope.get_organisation(session, actor, org_id)
    return [user_out(u) for u in access_service.users_of(session, actor, org.id)]


@router.post(
    "/users",
    response_model=UserOut,
    status_code=201,
    responses={403: {"description": "Not allowed"}, 409: {"description": "Taken"}},
)
def create_user(
    body: UserCreate, actor: ActorDep, session: SessionDep, settings: SettingsDep, clock: ClockDep
) -> UserOut:
    user = access_service.create_user_as(
        session,
        settings,
        actor,
        organisation_id=body.organisation_id or actor.org_id,
        username=body.username,
        display_name=body.display_name,
        password=body.password,
        roles=body.roles,
        at=clock.now(),
        email=body.email,
    )
    return user_out(user)


def token_out(row: ApiToken, current: uuid.UUID | None) -> TokenOut:
    return TokenOut(
        id=row.id, kind=row.kind, created_at=row.created_at, expires_at=row.expires_at, current=row.id == current
    )


@router.get("/me/tokens", response_model=list[TokenOut])
def list_tokens(request: Request, actor: ActorDep, session: SessionDep, clock: ClockDep) -> list[TokenOut]:
    """The caller's own live browser sessions and API tokens, newest first; ``current`` marks this one."""
    current = current_token_id(request)
    return [token_out(t, current) for t in access_service.live_tokens(session, actor.user_id, now=clock.now())]


@router.delete(
    "/me/tokens/{token_id}", status_code=204, response_class=Response, responses={404: {"description": "Not found"}}
)
def revoke_token(token_id: str, actor: ActorDep, session: SessionDep, clock: ClockDep) -> Response:
    """Revoke one of the caller's own sessions or API tokens at once (also the current one)."""
    access_service.revoke_own_token(session, actor, token_id, now=clock.now())
    return Response(status_code=204)


@router.post(
    "/me/password",
    status_code=204,
    response_class=Response,
    responses={429: {"description": "Throttled"}},
)
def change_password(
    body: PasswordChange,
    request: Request,
    actor: ActorDep,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
) -> Response:
    """Change the caller's password (the current one is required; a wrong one counts as a failed login).
    Every other session and API token of the caller is revoked; this one stays."""
    result = access_service.change_password(
        session,
        settings,
        actor,
        current=body.current_password,
        new=body.new_password,
        client=client_address(request),
        now=clock.now(),
        keep=current_token_id(request),
    )
    if result.retry_after:
        return JSONResponse(THROTTLED, 429, headers={"Retry-After": str(result.retry_after)})
    if result.fields:  # returned, not raised: a wrong current password's failure is committed
        refused = {"code": "invalid_input", "message": "Password not accepted.", "fields": result.fields}
        return JSONResponse({"error": refused}, 422)
    return Response(status_code=204)


@router.post(
    "/users/{user_id}/deactivate",
    response_model=UserOut,
    responses={
        403: {"description": "Not allowed"},
        404: {"description": "Not found"},
        409: {"description": "Self, or the last administrator"},
    },
)
def deactivate_user(user_id: str, actor: ActorDep, session: SessionDep, clock: ClockDep) -> UserOut:
    """Deactivate a person (firm admin: own organisation; platform admin: any); their sessions and API
    tokens are revoked at once."""
    return user_out(onboarding.deactivate(session, actor, user_id, now=clock.now()))
