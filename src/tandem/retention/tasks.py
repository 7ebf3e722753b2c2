"""Outbox handler of retention: anonymise an approved run."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from tandem.config import Settings
from tandem.retention import service
from tandem.worker.registry import task


@task("retention.anonymise")
def retention_anonymise(session: Session, payload: dict[str, Any], now: dt.datetime, settings: Settings) -> None:
    """Anonymise the personal data of the records of an approved run (``tandem.retention.service``)."""
    service.anonymise_run(session, payload["run"], now)
