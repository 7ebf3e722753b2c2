"""Working days with China's holiday schedule and swapped days (调休): the pure functions, on the calendar
that migration 0005 seeds (read from the migration itself, so the seed is what is tested)."""

from __future__ import annotations

import datetime as dt
import logging
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tandem.kit.workdays import (
    WorkCalendar,
    add_working_days,
    is_working_day,
    next_working_day,
    nth_working_day_after,
    on_working_day_before,
    previous_working_day,
    working_days_between,
)
from tests.helpers import CAL, SEED

SH = ZoneInfo("Asia/Shanghai")
D = dt.date.fromisoformat


def at(text: str) -> dt.datetime:
    """A local (Asia/Shanghai) time."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=SH)


# ---- the seeded schedules ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "working"),
    [
        # 2025 (国办发明电〔2024〕12号)
        ("2025-01-01", False),
        ("2025-01-26", True),
        ("2025-01-27", True),
        ("2025-01-28", False),
        ("2025-02-04", False),
        ("2025-02-05", True),
        ("2025-02-08", True),
        ("2025-04-04", False),
        ("2025-04-27", True),
        ("2025-05-05", False),
        ("2025-06-02", False),
        ("2025-09-28", True),
        ("2025-10-08", False),
        ("2025-10-09", True),
        ("2025-10-11", True),
        ("2025-10-12", False),
        # 2026 (国务院办公厅 2025-11-04)
        ("2026-01-02", False),
        ("2026-01-04", True),
        ("2026-02-13", True),
        ("2026-02-14", True),
        ("2026-02-16", False),
        ("2026-02-23", False),
        ("2026-02-24", True),
        ("2026-02-28", True),
        ("2026-04-06", False),
        ("2026-05-05", False),
        ("2026-05-09", True),
        ("2026-06-19", False),
        ("2026-09-20", True),
        ("2026-09-25", False),
        ("2026-10-07", False),
        ("2026-10-08", True),
        ("2026-10-10", True),
        ("2026-10-11", False),
        ("2026-11-25", True),
        ("2026-11-28", False),
    ],
)
def test_seeded_days(day: str, working: bool) -> None:
    assert is_working_day(D(day), CAL) is working


def test_seed_says_what_the_notices_say() -> None:
    rows = {r["day"]: r for r in SEED}
    swapped = sorted(d.isoformat() for d, r in rows.items() if r["working"])
    assert swapped == [
        "2025-01-26",
        "2025-02-08",
        "2025-04-27",
        "2025-09-28",
        "2025-10-11",
        "2026-01-04",
        "2026-02-14",
        "2026-02-28",
        "2026-05-09",
        "2026-09-20",
        "2026-10-10",
    ]
    assert all(d.weekday() >= 5 for d in rows if rows[d]["working"])  # only weekends are swapped in
    off = {y: sum(1 for d, r in rows.items() if d.year == y and not r["working"]) for y in (2025, 2026)}
    assert off == {2025: 28, 2026: 33}  # every day of every holiday, weekends included
    assert rows[D("2026-02-15")]["note"] == "春节" and rows[D("2026-02-14")]["note"] == "春节调休上班"
    assert CAL.years == frozenset({2025, 2026})


# ---- "N working days" --------------------------------------------------------------------------------


def test_five_working_days_across_spring_festival_2026() -> None:
    """Opened on Friday 13 February 2026: Saturday the 14th is a working day (调休), the 15th to the 23rd
    are off, so the fifth working day is Friday the 27th — a week later than five plain weekdays."""
    start = at("2026-02-13T10:00")
    assert nth_working_day_after(start.date(), 5, CAL) == D("2026-02-27")
    deadline = add_working_days(start, 5, CAL)
    assert deadline == at("2026-02-27T23:59:59.999999").astimezone(dt.UTC)
    assert deadline.tzinfo == dt.UTC
    plain = WorkCalendar()  # Monday–Friday only
    assert nth_working_day_after(start.date(), 5, plain) == D("2026-02-20")
    assert working_days_between(start, deadline, CAL) == 5
    assert [nth_working_day_after(start.date(), n, CAL) for n in (1, 2)] == [D("2026-02-14"), D("2026-02-24")]
    # The reminder: 09:00 on the working day before the last day.
    assert on_working_day_before(deadline, CAL, dt.time(9)) == at("2026-02-26T09:00").astimezone(dt.UTC)


@pytest.mark.parametrize(
    ("start", "n", "last"),
    [
        ("2026-11-25T10:00", 5, "2026-12-02"),  # an ordinary week: Wednesday to Wednesday
        ("2026-11-25T23:59", 1, "2026-11-26"),  # the start day never counts, however early or late
        ("2026-11-28T09:00", 1, "2026-11-30"),  # opened on a Saturday: Monday is the first day
        ("2026-09-30T16:00", 5, "2026-10-13"),  # 国庆: 10-01..07 off, Sat 10-10 works
        ("2026-09-18T16:00", 1, "2026-09-20"),  # Friday → Sunday 9-20 is a swapped working day
        ("2025-01-24T12:00", 3, "2025-02-05"),  # 春节 2025: Sun 1-26, Mon 1-27, then 2-05
        ("2025-12-31T12:00", 1, "2026-01-04"),  # across the year into 元旦 2026 and its swapped Sunday
    ],
)
def test_deadlines(start: str, n: int, last: str) -> None:
    assert add_working_days(at(start), n, CAL) == at(f"{last}T23:59:59.999999").astimezone(dt.UTC)


def test_the_start_is_taken_in_shanghai_time() -> None:
    # 2026-11-27 17:00 UTC is already Saturday 28th 01:00 in Shanghai.
    utc = dt.datetime(2026, 11, 27, 17, 0, tzinfo=dt.UTC)
    assert add_working_days(utc, 1, CAL) == at("2026-11-30T23:59:59.999999").astimezone(dt.UTC)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="between 1 and"):
        add_working_days(at("2026-11-25T10:00"), 0, CAL)
    with pytest.raises(ValueError, match="naive"):
        add_working_days(dt.datetime(2026, 11, 25, 10), 5, CAL)


def test_between_and_neighbours() -> None:
    assert working_days_between(D("2026-02-13"), D("2026-02-13"), CAL) == 0
    assert working_days_between(D("2026-02-27"), D("2026-02-13"), CAL) == -5
    assert next_working_day(D("2026-02-13"), CAL) == D("2026-02-14")
    assert previous_working_day(D("2026-02-24"), CAL) == D("2026-02-14")
    assert previous_working_day(D("2026-10-12"), CAL) == D("2026-10-10")


# ---- a year without a schedule -----------------------------------------------------------------------


def test_a_year_without_data_falls_back_to_monday_to_friday_and_says_so(caplog: pytest.LogCaptureFixture) -> None:
    cal = WorkCalendar.from_rows((r["day"], r["working"]) for r in SEED)
    with caplog.at_level(logging.WARNING, logger="tandem.kit.workdays"):
        # 2027-01-01 is a Friday: without the 2027 schedule it counts as a working day.
        assert add_working_days(at("2026-12-31T10:00"), 1, cal) == at("2027-01-01T23:59:59.999999").astimezone(dt.UTC)
        assert is_working_day(D("2027-01-04"), cal)
    warnings = [r for r in caplog.records if "2027" in r.getMessage()]
    assert len(warnings) == 1 and "Monday to Friday" in warnings[0].getMessage()  # once per calendar
    assert cal.missing_years(D("2026-12-31"), D("2028-01-03")) == [2027, 2028]
    assert cal.missing_years(D("2026-02-13"), D("2026-02-27")) == []


# ---- properties ---------------------------------------------------------------------------------------

starts = st.datetimes(min_value=dt.datetime(2024, 6, 1), max_value=dt.datetime(2027, 6, 30), timezones=st.just(SH))
calendars = st.sampled_from([CAL, WorkCalendar()])


@settings(max_examples=300, deadline=None)
@given(start=starts, n=st.integers(min_value=1, max_value=40), cal=calendars)
def test_adding_n_working_days(start: dt.datetime, n: int, cal: WorkCalendar) -> None:
    deadline = add_working_days(start, n, cal)
    local = deadline.astimezone(SH)
    assert local.time() == dt.time(23, 59, 59, 999999)
    assert is_working_day(local.date(), cal)  # lands on a working day
    assert working_days_between(start, deadline, cal) == n  # counting back gives n
    assert local.date() > start.date()
    # Monotone: one more working day is never earlier, and a holiday only ever pushes the deadline later.
    assert add_working_days(start, n + 1, cal) > deadline
    if cal is CAL and start.year in (2025, 2026):
        plain = add_working_days(start, n, WorkCalendar())
        if not any(
            not w and d.weekday() < 5
            for d, w in CAL.exceptions.items()
            if start.date() < d <= plain.astimezone(SH).date()
        ):
            assert deadline <= plain  # no weekday holiday in between: swapped days only make it earlier


@settings(max_examples=200, deadline=None)
@given(
    a=st.dates(min_value=D("2024-06-01"), max_value=D("2027-06-30")),
    b=st.dates(min_value=D("2024-06-01"), max_value=D("2027-06-30")),
    cal=calendars,
)
def test_between_counts_working_days(a: dt.date, b: dt.date, cal: WorkCalendar) -> None:
    n = working_days_between(a, b, cal)
    assert n == -working_days_between(b, a, cal)
    lo, hi = sorted((a, b))
    assert abs(n) == sum(is_working_day(lo + dt.timedelta(days=i), cal) for i in range(1, (hi - lo).days + 1))
    if n > 0:
        assert nth_working_day_after(a, n, cal) <= b < next_working_day(nth_working_day_after(a, n, cal), cal)
