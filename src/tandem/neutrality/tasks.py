"""Outbox handlers of the neutrality regime: the notice PDF, the answer reminder, the deadline (upheld by
default) and the end of a listing at its term. Each is idempotent (delivery is at least once) and checks
the state it finds: a notice answered meanwhile is neither reminded of nor upheld by default."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy.orm import Session

from tandem.config import Settings
from tandem.neutrality import documents, findings, proposals
from tandem.neutrality.models import Finding
from tandem.worker.registry import task


def _finding(session: Session, payload: dict[str, Any]) -> Finding | None:
    return session.get(Finding, uuid.UUID(payload["finding_id"]))


@task("neutrality.render_notice")
def render_notice(session: Session, payload: dict[str, Any], now: dt.datetime, settings: Settings) -> None:
    documents.render_notice(session, settings, uuid.UUID(payload["finding_id"]), now)


@task("neutrality.remind")
def remind(session: Session, payload: dict[str, Any], now: dt.datetime, settings: Settings) -> None:
    finding = _finding(session, payload)
    if finding is not None:
        findings.remind(session, finding, now)


@task("neutrality.answer_due")
def answer_due(session: Session, payload: dict[str, Any], now: dt.datetime, settings: Settings) -> None:
    """At the deadline: the reminder goes out first if it never did, then the notice is upheld by default."""
    finding = _finding(session, payload)
    if finding is None:
        return
    findings.remind(session, finding, now)
    findings.uphold_by_default(session, finding, now)


@task("neutrality.listing_end")
def listing_end(session: Session, payload: dict[str, Any], now: dt.datetime, settings: Settings) -> None:
    proposals.end_listing(session, uuid.UUID(payload["entry_id"]), now)
