"""risk register: a placement's risk points as the broker's risk evaluators keep them, their history
(append-only), and the insured's remediation tasks (R-U4)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 05:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tandem.db
from tandem.kit.ddl import append_only, drop_append_only

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _user_fk(table: str, column: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], ["user_account.id"], name=op.f(f"fk_{table}_{column}_user_account"), ondelete="RESTRICT"
    )


def upgrade() -> None:
    op.create_table(
        "risk_register",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("source_id", sa.Uuid(), nullable=True),
        sa.Column("source_number", sa.String(length=48), nullable=False),
        sa.Column("advice", sa.String(length=2000), nullable=False),
        sa.Column("seeded_at", tandem.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("seeded_by", sa.Uuid(), nullable=False),
        sa.Column("published_at", tandem.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("published_by", sa.Uuid(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case.id"], name=op.f("fk_risk_register_case_id_case"), ondelete="RESTRICT"
        ),
        _user_fk("risk_register", "seeded_by"),
        _user_fk("risk_register", "published_by"),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_risk_register")),
    )
    op.create_table(
        "risk_register_point",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(length=2000), nullable=False),
        sa.Column("location", sa.String(length=200), nullable=False),
        sa.Column("proposed_level", sa.String(length=8), nullable=False),
        sa.Column("proposed_coefficient", tandem.db.DecimalText(), nullable=False),
        sa.Column("adjuster_advice", sa.String(length=2000), nullable=False),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("coefficient", tandem.db.DecimalText(), nullable=False),
        sa.Column("advice", sa.String(length=2000), nullable=False),
        sa.Column("choice", sa.String(length=12), nullable=False),
        sa.Column("committed_date", sa.Date(), nullable=True),
        sa.Column("decided_at", tandem.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.Uuid(), nullable=True),
        sa.Column("updated_at", tandem.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["risk_register.case_id"],
            name=op.f("fk_risk_register_point_case_id_risk_register"),
            ondelete="RESTRICT",
        ),
        _user_fk("risk_register_point", "decided_by"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_register_point")),
        sa.UniqueConstraint("case_id", "ref", name=op.f("uq_risk_register_point_case_id_ref")),
    )
    with op.batch_alter_table("risk_register_point", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_risk_register_point_case_id"), ["case_id"], unique=False)
    op.create_table(
        "risk_register_change",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("point_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=False),
        sa.Column("reason", sa.String(length=2000), nullable=True),
        sa.Column("by_user_id", sa.Uuid(), nullable=False),
        sa.Column("at", tandem.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case.id"], name=op.f("fk_risk_register_change_case_id_case"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["point_id"],
            ["risk_register_point.id"],
            name=op.f("fk_risk_register_change_point_id_risk_register_point"),
            ondelete="RESTRICT",
        ),
        _user_fk("risk_register_change", "by_user_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_register_change")),
    )
    with op.batch_alter_table("risk_register_change", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_risk_register_change_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_risk_register_change_point_id"), ["point_id"], unique=False)
    append_only(op, "risk_register_change")
    op.create_table(
        "remediation_task",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("point_id", sa.Uuid(), nullable=False),
        sa.Column("ref", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", tandem.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column("updated_at", tandem.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", tandem.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("checked_by_report_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case.id"], name=op.f("fk_remediation_task_case_id_case"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["point_id"],
            ["risk_register_point.id"],
            name=op.f("fk_remediation_task_point_id_risk_register_point"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["checked_by_report_id"],
            ["report.id"],
            name=op.f("fk_remediation_task_checked_by_report_id_report"),
            ondelete="RESTRICT",
        ),
        _user_fk("remediation_task", "created_by"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_remediation_task")),
        sa.UniqueConstraint("point_id", name=op.f("uq_remediation_task_point_id")),
    )
    with op.batch_alter_table("remediation_task", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_remediation_task_case_id"), ["case_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("remediation_task", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_remediation_task_case_id"))
    op.drop_table("remediation_task")
    drop_append_only(op, "risk_register_change")
    with op.batch_alter_table("risk_register_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_risk_register_change_point_id"))
        batch_op.drop_index(batch_op.f("ix_risk_register_change_case_id"))
    op.drop_table("risk_register_change")
    with op.batch_alter_table("risk_register_point", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_risk_register_point_case_id"))
    op.drop_table("risk_register_point")
    op.drop_table("risk_register")
