"""Outbox handlers of the claim module: copy to the insurer, routing escalations (R-C2)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.access.models import Role, User, UserRole
from tandem.audit import service as audit
from tandem.case.audience import deadline_audience
from tandem.claim import documents
from tandem.claim.models import Claim, ClaimStatus, Deadline
from tandem.config import Settings
from tandem.notification.service import notify
from tandem.worker.registry import task


def _mail(
    session: Session, users: list[User], subject: str, body: str, key: str, now: dt.datetime, claim: Claim | None = None
) -> None:
    notify(session, users, subject=subject, body=body, now=now, key=key, link=f"/claims/{claim.id}" if claim else None)


@task("claim.copied_to_insurer")
def copied_to_insurer(session: Session, payload: dict[str, Any], now: dt.datetime, settings: Settings) -> None:
    claim = session.get(Claim, uuid.UUID(payload["claim_id"]))
    if claim is None:
        return
    handlers = list(
        session.execute(
            select(User)
            .join(UserRole)
            .where(User.organisation_id == claim.insurer_id, UserRole.role == Role.INSURER_CLAIMS_HANDLER)
        )
        .unique()
        .scalars()
    )
    _mail(
        session,
        handlers,
        f"【新报案】{claim.number}",
        f"保单{claim.policy.number}报案：{claim.description}",
        f"copied:{claim.id}",
        now,
        claim,
    )


@task("routing.escalate")
def escalate(session: Session, payload: dict[str, Any], now: dt.datetime, settings: Settings) -> None:
    """Escalate to the broker's account managers while no adjuster is chosen. Idempotent."""
    claim = session.get(Claim, uuid.UUID(payload["claim_id"]))
    if claim is None or claim.status != ClaimStatus.NOTIFIED or claim.broker_id is None:
        return
    stage = payload["stage"]
    audit.record(
        session,
        audit.SYSTEM,
        action=f"routing.escalated_{stage}",
        entity_type="claim",
        entity_id=claim.id,
        at=now,
        chain_key=f"case:{claim.id}",
        after={"deadline": claim.routing_deadline.isoformat()},
        audience=["broker"],
    )  # the broker's account managers are told by tandem.case.notices


@task("claim.render_letter")
def render_letter(session: Session, payload: dict[str, Any], now: dt.datetime, settings: Settings) -> None:
    documents.render_letter(session, settings, uuid.UUID(payload["appointment_id"]), now)


@task("report.render_pdf")
def render_report(session: Session, payload: dict[str, Any], now: dt.datetime, settings: Settings) -> None:
    documents.render_report(session, settings, uuid.UUID(payload["report_id"]), now)


@task("sla.check")
def sla_check(session: Session, payload: dict[str, Any], now: dt.datetime, settings: Settings) -> None:
    """A deadline comes near (``stage`` warning) or falls due: if it still runs, warn its holder, or mark it
    breached; either goes on the timeline, and tandem.case.notices tells the parties."""
    case_id = uuid.UUID(payload.get("case_id") or payload["claim_id"])
    dl = session.execute(
        select(Deadline).where(Deadline.case_id == case_id, Deadline.kind == payload["kind"])
    ).scalar_one_or_none()
    if dl is None or dl.stopped_at is not None or dl.breached_at is not None:
        return
    warning = payload.get("stage") == "warning"
    if warning and (dl.due_at.isoformat() != payload.get("due") or dl.due_at <= now):
        return  # the clock was restarted since, or is already due
    if not warning and dl.due_at > now:
        return
    if not warning:
        dl.breached_at = now
    audit.record(
        session,
        audit.SYSTEM,
        action="sla.warning" if warning else "sla.breached",
        entity_type="claim" if dl.claim_id else "case",  # a placement's clock is on its case
        entity_id=dl.claim_id or dl.case_id,
        at=now,
        chain_key=f"case:{dl.case_id}",
        after={"deadline": dl.kind, "holder": dl.holder, "due": dl.due_at.isoformat()},
        audience=deadline_audience(session, dl),
    )
