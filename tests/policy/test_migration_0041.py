"""Migration 0041 on a database at 0040: letters get their purpose (a placement's are its pre-assessment, a
claim's adjusting), a termination assessment instructed before letters is accepted (no letter, no fee
terms), and mid-term change requests without an answer deadline get the app's one: the n-th working day
after the request's Asia/Shanghai day by the work calendar (here across the National Day holiday)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import sqlalchemy as sa
from alembic import command

from tandem import migrate
from tandem.db import UTCDateTime
from tests.helpers import policy_bound

U, S, TIME = sa.Uuid(), sa.String(), UTCDateTime(timezone=True)


def _table(name: str, **types: Any) -> sa.TableClause:
    return sa.table(name, *(sa.column(n, t) for n, t in types.items()))


CASE = _table("case", id=U, kind=S)
APPOINTMENT = _table("appointment", id=U, case_id=U)
POLICY = _table("policy", id=U, placement_id=U)
CALENDAR = _table("calendar_day", day=sa.Date(), working=sa.Boolean(), note=S)
ASSESSMENT = _table(
    "termination_assessment", id=U, policy_id=U, case_id=U, firm_id=U, instructed_by=U, report_id=U, status=S,
    note=S, instructed_at=TIME,
)  # fmt: skip
ENDORSEMENT = _table(
    "policy_endorsement", id=U, policy_id=U, requested_by=U, number=sa.Integer(), status=S,
    effective_date=sa.Date(), sections=sa.JSON(), coefficient=S, premium_delta=sa.Numeric(), pricing=sa.JSON(),
    reason=S, requested_at=TIME, answer_due=sa.Date(),
)  # fmt: skip


def test_0041_backfills_purposes_assessments_and_answer_deadlines(env, monkeypatch) -> None:
    """On the demo's database taken back to 0040 (a legacy assessment still instructed, a change request
    without its deadline), then upgraded again."""
    monkeypatch.delenv("TANDEM_ENDORSEMENT_ANSWER_WORKING_DAYS", raising=False)
    config = migrate.alembic_config(env.url)
    at = dt.datetime(2026, 9, 30, 8, 0, tzinfo=dt.UTC)  # 16:00 in Shanghai, the day before National Day
    policy = policy_bound(env)  # a placement's case with its pre-assessment letter, and its policy
    command.downgrade(config, "0040")
    with env.engine.begin() as c:
        user = c.execute(sa.text("SELECT id FROM user_account LIMIT 1")).scalar_one()
        firm = c.execute(sa.text("SELECT organisation_id FROM adjuster_firm LIMIT 1")).scalar_one()
        placement = c.execute(sa.select(POLICY.c.placement_id).where(POLICY.c.id == uuid.UUID(policy))).scalar_one()
        c.execute(
            sa.insert(ASSESSMENT).values(
                id=uuid.uuid4(), policy_id=uuid.UUID(policy), case_id=uuid.UUID(str(placement)),
                firm_id=uuid.UUID(str(firm)), instructed_by=uuid.UUID(str(user)), report_id=None,
                status="instructed", note="", instructed_at=at,
            )
        )  # fmt: skip
        change = {
            "policy_id": uuid.UUID(policy), "requested_by": uuid.UUID(str(user)), "status": "accepted",
            "effective_date": dt.date(2026, 10, 1), "sections": [], "coefficient": "1", "premium_delta": 0,
            "pricing": {}, "reason": "x", "requested_at": at,
        }  # fmt: skip
        change_id, due_set = uuid.uuid4(), dt.date(2026, 12, 1)
        c.execute(
            sa.insert(ENDORSEMENT),
            [
                {**change, "id": change_id, "number": 91, "answer_due": None},
                {**change, "id": uuid.uuid4(), "number": 92, "answer_due": due_set},
            ],
        )
        kept = c.execute(sa.select(ENDORSEMENT.c.id, ENDORSEMENT.c.answer_due).where(ENDORSEMENT.c.id != change_id))
        kept_dues = dict(kept.all())
        october = CALENDAR.c.day.between(dt.date(2026, 10, 1), dt.date(2026, 10, 31))
        c.execute(sa.delete(CALENDAR).where(october))  # this October as the test says, whatever 0005 seeded
        holidays = [{"day": dt.date(2026, 10, d), "working": False, "note": "国庆"} for d in range(1, 9)]
        c.execute(sa.insert(CALENDAR), [*holidays, {"day": dt.date(2026, 10, 10), "working": True, "note": ""}])
        joined = sa.select(APPOINTMENT.c.id, CASE.c.kind).join(CASE, CASE.c.id == APPOINTMENT.c.case_id)
        kinds = {str(k): kind for k, kind in c.execute(joined).all()}
    migrate.upgrade(env.url)
    with env.engine.connect() as c:
        purposes = {str(k): v for k, v in c.execute(sa.select(APPOINTMENT.c.id, sa.column("purpose"))).all()}
        statuses = set(c.execute(sa.text("SELECT status, appointment_id FROM termination_assessment")).all())
        dues = dict(c.execute(sa.select(ENDORSEMENT.c.id, ENDORSEMENT.c.answer_due)).all())
    assert "placement" in kinds.values()
    assert purposes == {k: "pre_assessment" if kind == "placement" else "adjusting" for k, kind in kinds.items()}
    assert statuses == {("accepted", None)}  # accepted without a letter: nothing to invoice
    # 30 September + 5 working days: 1-8 October are holidays, then 9 (Fri), 10 (swapped Sat), 12, 13, 14.
    assert dues[change_id] == dt.date(2026, 10, 14)
    assert {k: dues[k] for k in kept_dues} == kept_dues  # those with a deadline keep it
