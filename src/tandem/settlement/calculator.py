"""Claim amount engine: the amount payable on a property claim (理算).

The contract is ``docs/claim-amount.md``: a JSON document lists the sections of a policy touched by a
loss (each with its sum insured, insured value, deductible, limits and the assessed items) and the
engine derives, per section, the payable amount step by step, then the totals and what is still due
after an advance payment.

Everything here is a pure function over :class:`~decimal.Decimal`; floats are refused. Intermediate
figures are kept exact (a high-precision local context, multiplying before dividing) and rounded
half-up only where the contract says so: the section ``payable`` and ``due`` are rounded to 0.01,
every other figure is rounded for display only (the average ratio to 6 places).

Typical use::

    doc = loads_json(text)          # Decimal-preserving JSON parse
    inp = parse_input(doc)          # validates, raises CalcInputError(path, message)
    res = compute(inp)
    out = result_to_json(res)       # the contract's output document (all figures as strings)
    steps = explain_steps(res)      # the same figures, labelled, for a step-by-step page
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext
from enum import StrEnum
from typing import Any, TypeVar

from tandem.kit.jsondoc import InputFieldError, decode_document
from tandem.kit.money import DecimalInputError, parse_decimal, round_cny

__all__ = [
    "CURRENCIES",
    "Basis",
    "CalcInput",
    "CalcInputError",
    "CalcResult",
    "Deductible",
    "DeductibleKind",
    "Item",
    "LimitedBy",
    "NonFiniteToken",
    "Options",
    "RateBase",
    "SalvageOrder",
    "SectionInput",
    "SectionResult",
    "SectionSteps",
    "Step",
    "compute",
    "explain_steps",
    "loads_json",
    "parse_input",
    "result_to_json",
]

#: Currencies the engine accepts; every amount of a document is in its one currency.
CURRENCIES: tuple[str, ...] = ("CNY", "USD", "EUR", "HKD", "GBP")

#: Working precision (significant digits). Sums and products of the inputs stay exact far beyond
#: any realistic amount; only the division of the average clause can be inexact, and at this many
#: digits it cannot move a half-up rounding at 0.01.
_PRECISION = 200

#: Every figure is below 10**_MAX_DIGITS (a sanity bound that keeps the arithmetic exact).
_MAX_DIGITS = 18
#: Most decimal places accepted for any figure.
_MAX_PLACES = 20

_RATIO_PLACES = Decimal("0.000001")
_ZERO = Decimal(0)
_ONE = Decimal(1)


class CalcInputError(ValueError):
    """Bad input: ``path`` names the offending field (``sections[0].items[2].loss``), or is ``""``."""

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        self.message = message
        super().__init__(f"{path}: {message}" if path else message)


class Basis(StrEnum):
    """How the sum insured applies: average clause (比例赔付) or first loss (第一危险赔偿方式)."""

    AVERAGE = "average"
    FIRST_LOSS = "first_loss"


class SalvageOrder(StrEnum):
    """Whether salvage (残值) is deducted before the average clause or from the indemnity after it."""

    BEFORE_AVERAGE = "before_average"
    AFTER_AVERAGE = "after_average"


class DeductibleKind(StrEnum):
    """Absolute deductible (绝对免赔) or franchise (相对免赔)."""

    ABSOLUTE = "absolute"
    FRANCHISE = "franchise"


class RateBase(StrEnum):
    """What a deductible ``rate`` multiplies: the loss, or the (effective) sum insured."""

    LOSS = "loss"
    SUM_INSURED = "sum_insured"


class LimitedBy(StrEnum):
    """Which bound of step 7 determined the payable amount."""

    NONE = "none"
    PER_OCCURRENCE = "per_occurrence"
    SUM_INSURED = "sum_insured"
    AGGREGATE = "aggregate"


# --------------------------------------------------------------------------------------------------
# Input model
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """One assessed item: the adjuster's loss and its salvage (残值)."""

    loss: Decimal
    salvage: Decimal = _ZERO
    ref: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class Deductible:
    """A deductible (免赔额): the higher of ``amount`` and ``rate`` × its base."""

    amount: Decimal = _ZERO
    rate: Decimal | None = None
    kind: DeductibleKind = DeductibleKind.ABSOLUTE
    rate_base: RateBase = RateBase.LOSS


