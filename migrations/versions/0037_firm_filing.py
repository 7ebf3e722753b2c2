"""adjuster firms' filings and change reports

Revision ID: 0037
Revises: 0036
Create Date: 2026-12-07 15:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tandem.db


revision: str = "0037"
down_revision: str | None = "0036"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "firm_filing",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("firm_id", sa.Uuid(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("capital", tandem.db.Money(), nullable=False),
        sa.Column("business_area", sa.JSON(), nullable=False),
        sa.Column("shareholders", sa.JSON(), nullable=False),
        sa.Column("roster", sa.JSON(), nullable=False),
        sa.Column("liability", sa.JSON(), nullable=True),
        sa.Column("risk_fund", tandem.db.Money(), nullable=True),
        sa.Column("filing_no", sa.String(length=40), nullable=True),
        sa.Column("published_on", sa.Date(), nullable=True),
        sa.Column("return_reasons", sa.Text(), nullable=True),
        sa.Column("submitted_at", tandem.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_at", tandem.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", tandem.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["firm_id"],
            ["adjuster_firm.organisation_id"],
            name=op.f("fk_firm_filing_firm_id_adjuster_firm"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_firm_filing")),
        sa.UniqueConstraint("firm_id", name=op.f("uq_firm_filing_firm_id")),
    )
    op.create_table(
        "firm_change_report",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("firm_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("changed_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("details", sa.Text(), nullable=True),
        sa.Column("created_at", tandem.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column("submitted_at", tandem.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_at", tandem.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["user_account.id"],
            name=op.f("fk_firm_change_report_created_by_user_account"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["firm_id"],
            ["adjuster_firm.organisation_id"],
            name=op.f("fk_firm_change_report_firm_id_adjuster_firm"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_firm_change_report")),
    )
    with op.batch_alter_table("firm_change_report", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_firm_change_report_firm_id"), ["firm_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("firm_change_report", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_firm_change_report_firm_id"))

    op.drop_table("firm_change_report")
    op.drop_table("firm_filing")
