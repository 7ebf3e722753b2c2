"""Injectable clock: domain code never reads the wall clock directly."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Protocol
from zoneinfo import ZoneInfo

UTC = dt.UTC
SHANGHAI = ZoneInfo("Asia/Shanghai")


class Clock(Protocol):
    def now(self) -> dt.datetime: ...


class SystemClock:
    """The real clock, aware UTC."""

    def now(self) -> dt.datetime:
        return dt.datetime.now(tz=UTC)  # noqa: TID251 - the one real clock


@dataclass
class FrozenClock:
    """A clock tests move by hand (``advance(hours=49)``)."""

    current: dt.datetime = field(default_factory=lambda: dt.datetime(2026, 11, 25, 2, 0, tzinfo=UTC))

    def now(self) -> dt.datetime:
        return self.current

    def advance(self, **kwargs: float) -> dt.datetime:
        self.current = self.current + dt.timedelta(**kwargs)
        return self.current


def local(value: dt.datetime | None) -> dt.datetime | None:
    """Convert a stored UTC time to Asia/Shanghai for display."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(SHANGHAI)


def local_day(at: dt.datetime) -> dt.date:
    """The calendar day in Shanghai of a moment (stored in UTC): the day a user sees and deadlines count."""
    return at.astimezone(SHANGHAI).date()


def today_local(clock: Clock) -> dt.date:
    return local_day(clock.now())
