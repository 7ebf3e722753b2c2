"""The in-app inbox (通知): newest first, unread marked, one button to mark everything read."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from tandem.deps import ClockDep, SessionDep
from tandem.notification.service import inbox, mark_read
from tandem.web.guards import CheckedActor, PageActor, safe_next
from tandem.web.render import render

router = APIRouter(include_in_schema=False)
LIMIT = 100


@router.get("/notifications")
def notifications(request: Request, actor: PageActor, session: SessionDep) -> Response:
    rows = inbox(session, actor.user_id, limit=LIMIT)
    links = {n.id: safe_next(n.link, "") if n.link else "" for n in rows}
    return render(request, "notifications.html", {"rows": rows, "links": links, "limit": LIMIT})


@router.post("/notifications/read")
def read_all(actor: CheckedActor, session: SessionDep, clock: ClockDep) -> Response:
    mark_read(session, actor.user_id, clock.now())
    return RedirectResponse("/notifications", 303)
