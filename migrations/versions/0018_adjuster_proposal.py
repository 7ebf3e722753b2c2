"""the insured's say on the adjuster (R-C2): the broker's proposal and the insured's answer

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 05:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tandem.db

revision: str = '0018'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'adjuster_proposal',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('case_id', sa.Uuid(), nullable=False),
        sa.Column('claim_id', sa.Uuid(), nullable=False),
        sa.Column('adjuster_id', sa.Uuid(), nullable=False),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('proposed_by', sa.Uuid(), nullable=False),
        sa.Column('proposed_at', tandem.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('state', sa.String(length=20), nullable=False),
        sa.Column('chosen_adjuster_id', sa.Uuid(), nullable=True),
        sa.Column('answered_by', sa.Uuid(), nullable=True),
        sa.Column('answered_at', tandem.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['adjuster_id'], ['adjuster.id'], name=op.f('fk_adjuster_proposal_adjuster_id_adjuster'), ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['answered_by'], ['user_account.id'], name=op.f('fk_adjuster_proposal_answered_by_user_account'), ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['case_id'], ['case.id'], name=op.f('fk_adjuster_proposal_case_id_case'), ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['chosen_adjuster_id'], ['adjuster.id'], name=op.f('fk_adjuster_proposal_chosen_adjuster_id_adjuster'), ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['claim_id'], ['claim.id'], name=op.f('fk_adjuster_proposal_claim_id_claim'), ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['proposed_by'], ['user_account.id'], name=op.f('fk_adjuster_proposal_proposed_by_user_account'), ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_adjuster_proposal')),
    )
    with op.batch_alter_table('adjuster_proposal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_adjuster_proposal_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_adjuster_proposal_claim_id'), ['claim_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('adjuster_proposal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_adjuster_proposal_claim_id'))
        batch_op.drop_index(batch_op.f('ix_adjuster_proposal_case_id'))
    op.drop_table('adjuster_proposal')
