"""document audiences name sides on the case, not organisation kinds

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 02:30:00.000000

Documents stored before this revision list ``adjuster_firm`` in their audience, which matched both the
broker's adjuster firm and the insurer's own adjuster firm (issue 11 item 1). Each is rewritten to the
sides it was meant for: evidence for the broker–adjuster channel to the broker's firm (``adjuster``),
a confirmation letter to the firm of its own side, other documents to both firms. Timeline events are
immutable and keep their audience; the application reads their ``adjuster_firm`` as both firms.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

document = sa.table(
    'document',
    sa.column('id', sa.Uuid()),
    sa.column('claim_id', sa.Uuid()),
    sa.column('kind', sa.String()),
    sa.column('sha256', sa.String()),
    sa.column('audience', sa.JSON()),
)
appointment = sa.table(
    'appointment',
    sa.column('claim_id', sa.Uuid()),
    sa.column('side', sa.String()),
    sa.column('letter_sha256', sa.String()),
)
LETTER_READERS = {'broker': ['broker', 'adjuster', 'insured'], 'insurer': ['insurer', 'insurer_adjuster']}


def _sides(kind: str, audience: list[str], letter_side: str | None) -> list[str]:
    if kind == 'confirmation_letter':
        return LETTER_READERS[letter_side or 'broker']
    rest = [a for a in audience if a != 'adjuster_firm']
    if kind == 'evidence' and 'insured' not in audience and 'insurer' not in audience:
        return rest + ['adjuster']  # the broker–adjuster channel
    return rest + ['adjuster', 'insurer_adjuster']


def upgrade() -> None:
    conn = op.get_bind()
    letters = {
        (row.claim_id, row.letter_sha256): row.side
        for row in conn.execute(sa.select(appointment).where(appointment.c.letter_sha256.is_not(None)))
    }
    for row in conn.execute(sa.select(document)).all():
        audience = list(row.audience or [])
        if 'adjuster_firm' not in audience:
            continue
        new = _sides(row.kind, audience, letters.get((row.claim_id, row.sha256)))
        conn.execute(sa.update(document).where(document.c.id == row.id).values(audience=new))


def downgrade() -> None:
    conn = op.get_bind()
    for row in conn.execute(sa.select(document)).all():
        audience = list(row.audience or [])
        if 'adjuster' in audience or 'insurer_adjuster' in audience:
            old = [a for a in audience if a not in ('adjuster', 'insurer_adjuster')] + ['adjuster_firm']
            conn.execute(sa.update(document).where(document.c.id == row.id).values(audience=old))
