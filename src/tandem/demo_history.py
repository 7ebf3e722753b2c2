"""A year of the broker's claims history for the market figures and dashboards (issue 18 items 3-4):
hundreds of past claims across the insurers, adjuster firms, lines and regions, each at the stage its age
allows (notified, adjuster appointed, reported, agreed, paid), with their clocks (routing, decision,
payment) and the firm's fee invoice, paid late or on time as the insurer's habit says.

Reproducible (one seeded random generator) and written as rows directly, like the comparison's history
(``demo_comparison``): these are past cases, not stories to click through, and the demo must load fast.
:class:`Writer` also writes one claim exactly as a :class:`ClaimSpec` says, for the tests that check each
dashboard figure against numbers worked out by hand."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.access.models import Organisation, OrgKind, User
from tandem.case.models import Case, CaseKind
from tandem.claim.models import (
    Appointment,
    Channel,
    Claim,
    ClaimStatus,
    Deadline,
    Participation,
    PartyRole,
    Payment,
)
from tandem.fees.models import Invoice, InvoicePayment
from tandem.kit.canonical import canonical_json, sha256_hex
from tandem.kit.clock import local_day
from tandem.party.models import Adjuster
from tandem.policy.models import Policy, PolicySection, PolicyStatus
from tandem.report.models import Report, ReportSignature
from tandem.settlement.models import NegotiationStep

DESCRIPTION = "往年赔案"  # not the comparison's "历史赔案": these are the broker's own, some still open
DAY = dt.timedelta(days=1)
HOUR = dt.timedelta(hours=1)
VAT = Decimal("0.06")


@dataclass(frozen=True)
class ClaimSpec:
    """One past claim: who, where, when each step happened (offsets from the notice; ``None``: not yet),
    the amount settled, and the firm's fee (invoiced ``fee_after`` the report, settled ``fee_paid_after``
    the invoice date in days, ``None``: still open)."""

    policy: Policy
    location: str
    notified: dt.datetime
    adjuster: Adjuster | None = None
    appointed: dt.timedelta | None = None
    reported: dt.timedelta | None = None
    agreed: dt.timedelta | None = None
    paid: dt.timedelta | None = None
    settled: Decimal = Decimal("0.00")
    fee: Decimal | None = None
    fee_after: int = 0
    fee_paid_after: int | None = None
    payment_days: int = 30


def _report_content(claim: Claim, spec: ClaimSpec) -> dict[str, Any]:
    """A past claim's adjusting report: one section, one item at the amount settled (a report as the case
    page and the PDF read it, hashed like a submitted one)."""
    return {
        "report_number": f"GR-{claim.number}",
        "cause": "往年赔案：出险原因见查勘记录。",
        "liability": "属于保险责任范围。",
        "conclusion": "按保单约定理算。",
        "sections": [
            {
                "code": "property",
                "name": "财产损失",
                "items": [{"ref": "1", "description": "受损财产", "loss": str(spec.settled)}],
            }
        ],
    }


def _issued(notified: dt.datetime, appointed: dt.datetime | None) -> dt.datetime | None:
    """When the broker issued the letter the firm accepted at ``appointed``: the firm answered within 20
    hours (at least an hour after the notice)."""
    return None if appointed is None else notified + max(HOUR, appointed - notified - 20 * HOUR)


@dataclass
class Writer:
    """Writes claims as rows: the case, the claim, its parties, letter, report, negotiation, payment,
    clocks and fee invoice."""

    session: Session
    broker: uuid.UUID | None
    supervision: uuid.UUID | None
    user: uuid.UUID
    tag: str = "Y"
    count: int = 0
    _later: list[object] = field(default_factory=list)
    _members: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict)

    def _member(self, org_id: uuid.UUID) -> uuid.UUID:
        """A user of the organisation that took the step (the first by name; the writer's own if none)."""
        if org_id not in self._members:
            found = self.session.execute(
                select(User.id).where(User.organisation_id == org_id).order_by(User.username).limit(1)
            ).scalar()
            self._members[org_id] = found or self.user
        return self._members[org_id]

    def policy(self, insured: Organisation, insurer: uuid.UUID, line: str, start: dt.date) -> Policy:
        self.count += 1
        policy = Policy(
            number=f"P{self.tag}{self.count:05d}",
            insured_id=insured.id,
            insurer_id=insurer,
            broker_id=self.broker,
            line=line,
            period_start=start,
            period_end=start + dt.timedelta(days=364),
            status=PolicyStatus.IN_FORCE,
            created_at=dt.datetime.combine(start, dt.time(1), dt.UTC),
        )
        policy.sections = [PolicySection(position=0, code="property", name="财产", sum_insured=Decimal(50_000_000))]
        self.session.add(policy)
        return policy

    def claim(self, spec: ClaimSpec, now: dt.datetime) -> Claim:
        """The claim of ``spec`` (its status follows its last step), its rows added to the session; call
        :meth:`flush` once after the last claim."""
        self.count += 1
        number = f"LP-{self.tag}{self.count:05d}"
        at = spec.notified

        def when(offset: dt.timedelta | None) -> dt.datetime | None:
            return None if offset is None else at + offset

        appointed, reported, agreed, paid = (when(o) for o in (spec.appointed, spec.reported, spec.agreed, spec.paid))
        status = (
            ClaimStatus.CLOSED
            if paid
            else ClaimStatus.AGREED
            if agreed
            else ClaimStatus.REPORTED
            if reported
            else ClaimStatus.SURVEYING
            if appointed
            else ClaimStatus.NOTIFIED
        )
        case = Case(id=uuid.uuid4(), kind=CaseKind.CLAIM, number=number, created_at=at)
        pol = spec.policy
        claim = Claim(
            id=case.id,
            case_id=case.id,
            number=number,
            policy_id=pol.id,
            insured_id=pol.insured_id,
            insurer_id=pol.insurer_id,
            broker_id=self.broker,
            status=status,
            channel=Channel.WEB,
            loss_at=at - 6 * HOUR,
            notified_at=at,
            routing_deadline=at + 48 * HOUR,
            location=spec.location,
            description=DESCRIPTION,
            estimated_loss=spec.settled or Decimal(100_000),
            adjuster_id=spec.adjuster.id if spec.adjuster else None,
            created_by=self.user,
        )
        self.session.add(case)
        self._later.append(claim)
        parties = [(pol.insured_id, PartyRole.INSURED), (pol.insurer_id, PartyRole.INSURER)]
        if self.broker:
            parties.append((self.broker, PartyRole.BROKER))
        if spec.adjuster:
            parties.append((spec.adjuster.firm_id, PartyRole.ADJUSTER))
        if reported and self.supervision:
            parties.append((self.supervision, PartyRole.SUPERVISION))
        self._later += [
            Participation(case_id=case.id, claim_id=case.id, organisation_id=o, party_role=r, since=at)
            for o, r in parties
        ]
        self._clocks(claim, now, appointed, reported, agreed, paid)
        self._steps(claim, spec, appointed, reported, agreed, paid)
        return claim

    def _clocks(
        self,
        claim: Claim,
        now: dt.datetime,
        appointed: dt.datetime | None,
        reported: dt.datetime | None,
        agreed: dt.datetime | None,
        paid: dt.datetime | None,
    ) -> None:
        at = claim.notified_at
        if claim.adjuster_id is not None:
            issued = _issued(at, appointed)
            self._timed(claim, now, "routing", "broker", at, at + 48 * HOUR, issued)
            if issued is not None:
                self._timed(claim, now, "appointment_answer", "adjuster_firm", issued, issued + 24 * HOUR, appointed)
        start = reported or at
        self._timed(claim, now, "decision_30d", "insurer", start, start + 30 * DAY, agreed)
        if agreed:
            self._timed(claim, now, "payment_10d", "insurer", agreed, agreed + 10 * DAY, paid)

    def _timed(
        self,
        claim: Claim,
        now: dt.datetime,
        kind: str,
        holder: str,
        start: dt.datetime,
        due: dt.datetime,
        stop: dt.datetime | None,
    ) -> None:
        """A clock as the timer jobs leave it: breached at its due time when not stopped by then."""
        late = (stop is None and due < now) or (stop is not None and stop > due)
        self._later.append(
            Deadline(
                case_id=claim.id,
                claim_id=claim.id,
                kind=kind,
                holder=holder,
                started_at=start,
                due_at=due,
                stopped_at=stop,
                breached_at=due if late else None,
            )
        )

    def _steps(
        self,
        claim: Claim,
        spec: ClaimSpec,
        appointed: dt.datetime | None,
        reported: dt.datetime | None,
        agreed: dt.datetime | None,
        paid: dt.datetime | None,
    ) -> None:
        adj = spec.adjuster
        letter = None
        if adj is not None and appointed is not None:
            letter = Appointment(
                id=uuid.uuid4(),
                case_id=claim.id,
                claim_id=claim.id,
                firm_id=adj.firm_id,
                adjuster_id=adj.id,
                letter_no=f"QRH-{claim.number}",
                issued_at=_issued(claim.notified_at, appointed),
                state="accepted",
                fee_payment_days=spec.payment_days,
                answered_at=appointed,
            )
            self._later.append(letter)
        if adj is not None and reported is not None:
            content = _report_content(claim, spec)
            digest = sha256_hex(canonical_json(content))
            report_id = uuid.uuid4()
            self._later.append(
                Report(
                    id=report_id,
                    case_id=claim.id,
                    claim_id=claim.id,
                    kind="adjusting",
                    firm_id=adj.firm_id,
                    number=f"GR-{claim.number}",
                    version=1,
                    display_number=f"GR-{claim.number}",
                    content=content,
                    content_hash=digest,
                    total_loss=spec.settled,
                    submitted_at=reported,
                    submitted_by=adj.user_id or self._member(adj.firm_id),
                )
            )
            self._later.append(
                ReportSignature(report_id=report_id, adjuster_id=adj.id, content_hash=digest, signed_at=reported)
            )
        if agreed is not None:
            proposer = claim.broker_id or claim.insured_id  # the broker proposes for the insured
            self._later += [
                NegotiationStep(claim_id=claim.id, move="propose", amount=spec.settled, by_org_id=proposer,
                                by_user_id=self.user, at=agreed - DAY),
                NegotiationStep(claim_id=claim.id, move="accept", amount=spec.settled, by_org_id=claim.insurer_id,
                                by_user_id=self._member(claim.insurer_id), at=agreed),
            ]  # fmt: skip
        if paid is not None:
            self._later.append(
                Payment(
                    claim_id=claim.id,
                    kind="final",
                    amount=spec.settled,
                    paid_at=paid,
                    reference=f"ZF-{claim.number}",
                    recorded_by=self._member(claim.insurer_id),
                )
            )
        if letter is not None and reported is not None and spec.fee is not None:
            self._invoice(claim, spec, letter, reported)

    def _invoice(self, claim: Claim, spec: ClaimSpec, letter: Appointment, reported: dt.datetime) -> None:
        issued = reported + spec.fee_after * DAY
        day = local_day(issued)
        fee = spec.fee or Decimal(0)
        vat = (fee * VAT).quantize(Decimal("0.01"))
        settled = None if spec.fee_paid_after is None else day + dt.timedelta(days=spec.fee_paid_after)
        invoice = Invoice(
            id=uuid.uuid4(),
            case_id=claim.id,
            appointment_id=letter.id,
            side="broker",
            firm_id=letter.firm_id,
            payer_id=claim.insurer_id,
            payer_kind="insurer",
            number=f"GF-{claim.number}",
            invoice_date=day,
            due_date=day + dt.timedelta(days=spec.payment_days),
            fee=fee,
            expenses=Decimal("0.00"),
            vat=vat,
            total=fee + vat,
            calculation={},
            issued_at=issued,
            issued_by=self._member(letter.firm_id),
            state="paid" if settled else "issued",
            settled_on=settled,
        )
        self._later.append(invoice)
        if settled is not None:
            self._later.append(
                InvoicePayment(
                    invoice_id=invoice.id,
                    amount=invoice.total,
                    paid_on=settled,
                    reference=f"FK-{claim.number}",
                    recorded_by=self._member(claim.insurer_id),
                    recorded_at=dt.datetime.combine(settled, dt.time(3), dt.UTC),
                )
            )

    def flush(self) -> None:
        """Cases first, then the claims, then everything hanging off them (foreign keys in order)."""
        self.session.flush()
        claims = [r for r in self._later if isinstance(r, Claim)]
        self.session.add_all(claims)
        self.session.flush()
        letters = [r for r in self._later if isinstance(r, Appointment | Report)]
        self.session.add_all(letters)
        self.session.flush()
        invoices = [r for r in self._later if isinstance(r, Invoice)]
        rest = [r for r in self._later if not isinstance(r, Claim | Appointment | Report | Invoice)]
        self.session.add_all(invoices)
        self.session.flush()
        self.session.add_all(rest)
        self.session.flush()
        self._later.clear()


# ---- the demo's year ---------------------------------------------------------------------------------

#: Where losses happen (the loss place's province is the figures' region).
PLACES = (
    "上海市浦东新区张江路{n}号",
    "上海市嘉定区安亭镇墨玉路{n}号",
    "浙江省嘉兴市南湖区亚中路{n}号",
    "浙江省宁波市北仑区新碶街道{n}号",
    "江苏省苏州市工业园区星湖街{n}号",
    "江苏省无锡市新吴区长江路{n}号",
    "广东省东莞市长安镇振安中路{n}号",
    "广东省佛山市顺德区北滘镇{n}号",
)
LINES = ("企业财产保险", "财产一切险", "货物运输保险", "建筑工程一切险", "机器损坏保险")


@dataclass(frozen=True)
class Habit:
    """How an insurer worked its claims: share delegated to an adjuster, days to agree after the report,
    days to pay the claim after the agreement and the firm's fee after the invoice (inclusive ranges)."""

    delegate: float
    agree_days: tuple[int, int]
    pay_days: tuple[int, int]
    fee_days: tuple[int, int]


HABITS = {
    "中安财产保险股份有限公司": Habit(0.45, (3, 25), (2, 9), (15, 40)),
    "太和财产保险股份有限公司": Habit(0.15, (10, 45), (5, 18), (30, 95)),
    "安和财产保险股份有限公司": Habit(0.6, (4, 28), (3, 12), (20, 50)),
}  # not 东联: the comparison shows it with too few insureds ("not enough data"), and so it stays
#: Each firm's adjusters who take the history's claims, and the provinces each firm covers.
FIRM_ADJUSTERS = {
    "华信保险公估有限公司": (("王建国", "李娜", "周敏", "冯志强", "黄丽"), ("上海", "江苏")),
    "正衡保险公估合伙企业（普通合伙）": (("张伟", "何雪梅", "陈亮"), ("浙江", "上海", "江苏")),
    "粤安保险公估有限公司": (("林志伟",), ("广东",)),
}
FIRST_CLIENT = "嘉兴鑫达电子科技有限公司"  # insured1's company: its dashboard has a year too
INSUREDS = 48  # new insured organisations, one policy each
CLAIMS = 420
SEED = 1818


def _pick_adjuster(rng: random.Random, place: str, adjusters: dict[tuple[str, ...], list[Adjuster]]) -> Adjuster:
    covering = [a for regions, pool in adjusters.items() for a in pool if place[:2] in regions]
    return rng.choice(covering)


def _spec(
    rng: random.Random, policy: Policy, habit: Habit, adjusters: dict[tuple[str, ...], list[Adjuster]], now: dt.datetime
) -> ClaimSpec:
    notified = now - dt.timedelta(minutes=rng.randint(2 * 24 * 60, 365 * 24 * 60))
    place = rng.choice(PLACES).format(n=rng.randint(1, 999))
    settled = Decimal(rng.randint(20, 1500)) * 1000
    age = now - notified

    def step(offset: dt.timedelta) -> dt.timedelta | None:
        return offset if offset < age else None

    if rng.random() < habit.delegate:
        adj = _pick_adjuster(rng, place, adjusters)
        appointed = step(dt.timedelta(hours=rng.choice((3, 8, 20, 30, 40, 46, 60, 80))))
        reported = step((appointed or age) + DAY * rng.randint(8, 40)) if appointed else None
    else:
        adj, appointed, reported = None, None, None
    decided_from = reported or dt.timedelta(days=rng.randint(5, 25))
    agreed = step(decided_from + DAY * rng.randint(*habit.agree_days))
    paid = step(agreed + DAY * rng.randint(*habit.pay_days)) if agreed else None
    fee = (settled * Decimal(rng.randint(25, 60)) / 1000).quantize(Decimal("1")) if reported else None
    fee_after = rng.randint(0, 6)
    fee_paid = rng.randint(*habit.fee_days)
    issued = notified + (reported or dt.timedelta(0)) + fee_after * DAY
    return ClaimSpec(
        policy=policy,
        location=place,
        notified=notified,
        adjuster=adj,
        appointed=appointed,
        reported=reported,
        agreed=agreed,
        paid=paid,
        settled=settled if paid else Decimal("0.00"),
        fee=max(fee, Decimal(3000)) if fee is not None else None,
        fee_after=fee_after,
        fee_paid_after=fee_paid if issued + fee_paid * DAY < now else None,
    )


def load(session: Session, now: dt.datetime, *, claims: int = CLAIMS, seed: int = SEED) -> int:
    """The broker's year: ``INSUREDS`` new clients (and the demo's first insured) with a policy each at
    the four insurers, and ``claims`` claims over the past 365 days. Returns the number of claims."""
    rng = random.Random(seed)
    orgs = {o.name: o for o in session.execute(select(Organisation)).scalars()}
    broker = next(o for o in orgs.values() if o.kind == OrgKind.BROKER)
    supervision = next((o for o in orgs.values() if o.kind == OrgKind.SUPERVISION), None)
    user = session.execute(select(User.id).where(User.username == "broker")).scalar_one()
    pool = session.execute(select(Adjuster)).unique().scalars().all()
    adjusters = {regions: [a for a in pool if a.name in names] for _firm, (names, regions) in FIRM_ADJUSTERS.items()}
    writer = Writer(session, broker.id, supervision.id if supervision else None, user)
    insurers = [(orgs[name].id, habit) for name, habit in HABITS.items() if name in orgs]
    clients = [orgs[FIRST_CLIENT]] if FIRST_CLIENT in orgs else []
    for n in range(INSUREDS):
        region = PLACES[n % len(PLACES)][:2]
        org = Organisation(
            kind=OrgKind.INSURED, name=f"{region}历史客户{n + 1:02d}有限公司", region=region, created_at=now
        )
        session.add(org)
        clients.append(org)
    session.flush()
    policies = []
    for i, client in enumerate(clients):
        insurer, habit = insurers[i % len(insurers)]
        start = (now - dt.timedelta(days=380)).date()
        policies.append((writer.policy(client, insurer, LINES[i % len(LINES)], start), habit))
    session.flush()
    for _ in range(claims):
        policy, habit = rng.choice(policies)
        writer.claim(_spec(rng, policy, habit, adjusters, now), now)
    writer.flush()
    return claims
