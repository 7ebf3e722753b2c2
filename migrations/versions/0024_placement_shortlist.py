"""placement shortlist: Stage 1 screening of insurers' products, saved per version (R-U5)

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 06:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tandem.db

revision: str = '0024'
down_revision: str | None = '0023'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'placement_shortlist',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('case_id', sa.Uuid(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('criteria', sa.JSON(), nullable=False),
        sa.Column('kept', sa.JSON(), nullable=False),
        sa.Column('excluded', sa.JSON(), nullable=False),
        sa.Column('created_at', tandem.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('created_by', sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['case.id'], name=op.f('fk_placement_shortlist_case_id_case'), ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['created_by'], ['user_account.id'], name=op.f('fk_placement_shortlist_created_by_user_account'), ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_placement_shortlist')),
        sa.UniqueConstraint('case_id', 'version', name=op.f('uq_placement_shortlist_case_id_version')),
    )
    op.create_index(op.f('ix_placement_shortlist_case_id'), 'placement_shortlist', ['case_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_placement_shortlist_case_id'), table_name='placement_shortlist')
    op.drop_table('placement_shortlist')
