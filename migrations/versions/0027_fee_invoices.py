"""fee invoices: invoices of adjusters' fees, their payments and the per-firm gap-free counter (issue 18
item 2)

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-07 08:54:18.076305
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tandem.db


revision: str = '0027'
down_revision: str | None = '0026'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('fee_invoice_counter',
    sa.Column('firm_id', sa.Uuid(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['firm_id'], ['organisation.id'], name=op.f('fk_fee_invoice_counter_firm_id_organisation'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('firm_id', 'year', name=op.f('pk_fee_invoice_counter'))
    )
    op.create_table('fee_invoice',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('appointment_id', sa.Uuid(), nullable=False),
    sa.Column('side', sa.String(length=16), nullable=False),
    sa.Column('firm_id', sa.Uuid(), nullable=False),
    sa.Column('payer_id', sa.Uuid(), nullable=False),
    sa.Column('payer_kind', sa.String(length=16), nullable=False),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('invoice_date', sa.Date(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('fee', tandem.db.Money(), nullable=False),
    sa.Column('expenses', tandem.db.Money(), nullable=False),
    sa.Column('vat', tandem.db.Money(), nullable=False),
    sa.Column('total', tandem.db.Money(), nullable=False),
    sa.Column('calculation', sa.JSON(), nullable=False),
    sa.Column('replaces_id', sa.Uuid(), nullable=True),
    sa.Column('reissue_reason', sa.Text(), nullable=True),
    sa.Column('issued_at', tandem.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('issued_by', sa.Uuid(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('answered_at', tandem.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('answered_by', sa.Uuid(), nullable=True),
    sa.Column('dispute_reason', sa.Text(), nullable=True),
    sa.Column('disputed_lines', sa.JSON(), nullable=True),
    sa.Column('settled_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['answered_by'], ['user_account.id'], name=op.f('fk_fee_invoice_answered_by_user_account'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointment.id'], name=op.f('fk_fee_invoice_appointment_id_appointment'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], name=op.f('fk_fee_invoice_case_id_case'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['firm_id'], ['organisation.id'], name=op.f('fk_fee_invoice_firm_id_organisation'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['issued_by'], ['user_account.id'], name=op.f('fk_fee_invoice_issued_by_user_account'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['payer_id'], ['organisation.id'], name=op.f('fk_fee_invoice_payer_id_organisation'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['replaces_id'], ['fee_invoice.id'], name=op.f('fk_fee_invoice_replaces_id_fee_invoice'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fee_invoice')),
    sa.UniqueConstraint('firm_id', 'number', name=op.f('uq_fee_invoice_firm_id_number')),
    sa.UniqueConstraint('replaces_id', name=op.f('uq_fee_invoice_replaces_id'))
    )
    with op.batch_alter_table('fee_invoice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fee_invoice_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_fee_invoice_due_date'), ['due_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_fee_invoice_firm_id'), ['firm_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_fee_invoice_payer_id'), ['payer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_fee_invoice_state'), ['state'], unique=False)

    op.create_table('fee_invoice_payment',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('invoice_id', sa.Uuid(), nullable=False),
    sa.Column('amount', tandem.db.Money(), nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=False),
    sa.Column('reference', sa.String(length=100), nullable=False),
    sa.Column('recorded_by', sa.Uuid(), nullable=False),
    sa.Column('recorded_at', tandem.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['invoice_id'], ['fee_invoice.id'], name=op.f('fk_fee_invoice_payment_invoice_id_fee_invoice'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['recorded_by'], ['user_account.id'], name=op.f('fk_fee_invoice_payment_recorded_by_user_account'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fee_invoice_payment'))
    )
    with op.batch_alter_table('fee_invoice_payment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fee_invoice_payment_invoice_id'), ['invoice_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('fee_invoice_payment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fee_invoice_payment_invoice_id'))

    op.drop_table('fee_invoice_payment')
    with op.batch_alter_table('fee_invoice', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fee_invoice_state'))
        batch_op.drop_index(batch_op.f('ix_fee_invoice_payer_id'))
        batch_op.drop_index(batch_op.f('ix_fee_invoice_firm_id'))
        batch_op.drop_index(batch_op.f('ix_fee_invoice_due_date'))
        batch_op.drop_index(batch_op.f('ix_fee_invoice_case_id'))

    op.drop_table('fee_invoice')
    op.drop_table('fee_invoice_counter')
