"""Money helpers: amounts are Decimal, never float (金额)."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
# The one syntax of a decimal typed or written as text: digits with an optional fraction (``12``, ``12.50``,
# ``.5``), a minus sign, and, where allowed, an exponent (``1.2E+5``).
_DECIMAL_TEXT = re.compile(r"-?(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)")
_EXPONENT = re.compile(r"[eE][+-]?[0-9]+")
# What people type between digits and around an amount: spaces, group separators, a currency sign.
_GROUPING = re.compile(r"[\s,，_]")
_CURRENCY = ("CN¥", "¥", "￥")


class DecimalInputError(ValueError):
    """Why a value is not a usable decimal. ``kind`` says which rule it broke (``type``, ``float``,
    ``syntax``, ``unusable``, ``non_finite``, ``range``); ``problem`` completes a sentence about the field."""

    def __init__(self, kind: str, problem: str) -> None:
        super().__init__(problem)
        self.kind = kind
        self.problem = problem


def parse_decimal(
    value: object,
    *,
    exponent: bool = True,
    grouping: bool = False,
    digits: int | None = 18,
    places: int | None = 20,
) -> Decimal:
    """The one decimal parser for input (forms, reports, calculation files): a Decimal from a decimal
    string, a JSON number read as Decimal, or an int; never a float, never NaN or infinity, never larger
    than ``10**digits`` or finer than ``places`` decimals. ``grouping`` drops spaces, group separators
    and a leading ¥ first (what people type in a form); ``exponent`` allows ``1E+5``. Raises
    :class:`DecimalInputError`."""
    if isinstance(value, bool) or value is None:
        raise DecimalInputError("type", "must be a decimal number")
    if isinstance(value, float):
        raise DecimalInputError("float", "must be a decimal string or number, not a float")
    if isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, Decimal):
        result = value
    elif isinstance(value, str):
        text = value.strip()
        if grouping:
            text = _GROUPING.sub("", text)
            for sign in _CURRENCY:
                text = text.removeprefix(sign)
        mantissa = _EXPONENT.split(text, maxsplit=1)[0] if exponent else text
        tail = text[len(mantissa) :]
        if not _DECIMAL_TEXT.fullmatch(mantissa) or (tail and not _EXPONENT.fullmatch(tail)):
            raise DecimalInputError("syntax", f"not a decimal number: {value!r}")
        try:
            result = Decimal(text)
        except ArithmeticError:
            raise DecimalInputError("unusable", f"not a usable decimal number: {value!r}") from None
    else:
        raise DecimalInputError("type", "must be a decimal number")
    if not result.is_finite():
        raise DecimalInputError("non_finite", "must be a finite number")
    if digits is not None and places is not None:
        problem = out_of_range(result, digits=digits, places=places)
        if problem:
            raise DecimalInputError("range", problem)
    return result


def cny(value: Decimal | int | str) -> Decimal:
    """Return ``value`` as a Decimal; floats are refused so no binary rounding creeps in."""
    try:
        return parse_decimal(value, digits=None, places=None)
    except DecimalInputError as exc:
        if exc.kind in ("type", "float"):
            raise TypeError("money must not be a float") from None
        raise


def out_of_range(value: Decimal, *, digits: int = 18, places: int = 20) -> str | None:
    """Why a finite decimal cannot be used as a figure: ``is too large`` (10**digits or more in size) or
    ``has more than N decimal places``; None when it can. Judged on the digits and exponent alone, with
    no context arithmetic, so an exponent beyond the context (``1E+999999999``) is refused, not raised."""
    if value.is_zero():
        return None
    if value.adjusted() >= digits:
        return "is too large"
    _sign, coefficient, exponent = value.as_tuple()
    assert isinstance(exponent, int), "finite decimals only"
    trailing_zeros = len(coefficient) - len("".join(map(str, coefficient)).rstrip("0"))
    if exponent + trailing_zeros < -places:
        return f"has more than {places} decimal places"
    return None


def round_cny(value: Decimal) -> Decimal:
    """Round to the fen, half up (the only rounding rule money uses)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def to_fen(value: Decimal) -> int:
    return int(round_cny(value) * 100)


def from_fen(fen: int) -> Decimal:
    return (Decimal(fen) / 100).quantize(CENT)


def fmt(value: Decimal) -> str:
    """Canonical string form used by the API: two decimals, no exponent."""
    return f"{round_cny(value):.2f}"
