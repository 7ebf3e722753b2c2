"""insurers' products as editable data (lines, perils, capacity, rates, factors, minimum premium,
short-period method, validity, status) and the insurer's standing (solvency ratio, risk rating)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 03:00:00.000000

``insurer_product.line`` (one line) becomes ``lines`` (a list, the old line its only entry);
``fund_mode``'s free text becomes a code (``investment`` where it spoke of investment, else
``traditional``); the old ``scope`` text stays as the summary of the scope of cover. Existing products
were the public catalogue, so they are ``published``. Every insurer organisation gets an ``insurer`` record with its standing not yet stated.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tandem

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EMPTY = sa.text("'[]'")

product = sa.table(
    'insurer_product',
    sa.column('id', sa.Uuid()),
    sa.column('line', sa.String()),
    sa.column('lines', sa.JSON()),
    sa.column('fund_mode', sa.String()),
)
organisation = sa.table('organisation', sa.column('id', sa.Uuid()), sa.column('kind', sa.String()))
insurer = sa.table('insurer', sa.column('organisation_id', sa.Uuid()))


NEW_COLUMNS = (
    sa.Column('status', sa.String(length=32), nullable=False, server_default='published'),
    sa.Column('lines', sa.JSON(), nullable=False, server_default=EMPTY),
    sa.Column('perils_covered', sa.JSON(), nullable=False, server_default=EMPTY),
    sa.Column('perils_excluded', sa.JSON(), nullable=False, server_default=EMPTY),
    sa.Column('currency', sa.String(length=3), nullable=False, server_default='CNY'),
    sa.Column('capacity', tandem.db.Money(), nullable=True),
    sa.Column('rates', sa.JSON(), nullable=False, server_default=EMPTY),
    sa.Column('factors', sa.JSON(), nullable=False, server_default=EMPTY),
    sa.Column('coefficient_min', tandem.db.DecimalText(), nullable=True),
    sa.Column('coefficient_max', tandem.db.DecimalText(), nullable=True),
    sa.Column('minimum_premium', tandem.db.Money(), nullable=False, server_default='0'),
    sa.Column('short_period', sa.String(length=16), nullable=False, server_default='table'),
    sa.Column('valid_from', sa.Date(), nullable=True),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False, server_default='1'),
    sa.Column('updated_at', tandem.db.UTCDateTime(timezone=True), nullable=True),
)


def upgrade() -> None:
    # Plain ADD/DROP COLUMN, never a batch copy of the table: on SQLite a copy would drop the table that
    # policies refer to while foreign keys are enforced.
    for column in NEW_COLUMNS:
        op.add_column('insurer_product', column)
    conn = op.get_bind()
    for row in conn.execute(sa.select(product.c.id, product.c.line, product.c.fund_mode)).all():
        mode = 'investment' if '投资' in (row.fund_mode or '') else 'traditional'
        conn.execute(
            product.update().where(product.c.id == row.id).values(lines=[row.line] if row.line else [], fund_mode=mode)
        )
    op.drop_column('insurer_product', 'line')

    op.create_table(
        'insurer',
        sa.Column('organisation_id', sa.Uuid(), nullable=False),
        sa.Column('solvency_ratio', tandem.db.DecimalText(), nullable=True),
        sa.Column('risk_rating', sa.String(length=1), nullable=True),
        sa.Column('standing_as_of', sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ['organisation_id'],
            ['organisation.id'],
            name=op.f('fk_insurer_organisation_id_organisation'),
            ondelete='RESTRICT',
        ),
        sa.PrimaryKeyConstraint('organisation_id', name=op.f('pk_insurer')),
    )
    ids = conn.execute(sa.select(organisation.c.id).where(organisation.c.kind == 'insurer')).scalars().all()
    if ids:
        conn.execute(insurer.insert(), [{'organisation_id': i} for i in ids])


def downgrade() -> None:
    op.drop_table('insurer')
    op.add_column('insurer_product', sa.Column('line', sa.String(length=60), nullable=False, server_default=''))
    conn = op.get_bind()
    for row in conn.execute(sa.select(product.c.id, product.c.lines, product.c.fund_mode)).all():
        mode = '投资型保险资金管理' if row.fund_mode == 'investment' else '传统保险'
        line = (row.lines or [''])[0]
        conn.execute(product.update().where(product.c.id == row.id).values(line=line, fund_mode=mode))
    for column in reversed(NEW_COLUMNS):
        op.drop_column('insurer_product', column.name)
