"""The client money ledger (客户资金): premiums and claim payments the broker receives and passes on.

regulation.md §1.9 (经纪人规定 Art. 43) makes the broker hold client money apart, in its 客户资金专用账户:
premiums paid by policyholders for insurers, and claim or surrender payments collected for clients. Art. 63
forbids withholding them. Each entry has its kind, exact amount, currency, value date (the Asia/Shanghai
day), counterpart, client (the insured), insurer, policy (and claim), bank reference and who recorded it.

Reconciliation: a pay-out names the receipt it passes on (partial pay-outs allowed, never above what the
receipt still holds); a receipt not fully passed on is an open item, aged in days from its value date.
The regulation sets no time limit for passing money on (Art. 49 leaves the remittance deadline to the
broker's agreement with each insurer), so the platform flags an item held longer than the setting
``client_money_hold_days`` (default 10 calendar days).

Entries are append-only: a correction is a reversing entry with a reason, the negated amount, on the same
receipt, so it nets to zero. Every entry writes an audit event on the broker's chain in its transaction.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.access.actor import Actor
from tandem.access.models import Organisation, OrgKind, Role
from tandem.audit import service as audit
from tandem.brokerage.models import ClientMoneyEntry
from tandem.claim.models import Claim, Payment
from tandem.kit.clock import local_day
from tandem.kit.errors import ActionNotAllowed, Conflict, InvalidInput, NotFound
from tandem.kit.i18n import N_
from tandem.kit.limits import reason_text
from tandem.policy.models import Policy

# A receipt kind and the pay-out kind that passes it on.
PAYOUT_OF = {
    "premium_received": "premium_remitted",
    "claim_received": "claim_paid",
    "refund_received": "refund_paid",
}
RECEIPTS = frozenset(PAYOUT_OF)
PAYOUTS = frozenset(PAYOUT_OF.values())
KINDS = (*PAYOUT_OF, *PAYOUT_OF.values())
# Who the money comes from or goes to: the client (the insured) or the insurer.
FROM_CLIENT = frozenset({"premium_received", "claim_paid", "refund_paid"})
# Kinds that belong to a claim.
CLAIM_KINDS = frozenset({"claim_received", "claim_paid"})
# Ageing bands of open items, by days held: upper ends of the bands before the last.
BANDS = ("0-7", "8-30", "31-90", "90+")
_ENDS = ((7, "0-7"), (30, "8-30"), (90, "31-90"))
DEFAULT_HOLD_DAYS = 10

READERS = frozenset({Role.BROKER_ACCOUNT_MANAGER, Role.BROKER_RISK_EVALUATOR, Role.ORG_ADMIN})
WRITERS = frozenset({Role.BROKER_ACCOUNT_MANAGER})

NO_POLICY = N_("No such policy of yours.")
NO_CLAIM = N_("No such claim of yours.")
NO_RECEIPT = N_("Name a receipt of yours of the matching kind that still holds money.")
NO_PAYMENT = N_("No such claim payment on this claim, or it is already booked.")
OVER_OPEN = N_("More than the receipt still holds ({open}).")
OVER_PAYMENT = N_("More than is left of the insurer's payment ({open}).")
FUTURE = N_("The value date cannot be in the future.")
BEFORE_RECEIPT = N_("A pay-out cannot be dated before its receipt.")
NOT_POSITIVE = N_("The amount must be more than zero.")
BAD_KIND = N_("Choose a kind of entry.")
REFERENCE = N_("Enter the bank reference.")


class AlreadyReversed(Conflict):
    code = "client_money.already_reversed"
    message = "This entry is already reversed, or is itself a reversal."


class PayoutsStanding(Conflict):
    code = "client_money.payouts_standing"
    message = "Reverse the pay-outs of this receipt first."


@dataclass(frozen=True)
class EntryIn:
    kind: str
    amount: Decimal
    value_date: dt.date
    reference: str
    policy_id: uuid.UUID | None = None
    claim_id: uuid.UUID | None = None
    payment_id: uuid.UUID | None = None
    receipt_id: uuid.UUID | None = None


# ---- who may ---------------------------------------------------------------------------------------


def reader(actor: Actor) -> uuid.UUID:
    """The broker whose ledger the actor reads; anyone else is refused (nobody else's money is shown)."""
    if actor.org_kind != OrgKind.BROKER or not actor.has_any(READERS):
        raise ActionNotAllowed()
    return actor.org_id


def writer(actor: Actor) -> uuid.UUID:
    if actor.org_kind != OrgKind.BROKER or not actor.has_any(WRITERS):
        raise ActionNotAllowed()
    return actor.org_id


# ---- arithmetic (pure) -----------------------------------------------------------------------------


def signed(entry: ClientMoneyEntry) -> Decimal:
    """What the entry does to the money held: a receipt adds, a pay-out takes away (a reversal, carrying
    the negated amount, undoes either)."""
    return entry.amount if entry.kind in RECEIPTS else -entry.amount


def balance(entries: Iterable[ClientMoneyEntry]) -> Decimal:
    return sum((signed(e) for e in entries), Decimal("0.00"))


def _receipt_of(entry: ClientMoneyEntry) -> uuid.UUID:
    """The receipt an entry counts against: itself, the receipt a pay-out names, or (a reversal of a
    receipt) the receipt it reverses."""
    if entry.receipt_id is not None:
        return entry.receipt_id
    return entry.reverses_id if entry.reverses_id is not None else entry.id


def held_per_receipt(entries: Iterable[ClientMoneyEntry]) -> dict[uuid.UUID, Decimal]:
    """Per receipt, what it still holds: its amount (net of a reversal) less its pay-outs (net of theirs)."""
    held: dict[uuid.UUID, Decimal] = {}
    for e in entries:
        key = _receipt_of(e)
        held[key] = held.get(key, Decimal("0.00")) + signed(e)
    return held


def band(days: int) -> str:
    for end, name in _ENDS:
        if days <= end:
            return name
    return "90+"


@dataclass(frozen=True)
class OpenItem:
    receipt: ClientMoneyEntry
    held: Decimal
    age_days: int
    band: str
    over_limit: bool


def open_items(entries: Sequence[ClientMoneyEntry], today: dt.date, hold_days: int) -> list[OpenItem]:
    """Receipts not fully passed on, oldest first, with their age in days and band; over the hold limit
    flagged."""
    held = held_per_receipt(entries)
    out = []
    for e in entries:
        if e.kind in RECEIPTS and e.reverses_id is None and held.get(e.id, Decimal(0)) > 0:
            age = (today - e.value_date).days
            out.append(OpenItem(e, held[e.id], age, band(age), age > hold_days))
    out.sort(key=lambda i: (i.receipt.value_date, i.receipt.recorded_at, str(i.receipt.id)))
    return out


@dataclass
class StatementRow:
    party_id: uuid.UUID
    currency: str
    received: Decimal
    passed_on: Decimal
    balance: Decimal
    open_items: int
    oldest_days: int | None


def statement(
    entries: Sequence[ClientMoneyEntry], by: str, today: dt.date, hold_days: int = DEFAULT_HOLD_DAYS
) -> list[StatementRow]:
    """Per client (``by="client"``) or per insurer, per currency: received, passed on and held."""
    rows: dict[tuple[uuid.UUID, str], StatementRow] = {}
    for e in entries:
        key = (e.client_id if by == "client" else e.insurer_id, e.currency)
        zero = Decimal("0.00")
        row = rows.setdefault(key, StatementRow(key[0], key[1], zero, zero, zero, 0, None))
        if e.kind in RECEIPTS:
            row.received += e.amount
        else:
            row.passed_on += e.amount
        row.balance += signed(e)
    for item in open_items(entries, today, hold_days):
        r = item.receipt
        row = rows[(r.client_id if by == "client" else r.insurer_id, r.currency)]
        row.open_items += 1
        row.oldest_days = max(row.oldest_days or 0, item.age_days)
    return list(rows.values())


# ---- reading ---------------------------------------------------------------------------------------


def entries(
    session: Session,
    broker_id: uuid.UUID,
    *,
    client_id: uuid.UUID | None = None,
    insurer_id: uuid.UUID | None = None,
) -> list[ClientMoneyEntry]:
    stmt = select(ClientMoneyEntry).where(ClientMoneyEntry.broker_id == broker_id)
    if client_id is not None:
        stmt = stmt.where(ClientMoneyEntry.client_id == client_id)
    if insurer_id is not None:
        stmt = stmt.where(ClientMoneyEntry.insurer_id == insurer_id)
    stmt = stmt.order_by(ClientMoneyEntry.value_date, ClientMoneyEntry.recorded_at, ClientMoneyEntry.id)
    return list(session.execute(stmt).scalars())


def names(session: Session, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    wanted = set(ids)
    if not wanted:
        return {}
    rows = session.execute(select(Organisation.id, Organisation.name).where(Organisation.id.in_(wanted)))
    return {i: n for i, n in rows}


def _lock(session: Session, policy_id: uuid.UUID) -> None:
    """Serialise the moves on one policy's money: its policy row is locked (the ledger itself takes no row
    lock, as the application may only insert into it), so two pay-outs never both pass the check."""
    session.execute(select(Policy.id).where(Policy.id == policy_id).with_for_update())


def _own_entry(session: Session, broker_id: uuid.UUID, entry_id: Any) -> ClientMoneyEntry:
    try:
        ident = uuid.UUID(str(entry_id))
    except ValueError:
        raise NotFound() from None
    stmt = select(ClientMoneyEntry).where(ClientMoneyEntry.id == ident, ClientMoneyEntry.broker_id == broker_id)
    found = session.execute(stmt).scalar_one_or_none()
    if found is None:
        raise NotFound()
    return found


def _standing(session: Session, receipt: ClientMoneyEntry) -> list[ClientMoneyEntry]:
    """The receipt, its reversal and its pay-outs (with theirs)."""
    stmt = select(ClientMoneyEntry).where(
        (ClientMoneyEntry.id == receipt.id)
        | (ClientMoneyEntry.reverses_id == receipt.id)
        | (ClientMoneyEntry.receipt_id == receipt.id)
    )
    return list(session.execute(stmt).scalars())


def held_by(session: Session, receipt: ClientMoneyEntry) -> Decimal:
    return held_per_receipt(_standing(session, receipt)).get(receipt.id, Decimal("0.00"))


# ---- recording -------------------------------------------------------------------------------------


def _check_basics(data: EntryIn, today: dt.date) -> None:
    if data.kind not in KINDS:
        raise InvalidInput(BAD_KIND, fields={"kind": BAD_KIND})
    if data.amount <= 0:
        raise InvalidInput(NOT_POSITIVE, fields={"amount": NOT_POSITIVE})
    if data.value_date > today:
        raise InvalidInput(FUTURE, fields={"value_date": FUTURE})
    if not data.reference.strip():
        raise InvalidInput(REFERENCE, fields={"reference": REFERENCE})


def _own_claim(session: Session, broker_id: uuid.UUID, claim_id: uuid.UUID | None) -> Claim:
    claim = session.get(Claim, claim_id) if claim_id is not None else None
    if claim is None or claim.broker_id != broker_id:
        raise InvalidInput(NO_CLAIM, fields={"claim_id": NO_CLAIM})
    return claim


def _own_policy(session: Session, broker_id: uuid.UUID, policy_id: uuid.UUID | None) -> Policy:
    policy = session.get(Policy, policy_id) if policy_id is not None else None
    if policy is None or policy.broker_id != broker_id:
        raise InvalidInput(NO_POLICY, fields={"policy_id": NO_POLICY})
    return policy


def _net(rows: Iterable[ClientMoneyEntry]) -> Decimal:
    """What standing entries add up to (a reversal carries the negated amount, so it nets its entry out)."""
    return sum((e.amount for e in rows), Decimal("0.00"))


def payment_received(session: Session, broker_id: uuid.UUID, payment_id: uuid.UUID) -> Decimal:
    """How much of the insurer's claim payment the broker's standing receipts book."""
    stmt = select(ClientMoneyEntry).where(
        ClientMoneyEntry.broker_id == broker_id, ClientMoneyEntry.payment_id == payment_id
    )
    return _net(session.execute(stmt).scalars())


def _receipt_fields(session: Session, broker_id: uuid.UUID, data: EntryIn) -> dict[str, Any]:
    wants_claim = data.kind in CLAIM_KINDS or data.claim_id is not None
    claim = _own_claim(session, broker_id, data.claim_id) if wants_claim else None
    policy = _own_policy(session, broker_id, claim.policy_id if claim else data.policy_id)
    if data.payment_id is not None:
        _lock(session, policy.id)  # two clerks booking one payment: the second sees the first's receipt
        pay = session.get(Payment, data.payment_id)
        if data.kind != "claim_received" or pay is None or claim is None or pay.claim_id != claim.id:
            raise InvalidInput(NO_PAYMENT, fields={"payment_id": NO_PAYMENT})
        left = pay.amount - payment_received(session, broker_id, pay.id)
        if left <= 0:
            raise InvalidInput(NO_PAYMENT, fields={"payment_id": NO_PAYMENT})
        if data.amount > left:
            raise InvalidInput(OVER_PAYMENT, fields={"amount": OVER_PAYMENT}, open=f"{left:,.2f}")
    return {
        "policy_id": policy.id,
        "claim_id": claim.id if claim else None,
        "payment_id": data.payment_id,
        "client_id": policy.insured_id,
        "insurer_id": policy.insurer_id,
        "currency": policy.currency,
        "receipt_id": None,
    }


def _payout_fields(session: Session, broker_id: uuid.UUID, data: EntryIn) -> dict[str, Any]:
    receipt = None
    if data.receipt_id is not None:
        stmt = select(ClientMoneyEntry).where(
            ClientMoneyEntry.id == data.receipt_id, ClientMoneyEntry.broker_id == broker_id
        )
        receipt = session.execute(stmt).scalar_one_or_none()
        if receipt is not None:
            _lock(session, receipt.policy_id)
    if receipt is None or receipt.reverses_id is not None or PAYOUT_OF.get(receipt.kind) != data.kind:
        raise InvalidInput(NO_RECEIPT, fields={"receipt_id": NO_RECEIPT})
    held = held_by(session, receipt)
    if held <= 0:
        raise InvalidInput(NO_RECEIPT, fields={"receipt_id": NO_RECEIPT})
    if data.amount > held:
        raise InvalidInput(OVER_OPEN, fields={"amount": OVER_OPEN}, open=f"{held:.2f}")
    if data.value_date < receipt.value_date:
        raise InvalidInput(BEFORE_RECEIPT, fields={"value_date": BEFORE_RECEIPT})
    return {
        "policy_id": receipt.policy_id,
        "claim_id": receipt.claim_id,
        "payment_id": None,
        "client_id": receipt.client_id,
        "insurer_id": receipt.insurer_id,
        "currency": receipt.currency,
        "receipt_id": receipt.id,
    }


def record(session: Session, actor: Actor, data: EntryIn, *, at: dt.datetime) -> ClientMoneyEntry:
    """Record one receipt or pay-out; 422 naming the field for anything wrong, nothing written then."""
    broker_id = writer(actor)
    _check_basics(data, local_day(at))
    fields = (
        _receipt_fields(session, broker_id, data) if data.kind in RECEIPTS else _payout_fields(session, broker_id, data)
    )
    counterpart = fields["client_id"] if data.kind in FROM_CLIENT else fields["insurer_id"]
    entry = ClientMoneyEntry(
        broker_id=broker_id,
        kind=data.kind,
        amount=data.amount,
        value_date=data.value_date,
        counterpart_id=counterpart,
        reference=data.reference.strip(),
        recorded_by=actor.user_id,
        recorded_at=at,
        **fields,
    )
    session.add(entry)
    session.flush()
    _audit(session, actor, "client_money.recorded", entry, at=at)
    return entry


def reverse(session: Session, actor: Actor, entry_id: Any, *, reason: str, at: dt.datetime) -> ClientMoneyEntry:
    """A correction: a new entry with the negated amount, dated today, naming the one it reverses. A
    receipt is reversed only once its pay-outs are (the money is then no longer held for anyone)."""
    broker_id = writer(actor)
    why = reason_text(reason, "reason")
    entry = _own_entry(session, broker_id, entry_id)
    _lock(session, entry.policy_id)
    if (
        entry.reverses_id is not None
        or session.execute(select(ClientMoneyEntry.id).where(ClientMoneyEntry.reverses_id == entry.id)).first()
    ):
        raise AlreadyReversed()
    if entry.kind in RECEIPTS and held_by(session, entry) != entry.amount:
        raise PayoutsStanding()
    rev = ClientMoneyEntry(
        broker_id=broker_id,
        kind=entry.kind,
        amount=-entry.amount,
        currency=entry.currency,
        value_date=local_day(at),
        counterpart_id=entry.counterpart_id,
        client_id=entry.client_id,
        insurer_id=entry.insurer_id,
        policy_id=entry.policy_id,
        claim_id=entry.claim_id,
        payment_id=entry.payment_id,
        receipt_id=entry.receipt_id,
        reverses_id=entry.id,
        reason=why,
        reference=entry.reference,
        recorded_by=actor.user_id,
        recorded_at=at,
    )
    session.add(rev)
    session.flush()
    _audit(session, actor, "client_money.reversed", rev, at=at, reason=why)
    return rev


def _audit(
    session: Session, actor: Actor, action: str, e: ClientMoneyEntry, *, at: dt.datetime, reason: str | None = None
) -> None:
    audit.record(
        session,
        actor.ref,
        action=action,
        entity_type=ClientMoneyEntry.__tablename__,
        entity_id=e.id,
        at=at,
        chain_key=f"org:{e.broker_id}",
        after={
            "kind": e.kind,
            "amount": f"{e.amount:.2f}",
            "currency": e.currency,
            "value_date": e.value_date.isoformat(),
            "policy_id": str(e.policy_id),
            "claim_id": str(e.claim_id) if e.claim_id else None,
            "receipt_id": str(e.receipt_id) if e.receipt_id else None,
            "reverses_id": str(e.reverses_id) if e.reverses_id else None,
            "reference": e.reference,
        },
        reason=reason,
        request_id=actor.request_id,
    )


# ---- what the platform already knows (expected entries) ------------------------------------------


@dataclass(frozen=True)
class Expected:
    """A receipt the platform expects from what it records: a placed policy's premium not yet received,
    or an insurer's recorded claim payment not yet booked."""

    kind: str
    amount: Decimal
    currency: str
    policy_id: uuid.UUID
    claim_id: uuid.UUID | None
    payment_id: uuid.UUID | None
    due: dt.date
    label: str


def expected(session: Session, actor: Actor) -> list[Expected]:
    broker_id = reader(actor)
    rows = entries(session, broker_id)
    premium_in: dict[uuid.UUID, Decimal] = defaultdict(Decimal)
    paid_in: dict[uuid.UUID, Decimal] = defaultdict(Decimal)
    for e in rows:  # net of reversals: what is still expected is what is not received yet
        if e.kind == "premium_received":
            premium_in[e.policy_id] += e.amount
        if e.payment_id is not None:
            paid_in[e.payment_id] += e.amount
    out: list[Expected] = []
    pays = session.execute(
        select(Payment, Claim, Policy.currency)
        .join(Claim, Claim.id == Payment.claim_id)
        .join(Policy, Policy.id == Claim.policy_id)
        .where(Claim.broker_id == broker_id)
    )
    for pay, claim, currency in pays:
        left = pay.amount - paid_in[pay.id]
        if left > 0:
            due = local_day(pay.paid_at)
            out.append(Expected("claim_received", left, currency, claim.policy_id, claim.id, pay.id, due, claim.number))
    policies = session.execute(
        select(Policy).where(
            Policy.broker_id == broker_id, Policy.premium.is_not(None), Policy.placement_id.is_not(None)
        )
    ).scalars()
    for p in policies:
        left = (p.premium or Decimal(0)) - premium_in[p.id]
        if left > 0:
            out.append(Expected("premium_received", left, p.currency, p.id, None, None, p.period_start, p.number))
    out.sort(key=lambda x: (x.due, x.label))
    return out