@dataclass(frozen=True)
class Options:
    """The policy wording options of a section; the defaults are the contract's plain steps."""

    basis: Basis = Basis.AVERAGE
    salvage: SalvageOrder = SalvageOrder.BEFORE_AVERAGE
    sum_insured_reduces: bool = False
    liability_ratio: Decimal = _ONE


@dataclass(frozen=True)
class SectionInput:
    """One section of the policy (building, machinery, stock, ...) with its assessed items."""

    code: str
    items: tuple[Item, ...]
    sum_insured: Decimal | None = None
    insured_value: Decimal | None = None
    deductible: Deductible = Deductible()
    per_occurrence_limit: Decimal | None = None
    aggregate_limit: Decimal | None = None
    paid_to_date: Decimal = _ZERO
    options: Options = Options()


@dataclass(frozen=True)
class CalcInput:
    """A validated input document (see :func:`parse_input`)."""

    currency: str
    sections: tuple[SectionInput, ...]
    advance_paid: Decimal = _ZERO


# --------------------------------------------------------------------------------------------------
# Result model
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SectionResult:
    """Every step of one section, exact (unrounded) except ``payable``.

    ``average_ratio`` is the exact ratio (to the working precision); ``after_average`` is computed as
    ``net_loss × sum_insured / insured_value``, not with the ratio. ``effective_sum_insured`` is the
    sum insured after ``sum_insured_reduces`` (``None`` without a sum insured); ``aggregate_remaining``
    is ``aggregate_limit − paid_to_date`` (may be negative; ``None`` without an aggregate limit).
    ``franchise_threshold`` is set for a franchise deductible only.
    """

    code: str
    gross_loss: Decimal
    net_loss: Decimal
    salvage_total: Decimal
    average_applied: bool
    average_ratio: Decimal
    after_average: Decimal
    liability_ratio: Decimal
    after_liability: Decimal
    deductible: Decimal
    after_deductible: Decimal
    payable_exact: Decimal
    payable: Decimal
    limited_by: LimitedBy
    effective_sum_insured: Decimal | None
    aggregate_remaining: Decimal | None
    per_occurrence_limit: Decimal | None
    sum_insured_bound: Decimal | None
    franchise_threshold: Decimal | None
    section: SectionInput


@dataclass(frozen=True)
class CalcResult:
    """The sections' results and the totals; ``total_payable``, ``due``, ``overpaid`` are rounded."""

    currency: str
    sections: tuple[SectionResult, ...]
    total_payable: Decimal
    advance_paid: Decimal
    due: Decimal
    overpaid: Decimal


# --------------------------------------------------------------------------------------------------
# JSON parsing
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NonFiniteToken:
    """A bare ``NaN``/``Infinity``/``-Infinity`` JSON token, kept so that :func:`parse_input` can
    reject it naming the field's path (it is never usable as a number)."""

    token: str


class _JSONObject(dict[str, Any]):
    """A JSON object whose text repeated some keys; :func:`parse_input` rejects it."""

    duplicate_keys: tuple[str, ...] = ()


def _object_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    duplicates: list[str] = []
    for key, value in pairs:
        if key in out:
            duplicates.append(key)
        out[key] = value
    if not duplicates:
        return out
    marked = _JSONObject(out)
    marked.duplicate_keys = tuple(duplicates)
    return marked


def loads_json(text: str | bytes) -> Any:
    """Parse a JSON document with every number read as a Decimal (never a float).

    Bare ``NaN``/``Infinity`` tokens become :class:`NonFiniteToken` markers and objects with
    repeated keys are marked, so that :func:`parse_input` rejects them naming the field's path.
    Text that is not UTF-8 or not JSON raises :class:`CalcInputError` with an empty path and a
    one-line message.
    """
    try:
        return decode_document(
            text,
            parse_float=Decimal,
            parse_int=Decimal,
            parse_constant=NonFiniteToken,
            object_pairs_hook=_object_pairs,
        )
    except InputFieldError as exc:
        raise CalcInputError(exc.path, exc.message) from None


