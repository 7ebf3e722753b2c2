"""Bias analytics (偏向分析): how far each adjuster's reports were from the settled amount, signed
toward the party that appointed it, per adjuster and per firm, with a one-sided confidence bound.

The contract is the "Bias analytics" section of ``neutrality.md``; this module implements it as
pure functions, with no database, so that the command line (``tandem neutrality bias FILE|-``), the
platform's own data (dual-report MoUs, claims agreed at another amount) and the pages that chart
the figures all share one engine.

Typical use::

    doc = loads_json(text)        # JSON with every number kept as written (never a float yet)
    inp = parse_input(doc)        # validates; raises BiasInputError(path, message)
    res = analyse(inp)            # figures as doubles, per adjuster and per firm, sorted
    out = result_to_json(res)     # the contract's output document (figures as 4-decimal strings)

Callers with typed rows (``BiasRow`` with Decimal amounts) call :func:`analyse` directly; it runs
the same checks (:func:`validate`) and names the offending row as ``cases[i].field``.

As the contract says, the figures are computed in double precision from the amounts read as
doubles: means with ``math.fsum`` (correctly rounded, so the result does not depend on the order of
the rows), the sample standard deviation by the two-pass formula, and Student's t quantile from
:mod:`tandem.neutrality.student_t`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from enum import StrEnum
from typing import Any

from tandem.kit.jsondoc import InputFieldError, decode_document
from tandem.neutrality.student_t import t_quantile

__all__ = [
    "APPOINTER",
    "DEFAULT_CONFIDENCE",
    "DEFAULT_MIN_CASES",
    "DEFAULT_TOLERANCE",
    "MAX_DEVIATION",
    "BiasInput",
    "BiasInputError",
    "BiasOptions",
    "BiasResult",
    "BiasRow",
    "GroupFigures",
    "RowMeasure",
    "Side",
    "analyse",
    "format_figure",
    "loads_json",
    "parse_input",
    "result_to_json",
    "run",
    "validate",
]

DEFAULT_MIN_CASES = 5
DEFAULT_TOLERANCE = Decimal("0.05")
DEFAULT_CONFIDENCE = Decimal("0.95")

#: The only ``direction`` of a flagged adjuster or firm.
APPOINTER = "appointer"

#: Largest |deviation| of one row the engine measures: a report more than 1e100 times the settled
#: amount is not a figure anyone can read, and the bound keeps every sum and square finite.
MAX_DEVIATION = 1e100

_FOUR_PLACES = Decimal("0.0001")
# Decimal strings of the contract: ASCII digits, an optional fraction, an optional leading minus.
_DECIMAL_STRING = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_TOP_KEYS = ("min_cases", "tolerance", "confidence", "cases")
_ROW_KEYS = ("case", "adjuster", "firm", "side", "report_amount", "settled_amount")


class BiasInputError(InputFieldError):
    """Bad input: ``path`` names the field (``cases[3].settled_amount``, ``min_cases``), or is ``""``."""


class Side(StrEnum):
    """Who appointed the adjuster: the insured (or the broker acting for it) or the insurer."""

    INSURED = "insured"
    INSURER = "insurer"


# --------------------------------------------------------------------------------------------------
# Typed input and output
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BiasOptions:
    """``min_cases`` (integer >= 2), ``tolerance`` (>= 0) and ``confidence`` (in [0.5, 1))."""

    min_cases: int = DEFAULT_MIN_CASES
    tolerance: Decimal = DEFAULT_TOLERANCE
    confidence: Decimal = DEFAULT_CONFIDENCE


@dataclass(frozen=True)
class BiasRow:
    """One report on a settled case: its adjuster, the adjuster's firm and appointer, two amounts."""

    case: str
    adjuster: str
    firm: str
    side: Side
    report_amount: Decimal
    settled_amount: Decimal


@dataclass(frozen=True)
class BiasInput:
    rows: tuple[BiasRow, ...]
    options: BiasOptions = BiasOptions()


@dataclass(frozen=True)
class RowMeasure:
    """One row measured (one dot on a chart): ``deviation`` and ``lean`` as doubles."""

    index: int
    row: BiasRow
    deviation: float
    lean: float


