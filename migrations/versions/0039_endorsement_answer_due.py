"""a mid-term change request's answer deadline

Revision ID: 0039
Revises: 0038
Create Date: 2026-12-07 15:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0039"
down_revision: str | None = "0038"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("policy_endorsement", schema=None) as batch_op:
        batch_op.add_column(sa.Column("answer_due", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("policy_endorsement", schema=None) as batch_op:
        batch_op.drop_column("answer_due")
