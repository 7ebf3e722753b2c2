"""the insured's choice of the placement's adjuster (R-U1): who, and whether recommended or its own

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 05:10:00.000000

``placement.chosen_adjuster_id`` is the practitioner the insured picked (the confirmation letter goes to
it and its firm); ``placement.choice`` says whether it was one of the recommended adjusters or the
insured's own (checked). Both empty until the insured chooses, and again after a firm declines.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("placement", schema=None) as batch_op:
        batch_op.add_column(sa.Column("chosen_adjuster_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("choice", sa.String(length=20), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_placement_chosen_adjuster_id_adjuster"),
            "adjuster",
            ["chosen_adjuster_id"],
            ["id"],
            ondelete="RESTRICT",
        )


def downgrade() -> None:
    with op.batch_alter_table("placement", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_placement_chosen_adjuster_id_adjuster"), type_="foreignkey")
        batch_op.drop_column("choice")
        batch_op.drop_column("chosen_adjuster_id")
