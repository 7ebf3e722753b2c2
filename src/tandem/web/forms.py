"""Small parsers for page forms: amounts, local date-times, whole numbers. Each returns the value or
an error msgid to show beside the field; nothing here raises for bad input."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from tandem.kit.clock import SHANGHAI
from tandem.kit.errors import ActionNotAllowed, Conflict, InvalidInput, TandemError
from tandem.kit.i18n import N_, gettext
from tandem.kit.limits import REASON_MAX
from tandem.kit.money import DecimalInputError, parse_decimal
from tandem.schemas import as_utc, bounded_date

REQUIRED = N_("Required.")  # the same msgid as the login form's
TOO_LONG = N_("Too long.")
FIELD_REQUIRED = N_("This field is required.")
REASON_TOO_LONG = N_("At most 2000 characters.")
BAD_AMOUNT = N_("Enter an amount such as 12500.00.")
NEGATIVE = N_("The amount cannot be negative.")
NOT_POSITIVE = N_("The amount must be more than zero.")
TOO_MANY_DECIMALS = N_("At most two decimals.")
TOO_LARGE = N_("The amount is too large.")
BAD_DATETIME = N_("Enter a date and time.")
BAD_DAY = N_("Enter a date.")
BAD_NUMBER = N_("Enter a number.")
BAD_RATE = N_("Enter a percentage between 0 and 100.")
BAD_WHOLE = N_("Enter a whole number between {low} and {high}.")

MAX_AMOUNT = Decimal("1e15")


@dataclass
class FormState:
    """What one form on a page needs after a failed post: the values typed and the field errors."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, object] = field(default_factory=dict)

    def get(self, name: str, default: Any = "") -> Any:
        return self.values.get(name, default)


class FormBag(dict[str, FormState]):
    """Form states by form name; a form that was not posted is empty."""

    def __missing__(self, key: str) -> FormState:
        return FormState()


def page_forms(states: Mapping[str, FormState] | None, alert: object, notice: object) -> dict[str, Any]:
    """What a page with forms puts in its context: the states of the forms posted (``fs``), the alert, the
    done notice and the longest reason a form takes."""
    return {"fs": FormBag(dict(states or {})), "alert": alert, "notice": notice, "REASON_MAX": REASON_MAX}


