"""Page dependencies: the signed-in actor (else a redirect to /login) and the CSRF check for POSTs."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Form, Request

from tandem.access.actor import Actor
from tandem.deps import OptionalActorDep, SessionDep
from tandem.kit.errors import NotAuthenticated
from tandem.web import csrf


def page_actor(request: Request, actor: OptionalActorDep, session: SessionDep) -> Actor:
    """The actor of a page; remembered on the request so error pages show the same top bar. The
    request's session is remembered too, for the unread count in the top bar."""
    if actor is None:
        raise NotAuthenticated()
    request.state.actor = actor
    request.state.db = session
    return actor


PageActor = Annotated[Actor, Depends(page_actor)]


def checked_actor(request: Request, actor: PageActor, csrf_token: Annotated[str, Form()] = "") -> Actor:
    """The actor of an unsafe page request, after the CSRF token matched the session's."""
    csrf.verify_session(request, csrf_token)
    return actor


CheckedActor = Annotated[Actor, Depends(checked_actor)]


def safe_next(value: str | None, default: str = "/") -> str:
    """A local path to go back to; anything that could leave the site becomes ``default``."""
    if not value or len(value) > 2000:
        return default
    if not value.startswith("/") or value.startswith("//") or value.startswith("/\\"):
        return default
    if any(c in value for c in "\r\n\t\\") or value.startswith(("/login", "/logout", "/lang/")):
        return default
    return value
