"""``tandem export``: write one day's signed supervision export, verify a received one, print the public key."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from tandem.cli_support import CliError, session_factory
from tandem.config import get_settings
from tandem.kit.clock import SystemClock, today_local
from tandem.supervision import feed, signing

Received = Annotated[Path, typer.Argument(help="a received export's folder")]
PublicKey = Annotated[
    str | None, typer.Option("--public-key", help="the platform's public key, base64 (default: this server's)")
]
export_app = typer.Typer(help="Exports: the signed daily supervision feed.", no_args_is_help=True)


def parse_day(value: str, today: dt.date) -> dt.date:
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise CliError(f"--date: {value!r} is not a date (YYYY-MM-DD)") from None
    if day > today:
        raise CliError(f"--date: {day} has not begun yet (Asia/Shanghai)")
    return day


@export_app.command("supervision")
def export_supervision(
    date: Annotated[str, typer.Option("--date", help="the Asia/Shanghai day, YYYY-MM-DD")],
    out: Annotated[Path | None, typer.Option("--out", help="folder to create (default: var/supervision/DATE)")] = None,
) -> None:
    """Write the day's feed: JSON Lines per kind, the SHA-256 manifest and its Ed25519 signature."""
    from tandem.db import unit_of_work

    settings, clock = get_settings(), SystemClock()
    day = parse_day(date, today_local(clock))
    target = out or settings.var_dir / "supervision" / day.isoformat()
    if target.exists():
        raise CliError(f"{target}: already exists; choose another --out or remove it")
    signing.private_key(settings)  # a missing production key fails before any work
    with unit_of_work(session_factory()) as session:
        records = feed.collect(session, day, clock.now())
    export = signing.build(settings, day, records, clock.now())
    try:
        signing.write(export, target)
    except OSError as exc:
        raise CliError(str(exc), code=1) from None
    counts = ", ".join(f"{kind} {len(rows)}" for kind, rows in records.items())
    typer.echo(f"wrote {target} ({counts})")


@export_app.command("verify")
def export_verify(folder: Received, public_key: PublicKey = None) -> None:
    """Check the manifest's signature and every file's SHA-256; exit 1 naming the first bad file."""
    if not folder.is_dir():
        raise CliError(f"{folder}: not a folder")
    key = signing.load_public_key(public_key) if public_key else signing.private_key(get_settings()).public_key()
    problem = signing.verify(folder, key)
    if problem:
        raise CliError(f"not verified: {problem}", code=1)
    typer.echo(f"verified {folder}")


@export_app.command("public-key")
def export_public_key() -> None:
    """Print the public key (base64) a receiver verifies the platform's exports with."""
    typer.echo(signing.public_key_text(signing.private_key(get_settings()).public_key()))
