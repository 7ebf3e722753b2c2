"""The in-app inbox."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter
from pydantic import BaseModel

from tandem.deps import ActorDep, ClockDep, SessionDep
from tandem.notification.service import inbox, mark_read

router = APIRouter(prefix="/api/v1/notifications", tags=["notifications"])


class NotificationOut(BaseModel):
    id: int
    subject: str
    body: str
    link: str | None = None
    created_at: dt.datetime
    read: bool


@router.get("", response_model=list[NotificationOut])
def my_notifications(actor: ActorDep, session: SessionDep) -> list[NotificationOut]:
    return [
        NotificationOut(
            id=n.id, subject=n.subject, body=n.body, link=n.link, created_at=n.created_at, read=n.read_at is not None
        )
        for n in inbox(session, actor.user_id)
    ]


@router.post("/read", response_model=dict[str, int])
def read_all(actor: ActorDep, session: SessionDep, clock: ClockDep) -> dict[str, int]:
    return {"marked": mark_read(session, actor.user_id, clock.now())}
