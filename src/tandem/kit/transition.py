"""Generic state machine helper: an explicit (state, action) -> rule table, guarded and audited."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from tandem.kit.errors import ActionNotAllowed, IllegalTransition


@dataclass(frozen=True)
class Rule:
    to: str
    by: frozenset[str]
    guard: Callable[..., None] | None = None


Table = Mapping[tuple[str, str], Rule]


def resolve(table: Table, state: str, action: str, roles: frozenset[str]) -> Rule:
    """Find the rule for (state, action) and check the actor's roles; raise 409/403 otherwise."""
    rule = table.get((state, action))
    if rule is None:
        raise IllegalTransition(action=action, state=state)
    if rule.by and not (roles & rule.by):
        raise ActionNotAllowed()
    return rule


def allowed_actions(table: Table, state: str, roles: frozenset[str]) -> list[str]:
    return sorted(a for (s, a), r in table.items() if s == state and (not r.by or roles & r.by))


def check_guard(rule: Rule, *args: Any) -> None:
    if rule.guard is not None:
        rule.guard(*args)
