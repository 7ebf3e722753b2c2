"""Outbox handler of complaints: the decision's clock (remind ahead, escalate when overdue)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from tandem.complaint import service
from tandem.config import Settings
from tandem.worker.registry import task


@task("complaint.deadline")
def complaint_deadline(session: Session, payload: dict[str, Any], now: dt.datetime, settings: Settings) -> None:
    """Remind the target ahead of the due date; escalate to supervision once it has passed undecided."""
    service.deadline(session, payload, now)
