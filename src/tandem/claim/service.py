"""Loss notice intake (报案, R-C1) and automatic routing (自动分派, R-C2)."""

from __future__ import annotations

import datetime as dt
import uuid
import weakref
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import Engine, func, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, lazyload

from tandem.access import scope
from tandem.access.actor import Actor
from tandem.access.models import Organisation, Role, User, UserRole
from tandem.audit import service as audit
from tandem.claim.models import (
    Channel,
    Claim,
    ClaimStatus,
    Counter,
    Deadline,
    IdempotencyKey,
    Participation,
    PartyRole,
)
from tandem.config import Settings
from tandem.db import insert_or_skip
from tandem.kit import transition
from tandem.kit.canonical import canonical_json, sha256_hex
from tandem.kit.clock import SHANGHAI
from tandem.kit.errors import ActionNotAllowed, InvalidInput, TandemError
from tandem.notification.outbox import Job, enqueue_all
from tandem.party import service as party_service
from tandem.party.models import Adjuster
from tandem.policy.models import Policy, PolicyStatus

INTAKE_ROLES = frozenset({Role.INSURED_CONTACT, Role.BROKER_ACCOUNT_MANAGER, Role.PLATFORM_ADMIN})
OPEN_STATES = frozenset(
    {
        ClaimStatus.NOTIFIED,
        ClaimStatus.ROUTED,
        ClaimStatus.ADJUSTER_ASSIGNED,
        ClaimStatus.SURVEYING,
        ClaimStatus.REPORTED,
        ClaimStatus.DISPUTED,
    }
)
PROVINCES = (
    "北京",
    "天津",
    "河北",
    "山西",
    "内蒙古",
    "辽宁",
    "吉林",
    "黑龙江",
    "上海",
    "江苏",
    "浙江",
    "安徽",
    "福建",
    "江西",
    "山东",
    "河南",
    "湖北",
    "湖南",
    "广东",
    "广西",
    "海南",
    "重庆",
    "四川",
    "贵州",
    "云南",
    "西藏",
    "陕西",
    "甘肃",
    "青海",
    "宁夏",
    "新疆",
)
# Escalation points as fractions of the routing window (50 %, 80 %, then the deadline itself).
ESCALATIONS = (("half", Decimal("0.5")), ("late", Decimal("0.8")), ("missed", Decimal("1")))

BAM, BRE, ADJ, FADM = "broker_account_manager", "broker_risk_evaluator", "adjuster", "adjuster_firm_admin"
ICH, INS = "insurer_claims_handler", "insured_contact"


def _r(to: str, *roles: str) -> transition.Rule:
    return transition.Rule(to, frozenset(roles))


# The claim lifecycle (理赔案件状态表): (state, action) -> rule. No other code assigns Claim.status.
CLAIM_RULES: transition.Table = {
    ("notified", "route"): _r("routed", BAM, "system"),
    ("notified", "withdraw"): _r("withdrawn", INS, BAM),
    ("routed", "accept_appointment"): _r("adjuster_assigned", FADM),
    ("routed", "decline_appointment"): _r("notified", FADM),
    ("adjuster_assigned", "start_survey"): _r("surveying", ADJ, FADM),
    ("surveying", "submit_report"): _r("reported", ADJ),
    ("reported", "confirm_amount"): _r("amount_confirmed", BRE),
    ("amount_confirmed", "confirm_amount"): _r("amount_confirmed", BRE),
    ("amount_confirmed", "propose"): _r("negotiating", BAM),
    ("negotiating", "propose"): _r("negotiating", BAM),
    ("negotiating", "counter"): _r("negotiating", ICH),
    ("negotiating", "accept"): _r("agreed", ICH),
    ("negotiating", "dispute"): _r("disputed", ICH),
    ("negotiating", "refuse"): _r("refused", ICH),
    ("disputed", "confirm_amount"): _r("amount_confirmed", BRE),
    ("agreed", "record_final_payment"): _r("paid", ICH),
    ("paid", "close"): _r("closed", BAM),
    ("refused", "close"): _r("closed", BAM),
    ("withdrawn", "close"): _r("closed", BAM),
}


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


_SEQUENCES: weakref.WeakKeyDictionary[Engine, set[str]] = weakref.WeakKeyDictionary()


def _sequence(session: Session, name: str) -> str:
    """The PostgreSQL sequence behind a counter, created on first use by any process; it starts after the
    counter row of the same name, if one was ever written (numbers continue across the switch)."""
    seq = "number_" + name.replace(":", "_").lower()
    engine = session.get_bind().engine
    known = _SEQUENCES.setdefault(engine, set())
    if seq not in known:
        with engine.connect() as conn:
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            start = conn.execute(select(Counter.value).where(Counter.name == name)).scalar_one_or_none() or 0
            try:
                conn.execute(text(f"CREATE SEQUENCE IF NOT EXISTS {seq} START {int(start) + 1}"))
            except IntegrityError:  # created concurrently by another process: it exists now
                pass
        known.add(seq)
    return seq


