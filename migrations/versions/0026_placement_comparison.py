"""placement comparison (R-U6): integrity weights, the insured's insurer choice, underwriting process, policy premium

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07 08:55:15.886057
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tandem.db


revision: str = '0026'
down_revision: str | None = '0025'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('comparison_settings',
    sa.Column('broker_id', sa.Uuid(), nullable=False),
    sa.Column('weights', sa.JSON(), nullable=False),
    sa.Column('updated_at', tandem.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['broker_id'], ['organisation.id'], name=op.f('fk_comparison_settings_broker_id_organisation'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['updated_by'], ['user_account.id'], name=op.f('fk_comparison_settings_updated_by_user_account'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('broker_id', name=op.f('pk_comparison_settings'))
    )
    op.create_table('placement_insurer_choice',
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('shortlist_version', sa.Integer(), nullable=False),
    sa.Column('insurer_id', sa.Uuid(), nullable=True),
    sa.Column('how', sa.String(length=20), nullable=True),
    sa.Column('recommended_insurer_id', sa.Uuid(), nullable=True),
    sa.Column('recommendation_reasons', sa.Text(), nullable=True),
    sa.Column('recommended_at', tandem.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('recommended_by', sa.Uuid(), nullable=True),
    sa.Column('chosen_at', tandem.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('chosen_by', sa.Uuid(), nullable=True),
    sa.Column('created_at', tandem.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', tandem.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], name=op.f('fk_placement_insurer_choice_case_id_case'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['chosen_by'], ['user_account.id'], name=op.f('fk_placement_insurer_choice_chosen_by_user_account'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['insurer_id'], ['organisation.id'], name=op.f('fk_placement_insurer_choice_insurer_id_organisation'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['recommended_by'], ['user_account.id'], name=op.f('fk_placement_insurer_choice_recommended_by_user_account'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['recommended_insurer_id'], ['organisation.id'], name=op.f('fk_placement_insurer_choice_recommended_insurer_id_organisation'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('case_id', name=op.f('pk_placement_insurer_choice'))
    )
    with op.batch_alter_table('insurer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('underwriting_steps', sa.JSON(), server_default=sa.text("'[]'"), nullable=False))
        batch_op.add_column(sa.Column('underwriting_days', sa.Integer(), nullable=True))

    with op.batch_alter_table('policy', schema=None) as batch_op:
        batch_op.add_column(sa.Column('premium', tandem.db.Money(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('policy', schema=None) as batch_op:
        batch_op.drop_column('premium')

    with op.batch_alter_table('insurer', schema=None) as batch_op:
        batch_op.drop_column('underwriting_days')
        batch_op.drop_column('underwriting_steps')

    op.drop_table('placement_insurer_choice')
    op.drop_table('comparison_settings')
