"""The working-day calendar in the database: load it (once per transaction), list it, change it."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.db import per_transaction
from tandem.kit.clock import SHANGHAI
from tandem.kit.errors import InvalidInput
from tandem.kit.workdays import WorkCalendar, on_working_day_before
from tandem.notification.outbox import Job, enqueue_all
from tandem.sla.models import CalendarDay

NINE = dt.time(9, 0)  # when a deadline's reminder and late notice go out

_CACHE = "tandem.workcalendar"
NOTE_MAX = 200
WORKING_WORDS = {
    "1": True,
    "true": True,
    "working": True,
    "work": True,
    "上班": True,
    "班": True,
    "0": False,
    "false": False,
    "holiday": False,
    "off": False,
    "休": False,
    "放假": False,
}


def load(session: Session) -> WorkCalendar:
    """The calendar as of this transaction. Read once per transaction and kept in ``session.info``, so one
    call chain reads the table once, and the next transaction sees other processes' changes."""
    return per_transaction(
        session,
        _CACHE,
        lambda: WorkCalendar.from_rows(
            (day, working) for day, working in session.execute(select(CalendarDay.day, CalendarDay.working))
        ),
    )


def parse_day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput("Not a date (YYYY-MM-DD).", fields={"day": value}) from None


def set_day(session: Session, day: dt.date, *, working: bool, note: str = "") -> CalendarDay:
    """Record a holiday or a swapped working day (insert or replace)."""
    note = note.strip()
    if len(note) > NOTE_MAX:
        raise InvalidInput("The note is too long.", fields={"note": f"at most {NOTE_MAX} characters"})
    row = session.get(CalendarDay, day)
    if row is None:
        row = CalendarDay(day=day, working=working, note=note)
        session.add(row)
    else:
        row.working, row.note = working, note or row.note
    session.flush()
    session.info.pop(_CACHE, None)
    return row


def rows(session: Session, year: int | None = None) -> list[CalendarDay]:
    q = select(CalendarDay).order_by(CalendarDay.day)
    if year is not None:
        q = q.where(CalendarDay.day >= dt.date(year, 1, 1), CalendarDay.day <= dt.date(year, 12, 31))
    return list(session.execute(q).scalars())


def known_years(session: Session) -> list[int]:
    return sorted(load(session).years)


@dataclass(frozen=True)
class Entry:
    day: dt.date
    working: bool
    note: str


def parse_csv(text: str) -> list[Entry]:
    """``date,working,note`` lines (a header line is optional; working: working/holiday, 1/0, 上班/休).
    Every line is checked first; the first bad line is reported with its number and nothing is kept."""
    out: list[Entry] = []
    seen: set[dt.date] = set()
    for n, rec in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not rec or all(not c.strip() for c in rec) or rec[0].strip().startswith("#"):
            continue
        if n == 1 and rec[0].strip().lower() in ("date", "day", "日期"):
            continue
        if len(rec) < 2:
            raise InvalidInput("Line {line}: expected date,working,note.", line=n, fields={"line": str(n)})
        try:
            day = dt.date.fromisoformat(rec[0].strip())
        except ValueError:
            raise InvalidInput("Line {line}: not a date (YYYY-MM-DD).", line=n, fields={"line": str(n)}) from None
        working = WORKING_WORDS.get(rec[1].strip().lower())
        if working is None:
            raise InvalidInput("Line {line}: working must be working or holiday.", line=n, fields={"line": str(n)})
        if day in seen:
            raise InvalidInput("Line {line}: the day is listed twice.", line=n, fields={"line": str(n)})
        note = ",".join(rec[2:]).strip()
        if len(note) > NOTE_MAX:
            raise InvalidInput("Line {line}: the note is too long.", line=n, fields={"line": str(n)})
        seen.add(day)
        out.append(Entry(day, working, note))
    if not out:
        raise InvalidInput("The file has no calendar lines.")
    return out


def import_entries(session: Session, entries: list[Entry]) -> int:
    for e in entries:
        set_day(session, e.day, working=e.working, note=e.note)
    return len(entries)


def remind_and_late(
    session: Session, topic: str, payload: dict[str, str], key: str, last_day: dt.date, now: dt.datetime
) -> None:
    """The two durable timers of a deadline on a day: ``remind`` at 09:00 (Asia/Shanghai) on the working day
    before ``last_day`` and ``late`` at 09:00 the day after it; each job is ``payload`` with its ``kind``,
    keyed ``{key}:{kind}``. A time already past runs at once."""
    end = dt.datetime.combine(last_day, dt.time(23, 59), tzinfo=SHANGHAI)
    remind = on_working_day_before(end, load(session), NINE)
    late = dt.datetime.combine(last_day + dt.timedelta(days=1), NINE, tzinfo=SHANGHAI).astimezone(dt.UTC)
    jobs = [
        Job(topic, {**payload, "kind": kind}, f"{key}:{kind}", max(at, now))
        for kind, at in (("remind", remind), ("late", late))
    ]
    enqueue_all(session, jobs, now=now)
