"""policy sections carry the amount engine's options; an amount confirmation records where its figures came from

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 02:30:00.000000

``policy_section.options``: the engine's policy options of the section (basis, salvage order,
sum_insured_reduces, liability_ratio, deductible_kind, deductible_rate_base), ``{}`` = the plain steps.
``amount_confirmation.sources``: per section, the basis of the items, of the insured value (the adjusting
report's or the MoU's replacement value, else the policy) and the earlier claims behind ``paid_to_date``.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('policy_section', schema=None) as batch_op:
        batch_op.add_column(sa.Column('options', sa.JSON(), nullable=False, server_default=sa.text("'{}'")))
    with op.batch_alter_table('amount_confirmation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sources', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('amount_confirmation', schema=None) as batch_op:
        batch_op.drop_column('sources')
    with op.batch_alter_table('policy_section', schema=None) as batch_op:
        batch_op.drop_column('options')
