"""The working-day calendar table (工作日历): only the exceptions to Monday–Friday are rows."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, String
from sqlalchemy.orm import Mapped, mapped_column

from tandem.db import Base


class CalendarDay(Base):
    """A public holiday (working=False) or a swapped weekend working day (调休上班, working=True).

    A year is "known" once it has any row; years without rows are counted Monday–Friday (see
    ``tandem.kit.workdays``)."""

    __tablename__ = "calendar_day"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    working: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(String(200), default="")
