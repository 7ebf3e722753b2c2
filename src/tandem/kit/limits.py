"""Lengths of free text, one constant each, used by the API models, the page forms and the templates."""

from __future__ import annotations

from tandem.kit.errors import InvalidInput

#: The longest reason, note or justification a user may give (withdrawal, decline, refusal, blacklist…).
REASON_MAX = 2000


def reason_text(value: str | None, field: str = "reason") -> str:
    """A required reason, stripped: 422 naming ``field`` when it is empty or longer than ``REASON_MAX``."""
    text = (value or "").strip()
    if not text:
        raise InvalidInput("A reason is required.", fields={field: "required"})
    if len(text) > REASON_MAX:
        raise InvalidInput("The text is too long.", fields={field: f"at most {REASON_MAX} characters"})
    return text
