"""Sign in, sign out, and the language switch."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from tandem.access import logins, onboarding
from tandem.access import service as access_service
from tandem.access.models import User
from tandem.config import Settings
from tandem.deps import (
    SESSION_COOKIE,
    ClockDep,
    CsrfFailed,
    OptionalActorDep,
    SessionDep,
    SettingsDep,
    client_address,
)
from tandem.kit import i18n
from tandem.kit.errors import NotFound, RateLimited
from tandem.kit.i18n import N_
from tandem.web import csrf
from tandem.web.guards import CheckedActor, safe_next
from tandem.web.render import render

router = APIRouter(include_in_schema=False)

BAD_CREDENTIALS = N_("Wrong username or password.")
PENDING_COOKIE = "tandem_pending"
LOGIN_NOTICES = {
    "reset": N_("Your password was changed. Sign in with the new one."),
    "joined": N_("Your account is ready. Sign in with your username and password."),
    "setup": N_("The platform administrator was created. Sign in to set up the second factor."),
}
REQUIRED = N_("Required.")
TOO_LONG = N_("Too long.")
LANG_COOKIE_AGE = 365 * 24 * 3600


def public_page(
    request: Request,
    settings: Settings,
    template: str,
    ctx: dict[str, Any],
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
    reuse_token: bool = False,
) -> Response:
    """A page before any session (sign-in steps, first run, one-time links, all under /login): its forms
    carry the double-submit token of the login cookie."""
    existing = request.cookies.get(csrf.LOGIN_COOKIE, "")
    token = existing if reuse_token and 20 <= len(existing) <= 64 else csrf.new_token()
    response = render(request, template, {"login_csrf": token, **ctx}, status=status, headers=headers)
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


def login_page(
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
    notice: str | None = None,
) -> Response:
    ctx = {"next": next_url, "username": username, "error": error, "fields": fields or {}, "notice": notice}
    return public_page(request, settings, "login.html", ctx, status=status, headers=headers, reuse_token=reuse_token)


@router.get("/login")
def login_form(
    request: Request,
    actor: OptionalActorDep,
    settings: SettingsDep,
    session: SessionDep,
    next_url: Annotated[str, Query(alias="next")] = "/",
    done: str | None = None,
) -> Response:
    if actor is not None:
        return RedirectResponse(safe_next(next_url), 303)
    if not onboarding.platform_admin_exists(session):
        return RedirectResponse("/login/setup", 303)  # an empty database: the first-run page
    notice = LOGIN_NOTICES.get(done or "")
    return login_page(request, settings, next_url=safe_next(next_url), reuse_token=True, notice=notice)


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
        return login_page(request, settings, status=403, next_url=target, username=username[:64], error=CsrfFailed())
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
        return login_page(request, settings, status=422, next_url=target, username=username[:64], fields=fields)
    now = clock.now()
    result = logins.password_step(session, settings, username, password, attempt_of(request), now)
    if result.outcome == logins.THROTTLED:
        return login_page(
            request,
            settings,
            status=429,
            next_url=target,
            username=username,
            error=RateLimited(),
            headers={"Retry-After": str(result.retry_after)},
        )
    if result.user is None:
        return login_page(request, settings, status=401, next_url=target, username=username, error=BAD_CREDENTIALS)
    if result.outcome == logins.CODE_NEEDED:
        return pending(request, session, settings, result.user, "mfa", f"/login/code?next={quote(target)}", now)
    if result.outcome == logins.ENROLMENT_REQUIRED:
        return pending(request, session, settings, result.user, "enrol", f"/login/enrol?next={quote(target)}", now)
    return start_session(request, session, settings, result.user, target, now)


def attempt_of(request: Request) -> logins.Attempt:
    return logins.Attempt("web", client_address(request), request.headers.get("user-agent"))


def _cookie(response: Response, settings: Settings, name: str, value: str, max_age: int, path: str) -> None:
    samesite: Literal["lax", "strict"] = "lax" if name == SESSION_COOKIE else "strict"
    response.set_cookie(
        name, value, max_age=max_age, path=path, httponly=True, secure=settings.cookie_secure, samesite=samesite
    )


def pending(
    request: Request, session: Session, settings: Settings, user: User, kind: str, to: str, now: dt.datetime
) -> Response:
    """The password was right; the second step (a TOTP code, or the enrolment a required second factor
    asks for) comes next, carried by a short-lived cookie that is no session."""
    token, _row = access_service.issue_token(session, settings, user, now=now, kind=kind)
    response = RedirectResponse(to, 303)
    _cookie(response, settings, PENDING_COOKIE, token, settings.mfa_pending_minutes * 60, "/login")
    return response


def start_session(
    request: Request, session: Session, settings: Settings, user: User, target: str, now: dt.datetime
) -> Response:
    """Start a browser session (ending the one this browser had) and go to ``target``."""
    for old in (request.cookies.get(SESSION_COOKIE), request.cookies.get(PENDING_COOKIE)):
        if old:
            access_service.revoke_token(session, old, now=now)
    token, _row = access_service.issue_token(session, settings, user, now=now, kind="web")
    response = RedirectResponse(target, 303)
    _cookie(response, settings, SESSION_COOKIE, token, settings.session_ttl_hours * 3600, "/")
    response.delete_cookie(
        csrf.LOGIN_COOKIE, path="/login", httponly=True, secure=settings.cookie_secure, samesite="strict"
    )
    response.delete_cookie(
        PENDING_COOKIE, path="/login", httponly=True, secure=settings.cookie_secure, samesite="strict"
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
