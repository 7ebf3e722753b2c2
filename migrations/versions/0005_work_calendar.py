"""working-day calendar (工作日历, 调休) and the consultation's working days per round

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 10:00:00.000000

Seeds the State Council holiday schedules for 2025 (国办发明电〔2024〕12号) and 2026 (国务院办公厅,
2025-11-04). Every day of each holiday is stored (weekend ones too, so the list reads like the notice),
and every swapped weekend working day (调休上班). Later years are added with ``tandem calendar set`` or
``tandem calendar import``; the data is kept here, not imported from the application, so replaying this
migration always gives the same rows.
"""

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (first day, last day, note) of each holiday; (day, note) of each swapped working day.
HOLIDAYS = [
    ('2025-01-01', '2025-01-01', '元旦'),
    ('2025-01-28', '2025-02-04', '春节'),
    ('2025-04-04', '2025-04-06', '清明节'),
    ('2025-05-01', '2025-05-05', '劳动节'),
    ('2025-05-31', '2025-06-02', '端午节'),
    ('2025-10-01', '2025-10-08', '国庆节、中秋节'),
    ('2026-01-01', '2026-01-03', '元旦'),
    ('2026-02-15', '2026-02-23', '春节'),
    ('2026-04-04', '2026-04-06', '清明节'),
    ('2026-05-01', '2026-05-05', '劳动节'),
    ('2026-06-19', '2026-06-21', '端午节'),
    ('2026-09-25', '2026-09-27', '中秋节'),
    ('2026-10-01', '2026-10-07', '国庆节'),
]
WORKING = [
    ('2025-01-26', '春节调休上班'),
    ('2025-02-08', '春节调休上班'),
    ('2025-04-27', '劳动节调休上班'),
    ('2025-09-28', '国庆节、中秋节调休上班'),
    ('2025-10-11', '国庆节、中秋节调休上班'),
    ('2026-01-04', '元旦调休上班'),
    ('2026-02-14', '春节调休上班'),
    ('2026-02-28', '春节调休上班'),
    ('2026-05-09', '劳动节调休上班'),
    ('2026-09-20', '国庆节调休上班'),
    ('2026-10-10', '国庆节调休上班'),
]


def seed_rows() -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for first, last, note in HOLIDAYS:
        day, end = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
        while day <= end:
            out.append({'day': day, 'working': False, 'note': note})
            day += dt.timedelta(days=1)
    out.extend({'day': dt.date.fromisoformat(d), 'working': True, 'note': note} for d, note in WORKING)
    return sorted(out, key=lambda r: str(r['day']))


def upgrade() -> None:
    table = op.create_table('calendar_day',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('working', sa.Boolean(), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_calendar_day'))
    )
    op.bulk_insert(table, seed_rows())
    with op.batch_alter_table('consultation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('round_working_days', sa.Integer(), server_default='5', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('consultation', schema=None) as batch_op:
        batch_op.drop_column('round_working_days')
    op.drop_table('calendar_day')
