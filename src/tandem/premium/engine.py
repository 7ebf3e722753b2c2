"""Premium engine (保费计算): premium, risk-point effects and refunds, exactly as ``premium.md`` says.

premium = sum insured × rate (‰) × rate adjustment coefficient (费率调整系数, kept within the filed
product's bounds) × short-period factor (短期费率). The same engine prices every choice the insured
makes on a risk point (remediate, or accept a loading) and works out the refund when a policy ends early.

Pure functions over :class:`~decimal.Decimal`, no database. Every product is exact: the arithmetic runs
in a context that traps any rounding, so an inexact step raises instead of drifting. The only
divisions that do not terminate (``term_days / 365``, ``term_months / 12``, ``elapsed_days /
term_days``) are kept as fractions and applied at the one rounding of each figure, with integer
arithmetic, so a result that is exactly half a cent rounds up.

Typical use::

    inp = parse_input(loads_json(text))     # validates; PremiumInputError(path, message)
    res = compute(inp)
    doc = result_to_json(res)               # the contract's output document (figures as strings)
    alt = compute(with_choice(inp, Choice.REMEDIATE))   # "if everything were remediated"
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, ROUND_FLOOR, Context, Decimal, Inexact, Rounded, localcontext
from enum import StrEnum
from fractions import Fraction
from typing import Any, TypeVar

from tandem.kit.money import DecimalInputError, out_of_range, parse_decimal
from tandem.settlement.calculator import CalcInputError, NonFiniteToken, loads_json

__all__ = [
    "CURRENCIES",
    "MAX_ENTRIES",
    "SHORT_PERIOD_TABLE",
    "BoundedBy",
    "Choice",
    "Factor",
    "FactorBounds",
    "PremiumInput",
    "PremiumInputError",
    "PremiumResult",
    "RefundMethod",
    "RiskPoint",
    "RiskPointResult",
    "Section",
    "SectionResult",
    "ShortPeriod",
    "TerminatedBy",
    "Termination",
    "TerminationResult",
    "add_months",
    "compute",
    "loads_json",
    "parse_input",
    "price_document",
    "result_to_json",
    "with_choice",
]

#: Bad input: ``path`` names the field (``sections[1].rate_permille``), ``""`` for the whole document.
#: The same class as the claim amount engine's, so one handler serves both calculators.
PremiumInputError = CalcInputError

CURRENCIES: tuple[str, ...] = ("CNY", "USD", "EUR", "HKD", "GBP")

#: 短期费率表: the share of the annual premium by the number of (started) months of cover.
SHORT_PERIOD_TABLE: Mapping[int, Decimal] = {
    months: Decimal(share)
    for months, share in enumerate(
        ("0.10", "0.20", "0.30", "0.40", "0.50", "0.60", "0.70", "0.80", "0.85", "0.90", "0.95", "1.00"), start=1
    )
}

#: Most sections, factors or risk points in one document (each risk point prices the programme twice).
MAX_ENTRIES = 500
#: Every figure is below this magnitude and has at most this many decimal places: the sanity bounds
#: that keep exact arithmetic small (an absurd ``1E+999999999`` is bad input, not a hang).
_MAX_MAGNITUDE_DIGITS = 18
_MAX_PLACES = 20
#: A term is at most this many days (a leap year).
MAX_TERM_DAYS = 366

# The contract's decimal strings: digits, an optional decimal part, an optional leading minus sign.
_DECIMAL_TEXT = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_DATE_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

_ZERO = Decimal(0)
_ONE = Decimal(1)
_THOUSAND = Decimal(1000)


#: Unlimited precision, and any rounding is an error: sums and products stay exact.
_EXACT = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN, traps=[Inexact, Rounded])
_WHOLE = Fraction(1)


class ShortPeriod(StrEnum):
    """How a term shorter than a year is priced."""

    TABLE = "table"  # 短期费率表
    MONTHLY = "monthly"  # 月比例
    DAILY = "daily"  # 日比例
    NONE = "none"


class Choice(StrEnum):
    """The insured's decision on a risk point; ``undecided`` is priced like ``premium``."""

    PREMIUM = "premium"
    REMEDIATE = "remediate"
    UNDECIDED = "undecided"


