"""The supervision feed, read-only over the API: one day's export as ``tandem export supervision`` writes
it (each file's exact text, so a receiver can save them and run ``tandem export verify``) and its records.
Supervision and the platform's administrators read it; for anyone else it does not exist (404)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from tandem.access.models import OrgKind
from tandem.deps import ActorDep, ClockDep, SessionDep, SettingsDep
from tandem.kit.clock import today_local
from tandem.kit.errors import InvalidInput, NotFound
from tandem.schemas import Date, Strict
from tandem.supervision import feed, signing

router = APIRouter(prefix="/api/v1/supervision", tags=["supervision"])


class FeedOut(Strict):
    date: Date
    files: dict[str, str]  # file name -> its exact text (manifest.json, manifest.sig, <kind>.jsonl)
    records: dict[str, list[dict[str, Any]]]  # kind -> its records, as in <kind>.jsonl


@router.get("/feed/{day}", response_model=FeedOut, responses={404: {"description": "Not found"}})
def get_feed(day: Date, actor: ActorDep, session: SessionDep, clock: ClockDep, settings: SettingsDep) -> FeedOut:
    """One Asia/Shanghai day of the signed supervision feed."""
    if not (actor.org_kind == OrgKind.SUPERVISION or (actor.org_kind == OrgKind.PLATFORM and actor.is_admin)):
        raise NotFound()
    if day > today_local(clock):
        raise InvalidInput(fields={"day": "has not begun yet (Asia/Shanghai)"})
    now = clock.now()
    records = feed.collect(session, day, now)
    export = signing.build(settings, day, records, now)
    files = {name: data.decode() for name, data in export.files.items()}
    return FeedOut(date=day, files=files, records=records)
