"""``tandem experts import FILE.jsonl``, ``tandem experts export [--owner ORG] [-o FILE]`` and
``tandem experts search TEXT``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

experts_app = typer.Typer(help="Expert pools (专家库): import and export profiles, search.", no_args_is_help=True)


@experts_app.command("import")
def import_command(file: Annotated[Path, typer.Argument(help="JSONL file of expert profiles")]) -> None:
    """Import or update expert profiles by their own id; all or nothing."""
    from tandem.cli_support import CliError, session_factory
    from tandem.config import get_settings
    from tandem.db import unit_of_work
    from tandem.expert import service
    from tandem.kit.clock import SystemClock

    if not file.is_file():
        raise CliError(f"{file}: no such file")
    try:
        rows, errors = service.read_profiles(file)
    except UnicodeDecodeError:
        raise CliError(f"{file}: not UTF-8 text") from None
    if errors:
        for err in errors[:50]:
            typer.echo(f"{file}: {err}", err=True)
        more = " (first 50 shown)" if len(errors) > 50 else ""
        raise CliError(f"{file}: {len(errors)} invalid lines{more}; nothing imported")
    settings = get_settings()
    factory = session_factory()
    with unit_of_work(factory) as session:
        try:
            result = service.import_profiles(session, rows, SystemClock().now())
        except ValueError as exc:
            raise CliError(f"{file}: {exc}; nothing imported") from None
    with unit_of_work(factory) as session:
        service.sync_index(session, settings)
    typer.echo(result.summary())


@experts_app.command("export")
def export_command(
    owner: Annotated[str | None, typer.Option(help="only the pool of this organisation (its name)")] = None,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="file to write (default: stdout)")] = None,
) -> None:
    """Write expert profiles as JSON Lines, in the schema ``import`` reads (export, import: no change)."""
    from sqlalchemy import select

    from tandem.access.models import Organisation
    from tandem.cli_support import CliError, session_factory
    from tandem.db import unit_of_work
    from tandem.expert import service

    with unit_of_work(session_factory()) as session:
        owner_id = None
        if owner is not None:
            owner_id = session.execute(select(Organisation.id).where(Organisation.name == owner)).scalar_one_or_none()
            if owner_id is None:
                raise CliError(f"--owner: no organisation named {owner!r}")
        lines = service.export_profiles(session, owner_id)
        if output is None:
            for line in lines:
                typer.echo(line, nl=False)
            return
        count = 0
        tmp = output.with_name(f".{output.name}.tmp")
        try:
            with tmp.open("w", encoding="utf-8") as fh:
                for line in lines:
                    fh.write(line)
                    count += 1
            tmp.replace(output)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise CliError(f"{output}: {exc.strerror or exc}") from None
    typer.echo(f"exported {count} experts to {output}", err=True)


@experts_app.command("search")
def search_command(
    text: Annotated[str, typer.Argument(help="loss notice text")],
    line: Annotated[str | None, typer.Option(help="line of insurance (soft filter)")] = None,
    region: Annotated[str | None, typer.Option(help="province (soft filter)")] = None,
    top: Annotated[int, typer.Option(min=1, max=1000, help="number of results")] = 10,
    as_user: Annotated[str | None, typer.Option("--as", help="only experts this user may see")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON output")] = False,
) -> None:
    """Rank the experts for a loss notice, best first."""
    from sqlalchemy import select

    from tandem.access import scope
    from tandem.access.actor import Actor
    from tandem.access.models import User
    from tandem.cli_support import CliError, session_factory
    from tandem.config import get_settings
    from tandem.db import unit_of_work
    from tandem.expert import service

    settings = get_settings()
    with unit_of_work(session_factory()) as session:
        allowed: set[str] | None = None
        if as_user is not None:
            user = session.execute(select(User).where(User.username == as_user)).scalar_one_or_none()
            if user is None:
                raise CliError(f"--as: no user named {as_user!r}")
            allowed = service.keys_of(session, scope.visible_experts(Actor.from_user(user)))
        hits = service.search(session, settings, text, line=line, region=region, top=top, allowed=allowed, wait=None)
    if as_json:
        out = [{"id": h.id, "name": h.name, "score": round(h.score, 6), "matched": h.matched} for h in hits]
        typer.echo(json.dumps(out, ensure_ascii=False))
        return
    for rank, h in enumerate(hits, start=1):
        typer.echo(f"{rank:>3}  {h.id}  {h.name}  {h.score:.3f}  {', '.join(h.matched)}")