class TerminatedBy(StrEnum):
    INSURED = "insured"  # 投保人解除
    INSURER = "insurer"  # 保险人解除


class BoundedBy(StrEnum):
    NONE = "none"
    MIN = "min"
    MAX = "max"


class RefundMethod(StrEnum):
    SHORT_PERIOD_TABLE = "short_period_table"
    PRO_RATA_DAILY = "pro_rata_daily"


# --------------------------------------------------------------------------------------------------
# Input model
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Section:
    """One section of the programme (building, machinery, stock …) with its rate in per mille (‰)."""

    code: str
    sum_insured: Decimal
    rate_permille: Decimal


@dataclass(frozen=True)
class Factor:
    """One rate adjustment factor (费率调整因子), multiplied into the coefficient."""

    code: str
    value: Decimal


@dataclass(frozen=True)
class FactorBounds:
    """The range the filed product allows the coefficient; ``None`` is no bound on that side."""

    min: Decimal | None = None
    max: Decimal | None = None


@dataclass(frozen=True)
class RiskPoint:
    """A risk point with its loading (a fraction: ``0.10`` is +10 %) and the insured's choice."""

    ref: str
    loading: Decimal
    choice: Choice


@dataclass(frozen=True)
class Termination:
    """An early end: ``date`` is the first day without cover; ``premium_paid`` defaults to the total."""

    date: dt.date
    by: TerminatedBy
    premium_paid: Decimal | None = None


@dataclass(frozen=True)
class PremiumInput:
    """A validated input document (see :func:`parse_input`)."""

    currency: str
    start: dt.date
    end: dt.date
    sections: tuple[Section, ...]
    short_period: ShortPeriod = ShortPeriod.TABLE
    factors: tuple[Factor, ...] = ()
    factor_bounds: FactorBounds = FactorBounds()
    risk_points: tuple[RiskPoint, ...] = ()
    minimum_premium: Decimal = _ZERO
    termination: Termination | None = None


def with_choice(inp: PremiumInput, choice: Choice) -> PremiumInput:
    """The same input with every risk point's choice set to ``choice`` (the page's "what if")."""
    return replace(inp, risk_points=tuple(replace(rp, choice=choice) for rp in inp.risk_points))


# --------------------------------------------------------------------------------------------------
# Result model
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SectionResult:
    """``annual_premium_exact`` is unrounded; ``annual_premium`` and ``premium`` are rounded to 0.01."""

    code: str
    annual_premium_exact: Decimal
    annual_premium: Decimal
    premium: Decimal


@dataclass(frozen=True)
class RiskPointResult:
    """The price of a risk point: the total with its loading accepted minus the total if remediated."""

    ref: str
    choice: Choice
    loading: Decimal
    total_if_premium: Decimal
    total_if_remediate: Decimal
    premium_effect: Decimal


@dataclass(frozen=True)
class TerminationResult:
    """The refund of an early end; ``annual_total`` is Σ the sections' rounded annual premiums."""

    date: dt.date
    by: TerminatedBy
    premium_paid: Decimal
    elapsed_days: int
    elapsed_months: int
    method: RefundMethod
    annual_total: Decimal
    retained: Decimal
    refund: Decimal


@dataclass(frozen=True)
class PremiumResult:
    """Every step of the contract. Ratios are exact (``short_factor`` a fraction); amounts rounded."""

    currency: str
    term_days: int
    term_months: int
    full_year: bool
    short_period: ShortPeriod
    short_factor: Fraction
    factor_product: Decimal
    loading_product: Decimal
    raw_coefficient: Decimal
    coefficient: Decimal
    bounded_by: BoundedBy
    sections: tuple[SectionResult, ...]
    section_total: Decimal
    total_premium: Decimal
    minimum_premium: Decimal
    minimum_applied: bool
    risk_points: tuple[RiskPointResult, ...]
    termination: TerminationResult | None


