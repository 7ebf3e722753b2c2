"""The worker: claims due outbox jobs with a lease, runs each in its own unit of work, retries with
backoff. A worker killed mid-job leaves the lease to expire; the job is then claimed again."""

from __future__ import annotations

import datetime as dt
import logging
import time
import traceback
from dataclasses import dataclass

from sqlalchemy import select, text, update
from sqlalchemy.orm import Session, sessionmaker

from tandem.config import Settings
from tandem.kit.clock import Clock
from tandem.notification.models import OutboxJob
from tandem.tasks import load_builtin_tasks
from tandem.worker.registry import HANDLERS

log = logging.getLogger("tandem.worker")
# A killed worker's jobs wait this long before another worker takes them: short, but longer than a job
# takes (PDF rendering takes seconds; SMTP times out at 30 s). Runs are at least once.
LEASE = dt.timedelta(seconds=60)
MAX_ATTEMPTS = 8


@dataclass
class RunStats:
    done: int = 0
    retried: int = 0
    failed: int = 0


def claim(session: Session, now: dt.datetime, limit: int) -> list[int]:
    """Lease up to ``limit`` due jobs (PostgreSQL: SKIP LOCKED, so several workers never collide)."""
    due = (
        select(OutboxJob.id)
        .where(
            OutboxJob.done_at.is_(None),
            OutboxJob.failed_at.is_(None),
            OutboxJob.not_before <= now,
            (OutboxJob.claimed_until.is_(None)) | (OutboxJob.claimed_until < now),
        )
        .order_by(OutboxJob.not_before, OutboxJob.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    ids = list(session.execute(due).scalars())
    if ids:
        session.execute(
            update(OutboxJob)
            .where(OutboxJob.id.in_(ids))
            .values(claimed_until=now + LEASE, attempts=OutboxJob.attempts + 1)
        )
    return ids


def _backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(3600, 5 * 2 ** max(0, attempts - 1)))


def run_job(factory: sessionmaker[Session], settings: Settings, clock: Clock, job_id: int) -> str:
    """Run one claimed job; the handler's work and ``done_at`` commit together."""
    session = factory()
    try:
        job = session.get(OutboxJob, job_id)
        if job is None or job.done_at is not None:
            session.rollback()
            return "skipped"
        handler = HANDLERS.get(job.topic)
        if handler is None:
            raise LookupError(f"no handler for topic {job.topic}")
        handler(session, job.payload, clock.now(), settings)
        job.done_at = clock.now()
        job.claimed_until = None
        session.commit()
        return "done"
    except Exception as exc:
        session.rollback()
        err = "".join(traceback.format_exception_only(type(exc), exc)).strip()[:2000]
        with factory.begin() as s2:
            job = s2.get(OutboxJob, job_id)
            if job is None:
                return "skipped"
            job.last_error = err
            job.claimed_until = None
            if job.attempts >= MAX_ATTEMPTS:
                job.failed_at = clock.now()
                log.error("job %s (%s) failed for good: %s", job_id, job.topic, err)
                return "failed"
            job.not_before = clock.now() + _backoff(job.attempts)
        log.warning("job %s will be retried: %s", job_id, err)
        return "retried"
    finally:
        session.close()


def run_once(factory: sessionmaker[Session], settings: Settings, clock: Clock, batch: int = 50) -> RunStats:
    """Claim one batch and run it."""
    load_builtin_tasks()
    with factory.begin() as session:
        ids = claim(session, clock.now(), batch)
    stats = RunStats()
    for job_id in ids:
        outcome = run_job(factory, settings, clock, job_id)
        if outcome == "done":
            stats.done += 1
        elif outcome == "retried":
            stats.retried += 1
        elif outcome == "failed":
            stats.failed += 1
    return stats


def run_forever(
    factory: sessionmaker[Session], settings: Settings, clock: Clock, idle_sleep: float = 1.0
) -> None:  # pragma: no cover - exercised by the CLI
    while True:
        stats = run_once(factory, settings, clock)
        if stats.done + stats.retried + stats.failed == 0:
            time.sleep(idle_sleep)


def pending_count(session: Session) -> int:
    return int(
        session.execute(
            text("SELECT count(*) FROM outbox_job WHERE done_at IS NULL AND failed_at IS NULL")
        ).scalar_one()
    )
