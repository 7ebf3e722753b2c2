"""recusal requests: a party asks that an adjuster step aside from a case; the broker decides (回避, issue 17
item 3)

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 05:52:05.809896
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tandem.db


revision: str = '0022'
down_revision: str | None = '0021'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('recusal_request',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('adjuster_id', sa.Uuid(), nullable=False),
    sa.Column('requested_by', sa.Uuid(), nullable=False),
    sa.Column('requesting_org_id', sa.Uuid(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('requested_at', tandem.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('decided_by', sa.Uuid(), nullable=True),
    sa.Column('decided_at', tandem.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decision_reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['adjuster_id'], ['adjuster.id'], name=op.f('fk_recusal_request_adjuster_id_adjuster'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], name=op.f('fk_recusal_request_case_id_case'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['decided_by'], ['user_account.id'], name=op.f('fk_recusal_request_decided_by_user_account'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['requested_by'], ['user_account.id'], name=op.f('fk_recusal_request_requested_by_user_account'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['requesting_org_id'], ['organisation.id'], name=op.f('fk_recusal_request_requesting_org_id_organisation'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recusal_request'))
    )
    with op.batch_alter_table('recusal_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recusal_request_adjuster_id'), ['adjuster_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_recusal_request_case_id'), ['case_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('recusal_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recusal_request_case_id'))
        batch_op.drop_index(batch_op.f('ix_recusal_request_adjuster_id'))

    op.drop_table('recusal_request')
