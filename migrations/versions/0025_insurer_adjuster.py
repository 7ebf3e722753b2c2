"""placement insurer adjuster: the insurer's own adjuster for a second pre-assessment (R-U7)

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07 09:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tandem.db

revision: str = '0025'
down_revision: str | None = '0024'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'placement_insurer_adjuster',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('case_id', sa.Uuid(), nullable=False),
        sa.Column('insurer_id', sa.Uuid(), nullable=False),
        sa.Column('appointment_id', sa.Uuid(), nullable=False),
        sa.Column('firm_id', sa.Uuid(), nullable=False),
        sa.Column('adjuster_id', sa.Uuid(), nullable=False),
        sa.Column('state', sa.String(length=20), nullable=False),
        sa.Column('blacklisted', sa.Boolean(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.Column('created_at', tandem.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('created_by', sa.Uuid(), nullable=False),
        sa.Column('updated_at', tandem.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['case.id'], name=op.f('fk_placement_insurer_adjuster_case_id_case'), ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['insurer_id'], ['organisation.id'], name=op.f('fk_placement_insurer_adjuster_insurer_id_organisation'), ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['appointment_id'], ['appointment.id'], name=op.f('fk_placement_insurer_adjuster_appointment_id_appointment'), ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['firm_id'], ['organisation.id'], name=op.f('fk_placement_insurer_adjuster_firm_id_organisation'), ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['adjuster_id'], ['adjuster.id'], name=op.f('fk_placement_insurer_adjuster_adjuster_id_adjuster'), ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['created_by'], ['user_account.id'], name=op.f('fk_placement_insurer_adjuster_created_by_user_account'), ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_placement_insurer_adjuster')),
    )
    op.create_index('ix_placement_insurer_adjuster_key', 'placement_insurer_adjuster', ['case_id', 'insurer_id', 'created_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_placement_insurer_adjuster_key', table_name='placement_insurer_adjuster')
    op.drop_table('placement_insurer_adjuster')
