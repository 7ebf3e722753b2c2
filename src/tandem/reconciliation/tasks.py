"""Outbox handlers of the consultation: round deadlines and reminders, the MoU PDF."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy.orm import Session

from tandem.case.audience import ALL, SUPERVISION
from tandem.claim.documents import store_document
from tandem.claim.models import Claim
from tandem.config import Settings
from tandem.reconciliation import consultation as svc
from tandem.reconciliation.documents import mou_pdf
from tandem.reconciliation.models import Consultation, Memorandum
from tandem.worker.registry import task


@task("consultation.round_due")
def round_due(session: Session, payload: dict[str, Any], now: dt.datetime, settings: Settings) -> None:
    """The round's deadline passed: close it (once; a later round or a closed one is left alone)."""
    cons = session.get(Consultation, uuid.UUID(payload["consultation_id"]))
    if cons is None or cons.round != payload["round"] or cons.state != "negotiating":
        return
    claim = session.get(Claim, cons.claim_id)
    assert claim is not None
    svc.close_round(session, None, claim, cons, now)


@task("consultation.round_reminder")
def round_reminder(session: Session, payload: dict[str, Any], now: dt.datetime, settings: Settings) -> None:
    cons = session.get(Consultation, uuid.UUID(payload["consultation_id"]))
    if cons is None or cons.round != payload["round"] or cons.state != "negotiating":
        return
    claim = session.get(Claim, cons.claim_id)
    assert claim is not None
    svc._event(
        session,
        None,
        claim,
        "round_reminder",
        now,
        {"round": cons.round, "deadline": cons.round_deadline.isoformat() if cons.round_deadline else None},
    )


@task("consultation.render_mou")
def render_mou(session: Session, payload: dict[str, Any], now: dt.datetime, settings: Settings) -> None:
    memo = session.get(Memorandum, uuid.UUID(payload["memorandum_id"]))
    if memo is None:
        return
    cons = session.get(Consultation, memo.consultation_id)
    assert cons is not None
    store_document(
        session,
        settings,
        case_id=cons.case_id,
        claim_id=cons.claim_id,
        kind="mou_pdf",
        filename=f"{memo.number}.pdf",
        data=mou_pdf(session, memo),
        content_type="application/pdf",
        audience=[*ALL, SUPERVISION],
        now=now,
    )
