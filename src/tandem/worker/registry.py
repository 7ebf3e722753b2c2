"""Task handlers by outbox topic. Handlers are idempotent: delivery is at least once.

Task modules register into ``HANDLERS`` with ``@task``; this module imports none of them (the list of
built-in task modules lives in ``tandem.tasks``, imported by the runner only)."""

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
