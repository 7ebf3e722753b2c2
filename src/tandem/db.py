"""Engine factory, metadata naming convention, column types and the unit of work."""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    DateTime,
    Engine,
    Index,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    cast,
    create_engine,
    event,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from tandem.kit.money import from_fen, to_fen

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def new_id() -> uuid.UUID:
    return uuid.uuid4()


class Money(TypeDecorator[Decimal]):
    """A CNY amount stored as integer fen (BIGINT) on every backend."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Any) -> int | None:
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError("money must not be a float")
        return to_fen(Decimal(value))

    def process_result_value(self, value: int | None, dialect: Any) -> Decimal | None:
        return None if value is None else from_fen(int(value))


class DecimalText(TypeDecorator[Decimal]):
    """An exact decimal (rates, ratios) stored as text so SQLite never goes through float."""

    impl = String(40)
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Any) -> str | None:
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError("decimal must not be a float")
        return format(Decimal(value), "f")

    def process_result_value(self, value: str | None, dialect: Any) -> Decimal | None:
        return None if value is None else Decimal(value)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Aware UTC datetimes only: naive values are refused on write, reads come back aware UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused; use an aware UTC time")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def json_list_contains(column: Any, value: str) -> ColumnElement[bool]:
    """A JSON list column holding ``value`` (compared as stored JSON text: portable SQLite/PostgreSQL)."""
    return cast(column, Text).contains(json.dumps(value), autoescape=True)


def normalise_url(url: str) -> str:
    """Accept ``postgresql://`` and pick the psycopg 3 driver."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def make_engine(url: str, **kwargs: Any) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # Let SQLAlchemy drive transactions; we emit BEGIN IMMEDIATE ourselves (no lock upgrades).
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    return create_engine(url, **kwargs)


_FROM_SETTINGS = "from settings"


def make_session_factory(
    engine: Engine, audit_key: str | None = _FROM_SETTINGS, settings: object = None
) -> sessionmaker[Session]:
    """Sessions on ``engine``, carrying the audit key (``TANDEM_AUDIT_KEY`` unless given) in ``info``, and
    the app's settings when given (``tandem.settings``: rules read where no settings are passed down, such
    as the registration review of :mod:`tandem.party.service`)."""
    if audit_key == _FROM_SETTINGS:
        from tandem.config import get_settings

        audit_key = get_settings().audit_key
    info = {"tandem.audit.key": audit_key, "tandem.settings": settings}
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True, info=info)


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: commit at the end, roll back on any exception."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


_T = TypeVar("_T")


def per_transaction(session: Session, key: str, make: Callable[[], _T]) -> _T:
    """A value kept in ``session.info`` for the current transaction only: made again after a commit or a
    rollback, so it never outlives what it was read or locked in."""
    txn = session.get_transaction()
    held = session.info.get(key)
    if held is not None and txn is not None and held[0] is txn:
        kept: _T = held[1]
        return kept
    value = make()  # may itself begin the transaction
    session.info[key] = (session.get_transaction(), value)
    return value


def insert_or_skip(session: Session, entity: Any, *conflict: str) -> Any:
    """``INSERT … ON CONFLICT (conflict) DO NOTHING`` in the session's dialect (PostgreSQL or SQLite);
    add ``.values(…)`` and, where wanted, ``.returning(…)``."""
    ins = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    return ins(entity).on_conflict_do_nothing(index_elements=list(conflict))


_UNIQUE_FAILED = re.compile(r"UNIQUE constraint failed: ([\w.]+(?:, [\w.]+)*)")


def violated_constraint(exc: IntegrityError) -> str | None:
    """The name of the constraint an INSERT/UPDATE broke: PostgreSQL reports it; SQLite names only the
    table and columns of a unique constraint, which the models' metadata turns back into its name."""
    diag = getattr(exc.orig, "diag", None)
    name = getattr(diag, "constraint_name", None)
    if name:
        return str(name)
    found = _UNIQUE_FAILED.search(str(exc.orig))
    if found is None:
        return None
    cols = [c.split(".", 1) for c in found.group(1).split(", ")]
    table = Base.metadata.tables.get(cols[0][0])
    wanted = {c[-1] for c in cols}
    if table is None:
        return None
    for constraint in (*table.constraints, *table.indexes):
        if isinstance(constraint, UniqueConstraint | Index) and {c.name for c in constraint.columns} == wanted:
            if isinstance(constraint, UniqueConstraint) or constraint.unique:
                return str(constraint.name)
    return None
