"""Run Alembic migrations programmatically (``tandem db upgrade``, tests)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, create_engine, text

from tandem.config import ROOT
from tandem.db import normalise_url


def alembic_config(url: str) -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(Path(ROOT / "migrations")))
    cfg.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(url), revision)


def check(url: str) -> None:
    command.check(alembic_config(url))


def grant_runtime(owner_url: str, role: str, *, create: bool = False) -> list[str]:
    """Let ``role`` run the application on a PostgreSQL database migrated by the owner of ``owner_url``:
    data rights on every table and sequence, no ownership (so it can neither drop nor disable a
    trigger, nor alter a table), and no UPDATE, DELETE or TRUNCATE at all on the append-only tables
    (audit events, seals, submitted reports …: the tables with an ``*_append_only`` trigger). It may
    create objects in the schema, for the number sequences it makes on first use. ``create`` makes the
    role (LOGIN, no other attribute) when it does not exist. Returns warnings, empty when the role is
    a proper runtime role."""
    engine = create_engine(normalise_url(owner_url), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            ident = conn.dialect.identifier_preparer.quote(role)
            exists = conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).first()
            if exists is None and create:
                conn.execute(text(f"CREATE ROLE {ident} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS"))
            database = conn.execute(text("SELECT current_database()")).scalar_one()
            db_ident = conn.dialect.identifier_preparer.quote(database)
            conn.execute(text(f"GRANT CONNECT ON DATABASE {db_ident} TO {ident}"))
            conn.execute(text(f"GRANT USAGE, CREATE ON SCHEMA public TO {ident}"))
            conn.execute(text(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {ident}"))
            conn.execute(text(f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {ident}"))
            # Number sequences the owner creates later (its own first use of a kind and year, e.g. a CLI
            # run as the owner) stay usable by the runtime role.
            conn.execute(
                text(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO {ident}")
            )
            append_only = conn.execute(
                text(
                    "SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                    "WHERE t.tgname LIKE '%\\_append\\_only' AND NOT t.tgisinternal ORDER BY 1"
                )
            ).scalars()
            for table in [*append_only, "alembic_version"]:
                conn.execute(text(f"REVOKE UPDATE, DELETE, TRUNCATE ON {table} FROM {ident}"))
            return _runtime_warnings(conn, role)
    finally:
        engine.dispose()


def _runtime_warnings(conn: Connection, role: str) -> list[str]:
    warnings: list[str] = []
    attrs = conn.execute(text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = :r"), {"r": role}).first()
    if attrs is None:
        return [f"role {role} does not exist (create it, or pass --create)"]
    if attrs[0] or attrs[1]:
        warnings.append(f"role {role} is a superuser or bypasses row security: it can disable triggers")
    owned = conn.execute(
        text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = :r"),
        {"r": role},
    ).scalar_one()
    if owned:
        warnings.append(f"role {role} owns {owned} tables: it can drop or disable their triggers")
    return warnings
