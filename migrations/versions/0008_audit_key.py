"""keyed audit chain: an HMAC per event and signed seals of the chain heads

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 03:00:00.000000

``audit_event.mac`` is HMAC-SHA256 of the event's chain position and hash under ``TANDEM_AUDIT_KEY`` (a
key kept outside the database); events written before a key was configured have none. ``audit_seal``
rows are signed snapshots of every chain head (``tandem audit seal``): events a seal covers are
protected by it even without a MAC of their own. Existing rows are not touched, so existing chains
verify as before.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tandem.kit.ddl import append_only, drop_append_only

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN (not a batch copy): SQLite keeps the table and its append-only triggers.
    op.add_column('audit_event', sa.Column('mac', sa.String(length=64), nullable=True))
    op.create_table(
        'audit_seal',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('sealed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('key_id', sa.String(length=16), nullable=False),
        sa.Column('boundary', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('heads', sa.JSON(), nullable=False),
        sa.Column('mac', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_seal')),
    )
    append_only(op, 'audit_seal')


def downgrade() -> None:
    drop_append_only(op, 'audit_seal')
    op.drop_table('audit_seal')
    drop_append_only(op, 'audit_event')  # SQLite copies the table to drop a column: triggers go with it
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_column('mac')
    append_only(op, 'audit_event')