# --------------------------------------------------------------------------------------------------
# Validation (parse_input)
# --------------------------------------------------------------------------------------------------


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _object(value: object, path: str) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise CalcInputError(path, "must be an object" if path else "the document must be a JSON object")
    return value


def _check_keys(obj: Mapping[str, object], allowed: Sequence[str], path: str) -> None:
    for key in getattr(obj, "duplicate_keys", ()):
        raise CalcInputError(_join(path, str(key)), "appears more than once")
    for key in obj:
        if key not in allowed:
            raise CalcInputError(_join(path, str(key)), "unknown field")


def _decimal(value: object, path: str) -> Decimal:
    """A finite decimal from a decimal string, a JSON number (Decimal) or an int; never a float."""
    if isinstance(value, NonFiniteToken):
        raise CalcInputError(path, f"must be a finite number, not {value.token}")
    try:
        result = parse_decimal(value, digits=_MAX_DIGITS, places=_MAX_PLACES)
    except DecimalInputError as exc:
        raise CalcInputError(path, exc.problem) from None
    return _ZERO if result == 0 else result


def _amount(value: object, path: str) -> Decimal:
    result = _decimal(value, path)
    if result < 0:
        raise CalcInputError(path, "must not be negative")
    return result


def _optional_amount(obj: Mapping[str, object], key: str, path: str) -> Decimal | None:
    value = obj.get(key)
    if value is None:
        return None
    return _amount(value, _join(path, key))


def _optional_text(obj: Mapping[str, object], key: str, path: str) -> str | None:
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        return str(value)
    raise CalcInputError(_join(path, key), "must be a string")


_TOP_KEYS = ("currency", "advance_paid", "sections")
_SECTION_KEYS = (
    "code",
    "sum_insured",
    "insured_value",
    "deductible",
    "per_occurrence_limit",
    "aggregate_limit",
    "paid_to_date",
    "items",
    "options",
)
_ITEM_KEYS = ("ref", "description", "loss", "salvage")
_DEDUCTIBLE_KEYS = ("amount", "rate", "kind", "rate_base")
_OPTION_KEYS = ("basis", "salvage", "sum_insured_reduces", "liability_ratio")

_E = TypeVar("_E", bound=StrEnum)


def _choice(enum: type[_E], value: object, default: _E, path: str) -> _E:
    if value is None:
        return default
    if isinstance(value, str):
        for member in enum:
            if member.value == value:
                return member
    allowed = ", ".join(m.value for m in enum)
    raise CalcInputError(path, f"unknown value {value!r} (expected one of: {allowed})")


def _parse_item(raw: object, path: str) -> Item:
    obj = _object(raw, path)
    _check_keys(obj, _ITEM_KEYS, path)
    ref = _optional_text(obj, "ref", path)
    description = _optional_text(obj, "description", path)
    if obj.get("loss") is None:
        raise CalcInputError(_join(path, "loss"), "is required")
    loss = _amount(obj["loss"], _join(path, "loss"))
    salvage = _optional_amount(obj, "salvage", path)
    if salvage is None:
        salvage = _ZERO
    elif salvage > loss:
        raise CalcInputError(_join(path, "salvage"), "must not be greater than the loss")
    return Item(loss=loss, salvage=salvage, ref=ref, description=description)


