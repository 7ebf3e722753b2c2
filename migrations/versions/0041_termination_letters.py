"""letters of instruction for termination assessments; mid-term changes' answer deadlines backfilled

``appointment.purpose`` says what a letter instructs: existing letters on a placement's case are its
``pre_assessment``, all others ``adjusting`` (a claim). A termination assessment now hangs on its own letter
(``termination_assessment.appointment_id``); those instructed before had no letter: one still
``instructed`` becomes ``accepted`` (its firm was already engaged on the placement and may file as before),
with no letter and so no fee terms to invoice against; a reported one stays reported.

Mid-term change requests made before 0039 get their answer deadline as the app sets it: the
``TANDEM_ENDORSEMENT_ANSWER_WORKING_DAYS``-th (default 5) working day after the request's Asia/Shanghai
day, by the work calendar (``calendar_day``) as it is now. No reminder is scheduled for them (a late one
shows as late on reading).

Revision ID: 0041
Revises: 0040
Create Date: 2026-12-07 18:50:00.000000
"""

import os
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tandem.db
from tandem.kit.clock import SHANGHAI
from tandem.kit.workdays import WorkCalendar, nth_working_day_after

revision: str = "0041"
down_revision: str | None = "0040"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The requests without a deadline, their time typed so SQLite and PostgreSQL both give an aware UTC datetime.
WITHOUT_DEADLINE = sa.text("SELECT id, requested_at FROM policy_endorsement WHERE answer_due IS NULL").columns(
    id=sa.Uuid(), requested_at=tandem.db.UTCDateTime(timezone=True)
)
SET_DEADLINE = sa.text("UPDATE policy_endorsement SET answer_due = :due WHERE id = :id").bindparams(
    sa.bindparam("id", type_=sa.Uuid()), sa.bindparam("due", type_=sa.Date())
)


def _answer_days() -> int:
    raw = os.environ.get("TANDEM_ENDORSEMENT_ANSWER_WORKING_DAYS", "").strip()
    return int(raw) if raw.isdigit() and 1 <= int(raw) <= 60 else 5


def _backfill_answer_due() -> None:
    conn = op.get_bind()
    rows = conn.execute(WITHOUT_DEADLINE).all()
    if not rows:
        return
    days_off = sa.text("SELECT day, working FROM calendar_day").columns(day=sa.Date(), working=sa.Boolean())
    calendar = WorkCalendar.from_rows((r.day, r.working) for r in conn.execute(days_off))
    days = _answer_days()
    for row in rows:
        due = nth_working_day_after(row.requested_at.astimezone(SHANGHAI).date(), days, calendar)
        conn.execute(SET_DEADLINE, {"id": row.id, "due": due})


def upgrade() -> None:
    with op.batch_alter_table("appointment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("purpose", sa.String(length=16), server_default="adjusting", nullable=False))
    op.execute(
        "UPDATE appointment SET purpose = 'pre_assessment' "
        "WHERE case_id IN (SELECT id FROM \"case\" WHERE kind = 'placement')"
    )
    with op.batch_alter_table("termination_assessment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("appointment_id", sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_termination_assessment_appointment_id_appointment"),
            "appointment",
            ["appointment_id"],
            ["id"],
            ondelete="RESTRICT",
        )
    op.execute("UPDATE termination_assessment SET status = 'accepted' WHERE status = 'instructed'")
    _backfill_answer_due()


def downgrade() -> None:
    # The answer deadlines stay (0039's column allows them); the termination letters are dropped with
    # their link, an accepted assessment without a report going back to ``instructed``.
    op.execute("UPDATE termination_assessment SET status = 'instructed' WHERE status IN ('accepted', 'declined')")
    with op.batch_alter_table("termination_assessment", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_termination_assessment_appointment_id_appointment"), type_="foreignkey")
        batch_op.drop_column("appointment_id")
    with op.batch_alter_table("appointment", schema=None) as batch_op:
        batch_op.drop_column("purpose")