# --------------------------------------------------------------------------------------------------
# Validation (parse_input)
# --------------------------------------------------------------------------------------------------


def _at(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def _fields(raw: object, path: str, allowed: Sequence[str]) -> Mapping[str, object]:
    """An object with no unknown or repeated key (the path names the key)."""
    if not isinstance(raw, Mapping):
        raise PremiumInputError(path, "must be an object" if path else "the document must be a JSON object")
    for key in getattr(raw, "duplicate_keys", ()):
        raise PremiumInputError(_at(path, str(key)), "appears more than once")
    for key in raw:
        if key not in allowed:
            raise PremiumInputError(_at(path, str(key)), "unknown field")
    return raw


def _required(obj: Mapping[str, object], key: str, path: str) -> object:
    value = obj.get(key)
    if value is None:
        raise PremiumInputError(_at(path, key), "is required")
    return value


def _number(value: object, path: str) -> Decimal:
    """A decimal string (digits, an optional fraction and minus sign; no exponent, separator or blank)
    or a JSON number read as a decimal; the project's one decimal parser does the rest."""
    if isinstance(value, NonFiniteToken):
        raise PremiumInputError(path, f"must be a finite number, not {value.token}")
    if isinstance(value, str) and not _DECIMAL_TEXT.fullmatch(value):
        raise PremiumInputError(path, f"not a decimal number: {value!r}")
    try:
        number = parse_decimal(value, exponent=False, digits=_MAX_MAGNITUDE_DIGITS, places=_MAX_PLACES)
    except DecimalInputError as exc:
        raise PremiumInputError(path, exc.problem) from None
    return _ZERO if number.is_zero() else number


def _at_least_zero(value: object, path: str) -> Decimal:
    number = _number(value, path)
    if number < 0:
        raise PremiumInputError(path, "must not be negative")
    return number


def _above_zero(value: object, path: str) -> Decimal:
    number = _number(value, path)
    if number <= 0:
        raise PremiumInputError(path, "must be greater than 0")
    return number


def _whole_cents(value: object, path: str) -> Decimal:
    number = _at_least_zero(value, path)
    if out_of_range(number, digits=_MAX_MAGNITUDE_DIGITS, places=2):
        raise PremiumInputError(path, "must be in whole cents (at most 2 decimal places)")
    return number


def _date(obj: Mapping[str, object], key: str, path: str) -> dt.date:
    value = _required(obj, key, path)
    where = _at(path, key)
    if not isinstance(value, str) or not _DATE_TEXT.fullmatch(value):
        raise PremiumInputError(where, "must be a date YYYY-MM-DD")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise PremiumInputError(where, f"no such date: {value}") from None


def _text(obj: Mapping[str, object], key: str, path: str) -> str:
    value = _required(obj, key, path)
    if not isinstance(value, str):
        raise PremiumInputError(_at(path, key), "must be a string")
    if not value.strip():
        raise PremiumInputError(_at(path, key), "must not be empty")
    return value


_E = TypeVar("_E", bound=StrEnum)


def _shown(value: object) -> str:
    """A value as an error message quotes it: a string in quotes, anything else by its JSON kind."""
    if isinstance(value, str):
        return repr(value)
    kinds = ((bool, "true/false"), (Decimal | int, "a number"), (list, "a list"), (Mapping, "an object"))
    return next((kind for cls, kind in kinds if isinstance(value, cls)), type(value).__name__)


def _member(enum: type[_E], value: object, path: str) -> _E:
    for member in enum:
        if isinstance(value, str) and value == member.value:
            return member
    expected = ", ".join(m.value for m in enum)
    raise PremiumInputError(path, f"unknown value {_shown(value)} (expected one of: {expected})")


_T = TypeVar("_T")


def _each(obj: Mapping[str, object], key: str, parse: Callable[[object, str], _T], *, required: bool) -> tuple[_T, ...]:
    """Parse every entry of the list ``obj[key]`` (``key[i]`` in the paths); absent or null is empty."""
    value = obj.get(key)
    if value is None:
        if required:
            raise PremiumInputError(key, "is required")
        return ()
    if not isinstance(value, list):
        raise PremiumInputError(key, "must be a list")
    if len(value) > MAX_ENTRIES:
        raise PremiumInputError(key, f"has more than {MAX_ENTRIES} entries")
    return tuple(parse(raw, f"{key}[{i}]") for i, raw in enumerate(value))


def _unique(values: Sequence[str], path: str, key: str, what: str) -> None:
    """The later of two equal values is the bad one (``sections[2].code``)."""
    seen: set[str] = set()
    for i, value in enumerate(values):
        if value in seen:
            raise PremiumInputError(_at(_at(path, i), key), f"duplicate {what} {value!r}")
        seen.add(value)


def _parse_section(raw: object, path: str) -> Section:
    obj = _fields(raw, path, ("code", "sum_insured", "rate_permille"))
    code = _text(obj, "code", path)
    sum_insured = _at_least_zero(_required(obj, "sum_insured", path), _at(path, "sum_insured"))
    rate_path = _at(path, "rate_permille")
    rate = _above_zero(_required(obj, "rate_permille", path), rate_path)
    if rate > _THOUSAND:
        raise PremiumInputError(rate_path, "must be at most 1000 (per mille)")
    return Section(code=code, sum_insured=sum_insured, rate_permille=rate)


def _parse_factor(raw: object, path: str) -> Factor:
    obj = _fields(raw, path, ("code", "value"))
    code = _text(obj, "code", path)
    return Factor(code=code, value=_above_zero(_required(obj, "value", path), _at(path, "value")))


def _parse_risk_point(raw: object, path: str) -> RiskPoint:
    obj = _fields(raw, path, ("ref", "loading", "choice"))
    ref = _text(obj, "ref", path)
    loading = _at_least_zero(_required(obj, "loading", path), _at(path, "loading"))
    choice = _member(Choice, _required(obj, "choice", path), _at(path, "choice"))
    return RiskPoint(ref=ref, loading=loading, choice=choice)


def _parse_bounds(raw: object) -> FactorBounds:
    if raw is None:
        return FactorBounds()
    obj = _fields(raw, "factor_bounds", ("min", "max"))
    low, high = (
        None if obj.get(key) is None else _above_zero(obj[key], f"factor_bounds.{key}") for key in ("min", "max")
    )
    if low is not None and high is not None and high < low:
        raise PremiumInputError("factor_bounds.max", f"must not be below factor_bounds.min ({low})")
    return FactorBounds(min=low, max=high)


def _parse_termination(raw: object, start: dt.date, end: dt.date) -> Termination | None:
    if raw is None:
        return None
    path = "termination"
    obj = _fields(raw, path, ("date", "by", "premium_paid"))
    date = _date(obj, "date", path)
    if not start < date <= end:
        raise PremiumInputError(
            "termination.date", f"outside the policy period (must be after {start} and not after {end})"
        )
    by = _member(TerminatedBy, _required(obj, "by", path), "termination.by")
    paid = obj.get("premium_paid")
    return Termination(
        date=date, by=by, premium_paid=None if paid is None else _whole_cents(paid, "termination.premium_paid")
    )


_TOP_KEYS = (
    "currency",
    "period",
    "short_period",
    "sections",
    "factors",
    "factor_bounds",
    "risk_points",
    "minimum_premium",
    "termination",
)


def parse_input(doc: object) -> PremiumInput:
    """Validate a decoded document (from :func:`loads_json`) and build a :class:`PremiumInput`.

    Raises :class:`PremiumInputError` naming the first offending field by its path. ``null`` is the
    same as an absent key; unknown keys are refused.
    """
    obj = _fields(doc, "", _TOP_KEYS)
    currency = _required(obj, "currency", "")
    if not isinstance(currency, str) or currency not in CURRENCIES:
        raise PremiumInputError(
            "currency", f"unknown currency {_shown(currency)} (expected one of: {', '.join(CURRENCIES)})"
        )

    period = _fields(_required(obj, "period", ""), "period", ("start", "end"))
    start, end = _date(period, "start", "period"), _date(period, "end", "period")
    if end < start:
        raise PremiumInputError("period.end", f"before period.start ({start})")
    term_days = (end - start).days + 1
    if term_days > MAX_TERM_DAYS:
        raise PremiumInputError("period.end", f"the term is {term_days} days, more than {MAX_TERM_DAYS}")

    short_raw = obj.get("short_period")
    short_period = ShortPeriod.TABLE if short_raw is None else _member(ShortPeriod, short_raw, "short_period")

    sections = _each(obj, "sections", _parse_section, required=True)
    if not sections:
        raise PremiumInputError("sections", "must list at least one section")
    _unique([s.code for s in sections], "sections", "code", "section code")
    factors = _each(obj, "factors", _parse_factor, required=False)
    _unique([f.code for f in factors], "factors", "code", "factor code")
    bounds = _parse_bounds(obj.get("factor_bounds"))

    risk_points = _each(obj, "risk_points", _parse_risk_point, required=False)
    _unique([rp.ref for rp in risk_points], "risk_points", "ref", "risk point ref")

    minimum_raw = obj.get("minimum_premium")
    minimum = _ZERO if minimum_raw is None else _whole_cents(minimum_raw, "minimum_premium")

    return PremiumInput(
        currency=currency,
        start=start,
        end=end,
        sections=sections,
        short_period=short_period,
        factors=factors,
        factor_bounds=bounds,
        risk_points=risk_points,
        minimum_premium=minimum,
        termination=_parse_termination(obj.get("termination"), start, end),
    )


# --------------------------------------------------------------------------------------------------
# Dates
# --------------------------------------------------------------------------------------------------

_YMD = tuple[int, int, int]


def _month_days(year: int, month: int) -> int:
    if month == 2:
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def add_months(day: dt.date, months: int) -> _YMD:
    """``day`` plus ``months`` months as (year, month, day): the same day of the month, or the target
    month's last day where it is shorter (31 Jan + 1 month = 28/29 Feb). A tuple, so that a date past
    the year 9999 still compares."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return year, month + 1, min(day.day, _month_days(year, month + 1))


def _ymd(day: dt.date) -> _YMD:
    return day.year, day.month, day.day


def _day_after(day: dt.date) -> _YMD:
    if day == dt.date.max:
        return day.year + 1, 1, 1
    return _ymd(day + dt.timedelta(days=1))


def is_full_year(start: dt.date, end: dt.date) -> bool:
    """A term from ``start`` to ``end`` (both covered) of exactly one year: no short-period factor."""
    return _day_after(end) == add_months(start, 12)


def _months_until(start: dt.date, day: dt.date, *, inclusive: bool) -> int:
    """The smallest ``m`` ≥ 1 with ``day`` < (or ≤ when ``inclusive``) ``start`` plus ``m`` months, at most 12."""
    target = _ymd(day)
    for months in range(1, 12):
        limit = add_months(start, months)
        if target < limit or (inclusive and target == limit):
            return months
    return 12


# --------------------------------------------------------------------------------------------------
# Computation
# --------------------------------------------------------------------------------------------------


def _round(value: Decimal, ratio: Fraction = _WHOLE, places: int = 2) -> Decimal:
    """``value × ratio`` rounded half up (away from zero) to ``places``, exactly.

    With ``x = |value| × 10^places × ratio`` the result is ``floor(x + 1/2)``, which is
    ``floor((floor(2·|value|·10^places·numerator) + denominator) / (2·denominator))``: one exact
    product, a truncation and an integer division; nothing is lost before the one rounding.
    """
    with localcontext(_EXACT):
        twice = value.copy_abs().scaleb(places) * (2 * ratio.numerator)
        quotient = (int(twice.to_integral_value(ROUND_FLOOR)) + ratio.denominator) // (2 * ratio.denominator)
        result = Decimal(quotient).scaleb(-places)
        return result.copy_negate() if value < 0 and quotient else result


def _short_factor(inp: PremiumInput, term_days: int, term_months: int, full_year: bool) -> Fraction:
    if full_year:
        return Fraction(1)
    method = inp.short_period
    if method is ShortPeriod.TABLE:
        return Fraction(SHORT_PERIOD_TABLE[term_months])
    if method is ShortPeriod.MONTHLY:
        return Fraction(term_months, 12)
    if method is ShortPeriod.DAILY:
        return min(Fraction(term_days, 365), Fraction(1))
    return Fraction(1)


def _bound(inp: PremiumInput, raw: Decimal) -> tuple[Decimal, BoundedBy]:
    """Step 4: the raw coefficient kept within the product's bounds (equal to a bound is within)."""
    low, high = inp.factor_bounds.min, inp.factor_bounds.max
    if low is not None and raw < low:
        return low, BoundedBy.MIN
    if high is not None and raw > high:
        return high, BoundedBy.MAX
    return raw, BoundedBy.NONE


def _with_minimum(inp: PremiumInput, section_total: Decimal) -> tuple[Decimal, bool]:
    """Step 6: the minimum premium replaces a total strictly below it."""
    if section_total < inp.minimum_premium:
        return inp.minimum_premium, True
    return section_total, False


def _bases(inp: PremiumInput) -> list[Decimal]:
    """Each section's ``sum_insured × rate_permille / 1000`` (exact), to be multiplied by the coefficient."""
    return [(s.sum_insured * s.rate_permille).scaleb(-3) for s in inp.sections]


def _product(values: Sequence[Decimal]) -> Decimal:
    result = _ONE
    for value in values:
        result *= value
    return result


def _risk_point_effects(
    inp: PremiumInput, factor_product: Decimal, multipliers: Sequence[Decimal], short: Fraction
) -> tuple[RiskPointResult, ...]:
    """Step 7: each risk point priced with its loading and without, the others as given; each side
    runs steps 4 to 6 (bounds and minimum included)."""
    bases = _bases(inp)
    totals: dict[Decimal, Decimal] = {}  # by coefficient: a bound often gives several sides the same one

    def total(loading_product: Decimal) -> Decimal:
        coefficient, _ = _bound(inp, factor_product * loading_product)
        if coefficient not in totals:
            section_total = sum((_round(base * coefficient, short) for base in bases), _ZERO)
            totals[coefficient] = _with_minimum(inp, section_total)[0]
        return totals[coefficient]

    prefix = [_ONE]
    for m in multipliers:
        prefix.append(prefix[-1] * m)
    suffix = [_ONE]
    for m in reversed(multipliers):
        suffix.append(suffix[-1] * m)
    suffix.reverse()
    results = []
    for i, rp in enumerate(inp.risk_points):
        others = prefix[i] * suffix[i + 1]
        with_loading, remediated = total(others * (_ONE + rp.loading)), total(others)
        results.append(
            RiskPointResult(rp.ref, rp.choice, rp.loading, with_loading, remediated, with_loading - remediated)
        )
    return tuple(results)


def _terminate(
    inp: PremiumInput, sections: Sequence[SectionResult], total_premium: Decimal, term_days: int
) -> TerminationResult | None:
    """Step 8: what the insurer keeps and what it refunds."""
    t = inp.termination
    if t is None:
        return None
    paid = total_premium if t.premium_paid is None else t.premium_paid
    elapsed_days = (t.date - inp.start).days
    elapsed_months = _months_until(inp.start, t.date, inclusive=True)
    annual_total = sum((s.annual_premium for s in sections), _ZERO)
    if t.by is TerminatedBy.INSURED:
        method = RefundMethod.SHORT_PERIOD_TABLE
        retained = min(paid, _round(annual_total, Fraction(SHORT_PERIOD_TABLE[elapsed_months])))
    else:
        method = RefundMethod.PRO_RATA_DAILY
        retained = _round(paid, Fraction(elapsed_days, term_days))
    return TerminationResult(
        date=t.date,
        by=t.by,
        premium_paid=paid,
        elapsed_days=elapsed_days,
        elapsed_months=elapsed_months,
        method=method,
        annual_total=annual_total,
        retained=retained,
        refund=paid - retained,
    )


def compute(inp: PremiumInput) -> PremiumResult:
    """Every step of the contract for a validated input."""
    with localcontext(_EXACT):
        term_days = (inp.end - inp.start).days + 1
        full_year = is_full_year(inp.start, inp.end)
        term_months = _months_until(inp.start, inp.end, inclusive=False)
        short = _short_factor(inp, term_days, term_months, full_year)
        factor_product = _product([f.value for f in inp.factors])
        multipliers = [_ONE if rp.choice is Choice.REMEDIATE else _ONE + rp.loading for rp in inp.risk_points]
        loading_product = _product(multipliers)
        raw_coefficient = factor_product * loading_product
        coefficient, bounded_by = _bound(inp, raw_coefficient)
        sections = []
        for section, base in zip(inp.sections, _bases(inp), strict=True):
            annual = base * coefficient
            sections.append(SectionResult(section.code, annual, _round(annual), _round(annual, short)))
        section_total = sum((s.premium for s in sections), _ZERO)
        total_premium, minimum_applied = _with_minimum(inp, section_total)
        return PremiumResult(
            currency=inp.currency,
            term_days=term_days,
            term_months=term_months,
            full_year=full_year,
            short_period=inp.short_period,
            short_factor=short,
            factor_product=factor_product,
            loading_product=loading_product,
            raw_coefficient=raw_coefficient,
            coefficient=coefficient,
            bounded_by=bounded_by,
            sections=tuple(sections),
            section_total=section_total,
            total_premium=total_premium,
            minimum_premium=inp.minimum_premium,
            minimum_applied=minimum_applied,
            risk_points=_risk_point_effects(inp, factor_product, multipliers, short),
            termination=_terminate(inp, sections, total_premium, term_days),
        )


# --------------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------------


def _amount(value: Decimal) -> str:
    return f"{_round(value):.2f}"


def _ratio(value: Decimal | Fraction) -> str:
    if isinstance(value, Fraction):
        return f"{_round(Decimal(value.numerator), Fraction(1, value.denominator), 6):.6f}"
    return f"{_round(value, places=6):.6f}"


def result_to_json(res: PremiumResult) -> dict[str, Any]:
    """The contract's output document: amounts as strings with 2 decimals, ratios with 6."""
    t = res.termination
    return {
        "currency": res.currency,
        "term_days": res.term_days,
        "term_months": res.term_months,
        "short_period": res.short_period.value,
        "short_factor": _ratio(res.short_factor),
        "factor_product": _ratio(res.factor_product),
        "loading_product": _ratio(res.loading_product),
        "raw_coefficient": _ratio(res.raw_coefficient),
        "coefficient": _ratio(res.coefficient),
        "bounded_by": res.bounded_by.value,
        "sections": [
            {"code": s.code, "annual_premium": _amount(s.annual_premium), "premium": _amount(s.premium)}
            for s in res.sections
        ],
        "total_premium": _amount(res.total_premium),
        "minimum_applied": res.minimum_applied,
        "risk_points": [
            {"ref": rp.ref, "choice": rp.choice.value, "premium_effect": _amount(rp.premium_effect)}
            for rp in res.risk_points
        ],
        "termination": None
        if t is None
        else {
            "date": t.date.isoformat(),
            "by": t.by.value,
            "premium_paid": _amount(t.premium_paid),
            "elapsed_days": t.elapsed_days,
            "elapsed_months": t.elapsed_months,
            "method": t.method.value,
            "retained": _amount(t.retained),
            "refund": _amount(t.refund),
        },
    }


def price_document(doc: object) -> dict[str, Any]:
    """Validate, compute and render in one call: the CLI's and the API's whole job."""
    return result_to_json(compute(parse_input(doc)))
