"""Reading a JSON input document for the pure engines (command line and data feeds).

``InputFieldError`` is deliberately not in :mod:`tandem.kit.errors`: its first argument is a field path,
not a translatable message.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

__all__ = ["InputFieldError", "decode_document"]


class InputFieldError(ValueError):
    """Bad input to a pure engine (command line, data feeds): ``path`` names the field in the
    contracts' notation (``cases[3].settled_amount``, ``min_cases``; ``""`` for the document as a
    whole) and ``message`` says what is wrong. ``str()`` is ``"path: message"``."""

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        self.message = message
        super().__init__(f"{path}: {message}" if path else message)


def decode_document(
    text: str | bytes,
    *,
    parse_int: Callable[[str], Any],
    parse_float: Callable[[str], Any],
    parse_constant: Callable[[str], Any],
    object_pairs_hook: Callable[[list[tuple[str, Any]]], Any],
) -> Any:
    """Parse UTF-8 JSON text (a byte order mark is tolerated) with the given hooks.

    Text that is not UTF-8, not JSON or nested too deeply raises :class:`InputFieldError` with an
    empty path and a one-line message (line and column of the problem).
    """
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InputFieldError("", f"the input is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    try:
        return json.loads(
            text,
            parse_int=parse_int,
            parse_float=parse_float,
            parse_constant=parse_constant,
            object_pairs_hook=object_pairs_hook,
        )
    except json.JSONDecodeError as exc:
        raise InputFieldError("", f"invalid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    except RecursionError:
        raise InputFieldError("", "invalid JSON: nested too deeply") from None
