"""a negotiation offer can be withdrawn by its maker until it is answered

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 02:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tandem.db

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('negotiation_step', schema=None) as batch_op:
        batch_op.add_column(sa.Column('withdrawn_at', tandem.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('negotiation_step', schema=None) as batch_op:
        batch_op.drop_column('withdrawn_at')