@dataclass(frozen=True)
class GroupFigures:
    """The figures of one adjuster (``key`` is the adjuster) or one firm (``key`` is the firm).

    ``lower`` is ``None`` when ``n`` is 1; ``rows`` are the measured rows in input order.
    """

    key: str
    firm: str
    n: int
    mean: float
    sd: float
    lower: float | None
    toward_insured: float
    flagged: bool
    rows: tuple[RowMeasure, ...]

    @property
    def direction(self) -> str | None:
        return APPOINTER if self.flagged else None


@dataclass(frozen=True)
class BiasResult:
    """Adjusters sorted by adjuster, firms by firm (code-point order)."""

    adjusters: tuple[GroupFigures, ...]
    firms: tuple[GroupFigures, ...]
    options: BiasOptions


# --------------------------------------------------------------------------------------------------
# Checks shared by the JSON parser and typed callers
# --------------------------------------------------------------------------------------------------


def _double(value: object, path: str) -> tuple[Decimal, float]:
    """The exact value and the double it reads as; refuses non-numbers, NaN, infinities, overflow."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise BiasInputError(path, "must be a decimal number")
    exact = Decimal(value)
    if not exact.is_finite():
        raise BiasInputError(path, "must be a finite number")
    double = float(exact)
    if math.isinf(double):
        raise BiasInputError(path, "is too large (beyond double precision)")
    return exact, double


def _check_options(options: BiasOptions) -> tuple[float, float]:
    """Check the options; returns ``tolerance`` and ``confidence`` as doubles."""
    min_cases = options.min_cases
    if isinstance(min_cases, bool) or not isinstance(min_cases, int) or min_cases < 2:
        raise BiasInputError("min_cases", "must be an integer of at least 2")
    exact, tolerance = _double(options.tolerance, "tolerance")
    if exact < 0:
        raise BiasInputError("tolerance", "must not be negative")
    exact, confidence = _double(options.confidence, "confidence")
    if not (Decimal("0.5") <= exact < 1 and 0.5 <= confidence < 1.0):
        raise BiasInputError("confidence", "must be at least 0.5 and less than 1")
    return tolerance, confidence


def _check_text(value: object, path: str) -> str:
    if not isinstance(value, str) or not value:
        raise BiasInputError(path, "must be a non-empty string")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise BiasInputError(path, "is not valid Unicode text (lone surrogate)") from None
    return value


class _RowChecker:
    """Checks rows one at a time, in input order, and measures them."""

    def __init__(self) -> None:
        self.first_index: dict[tuple[str, str], int] = {}
        self.firm_of: dict[str, tuple[str, int]] = {}
        self.measures: list[RowMeasure] = []

    def add(self, row: BiasRow, index: int) -> None:
        path = f"cases[{index}]"
        case = _check_text(row.case, f"{path}.case")
        adjuster = _check_text(row.adjuster, f"{path}.adjuster")
        firm = _check_text(row.firm, f"{path}.firm")
        if not isinstance(row.side, str) or row.side not in tuple(Side):
            raise BiasInputError(f"{path}.side", "must be one of: insured, insurer")
        exact, report = _double(row.report_amount, f"{path}.report_amount")
        if exact < 0:
            raise BiasInputError(f"{path}.report_amount", "must not be negative")
        exact, settled = _double(row.settled_amount, f"{path}.settled_amount")
        if exact <= 0:
            raise BiasInputError(f"{path}.settled_amount", "must be greater than 0")
        if settled == 0.0:
            raise BiasInputError(f"{path}.settled_amount", "is too small (it is 0 in double precision)")
        deviation = (report - settled) / settled
        if not abs(deviation) <= MAX_DEVIATION:
            raise BiasInputError(
                f"{path}.report_amount", "is too far from settled_amount to measure (more than 1e100 times it)"
            )
        earlier = self.first_index.setdefault((case, adjuster), index)
        if earlier != index:
            raise BiasInputError(path, f"repeats case {case!r} for adjuster {adjuster!r} (first in row {earlier})")
        known_firm, known_at = self.firm_of.setdefault(adjuster, (firm, index))
        if known_firm != firm:
            raise BiasInputError(
                f"{path}.firm", f"adjuster {adjuster!r} is already under firm {known_firm!r} (row {known_at})"
            )
        lean = deviation if row.side == Side.INSURED else -deviation
        self.measures.append(RowMeasure(index=index, row=row, deviation=deviation, lean=lean))


def _check_rows_present(count: int) -> None:
    if count == 0:
        raise BiasInputError("cases", "must list at least one row")


def validate(inp: BiasInput) -> tuple[RowMeasure, ...]:
    """Check a typed input as the contract checks a document; returns the measured rows."""
    _check_options(inp.options)
    _check_rows_present(len(inp.rows))
    checker = _RowChecker()
    for index, row in enumerate(inp.rows):
        checker.add(row, index)
    return tuple(checker.measures)


# --------------------------------------------------------------------------------------------------
# The figures
# --------------------------------------------------------------------------------------------------


def _figures(
    key: str, firm: str, rows: Sequence[RowMeasure], *, min_cases: int, tolerance: float, confidence: float
) -> GroupFigures:
    n = len(rows)
    leans = [m.lean for m in rows]
    mean = math.fsum(leans) / n
    sd = 0.0
    lower: float | None = None
    if n > 1:
        sd = math.sqrt(math.fsum((x - mean) ** 2 for x in leans) / (n - 1))
        lower = mean - t_quantile(confidence, n - 1) * sd / math.sqrt(n)
    toward_insured = math.fsum(m.deviation for m in rows) / n
    flagged = n >= min_cases and lower is not None and lower > tolerance
    return GroupFigures(
        key=key,
        firm=firm,
        n=n,
        mean=mean,
        sd=sd,
        lower=lower,
        toward_insured=toward_insured,
        flagged=flagged,
        rows=tuple(rows),
    )


def analyse(inp: BiasInput) -> BiasResult:
    """The figures of every adjuster and every firm of ``inp`` (validated first)."""
    measures = validate(inp)
    tolerance, confidence = _check_options(inp.options)
    by_adjuster: dict[str, list[RowMeasure]] = {}
    by_firm: dict[str, list[RowMeasure]] = {}
    for m in measures:
        by_adjuster.setdefault(m.row.adjuster, []).append(m)
        by_firm.setdefault(m.row.firm, []).append(m)
    min_cases = inp.options.min_cases

    def figures(key: str, firm: str, rows: Sequence[RowMeasure]) -> GroupFigures:
        return _figures(key, firm, rows, min_cases=min_cases, tolerance=tolerance, confidence=confidence)

    adjusters = tuple(figures(k, rows[0].row.firm, rows) for k, rows in sorted(by_adjuster.items()))
    firms = tuple(figures(k, k, rows) for k, rows in sorted(by_firm.items()))
    return BiasResult(adjusters=adjusters, firms=firms, options=inp.options)


def format_figure(x: float) -> str:
    """Exactly 4 decimals: the shortest repr of ``x``, rounded half-up (ties away from zero); never
    ``-0.0000``."""
    if not math.isfinite(x):
        raise ValueError(f"not a finite figure: {x!r}")
    with localcontext() as ctx:
        ctx.prec = 400  # enough for every finite double to 4 places
        rounded = Decimal(repr(x)).quantize(_FOUR_PLACES, rounding=ROUND_HALF_UP)
        if rounded.is_zero():
            rounded = abs(rounded)
    return format(rounded, "f")


def _group_json(g: GroupFigures) -> dict[str, object]:
    return {
        "n": g.n,
        "mean": format_figure(g.mean),
        "sd": format_figure(g.sd),
        "lower": None if g.lower is None else format_figure(g.lower),
        "toward_insured": format_figure(g.toward_insured),
        "flagged": g.flagged,
        "direction": g.direction,
    }


def result_to_json(result: BiasResult) -> dict[str, list[dict[str, object]]]:
    """The contract's output document."""
    return {
        "adjusters": [{"adjuster": g.key, "firm": g.firm, **_group_json(g)} for g in result.adjusters],
        "firms": [{"firm": g.key, **_group_json(g)} for g in result.firms],
    }


