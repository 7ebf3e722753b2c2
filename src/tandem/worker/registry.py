"""Task handlers by outbox topic. Handlers are idempotent: delivery is at least once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from tandem.config import Settings

Handler = Callable[[Session, dict[str, Any], dt.datetime, Settings], None]
HANDLERS: dict[str, Handler] = {}


def task(topic: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        HANDLERS[topic] = fn
        return fn

    return register


def load_builtin_tasks() -> None:
    """Import the modules whose tasks register themselves."""
    from tandem.claim import tasks as claim_tasks  # noqa: F401
    from tandem.notification import tasks  # noqa: F401
    from tandem.reconciliation import tasks as reconciliation_tasks  # noqa: F401
