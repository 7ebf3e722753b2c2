"""Broker duties API: the client money ledger (record, reverse, list, open items, statements, what the
platform expects) and a placed policy's business file. Broker staff only: anyone else is refused the
ledger (403) and another broker's policy is the same 404 as none; supervision writes nothing (deps)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from tandem.access import scope
from tandem.access.actor import Actor
from tandem.brokerage import business_file, export, ledger
from tandem.brokerage.models import BusinessFile, ClientMoneyEntry
from tandem.deps import ActorDep, ClockDep, SessionDep, SettingsDep
from tandem.kit.clock import local_day
from tandem.kit.errors import NotFound
from tandem.kit.limits import REASON_MAX
from tandem.schemas import Date, MoneyIn, MoneyOut, RateIn, RateOut, Strict

router = APIRouter(prefix="/api/v1", tags=["client money"])
ACT: dict[int | str, dict[str, Any]] = {
    403: {"description": "Not allowed"},
    404: {"description": "Not found"},
    409: {"description": "Not possible in this state"},
    422: {"description": "Invalid input; error.fields names the field"},
}
Kind = Literal["premium_received", "premium_remitted", "claim_received", "claim_paid", "refund_received", "refund_paid"]
Reference = Annotated[str, Field(min_length=1, max_length=100)]
By = Literal["client", "insurer"]


class EntryBody(Strict):
    kind: Kind
    amount: MoneyIn
    value_date: Date
    reference: Reference
    policy_id: uuid.UUID | None = None
    claim_id: uuid.UUID | None = None
    payment_id: uuid.UUID | None = None
    receipt_id: uuid.UUID | None = None

    def data(self) -> ledger.EntryIn:
        return ledger.EntryIn(
            self.kind,
            self.amount,
            self.value_date,
            self.reference,
            self.policy_id,
            self.claim_id,
            self.payment_id,
            self.receipt_id,
        )


class ReversalBody(Strict):
    entry_id: uuid.UUID
    reason: Annotated[str, Field(min_length=1, max_length=REASON_MAX)]


class EntryOut(BaseModel):
    id: uuid.UUID
    kind: str
    amount: MoneyOut
    currency: str
    value_date: dt.date
    counterpart_id: uuid.UUID
    counterpart: str
    client_id: uuid.UUID
    insurer_id: uuid.UUID
    policy_id: uuid.UUID
    claim_id: uuid.UUID | None
    payment_id: uuid.UUID | None
    receipt_id: uuid.UUID | None
    reverses_id: uuid.UUID | None
    reversed: bool
    reason: str | None
    reference: str
    held: MoneyOut | None  # a receipt: what it still holds
    recorded_at: dt.datetime


class OpenItemOut(BaseModel):
    entry: EntryOut
    held: MoneyOut
    age_days: int
    band: str
    over_limit: bool


class StatementRowOut(BaseModel):
    party_id: uuid.UUID
    name: str
    currency: str
    received: MoneyOut
    passed_on: MoneyOut
    balance: MoneyOut
    open_items: int
    oldest_days: int | None


class StatementOut(BaseModel):
    as_of: dt.date
    by: str
    hold_days: int
    rows: list[StatementRowOut]


class ExpectedOut(BaseModel):
    kind: str
    amount: MoneyOut
    currency: str
    policy_id: uuid.UUID
    claim_id: uuid.UUID | None
    payment_id: uuid.UUID | None
    due: dt.date
    label: str


class FileBody(Strict):
    commission_rate: RateIn
    commission_amount: MoneyIn
    commission_collection: Literal["deducted", "invoiced"]
    remittance: Literal["net", "gross"]
    remittance_days: Annotated[int, Field(ge=0, le=business_file.MAX_DAYS)]
    served_by: uuid.UUID


class FileOut(BaseModel):
    policy_id: uuid.UUID
    commission_rate: RateOut | None = None
    commission_amount: MoneyOut | None = None
    commission_collection: str | None = None
    remittance: str | None = None
    remittance_days: int | None = None
    served_by: uuid.UUID | None = None
    missing: list[str]


def entry_out(
    e: ClientMoneyEntry, names: dict[uuid.UUID, str], held: dict[uuid.UUID, Decimal], rev: set[Any]
) -> EntryOut:
    is_receipt = e.kind in ledger.RECEIPTS and e.reverses_id is None
    return EntryOut(
        id=e.id,
        kind=e.kind,
        amount=e.amount,
        currency=e.currency,
        value_date=e.value_date,
        counterpart_id=e.counterpart_id,
        counterpart=names.get(e.counterpart_id, ""),
        client_id=e.client_id,
        insurer_id=e.insurer_id,
        policy_id=e.policy_id,
        claim_id=e.claim_id,
        payment_id=e.payment_id,
        receipt_id=e.receipt_id,
        reverses_id=e.reverses_id,
        reversed=e.id in rev,
        reason=e.reason,
        reference=e.reference,
        held=held.get(e.id, Decimal("0.00")) if is_receipt else None,
        recorded_at=e.recorded_at,
    )


def entries_out(session: Session, rows: list[ClientMoneyEntry], all_rows: list[ClientMoneyEntry]) -> list[EntryOut]:
    names = ledger.names(session, {e.counterpart_id for e in rows})
    held = ledger.held_per_receipt(all_rows)
    rev = {e.reverses_id for e in all_rows if e.reverses_id is not None}
    return [entry_out(e, names, held, rev) for e in rows]


def statement_out(session: Session, actor: Actor, by: str, now: dt.datetime, hold_days: int) -> StatementOut:
    broker_id = ledger.reader(actor)
    today = local_day(now)
    rows = ledger.statement(ledger.entries(session, broker_id), by, today, hold_days)
    names = ledger.names(session, {r.party_id for r in rows})
    out = [StatementRowOut(name=names.get(r.party_id, ""), **vars(r)) for r in rows]
    out.sort(key=lambda r: (r.name, r.currency))
    return StatementOut(as_of=today, by=by, hold_days=hold_days, rows=out)


def file_out(policy_id: uuid.UUID, file: BusinessFile | None) -> FileOut:
    values = {f: getattr(file, f) for f in business_file.FIELDS} if file else {}
    return FileOut(policy_id=policy_id, missing=business_file.missing(file), **values)


@router.get("/client-money", response_model=list[EntryOut])
def list_entries(
    actor: ActorDep,
    session: SessionDep,
    client: Annotated[uuid.UUID | None, Query()] = None,
    insurer: Annotated[uuid.UUID | None, Query()] = None,
    open_only: Annotated[bool, Query()] = False,
) -> list[EntryOut]:
    """The broker's ledger, oldest first; ``open_only`` keeps the receipts that still hold money."""
    broker_id = ledger.reader(actor)
    all_rows = ledger.entries(session, broker_id)
    rows = [
        e
        for e in all_rows
        if (client is None or e.client_id == client) and (insurer is None or e.insurer_id == insurer)
    ]
    out = entries_out(session, rows, all_rows)
    return [e for e in out if e.held and e.held > 0] if open_only else out


