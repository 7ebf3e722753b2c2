"""Retention (保存期限, regulation.md §1.5 and PIPL Art. 19/47): when each record's statutory keeping period
ends, and the run that anonymises the personal data of the records past it.

* A closed claim case is kept by the adjuster firm that handled it for 15 years from its close.
* A broker's business file of a placed policy is kept for 5 years from the contract's end when the term is
  at most one year, 10 years when longer.

An organisation admin proposes the due list as a run; the platform admin approves (or rejects) it; only an
approved run is anonymised, by the worker (``retention.anonymise``). Anonymising replaces the personal values
in the live rows (through the ORM, so encrypted columns stay encrypted); submitted reports and audit events are
never rewritten, so their hashes and the chain still verify (docs/security.md)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tandem.access.actor import Actor
from tandem.access.models import Organisation, OrgKind, Role
from tandem.audit import service as audit
from tandem.audit.models import AuditEvent
from tandem.brokerage.models import BusinessFile
from tandem.claim.models import Claim, ClaimStatus, InboundMessage
from tandem.kit import transition
from tandem.kit.clock import today_local
from tandem.kit.errors import ActionNotAllowed, InvalidInput, NotFound
from tandem.kit.i18n import N_
from tandem.kit.transition import Rule
from tandem.notification import outbox
from tandem.party.models import Adjuster, Insured, InsuredKind
from tandem.policy.models import Policy
from tandem.retention.models import RetentionRun

CASE_YEARS = 15
SHORT_YEARS, LONG_YEARS = 5, 10
ANON = "[anonymised]"
ORG_ADMINS = frozenset({Role.ORG_ADMIN, Role.ADJUSTER_FIRM_ADMIN})
PLATFORM = frozenset({Role.PLATFORM_ADMIN})
NOTHING_DUE = N_("Nothing is due for anonymisation on this date.")
RULES: transition.Table = {
    ("proposed", "approve"): Rule("approved", PLATFORM),
    ("proposed", "reject"): Rule("rejected", PLATFORM),
    ("approved", "anonymise"): Rule("done", frozenset()),
}


@dataclass(frozen=True)
class Due:
    kind: str  # claim_case | business_file
    id: uuid.UUID
    ref: str  # the claim's or the policy's number
    ends_on: dt.date  # the keeping period's start (case close, contract end)
    due_on: dt.date


def add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def file_years(policy: Policy) -> int:
    """5 years for a contract of at most one year, 10 for a longer one (经纪人规定 Art. 51)."""
    return SHORT_YEARS if policy.period_end <= add_years(policy.period_start, 1) else LONG_YEARS


def _admin(actor: Actor) -> None:
    if not actor.has_any(ORG_ADMINS) or actor.org_kind not in (OrgKind.BROKER, OrgKind.ADJUSTER_FIRM):
        raise ActionNotAllowed()


def _claims(session: Session, org_id: uuid.UUID) -> list[Due]:
    closed = (
        select(Claim)
        .join(Adjuster, Adjuster.id == Claim.adjuster_id)
        .where(Adjuster.firm_id == org_id, Claim.status == ClaimStatus.CLOSED)
    )
    claims = {str(c.id): c for c in session.execute(closed).scalars()}
    if not claims:
        return []
    stmt = (
        select(AuditEvent.entity_id, func.max(AuditEvent.occurred_at))
        .where(AuditEvent.action == "claim.close", AuditEvent.entity_id.in_(claims))
        .group_by(AuditEvent.entity_id)
    )
    out = []
    for cid, at in session.execute(stmt):
        day = at.astimezone(dt.UTC).date()
        out.append(Due("claim_case", claims[cid].id, claims[cid].number, day, add_years(day, CASE_YEARS)))
    return out


def _files(session: Session, org_id: uuid.UUID) -> list[Due]:
    stmt = select(Policy).join(BusinessFile, BusinessFile.policy_id == Policy.id).where(Policy.broker_id == org_id)
    return [
        Due("business_file", p.id, p.number, p.period_end, add_years(p.period_end, file_years(p)))
        for p in session.execute(stmt).unique().scalars()
    ]


def _taken(session: Session, org_id: uuid.UUID) -> set[str]:
    """The records already in a run that is not rejected."""
    stmt = select(RetentionRun.items).where(RetentionRun.organisation_id == org_id, RetentionRun.state != "rejected")
    return {i["id"] for items in session.execute(stmt).scalars() for i in items}


def schedule(session: Session, org_id: uuid.UUID) -> list[Due]:
    """Every record the organisation keeps with its retention date, the earliest due first."""
    rows = _claims(session, org_id) + _files(session, org_id)
    return sorted(rows, key=lambda d: (d.due_on, d.ref))


def due(session: Session, org_id: uuid.UUID, as_of: dt.date) -> list[Due]:
    """The records whose retention date has been reached on ``as_of`` and that are in no run yet."""
    taken = _taken(session, org_id)
    return [d for d in schedule(session, org_id) if d.due_on <= as_of and str(d.id) not in taken]


def due_for(session: Session, actor: Actor, as_of: dt.date | None, now: dt.datetime) -> list[Due]:
    _admin(actor)
    return due(session, actor.org_id, as_of or today_local_of(now))


def today_local_of(now: dt.datetime) -> dt.date:
    return today_local(_Fixed(now))


@dataclass(frozen=True)
class _Fixed:
    at: dt.datetime

    def now(self) -> dt.datetime:
        return self.at


def counts(rows: list[Due]) -> dict[str, int]:
    out = {"claim_case": 0, "business_file": 0}
    for r in rows:
        out[r.kind] += 1
    return out


def _item(d: Due) -> dict[str, Any]:
    return {"kind": d.kind, "id": str(d.id), "ref": d.ref, "due_on": d.due_on.isoformat()}


def propose(session: Session, actor: Actor, as_of: dt.date | None, now: dt.datetime) -> RetentionRun:
    """Propose the records due on ``as_of`` (today by default) for anonymisation; 422 when none is due."""
    rows = due_for(session, actor, as_of, now)
    if not rows:
        raise InvalidInput(NOTHING_DUE, fields={"as_of": NOTHING_DUE})
    run = RetentionRun(
        organisation_id=actor.org_id,
        state="proposed",
        as_of=as_of or today_local_of(now),
        items=[_item(d) for d in rows],
        proposed_by=actor.user_id,
        proposed_at=now,
    )
    session.add(run)
    session.flush()
    _audit(session, actor.ref, run, "retention.proposed", now, None, actor.request_id)
    return run


def runs(session: Session, actor: Actor) -> list[RetentionRun]:
    """The organisation's runs (its admins), every run (the platform admin), newest first."""
    stmt = select(RetentionRun).order_by(RetentionRun.proposed_at.desc())
    if not actor.has_any(PLATFORM):
        _admin(actor)
        stmt = stmt.where(RetentionRun.organisation_id == actor.org_id)
    return list(session.execute(stmt).scalars())


