"""consultation insurer: a placement's consultation belongs to the insurer whose adjuster reported (R-U8)

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-07 09:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0028'
down_revision: str | None = '0027'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('consultation') as batch:
        batch.add_column(sa.Column('insurer_id', sa.Uuid(), nullable=True))
        batch.create_foreign_key(
            op.f('fk_consultation_insurer_id_organisation'), 'organisation', ['insurer_id'], ['id'], ondelete='RESTRICT'
        )


def downgrade() -> None:
    with op.batch_alter_table('consultation') as batch:
        batch.drop_constraint(op.f('fk_consultation_insurer_id_organisation'), type_='foreignkey')
        batch.drop_column('insurer_id')
