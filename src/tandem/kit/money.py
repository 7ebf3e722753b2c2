"""Money helpers: amounts are Decimal, never float (金额)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")


def cny(value: Decimal | int | str) -> Decimal:
    """Return ``value`` as a Decimal; floats are refused so no binary rounding creeps in."""
    if isinstance(value, bool) or isinstance(value, float):
        raise TypeError("money must not be a float")
    if isinstance(value, Decimal):
        result = value
    else:
        try:
            result = Decimal(str(value).strip())
        except InvalidOperation as exc:
            raise ValueError(f"not a decimal amount: {value!r}") from exc
    if not result.is_finite():
        raise ValueError(f"not a finite amount: {value!r}")
    return result


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