def get(session: Session, actor: Actor, run_id: Any) -> RetentionRun:
    """One run: the platform admin's or the organisation's admins' (404 for anybody else)."""
    try:
        rid = uuid.UUID(str(run_id))
    except ValueError:
        raise NotFound() from None
    run = session.get(RetentionRun, rid)
    mine = run is not None and (actor.has_any(PLATFORM) or (actor.org_id == run.organisation_id))
    if run is None or not mine:
        raise NotFound()
    if not actor.has_any(PLATFORM):
        _admin(actor)
    return run


def decide(session: Session, actor: Actor, run_id: Any, action: str, now: dt.datetime) -> RetentionRun:
    """The platform admin approves (the worker then anonymises) or rejects a proposed run."""
    run = get(session, actor, run_id)
    if action not in ("approve", "reject"):
        raise InvalidInput(N_("Choose one of the options."), fields={"action": N_("Choose one of the options.")})
    transition.move(session, run, RULES, action, actor.roles, values={"decided_by": actor.user_id, "decided_at": now})
    _audit(session, actor.ref, run, f"retention.{run.state}", now, "proposed", actor.request_id)
    if run.state == "approved":
        outbox.enqueue(session, "retention.anonymise", {"run": str(run.id)}, now=now, dedupe_key=f"retention:{run.id}")
    return run


def _audit(
    session: Session, who: audit.ActorRef, run: RetentionRun, action: str, now: dt.datetime, before: str | None,
    request_id: str | None,
) -> None:  # fmt: skip
    audit.record(
        session,
        who,
        action=action,
        entity_type="retention_run",
        entity_id=run.id,
        at=now,
        chain_key=f"org:{run.organisation_id}",
        before={"state": before} if before else None,
        after={"state": run.state, "records": [f"{i['kind']}:{i['ref']}" for i in run.items]},
        request_id=request_id,
    )


def anonymise_run(session: Session, run_id: str, now: dt.datetime) -> None:
    """The worker's step: anonymise every record of an approved run, then mark it done (nothing for a run
    in any other state)."""
    run = session.get(RetentionRun, uuid.UUID(run_id), with_for_update=True)
    if run is None or run.state != "approved":
        return
    items = [{**i, "fields": _anonymise(session, i)} for i in run.items]
    transition.move(session, run, RULES, "anonymise", frozenset(), values={"items": items, "done_at": now})
    _audit(session, audit.SYSTEM, run, "retention.done", now, "approved", None)


def _anonymise(session: Session, item: dict[str, Any]) -> list[str]:
    rid = uuid.UUID(item["id"])
    if item["kind"] == "claim_case":
        return _claim(session, rid)
    policy = session.get(Policy, rid)
    if policy is None or _later_policy(session, policy):
        return []  # the insured's data is still needed for a later contract: kept (the item lists no field)
    return _person(session, policy.insured_id)


def _later_policy(session: Session, policy: Policy) -> bool:
    """Whether the insured has a contract ending after this one (its own retention not reached with this)."""
    later = select(Policy.id).where(Policy.insured_id == policy.insured_id, Policy.period_end > policy.period_end)
    return session.execute(later.limit(1)).first() is not None


def _claim(session: Session, claim_id: uuid.UUID) -> list[str]:
    claim = session.get(Claim, claim_id)
    if claim is None:
        return []
    claim.reporter_name = ANON
    claim.reporter_phone = None
    for msg in session.execute(select(InboundMessage).where(InboundMessage.claim_id == claim_id)).scalars():
        msg.sender_phone = None
        msg.sender_account = None
    session.flush()
    return ["claim.reporter_name", "claim.reporter_phone", "inbound_message.sender_phone",
            "inbound_message.sender_account"]  # fmt: skip


def _person(session: Session, org_id: uuid.UUID) -> list[str]:
    """A natural person insured: name, ID number, phone and address replaced (a company's data is kept)."""
    insured = session.get(Insured, org_id)
    if insured is None or insured.kind != InsuredKind.PERSON:
        return []
    tag = org_id.hex[:12]
    insured.id_number = f"ANON{tag}"
    insured.contact_name = ANON
    insured.contact_phone = None
    insured.address = None
    org = session.get(Organisation, org_id)
    if org is not None:
        org.name = f"{ANON} {tag}"
    session.flush()
    return ["organisation.name", "insured.id_number", "insured.contact_name", "insured.contact_phone",
            "insured.address"]  # fmt: skip
