"""The recommendation and exclusion engine: qualification, re-verification, filing, blacklist, conflicts,
line, area and capacity, with the reasons of every exclusion and of every score."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tandem.case.models import Case
from tandem.claim.models import Claim, ClaimStatus, Participation, PartyRole
from tandem.kit.clock import local_day
from tandem.neutrality import interests, recusal
from tandem.party import service as party_service
from tandem.party.models import Adjuster

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


@dataclass
class Recommendation:
    adjuster: Adjuster
    score: float = 0.0
    reasons: list[str] = field(default_factory=list)  # exclusion codes when not eligible
    explain: list[str] = field(default_factory=list)  # why it ranks where it does
    declarations: list[str] = field(default_factory=list)  # declared interests behind conflict_of_interest


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


# The line skill a placement's adjuster needs: risk evaluation (风险评估, R-U1: "good at risk evaluation").
RISK_EVALUATION = "风险评估"


@dataclass(frozen=True)
class Subject:
    """What the engine weighs of a case of any kind: the broker whose blacklist applies, the parties no
    adjuster may belong to, the line skill wanted, where the subject is, the adjuster already on it and
    the one the policy designates."""

    case_id: uuid.UUID
    broker_id: uuid.UUID | None
    parties: tuple[uuid.UUID, ...]
    line: str
    location: str
    adjuster_id: uuid.UUID | None = None
    designated_adjuster_id: uuid.UUID | None = None


def claim_subject(claim: Claim) -> Subject:
    return Subject(
        case_id=claim.case_id,
        broker_id=claim.broker_id,
        parties=(claim.insurer_id, claim.insured_id),
        line=claim.policy.line,
        location=claim.location,
        adjuster_id=claim.adjuster_id,
        designated_adjuster_id=claim.policy.designated_adjuster_id,
    )


def placement_subject(
    case_id: uuid.UUID, *, broker_id: uuid.UUID | None, parties: tuple[uuid.UUID, ...], location: str
) -> Subject:
    """A placement asks for risk-evaluation competence, screened like a claim's routing."""
    return Subject(case_id=case_id, broker_id=broker_id, parties=parties, line=RISK_EVALUATION, location=location)


def case_subject(session: Session, case: Case) -> Subject:
    """A case that is not a claim (a placement), as its participations describe it."""
    roles = session.execute(
        select(Participation.party_role, Participation.organisation_id).where(
            Participation.case_id == case.id, Participation.until.is_(None)
        )
    ).all()
    broker = next((org for role, org in roles if role == PartyRole.BROKER), None)
    parties = tuple(org for role, org in roles if role in (PartyRole.INSURED, PartyRole.INSURER))
    return placement_subject(case.id, broker_id=broker, parties=parties, location="")


def _firm_conflict(session: Session, subject: Subject, adj: Adjuster) -> bool:
    """The adjuster's firm is a party to the case, or takes part in it other than as its adjuster."""
    return (
        adj.firm_id in subject.parties
        or session.execute(
            select(Participation.id).where(
                Participation.case_id == subject.case_id,
                Participation.organisation_id == adj.firm_id,
                Participation.until.is_(None),
                Participation.party_role != PartyRole.ADJUSTER,
            )
        ).first()
        is not None
    )


def evaluate(session: Session, claim: Claim | Subject, adj: Adjuster, now: dt.datetime) -> Recommendation:
    """Eligibility (exclusion codes) and, if eligible, a score with its explanation, for a claim or any
    case described as a ``Subject``."""
    subject = claim if isinstance(claim, Subject) else claim_subject(claim)
    today = local_day(now)
    rec = Recommendation(adj)
    rec.reasons = party_service.ineligibility(session, adj, today, subject.broker_id, subject.line)
    rec.declarations = [interests.label(d) for d in interests.conflicts(session, adj.id, subject.parties, today)]
    if recusal.granted_on(session, subject.case_id, adj.id):
        rec.declarations.append("recusal:granted")
    if rec.declarations or _firm_conflict(session, subject, adj):
        rec.reasons.append("conflict_of_interest")
    load = open_workload(session, adj.id)
    if subject.adjuster_id != adj.id and load >= adj.capacity:
        rec.reasons.append("over_capacity")
    line = subject.line
    if adj.lines and line not in adj.lines:
        rec.reasons.append("not_qualified_for_line")
    province = province_of(subject.location)
    area = set(adj.regions) | set(adj.firm.business_area)
    if province and "全国" not in area and province not in area:
        rec.reasons.append("outside_area")
    if rec.reasons:
        return rec
    # Each explanation is "reason:value:points", so the page can say what every point of the score is for.
    score = 50.0
    rec.explain.append(f"line:{line}:50")
    if province:
        own = province in adj.regions
        score += 20 if own else 10
        rec.explain.append(f"region:{province}:20" if own else f"region_firm:{province}:10")
    if adj.regions:
        rec.explain.append(f"based:{'、'.join(adj.regions)}:0")
    free = 20 * (1 - load / max(1, adj.capacity))
    score += free
    rec.explain.append(f"workload:{load}/{adj.capacity}:{free:g}")
    if subject.designated_adjuster_id == adj.id:
        score += 10
        rec.explain.append("designated_by_policy::10")
    rec.score = round(score, 2)
    return rec


def recommendations(session: Session, claim: Claim | Subject, now: dt.datetime) -> list[Recommendation]:
    adjusters = session.execute(select(Adjuster).order_by(Adjuster.certificate_no)).unique().scalars()
    return [evaluate(session, claim, a, now) for a in adjusters]
