"""neutrality process: findings and notices, each broker's tolerance, blacklist proposals; the lines a
blacklist entry covers

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 04:50:27.966283

Issue 17 item 1 (相对中立, R-C7). Existing blacklist entries cover all lines (``lines`` = []).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tandem.db


revision: str = '0019'
down_revision: str | None = '0018'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('neutrality_settings',
    sa.Column('broker_id', sa.Uuid(), nullable=False),
    sa.Column('tolerance', sa.Integer(), nullable=False),
    sa.Column('window_months', sa.Integer(), nullable=False),
    sa.Column('updated_at', tandem.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['broker_id'], ['organisation.id'], name=op.f('fk_neutrality_settings_broker_id_organisation'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['updated_by'], ['user_account.id'], name=op.f('fk_neutrality_settings_updated_by_user_account'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('broker_id', name=op.f('pk_neutrality_settings'))
    )
    op.create_table('neutrality_finding',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('number', sa.String(length=30), nullable=False),
    sa.Column('broker_id', sa.Uuid(), nullable=False),
    sa.Column('adjuster_id', sa.Uuid(), nullable=False),
    sa.Column('firm_id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('severity', sa.String(length=10), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('recorded_by', sa.Uuid(), nullable=False),
    sa.Column('recorded_at', tandem.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reviewed_by', sa.Uuid(), nullable=True),
    sa.Column('reviewed_at', tandem.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('review_reason', sa.Text(), nullable=True),
    sa.Column('notified_at', tandem.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('answer_due', tandem.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reminded_at', tandem.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.Column('answered_by', sa.Uuid(), nullable=True),
    sa.Column('answered_at', tandem.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decided_by', sa.Uuid(), nullable=True),
    sa.Column('decided_at', tandem.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decision_reason', sa.Text(), nullable=True),
    sa.Column('by_default', sa.Boolean(), nullable=False),
    sa.Column('pdf_sha256', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['adjuster_id'], ['adjuster.id'], name=op.f('fk_neutrality_finding_adjuster_id_adjuster'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['answered_by'], ['user_account.id'], name=op.f('fk_neutrality_finding_answered_by_user_account'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['broker_id'], ['organisation.id'], name=op.f('fk_neutrality_finding_broker_id_organisation'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], name=op.f('fk_neutrality_finding_case_id_case'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['decided_by'], ['user_account.id'], name=op.f('fk_neutrality_finding_decided_by_user_account'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['firm_id'], ['adjuster_firm.organisation_id'], name=op.f('fk_neutrality_finding_firm_id_adjuster_firm'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['recorded_by'], ['user_account.id'], name=op.f('fk_neutrality_finding_recorded_by_user_account'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['reviewed_by'], ['user_account.id'], name=op.f('fk_neutrality_finding_reviewed_by_user_account'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_neutrality_finding')),
    sa.UniqueConstraint('number', name=op.f('uq_neutrality_finding_number'))
    )
    with op.batch_alter_table('neutrality_finding', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_neutrality_finding_adjuster_id'), ['adjuster_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_neutrality_finding_broker_id'), ['broker_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_neutrality_finding_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_neutrality_finding_decided_at'), ['decided_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_neutrality_finding_firm_id'), ['firm_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_neutrality_finding_notified_at'), ['notified_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_neutrality_finding_state'), ['state'], unique=False)

    op.create_table('blacklist_proposal',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('broker_id', sa.Uuid(), nullable=False),
    sa.Column('adjuster_id', sa.Uuid(), nullable=False),
    sa.Column('firm_id', sa.Uuid(), nullable=False),
    sa.Column('trigger', sa.String(length=16), nullable=False),
    sa.Column('finding_ids', sa.JSON(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('opened_at', tandem.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_by', sa.Uuid(), nullable=True),
    sa.Column('decided_at', tandem.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decision_reason', sa.Text(), nullable=True),
    sa.Column('lines', sa.JSON(), nullable=False),
    sa.Column('term_months', sa.Integer(), nullable=True),
    sa.Column('entry_id', sa.Uuid(), nullable=True),
    sa.Column('appeal_due', tandem.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('appeal', sa.Text(), nullable=True),
    sa.Column('appealed_by', sa.Uuid(), nullable=True),
    sa.Column('appealed_at', tandem.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('appeal_decided_by', sa.Uuid(), nullable=True),
    sa.Column('appeal_decided_at', tandem.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('appeal_reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['adjuster_id'], ['adjuster.id'], name=op.f('fk_blacklist_proposal_adjuster_id_adjuster'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['appeal_decided_by'], ['user_account.id'], name=op.f('fk_blacklist_proposal_appeal_decided_by_user_account'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['appealed_by'], ['user_account.id'], name=op.f('fk_blacklist_proposal_appealed_by_user_account'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['broker_id'], ['organisation.id'], name=op.f('fk_blacklist_proposal_broker_id_organisation'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['decided_by'], ['user_account.id'], name=op.f('fk_blacklist_proposal_decided_by_user_account'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['entry_id'], ['blacklist_entry.id'], name=op.f('fk_blacklist_proposal_entry_id_blacklist_entry'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['firm_id'], ['adjuster_firm.organisation_id'], name=op.f('fk_blacklist_proposal_firm_id_adjuster_firm'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_blacklist_proposal'))
    )
    with op.batch_alter_table('blacklist_proposal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_blacklist_proposal_adjuster_id'), ['adjuster_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_blacklist_proposal_broker_id'), ['broker_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_blacklist_proposal_firm_id'), ['firm_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_blacklist_proposal_state'), ['state'], unique=False)

    with op.batch_alter_table('blacklist_entry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lines', sa.JSON(), server_default=sa.text("'[]'"), nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('blacklist_entry', schema=None) as batch_op:
        batch_op.drop_column('lines')

    with op.batch_alter_table('blacklist_proposal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_blacklist_proposal_state'))
        batch_op.drop_index(batch_op.f('ix_blacklist_proposal_firm_id'))
        batch_op.drop_index(batch_op.f('ix_blacklist_proposal_broker_id'))
        batch_op.drop_index(batch_op.f('ix_blacklist_proposal_adjuster_id'))

    op.drop_table('blacklist_proposal')
    with op.batch_alter_table('neutrality_finding', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_neutrality_finding_state'))
        batch_op.drop_index(batch_op.f('ix_neutrality_finding_notified_at'))
        batch_op.drop_index(batch_op.f('ix_neutrality_finding_firm_id'))
        batch_op.drop_index(batch_op.f('ix_neutrality_finding_decided_at'))
        batch_op.drop_index(batch_op.f('ix_neutrality_finding_case_id'))
        batch_op.drop_index(batch_op.f('ix_neutrality_finding_broker_id'))
        batch_op.drop_index(batch_op.f('ix_neutrality_finding_adjuster_id'))

    op.drop_table('neutrality_finding')
    op.drop_table('neutrality_settings')
