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
from tandem.claim.models import Appointment, Channel, Claim, ClaimStatus, Participation, PartyRole, Payment
from tandem.fees.models import Invoice, InvoicePayment
from tandem.party.models import Adjuster, Insurer, InsurerProduct
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
    fee_days: tuple[int, int] = (20, 60)  # the firm's fee invoice -> the insurer's payment


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
    firm: Adjuster | None = None  # the adjuster whose firm invoiced each paid claim's fee
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
        """One past claim on ``policy``: decided (agreed or refused, perhaps disputed first) and paid as
        the profile says, its fee invoiced and settled when a firm is given."""
        rng, number = self.rng, f"LP-{self.tag}{self.number()}"
        case = Case(kind=CaseKind.CLAIM, number=number, created_at=notified)
        self.session.add(case)
        self.session.flush()
        decided = notified + ONE_DAY * rng.randint(*profile.decide_days)
        refused = rng.random() < profile.refuse
        paid_later = refused and rng.random() < profile.refusal_paid
        paid_at = decided + ONE_DAY * (rng.randint(*profile.pay_days) + (60 if paid_later else 0))
        paid = (paid_later or not refused) and paid_at < self.now
        claim = Claim(
            id=case.id,
            case_id=case.id,
            number=number,
            policy_id=policy.id,
            insured_id=policy.insured_id,
            insurer_id=policy.insurer_id,
            status=ClaimStatus.CLOSED if refused or paid else ClaimStatus.AGREED,
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
        for org, role in ((policy.insured_id, PartyRole.INSURED), (policy.insurer_id, PartyRole.INSURER)):
            self.session.add(
                Participation(case_id=case.id, claim_id=claim.id, organisation_id=org, party_role=role, since=notified)
            )
        self.steps(claim, "refuse" if refused else "accept", decided, rng.random() < profile.dispute, users[0])
        if paid:
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
            self.invoice(claim, profile, paid_at, users[0])

    def steps(self, claim: Claim, answer: str, at: dt.datetime, disputed: bool, user: uuid.UUID) -> None:
        moves = [("propose", at - ONE_DAY * 3), *([("dispute", at - ONE_DAY * 2)] if disputed else []), (answer, at)]
        for move, when in moves:
            self.session.add(
                NegotiationStep(claim_id=claim.id, move=move, by_org_id=claim.insurer_id, by_user_id=user, at=when)
            )

    def invoice(self, claim: Claim, profile: Profile, paid_at: dt.datetime, user: uuid.UUID) -> None:
        """The firm's fee for the claim, invoiced when the claim was paid and settled by the insurer."""
        settled = paid_at + ONE_DAY * self.rng.randint(*profile.fee_days)
        if self.firm is None or settled >= self.now:
            return
        letter = Appointment(
            case_id=claim.id,
            claim_id=claim.id,
            firm_id=self.firm.firm_id,
            adjuster_id=self.firm.id,
            letter_no=f"QR-{claim.number}",
            issued_at=claim.notified_at,
            state="accepted",
            answered_at=claim.notified_at,
        )
        self.session.add(letter)
        self.session.flush()
        fee = Decimal(self.rng.randrange(30, 200)) * 100
        vat = (fee * Decimal("0.06")).quantize(Decimal("0.01"))
        invoice = Invoice(
            case_id=claim.id,
            appointment_id=letter.id,
            side="broker",
            firm_id=self.firm.firm_id,
            payer_id=claim.insurer_id,
            payer_kind="insurer",
            number=f"FP-{claim.number}",
            invoice_date=paid_at.date(),
            due_date=paid_at.date() + dt.timedelta(days=30),
            fee=fee,
            expenses=Decimal(0),
            vat=vat,
            total=fee + vat,
            calculation={},
            issued_at=paid_at,
            issued_by=user,
            state="paid",
            settled_on=settled.date(),
        )
        self.session.add(invoice)
        self.session.flush()
        self.session.add(
            InvoicePayment(
                invoice_id=invoice.id,
                amount=invoice.total,
                paid_on=settled.date(),
                reference=f"FK-{claim.number}",
                recorded_by=user,
                recorded_at=settled,
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
    firm: Adjuster | None = None,
) -> dict[uuid.UUID, list[str]]:
    """For each insurer of ``plan``, that many new insureds, each with one expired policy for ``line``
    (written 13 to 25 months back) and one to three claims on it, all closed before now; with a ``firm``
    (one of its adjusters), each paid claim's fee invoiced by that firm and settled by the insurer.
    Returns each insurer's insureds' names."""
    rng = random.Random(seed)
    writer = _Writer(session, rng, now, line, tag, firm)
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
            start = (now - ONE_DAY * rng.randint(400, 760)).date()
            policy = writer.policy(insurer, org.id, profile, start)
            session.flush()
            for _claim in range(rng.randint(1, 3)):
                notified = dt.datetime.combine(start, dt.time(2), dt.UTC) + ONE_DAY * rng.randint(10, 150)
                writer.claim(policy, profile, notified, users)
    session.flush()
    return names


# ---- the demo ------------------------------------------------------------------------------------

#: Two more insurers for the comparison (name, English name, region, solvency ratio %, risk rating, code
#: prefix of their copies of 中安's products); they have no users.
DEMO_INSURERS = (
    ("安和财产保险股份有限公司", "Anhe P&C Insurance Co., Ltd.", "广东", "192.30", "A", "AH"),
    ("东联财产保险股份有限公司", "Donglian P&C Insurance Co., Ltd.", "天津", "141.80", "B", "DL"),
)
#: The underwriting process each insurer declared (承保流程): steps and turnaround in working days.
UNDERWRITING = {
    "中安财产保险股份有限公司": (["投保资料初审", "风险查勘（可委托公估）", "核保定价", "出具报价"], 7),
    "太和财产保险股份有限公司": (["投保资料初审", "分公司核保", "总公司再核保", "出具报价"], 12),
    "安和财产保险股份有限公司": (["投保资料初审", "风险查勘", "核保定价", "出具报价"], 9),
    "东联财产保险股份有限公司": (["投保资料审核", "核保定价", "出具报价"], 5),
}
#: How each insurer handled claims in the generated history, and how many insureds it wrote.
DEMO_PLAN = {
    "中安财产保险股份有限公司": (14, Profile((5, 34), (2, 12), 0.08, 0.12, 0.3, ("0.72", "1.05"), (15, 40))),
    "太和财产保险股份有限公司": (11, Profile((12, 40), (5, 20), 0.18, 0.25, 0.4, ("0.60", "0.92"), (30, 75))),
    "安和财产保险股份有限公司": (9, Profile((8, 32), (3, 14), 0.12, 0.18, 0.2, ("0.80", "1.20"), (20, 50))),
    "东联财产保险股份有限公司": (4, Profile((10, 30), (4, 12), 0.1, 0.1, 0.0, ("0.65", "0.95"), (25, 45))),
}


def _copy_products(session: Session, source: uuid.UUID, insurer: uuid.UUID, prefix: str, now: dt.datetime) -> None:
    """The new insurer files the same products as ``source`` (its own codes)."""
    columns = [a.key for a in InsurerProduct.__mapper__.column_attrs if a.key not in ("id", "insurer_id", "code")]
    published = select(InsurerProduct).where(InsurerProduct.insurer_id == source)
    for p in session.execute(published).unique().scalars().all():
        values = {c: getattr(p, c) for c in columns} | {"updated_at": now}
        session.add(InsurerProduct(insurer_id=insurer, code=f"{prefix}{p.code[2:]}", **values))


def load(session: Session, now: dt.datetime) -> None:
    """The demo's comparison: two more insurers with products and standing, every insurer's declared
    underwriting process, and the platform's history of 38 insureds (one insurer with too few for any
    figure), the claims' fees invoiced by 华信 (赵海涛, no other demo story uses him) and settled by the insurers."""
    orgs = {
        o.name: o for o in session.execute(select(Organisation).where(Organisation.kind == OrgKind.INSURER)).scalars()
    }
    source = orgs["中安财产保险股份有限公司"].id
    for name, name_en, region, ratio, rating, prefix in DEMO_INSURERS:
        org = Organisation(kind=OrgKind.INSURER, name=name, name_en=name_en, region=region, created_at=now)
        session.add(org)
        session.flush()
        day = (now - dt.timedelta(days=70)).date()
        session.add(
            Insurer(organisation_id=org.id, solvency_ratio=Decimal(ratio), risk_rating=rating, standing_as_of=day)
        )
        _copy_products(session, source, org.id, prefix, now)
        orgs[name] = org
    session.flush()
    for name, (steps, days) in UNDERWRITING.items():
        record = session.get(Insurer, orgs[name].id)
        assert record is not None
        record.underwriting_steps, record.underwriting_days = steps, days
    zhao = session.execute(select(Adjuster).where(Adjuster.name == "赵海涛")).unique().scalar_one()
    plan = {orgs[name].id: entry for name, entry in DEMO_PLAN.items()}
    history(session, plan, line="企业财产保险", now=now, seed=2026, tag="H", firm=zhao)
