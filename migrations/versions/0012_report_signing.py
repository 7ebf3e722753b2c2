"""reports are signed in person: a report frozen for signature until two adjusters have signed its hash

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 03:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tandem.db

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'report_signing',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('claim_id', sa.Uuid(), nullable=False),
        sa.Column('firm_id', sa.Uuid(), nullable=False),
        sa.Column('number', sa.String(length=40), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('supersedes_id', sa.Uuid(), nullable=True),
        sa.Column('reason', sa.String(length=2000), nullable=True),
        sa.Column('content', sa.JSON(), nullable=False),
        sa.Column('content_hash', sa.String(length=64), nullable=False),
        sa.Column('signer_ids', sa.JSON(), nullable=False),
        sa.Column('signatures', sa.JSON(), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('created_at', tandem.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('created_by', sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(['claim_id'], ['claim.id'], name=op.f('fk_report_signing_claim_id_claim'), ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['created_by'], ['user_account.id'], name=op.f('fk_report_signing_created_by_user_account'), ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['firm_id'], ['organisation.id'], name=op.f('fk_report_signing_firm_id_organisation'), ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['supersedes_id'], ['report.id'], name=op.f('fk_report_signing_supersedes_id_report'), ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_report_signing')),
    )
    with op.batch_alter_table('report_signing', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_signing_claim_id'), ['claim_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('report_signing', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_signing_claim_id'))
    op.drop_table('report_signing')