def _parse_options(raw: object, path: str) -> Options:
    if raw is None:
        return Options()
    obj = _object(raw, path)
    _check_keys(obj, _OPTION_KEYS, path)
    basis = _choice(Basis, obj.get("basis"), Basis.AVERAGE, _join(path, "basis"))
    salvage = _choice(SalvageOrder, obj.get("salvage"), SalvageOrder.BEFORE_AVERAGE, _join(path, "salvage"))
    reduces_raw = obj.get("sum_insured_reduces")
    if reduces_raw is None:
        reduces = False
    elif isinstance(reduces_raw, bool):
        reduces = reduces_raw
    else:
        raise CalcInputError(_join(path, "sum_insured_reduces"), "must be true or false")
    ratio_path = _join(path, "liability_ratio")
    ratio_raw = obj.get("liability_ratio")
    ratio = _ONE if ratio_raw is None else _decimal(ratio_raw, ratio_path)
    if ratio <= 0 or ratio > 1:
        raise CalcInputError(ratio_path, "must be above 0 and at most 1")
    return Options(basis=basis, salvage=salvage, sum_insured_reduces=reduces, liability_ratio=ratio)


def _parse_deductible(raw: object, path: str) -> Deductible:
    if raw is None:
        return Deductible()
    obj = _object(raw, path)
    _check_keys(obj, _DEDUCTIBLE_KEYS, path)
    amount = _optional_amount(obj, "amount", path)
    rate = _optional_amount(obj, "rate", path)
    if rate is not None and rate > 1:
        raise CalcInputError(_join(path, "rate"), "must not be above 1")
    kind = _choice(DeductibleKind, obj.get("kind"), DeductibleKind.ABSOLUTE, _join(path, "kind"))
    base_raw = obj.get("rate_base")
    if kind is DeductibleKind.FRANCHISE:
        base = _choice(RateBase, base_raw, RateBase.SUM_INSURED, _join(path, "rate_base"))
        if base is RateBase.LOSS:
            raise CalcInputError(_join(path, "rate_base"), "a franchise rate always uses the sum insured")
    else:
        base = _choice(RateBase, base_raw, RateBase.LOSS, _join(path, "rate_base"))
    return Deductible(amount=amount if amount is not None else _ZERO, rate=rate, kind=kind, rate_base=base)


def _parse_section(raw: object, path: str) -> SectionInput:
    obj = _object(raw, path)
    _check_keys(obj, _SECTION_KEYS, path)
    code = obj.get("code")
    if code is None:
        raise CalcInputError(_join(path, "code"), "is required")
    if not isinstance(code, str) or not code.strip():
        raise CalcInputError(_join(path, "code"), "must be a non-empty string")
    sum_insured = _optional_amount(obj, "sum_insured", path)
    insured_value = _optional_amount(obj, "insured_value", path)
    deductible = _parse_deductible(obj.get("deductible"), _join(path, "deductible"))
    per_occurrence = _optional_amount(obj, "per_occurrence_limit", path)
    aggregate = _optional_amount(obj, "aggregate_limit", path)
    paid = _optional_amount(obj, "paid_to_date", path)

    items_path = _join(path, "items")
    items_raw = obj.get("items")
    if items_raw is None:
        raise CalcInputError(items_path, "is required")
    if not isinstance(items_raw, list):
        raise CalcInputError(items_path, "must be a list")
    if not items_raw:
        raise CalcInputError(items_path, "must not be empty")
    items = tuple(_parse_item(it, f"{items_path}[{i}]") for i, it in enumerate(items_raw))

    options_path = _join(path, "options")
    options = _parse_options(obj.get("options"), options_path)
    if sum_insured is None:
        if options.basis is Basis.FIRST_LOSS:
            raise CalcInputError(_join(options_path, "basis"), "first_loss needs a sum_insured")
        if options.sum_insured_reduces:
            raise CalcInputError(_join(options_path, "sum_insured_reduces"), "needs a sum_insured")
        if deductible.rate is not None and deductible.rate_base is RateBase.SUM_INSURED:
            raise CalcInputError(
                _join(_join(path, "deductible"), "rate"), "a rate on the sum insured needs a sum_insured"
            )
    return SectionInput(
        code=code,
        items=items,
        sum_insured=sum_insured,
        insured_value=insured_value,
        deductible=deductible,
        per_occurrence_limit=per_occurrence,
        aggregate_limit=aggregate,
        paid_to_date=paid if paid is not None else _ZERO,
        options=options,
    )


