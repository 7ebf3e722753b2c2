"""Loss notice intake (报案, R-C1) and automatic routing (自动分派, R-C2)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, lazyload

from tandem.access import scope
from tandem.access.actor import Actor
from tandem.access.models import Organisation, Role, User, UserRole
from tandem.audit import service as audit
from tandem.case import service as case_service
from tandem.case.models import CaseKind
from tandem.case.numbering import next_number as next_number
from tandem.claim import events
from tandem.claim.lifecycle import CLAIM_RULES as CLAIM_RULES
from tandem.claim.lifecycle import STATUTORY_CLOCKS, deadline_jobs
from tandem.claim.models import (
    Channel,
    Claim,
    ClaimStatus,
    Deadline,
    IdempotencyKey,
    Participation,
    PartyRole,
)
from tandem.config import Settings
from tandem.db import insert_or_skip
from tandem.kit.canonical import canonical_json, sha256_hex
from tandem.kit.clock import local_day
from tandem.kit.errors import ActionNotAllowed, InvalidInput, TandemError
from tandem.notification.outbox import Job, enqueue_all
from tandem.policy import suspension
from tandem.policy.models import Policy, PolicyStatus
from tandem.routing.service import OPEN_STATES as OPEN_STATES
from tandem.routing.service import PROVINCES as PROVINCES
from tandem.routing.service import Recommendation as Recommendation
from tandem.routing.service import evaluate as evaluate
from tandem.routing.service import open_workload as open_workload
from tandem.routing.service import province_of as province_of
from tandem.routing.service import recommendations as recommendations

INTAKE_ROLES = frozenset({Role.INSURED_CONTACT, Role.BROKER_ACCOUNT_MANAGER, Role.PLATFORM_ADMIN})
# A suspended or terminated policy still takes a notice of a loss before its date (issue 16).
NOTIFIABLE = (PolicyStatus.IN_FORCE, PolicyStatus.SUSPENDED, PolicyStatus.TERMINATED)
# Escalation points as fractions of the routing window (50 %, 80 %, then the deadline itself).
ESCALATIONS = (("half", Decimal("0.5")), ("late", Decimal("0.8")), ("missed", Decimal("1")))


class IdempotencyMismatch(TandemError):
    status = 422
    code = "claim.idempotency_key_reused"
    message = "This Idempotency-Key was used with a different request body."


@dataclass(frozen=True)
class NoticeInput:
    policy_id: uuid.UUID
    loss_at: dt.datetime
    location: str
    description: str
    channel: Channel
    estimated_loss: Decimal | None = None
    reporter_name: str | None = None
    reporter_phone: str | None = None

    def fingerprint(self) -> str:
        return sha256_hex(
            canonical_json(
                {
                    "policy_id": str(self.policy_id),
                    "loss_at": self.loss_at,
                    "location": self.location,
                    "description": self.description,
                    "channel": self.channel.value,
                    "estimated_loss": self.estimated_loss,
                    "reporter_name": self.reporter_name,
                    "reporter_phone": self.reporter_phone,
                }
            )
        )


def routing_deadline(settings: Settings, loss_at: dt.datetime, notified_at: dt.datetime) -> dt.datetime:
    """Loss time + 48 h; if that leaves less than 24 h after the notice, notice time + 24 h."""
    deadline = loss_at + dt.timedelta(hours=settings.routing_window_hours)
    floor = notified_at + dt.timedelta(hours=settings.routing_min_hours_after_notice)
    return max(deadline, floor)


def _existing(session: Session, user_id: uuid.UUID, key: str) -> IdempotencyKey | None:
    return session.execute(
        select(IdempotencyKey).where(IdempotencyKey.user_id == user_id, IdempotencyKey.key == key)
    ).scalar_one_or_none()


def _claim_key(
    session: Session, user_id: uuid.UUID, key: str, fingerprint: str, claim_id: uuid.UUID, now: dt.datetime
) -> bool:
    """Write the key row first, in one statement: it is the lock that stops a concurrent retry (which
    waits on the unique index until this transaction ends). False when the key exists; an error later
    in the notice rolls the row back with everything else."""
    stmt = (
        insert_or_skip(session, IdempotencyKey, "user_id", "key")
        .values(id=uuid.uuid4(), user_id=user_id, key=key, request_hash=fingerprint, claim_id=claim_id, created_at=now)
        .returning(IdempotencyKey.id)
    )
    return session.execute(stmt).first() is not None


def _replay(session: Session, row: IdempotencyKey, fingerprint: str) -> Claim:
    if row.request_hash != fingerprint:
        raise IdempotencyMismatch(fields={"Idempotency-Key": "used before with a different body"})
    claim = session.get(Claim, row.claim_id)
    assert claim is not None
    return claim


def notify_loss(
    session: Session,
    settings: Settings,
    actor: Actor,
    notice: NoticeInput,
    *,
    now: dt.datetime,
    idempotency_key: str | None,
    policy: Policy | None = None,
) -> tuple[Claim, bool]:
    """Take a loss notice from any channel; returns (claim, created). Retries with the same key return
    the same claim; the same key with another body is refused. ``policy``: the notice's policy when the
    caller has read it through ``visible_policies`` already (a batch reads its policies in one query)."""
    if not actor.has_any(INTAKE_ROLES):
        raise ActionNotAllowed()
    fingerprint = notice.fingerprint()
    claim_id = uuid.uuid4()
    if idempotency_key and not _claim_key(session, actor.user_id, idempotency_key, fingerprint, claim_id, now):
        # Seen before (or a concurrent retry committed first): answer with that claim, write nothing of ours.
        found = _existing(session, actor.user_id, idempotency_key)
        assert found is not None
        return _replay(session, found, fingerprint), False
    if policy is None or policy.id != notice.policy_id:
        policy = scope.get_policy(session, actor, notice.policy_id, lazyload(Policy.sections))
    if policy.status not in NOTIFIABLE:
        raise InvalidInput("The policy is not in force.", fields={"policy_id": "policy is not in force"})
    loss_day = local_day(notice.loss_at)
    if not (policy.period_start <= loss_day <= policy.period_end):
        raise InvalidInput("The loss is outside the policy period.", fields={"loss_at": "outside the policy period"})
    gap = suspension.uncovered(session, policy, loss_day)
    if gap is not None:  # a suspended or terminated policy covers only the losses before its date
        raise InvalidInput(gap.message, fields={"loss_at": gap.text()}, **gap.params())
    if notice.loss_at > now + dt.timedelta(minutes=5):
        raise InvalidInput("The loss time is in the future.", fields={"loss_at": "in the future"})
    number = next_number(session, now)
    case = case_service.open_case(session, CaseKind.CLAIM, now=now, number=number, case_id=claim_id)
    claim = Claim(
        id=claim_id,
        case_id=case.id,
        number=number,
        policy_id=policy.id,
        insured_id=policy.insured_id,
        insurer_id=policy.insurer_id,
        broker_id=policy.broker_id,
        status=ClaimStatus.NOTIFIED,
        channel=notice.channel,
        loss_at=notice.loss_at,
        notified_at=now,
        routing_deadline=routing_deadline(settings, notice.loss_at, now),
        location=notice.location,
        description=notice.description,
        estimated_loss=notice.estimated_loss,
        reporter_name=notice.reporter_name,
        reporter_phone=notice.reporter_phone,
        created_by=actor.user_id,
    )
    claim.possible_duplicates = possible_duplicates(session, claim)
    session.add(claim)
    session.flush()
    parties = [(policy.insured_id, PartyRole.INSURED), (policy.insurer_id, PartyRole.INSURER)]
    if policy.broker_id:
        parties.append((policy.broker_id, PartyRole.BROKER))
    for org_id, role in parties:
        session.add(
            Participation(case_id=claim.case_id, claim_id=claim.id, organisation_id=org_id, party_role=role, since=now)
        )
    chain = f"case:{claim.id}"
    audit.record(
        session,
        actor.ref,
        action="claim.notified",
        entity_type="claim",
        entity_id=claim.id,
        at=now,
        chain_key=chain,
        after={"number": claim.number, "status": claim.status.value, "channel": claim.channel.value},
        request_id=actor.request_id,
        audience=["broker", "insured", "insurer"],
    )
    # Copied to the insurer at once (its claims handlers see it through the participation row), and the
    # routing escalation timers, in one INSERT.
    cid = str(claim.id)
    clocks = [(kind, now + dt.timedelta(days=days)) for kind, days in STATUTORY_CLOCKS]
    enqueue_all(
        session,
        [Job("claim.copied_to_insurer", {"claim_id": cid}, f"copied:{cid}")]
        + [
            Job(
                "routing.escalate",
                {"claim_id": cid, "stage": label},
                f"routing:{cid}:{label}",
                now + (claim.routing_deadline - now) * float(frac),
            )
            for label, frac in ESCALATIONS
        ]
        + [job for kind, due in clocks for job in deadline_jobs(cid, kind, now, due)],
        now=now,
    )
    session.add(
        Deadline(
            case_id=claim.case_id,
            claim_id=claim.id,
            kind="routing",
            holder="broker",
            started_at=now,
            due_at=claim.routing_deadline,
        )
    )
    for kind, due in clocks:
        session.add(
            Deadline(case_id=claim.case_id, claim_id=claim.id, kind=kind, holder="insurer", started_at=now, due_at=due)
        )
    events.tag_at_intake(session, claim, now)
    from tandem.claim.workflow import route_designated

    route_designated(session, claim, now)
    return claim, True


# ---- duplicates ----------------------------------------------------------------------------------

DUPLICATE_WINDOW = dt.timedelta(hours=24)


def _bigrams(text: str) -> set[str]:
    t = "".join(ch for ch in text if not ch.isspace())
    return {t[i : i + 2] for i in range(len(t) - 1)} or {t}


def _jaccard(x: set[str], y: set[str]) -> float:
    union = len(x | y)
    return len(x & y) / union if union else 0.0


def possible_duplicates(session: Session, claim: Claim) -> list[str]:
    """Earlier notices on the same policy with a close loss time and a similar place or description.

    Reads three columns of at most 50 candidates through ``claim (policy_id, loss_at)``: during a surge a
    busy policy has many notices within the window, and loading them as entities cost a quarter of intake."""
    rows = session.execute(
        select(Claim.number, Claim.location, Claim.description)
        .where(
            Claim.policy_id == claim.policy_id,
            Claim.loss_at >= claim.loss_at - DUPLICATE_WINDOW,
            Claim.loss_at <= claim.loss_at + DUPLICATE_WINDOW,
            Claim.status != ClaimStatus.WITHDRAWN,
        )
        .order_by(Claim.notified_at)
        .limit(50)
    ).all()
    if not rows:
        return []
    place, story = _bigrams(claim.location), _bigrams(claim.description)
    return [
        number
        for number, location, description in rows
        if _jaccard(place, _bigrams(location)) >= 0.5 or _jaccard(story, _bigrams(description)) >= 0.3
    ]


# ---- recommendations -----------------------------------------------------------------------------


def broker_managers(session: Session, broker_id: uuid.UUID) -> list[User]:
    stmt = (
        select(User)
        .join(UserRole)
        .where(User.organisation_id == broker_id, User.active.is_(True), UserRole.role == Role.BROKER_ACCOUNT_MANAGER)
    )
    return list(session.execute(stmt).unique().scalars())


def organisation_name(session: Session, org_id: uuid.UUID) -> str:
    org = session.get(Organisation, org_id)
    return org.name if org else ""
