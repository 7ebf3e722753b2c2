"""interest declarations: adjusters' declared interests in insurers and insureds (回避, issue 17 item 3)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 05:34:55.891528
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tandem.db


revision: str = '0020'
down_revision: str | None = '0019'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('interest_declaration',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('adjuster_id', sa.Uuid(), nullable=False),
    sa.Column('organisation_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('ended_on', sa.Date(), nullable=True),
    sa.Column('declared_by', sa.Uuid(), nullable=False),
    sa.Column('declared_at', tandem.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['adjuster_id'], ['adjuster.id'], name=op.f('fk_interest_declaration_adjuster_id_adjuster'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['declared_by'], ['user_account.id'], name=op.f('fk_interest_declaration_declared_by_user_account'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_interest_declaration_organisation_id_organisation'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_interest_declaration'))
    )
    with op.batch_alter_table('interest_declaration', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_interest_declaration_adjuster_id'), ['adjuster_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_interest_declaration_organisation_id'), ['organisation_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('interest_declaration', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_interest_declaration_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_interest_declaration_adjuster_id'))

    op.drop_table('interest_declaration')
