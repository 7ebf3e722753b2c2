"""One error base class carrying an HTTP status and a stable dotted code."""

from __future__ import annotations

from typing import Any


class TandemError(Exception):
    """Base of every domain error. ``message`` is an English msgid, translated at the edge."""

    status: int = 400
    code: str = "tandem.error"
    message: str = "Request failed."

    def __init__(self, message: str | None = None, *, fields: dict[str, str] | None = None, **params: Any) -> None:
        if message is not None:
            self.message = message
        self.params = params
        self.fields = fields
        super().__init__(self.message.format(**params) if params else self.message)


class NotFound(TandemError):
    """Missing and not-visible look exactly the same (one body, 404)."""

    status = 404
    code = "not_found"
    message = "Not found."


class ActionNotAllowed(TandemError):
    status = 403
    code = "access.action_not_allowed"
    message = "You may not do this."


class NotAuthenticated(TandemError):
    status = 401
    code = "auth.not_authenticated"
    message = "Please log in."


class Conflict(TandemError):
    status = 409
    code = "conflict"
    message = "The request conflicts with the current state."


class IllegalTransition(Conflict):
    code = "state.illegal_transition"
    message = "Action {action} is not possible in state {state}."


class StateChanged(Conflict):
    code = "state.changed"
    message = "Someone else changed this first; reload and try again."


class InvalidInput(TandemError):
    status = 422
    code = "invalid_input"
    message = "Invalid input."


class NeedsConfirmation(InvalidInput):
    """A step that cannot be undone (closing a claim, ending a round) is taken only when the request says
    ``confirm: true``, as the pages ask for a ticked box."""

    code = "confirmation_required"
    message = "Confirm this step: send it again with confirm: true."

    def __init__(self) -> None:
        super().__init__(fields={"confirm": "must be true to confirm this step"})


class RateLimited(TandemError):
    status = 429
    code = "auth.rate_limited"
    message = "Too many attempts; try again later."


class ConcurrentChange(Conflict):
    code = "conflict.concurrent"
    message = "This conflicts with a change made at the same time; reload and try again."


class BodyTooLarge(TandemError):
    status = 413
    code = "request.too_large"
    message = "The request is too large (files up to 20 MB)."
