"""``tandem import book FILE --as USER [--dry-run]``: a broker's book from CSV or XLSX, all rows or none."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

import_app = typer.Typer(help="Bring existing records onto the platform.", no_args_is_help=True)
MAX_FILE = 10 * 1024 * 1024


@import_app.command("book")
def book_command(
    file: Annotated[Path, typer.Argument(help="CSV or XLSX: firms, adjusters, insureds, policies, sections")],
    as_user: Annotated[str, typer.Option("--as", help="the broker's account manager who imports it")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="check and report only; write nothing")] = False,
) -> None:
    """Import a broker's book. A refused line (each printed with its field) and nothing is written; the
    error names the first."""
    from sqlalchemy import select

    from tandem.access.actor import Actor
    from tandem.access.models import User
    from tandem.cli_support import CliError, session_factory
    from tandem.config import get_settings
    from tandem.kit import sheets
    from tandem.kit.clock import SystemClock
    from tandem.kit.errors import ActionNotAllowed
    from tandem.policy import book

    if not file.is_file():
        raise CliError(f"{file}: no such file")
    data = file.read_bytes()
    if len(data) > MAX_FILE:
        raise CliError(f"{file}: larger than 10 MB")
    try:
        rows = sheets.read_table(data, file.name)
    except sheets.SheetError as exc:
        raise CliError(f"{file}: {exc}") from None
    session = session_factory()()
    try:
        user = session.execute(select(User).where(User.username == as_user)).scalar_one_or_none()
        if user is None or not user.active:
            raise CliError(f"--as: no active user named {as_user!r}")
        try:
            outcome = book.import_book(session, get_settings(), Actor.from_user(user), rows, at=SystemClock().now())
        except ActionNotAllowed:
            raise CliError(f"--as: {as_user} is not a broker's account manager") from None
        if outcome.errors:
            session.rollback()
            for err in outcome.errors:
                typer.echo(f"{file}: refused: {err.text()}")
            first, more = outcome.errors[0], len(outcome.errors) - 1
            also = f" (and {more} more, listed above)" if more else ""
            raise CliError(f"{file}: {first.text()}{also}; nothing imported")
        if dry_run:
            session.rollback()
            typer.echo(f"dry run, nothing written: would have {outcome.summary()}")
            return
        session.commit()
    finally:
        session.close()
    typer.echo(outcome.summary())
