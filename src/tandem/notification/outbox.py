"""The transactional outbox (发件箱): ``enqueue`` writes a job row in the caller's transaction, so a
rolled-back change sends nothing and a committed one is never lost."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import CursorResult
from sqlalchemy.orm import Session

from tandem.db import insert_or_skip
from tandem.kit.canonical import normalise
from tandem.notification.models import OutboxJob


@dataclass(frozen=True)
class Job:
    topic: str
    payload: dict[str, Any]
    dedupe_key: str | None = None
    not_before: dt.datetime | None = None


def enqueue(
    session: Session,
    topic: str,
    payload: dict[str, Any],
    *,
    now: dt.datetime,
    dedupe_key: str | None = None,
    not_before: dt.datetime | None = None,
) -> bool:
    """Queue a job; with a ``dedupe_key`` a second enqueue of the same key is a no-op (returns False)."""
    return enqueue_all(session, [Job(topic, payload, dedupe_key, not_before)], now=now) > 0


def enqueue_all(session: Session, jobs: list[Job], *, now: dt.datetime) -> int:
    """Queue several jobs in one INSERT; returns how many were new (a known ``dedupe_key`` is skipped)."""
    stmt = insert_or_skip(session, OutboxJob, "dedupe_key").values(
        [
            {
                "topic": j.topic,
                "payload": normalise(j.payload),
                "dedupe_key": j.dedupe_key,
                "created_at": now,
                "not_before": j.not_before or now,
                "attempts": 0,
            }
            for j in jobs
        ]
    )
    result = cast(CursorResult[Any], session.execute(stmt))
    return int(result.rowcount)