def parse_input(doc: object) -> CalcInput:
    """Validate a decoded input document (as from :func:`loads_json`) and build a :class:`CalcInput`.

    Raises :class:`CalcInputError` naming the first offending field by its path, e.g.
    ``sections[0].items[2].loss``. Unknown keys are rejected too.
    """
    obj = _object(doc, "")
    _check_keys(obj, _TOP_KEYS, "")
    currency = obj.get("currency")
    if currency is None:
        raise CalcInputError("currency", "is required")
    if not isinstance(currency, str) or currency not in CURRENCIES:
        expected = ", ".join(CURRENCIES)
        raise CalcInputError("currency", f"unknown currency {currency!r} (expected one of: {expected})")
    advance = _optional_amount(obj, "advance_paid", "")

    sections_raw = obj.get("sections")
    if sections_raw is None:
        raise CalcInputError("sections", "is required")
    if not isinstance(sections_raw, list):
        raise CalcInputError("sections", "must be a list")
    if not sections_raw:
        raise CalcInputError("sections", "must not be empty")
    sections: list[SectionInput] = []
    seen: set[str] = set()
    for i, raw in enumerate(sections_raw):
        section = _parse_section(raw, f"sections[{i}]")
        if section.code in seen:
            raise CalcInputError(f"sections[{i}].code", f"duplicate section code {section.code!r}")
        seen.add(section.code)
        sections.append(section)
    return CalcInput(currency=currency, sections=tuple(sections), advance_paid=advance or _ZERO)


# --------------------------------------------------------------------------------------------------
# Computation
# --------------------------------------------------------------------------------------------------


def _compute_section(sec: SectionInput) -> SectionResult:
    opts = sec.options
    ded = sec.deductible

    # 1-2. gross and net loss (salvage before average by default)
    gross = sum((it.loss for it in sec.items), _ZERO)
    salvage_total = sum((it.salvage for it in sec.items), _ZERO)
    if opts.salvage is SalvageOrder.AFTER_AVERAGE:
        net = gross
    else:
        net = sum((max(_ZERO, it.loss - it.salvage) for it in sec.items), _ZERO)

    # effective sum insured (保险金额不恢复: reduced by what was paid before)
    si = sec.sum_insured
    if si is not None and opts.sum_insured_reduces:
        si = max(_ZERO, si - sec.paid_to_date)

    # 3-4. average clause (比例赔付), exact: multiply before dividing
    iv = sec.insured_value
    average = opts.basis is Basis.AVERAGE and si is not None and iv is not None and si < iv
    if average:
        assert si is not None and iv is not None
        ratio = si / iv
        if opts.salvage is SalvageOrder.AFTER_AVERAGE:
            after_average = max(_ZERO, gross * si / iv - salvage_total)
        else:
            after_average = net * si / iv
    else:
        ratio = _ONE
        if opts.salvage is SalvageOrder.AFTER_AVERAGE:
            after_average = max(_ZERO, gross - salvage_total)
        else:
            after_average = net

    # liability share (事故责任比例)
    after_liability = after_average * opts.liability_ratio

    # 5. deductible
    rate_part = _ZERO
    if ded.rate is not None:
        if ded.rate_base is RateBase.SUM_INSURED:
            rate_part = ded.rate * (si if si is not None else _ZERO)
        else:
            rate_part = ded.rate * after_liability
    threshold = max(ded.amount, rate_part)
    franchise_threshold: Decimal | None = None
    if ded.kind is DeductibleKind.FRANCHISE:
        franchise_threshold = threshold
        deductible = after_liability if after_liability <= threshold else _ZERO
    else:
        deductible = min(threshold, after_liability)

    # 6. after deductible
    after_deductible = after_liability - deductible

    # 7. bounds, in the order that settles ties
    sum_insured_bound = si if opts.basis is Basis.FIRST_LOSS else None
    aggregate_remaining = None if sec.aggregate_limit is None else sec.aggregate_limit - sec.paid_to_date
    bounds = (
        (LimitedBy.PER_OCCURRENCE, sec.per_occurrence_limit),
        (LimitedBy.SUM_INSURED, sum_insured_bound),
        (LimitedBy.AGGREGATE, aggregate_remaining),
    )
    limited_by = LimitedBy.NONE
    payable_exact = after_deductible
    for name, bound in bounds:
        if bound is not None and bound < payable_exact:
            payable_exact = bound
            limited_by = name
    payable_exact = max(_ZERO, payable_exact)

    # 8. the one rounding of the section
    payable = _round2(payable_exact)

    return SectionResult(
        code=sec.code,
        gross_loss=gross,
        net_loss=net,
        salvage_total=salvage_total,
        average_applied=average,
        average_ratio=ratio,
        after_average=after_average,
        liability_ratio=opts.liability_ratio,
        after_liability=after_liability,
        deductible=deductible,
        after_deductible=after_deductible,
        payable_exact=payable_exact,
        payable=payable,
        limited_by=limited_by,
        effective_sum_insured=si,
        aggregate_remaining=aggregate_remaining,
        per_occurrence_limit=sec.per_occurrence_limit,
        sum_insured_bound=sum_insured_bound,
        franchise_threshold=franchise_threshold,
        section=sec,
    )