def next_number(session: Session, now: dt.datetime, prefix: str = "LP") -> str:
    """The next human-readable number of a kind for this year: LP (claim), QRH (confirmation letter),
    GR (report), MOU.

    On PostgreSQL each kind and year is a sequence: ``nextval`` never waits for another transaction and
    needs no commit of its own, so intake runs in parallel and the first number of a year cannot race.
    A caller that rolls back leaves a gap; two callers never get the same number. On SQLite, which
    serialises writers anyway, it is a row of the ``counter`` table."""
    year = now.astimezone(SHANGHAI).year
    name = f"{prefix}:{year}"
    if session.get_bind().dialect.name == "postgresql":
        value = session.execute(text(f"SELECT nextval('{_sequence(session, name)}')")).scalar_one()
        return f"{prefix}-{year}-{int(value):06d}"
    row = session.execute(
        update(Counter).where(Counter.name == name).values(value=Counter.value + 1).returning(Counter.value)
    ).first()
    if row is None:
        session.add(Counter(name=name, value=1))
        session.flush()
        value = 1
    else:
        value = int(row[0])
    return f"{prefix}-{year}-{value:06d}"


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
) -> tuple[Claim, bool]:
    """Take a loss notice from any channel; returns (claim, created). Retries with the same key return
    the same claim; the same key with another body is refused."""
    if not actor.has_any(INTAKE_ROLES):
        raise ActionNotAllowed()
    fingerprint = notice.fingerprint()
    claim_id = uuid.uuid4()
    if idempotency_key and not _claim_key(session, actor.user_id, idempotency_key, fingerprint, claim_id, now):
        # Seen before (or a concurrent retry committed first): answer with that claim, write nothing of ours.
        found = _existing(session, actor.user_id, idempotency_key)
        assert found is not None
        return _replay(session, found, fingerprint), False
    policy = scope.get_policy(session, actor, notice.policy_id, lazyload(Policy.sections))
    if policy.status != PolicyStatus.IN_FORCE:
        raise InvalidInput("The policy is not in force.", fields={"policy_id": "policy is not in force"})
    loss_day = notice.loss_at.astimezone(SHANGHAI).date()
    if not (policy.period_start <= loss_day <= policy.period_end):
        raise InvalidInput("The loss is outside the policy period.", fields={"loss_at": "outside the policy period"})
    if notice.loss_at > now + dt.timedelta(minutes=5):
        raise InvalidInput("The loss time is in the future.", fields={"loss_at": "in the future"})
    claim = Claim(
        id=claim_id,
        number=next_number(session, now),
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
        session.add(Participation(claim_id=claim.id, organisation_id=org_id, party_role=role, since=now))
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
        ],
        now=now,
    )
    session.add(
        Deadline(claim_id=claim.id, kind="routing", holder="broker", started_at=now, due_at=claim.routing_deadline)
    )
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


@dataclass
class Recommendation:
    adjuster: Adjuster
    score: float = 0.0
    reasons: list[str] = field(default_factory=list)  # exclusion codes when not eligible
    explain: list[str] = field(default_factory=list)  # why it ranks where it does


def province_of(location: str) -> str | None:
    for p in PROVINCES:
        if location.startswith(p) or location[:6].find(p) >= 0:
            return p
    return None


def open_workload(session: Session, adjuster_id: uuid.UUID) -> int:
    stmt = (
        select(func.count())
        .select_from(Claim)
        .where(Claim.adjuster_id == adjuster_id, Claim.status.in_(list(OPEN_STATES)))
    )
    return int(session.execute(stmt).scalar_one())


def evaluate(session: Session, claim: Claim, adj: Adjuster, now: dt.datetime) -> Recommendation:
    today = now.astimezone(SHANGHAI).date()
    rec = Recommendation(adj)
    rec.reasons = party_service.ineligibility(session, adj, today, claim.broker_id)
    if (
        adj.firm_id in (claim.insurer_id, claim.insured_id)
        or session.execute(
            select(Participation.id).where(
                Participation.claim_id == claim.id,
                Participation.organisation_id == adj.firm_id,
                Participation.until.is_(None),
                Participation.party_role != PartyRole.ADJUSTER,
            )
        ).first()
    ):
        rec.reasons.append("conflict_of_interest")
    load = open_workload(session, adj.id)
    if claim.adjuster_id != adj.id and load >= adj.capacity:
        rec.reasons.append("over_capacity")
    line = claim.policy.line
    if adj.lines and line not in adj.lines:
        rec.reasons.append("not_qualified_for_line")
    province = province_of(claim.location)
    area = set(adj.regions) | set(adj.firm.business_area)
    if province and "全国" not in area and province not in area:
        rec.reasons.append("outside_area")
    if rec.reasons:
        return rec
    score = 50.0
    rec.explain.append(f"line:{line}")
    if province:
        score += 20 if province in adj.regions else 10
        rec.explain.append(f"region:{province}")
    free = 1 - load / max(1, adj.capacity)
    score += 20 * free
    rec.explain.append(f"workload:{load}/{adj.capacity}")
    if claim.policy.designated_adjuster_id == adj.id:
        score += 10
        rec.explain.append("designated_by_policy")
    rec.score = round(score, 2)
    return rec


def recommendations(session: Session, claim: Claim, now: dt.datetime) -> list[Recommendation]:
    adjusters = session.execute(select(Adjuster).order_by(Adjuster.certificate_no)).unique().scalars()
    return [evaluate(session, claim, a, now) for a in adjusters]


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
