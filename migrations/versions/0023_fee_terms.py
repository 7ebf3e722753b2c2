"""structured fee terms on the confirmation letter (``appointment.fee_terms``)

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 05:00:00.000000

A letter's acceptance now fixes structured fee terms (docs/fees.md). Letters accepted before kept a
free-text fee basis: it stays in ``fee_basis`` exactly as agreed (pages show it), and where the text
says plainly what the terms were, the terms are written too: a percentage of the loss (按核定损失金额的
1.5%) is basis ``rate``, a fixed fee in yuan (固定费用8000元) is basis ``fixed``; for a claim the payer
is the insurer (保险法 Art. 64), VAT the default 6 %, no expenses reimbursed, the agreed payment days.
Anything else (按日计费, a placement's letter) keeps its text only and no terms: nothing is guessed.
"""

import re
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PERCENT = re.compile(r"([0-9]+(?:\.[0-9]+)?)\s*[%％]")
_YUAN = re.compile(r"([0-9][0-9,]*(?:\.[0-9]{1,2})?)\s*元")
_NUMBER = re.compile(r"[0-9]+(?:[.,][0-9]+)*")


def _plain(value: Decimal) -> str:
    text = f"{value.normalize():f}"
    return "0" if text in ("-0", "0") else text


def structured(text: str | None, payment_days: int | None, case_kind: str) -> dict[str, Any] | None:
    """The terms a free-text basis states plainly, in the canonical form; None when it does not."""
    if not text or payment_days is None or case_kind != "claim" or not 0 <= payment_days <= 365:
        return None
    numbers = _NUMBER.findall(text)
    percent, yuan = _PERCENT.findall(text), _YUAN.findall(text)
    terms: dict[str, Any]
    try:
        if len(numbers) == 1 and len(percent) == 1 and ("损" in text or "loss" in text.lower()):
            rate = Decimal(percent[0]) / 100
            if not 0 < rate <= 1 or rate != rate.quantize(Decimal("0.000001")):
                return None
            terms = {"basis": "rate", "rate": _plain(rate), "minimum_fee": None, "maximum_fee": None}
        elif len(numbers) == 1 and len(yuan) == 1 and ("固定" in text or "fixed" in text.lower()):
            amount = Decimal(yuan[0].replace(",", ""))
            if not 0 < amount < Decimal(10) ** 12:
                return None
            terms = {"basis": "fixed", "amount": f"{amount:.2f}"}
        else:
            return None
    except InvalidOperation:
        return None
    return {
        **terms,
        "expenses": {"policy": "none"},
        "vat_rate": "0.06",
        "payer": "insurer",
        "payment_days": payment_days,
    }


def upgrade() -> None:
    with op.batch_alter_table("appointment") as batch:
        batch.add_column(sa.Column("fee_terms", sa.JSON(), nullable=True))
    appointment = sa.table(
        "appointment",
        sa.column("id", sa.Uuid()),
        sa.column("case_id", sa.Uuid()),
        sa.column("fee_basis", sa.String()),
        sa.column("fee_payment_days", sa.Integer()),
        sa.column("fee_terms", sa.JSON()),
    )
    case = sa.table("case", sa.column("id", sa.Uuid()), sa.column("kind", sa.String()))
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(appointment.c.id, appointment.c.fee_basis, appointment.c.fee_payment_days, case.c.kind)
        .join(case, case.c.id == appointment.c.case_id)
        .where(appointment.c.fee_basis.is_not(None))
    ).all()
    for row in rows:
        terms = structured(row.fee_basis, row.fee_payment_days, str(row.kind).lower())
        if terms is not None:
            bind.execute(sa.update(appointment).where(appointment.c.id == row.id).values(fee_terms=terms))


def downgrade() -> None:
    with op.batch_alter_table("appointment") as batch:
        batch.drop_column("fee_terms")