def compute(inp: CalcInput) -> CalcResult:
    """Compute every section and the totals of a validated input (see the module docstring)."""
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        ctx.rounding = ROUND_HALF_UP
        sections = tuple(_compute_section(sec) for sec in inp.sections)
        total = sum((s.payable for s in sections), _ZERO)
        balance = _round2(total - inp.advance_paid)
        if balance < 0:
            due, overpaid = _ZERO, -balance
        else:
            due, overpaid = balance, _ZERO
        return CalcResult(
            currency=inp.currency,
            sections=sections,
            total_payable=_round2(total),
            advance_paid=inp.advance_paid,
            due=_round2(due),
            overpaid=_round2(overpaid),
        )


# --------------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------------


def _round2(value: Decimal) -> Decimal:
    """Round to 0.01 half up; never returns a negative zero."""
    q = round_cny(value)
    return abs(q) if q == 0 else q


def _fmt2(value: Decimal) -> str:
    return f"{_round2(value):.2f}"


def _fmt_ratio(value: Decimal) -> str:
    q = value.quantize(_RATIO_PLACES, rounding=ROUND_HALF_UP)
    return f"{abs(q) if q == 0 else q:.6f}"


def _section_json(s: SectionResult) -> dict[str, str]:
    return {
        "code": s.code,
        "gross_loss": _fmt2(s.gross_loss),
        "net_loss": _fmt2(s.net_loss),
        "average_ratio": _fmt_ratio(s.average_ratio),
        "after_average": _fmt2(s.after_average),
        "after_liability": _fmt2(s.after_liability),
        "deductible": _fmt2(s.deductible),
        "after_deductible": _fmt2(s.after_deductible),
        "payable": _fmt2(s.payable),
        "limited_by": s.limited_by.value,
    }


def result_to_json(res: CalcResult) -> dict[str, Any]:
    """The contract's output document: every figure a string, rounded to 0.01 (the ratio to 6 places)."""
    return {
        "currency": res.currency,
        "sections": [_section_json(s) for s in res.sections],
        "total_payable": _fmt2(res.total_payable),
        "advance_paid": _fmt2(res.advance_paid),
        "due": _fmt2(res.due),
        "overpaid": _fmt2(res.overpaid),
    }


