"""client money ledger and policy business file (issue 20 item 4)

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-07 15:30:31.988253
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tandem.db
from tandem.kit.ddl import append_only, drop_append_only


revision: str = '0036'
down_revision: str | None = '0035'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('policy_business_file',
    sa.Column('policy_id', sa.Uuid(), nullable=False),
    sa.Column('commission_rate', tandem.db.DecimalText(length=40), nullable=False),
    sa.Column('commission_amount', tandem.db.Money(), nullable=False),
    sa.Column('commission_collection', sa.String(length=16), nullable=False),
    sa.Column('remittance', sa.String(length=16), nullable=False),
    sa.Column('remittance_days', sa.Integer(), nullable=False),
    sa.Column('served_by', sa.Uuid(), nullable=False),
    sa.Column('updated_by', sa.Uuid(), nullable=False),
    sa.Column('updated_at', tandem.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['policy_id'], ['policy.id'], name=op.f('fk_policy_business_file_policy_id_policy'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['served_by'], ['user_account.id'], name=op.f('fk_policy_business_file_served_by_user_account'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['updated_by'], ['user_account.id'], name=op.f('fk_policy_business_file_updated_by_user_account'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('policy_id', name=op.f('pk_policy_business_file'))
    )
    op.create_table('client_money_entry',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('broker_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('amount', tandem.db.Money(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('value_date', sa.Date(), nullable=False),
    sa.Column('counterpart_id', sa.Uuid(), nullable=False),
    sa.Column('client_id', sa.Uuid(), nullable=False),
    sa.Column('insurer_id', sa.Uuid(), nullable=False),
    sa.Column('policy_id', sa.Uuid(), nullable=False),
    sa.Column('claim_id', sa.Uuid(), nullable=True),
    sa.Column('payment_id', sa.Uuid(), nullable=True),
    sa.Column('receipt_id', sa.Uuid(), nullable=True),
    sa.Column('reverses_id', sa.Uuid(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('reference', sa.String(length=100), nullable=False),
    sa.Column('recorded_by', sa.Uuid(), nullable=False),
    sa.Column('recorded_at', tandem.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount <> 0', name=op.f('ck_client_money_entry_not_zero')),
    sa.ForeignKeyConstraint(['broker_id'], ['organisation.id'], name=op.f('fk_client_money_entry_broker_id_organisation'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['claim_id'], ['claim.id'], name=op.f('fk_client_money_entry_claim_id_claim'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['client_id'], ['organisation.id'], name=op.f('fk_client_money_entry_client_id_organisation'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['counterpart_id'], ['organisation.id'], name=op.f('fk_client_money_entry_counterpart_id_organisation'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['insurer_id'], ['organisation.id'], name=op.f('fk_client_money_entry_insurer_id_organisation'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['payment_id'], ['payment.id'], name=op.f('fk_client_money_entry_payment_id_payment'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['policy_id'], ['policy.id'], name=op.f('fk_client_money_entry_policy_id_policy'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['receipt_id'], ['client_money_entry.id'], name=op.f('fk_client_money_entry_receipt_id_client_money_entry'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['recorded_by'], ['user_account.id'], name=op.f('fk_client_money_entry_recorded_by_user_account'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['reverses_id'], ['client_money_entry.id'], name=op.f('fk_client_money_entry_reverses_id_client_money_entry'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_client_money_entry')),
    sa.UniqueConstraint('reverses_id', name=op.f('uq_client_money_entry_reverses_id'))
    )
    with op.batch_alter_table('client_money_entry', schema=None) as batch_op:
        batch_op.create_index('ix_client_money_entry_broker_date', ['broker_id', 'value_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_client_money_entry_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_client_money_entry_insurer_id'), ['insurer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_client_money_entry_policy_id'), ['policy_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_client_money_entry_receipt_id'), ['receipt_id'], unique=False)
    # Entries are never changed: a correction is a reversing entry.
    append_only(op, 'client_money_entry')


def downgrade() -> None:
    drop_append_only(op, 'client_money_entry')
    with op.batch_alter_table('client_money_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_client_money_entry_receipt_id'))
        batch_op.drop_index(batch_op.f('ix_client_money_entry_policy_id'))
        batch_op.drop_index(batch_op.f('ix_client_money_entry_insurer_id'))
        batch_op.drop_index(batch_op.f('ix_client_money_entry_client_id'))
        batch_op.drop_index('ix_client_money_entry_broker_date')

    op.drop_table('client_money_entry')
    op.drop_table('policy_business_file')
