"""Consultation rounds last TANDEM_ROUND_WORKING_DAYS working days on China's calendar (调休 included):
the deadline in the API, on the page and in the timers, with the clock moved across a holiday."""

from __future__ import annotations

import datetime as dt
import logging
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from tandem.audit.models import AuditEvent
from tandem.notification.models import OutboxJob
from tandem.reconciliation.consultation import round_schedule
from tandem.reconciliation.models import Consultation
from tandem.sla import calendar
from tandem.worker import runner
from tests.helpers import _ok, consultation_opened, logged_in, text_of

SH = ZoneInfo("Asia/Shanghai")


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=SH).astimezone(dt.UTC)


def _move_clock(env, when: dt.datetime) -> None:
    env.clock.current = when
    env._clients.clear()  # the tokens expired with the moved clock: log in again


def _cons(env) -> Consultation:
    with env.session() as s:
        return s.execute(select(Consultation)).scalar_one()


def test_a_round_over_new_year_2027_once_the_operator_entered_the_holiday(env):
    cid = consultation_opened(env)
    # The State Council published 2027's schedule; the operator enters 元旦 (tandem calendar set).
    with env.session() as s:
        calendar.set_day(s, dt.date(2027, 1, 1), working=False, note="元旦")
        s.commit()
    _move_clock(env, at("2026-12-31T10:00"))  # Thursday
    view = _ok(env.client("adjuster1").post(f"/api/v1/claims/{cid}/consultation/start"))
    # Not counted: Thu 12-31 (the start day), Fri 1-1 (元旦), the weekend. Mon 4 … Fri 8 are the five days.
    assert view["round"] == 1 and view["round_deadline"] == "2027-01-08T15:59:59.999999+00:00"
    page = text_of(logged_in(env, "broker").get(f"/claims/{cid}/consultation"))
    assert "第 1 轮" in page and "2027-01-08 23:59 截止" in page and "每轮5个工作日" in page
    assert "尚未录入" not in page
    with env.session() as s:
        jobs = {
            j.topic: j.not_before
            for j in s.execute(select(OutboxJob).where(OutboxJob.topic.like("consultation.round_%"))).scalars()
        }
    assert jobs == {
        "consultation.round_due": at("2027-01-08T23:59:59.999999"),
        "consultation.round_reminder": at("2027-01-07T09:00"),
    }  # one working day before

    # The reminder fires on the 7th; the round stays open until the end of the 8th.
    _move_clock(env, at("2027-01-08T23:59"))
    runner.run_once(env.factory, env.settings, env.clock)
    assert _cons(env).round == 1
    case = _ok(env.client("broker").get(f"/api/v1/claims/{cid}/case"))
    assert "consultation.round_reminder" in [e["action"] for e in case["timeline"]]
    _move_clock(env, at("2027-01-09T00:00"))
    runner.run_once(env.factory, env.settings, env.clock)
    cons = _cons(env)
    # Round 2 starts on Saturday the 9th: Mon 11 … Fri 15 (no 2027 swap entered for that week).
    assert (cons.round, cons.round_deadline) == (2, at("2027-01-15T23:59:59.999999"))
    view = _ok(env.client("broker").get(f"/api/v1/claims/{cid}/consultation"))
    assert view["round_deadline"] == cons.round_deadline.isoformat()


def test_without_the_next_years_schedule_the_round_counts_monday_to_friday_and_says_so(env, caplog):
    cid = consultation_opened(env)
    _move_clock(env, at("2026-12-31T10:00"))
    with caplog.at_level(logging.WARNING):
        view = _ok(env.client("adjuster1").post(f"/api/v1/claims/{cid}/consultation/start"))
    # 2027-01-01 is a Friday and, without 2027 data, a working day: the deadline is Thursday the 7th.
    assert view["round_deadline"] == at("2027-01-07T23:59:59.999999").isoformat()
    assert any("2027" in r.getMessage() and "Monday to Friday" in r.getMessage() for r in caplog.records)
    page = text_of(logged_in(env, "broker").get(f"/claims/{cid}/consultation"))
    assert "尚未录入2027年的节假日安排" in page and "2027-01-07 23:59 截止" in page
    en = text_of(logged_in(env, "broker", **{"Accept-Language": "en"}).get(f"/claims/{cid}/consultation"))
    assert "no holiday calendar for 2027" in en and "5 working days per round" in en
    with env.session() as s:
        started = s.execute(
            select(AuditEvent.after).where(AuditEvent.action == "consultation.round_started")
        ).scalar_one()
    assert started == {"round": 1, "deadline": view["round_deadline"], "working_days": 5, "calendar_missing": [2027]}


@pytest.mark.parametrize(
    ("start", "days", "deadline", "reminder"),
    [
        # Spring Festival 2026: Sat 2-14 works (调休), 2-15 … 2-23 are off.
        ("2026-02-13T10:00", 5, "2026-02-27T23:59:59.999999", "2026-02-26T09:00"),
        # The working day before Tuesday 2-24 is the swapped Saturday 2-14: the reminder goes out then.
        ("2026-02-13T10:00", 2, "2026-02-24T23:59:59.999999", "2026-02-14T09:00"),
        # One working day, opened after 09:00 on the day before: the reminder is due at once.
        ("2026-11-25T10:00", 1, "2026-11-26T23:59:59.999999", "2026-11-25T10:00"),
    ],
)
def test_round_schedule_on_the_table(env, start: str, days: int, deadline: str, reminder: str) -> None:
    with env.session() as s:
        assert round_schedule(s, at(start), days) == (at(deadline), at(reminder), [])


def test_the_setting_is_kept_by_the_consultation(env):
    env.settings.round_working_days = 3  # TANDEM_ROUND_WORKING_DAYS=3 when the consultation opens
    cid = consultation_opened(env, days=3)
    env.settings.round_working_days = 5  # changed later: the open consultation keeps its rule
    view = _ok(env.client("adjuster1").post(f"/api/v1/claims/{cid}/consultation/start"))
    assert view["round_deadline"] == at("2026-11-30T23:59:59.999999").isoformat()  # Thu, Fri, Mon
    _move_clock(env, at("2026-12-01T00:00"))
    runner.run_once(env.factory, env.settings, env.clock)
    cons = _cons(env)
    assert (cons.round, cons.round_deadline) == (2, at("2026-12-04T23:59:59.999999"))
