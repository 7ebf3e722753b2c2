"""performance indexes: work queues, claim-number search, intake (see docs/performance.md)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 18:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('claim', schema=None) as batch_op:
        batch_op.create_index('ix_claim_status_notified', ['status', 'notified_at', 'id'], unique=False)
        batch_op.create_index('ix_claim_notified', ['notified_at', 'id'], unique=False)
        batch_op.create_index('ix_claim_number_prefix', ['number'], unique=False,
                              postgresql_ops={'number': 'varchar_pattern_ops'})
        batch_op.create_index('ix_claim_adjuster_status', ['adjuster_id', 'status'], unique=False)
        batch_op.create_index('ix_claim_policy_loss', ['policy_id', 'loss_at'], unique=False)
        batch_op.drop_index('ix_claim_policy_id')
    with op.batch_alter_table('case_participation', schema=None) as batch_op:
        batch_op.create_index('ix_case_participation_org_claim', ['organisation_id', 'claim_id'], unique=False,
                              postgresql_where=sa.text('until IS NULL'), sqlite_where=sa.text('until IS NULL'))


def downgrade() -> None:
    with op.batch_alter_table('case_participation', schema=None) as batch_op:
        batch_op.drop_index('ix_case_participation_org_claim')
    with op.batch_alter_table('claim', schema=None) as batch_op:
        batch_op.create_index('ix_claim_policy_id', ['policy_id'], unique=False)
        batch_op.drop_index('ix_claim_policy_loss')
        batch_op.drop_index('ix_claim_adjuster_status')
        batch_op.drop_index('ix_claim_number_prefix')
        batch_op.drop_index('ix_claim_notified')
        batch_op.drop_index('ix_claim_status_notified')
