"""CSRF protection for pages.

Signed-in requests carry the session's token (``request.state.csrf_token``, set by
``deps.optional_actor`` for cookie sessions) in the form field ``csrf_token`` or the header
``X-CSRF-Token``. The login form, which has no session yet, uses a double-submit cookie.
"""

from __future__ import annotations

import secrets

from fastapi import Request

from tandem.deps import CsrfFailed

FIELD = "csrf_token"
HEADER = "x-csrf-token"
LOGIN_COOKIE = "tandem_login_csrf"


def new_token() -> str:
    return secrets.token_urlsafe(24)


def _same(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and secrets.compare_digest(str(a).encode(), str(b).encode())


def submitted(request: Request, form_value: str | None) -> str | None:
    return form_value or request.headers.get(HEADER)


def verify_session(request: Request, form_value: str | None) -> None:
    """Refuse an unsafe signed-in request whose token does not match the session's."""
    expected: str | None = getattr(request.state, "csrf_token", None)
    if not _same(submitted(request, form_value), expected):
        raise CsrfFailed()


def login_token_ok(request: Request, form_value: str | None) -> bool:
    """Double submit: the login form's hidden field must equal its cookie."""
    return _same(submitted(request, form_value), request.cookies.get(LOGIN_COOKIE))