# --------------------------------------------------------------------------------------------------
# Step-by-step explanation (for a web page)
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One displayed step: ``key`` is the output field, ``formula`` shows how ``value`` was obtained."""

    key: str
    label: str
    formula: str
    value: str


@dataclass(frozen=True)
class SectionSteps:
    """The steps of one section, in calculation order."""

    code: str
    steps: tuple[Step, ...]


def _explain_section(s: SectionResult) -> SectionSteps:
    sec = s.section
    opts = sec.options
    ded = sec.deductible
    f = _fmt2
    steps: list[Step] = []

    losses = " + ".join(f(it.loss) for it in sec.items)
    steps.append(Step("gross_loss", "Gross loss", f"Σ loss = {losses}", f(s.gross_loss)))

    if opts.salvage is SalvageOrder.AFTER_AVERAGE:
        net_formula = "salvage is deducted after the average clause: net loss = gross loss"
    else:
        net_formula = "Σ max(0, loss − salvage) = " + " + ".join(
            f"max(0, {f(it.loss)} − {f(it.salvage)})" for it in sec.items
        )
    steps.append(Step("net_loss", "Net loss (after salvage)", net_formula, f(s.net_loss)))

    si_text = "none" if s.effective_sum_insured is None else f(s.effective_sum_insured)
    if opts.sum_insured_reduces and sec.sum_insured is not None:
        si_text = f"max(0, {f(sec.sum_insured)} − {f(sec.paid_to_date)}) = {si_text}"
    if opts.basis is Basis.FIRST_LOSS:
        ratio_formula = "first loss basis: no average clause"
    elif s.average_applied:
        assert sec.insured_value is not None
        ratio_formula = f"sum insured / insured value = {si_text} / {f(sec.insured_value)}"
    else:
        ratio_formula = "no under-insurance: 1"
    steps.append(Step("average_ratio", "Average ratio", ratio_formula, _fmt_ratio(s.average_ratio)))

    base = "gross loss" if opts.salvage is SalvageOrder.AFTER_AVERAGE else "net loss"
    if s.average_applied:
        assert sec.insured_value is not None and s.effective_sum_insured is not None
        avg_formula = f"{base} × {f(s.effective_sum_insured)} / {f(sec.insured_value)}"
    else:
        avg_formula = base
    if opts.salvage is SalvageOrder.AFTER_AVERAGE:
        avg_formula = f"max(0, {avg_formula} − Σ salvage {f(s.salvage_total)})"
    steps.append(Step("after_average", "After average", avg_formula, f(s.after_average)))

    steps.append(
        Step(
            "after_liability",
            "After liability share",
            f"after average × {s.liability_ratio}",
            f(s.after_liability),
        )
    )

    rate_text = ""
    if ded.rate is not None:
        if ded.rate_base is RateBase.SUM_INSURED:
            rate_text = f"{ded.rate} × sum insured {si_text}"
        else:
            rate_text = f"{ded.rate} × {f(s.after_liability)}"
    threshold = f"max({f(ded.amount)}, {rate_text})" if rate_text else f(ded.amount)
    if ded.kind is DeductibleKind.FRANCHISE:
        assert s.franchise_threshold is not None
        reached = s.after_liability <= s.franchise_threshold
        outcome = "not exceeded: all of the loss" if reached else "exceeded: 0"
        ded_formula = f"franchise threshold {threshold} = {f(s.franchise_threshold)}, {outcome}"
    else:
        ded_formula = f"min({threshold}, after liability)"
    steps.append(Step("deductible", "Deductible", ded_formula, f(s.deductible)))

    steps.append(Step("after_deductible", "After deductible", "after liability − deductible", f(s.after_deductible)))

    parts = ["after deductible"]
    if s.per_occurrence_limit is not None:
        parts.append(f"per occurrence limit {f(s.per_occurrence_limit)}")
    if s.sum_insured_bound is not None:
        parts.append(f"sum insured {f(s.sum_insured_bound)}")
    if s.aggregate_remaining is not None:
        assert sec.aggregate_limit is not None
        remaining = f"{f(sec.aggregate_limit)} − {f(sec.paid_to_date)} = {f(s.aggregate_remaining)}"
        parts.append(f"aggregate remaining {remaining}")
    pay_formula = f"max(0, min({', '.join(parts)})), rounded half up"
    steps.append(Step("payable", "Payable", pay_formula, f(s.payable)))
    steps.append(Step("limited_by", "Limited by", "the bound strictly below after deductible", s.limited_by.value))
    return SectionSteps(code=s.code, steps=tuple(steps))


def explain_steps(result: CalcResult) -> tuple[SectionSteps, ...]:
    """Every section's steps (gross_loss … payable, limited_by) with formulas, ready to display."""
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        return tuple(_explain_section(s) for s in result.sections)
