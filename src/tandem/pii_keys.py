"""``tandem pii new-key | status | rotate-key``: the key ring of ID and phone numbers at rest (tandem.kit.pii).

Rotation: put a new key first in TANDEM_PII_KEYS (the old ones after it), restart, run ``rotate-key``
until it reports nothing left, then remove the old key. Each batch is its own transaction, so a run
that stops is resumed by running it again: it picks only values not yet under the newest key."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Annotated, Any

import typer
from sqlalchemy import Column, Engine, String, Table, literal, select, type_coerce, update

from tandem.kit import pii

pii_app = typer.Typer(help="Encryption at rest of ID and phone numbers: keys and rotation.", no_args_is_help=True)


@dataclass(frozen=True)
class Target:
    table: Table
    column: Column[Any]
    purpose: str


def targets() -> list[Target]:
    """Every encrypted column of the schema (every model's column typed ``Encrypted``)."""
    import tandem.models  # noqa: F401 - registers every model's table
    from tandem.db import Base

    out: list[Target] = []
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, pii.Encrypted):
                out.append(Target(table, column, column.type.purpose))
    return out


def _raw(target: Target) -> Any:
    return type_coerce(target.column, String)  # the stored text, not decrypted


def key_counts(engine: Engine) -> dict[str, Counter[str]]:
    """Per ``table.column``: how many values are stored under each key id (``plain``: not encrypted)."""
    out: dict[str, Counter[str]] = {}
    with engine.connect() as conn:
        for t in targets():
            values = conn.execute(select(_raw(t)).where(t.column.is_not(None))).scalars()
            out[f"{t.table.name}.{t.column.name}"] = Counter(pii.key_id(v) or "plain" for v in values)
    return out


def rotate(engine: Engine, keys: pii.KeyRing, batch: int = 500) -> dict[str, int]:
    """Re-encrypt every value not under the newest key with it, ``batch`` rows per transaction; returns
    how many values of each ``table.column`` were re-encrypted. PiiKeyError when a value cannot be read
    (its key is no longer in the ring)."""
    done: dict[str, int] = {}
    newest = f"{pii.PREFIX}:{keys.newest}:%"
    for t in targets():
        (pk,) = t.table.primary_key.columns
        name = f"{t.table.name}.{t.column.name}"
        done[name] = 0
        while True:
            with engine.begin() as conn:
                rows = conn.execute(
                    select(pk, _raw(t))
                    .where(t.column.is_not(None), ~_raw(t).like(literal(newest)))
                    .order_by(pk)
                    .limit(batch)
                ).all()
                for key, stored in rows:
                    plain = keys.decrypt(stored, t.purpose) if pii.key_id(stored) else stored
                    sealed = keys.encrypt(plain, t.purpose)
                    conn.execute(update(t.table).where(pk == key).values({t.column.name: type_coerce(sealed, String)}))
            done[name] += len(rows)
            if len(rows) < batch:
                break
    return done


@pii_app.command("new-key")
def new_key() -> None:
    """Print a fresh random 32-byte key (base64), for TANDEM_PII_KEYS (as ``id:key``) or TANDEM_PII_INDEX_KEY."""
    typer.echo(pii.new_key())


@pii_app.command("status")
def status() -> None:
    """How many stored values each key id holds, per encrypted column."""
    from tandem.cli_support import CliError
    from tandem.config import get_settings
    from tandem.db import make_engine

    try:
        ring = pii.configure(get_settings())
    except pii.PiiKeyError as exc:
        raise CliError(str(exc), code=1) from None
    engine = make_engine(get_settings().database_url)
    typer.echo(f"newest key: {ring.newest}")
    for name, counts in key_counts(engine).items():
        typer.echo(f"{name}: " + (", ".join(f"{k} {n}" for k, n in sorted(counts.items())) or "no values"))


@pii_app.command("rotate-key")
def rotate_key(
    batch: Annotated[int, typer.Option(min=1, max=100_000, help="rows per transaction")] = 500,
) -> None:
    """Re-encrypt every ID and phone number with the newest key of TANDEM_PII_KEYS (resumable)."""
    from tandem.cli_support import CliError
    from tandem.config import get_settings
    from tandem.db import make_engine

    try:
        ring = pii.configure(get_settings())
        done = rotate(make_engine(get_settings().database_url), ring, batch)
    except pii.PiiKeyError as exc:
        raise CliError(str(exc), code=1) from None
    total = sum(done.values())
    typer.echo(f"re-encrypted {total} values with key {ring.newest}; every value is now under it")
