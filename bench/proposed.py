"""What-if runs: the app with the changes proposed in docs/performance.md applied at import time, so a
benchmark can measure them before they are merged (``--variant proposed``). Mirrors the proposed diffs;
delete once they are in src/.

* ASGI app: ``python -m uvicorn bench.proposed:app --workers N`` (same uvicorn[standard] as ``tandem serve``).
* Worker: ``python -m bench.proposed worker`` (``tandem worker`` with the shorter lease).
"""

from __future__ import annotations

import datetime as dt
import sys
import weakref

from sqlalchemy import Engine, create_engine, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

_NUMBER_POOLS: weakref.WeakKeyDictionary[Engine, Engine] = weakref.WeakKeyDictionary()


def _number_engine(engine: Engine) -> Engine:
    """A small pool of its own: taking a number never waits for the pool of the request asking for it."""
    pool = _NUMBER_POOLS.get(engine)
    if pool is None:
        pool = _NUMBER_POOLS[engine] = create_engine(engine.url, pool_size=1, max_overflow=4, pool_pre_ping=True)
    return pool


def next_number(session: Session, now: dt.datetime, prefix: str = "LP") -> str:
    """Proposed tandem.claim.service.next_number (docs/performance.md, diff 1)."""
    from tandem.claim.models import Counter
    from tandem.kit.clock import SHANGHAI

    year = now.astimezone(SHANGHAI).year
    name = f"{prefix}:{year}"
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        with _number_engine(bind.engine).begin() as conn:
            value = conn.execute(pg_insert(Counter).values(name=name, value=1).on_conflict_do_update(
                index_elements=["name"], set_={"value": Counter.value + 1}).returning(Counter.value)).scalar_one()
        return f"{prefix}-{year}-{int(value):06d}"
    row = session.execute(update(Counter).where(Counter.name == name).values(value=Counter.value + 1)
                          .returning(Counter.value)).first()
    if row is None:
        session.add(Counter(name=name, value=1))
        session.flush()
        value = 1
    else:
        value = int(row[0])
    return f"{prefix}-{year}-{value:06d}"


def patch() -> None:
    import importlib
    from typing import Annotated

    from fastapi import Depends

    from tandem import deps

    # Commit before the response is sent (FastAPI's default "request" scope ends a dependency with
    # yield only after the response has gone out: a crash in between loses an acknowledged notice).
    deps.SessionDep = Annotated[Session, Depends(deps.get_session, scope="function")]  # type: ignore[misc]

    for module in ("tandem.claim.service", "tandem.claim.workflow", "tandem.reconciliation.consultation"):
        try:
            mod = importlib.import_module(module)
        except ImportError:  # pragma: no cover - module not in this tree
            continue
        if hasattr(mod, "next_number"):
            mod.next_number = next_number
    from tandem.worker import runner

    runner.LEASE = dt.timedelta(seconds=60)


def _worker() -> None:
    from tandem.config import get_settings
    from tandem.db import make_engine, make_session_factory
    from tandem.kit.clock import SystemClock
    from tandem.worker import runner

    settings = get_settings()
    runner.run_forever(make_session_factory(make_engine(settings.database_url)), settings, SystemClock())


if __name__ == "__main__" and sys.argv[1:] == ["worker"]:
    patch()
    _worker()
else:
    patch()
    from tandem.app import create_app

    app = create_app()
