"""Generated platform history for the insurer comparison (横评, R-U6): insureds with a policy written with
a premium and a few claims each, decided and paid as the insurer's profile says. Reproducible (a seeded
random generator), written as rows directly — these are past cases, closed before the demo starts —
so the comparison shows real-looking figures for several insurers. Also used by the tests to fill the
platform with other insureds."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.access.models import Organisation, OrgKind, User
from tandem.case.models import Case, CaseKind
from tandem.claim.models import Channel, Claim, ClaimStatus, Payment
from tandem.policy.models import Policy, PolicySection, PolicyStatus
from tandem.settlement.models import NegotiationStep

CITIES = ("嘉兴", "湖州", "绍兴", "金华", "台州", "温州", "宁波", "苏州", "无锡", "常州", "佛山", "东莞", "中山")
WORDS = ("恒达", "瑞丰", "永盛", "华通", "新越", "宏远", "嘉禾", "利群", "博创", "鼎新", "汇丰", "天成", "同舟")
TRADES = ("纺织", "五金", "塑业", "电子", "机械", "印染", "食品", "包装", "家具", "化纤", "精工", "光电")
ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Profile:
    """How an insurer handled claims and priced in the generated history (ranges are inclusive)."""

    decide_days: tuple[int, int]  # notice -> decision
    pay_days: tuple[int, int]  # agreement -> final payment
    refuse: float  # share of decided claims refused
    dispute: float  # share of negotiated claims disputed first
    refusal_paid: float  # share of refusals paid later
    rate_permille: tuple[str, str]  # premium rate range, ‰ of the sum insured


def _name(rng: random.Random, taken: set[str]) -> str:
    while True:
        name = f"{rng.choice(CITIES)}{rng.choice(WORDS)}{rng.choice(TRADES)}有限公司"
        if name not in taken:
            taken.add(name)
            return name


def _actor_of(session: Session, org_id: uuid.UUID) -> uuid.UUID:
    user = session.execute(select(User.id).where(User.organisation_id == org_id).limit(1)).scalar()
    return user or session.execute(select(User.id).order_by(User.username).limit(1)).scalar_one()


@dataclass
class _Writer:
    session: Session
    rng: random.Random
    now: dt.datetime
    line: str
    tag: str
    count: int = 0

    def number(self) -> str:
        self.count += 1
        return f"{self.tag}{self.count:05d}"

    def policy(self, insurer: uuid.UUID, insured: uuid.UUID, profile: Profile, start: dt.date) -> Policy:
        low, high = (Decimal(v) for v in profile.rate_permille)
        total = Decimal(self.rng.randrange(800, 9000)) * 10000
        rate = low + (high - low) * Decimal(self.rng.randrange(0, 1001)) / 1000
        policy = Policy(
            number=f"P{self.number()}",
            insured_id=insured,
            insurer_id=insurer,
            line=self.line,
            period_start=start,
            period_end=start + dt.timedelta(days=364),
            status=PolicyStatus.EXPIRED if start + dt.timedelta(days=364) < self.now.date() else PolicyStatus.IN_FORCE,
            premium=(total * rate / 1000).quantize(Decimal("0.01")),
            created_at=self.now - dt.timedelta(days=(self.now.date() - start).days + 20),
        )
        building = (total * Decimal("0.6")).quantize(Decimal("1"))
        policy.sections = [
            PolicySection(position=0, code="building", name="建筑物", sum_insured=building),
            PolicySection(position=1, code="machinery", name="机器设备", sum_insured=total - building),
        ]
        self.session.add(policy)
        return policy

    def claim(
        self, policy: Policy, profile: Profile, notified: dt.datetime, users: tuple[uuid.UUID, uuid.UUID]
    ) -> None:
        rng, number = self.rng, f"LP-H{self.number()}"
        case = Case(kind=CaseKind.CLAIM, number=number, created_at=notified)
        self.session.add(case)
        self.session.flush()
        decided = notified + ONE_DAY * rng.randint(*profile.decide_days)
        refused = rng.random() < profile.refuse
        paid_later = refused and rng.random() < profile.refusal_paid
        status = (
            ClaimStatus.CLOSED if refused or decided + ONE_DAY * profile.pay_days[1] < self.now else ClaimStatus.AGREED
        )
        claim = Claim(
            id=case.id,
            case_id=case.id,
            number=number,
            policy_id=policy.id,
            insured_id=policy.insured_id,
            insurer_id=policy.insurer_id,
            status=status,
            channel=Channel.WEB,
            loss_at=notified - ONE_DAY,
            notified_at=notified,
            routing_deadline=notified + ONE_DAY,
            location="厂区",
            description="历史赔案",
            estimated_loss=Decimal(rng.randrange(20, 900)) * 1000,
            created_by=users[1],
        )
        self.session.add(claim)
        self.session.flush()
        steps = [("propose", decided - ONE_DAY * 3)]
        if rng.random() < profile.dispute:
            steps.append(("dispute", decided - ONE_DAY * 2))
        steps.append(("refuse" if refused else "accept", decided))
        for move, at in steps:
            self.session.add(
                NegotiationStep(claim_id=claim.id, move=move, by_org_id=policy.insurer_id, by_user_id=users[0], at=at)
            )
        paid_at = decided + ONE_DAY * (rng.randint(*profile.pay_days) + (60 if paid_later else 0))
        if (paid_later or not refused) and paid_at < self.now:
            amount = Decimal(claim.estimated_loss or 0) * Decimal("0.8")
            self.session.add(
                Payment(
                    claim_id=claim.id,
                    kind="final",
                    amount=amount,
                    paid_at=paid_at,
                    reference=f"H{number}",
                    recorded_by=users[0],
                )
            )


def history(
    session: Session,
    plan: Mapping[uuid.UUID, tuple[int, Profile]],
    *,
    line: str,
    now: dt.datetime,
    seed: int = 15,
    tag: str = "H",
) -> dict[uuid.UUID, list[str]]:
    """For each insurer of ``plan``, that many new insureds, each with one policy for ``line`` (one to
    three years back) and one to three claims on it. Returns each insurer's insureds' names."""
    rng = random.Random(seed)
    writer = _Writer(session, rng, now, line, tag)
    taken = set(session.execute(select(Organisation.name)).scalars())
    names: dict[uuid.UUID, list[str]] = {}
    for insurer, (insureds, profile) in plan.items():
        users = (_actor_of(session, insurer), _actor_of(session, insurer))
        names[insurer] = []
        for _ in range(insureds):
            org = Organisation(
                kind=OrgKind.INSURED, name=_name(rng, taken), region="浙江", created_at=now - 400 * ONE_DAY
            )
            session.add(org)
            session.flush()
            names[insurer].append(org.name)
            start = (now - ONE_DAY * rng.randint(200, 700)).date()
            policy = writer.policy(insurer, org.id, profile, start)
            session.flush()
            for _claim in range(rng.randint(1, 3)):
                notified = dt.datetime.combine(start, dt.time(2), dt.UTC) + ONE_DAY * rng.randint(10, 150)
                writer.claim(policy, profile, notified, users)
    session.flush()
    return names
