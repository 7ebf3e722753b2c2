"""Outbox handler of firms' change reports (变更报告): the reminder before the due date and the late notice."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from tandem.config import Settings
from tandem.party import filing
from tandem.worker.registry import task


@task("firm_change.deadline")
def firm_change_deadline(session: Session, payload: dict[str, Any], now: dt.datetime, settings: Settings) -> None:
    """Remind the firm before a change report is due; once it is late, tell the firm and supervision."""
    filing.deadline(session, payload, now)