@dataclass
class PageState:
    """What a page shows besides its object: the form's values, errors, an alert or a done notice."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, object] = field(default_factory=dict)
    alert: TandemError | None = None
    notice: str | None = None


def perform(session: Session, state: PageState, step: Callable[[], None]) -> int | None:
    """Run one step of a page's form: None when it went through; otherwise rolled back, with the error
    beside the form's fields it names (422) or as the page's alert, and the status to render with."""
    try:
        step()
    except (Conflict, ActionNotAllowed, InvalidInput) as exc:
        session.rollback()
        named = [name for name in (exc.fields or {}) if name in state.values] if isinstance(exc, InvalidInput) else []
        if named:
            state.errors.update(dict.fromkeys(named, exc))
            return 422
        state.alert = exc
        return exc.status
    return None


def required_text(value: str, errors: dict[str, object], name: str) -> str:
    """A required free text of at most ``REASON_MAX`` characters (a reason, an answer), stripped."""
    value = value.strip()
    if not value:
        errors[name] = FIELD_REQUIRED
    elif len(value) > REASON_MAX:
        errors[name] = REASON_TOO_LONG
    return value


def text(form: Mapping[str, Any], name: str, limit: int = 5000) -> str:
    value = form.get(name)
    return value.strip()[: limit + 1] if isinstance(value, str) else ""


def decimal(value: str) -> Decimal | None:
    """A non-negative decimal as people type it (``12,500.00``, ``¥12500``, ``.5``); None when it is not one."""
    try:
        found = parse_decimal(value, grouping=True, exponent=False, digits=None, places=None)
    except DecimalInputError:
        return None
    return None if found.is_signed() else found


def money(
    value: str, errors: dict[str, object], name: str, *, required: bool = True, positive: bool = False
) -> Decimal | None:
    """An amount in yuan with at most two decimals (``12,500.00``, ``¥12500`` are fine)."""
    if not value.strip():
        if required:
            errors[name] = REQUIRED
        return None
    if value.strip().startswith("-"):
        errors[name] = NEGATIVE
        return None
    amount = decimal(value)
    if amount is None:
        errors[name] = BAD_AMOUNT
        return None
    if amount.as_tuple().exponent < -2:  # type: ignore[operator]
        errors[name] = TOO_MANY_DECIMALS
        return None
    if amount > MAX_AMOUNT:
        errors[name] = TOO_LARGE
        return None
    if positive and amount <= 0:
        errors[name] = NOT_POSITIVE
        return None
    return amount


def number(value: str, errors: dict[str, object], name: str) -> Decimal | None:
    """An optional non-negative decimal (a quantity)."""
    if not value.strip():
        return None
    found = decimal(value)
    if found is None:
        errors[name] = BAD_NUMBER
    return found


def percent(value: str, errors: dict[str, object], name: str) -> Decimal | None:
    """An optional percentage typed as ``10`` or ``10%``; returned as a rate (``0.1``)."""
    if not value.strip():
        return None
    found = decimal(value.strip().rstrip("%％"))
    if found is None or found > 100:
        errors[name] = BAD_RATE
        return None
    return (found / 100).normalize()


def whole(
    value: str, errors: dict[str, object], name: str, low: int, high: int, *, required: bool = True
) -> int | None:
    if not value.strip():
        if required:
            errors[name] = REQUIRED
        return None
    try:
        found = int(value.strip())
    except ValueError:
        found = None
    if found is None or not low <= found <= high:
        from tandem.web.labels import Message

        errors[name] = Message(BAD_WHOLE, {"low": low, "high": high})
        return None
    return found


def local_datetime(value: str, errors: dict[str, object], name: str, *, required: bool = True) -> dt.datetime | None:
    """``2026-11-24T22:30`` (an ``<input type=datetime-local>``) read as Beijing time, returned in UTC."""
    if not value.strip():
        if required:
            errors[name] = REQUIRED
        return None
    try:
        found = dt.datetime.fromisoformat(value.strip().replace(" ", "T"))
        return as_utc(found if found.tzinfo is not None else found.replace(tzinfo=SHANGHAI))
    except ValueError:  # not a time, or outside the years a record spans (schemas.as_utc)
        errors[name] = BAD_DATETIME
        return None


def optional_day(value: str) -> dt.date | None:
    """A date typed as ``2027-01-31`` within the range the API accepts; None when empty or not a date."""
    try:
        return bounded_date(dt.date.fromisoformat(value.strip()))
    except ValueError:
        return None


def day(value: str, errors: dict[str, object], name: str) -> dt.date | None:
    """A required calendar date typed as ``2027-01-31`` (an ``<input type=date>``)."""
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        errors[name] = REQUIRED if not value.strip() else BAD_DAY
        return None


def local_input(value: dt.datetime | None) -> str:
    """The value of an ``<input type=datetime-local>`` for a stored UTC time."""
    if value is None:
        return ""
    return value.astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M")


def uuid_or_none(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value.strip())
    except (ValueError, AttributeError):
        return None


def umpire_choice(form: Mapping[str, Any], message: str) -> tuple[FormState, str, uuid.UUID | None]:
    """The umpire (公断人) picked from a screened list as ``kind:id`` (an expert or an adjuster): the field's
    state, the kind and the id; ``message`` stands beside the field when the choice is not one."""
    state = FormState({"umpire": text(form, "umpire", 80)})
    kind, _, ident = state.values["umpire"].partition(":")
    umpire_id = uuid_or_none(ident)
    if kind not in ("expert", "adjuster") or umpire_id is None:
        state.errors["umpire"] = message
    return state, kind, umpire_id


R = TypeVar("R")


def failed_form(
    session: Session,
    exc: TandemError,
    name: str,
    state: FormState,
    show: Callable[..., R],
    field_of: Callable[[str], str] | None = None,
) -> R:
    """After a failed post: roll back, then ``show`` the page again with the errors beside the fields of form
    ``name`` (a 422 naming them; ``field_of`` maps a service's field path to the form's field), or the error
    as the page's alert. A message the catalogue does not know is shown as the error's (:func:`field_message`)."""
    session.rollback()
    if not exc.fields:
        return show(alert=exc, status=exc.status)
    for path, message in exc.fields.items():
        state.errors[field_of(path) if field_of else path] = field_message(exc, message)
    return show(states={name: state}, status=exc.status)


def head_field(path: str) -> str:
    """The form field of a service's path in an itemised claim: any ``heads…`` path is the heads' own
    error line, ``cause.x`` is ``cause``."""
    return "heads" if path.startswith("heads") else path.split(".")[0]


def readable(exc: TandemError) -> object:
    """The error to show: reason codes in its parameters (``blacklisted, outside_area``) become labels."""
    reasons = exc.params.get("reasons")
    if isinstance(reasons, str) and reasons:
        from tandem.web.labels import Message

        codes = [("exclusion", c.strip()) for c in reasons.split(",") if c.strip()]
        return Message(exc.message, {**exc.params, "reasons": codes})
    return exc


def field_message(exc: TandemError, message: object) -> object:
    """What to show beside one field a service named: its own message when the catalogue knows it (a msgid),
    else the error's (a service's plain detail such as a validator's English words is never shown)."""
    if isinstance(message, str) and gettext(message, "zh_CN") != message:
        return message
    return readable(exc)


def service_errors(
    exc: TandemError, errors: dict[str, object], default: str, rename: Mapping[str, str] | None = None
) -> None:
    """Put a service's 422/409 message beside the fields it names (or ``default``)."""
    names = list(exc.fields or {}) or [default]
    for name in names:
        errors[(rename or {}).get(name, name)] = readable(exc)
