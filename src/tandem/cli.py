"""Command line (Typer): ``tandem db upgrade``, ``demo load``, ``serve``, ``users create``, ``admin
create-platform-admin``, ``validate``, ``audit verify``, ``calc payable``, ``reconcile``, ``calendar``.
Every failure is one line on stderr, no traceback."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from tandem.cli_support import CliError, session_factory
from tandem.config import get_settings

app = typer.Typer(
    help="Tandem — broker–adjuster co-processing platform.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
demo_app = typer.Typer(help="Demo data.", no_args_is_help=True)
users_app = typer.Typer(help="Users.", no_args_is_help=True)
validate_app = typer.Typer(help="Check Chinese identifiers (ID number, USCC).", no_args_is_help=True)
audit_app = typer.Typer(help="The audit log.", no_args_is_help=True)
admin_app = typer.Typer(help="Running the platform: its administrators.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(demo_app, name="demo")
app.add_typer(users_app, name="users")
app.add_typer(validate_app, name="validate")
app.add_typer(audit_app, name="audit")
app.add_typer(admin_app, name="admin")


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Create or migrate the configured database to the latest schema."""
    from tandem import migrate

    migrate.upgrade(_owner_url(), revision)
    typer.echo("database is up to date")


def _owner_url() -> str:
    settings = get_settings()
    return settings.migration_database_url or settings.database_url


@db_app.command("grant-runtime")
def db_grant_runtime(
    role: Annotated[str | None, typer.Argument(help="runtime role (default: the user of TANDEM_DATABASE_URL)")] = None,
    create: Annotated[bool, typer.Option(help="create the role (LOGIN only) if it does not exist")] = False,
) -> None:
    """PostgreSQL: give the runtime role data rights on the tables the migration role owns, and none on
    the append-only tables beyond SELECT and INSERT (run as the owner, after db upgrade)."""
    from sqlalchemy.engine import make_url

    from tandem import migrate
    from tandem.db import normalise_url

    settings = get_settings()
    if settings.is_sqlite:
        typer.echo("SQLite has no roles; nothing to grant")
        return
    role = role or make_url(normalise_url(settings.database_url)).username
    if not role:
        raise CliError("ROLE: none given and TANDEM_DATABASE_URL names no user")
    warnings = migrate.grant_runtime(_owner_url(), role, create=create)
    for warning in warnings:
        typer.echo(f"warning: {warning}", err=True)
    typer.echo(f"granted runtime rights to {role}")


@db_app.command("check")
def db_check() -> None:
    """Fail when the models and the migrations disagree."""
    from tandem import migrate

    migrate.check(_owner_url())
    typer.echo("models and migrations agree")


@demo_app.command("load")
def demo_load(
    claims: Annotated[bool, typer.Option("--claims/--no-claims", help="also one claim at each stage")] = True,
) -> None:
    """Load the demo organisations, users (password tandem-demo), policies and claims at every stage (a
    finished dispute with its MoU, a paid claim, …). Idempotent."""
    from tandem import demo
    from tandem.db import unit_of_work
    from tandem.kit.clock import SystemClock

    with unit_of_work(session_factory()) as session:
        loaded = demo.load(session, get_settings(), SystemClock().now(), claims=claims)
    typer.echo("demo data loaded" if loaded else "demo data already present; nothing changed")


@app.command("serve")
def serve(
    host: Annotated[str | None, typer.Option(help="bind address")] = None,
    port: Annotated[int | None, typer.Option(help="port (TANDEM_PORT)")] = None,
    workers: Annotated[int, typer.Option(help="server processes")] = 1,
    with_worker: Annotated[
        bool,
        typer.Option("--with-worker", help="also run one outbox worker (PDFs, timers, e-mail); both stop together"),
    ] = False,
) -> None:
    """Serve the web app and API (with ``--with-worker``, and an outbox worker beside it: one Ctrl-C stops both)."""
    import subprocess
    import sys

    import uvicorn

    settings = get_settings()
    worker_proc = (
        subprocess.Popen([sys.executable, "-c", "from tandem.cli import main; main()", "worker"])
        if with_worker
        else None
    )
    try:
        uvicorn.run(
            "tandem.asgi:app",
            host=host or settings.host,
            port=port or settings.port,
            workers=workers,
            log_level="info",
            proxy_headers=settings.forwarded_allow_ips is not None,
            forwarded_allow_ips=settings.forwarded_allow_ips,
        )
    finally:
        if worker_proc is not None:
            worker_proc.terminate()
            try:
                worker_proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                worker_proc.kill()
                worker_proc.wait()


