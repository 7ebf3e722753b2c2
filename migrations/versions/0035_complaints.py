"""explanations and complaints

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-07 13:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tandem.db


revision: str = "0035"
down_revision: str | None = "0034"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "complaint",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("complainant_id", sa.Uuid(), nullable=False),
        sa.Column("target_id", sa.Uuid(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("filed_by", sa.Uuid(), nullable=False),
        sa.Column("received_at", tandem.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_at", tandem.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("extension_reason", sa.Text(), nullable=True),
        sa.Column("extended_at", tandem.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decision", sa.Text(), nullable=True),
        sa.Column("decided_at", tandem.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("escalation_reason", sa.Text(), nullable=True),
        sa.Column("escalated_at", tandem.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"], name=op.f("fk_complaint_case_id_case"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(
            ["complainant_id"],
            ["organisation.id"],
            name=op.f("fk_complaint_complainant_id_organisation"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["filed_by"], ["user_account.id"], name=op.f("fk_complaint_filed_by_user_account"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["target_id"], ["organisation.id"], name=op.f("fk_complaint_target_id_organisation"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint")),
    )
    with op.batch_alter_table("complaint", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_complaint_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_complaint_complainant_id"), ["complainant_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_complaint_target_id"), ["target_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("complaint", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_complaint_target_id"))
        batch_op.drop_index(batch_op.f("ix_complaint_complainant_id"))
        batch_op.drop_index(batch_op.f("ix_complaint_case_id"))

    op.drop_table("complaint")
