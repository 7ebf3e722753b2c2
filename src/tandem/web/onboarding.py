"""Pages before a session (all under /login, where the pre-session CSRF cookie lives): the second step of
signing in (a TOTP code, or the enrolment a required second factor asks for), the first-run page of an
empty database, the password reset by e-mail link and the acceptance of an invitation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from tandem.access import links, logins, onboarding, totp
from tandem.access import service as access_service
from tandem.access.models import User
from tandem.config import Settings
from tandem.deps import ClockDep, CsrfFailed, SessionDep, SettingsDep
from tandem.kit.clock import Clock
from tandem.kit.errors import InvalidInput, NotFound, RateLimited, TandemError
from tandem.kit.i18n import N_
from tandem.web import csrf, forms
from tandem.web.auth_pages import PENDING_COOKIE, attempt_of, login_page, public_page, start_session
from tandem.web.guards import safe_next

router = APIRouter(include_in_schema=False)

EXPIRED_STEP = N_("The sign-in step has expired; enter your username and password again.")
RESET_SENT = N_(
    "If an account matches, a link to reset its password has been sent to its e-mail address. It works once, "
    "for one hour."
)
REPEAT_MISMATCH = N_("The two passwords are not the same.")


def _csrf_ok(request: Request, token: str) -> None:
    if not csrf.login_token_ok(request, token):
        raise CsrfFailed()


def _pending_user(request: Request, session: Session, clock: Clock, kind: str) -> User | None:
    token = request.cookies.get(PENDING_COOKIE)
    found = access_service.resolve_token(session, token, now=clock.now(), kind=kind) if token else None
    return found[0] if found else None


def _expired(request: Request, settings: Settings) -> Response:
    return login_page(request, settings, status=401, error=EXPIRED_STEP)


# ---- the second step: a TOTP code ----------------------------------------------------------------


@router.get("/login/code")
def code_form(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    next_url: Annotated[str, Query(alias="next")] = "/",
) -> Response:
    if _pending_user(request, session, clock, "mfa") is None:
        return _expired(request, settings)
    return public_page(request, settings, "login_code.html", {"next": safe_next(next_url), "errors": {}})


@router.post("/login/code")
def code_submit(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    code: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
    next_url: Annotated[str, Form(alias="next")] = "/",
) -> Response:
    """A wrong code is returned (not raised) so the throttle and the login history commit."""
    _csrf_ok(request, csrf_token)
    user = _pending_user(request, session, clock, "mfa")
    if user is None:
        return _expired(request, settings)
    target = safe_next(next_url)
    result = logins.code_step(session, settings, user, code[:40], attempt_of(request), clock.now())
    if result.outcome == logins.SUCCESS:
        return start_session(request, session, settings, user, target, clock.now())
    error: object = RateLimited() if result.outcome == logins.THROTTLED else totp.WRONG_CODE
    return public_page(request, settings, "login_code.html", {"next": target, "errors": {"code": error}}, status=401)


# ---- the second step: enrolment a role requires ----------------------------------------------------


def _enrol_page(
    request: Request, settings: Settings, user: User, target: str, errors: dict[str, Any], status: int = 200
) -> Response:
    uri = totp.provisioning_uri(settings, user)
    ctx = {
        "next": target,
        "errors": errors,
        "secret": totp.secret_of(settings, user),
        "qr": totp.qr_data_uri(uri),
        "uri": uri,
    }
    return public_page(request, settings, "login_enrol.html", ctx, status=status)


@router.get("/login/enrol")
def enrol_form(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    next_url: Annotated[str, Query(alias="next")] = "/",
) -> Response:
    user = _pending_user(request, session, clock, "enrol")
    if user is None:
        return _expired(request, settings)
    if not user.totp_secret:
        totp.start(session, settings, user)
    return _enrol_page(request, settings, user, safe_next(next_url), {})


@router.post("/login/enrol")
def enrol_submit(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    code: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
    next_url: Annotated[str, Form(alias="next")] = "/",
) -> Response:
    """The first code turns the second factor on; the session starts on the page that shows the recovery
    codes (once)."""
    _csrf_ok(request, csrf_token)
    user = _pending_user(request, session, clock, "enrol")
    if user is None or not user.totp_secret:
        return _expired(request, settings)
    target = safe_next(next_url)
    try:
        codes = totp.confirm(session, settings, user, code[:40], now=clock.now())
    except InvalidInput as exc:
        return _enrol_page(request, settings, user, target, dict(exc.fields or {}), status=422)
    logins.record(session, user.id, logins.SUCCESS, attempt_of(request), clock.now())
    started = start_session(request, session, settings, user, target, clock.now())
    page = public_page(request, settings, "login_recovery.html", {"codes": codes, "next": target})
    for name, value in started.headers.items():
        if name.lower() == "set-cookie":
            page.headers.append("set-cookie", value)
    return page


# ---- first run -----------------------------------------------------------------------------------


def _no_admin_yet(session: Session) -> None:
    if onboarding.platform_admin_exists(session):
        raise NotFound()


SETUP_FIELDS = ("username", "display_name", "email", "password", "password_repeat")


@router.get("/login/setup")
def setup_form(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    """The first-run page: only while the platform has no administrator (404 after)."""
    _no_admin_yet(session)
    return public_page(request, settings, "setup.html", {"values": {}, "errors": {}})


@router.post("/login/setup")
def setup_submit(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    username: Annotated[str, Form()] = "",
    display_name: Annotated[str, Form()] = "",
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    password_repeat: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    _csrf_ok(request, csrf_token)
    _no_admin_yet(session)
    values = {
        "username": username.strip()[:64],
        "display_name": display_name.strip()[:100],
        "email": email.strip()[:200],
    }
    done = _with_password(
        session,
        values | {"password": password},
        ("username", "display_name", "email", "password"),
        password_repeat,
        lambda: onboarding.create_platform_admin(
            session, settings, **values, password=password, now=clock.now(), first_run=True
        ),
        "setup",
    )
    if isinstance(done, Response):
        return done
    return public_page(request, settings, "setup.html", {"values": values, "errors": done}, status=422)


def _with_password(
    session: Session,
    values: dict[str, str],
    names: tuple[str, ...],
    repeat: str,
    act: Callable[[], object],
    done: str,
) -> Response | dict[str, Any]:
    """A form that sets a password: the fields ``names`` are required and the password (the last of them) is
    typed twice alike; then ``act`` and on to the login page with notice ``done``. Otherwise the errors by
    field: the form's own, or the service's refusal (beside the first field when it names none)."""
    errors = _required(values, names)
    if not errors and values[names[-1]] != repeat:
        errors["password_repeat"] = REPEAT_MISMATCH
    if errors:
        return errors
    try:
        act()
    except TandemError as exc:
        session.rollback()
        return dict(exc.fields or {}) or {names[0]: exc}
    return RedirectResponse(f"/login?done={done}", 303)


def _required(values: dict[str, str], names: tuple[str, ...]) -> dict[str, Any]:
    errors: dict[str, Any] = {}
    for name in names:
        if not values.get(name):
            errors[name] = forms.REQUIRED
        elif len(values[name]) > 256:
            errors[name] = forms.TOO_LONG
    return errors


# ---- password reset ------------------------------------------------------------------------------


@router.get("/login/reset")
def reset_request_form(request: Request, settings: SettingsDep) -> Response:
    return public_page(request, settings, "reset_request.html", {"sent": False, "errors": {}, "login": ""})


@router.post("/login/reset")
def reset_request(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    login: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """The same answer whether or not an account matched (no account enumeration)."""
    _csrf_ok(request, csrf_token)
    errors = _required({"login": login.strip()}, ("login",))
    if errors:
        return public_page(
            request, settings, "reset_request.html", {"sent": False, "errors": errors, "login": ""}, status=422
        )
    links.request_reset(session, settings, login, now=clock.now())
    return public_page(
        request, settings, "reset_request.html", {"sent": True, "errors": {}, "login": "", "notice": RESET_SENT}
    )


def _invalid_link(request: Request, settings: Settings) -> Response:
    return public_page(request, settings, "link_invalid.html", {"error": links.LinkInvalid()}, status=410)


@router.get("/login/reset/{token}")
def reset_form(token: str, request: Request, session: SessionDep, settings: SettingsDep, clock: ClockDep) -> Response:
    try:
        _link, user = links.reset_user(session, token, now=clock.now())
    except links.LinkInvalid:
        return _invalid_link(request, settings)
    return public_page(request, settings, "reset_form.html", {"token": token, "user": user, "errors": {}})


@router.post("/login/reset/{token}")
def reset_submit(
    token: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    new_password: Annotated[str, Form()] = "",
    password_repeat: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    _csrf_ok(request, csrf_token)
    try:
        _link, user = links.reset_user(session, token, now=clock.now())
    except links.LinkInvalid:
        return _invalid_link(request, settings)
    done = _with_password(
        session,
        {"new_password": new_password},
        ("new_password",),
        password_repeat,
        lambda: links.reset_password(session, settings, token, new_password=new_password, now=clock.now()),
        "reset",
    )
    if isinstance(done, Response):
        return done
    ctx = {"token": token, "user": user, "errors": done}
    return public_page(request, settings, "reset_form.html", ctx, status=422)


# ---- invitations ---------------------------------------------------------------------------------


@router.get("/login/invitation/{token}")
def invitation_form(
    token: str, request: Request, session: SessionDep, settings: SettingsDep, clock: ClockDep
) -> Response:
    try:
        link, org = links.invitation(session, token, now=clock.now())
    except links.LinkInvalid:
        return _invalid_link(request, settings)
    ctx = {"token": token, "link": link, "org": org, "values": {}, "errors": {}}
    return public_page(request, settings, "invitation.html", ctx)


@router.post("/login/invitation/{token}")
def invitation_submit(
    token: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    password_repeat: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """Choose a username and set the password; bad input leaves the link usable."""
    _csrf_ok(request, csrf_token)
    try:
        link, org = links.invitation(session, token, now=clock.now())
    except links.LinkInvalid:
        return _invalid_link(request, settings)
    values = {"username": username.strip()[:64]}
    done = _with_password(
        session,
        values | {"password": password},
        ("username", "password"),
        password_repeat,
        lambda: links.accept_invitation(
            session, settings, token, username=values["username"], password=password, now=clock.now()
        ),
        "joined",
    )
    if isinstance(done, Response):
        return done
    ctx = {"token": token, "link": link, "org": org, "values": values, "errors": done}
    return public_page(request, settings, "invitation.html", ctx, status=422)