@users_app.command("create")
def users_create(
    username: str,
    organisation: Annotated[str, typer.Option(help="organisation name")],
    role: Annotated[list[str], typer.Option(help="role (repeatable)")],
    display_name: Annotated[str | None, typer.Option()] = None,
    password: Annotated[str | None, typer.Option(envvar="TANDEM_NEW_PASSWORD", help="or TANDEM_NEW_PASSWORD")] = None,
) -> None:
    """Create a user in an existing organisation."""
    from sqlalchemy import select

    from tandem.access.models import Organisation, Role
    from tandem.access.service import create_user
    from tandem.db import unit_of_work
    from tandem.kit.clock import SystemClock

    try:
        roles = [Role(r) for r in role]
    except ValueError:
        raise CliError(f"--role: unknown role; choose from {', '.join(r.value for r in Role)}") from None
    if not password:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    with unit_of_work(session_factory()) as session:
        org = session.execute(select(Organisation).where(Organisation.name == organisation)).scalar_one_or_none()
        if org is None:
            raise CliError(f"--organisation: no organisation named {organisation!r}")
        create_user(
            session,
            get_settings(),
            organisation=org,
            username=username,
            display_name=display_name or username,
            password=password,
            roles=roles,
            at=SystemClock().now(),
        )
    typer.echo(f"user {username} created")


@admin_app.command("create-platform-admin")
def create_platform_admin(
    username: str,
    email: Annotated[str | None, typer.Option(help="e-mail address (password resets are mailed there)")] = None,
    display_name: Annotated[str | None, typer.Option()] = None,
    password: Annotated[str | None, typer.Option(envvar="TANDEM_NEW_PASSWORD", help="or TANDEM_NEW_PASSWORD")] = None,
) -> None:
    """Create a platform administrator (on an empty database: the platform organisation too). They
    set up TOTP at their first login, then open the organisations of the platform."""
    from tandem.access.onboarding import create_platform_admin as create
    from tandem.db import unit_of_work
    from tandem.kit.clock import SystemClock

    if not password:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    with unit_of_work(session_factory()) as session:
        create(
            session,
            get_settings(),
            username=username,
            display_name=display_name or username,
            email=email,
            password=password,
            now=SystemClock().now(),
        )
    typer.echo(f"platform administrator {username} created")


@validate_app.command("id")
def validate_id(value: str) -> None:
    """Check a resident ID number (GB 11643): prints 'valid' or the reason, exit 1 when invalid."""
    from tandem.kit.ids import IdentifierError, normalise_id_number

    try:
        normalise_id_number(value)
    except IdentifierError as exc:
        typer.echo(f"invalid: {exc}")
        raise typer.Exit(1) from None
    typer.echo("valid")


@validate_app.command("uscc")
def validate_uscc(value: str) -> None:
    """Check a unified social credit code (GB 32100): prints 'valid' or the reason, exit 1 when invalid."""
    from tandem.kit.ids import IdentifierError, normalise_uscc

    try:
        normalise_uscc(value)
    except IdentifierError as exc:
        typer.echo(f"invalid: {exc}")
        raise typer.Exit(1) from None
    typer.echo("valid")


@audit_app.command("verify")
def audit_verify(chain: Annotated[str | None, typer.Option(help="verify only this chain key")] = None) -> None:
    """Recompute the hash chains; exit 1 naming the first bad event of each broken chain."""
    from tandem.audit.service import verify
    from tandem.db import unit_of_work

    with unit_of_work(session_factory()) as session:
        breaks = verify(session, chain)
    if breaks:
        for b in breaks:
            typer.echo(f"broken: {b.describe()}", err=True)
        raise typer.Exit(1)
    typer.echo("audit chain intact")


@audit_app.command("seal")
def audit_seal() -> None:
    """Sign a snapshot of every chain head with TANDEM_AUDIT_KEY: run once after setting the key (events
    written before it have no MAC of their own), then periodically (a checkpoint). Verifies first."""
    from tandem.audit.service import seal, verify
    from tandem.db import unit_of_work
    from tandem.kit.clock import SystemClock

    if not get_settings().audit_key:
        raise CliError("TANDEM_AUDIT_KEY: not set; nothing to sign with")
    with unit_of_work(session_factory()) as session:
        breaks = verify(session, allow_unkeyed=True)
        if breaks:
            for b in breaks:
                typer.echo(f"broken: {b.describe()}", err=True)
            raise CliError("the audit chain is broken; nothing sealed", code=1)
        row = seal(session, SystemClock().now())
        typer.echo(f"sealed {len(row.heads)} chains up to event {row.boundary - 1}")


