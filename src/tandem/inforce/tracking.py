"""Tracking the insurer (R-U9, issue 16 item 2): per policy and per insurer, for the broker — the claims
against the 保险法 clocks (decided within 30 days of notice, paid within 10 days of the agreement, Art. 23),
the adjusters' fee invoices the insurer paid on time or late, and the disputes. The facts are the integrity
record's own (``placement.comparison.facts_by_claim`` and ``comparison_stats.decided_in_time`` /
``paid_in_time``; ``fees.ageing.days_to_pay``; the platform-wide median of ``fees.invoices.
days_to_pay_by_payer``), read here for the broker's own policies, claim by claim.

Only the broker reads it: a party to the policy that is not its broker gets 403, anybody else 404.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from tandem.access import scope
from tandem.access.actor import Actor
from tandem.access.models import Organisation, OrgKind
from tandem.claim.models import Claim
from tandem.fees import ageing
from tandem.fees.invoices import days_to_pay_by_payer
from tandem.fees.models import Invoice
from tandem.kit.clock import local_day
from tandem.kit.errors import ActionNotAllowed, NotFound
from tandem.placement import comparison_stats as stats
from tandem.placement.comparison import facts_by_claim
from tandem.policy.models import Policy


@dataclass(frozen=True)
class ClaimLine:
    claim_id: uuid.UUID
    number: str
    policy_number: str
    notified_at: dt.datetime
    decided_at: dt.datetime | None
    decided_on_time: bool | None  # None: cannot be told yet (the 30 days still run) or withdrawn undecided
    agreed_at: dt.datetime | None
    paid_at: dt.datetime | None
    paid_on_time: bool | None  # None: not agreed, or the 10 days still run
    disputed: bool


@dataclass(frozen=True)
class FeeLine:
    invoice_id: uuid.UUID
    number: str
    claim_number: str
    invoice_date: dt.date
    due_date: dt.date
    settled_on: dt.date | None
    days_to_pay: int | None
    on_time: bool | None  # None: not paid and not yet due
    disputed: bool


@dataclass(frozen=True)
class Tally:
    on_time: int
    late: int
    pending: int


def tally(flags: list[bool | None]) -> Tally:
    return Tally(sum(f is True for f in flags), sum(f is False for f in flags), sum(f is None for f in flags))


@dataclass(frozen=True)
class Record:
    insurer_id: uuid.UUID
    insurer_name: str
    policies: list[str]
    claims: list[ClaimLine]
    fees: list[FeeLine]
    platform_fee_days: Decimal | None  # the insurer's median days to pay adjusters' fees on the platform

    @property
    def decided(self) -> Tally:
        return tally([c.decided_on_time for c in self.claims])

    @property
    def paid(self) -> Tally:
        return tally([c.paid_on_time for c in self.claims])

    @property
    def fees_paid(self) -> Tally:
        return tally([f.on_time for f in self.fees])

    @property
    def disputes(self) -> int:
        return sum(c.disputed for c in self.claims)

    @property
    def fee_disputes(self) -> int:
        return sum(f.disputed for f in self.fees)


def _claims(session: Session, now: dt.datetime, *where: ColumnElement[bool]) -> list[ClaimLine]:
    facts = facts_by_claim(session, *where)
    rows = session.execute(
        select(Claim.id, Claim.number, Policy.number).join(Policy, Policy.id == Claim.policy_id).where(*where)
    ).all()
    lines = []
    for claim_id, number, policy_number in rows:
        _insurer, f = facts[claim_id]
        lines.append(
            ClaimLine(
                claim_id,
                number,
                policy_number,
                f.notified_at,
                f.decided_at,
                stats.decided_in_time(f, now),
                f.agreed_at,
                f.paid_at,
                stats.paid_in_time(f, now),
                f.disputed,
            )
        )
    return sorted(lines, key=lambda c: c.notified_at)


def _fees(session: Session, insurer_id: uuid.UUID, claims: list[ClaimLine], today: dt.date) -> list[FeeLine]:
    """The adjusters' fee invoices the insurer is to pay on these claims' cases (replaced ones left out)."""
    numbers = {c.claim_id: c.number for c in claims}
    rows = session.execute(
        select(Invoice, Claim.id)
        .join(Claim, Claim.case_id == Invoice.case_id)
        .where(Claim.id.in_(list(numbers)), Invoice.payer_id == insurer_id, Invoice.state != "replaced")
        .order_by(Invoice.invoice_date, Invoice.number)
    ).all()
    out = []
    for inv, claim_id in rows:
        settled = inv.settled_on
        on_time = settled <= inv.due_date if settled else (False if inv.due_date < today else None)
        days = ageing.days_to_pay(inv.invoice_date, settled) if settled else None
        disputed = inv.dispute_reason is not None
        out.append(
            FeeLine(
                inv.id, inv.number, numbers[claim_id], inv.invoice_date, inv.due_date, settled, days, on_time, disputed
            )
        )
    return out


def _record(session: Session, insurer: Organisation, policies: list[Policy], now: dt.datetime) -> Record:
    ids = [p.id for p in policies]
    claims = _claims(session, now, Claim.policy_id.in_(ids), Claim.insurer_id == insurer.id) if ids else []
    today = local_day(now)
    platform = days_to_pay_by_payer(session, [insurer.id])[insurer.id]
    return Record(
        insurer.id,
        insurer.name,
        sorted(p.number for p in policies),
        claims,
        _fees(session, insurer.id, claims, today),
        # Across the platform: shown only when it stands on enough insureds (as in the insurer comparison).
        platform.median_days if platform.insureds >= stats.MIN_INSUREDS else None,
    )


def _broker(actor: Actor) -> None:
    if actor.org_kind != OrgKind.BROKER:
        raise NotFound()


def policy_record(session: Session, actor: Actor, policy_id: object, now: dt.datetime) -> Record:
    """The insurer's record on one policy: its broker only (403 for the policy's other parties)."""
    policy = scope.get_policy(session, actor, policy_id)
    if actor.org_id != policy.broker_id:
        raise ActionNotAllowed()
    return _record(session, policy.insurer, [policy], now)


def insurer_record(session: Session, actor: Actor, insurer_id: object, now: dt.datetime) -> Record:
    """The insurer's record over the broker's policies with it (a broker only; 404 for anybody else and for
    an organisation that is no insurer)."""
    _broker(actor)
    insurer = scope.get_organisation(session, actor, insurer_id)
    if insurer.kind != OrgKind.INSURER:
        raise NotFound()
    policies = session.execute(
        scope.visible_policies(actor).where(Policy.insurer_id == insurer.id).order_by(Policy.number)
    ).unique().scalars()  # fmt: skip
    return _record(session, insurer, list(policies), now)


def insurers(session: Session, actor: Actor) -> list[Organisation]:
    """The insurers of the broker's policies (what its tracking page lists)."""
    _broker(actor)
    ids = select(Policy.insurer_id).where(Policy.id.in_(scope.visible_policies(actor).with_only_columns(Policy.id)))
    stmt = select(Organisation).where(Organisation.id.in_(ids)).order_by(Organisation.name)
    return list(session.execute(stmt).scalars())
