"""policy recovery (追偿) and its steps

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-07 13:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tandem.db
from tandem.kit.ddl import append_only, drop_append_only


revision: str = '0033'
down_revision: str | None = '0032'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('policy_recovery',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('policy_id', sa.Uuid(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('amount', tandem.db.Money(), nullable=False),
    sa.Column('heads', sa.JSON(), nullable=False),
    sa.Column('report_id', sa.Uuid(), nullable=True),
    sa.Column('round_no', sa.Integer(), nullable=False),
    sa.Column('agreed', tandem.db.Money(), nullable=True),
    sa.Column('answer_due', sa.Date(), nullable=True),
    sa.Column('payment_due', sa.Date(), nullable=True),
    sa.Column('paid', tandem.db.Money(), nullable=True),
    sa.Column('opened_at', tandem.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('opened_by', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['opened_by'], ['user_account.id'], name=op.f('fk_policy_recovery_opened_by_user_account'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['policy_id'], ['policy.id'], name=op.f('fk_policy_recovery_policy_id_policy'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['report_id'], ['report.id'], name=op.f('fk_policy_recovery_report_id_report'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_policy_recovery'))
    )
    with op.batch_alter_table('policy_recovery', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_policy_recovery_policy_id'), ['policy_id'], unique=False)

    op.create_table('policy_recovery_step',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('recovery_id', sa.Uuid(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('round_no', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('amount', tandem.db.Money(), nullable=True),
    sa.Column('reasons', sa.Text(), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=True),
    sa.Column('on_date', sa.Date(), nullable=False),
    sa.Column('created_at', tandem.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['user_account.id'], name=op.f('fk_policy_recovery_step_created_by_user_account'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['recovery_id'], ['policy_recovery.id'], name=op.f('fk_policy_recovery_step_recovery_id_policy_recovery'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_policy_recovery_step')),
    sa.UniqueConstraint('recovery_id', 'number', name=op.f('uq_policy_recovery_step_recovery_id_number'))
    )
    with op.batch_alter_table('policy_recovery_step', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_policy_recovery_step_recovery_id'), ['recovery_id'], unique=False)
    append_only(op, 'policy_recovery_step')


def downgrade() -> None:
    drop_append_only(op, 'policy_recovery_step')
    with op.batch_alter_table('policy_recovery_step', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_policy_recovery_step_recovery_id'))

    op.drop_table('policy_recovery_step')
    with op.batch_alter_table('policy_recovery', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_policy_recovery_policy_id'))

    op.drop_table('policy_recovery')
