"""Generic state machine helper: an explicit (state, action) -> rule table, guarded and audited."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from tandem.kit.errors import ActionNotAllowed, IllegalTransition, StateChanged, TandemError


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
    """Run the rule's guard (who may act beyond the role, e.g. only the side that did not make the offer)."""
    if rule.guard is not None:
        rule.guard(*args)


def permitted(table: Table, state: str, roles: frozenset[str], *guard_args: Any) -> set[str]:
    """The actions these roles may take in this state whose guards pass for ``guard_args``."""
    ok = set()
    for action in allowed_actions(table, state, roles):
        try:
            check_guard(table[(state, action)], *guard_args)
        except TandemError:
            continue
        ok.add(action)
    return ok


def possible(table: Table, state: str) -> set[str]:
    """The actions anybody may take in this state."""
    return {a for (s, a) in table if s == state}


def move_row(session: Session, row: Any, changes: dict[str, Any]) -> None:
    """Write ``changes`` (the new ``status`` among them) to ``row`` with one conditional UPDATE on its id
    and its current status, so of two concurrent moves one wins and the other gets StateChanged (409);
    the loaded object takes the new values."""
    model = type(row)
    moved = session.execute(
        update(model)
        .where(model.id == row.id, model.status == row.status)
        .values(**changes)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    if moved != 1:
        raise StateChanged()
    for key, value in changes.items():
        set_committed_value(row, key, value)


def move(
    session: Session,
    row: Any,
    table: Table,
    action: str,
    roles: frozenset[str],
    *guard_args: Any,
    values: dict[str, Any] | None = None,
) -> tuple[str, str]:
    """Take ``action`` on ``row`` through ``table``: resolve the rule, run its guard, then move the state
    with a compare-and-set UPDATE, so of two concurrent steps exactly one wins (the other: 409
    ``state.changed``). Returns (before, after)."""
    rule = resolve(table, row.state, action, roles)
    check_guard(rule, *guard_args)
    before = row.state
    model = type(row)
    pk = model.id
    state = model.state
    moved = session.execute(
        update(model)
        .where(pk == row.id, state == before)
        .values(state=rule.to, **(values or {}))
        .returning(pk)
        .execution_options(synchronize_session=False)
    ).first()
    if moved is None:
        raise StateChanged()
    session.refresh(row)
    return before, rule.to
