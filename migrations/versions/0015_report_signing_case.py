"""reports of every kind are signed in person: ``report_signing`` hangs off the case and names its kind

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 05:00:00.000000

A placement's pre-assessment report (R-U3) is frozen for signature like a claim's adjusting report, so the
signing gets ``case_id`` (= ``claim_id`` for the existing rows) and ``kind`` (existing rows: ``adjusting``);
``claim_id`` becomes nullable (placement signings have none).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("report_signing", sa.Column("case_id", sa.Uuid(), nullable=True))
    op.add_column("report_signing", sa.Column("kind", sa.String(length=20), server_default="adjusting", nullable=False))
    op.execute("UPDATE report_signing SET case_id = claim_id")
    with op.batch_alter_table("report_signing", schema=None) as batch_op:
        batch_op.alter_column("case_id", existing_type=sa.Uuid(), nullable=False)
        batch_op.alter_column("claim_id", existing_type=sa.Uuid(), nullable=True)
        batch_op.create_foreign_key(
            batch_op.f("fk_report_signing_case_id_case"), "case", ["case_id"], ["id"], ondelete="RESTRICT"
        )
        batch_op.create_index(batch_op.f("ix_report_signing_case_id"), ["case_id"], unique=False)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.execute(sa.text("SELECT count(*) FROM report_signing WHERE claim_id IS NULL")).scalar_one():
        raise RuntimeError("placement report signings exist: they have no place in revision 0014")
    with op.batch_alter_table("report_signing", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_signing_case_id"))
        batch_op.drop_constraint(batch_op.f("fk_report_signing_case_id_case"), type_="foreignkey")
        batch_op.alter_column("claim_id", existing_type=sa.Uuid(), nullable=False)
        batch_op.drop_column("kind")
        batch_op.drop_column("case_id")
