"""``tandem calendar list | set | import``: the working-day calendar (工作日历, with 调休).

The State Council publishes next year's holiday schedule each autumn; an operator enters it here (one
``set`` per holiday or swapped working day, or ``import`` of a CSV file)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from tandem.kit.clock import SystemClock, today_local

calendar_app = typer.Typer(help="The working-day calendar (工作日历, 调休).", no_args_is_help=True)

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _line(day: dt.date, working: bool, note: str) -> str:
    return f"{day.isoformat()}  {WEEKDAYS[day.weekday()]}  {'working' if working else 'holiday':<7}  {note}".rstrip()


@calendar_app.command("list")
def list_days(year: Annotated[int | None, typer.Option(min=1900, max=2999, help="only this year")] = None) -> None:
    """The holidays and swapped working days; years without a schedule are named (Mon–Fri is assumed)."""
    from tandem.cli_support import session_factory
    from tandem.db import unit_of_work
    from tandem.sla import calendar

    with unit_of_work(session_factory()) as session:
        known = calendar.known_years(session)
        entries = calendar.rows(session, year)
    this_year = today_local(SystemClock()).year
    wanted = [year] if year is not None else sorted({*known, this_year, this_year + 1})
    for y in wanted:
        mine = [e for e in entries if e.day.year == y]
        if not mine:
            typer.echo(
                f"{y}: warning: no calendar data; Monday to Friday are counted as working days "
                f"(add the schedule with: tandem calendar set {y}-MM-DD --holiday|--working)"
            )
            continue
        off = sum(1 for e in mine if not e.working and e.day.weekday() < 5)
        swapped = sum(1 for e in mine if e.working and e.day.weekday() >= 5)
        typer.echo(f"{y}: {off} weekday holidays, {swapped} swapped working days")
        for e in mine:
            typer.echo("  " + _line(e.day, e.working, e.note))


@calendar_app.command("set")
def set_day(
    day: Annotated[str, typer.Argument(help="YYYY-MM-DD")],
    working: Annotated[
        bool | None, typer.Option("--working/--holiday", help="a working day (调休上班) or a holiday")
    ] = None,
    note: Annotated[str, typer.Option(help="e.g. 春节 or 春节调休上班")] = "",
) -> None:
    """Record one day as a holiday or as a (swapped) working day; replaces what the day had."""
    from tandem.cli_support import CliError, session_factory
    from tandem.db import unit_of_work
    from tandem.sla import calendar

    when = calendar.parse_day(day)
    if working is None:
        raise CliError("say --working or --holiday")
    with unit_of_work(session_factory()) as session:
        row = calendar.set_day(session, when, working=working, note=note)
        typer.echo(_line(row.day, row.working, row.note))


@calendar_app.command("import")
def import_file(path: Annotated[Path, typer.Argument(help="CSV: date,working,note (working|holiday)")]) -> None:
    """Import a year's schedule from CSV, all lines or none."""
    from tandem.cli_support import CliError, session_factory
    from tandem.db import unit_of_work
    from tandem.sla import calendar

    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"{path}: cannot read ({type(exc).__name__})") from None
    entries = calendar.parse_csv(text)
    with unit_of_work(session_factory()) as session:
        n = calendar.import_entries(session, entries)
    typer.echo(f"{n} calendar days imported")
