"""The recommendation and exclusion engine: qualification, re-verification, filing, blacklist, conflicts,
line, area and capacity, with the reasons of every exclusion and of every score."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tandem.claim.models import Claim, ClaimStatus, Participation, PartyRole
from tandem.kit.clock import SHANGHAI
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
    if claim.policy.designated_adjuster_id == adj.id:
        score += 10
        rec.explain.append("designated_by_policy::10")
    rec.score = round(score, 2)
    return rec


def recommendations(session: Session, claim: Claim, now: dt.datetime) -> list[Recommendation]:
    adjusters = session.execute(select(Adjuster).order_by(Adjuster.certificate_no)).unique().scalars()
    return [evaluate(session, claim, a, now) for a in adjusters]
