"""Error rendering for pages (the JSON API uses app.py's handler).

A 401 sends the browser to the login page (htmx requests get ``HX-Redirect``); every other error is
the same error page, or a small fragment for htmx. A 404 looks the same whether the object is
missing or not visible to the actor.
"""

from __future__ import annotations

import logging
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tandem.kit.errors import TandemError

log = logging.getLogger("tandem.web")


def wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api/") and request.url.path != "/healthz"


def login_redirect(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    location = "/login" if target in ("/", "/login") else f"/login?next={quote(target, safe='')}"
    if request.headers.get("hx-request") == "true":
        return Response(status_code=401, headers={"HX-Redirect": location})
    return RedirectResponse(location, 303)


def render_error_page(request: Request, status: int, exc: TandemError) -> Response:
    if status == 401:
        return login_redirect(request)
    from tandem.web.render import is_htmx, render

    template = "_error_fragment.html" if is_htmx(request) else "error.html"
    # The request's session was rolled back and closed with the failure: no unread count here, so
    # the page for a hidden object stays byte for byte the page for a missing one.
    request.state.db = None
    try:
        # No echo of the requested URL (the language switch goes back by Referer), so the page for
        # a hidden object is byte for byte the page for a missing one.
        return render(request, template, {"status": status, "error": exc, "current_url": ""}, status=status)
    except Exception:  # never fail while reporting a failure
        log.exception("error page failed to render")
        return HTMLResponse(f"<h1>{int(status)}</h1>", status)


class InternalError(TandemError):
    status = 500
    code = "internal"
    message = "Something went wrong on our side (request {request_id})."


def render_internal_error(request: Request) -> Response:
    """The page for an unexpected exception: a request id to quote, never a traceback."""
    rid = getattr(request.state, "request_id", None) or "-"
    return render_error_page(request, 500, InternalError(request_id=rid))