@router.post("/client-money", response_model=EntryOut, status_code=201, responses=ACT)
def record_entry(body: EntryBody, actor: ActorDep, session: SessionDep, clock: ClockDep) -> EntryOut:
    entry = ledger.record(session, actor, body.data(), at=clock.now())
    return entries_out(session, [entry], ledger.entries(session, entry.broker_id))[0]


@router.post("/client-money/reversals", response_model=EntryOut, status_code=201, responses=ACT)
def reverse_entry(body: ReversalBody, actor: ActorDep, session: SessionDep, clock: ClockDep) -> EntryOut:
    entry = ledger.reverse(session, actor, body.entry_id, reason=body.reason, at=clock.now())
    return entries_out(session, [entry], ledger.entries(session, entry.broker_id))[0]


@router.get("/client-money/open-items", response_model=list[OpenItemOut])
def open_items(actor: ActorDep, session: SessionDep, clock: ClockDep, settings: SettingsDep) -> list[OpenItemOut]:
    """Receipts not fully passed on, oldest first, with their age; over ``client_money_hold_days`` flagged."""
    rows = ledger.entries(session, ledger.reader(actor))
    items = ledger.open_items(rows, local_day(clock.now()), settings.client_money_hold_days)
    outs = entries_out(session, [i.receipt for i in items], rows)
    return [
        OpenItemOut(entry=o, held=i.held, age_days=i.age_days, band=i.band, over_limit=i.over_limit)
        for o, i in zip(outs, items, strict=True)
    ]


@router.get("/client-money/statement", response_model=StatementOut)
def get_statement(
    actor: ActorDep, session: SessionDep, clock: ClockDep, settings: SettingsDep, by: Annotated[By, Query()] = "client"
) -> StatementOut:
    """Per client or per insurer: received, passed on, held, open items and the oldest one's age."""
    return statement_out(session, actor, by, clock.now(), settings.client_money_hold_days)


@router.get("/client-money/statement.csv", response_class=Response)
def statement_csv(
    actor: ActorDep, session: SessionDep, clock: ClockDep, settings: SettingsDep, by: Annotated[By, Query()] = "client"
) -> Response:
    return statement_csv_response(session, actor, by, clock.now(), settings.client_money_hold_days)


def statement_csv_response(session: Session, actor: Actor, by: str, now: dt.datetime, hold_days: int) -> Response:
    """The statement per client or per insurer as a CSV download (the API's and the page's)."""
    st = statement_out(session, actor, "insurer" if by == "insurer" else "client", now, hold_days)
    return Response(
        export.statement_csv(st.rows, actor.locale),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="client-money-{st.by}-{st.as_of.isoformat()}.csv"'},
    )


@router.get("/client-money/expected", response_model=list[ExpectedOut])
def get_expected(actor: ActorDep, session: SessionDep) -> list[ExpectedOut]:
    """Receipts the platform expects: placed policies' premiums and insurers' claim payments not yet booked."""
    return [ExpectedOut(**vars(x)) for x in ledger.expected(session, actor)]


class IncompleteOut(BaseModel):
    policy_id: uuid.UUID
    number: str
    missing: list[str]


@router.get("/business-files/incomplete", response_model=list[IncompleteOut], responses=ACT)
def incomplete_files(actor: ActorDep, session: SessionDep) -> list[IncompleteOut]:
    """The broker's policies whose business file (§1.5) is missing or incomplete, the latest first."""
    ledger.reader(actor)
    rows = business_file.incomplete(session, actor)
    return [IncompleteOut(policy_id=p.id, number=p.number, missing=gaps) for p, gaps in rows]


@router.get("/policies/{policy_id}/business-file", response_model=FileOut, responses=ACT)
def get_file(policy_id: str, actor: ActorDep, session: SessionDep) -> FileOut:
    policy = scope.get_policy(session, actor, policy_id)
    if actor.org_id != policy.broker_id:
        raise NotFound()
    return file_out(policy.id, business_file.get(session, policy.id))


@router.put("/policies/{policy_id}/business-file", response_model=FileOut, responses=ACT)
def put_file(policy_id: str, body: FileBody, actor: ActorDep, session: SessionDep, clock: ClockDep) -> FileOut:
    data = business_file.FileIn(**body.model_dump())
    file = business_file.save(session, actor, policy_id, data, at=clock.now())
    return file_out(file.policy_id, file)
