"""Keyset pagination: ``{"items": [...], "next": cursor|null}``; cursors are opaque strings."""

from __future__ import annotations

import base64
import json
from typing import Any

from tandem.kit.errors import InvalidInput


def encode_cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values, default=str).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> list[Any] | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("Invalid cursor.", fields={"cursor": "not a cursor from this API"}) from None
    if not isinstance(values, list):
        raise InvalidInput("Invalid cursor.", fields={"cursor": "not a cursor from this API"})
    return values