# --------------------------------------------------------------------------------------------------
# JSON
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Number:
    """A JSON number token as written; ``integer`` when it has no fraction and no exponent."""

    text: str
    integer: bool


@dataclass(frozen=True)
class _NonFinite:
    """A bare ``NaN`` / ``Infinity`` / ``-Infinity`` token (not JSON; refused by the field's path)."""

    token: str


class _Object(dict[str, Any]):
    """A JSON object; ``repeated`` lists the keys its text gave more than once."""

    repeated: tuple[str, ...] = ()


def _object_hook(pairs: list[tuple[str, Any]]) -> _Object:
    obj = _Object(pairs)
    if len(obj) != len(pairs):
        keys = [key for key, _ in pairs]
        obj.repeated = tuple(key for i, key in enumerate(keys) if key in keys[:i])
    return obj


def loads_json(text: str | bytes) -> Any:
    """Parse JSON keeping numbers as written (for the field checks); raises :class:`BiasInputError`."""
    try:
        return decode_document(
            text,
            parse_int=lambda s: _Number(s, True),
            parse_float=lambda s: _Number(s, False),
            parse_constant=_NonFinite,
            object_pairs_hook=_object_hook,
        )
    except InputFieldError as exc:
        raise BiasInputError(exc.path, exc.message) from None


