"""Sign in, sign out, and the language switch."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from tandem.access import service as access_service
from tandem.config import Settings
from tandem.deps import SESSION_COOKIE, ClockDep, CsrfFailed, OptionalActorDep, SessionDep, SettingsDep
from tandem.kit import i18n
from tandem.kit.errors import NotFound, RateLimited
from tandem.kit.i18n import N_
from tandem.web import csrf
from tandem.web.guards import CheckedActor, safe_next
from tandem.web.render import render

router = APIRouter(include_in_schema=False)

BAD_CREDENTIALS = N_("Wrong username or password.")
REQUIRED = N_("Required.")
TOO_LONG = N_("Too long.")
LANG_COOKIE_AGE = 365 * 24 * 3600


def _login_page(
    request: Request,
    settings: Settings,
    *,
    status: int = 200,
    next_url: str = "/",
    username: str = "",
    error: Any = None,
    fields: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    reuse_token: bool = False,
) -> Response:
    existing = request.cookies.get(csrf.LOGIN_COOKIE, "")
    token = existing if reuse_token and 20 <= len(existing) <= 64 else csrf.new_token()
    response = render(
        request,
        "login.html",
        {"login_csrf": token, "next": next_url, "username": username, "error": error, "fields": fields or {}},
        status=status,
        headers=headers,
    )
    response.set_cookie(
        csrf.LOGIN_COOKIE,
        token,
        max_age=3600,
        path="/login",
        httponly=True,
        secure=settings.cookie_secure,
        samesite="strict",
    )
    return response


@router.get("/login")
def login_form(
    request: Request,
    actor: OptionalActorDep,
    settings: SettingsDep,
    next_url: Annotated[str, Query(alias="next")] = "/",
) -> Response:
    if actor is not None:
        return RedirectResponse(safe_next(next_url), 303)
    return _login_page(request, settings, next_url=safe_next(next_url), reuse_token=True)


@router.post("/login")
def login(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
    next_url: Annotated[str, Form(alias="next")] = "/",
) -> Response:
    """Check the password and start a browser session. Failures are returned, not raised, so the
    throttle's failure counter is committed."""
    target = safe_next(next_url)
    username = username.strip()
    if not csrf.login_token_ok(request, csrf_token):
        return _login_page(request, settings, status=403, next_url=target, username=username[:64], error=CsrfFailed())
    fields = {}
    if not username:
        fields["username"] = REQUIRED
    elif len(username) > 64:
        fields["username"] = TOO_LONG
    if not password:
        fields["password"] = REQUIRED
    elif len(password) > 256:
        fields["password"] = TOO_LONG
    if fields:
        return _login_page(request, settings, status=422, next_url=target, username=username[:64], fields=fields)
    now = clock.now()
    result = access_service.authenticate(
        session, settings, username, password, client=request.client.host if request.client else None, now=now
    )
    if result.throttled:
        return _login_page(
            request,
            settings,
            status=429,
            next_url=target,
            username=username,
            error=RateLimited(),
            headers={"Retry-After": str(result.retry_after)},
        )
    if result.user is None:
        return _login_page(request, settings, status=401, next_url=target, username=username, error=BAD_CREDENTIALS)
    old = request.cookies.get(SESSION_COOKIE)
    if old:
        access_service.revoke_token(session, old, now=now)
    token, _row = access_service.issue_token(session, settings, result.user, now=now, kind="web")
    response = RedirectResponse(target, 303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.session_ttl_hours * 3600,
        path="/",
        httponly=True,
        secure=settings.cookie_secure,
        samesite="lax",
    )
    response.delete_cookie(
        csrf.LOGIN_COOKIE, path="/login", httponly=True, secure=settings.cookie_secure, samesite="strict"
    )
    return response


@router.post("/logout")
def logout(
    request: Request, actor: CheckedActor, session: SessionDep, settings: SettingsDep, clock: ClockDep
) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        access_service.revoke_token(session, token, now=clock.now())
    response = RedirectResponse("/login", 303)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, secure=settings.cookie_secure, samesite="lax")
    return response


def _back(request: Request, next_url: str | None) -> str:
    if next_url:
        return safe_next(next_url)
    referer = request.headers.get("referer")
    if referer:
        parts = urlsplit(referer)
        if parts.netloc == request.url.netloc:
            return safe_next(parts.path + (f"?{parts.query}" if parts.query else ""))
    return "/"


@router.get("/lang/{code}")
def switch_language(
    code: str,
    request: Request,
    actor: OptionalActorDep,
    session: SessionDep,
    settings: SettingsDep,
    next_url: Annotated[str | None, Query(alias="next")] = None,
) -> Response:
    """Remember the language in a cookie (and in the user's preference when one is stored, since the
    preference outranks the cookie), then go back to the page."""
    if code not in i18n.LOCALES:
        raise NotFound()
    if actor is not None and actor.locale and i18n.normalise_locale(actor.locale) != code:
        access_service.set_locale(session, actor, code)
    response = RedirectResponse(_back(request, next_url), 303)
    response.set_cookie(
        i18n.LANG_COOKIE,
        code,
        max_age=LANG_COOKIE_AGE,
        path="/",
        httponly=True,
        secure=settings.cookie_secure,
        samesite="lax",
    )
    return response
