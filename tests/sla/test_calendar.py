"""The calendar table is the truth (SQLite and PostgreSQL): the seed, changes seen by other sessions
(processes), one read per transaction."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import event

from tandem.kit.workdays import is_working_day, nth_working_day_after
from tandem.sla import calendar
from tandem.sla.models import CalendarDay
from tests.helpers import CAL

D = dt.date.fromisoformat


def test_the_migration_seeds_2025_and_2026(env):
    with env.session() as s:
        cal = calendar.load(s)
        assert dict(cal.exceptions) == dict(CAL.exceptions) and cal.years == frozenset({2025, 2026})
        assert [r.note for r in calendar.rows(s, 2026) if r.day == D("2026-02-14")] == ["春节调休上班"]
        assert len(calendar.rows(s, 2025)) == 33 and len(calendar.rows(s)) == 33 + 39


def test_a_change_is_seen_by_the_next_transaction_of_another_session(env):
    with env.session() as reader:
        assert is_working_day(D("2027-01-01"), calendar.load(reader))  # no 2027 data: a Friday works
        reader.commit()
        with env.session() as writer:
            calendar.set_day(writer, D("2027-01-01"), working=False, note="元旦")
            writer.commit()
        cal = calendar.load(reader)
        assert not is_working_day(D("2027-01-01"), cal) and cal.knows(2027)
        assert nth_working_day_after(D("2026-12-31"), 1, cal) == D("2027-01-04")


def test_read_once_per_transaction(env):
    statements: list[str] = []

    def count(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        if "calendar_day" in statement:
            statements.append(statement)

    event.listen(env.engine, "before_cursor_execute", count)
    try:
        with env.session() as s:
            first = calendar.load(s)
            assert calendar.load(s) is first and len(statements) == 1
            calendar.set_day(s, D("2027-02-06"), working=True, note="春节调休上班")  # own change: read again
            assert calendar.load(s).exceptions[D("2027-02-06")] is True
            s.commit()
            calendar.load(s)
            assert sum("SELECT" in x.upper() and "FROM calendar_day" in x for x in statements) == 4
    finally:
        event.remove(env.engine, "before_cursor_execute", count)
    with env.session() as s:
        assert s.get(CalendarDay, D("2027-02-06")).working is True
