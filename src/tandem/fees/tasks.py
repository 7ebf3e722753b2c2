"""Outbox handlers of invoices: the payer's reminders (a week before and on the due date) and the
escalation past 30 days overdue. Idempotent (delivery is at least once) and checking the state they find:
an invoice paid, disputed or replaced meanwhile is neither reminded of nor escalated."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy.orm import Session

from tandem.config import Settings
from tandem.fees import invoices
from tandem.worker.registry import task


@task("fees.invoice_reminder")
def invoice_reminder(session: Session, payload: dict[str, Any], now: dt.datetime, settings: Settings) -> None:
    invoices.remind(session, uuid.UUID(payload["invoice_id"]), payload["stage"], now)


@task("fees.invoice_escalate")
def invoice_escalate(session: Session, payload: dict[str, Any], now: dt.datetime, settings: Settings) -> None:
    invoices.escalate(session, uuid.UUID(payload["invoice_id"]), now)
