"""``tandem claims import FILE --as USER``: batch intake (批量报案) from a CSV, XLSX, JSON or JSON Lines file,
the rows taken as ``POST /api/v1/claims/batch`` takes them, committed a chunk at a time."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

claims_app = typer.Typer(help="Loss notices (报案).", no_args_is_help=True)
MAX_FILE = 20 * 1024 * 1024
CHUNK = 500  # rows per transaction


@claims_app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(help="CSV or XLSX (headers 保单号, 出险时间 …), JSON array or JSON Lines")],
    as_user: Annotated[
        str, typer.Option("--as", help="who reports: an insured contact or the broker's account manager")
    ],
) -> None:
    """Report the file's notices, each with its own idempotency key: a rerun changes nothing. Every refused
    row is printed with its line and field; the exit status is 1 when any row was refused, 2 for a file that
    cannot be read (nothing written)."""
    from sqlalchemy import select

    from tandem.access.actor import Actor
    from tandem.access.models import User
    from tandem.claim import batch
    from tandem.cli_support import CliError, session_factory
    from tandem.config import get_settings
    from tandem.db import unit_of_work
    from tandem.kit import sheets
    from tandem.kit.clock import SystemClock
    from tandem.kit.errors import ActionNotAllowed, InvalidInput

    if not file.is_file():
        raise CliError(f"{file}: no such file")
    data = file.read_bytes()
    if len(data) > MAX_FILE:
        raise CliError(f"{file}: larger than 20 MB")
    try:
        rows, lines = batch.rows_from_file(data, file.name)
    except sheets.SheetError as exc:
        raise CliError(f"{file}: {exc}") from None
    except InvalidInput as exc:
        raise CliError(f"{file}: {exc}; {next(iter((exc.fields or {}).values()), '')}") from None
    if not rows:
        raise CliError(f"{file}: no notices")
    if len(rows) > batch.MAX_ROWS:
        raise CliError(f"{file}: more than {batch.MAX_ROWS} notices")
    factory, settings = session_factory(), get_settings()
    with unit_of_work(factory) as session:
        user = session.execute(select(User).where(User.username == as_user)).scalar_one_or_none()
        if user is None or not user.active:
            raise CliError(f"--as: no active user named {as_user!r}")
        actor = Actor.from_user(user)
    counts = {batch.CREATED: 0, batch.KNOWN: 0, batch.REFUSED: 0}
    for at in range(0, len(rows), CHUNK):
        try:
            with unit_of_work(factory) as session:
                results = batch.intake(session, settings, actor, rows[at : at + CHUNK], now=SystemClock().now())
        except ActionNotAllowed:
            raise CliError(f"--as: {as_user} may not report losses") from None
        for r in results:
            counts[r.outcome] += 1
            if r.outcome == batch.REFUSED:
                typer.echo(f"{file}: line {lines[at + r.row - 1]}: refused: {r.field}: {r.message}")
    typer.echo(f"created {counts['created']}, already known {counts['known']}, refused {counts['refused']}")
    if counts[batch.REFUSED]:
        raise typer.Exit(1)
