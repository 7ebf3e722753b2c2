"""termination assessment

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-07 13:35:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tandem.db


revision: str = '0034'
down_revision: str | None = '0033'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('termination_assessment',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('policy_id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('firm_id', sa.Uuid(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('instructed_at', tandem.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('instructed_by', sa.Uuid(), nullable=False),
    sa.Column('report_id', sa.Uuid(), nullable=True),
    sa.Column('reported_at', tandem.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], name=op.f('fk_termination_assessment_case_id_case'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['firm_id'], ['organisation.id'], name=op.f('fk_termination_assessment_firm_id_organisation'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['instructed_by'], ['user_account.id'], name=op.f('fk_termination_assessment_instructed_by_user_account'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['policy_id'], ['policy.id'], name=op.f('fk_termination_assessment_policy_id_policy'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['report_id'], ['report.id'], name=op.f('fk_termination_assessment_report_id_report'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_termination_assessment')),
    sa.UniqueConstraint('policy_id', name=op.f('uq_termination_assessment_policy_id'))
    )
    with op.batch_alter_table('termination_assessment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_termination_assessment_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_termination_assessment_firm_id'), ['firm_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('termination_assessment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_termination_assessment_firm_id'))
        batch_op.drop_index(batch_op.f('ix_termination_assessment_case_id'))

    op.drop_table('termination_assessment')