@app.command("worker")
def worker(once: Annotated[bool, typer.Option(help="run one batch and exit")] = False) -> None:
    """Run outbox jobs (e-mail, PDFs, timers). Several workers may run at once."""
    from tandem.kit.clock import SystemClock
    from tandem.worker import runner

    settings, clock = get_settings(), SystemClock()
    if once:
        stats = runner.run_once(session_factory(), settings, clock)
        typer.echo(f"done {stats.done}, retried {stats.retried}, failed {stats.failed}")
        return
    try:
        runner.run_forever(session_factory(), settings, clock)
    except KeyboardInterrupt:  # Ctrl-C (also from serve --with-worker): a job's transaction is rolled back
        pass


@app.command("openapi")
def openapi() -> None:
    """Print the OpenAPI schema."""
    from tandem.app import create_app

    typer.echo(json.dumps(create_app().openapi(), ensure_ascii=False, indent=2, sort_keys=True))


def _mount_optional() -> None:
    """Engines built in their own modules register their commands here. A module that fails to import
    fails the CLI loudly: a command never silently goes missing."""
    from tandem.settlement.cli import calc_app

    app.add_typer(calc_app, name="calc", help="Amount payable (理算) and premium (保费).")
    from tandem.fees.cli import fee_command
    from tandem.premium.cli import premium_command

    calc_app.command("premium", help="Premium, risk-point effects and refunds (保费计算).")(premium_command)
    calc_app.command("fee", help="Adjuster's fee, VAT and due date (公估费).")(fee_command)
    from tandem.reconciliation.cli import reconcile_command

    app.command("reconcile", help="Align two adjusting reports item by item.")(reconcile_command)
    from tandem.expert.cli import experts_app

    app.add_typer(experts_app, name="experts", help="Expert pools (专家库): import, export, search.")
    from tandem.sla.cli import calendar_app

    app.add_typer(calendar_app, name="calendar", help="The working-day calendar (工作日历, 调休): list, set, import.")
    from tandem.neutrality.cli import neutrality_app

    app.add_typer(neutrality_app, name="neutrality", help="Neutrality (相对中立): bias analytics.")
    from tandem.policy.book_cli import import_app

    app.add_typer(import_app, name="import", help="A broker's book (CSV or XLSX): insureds, policies, firms.")
    from tandem.pii_keys import pii_app

    app.add_typer(pii_app, name="pii", help="ID and phone numbers at rest: keys, status, rotation.")
    from tandem.supervision.cli import export_app

    app.add_typer(export_app, name="export", help="Exports: the signed daily supervision feed (监管报送).")
    from tandem.claim.cli import claims_app

    app.add_typer(claims_app, name="claims", help="Loss notices (报案): batch import.")
    from tandem.retention.cli import retention_app

    app.add_typer(retention_app, name="retention", help="Retention (保存期限): the records due for anonymisation.")


_mount_optional()


def main() -> None:
    """Entry point: one line on stderr for every failure, never a traceback."""
    try:
        rc = app(standalone_mode=False)
        sys.exit(rc if isinstance(rc, int) else 0)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except CliError as exc:
        print(f"错误 / error: {exc}", file=sys.stderr)
        sys.exit(exc.code)
    except (typer.Abort, KeyboardInterrupt):
        print("aborted", file=sys.stderr)
        sys.exit(130)
    except Exception as exc:
        from typer._click import exceptions as click_exc

        from tandem.kit.errors import TandemError

        if isinstance(exc, click_exc.UsageError):
            print(f"错误 / error: {exc.format_message()}", file=sys.stderr)
            sys.exit(2)
        if isinstance(exc, click_exc.ClickException):
            print(f"错误 / error: {exc.format_message()}", file=sys.stderr)
            sys.exit(exc.exit_code)
        if isinstance(exc, TandemError):
            fields = "; ".join(f"{k}: {v}" for k, v in (exc.fields or {}).items())
            print(f"错误 / error: {exc}{' (' + fields + ')' if fields else ''}", file=sys.stderr)
            sys.exit(2 if exc.status == 422 else 1)
        print(f"错误 / error: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}", file=sys.stderr)
        sys.exit(1)
