"""FastAPI dependencies: settings, clock, the request's unit of work, the acting user."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from tandem.access import service as access_service
from tandem.access.actor import Actor
from tandem.config import Settings
from tandem.kit.clock import Clock
from tandem.kit.errors import ActionNotAllowed, InvalidInput, NotAuthenticated, TandemError

SESSION_COOKIE = "tandem_session"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Writes that concern only the signed-in user's own session and inbox, not the record: the only writes
# a read-only organisation (supervision) makes. A route for one's own account belongs here too, and so do
# those by which an organisation's administrator manages its own people (the service checks who may).
OWN_WRITES = frozenset(
    {
        "/account/totp/start",
        "/account/totp/confirm",
        "/account/totp/disable",
        "/organisations/{org_id}/invite",
        "/users/{user_id}/roles",
        "/users/{user_id}/deactivate",
        "/users/{user_id}/totp-reset",
        "/api/v1/me/totp/start",
        "/api/v1/me/totp/confirm",
        "/api/v1/me/totp/disable",
        "/api/v1/organisations/{org_id}/invitations",
        "/api/v1/users/{user_id}/roles",
        "/api/v1/users/{user_id}/totp-reset",
        "/api/v1/users/{user_id}/deactivate",
        "/logout",
        "/notifications/read",
        "/api/v1/notifications/read",
        "/account/password",
        "/account/tokens/{token_id}/revoke",
        "/api/v1/me/password",
        "/api/v1/me/tokens/{token_id}",
        # Supervision's own register: it publishes or returns a firm's filing (备案) and acknowledges its
        # change reports (the firm's moves on these routes are refused to it by the transition tables).
        "/api/v1/adjuster-firms/{firm_id}/filing/actions",
        "/api/v1/adjuster-firms/{firm_id}/change-reports/{change_id}/actions",
        "/adjuster-firms/{firm_id}/filing/{action}",
        "/adjuster-firms/{firm_id}/change-reports/{change_id}/{action}",
    }
)
# Supervision's own records on practitioners (tandem.party.practice): sanctions and bars, verification
# records, and registration changes it records. Its other writes stay refused.
SUPERVISION_WRITES = frozenset(
    {
        "/api/v1/registrations",
        "/api/v1/adjusters/{adjuster_id}/registration/leave",
        "/api/v1/adjusters/{adjuster_id}/registration/deregister",
        "/api/v1/adjusters/{adjuster_id}/checks",
        "/api/v1/adjusters/{adjuster_id}/sanctions",
        "/adjusters/{adjuster_id}/checks",
        "/adjusters/{adjuster_id}/sanctions",
        "/adjusters/{adjuster_id}/registration",
    }
)


class CsrfFailed(TandemError):
    status = 403
    code = "auth.csrf_failed"
    message = "The form has expired; reload the page and try again."


NUL = "\x00"
NO_NUL = "must not contain NUL characters"


def _nul_path(value: Any, path: str = "") -> str | None:
    """Where in a JSON document a string holds a NUL character (``items[0].description``), else None."""
    if isinstance(value, str):
        return path if NUL in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            found = _nul_path(key, path) or _nul_path(item, f"{path}.{key}" if path else str(key))
            if found is not None:
                return found
    elif isinstance(value, list):
        for n, item in enumerate(value):
            found = _nul_path(item, f"{path}[{n}]")
            if found is not None:
                return found
    return None


async def reject_nul(request: Request) -> None:
    """Text carrying a NUL character — in the query, a form or a JSON body — is refused here, for every
    route, with a 422 naming the field: PostgreSQL cannot store it, and no person types it."""
    for key, value in request.query_params.multi_items():
        if NUL in key or NUL in value:
            raise InvalidInput(fields={key.replace(NUL, "") or "query": NO_NUL})
    kind = request.headers.get("content-type", "")
    if kind.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form(max_part_size=64 * 1024)
        for key, item in form.multi_items():
            if NUL in key or (isinstance(item, str) and NUL in item):
                raise InvalidInput(fields={key.replace(NUL, "") or "body": NO_NUL})
    elif "json" in kind:
        raw = await request.body()
        if b"\\u0000" in raw:  # a NUL in JSON text is always escaped
            try:
                doc = json.loads(raw)
            except ValueError:
                return  # the route reports malformed JSON itself
            found = _nul_path(doc)
            if found is not None:
                raise InvalidInput(fields={found or "body": NO_NUL})


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


def get_session(request: Request) -> Iterator[Session]:
    """One unit of work per request: commit after the endpoint returns, roll back on any error."""
    session = request.app.state.session_factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
ClockDep = Annotated[Clock, Depends(get_clock)]
# scope="function": the unit of work commits before the response is sent. With the default ("request")
# FastAPI ends it only after the response has gone out, so a crash in between would lose an acknowledged
# write, and a failing commit would never be reported to the client.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def optional_actor(request: Request, session: SessionDep, clock: ClockDep) -> Actor | None:
    """Bearer token (API) or session cookie (browser); CSRF is checked for cookie writes, and a read-only
    organisation's writes are refused here, before anything else runs, for API and pages alike."""
    actor = _resolve_actor(request, session, clock)
    if (
        actor is not None
        and actor.read_only
        and request.method not in SAFE_METHODS
        and _route_path(request) not in OWN_WRITES
        and _route_path(request) not in SUPERVISION_WRITES
    ):
        raise ActionNotAllowed()
    return actor


def _route_path(request: Request) -> str:
    """The matched route's path template (``/account/tokens/{token_id}/revoke``)."""
    route = request.scope.get("route")
    return str(getattr(route, "path", request.url.path))


def _resolve_actor(request: Request, session: Session, clock: Clock) -> Actor | None:
    request_id = getattr(request.state, "request_id", None)
    token = _bearer(request)
    if token:
        found = access_service.resolve_token(session, token, now=clock.now(), kind="api")
        if found:
            request.state.token_id = found[1].id
            return Actor.from_user(found[0], request_id)
        return None
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        found = access_service.resolve_token(session, cookie, now=clock.now(), kind="web")
        if found:
            request.state.csrf_token = found[1].csrf_token
            request.state.token_id = found[1].id
            if (
                request.method not in SAFE_METHODS
                and request.url.path.startswith("/api/")
                and request.headers.get("x-csrf-token") != found[1].csrf_token
            ):
                raise CsrfFailed()
            return Actor.from_user(found[0], request_id)
    return None


def require_actor(actor: Annotated[Actor | None, Depends(optional_actor)]) -> Actor:
    if actor is None:
        raise NotAuthenticated()
    return actor


ActorDep = Annotated[Actor, Depends(require_actor)]


def current_token_id(request: Request) -> uuid.UUID | None:
    """The id of the session or API token this request came with (after the actor was resolved)."""
    token_id: uuid.UUID | None = getattr(request.state, "token_id", None)
    return token_id


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


OptionalActorDep = Annotated[Actor | None, Depends(optional_actor)]
