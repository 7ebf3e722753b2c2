"""The rows behind the market figures, read from the platform's tables in three queries (claims, clocks,
fee invoices), each scoped to what the reader may see and aggregated per claim in SQL (first report,
first accepted letter, agreement, final payment, amount settled, amount paid on each invoice).

Scope (the one access check, ``access.scope.visible_claims``): a broker reads its book, an insurer its
claims, an adjuster firm the claims it works, an insured its own; supervision and the platform read the
whole market (figures only, never a case; small groups hidden, see ``compute``). Fee invoices are the
ones the reader is party to on those claims: the firm's own, the payer's, the broker's engagements for
the broker, all for supervision and the platform."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, and_, case, func, or_, select, true
from sqlalchemy.orm import Session

from tandem.access import scope
from tandem.access.actor import Actor
from tandem.access.models import Organisation, OrgKind
from tandem.claim.models import Appointment, Claim, Deadline, Payment
from tandem.db import Money
from tandem.fees import ageing
from tandem.fees.invoices import OPEN
from tandem.fees.models import Invoice, InvoicePayment
from tandem.kit.clock import local_day
from tandem.party.models import Adjuster
from tandem.policy.models import Policy
from tandem.report.models import Report
from tandem.routing.service import province_of
from tandem.settlement.models import NegotiationStep

DAY = Decimal(86400)
#: Readers whose figures are market-wide (aggregates only).
MARKET_READERS = frozenset({OrgKind.PLATFORM, OrgKind.SUPERVISION})
DIMENSIONS = ("period", "line", "region", "insurer", "firm")


@dataclass(frozen=True)
class Dims:
    """Where a row falls: its month (YYYY-MM, Asia/Shanghai), line, region (the loss place's province, else
    the insured's region), insurer and firm; and the insured behind it (for the privacy rule)."""

    period: str
    line: str
    region: str
    insurer: uuid.UUID
    firm: uuid.UUID | None
    insured: uuid.UUID

    def key(self, dimension: str) -> Any:
        return getattr(self, dimension)


@dataclass(frozen=True)
class ClaimRow:
    dims: Dims
    notified_at: dt.datetime
    appointed_at: dt.datetime | None  # the first accepted letter's answer
    reported_at: dt.datetime | None  # the first submitted report
    agreed_at: dt.datetime | None  # the insurer's first acceptance in the negotiation
    paid_at: dt.datetime | None  # the final payment
    settled: Decimal  # every payment on the claim (advances and the final one)


@dataclass(frozen=True)
class ClockRow:
    """One clock-bound step (a ``deadline`` row): who held the ball, whether it was done within its clock
    (``None`` while it runs within it) and how long it was held (to now while running)."""

    dims: Dims
    holder: str
    met: bool | None
    held_days: Decimal


@dataclass(frozen=True)
class FeeRow:
    """One fee invoice (not a replaced one): its total, what was paid, what is overdue today, and the
    days to pay when settled. ``dims.period`` is the invoice's month, ``dims.firm`` the invoicing firm."""

    dims: Dims
    total: Decimal
    paid: Decimal
    overdue: Decimal
    days_to_pay: int | None


@dataclass(frozen=True)
class Facts:
    claims: list[ClaimRow]
    clocks: list[ClockRow]
    fees: list[FeeRow]

    def dims(self) -> list[Dims]:
        """Where the claims and invoices fall (the filters' choices come from these only)."""
        return [c.dims for c in self.claims] + [f.dims for f in self.fees]


def month(at: dt.datetime | dt.date) -> str:
    day = local_day(at) if isinstance(at, dt.datetime) else at
    return f"{day.year:04d}-{day.month:02d}"


def claim_scope(actor: Actor) -> Select[Any]:
    """The ids of the claims the reader's figures are computed from."""
    if actor.org_kind in MARKET_READERS:
        return select(Claim.id)
    return scope.visible_claims(actor).with_only_columns(Claim.id)


def _fee_scope(actor: Actor) -> Any:
    match actor.org_kind:
        case OrgKind.PLATFORM | OrgKind.SUPERVISION:
            return true()
        case OrgKind.ADJUSTER_FIRM:
            return Invoice.firm_id == actor.org_id
        case OrgKind.BROKER:
            return or_(Invoice.side == "broker", Invoice.payer_id == actor.org_id)
        case _:
            return Invoice.payer_id == actor.org_id


def _claims(session: Session, ids: Select[Any], now: dt.datetime) -> dict[uuid.UUID, ClaimRow]:
    """The claims notified by ``now`` with the steps taken by then (a past day's figures leave later ones out)."""

    def first(column: Any, key: Any, *where: Any) -> Any:
        return (
            select(key.label("cid"), func.min(column).label("at")).where(column <= now, *where).group_by(key).subquery()
        )

    report = first(Report.submitted_at, Report.claim_id, Report.claim_id.in_(ids))
    letter = first(Appointment.answered_at, Appointment.claim_id, Appointment.state == "accepted")
    agreed = first(
        NegotiationStep.at,
        NegotiationStep.claim_id,
        NegotiationStep.move == "accept",
        NegotiationStep.withdrawn_at.is_(None),
    )
    paid = (
        select(
            Payment.claim_id.label("cid"),
            func.min(case((Payment.kind == "final", Payment.paid_at)), type_=Payment.paid_at.type).label("at"),
            func.sum(Payment.amount, type_=Money).label("settled"),
        )
        .where(Payment.paid_at <= now)
        .group_by(Payment.claim_id)
        .subquery()
    )
    stmt = (
        select(
            Claim.id,
            Claim.insured_id,
            Claim.insurer_id,
            Adjuster.firm_id,
            Policy.line,
            Claim.location,
            Organisation.region,
            Claim.notified_at,
            letter.c.at,
            report.c.at,
            agreed.c.at,
            paid.c.at,
            paid.c.settled,
        )
        .join(Policy, Policy.id == Claim.policy_id)
        .join(Organisation, Organisation.id == Claim.insured_id)
        .outerjoin(Adjuster, Adjuster.id == Claim.adjuster_id)
        .outerjoin(letter, letter.c.cid == Claim.id)
        .outerjoin(report, report.c.cid == Claim.id)
        .outerjoin(agreed, agreed.c.cid == Claim.id)
        .outerjoin(paid, paid.c.cid == Claim.id)
        .where(Claim.id.in_(ids), Claim.notified_at <= now)
    )
    out: dict[uuid.UUID, ClaimRow] = {}
    for (
        cid,
        insured,
        insurer,
        firm,
        line,
        place,
        home,
        notified,
        appointed,
        reported,
        agreed_at,
        paid_at,
        settled,
    ) in session.execute(stmt).all():
        dims = Dims(month(notified), line, province_of(place or "") or home or "", insurer, firm, insured)
        out[cid] = ClaimRow(dims, notified, appointed, reported, agreed_at, paid_at, settled or Decimal("0.00"))
    return out


def _clocks(session: Session, claims: dict[uuid.UUID, ClaimRow], ids: Select[Any], now: dt.datetime) -> list[ClockRow]:
    stmt = select(
        Deadline.claim_id,
        Deadline.holder,
        Deadline.started_at,
        Deadline.due_at,
        Deadline.stopped_at,
        Deadline.breached_at,
    ).where(Deadline.claim_id.in_(ids))
    rows = []
    for cid, holder, started, due, stopped, breached in session.execute(stmt).all():
        if cid not in claims or started > now:
            continue
        stopped = stopped if stopped is not None and stopped <= now else None
        breached = breached if breached is not None and breached <= now else None
        if stopped is not None:
            met: bool | None = breached is None and stopped <= due
        else:
            met = None if breached is None and due >= now else False
        end = stopped or now
        held = Decimal(int((end - started).total_seconds())) / DAY
        rows.append(ClockRow(claims[cid].dims, holder, met, held))
    return rows


def _fees(
    session: Session, claims: dict[uuid.UUID, ClaimRow], actor: Actor, ids: Select[Any], now: dt.datetime
) -> list[FeeRow]:
    today = local_day(now)
    paid = (
        select(InvoicePayment.invoice_id.label("iid"), func.sum(InvoicePayment.amount, type_=Money).label("paid"))
        .where(InvoicePayment.paid_on <= today)
        .group_by(InvoicePayment.invoice_id)
        .subquery()
    )
    stmt = (
        select(
            Claim.id,
            Invoice.firm_id,
            Invoice.invoice_date,
            Invoice.due_date,
            Invoice.state,
            Invoice.total,
            Invoice.settled_on,
            paid.c.paid,
        )
        .join(Claim, Claim.case_id == Invoice.case_id)
        .outerjoin(paid, paid.c.iid == Invoice.id)
        .where(and_(Claim.id.in_(ids), Invoice.state != "replaced", Invoice.invoice_date <= today, _fee_scope(actor)))
    )
    rows = []
    for cid, firm, issued, due, state, total, settled_on, paid_amount in session.execute(stmt).all():
        if cid not in claims:
            continue
        if state == "paid" and (settled_on is None or settled_on > today):
            state, settled_on = "accepted", None  # paid after ``now``: still open then
        got = paid_amount or Decimal("0.00")
        overdue = total - got if state in OPEN and ageing.days_overdue(due, today) > 0 else Decimal("0.00")
        days = ageing.days_to_pay(issued, settled_on) if state == "paid" and settled_on is not None else None
        base = claims[cid].dims
        dims = Dims(month(issued), base.line, base.region, base.insurer, firm, base.insured)
        rows.append(FeeRow(dims, total, got, overdue, days))
    return rows


def read(session: Session, actor: Actor, now: dt.datetime) -> Facts:
    """Every row the reader's figures are computed from."""
    ids = claim_scope(actor)
    claims = _claims(session, ids, now)
    return Facts(list(claims.values()), _clocks(session, claims, ids, now), _fees(session, claims, actor, ids, now))
