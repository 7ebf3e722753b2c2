"""Working days in mainland China (工作日), as pure functions over a :class:`WorkCalendar`.

A day is a working day when it is Monday–Friday, unless the calendar says otherwise: public holidays
(法定节假日) falling on a weekday are off, and the weekend days the State Council swaps into working days
(调休上班) are on. The calendar holds only those exceptions; ``tandem.sla.calendar.load`` reads it from
the ``calendar_day`` table, which is the truth for every process.

**"N working days"** ("N个工作日内") is counted as 民法典 Arts. 201 and 203 count periods: the day on
which the period starts is not counted, and the period ends at 24:00 Asia/Shanghai of the N-th working day
after it. :func:`add_working_days` returns that end as the last microsecond of the day (23:59:59.999999
Asia/Shanghai, converted to UTC), so pages show "… 23:59" and never a midnight that reads as the next day.

A year with no calendar rows at all is counted Monday–Friday; the first use of such a year logs a warning
(and ``tandem calendar list`` shows it), nothing fails.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from tandem.kit.clock import SHANGHAI, local_day

log = logging.getLogger(__name__)

END_OF_DAY = dt.time(23, 59, 59, 999999)
MAX_WORKING_DAYS = 3660  # ten years: a bound so a typo cannot loop for ever


@dataclass(frozen=True)
class WorkCalendar:
    """The exceptions to Monday–Friday (day → working?) and the years for which the schedule is known."""

    exceptions: Mapping[dt.date, bool] = field(default_factory=dict)
    years: frozenset[int] = frozenset()
    _warned: set[int] = field(default_factory=set, compare=False, repr=False)

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[dt.date, bool]]) -> WorkCalendar:
        exceptions = {day: bool(working) for day, working in rows}
        return cls(exceptions, frozenset(d.year for d in exceptions))

    def knows(self, year: int) -> bool:
        return year in self.years

    def is_working_day(self, day: dt.date) -> bool:
        day = _as_date(day)
        found = self.exceptions.get(day)
        if found is not None:
            return found
        if day.year not in self.years and day.year not in self._warned:
            self._warned.add(day.year)
            log.warning(
                "no working-day calendar for %s: counting Monday to Friday "
                "(add the State Council schedule with `tandem calendar set`)",
                day.year,
            )
        return day.weekday() < 5

    def missing_years(self, first: dt.date, last: dt.date) -> list[int]:
        """The years between two days (inclusive) counted Monday–Friday for want of a schedule."""
        lo, hi = sorted((_as_date(first).year, _as_date(last).year))
        return [y for y in range(lo, hi + 1) if y not in self.years]


def _as_date(value: dt.date) -> dt.date:
    """A date as it is; an aware datetime as its Asia/Shanghai calendar day."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime refused; use an aware time")
        return local_day(value)
    return value


def is_working_day(day: dt.date, calendar: WorkCalendar) -> bool:
    return calendar.is_working_day(day)


def next_working_day(day: dt.date, calendar: WorkCalendar) -> dt.date:
    """The first working day strictly after ``day``."""
    d = _as_date(day) + dt.timedelta(days=1)
    while not calendar.is_working_day(d):
        d += dt.timedelta(days=1)
    return d


def previous_working_day(day: dt.date, calendar: WorkCalendar) -> dt.date:
    """The last working day strictly before ``day``."""
    d = _as_date(day) - dt.timedelta(days=1)
    while not calendar.is_working_day(d):
        d -= dt.timedelta(days=1)
    return d


def nth_working_day_after(day: dt.date, n: int, calendar: WorkCalendar) -> dt.date:
    """The n-th working day after ``day`` (``day`` itself is not counted), n ≥ 1."""
    if not 1 <= n <= MAX_WORKING_DAYS:
        raise ValueError(f"working days must be between 1 and {MAX_WORKING_DAYS}")
    d = _as_date(day)
    for _ in range(n):
        d = next_working_day(d, calendar)
    return d


def add_working_days(start: dt.datetime, n: int, calendar: WorkCalendar) -> dt.datetime:
    """The deadline of "within n working days" from ``start`` (aware): 24:00 Asia/Shanghai of the n-th
    working day after the start day, returned as 23:59:59.999999 local time in UTC."""
    last = nth_working_day_after(_as_date(start), n, calendar)
    return dt.datetime.combine(last, END_OF_DAY, tzinfo=SHANGHAI).astimezone(dt.UTC)


def working_days_between(a: dt.date, b: dt.date, calendar: WorkCalendar) -> int:
    """How many working days d with a < d ≤ b (negative when b is before a). Aware datetimes count as their
    Asia/Shanghai day, so ``working_days_between(start, add_working_days(start, n, c), c) == n``."""
    a, b = _as_date(a), _as_date(b)
    if b < a:
        return -working_days_between(b, a, calendar)
    count, d = 0, a
    while d < b:
        d += dt.timedelta(days=1)
        count += calendar.is_working_day(d)
    return count


def on_working_day_before(deadline: dt.datetime, calendar: WorkCalendar, at: dt.time) -> dt.datetime:
    """``at`` (Asia/Shanghai) on the working day before the deadline's day, in UTC: when "ends on the
    next working day" is true."""
    day = previous_working_day(_as_date(deadline), calendar)
    return dt.datetime.combine(day, at, tzinfo=SHANGHAI).astimezone(dt.UTC)