def _check_keys(obj: _Object, allowed: tuple[str, ...], path: str) -> None:
    prefix = f"{path}." if path else ""
    for key in obj.repeated:
        raise BiasInputError(prefix + key, "appears more than once")
    for key in obj:
        if key not in allowed:
            raise BiasInputError(prefix + key, "unknown field")


def _json_decimal(value: object, path: str) -> Decimal:
    if isinstance(value, _Number):
        try:
            return Decimal(value.text)
        except InvalidOperation:
            raise BiasInputError(path, "is out of range") from None
    if isinstance(value, _NonFinite):
        raise BiasInputError(path, f"must be a finite number, not {value.token}")
    if isinstance(value, str):
        if _DECIMAL_STRING.fullmatch(value):
            return Decimal(value)
        shown = value if len(value) <= 40 else value[:40] + "…"
        raise BiasInputError(
            path, f'must be a decimal string such as "1180000.00" (digits, optional fraction and minus), not {shown!r}'
        )
    raise BiasInputError(path, "must be a decimal string or a JSON number")


def _json_min_cases(value: object) -> int:
    if value is None:
        return DEFAULT_MIN_CASES
    if isinstance(value, _Number) and value.integer:
        return int(Decimal(value.text))
    raise BiasInputError("min_cases", "must be a JSON integer such as 5")


def _json_field(raw: _Object, key: str, path: str) -> object:
    value = raw.get(key)
    if value is None:
        raise BiasInputError(f"{path}.{key}", "is required")
    return value


def _json_row(raw: object, path: str) -> BiasRow:
    """One row, its fields checked in the contract's order (absent and ``null`` are both missing)."""
    if not isinstance(raw, _Object):
        raise BiasInputError(path, "must be an object")
    _check_keys(raw, _ROW_KEYS, path)
    case, adjuster, firm = (_check_text(_json_field(raw, key, path), f"{path}.{key}") for key in _ROW_KEYS[:3])
    side = _json_field(raw, "side", path)
    if not isinstance(side, str) or side not in tuple(Side):
        raise BiasInputError(f"{path}.side", "must be one of: insured, insurer")
    report = _json_decimal(_json_field(raw, "report_amount", path), f"{path}.report_amount")
    settled = _json_decimal(_json_field(raw, "settled_amount", path), f"{path}.settled_amount")
    return BiasRow(case, adjuster, firm, Side(side), report, settled)


def parse_input(doc: object) -> BiasInput:
    """Validate a parsed document (from :func:`loads_json`) and build the typed input.

    The first problem in document order is reported: unknown or repeated keys at the top, then the
    options, then ``cases``, then each row in turn (its keys, its fields, then the checks against
    earlier rows).
    """
    if not isinstance(doc, _Object):
        raise BiasInputError("", "the document must be a JSON object")
    _check_keys(doc, _TOP_KEYS, "")
    tolerance, confidence = doc.get("tolerance"), doc.get("confidence")
    options = BiasOptions(
        min_cases=_json_min_cases(doc.get("min_cases")),
        tolerance=DEFAULT_TOLERANCE if tolerance is None else _json_decimal(tolerance, "tolerance"),
        confidence=DEFAULT_CONFIDENCE if confidence is None else _json_decimal(confidence, "confidence"),
    )
    _check_options(options)
    cases = doc.get("cases")
    if cases is None:
        raise BiasInputError("cases", "is required")
    if not isinstance(cases, list):
        raise BiasInputError("cases", "must be a list of rows")
    _check_rows_present(len(cases))
    checker = _RowChecker()
    rows = []
    for index, raw in enumerate(cases):
        row = _json_row(raw, f"cases[{index}]")
        checker.add(row, index)
        rows.append(row)
    return BiasInput(rows=tuple(rows), options=options)


def run(text: str | bytes) -> dict[str, list[dict[str, object]]]:
    """JSON text in, the contract's output document out; raises :class:`BiasInputError`."""
    return result_to_json(analyse(parse_input(loads_json(text))))
