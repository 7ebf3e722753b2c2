"""``tandem retention list --as-of DATE``: the records whose retention date is reached, per organisation
(the list an organisation admin proposes as a run; see ``tandem.retention.service``)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from tandem.kit.clock import SystemClock, today_local

retention_app = typer.Typer(help="Retention (保存期限): the records due for anonymisation.", no_args_is_help=True)


@retention_app.command("list")
def list_due(
    as_of: Annotated[str | None, typer.Option("--as-of", help="YYYY-MM-DD (default: today, Asia/Shanghai)")] = None,
) -> None:
    """Print, per broker and adjuster firm, the records due on the date and in no run yet, with counts."""
    from sqlalchemy import select

    from tandem.access.models import Organisation, OrgKind
    from tandem.cli_support import CliError, session_factory
    from tandem.db import unit_of_work
    from tandem.retention import service

    try:
        day = dt.date.fromisoformat(as_of) if as_of else today_local(SystemClock())
    except ValueError:
        raise CliError(f"--as-of: not a date (YYYY-MM-DD): {as_of}") from None
    total = 0
    with unit_of_work(session_factory()) as session:
        kinds = (OrgKind.BROKER, OrgKind.ADJUSTER_FIRM)
        orgs = session.execute(select(Organisation).where(Organisation.kind.in_(kinds)).order_by(Organisation.name))
        for org in orgs.scalars():
            rows = service.due(session, org.id, day)
            total += len(rows)
            for r in rows:
                typer.echo(
                    f"{org.name}  {r.kind:<13}  {r.ref}  ended {r.ends_on.isoformat()}  due {r.due_on.isoformat()}"
                )
    typer.echo(f"{total} record(s) due on {day.isoformat()}")
