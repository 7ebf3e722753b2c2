"""channel accounts: a broker's receiving accounts and insureds' verified sender ids

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 03:20:00.000000

Inbound messages belong to the broker whose channel account received them (issue 22 item 16), and link
to an insured only by a whole phone number or a sender id the channel verified (issue 11 item 6).
Messages stored before this revision keep their broker.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tandem.db

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'channel_account',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('channel', sa.String(length=16), nullable=False),
        sa.Column('account', sa.String(length=200), nullable=False),
        sa.Column('organisation_id', sa.Uuid(), nullable=False),
        sa.Column('created_at', tandem.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['organisation_id'], ['organisation.id'], name=op.f('fk_channel_account_organisation_id_organisation'),
            ondelete='RESTRICT',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_channel_account')),
        sa.UniqueConstraint('channel', 'account', name=op.f('uq_channel_account_channel_account')),
    )
    with op.batch_alter_table('channel_account', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_channel_account_organisation_id'), ['organisation_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('channel_account', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_channel_account_organisation_id'))
    op.drop_table('channel_account')
