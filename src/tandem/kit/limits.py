"""Lengths of free text, one constant each, used by the API models, the page forms and the templates."""

from __future__ import annotations

#: The longest reason, note or justification a user may give (withdrawal, decline, refusal, blacklist…).
REASON_MAX = 2000
