"""The user's own account (账户): change the password, see and end one's sessions and API tokens."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from tandem.access import logins, totp
from tandem.access import service as access_service
from tandem.access.actor import Actor
from tandem.access.models import User
from tandem.deps import ClockDep, SessionDep, SettingsDep, client_address, current_token_id
from tandem.kit.errors import InvalidInput, RateLimited
from tandem.kit.i18n import N_
from tandem.web import forms
from tandem.web.guards import CheckedActor, PageActor
from tandem.web.render import render

router = APIRouter(include_in_schema=False)

NOTICES = {
    "password": N_("Your password was changed. Your other sessions and API tokens were ended."),
    "revoked": N_("The session was ended."),
    "totp_off": N_("The second factor is off."),
}


def _page(
    request: Request,
    actor: Actor,
    session: SessionDep,
    clock: ClockDep,
    *,
    errors: dict[str, Any] | None = None,
    notice: str | None = None,
    status: int = 200,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> Response:
    tokens = access_service.live_tokens(session, actor.user_id, now=clock.now())
    user = session.get(User, actor.user_id)
    assert user is not None
    ctx = {
        "tokens": tokens,
        "current": current_token_id(request),
        "errors": errors or {},
        "notice": notice,
        "history": logins.history(session, actor.user_id),
        "totp_on": totp.enabled(user),
        "totp_required": totp.required(user, request.app.state.settings),
        "enrol": None,
        "recovery_codes": None,
        **(extra or {}),
    }
    return render(request, "account.html", ctx, status=status, headers=headers)


@router.get("/account")
def account(
    request: Request, actor: PageActor, session: SessionDep, clock: ClockDep, done: str | None = None
) -> Response:
    return _page(request, actor, session, clock, notice=NOTICES.get(done or ""))


@router.post("/account/password")
def change_password(
    request: Request,
    actor: CheckedActor,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    current_password: Annotated[str, Form()] = "",
    new_password: Annotated[str, Form()] = "",
) -> Response:
    """Errors are returned beside their field (not raised), so a wrong current password's failure counts."""
    errors: dict[str, Any] = {}
    for name, value in (("current_password", current_password), ("new_password", new_password)):
        if not value:
            errors[name] = forms.REQUIRED
        elif len(value) > 256:
            errors[name] = forms.TOO_LONG
    if errors:
        return _page(request, actor, session, clock, errors=errors, status=422)
    result = access_service.change_password(
        session,
        settings,
        actor,
        current=current_password,
        new=new_password,
        client=client_address(request),
        now=clock.now(),
        keep=current_token_id(request),
    )
    if result.retry_after:
        headers = {"Retry-After": str(result.retry_after)}
        return _page(
            request, actor, session, clock, errors={"current_password": RateLimited()}, status=429, headers=headers
        )
    if result.fields:
        return _page(request, actor, session, clock, errors=dict(result.fields), status=422)
    return RedirectResponse("/account?done=password", 303)


@router.post("/account/tokens/{token_id}/revoke")
def revoke(token_id: str, actor: CheckedActor, session: SessionDep, clock: ClockDep) -> Response:
    """End one of one's own sessions or API tokens (another's, or none: 404)."""
    access_service.revoke_own_token(session, actor, token_id, now=clock.now())
    return RedirectResponse("/account?done=revoked", 303)


def _enrolment(settings: SettingsDep, user: User) -> dict[str, Any]:
    return {
        "enrol": {
            "secret": totp.secret_of(settings, user),
            "qr": totp.qr_data_uri(totp.provisioning_uri(settings, user)),
        }
    }


@router.post("/account/totp/start")
def totp_start(
    request: Request, actor: CheckedActor, session: SessionDep, settings: SettingsDep, clock: ClockDep
) -> Response:
    """A new secret: the page shows its QR code and key, and asks for the app's first code."""
    user = session.get(User, actor.user_id)
    assert user is not None
    totp.start(session, settings, user)
    return _page(request, actor, session, clock, extra=_enrolment(settings, user))


@router.post("/account/totp/confirm")
def totp_confirm(
    request: Request,
    actor: CheckedActor,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    code: Annotated[str, Form()] = "",
) -> Response:
    """The first code turns it on; the recovery codes are shown on this answer only."""
    user = session.get(User, actor.user_id)
    assert user is not None
    try:
        codes = totp.confirm(session, settings, user, code[:40], now=clock.now())
    except InvalidInput as exc:
        extra = _enrolment(settings, user) if user.totp_secret else {}
        return _page(request, actor, session, clock, errors=dict(exc.fields or {}), status=422, extra=extra)
    return _page(request, actor, session, clock, extra={"recovery_codes": codes})


@router.post("/account/totp/disable")
def totp_disable(
    request: Request,
    actor: CheckedActor,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    code: Annotated[str, Form()] = "",
) -> Response:
    user = session.get(User, actor.user_id)
    assert user is not None
    try:
        totp.disable(session, settings, user, code[:40], now=clock.now())
    except InvalidInput as exc:
        return _page(request, actor, session, clock, errors=dict(exc.fields or {}), status=422)
    return RedirectResponse("/account?done=totp_off", 303)
