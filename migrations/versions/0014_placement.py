"""placements: the ``placement`` table, one row per placement case with the case's id

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 04:50:00.000000

A placement (投保项目, issue 14) is a case plus its own columns, like a claim: the subject (sites,
sections, sums insured as Decimal strings in JSON), the lines wanted, the desired period and its status.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tandem.db

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES = (
    "opened",
    "awaiting_choice",
    "chosen",
    "letter_issued",
    "surveying",
    "reported",
    "deciding",
    "to_market",
    "withdrawn",
)


def _fk(column: str, table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{table}.id"], name=op.f(f"fk_placement_{column}_{table}"), ondelete="RESTRICT"
    )


def upgrade() -> None:
    op.create_table(
        "placement",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("broker_id", sa.Uuid(), nullable=False),
        sa.Column("insured_id", sa.Uuid(), nullable=False),
        sa.Column("account_manager_id", sa.Uuid(), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("subject", sa.JSON(), nullable=False),
        sa.Column("status", sa.Enum(*STATUSES, name="placement_status", native_enum=False, length=32), nullable=False),
        sa.Column("adjuster_firm_id", sa.Uuid(), nullable=True),
        sa.Column("explained_at", tandem.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_at", tandem.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", tandem.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column("updated_at", tandem.db.UTCDateTime(timezone=True), nullable=False),
        _fk("id", "case"),
        _fk("case_id", "case"),
        _fk("broker_id", "organisation"),
        _fk("insured_id", "organisation"),
        _fk("adjuster_firm_id", "organisation"),
        _fk("account_manager_id", "user_account"),
        _fk("created_by", "user_account"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_placement")),
        sa.UniqueConstraint("case_id", name=op.f("uq_placement_case_id")),
        sa.UniqueConstraint("number", name=op.f("uq_placement_number")),
    )
    with op.batch_alter_table("placement", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_placement_insured_id"), ["insured_id"], unique=False)
        batch_op.create_index("ix_placement_broker_status", ["broker_id", "status", "created_at"], unique=False)
        batch_op.create_index("ix_placement_status_created", ["status", "created_at", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("placement", schema=None) as batch_op:
        batch_op.drop_index("ix_placement_status_created")
        batch_op.drop_index("ix_placement_broker_status")
        batch_op.drop_index(batch_op.f("ix_placement_insured_id"))
    op.drop_table("placement")
