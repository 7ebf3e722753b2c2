"""practice registrations (执业登记), verification records, sanctions with decision numbers and bars

Every practitioner gets its registration through its current firm (from the day it was entered); one whose
annual review date of the old rule had already passed gets a failed verification record saying so, so it
stays unassignable until someone records a passed check; the old review date column goes (the review is a
setting now). Sanction kinds become codes (暂停执业 → suspension; others → other, the old words kept in
the note).

Revision ID: 0038
Revises: 0037
Create Date: 2026-12-07 15:40:00.000000
"""

import datetime as dt
import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tandem.db

revision: str = "0038"
down_revision: str | None = "0037"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = "state IN ('registered', 'leaving')"


def upgrade() -> None:
    registration = op.create_table(
        "registration",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("adjuster_id", sa.Uuid(), nullable=False),
        sa.Column("firm_id", sa.Uuid(), nullable=False),
        sa.Column("registration_no", sa.String(length=40), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("left_on", sa.Date(), nullable=True),
        sa.Column("deregister_by", sa.Date(), nullable=True),
        sa.Column("created_at", tandem.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["adjuster_id"], ["adjuster.id"], name=op.f("fk_registration_adjuster_id_adjuster"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["user_account.id"],
            name=op.f("fk_registration_created_by_user_account"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["firm_id"],
            ["adjuster_firm.organisation_id"],
            name=op.f("fk_registration_firm_id_adjuster_firm"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registration")),
    )
    with op.batch_alter_table("registration", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_registration_adjuster_id"), ["adjuster_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_registration_firm_id"), ["firm_id"], unique=False)
        batch_op.create_index(
            "uq_registration_open",
            ["adjuster_id"],
            unique=True,
            sqlite_where=sa.text(OPEN),
            postgresql_where=sa.text(OPEN),
        )
    check = op.create_table(
        "registration_check",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("adjuster_id", sa.Uuid(), nullable=False),
        sa.Column("registration_id", sa.Uuid(), nullable=True),
        sa.Column("source", sa.String(length=30), nullable=False),
        sa.Column("result", sa.String(length=16), nullable=False),
        sa.Column("checked_on", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("checked_by", sa.Uuid(), nullable=True),
        sa.Column("checked_by_org", sa.Uuid(), nullable=True),
        sa.Column("created_at", tandem.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["adjuster_id"],
            ["adjuster.id"],
            name=op.f("fk_registration_check_adjuster_id_adjuster"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["checked_by"],
            ["user_account.id"],
            name=op.f("fk_registration_check_checked_by_user_account"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["checked_by_org"],
            ["organisation.id"],
            name=op.f("fk_registration_check_checked_by_org_organisation"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registration.id"],
            name=op.f("fk_registration_check_registration_id_registration"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registration_check")),
    )
    with op.batch_alter_table("registration_check", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_registration_check_adjuster_id"), ["adjuster_id"], unique=False)
    with op.batch_alter_table("sanction", schema=None) as batch_op:
        batch_op.add_column(sa.Column("decision_no", sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column("sentence_ends_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("recorded_by", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("recorded_at", tandem.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_sanction_recorded_by_user_account"),
            "user_account",
            ["recorded_by"],
            ["id"],
            ondelete="RESTRICT",
        )
    _backfill(registration, check)
    op.execute("UPDATE sanction SET kind = 'suspension' WHERE kind = '暂停执业'")
    op.execute(
        "UPDATE sanction SET note = kind || ': ' || COALESCE(note, ''), kind = 'other' "
        "WHERE kind NOT IN ('suspension', 'ban', 'criminal_penalty', 'other')"
    )
    with op.batch_alter_table("adjuster", schema=None) as batch_op:
        batch_op.drop_column("reverification_due")


def _backfill(registration: sa.Table, check: sa.Table) -> None:
    bind = op.get_bind()
    stamp = bind.execute(sa.text("SELECT CURRENT_TIMESTAMP")).scalar()
    now = stamp if isinstance(stamp, dt.datetime) else dt.datetime.fromisoformat(str(stamp))
    now = now.replace(tzinfo=dt.UTC) if now.tzinfo is None else now.astimezone(dt.UTC)
    rows = bind.execute(
        sa.text("SELECT id, firm_id, registration_no, created_at, active, reverification_due FROM adjuster")
    ).all()
    regs, checks = [], []
    for adj_id, firm_id, number, created_at, active, due in rows:
        created = created_at if isinstance(created_at, dt.datetime) else dt.datetime.fromisoformat(str(created_at))
        due_day = due if isinstance(due, dt.date) else dt.date.fromisoformat(str(due))
        reg_id = uuid.uuid4()
        regs.append(
            {
                "id": reg_id,
                "adjuster_id": uuid.UUID(str(adj_id)),
                "firm_id": uuid.UUID(str(firm_id)),
                "registration_no": number,
                "state": "registered" if active else "deregistered",
                "starts_on": created.date(),
                "ends_on": None,
                "created_at": now,
            }
        )
        if due_day < now.date():
            checks.append(
                {
                    "id": uuid.uuid4(),
                    "adjuster_id": uuid.UUID(str(adj_id)),
                    "registration_id": reg_id,
                    "source": "other",
                    "result": "failed",
                    "checked_on": due_day,
                    "note": f"annual review (年度审核登记) not passed by {due_day.isoformat()} (migration 0038)",
                    "created_at": now,
                }
            )
    if regs:
        op.bulk_insert(registration, regs)
    if checks:
        op.bulk_insert(check, checks)


def downgrade() -> None:
    with op.batch_alter_table("adjuster", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reverification_due", sa.Date(), nullable=False, server_default="2099-12-31"))
    with op.batch_alter_table("sanction", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_sanction_recorded_by_user_account"), type_="foreignkey")
        batch_op.drop_column("recorded_at")
        batch_op.drop_column("recorded_by")
        batch_op.drop_column("sentence_ends_on")
        batch_op.drop_column("decision_no")
    op.drop_table("registration_check")
    op.drop_table("registration")
