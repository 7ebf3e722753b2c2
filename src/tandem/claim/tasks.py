"""Outbox handlers of the claim module: copy to the insurer, routing escalations (R-C2)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.access.models import Role, User, UserRole
from tandem.audit import service as audit
from tandem.claim import documents
from tandem.claim.models import Claim, ClaimStatus, Deadline
from tandem.claim.service import broker_managers
from tandem.config import Settings
from tandem.notification.service import notify
from tandem.worker.registry import task

SUBJECTS = {
    "half": "【提醒】案件{number}已过指派时限的一半，请尽快确定公估人",
    "late": "【紧急】案件{number}距48小时指派时限不足，请立即处理",
    "missed": "【超时】案件{number}已超过指派时限",
}


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
    )
    _mail(
        session,
        broker_managers(session, claim.broker_id),
        SUBJECTS[stage].format(number=claim.number),
        f"报案时间 {claim.notified_at.isoformat()}，指派时限 {claim.routing_deadline.isoformat()}。",
        f"escalate:{claim.id}:{stage}",
        now,
        claim,
    )


@task("claim.render_letter")
def render_letter(session: Session, payload: dict[str, Any], now: dt.datetime, settings: Settings) -> None:
    documents.render_letter(session, settings, uuid.UUID(payload["appointment_id"]), now)


@task("report.render_pdf")
def render_report(session: Session, payload: dict[str, Any], now: dt.datetime, settings: Settings) -> None:
    documents.render_report(session, settings, uuid.UUID(payload["report_id"]), now)


@task("sla.check")
def sla_check(session: Session, payload: dict[str, Any], now: dt.datetime, settings: Settings) -> None:
    """A deadline fell due: if it still runs, mark it breached, put it on the timeline and alert."""
    dl = session.execute(
        select(Deadline).where(Deadline.claim_id == uuid.UUID(payload["claim_id"]), Deadline.kind == payload["kind"])
    ).scalar_one_or_none()
    if dl is None or dl.stopped_at is not None or dl.breached_at is not None or dl.due_at > now:
        return
    dl.breached_at = now
    claim = session.get(Claim, dl.claim_id)
    assert claim is not None
    audit.record(
        session,
        audit.SYSTEM,
        action="sla.breached",
        entity_type="claim",
        entity_id=claim.id,
        at=now,
        chain_key=f"case:{claim.id}",
        after={"deadline": dl.kind, "holder": dl.holder},
        audience=["broker", dl.holder],
    )
    if claim.broker_id:
        _mail(
            session,
            broker_managers(session, claim.broker_id),
            f"【时限超期】{claim.number} {dl.kind}",
            f"时限 {dl.kind} 已于 {dl.due_at.isoformat()} 到期，责任方：{dl.holder}。",
            f"sla:{dl.id}",
            now,
            claim,
        )
