"""Human-readable numbers, gap-free per kind and year on SQLite (a ``counter`` row) and from one
PostgreSQL sequence per kind and year."""

from __future__ import annotations

import datetime as dt
import weakref

from sqlalchemy import Engine, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tandem.claim.models import Counter
from tandem.kit.clock import SHANGHAI

_SEQUENCES: weakref.WeakKeyDictionary[Engine, set[str]] = weakref.WeakKeyDictionary()


def _sequence(session: Session, name: str) -> str:
    """The PostgreSQL sequence behind a counter, created on first use by any process; it starts after the
    counter row of the same name, if one was ever written (numbers continue across the switch)."""
    seq = "number_" + name.replace(":", "_").lower()
    engine = session.get_bind().engine
    known = _SEQUENCES.setdefault(engine, set())
    if seq not in known:
        with engine.connect() as conn:
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            start = conn.execute(select(Counter.value).where(Counter.name == name)).scalar_one_or_none() or 0
            try:
                conn.execute(text(f"CREATE SEQUENCE IF NOT EXISTS {seq} START {int(start) + 1}"))
            except IntegrityError:  # created concurrently by another process: it exists now
                pass
        known.add(seq)
    return seq


def next_number(session: Session, now: dt.datetime, prefix: str = "LP") -> str:
    """The next human-readable number of a kind for this year: LP (claim), QRH (confirmation letter),
    GR (report), MOU.

    On PostgreSQL each kind and year is a sequence: ``nextval`` never waits for another transaction and
    needs no commit of its own, so intake runs in parallel and the first number of a year cannot race.
    A caller that rolls back leaves a gap; two callers never get the same number. On SQLite, which
    serialises writers anyway, it is a row of the ``counter`` table."""
    year = now.astimezone(SHANGHAI).year
    name = f"{prefix}:{year}"
    if session.get_bind().dialect.name == "postgresql":
        value = session.execute(text(f"SELECT nextval('{_sequence(session, name)}')")).scalar_one()
        return f"{prefix}-{year}-{int(value):06d}"
    row = session.execute(
        update(Counter).where(Counter.name == name).values(value=Counter.value + 1).returning(Counter.value)
    ).first()
    if row is None:
        session.add(Counter(name=name, value=1))
        session.flush()
        value = 1
    else:
        value = int(row[0])
    return f"{prefix}-{year}-{value:06d}"
