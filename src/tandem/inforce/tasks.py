"""Outbox handlers of a policy in force: the durable timers of staged risk evaluation (R-U9), of recoveries
and of mid-term change requests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from tandem.config import Settings
from tandem.inforce import staged
from tandem.policy import endorsements, recovery
from tandem.worker.registry import task


@task("staged.open_survey")
def open_survey(session: Session, payload: dict[str, Any], now: dt.datetime, settings: Settings) -> None:
    """Open a scheduled re-survey for the broker's adjuster firm (idempotent; a moved schedule's old timer
    does nothing)."""
    staged.open_survey(session, payload["survey_id"], payload["opens_at"], now)


@task("staged.task_check")
def task_check(session: Session, payload: dict[str, Any], now: dt.datetime, settings: Settings) -> None:
    """Remind the insured of a task, or mark the commitment missed once its date has passed."""
    staged.check_task(session, payload["task_id"], payload["due"], payload["stage"], now)


@task("recovery.deadline")
def recovery_deadline(session: Session, payload: dict[str, Any], now: dt.datetime, settings: Settings) -> None:
    """A recovery's deadline: remind the insurer ahead of the date, tell both sides once it has passed."""
    recovery.deadline(session, payload, now)


@task(endorsements.TOPIC)
def change_deadline(session: Session, payload: dict[str, Any], now: dt.datetime, settings: Settings) -> None:
    """A mid-term change's last day: remind the insurer before it, tell the insurer and the broker after it."""
    endorsements.deadline(session, payload, now)
