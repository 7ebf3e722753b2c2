"""Choosing the placement's adjuster (R-U1, R-U2), as pages: the public adjuster register an insured
searches to name its own adjuster."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from tandem.deps import ClockDep, SessionDep
from tandem.kit.clock import today_local
from tandem.kit.errors import InvalidInput
from tandem.kit.i18n import N_
from tandem.routing import register
from tandem.routing.service import PROVINCES
from tandem.web.guards import PageActor
from tandem.web.render import render

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 30


@router.get("/adjuster-register")
def adjuster_register(
    request: Request,
    actor: PageActor,
    session: SessionDep,
    clock: ClockDep,
    q: Annotated[str, Query(max_length=500)] = "",
    line: Annotated[str, Query(max_length=40)] = "",
    province: Annotated[str, Query(max_length=10)] = "",
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> Response:
    """The public register (公估师公开名录): names, firms, qualification status and lines, no personal data."""
    errors: dict[str, object] = {}
    try:
        page = register.search(
            session, actor, today_local(clock), q=q, line=line, province=province, cursor=cursor, limit=PAGE_SIZE
        )
    except InvalidInput as exc:
        errors = {name: REGISTER_ERRORS.get(name, exc.message) for name in exc.fields or {}}
        page = register.RegisterPage([], None)
    filters = {"q": q.strip(), "line": line.strip(), "province": province.strip()}
    more = {**{k: v for k, v in filters.items() if v}, "cursor": page.next} if page.next else None
    return render(
        request,
        "adjusters/public_register.html",
        {
            "rows": page.rows,
            "more": more,
            "paged": bool(cursor),
            "errors": errors,
            "lines": register.SEARCH_LINES,
            "provinces": PROVINCES,
            **filters,
        },
    )


REGISTER_ERRORS = {
    "q": N_("At most 100 characters."),
    "line": N_("Choose a line from the list."),
    "province": N_("Choose a province from the list."),
    "cursor": N_("This page link is no longer valid; search again."),
}
