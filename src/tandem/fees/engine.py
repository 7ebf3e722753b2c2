"""Fee engine (公估费计算): an adjuster firm's fee terms and what they bill, as ``docs/fees.md`` says.

The terms (:class:`FeeTerms`) are fixed before the firm accepts an instruction (regulation.md §1.6):
a basis (``fixed``, ``hourly``, ``rate`` of the assessed loss, or ``scale``: 差额定率累进, each tier of
the assessed loss at its own rate, like the fee scales of valuation work), an optional minimum and
maximum fee, the reimbursable expenses policy, the VAT rate, the payer and the payment days. The work
done (hours, assessed loss, expenses incurred) and the invoice date come at billing time.

Pure functions over :class:`~decimal.Decimal`, no database. Every intermediate figure is exact (the
arithmetic runs in a context that traps any rounding); money is rounded half up to the fen exactly twice:
the fee (before the minimum and maximum, which are whole fen) and the VAT. Expenses are whole fen already,
and the total is a sum of whole fen.

Typical use::

    inp = parse_input(loads_json(text))     # validates; FeeInputError(path, message)
    res = compute(inp)
    doc = result_to_json(res)               # the contract's output document, with its steps
    terms = parse_terms(raw, engagement=Engagement(CaseKind.CLAIM, Side.BROKER))  # a letter's terms
    stored = terms_to_json(terms)           # canonical form: parse_terms(stored) == terms
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Context, Decimal, Inexact, Rounded, localcontext
from enum import StrEnum
from typing import Any, TypeVar

from tandem.kit.money import DecimalInputError, parse_decimal, round_cny
from tandem.settlement.calculator import CalcInputError, NonFiniteToken, loads_json

__all__ = [
    "DEFAULT_VAT_RATE",
    "MAX_TIERS",
    "Basis",
    "BoundedBy",
    "CaseKind",
    "Engagement",
    "Expenses",
    "ExpensesPolicy",
    "FeeInput",
    "FeeInputError",
    "FeeResult",
    "FeeTerms",
    "Payer",
    "Side",
    "Step",
    "Tier",
    "Work",
    "allowed_payers",
    "compute",
    "fee_document",
    "loads_json",
    "parse_input",
    "parse_terms",
    "result_to_json",
    "scale_parts",
    "terms_to_json",
]

#: Bad input: ``path`` names the field (``terms.scale[1].rate``), ``""`` for the whole document. The
#: calculators' one error class, so one handler serves every engine.
FeeInputError = CalcInputError

DEFAULT_VAT_RATE = Decimal("0.06")  # 鉴证咨询服务, general taxpayer
#: The highest VAT rate in force (13 %): a larger rate is a typing error (``6`` meant as per cent).
MAX_VAT_RATE = Decimal("0.13")
MAX_TIERS = 50
MAX_PAYMENT_DAYS = 365
#: Sanity bounds: money below 10**12 yuan in whole fen, hours below 10**5 in hundredths, rates at
#: most 1 with 6 decimals (VAT with 4). Larger or finer figures are bad input, not a long computation.
_MONEY_DIGITS = 12
_HOURS_DIGITS = 5
_RATE_PLACES = 6
_VAT_PLACES = 4

_ZERO = Decimal(0)
_ONE = Decimal(1)
#: Exact arithmetic: every input is bounded, so 60 digits hold any product or sum; rounding is an error.
_EXACT = Context(prec=60, traps=[Inexact, Rounded])
_ROUNDING = Context(prec=60)
_DATE_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class CaseKind(StrEnum):
    CLAIM = "claim"  # 理赔: establishing a loss
    PRE_ASSESSMENT = "pre_assessment"  # 预评估: the risk survey before a programme is placed
    TERMINATION = "termination"  # 终止评估: the loss a policy's suspension or termination causes the insured


class Side(StrEnum):
    """Who instructed the firm: the broker (for the insured) or the insurer (its own adjuster)."""

    BROKER = "broker"
    INSURER = "insurer"


class Basis(StrEnum):
    FIXED = "fixed"  # 固定费用
    HOURLY = "hourly"  # 计时: hours × hourly rate
    RATE = "rate"  # 按损失金额比例
    SCALE = "scale"  # 差额定率累进


class ExpensesPolicy(StrEnum):
    NONE = "none"  # included in the fee: nothing is reimbursed
    ACTUAL = "actual"  # 实报实销: the expenses incurred, up to the cap when there is one
    ALLOWANCE = "allowance"  # 包干: a fixed allowance, whatever was spent


class Payer(StrEnum):
    INSURER = "insurer"
    INSURED = "insured"
    BROKER = "broker"


class BoundedBy(StrEnum):
    NONE = "none"
    MINIMUM = "minimum"
    MAXIMUM = "maximum"


# --------------------------------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tier:
    """One tier of a scale: the part of the assessed loss up to ``up_to`` (``None``: no upper end),
    above the previous tier's ``up_to``, is charged at ``rate`` (a fraction: ``0.01`` is 1 %)."""

    up_to: Decimal | None
    rate: Decimal


@dataclass(frozen=True)
class Expenses:
    """The reimbursable expenses policy: ``cap`` for ``actual`` (``None``: no cap), ``amount`` for
    ``allowance``."""

    policy: ExpensesPolicy = ExpensesPolicy.NONE
    cap: Decimal | None = None
    amount: Decimal | None = None


@dataclass(frozen=True)
class FeeTerms:
    """Fee terms fixed when the firm accepts the instruction. Only the field of the basis is set
    (``amount``, ``hourly_rate``, ``rate`` or ``scale``); a fixed fee has no minimum or maximum. Every
    amount is exclusive of VAT; rates are fractions."""

    basis: Basis
    payer: Payer
    payment_days: int
    amount: Decimal | None = None
    hourly_rate: Decimal | None = None
    rate: Decimal | None = None
    scale: tuple[Tier, ...] = ()
    minimum_fee: Decimal | None = None
    maximum_fee: Decimal | None = None
    expenses: Expenses = field(default_factory=Expenses)
    vat_rate: Decimal = DEFAULT_VAT_RATE


@dataclass(frozen=True)
class Engagement:
    """The case the terms belong to: its kind and the side that instructed the firm."""

    kind: CaseKind
    instructed_by: Side


@dataclass(frozen=True)
class Work:
    """What billing knows: the assessed loss (``rate``, ``scale``), the hours (``hourly``) and the
    expenses incurred (``actual``). A figure the terms do not use is ignored."""

    assessed_loss: Decimal | None = None
    hours: Decimal | None = None
    expenses_incurred: Decimal | None = None


@dataclass(frozen=True)
class FeeInput:
    engagement: Engagement
    terms: FeeTerms
    work: Work
    invoice_date: dt.date


Figure = Decimal | int | str | dt.date | None


@dataclass(frozen=True)
class Step:
    """One line of the step-by-step table: a code, the figures it takes and the figures it gives."""

    code: str
    inputs: Mapping[str, Figure]
    outputs: Mapping[str, Figure]


@dataclass(frozen=True)
class FeeResult:
    """``fee_exact`` is unrounded; every other amount is in whole fen."""

    engagement: Engagement
    terms: FeeTerms
    fee_exact: Decimal
    fee_rounded: Decimal
    fee: Decimal
    bounded_by: BoundedBy
    expenses: Decimal
    taxable: Decimal
    vat: Decimal
    total: Decimal
    invoice_date: dt.date
    due_date: dt.date
    steps: tuple[Step, ...]


# --------------------------------------------------------------------------------------------------
# Who pays
# --------------------------------------------------------------------------------------------------

_PAYERS: Mapping[tuple[CaseKind, Side], tuple[Payer, ...]] = {
    # the insurer bears the cost of establishing a loss (保险法 Art. 64), whoever instructed
    (CaseKind.CLAIM, Side.BROKER): (Payer.INSURER,),
    (CaseKind.CLAIM, Side.INSURER): (Payer.INSURER,),
    # the broker's pre-assessment is paid by the insured or by the broker, as they agree
    (CaseKind.PRE_ASSESSMENT, Side.BROKER): (Payer.INSURED, Payer.BROKER),
    # the insurer's second pre-assessment is at its own cost (R-U7)
    (CaseKind.PRE_ASSESSMENT, Side.INSURER): (Payer.INSURER,),
    # the broker's termination assessment is the insured's case against the insurer: the insured or the
    # broker pays, as they agree (the recovery may claim it back); only the broker instructs one
    (CaseKind.TERMINATION, Side.BROKER): (Payer.INSURED, Payer.BROKER),
    (CaseKind.TERMINATION, Side.INSURER): (Payer.INSURER,),
}


def allowed_payers(engagement: Engagement) -> tuple[Payer, ...]:
    """Who may pay the fee of this engagement (a form offers exactly these)."""
    return _PAYERS[engagement.kind, engagement.instructed_by]


# --------------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------------

_E = TypeVar("_E", bound=StrEnum)


def _kind_of(value: object) -> str:
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, Decimal | int):
        return "a number"
    return "a list" if isinstance(value, list) else "an object"


class _Reader:
    """One JSON object of the document at ``path``: unknown and repeated keys are refused, ``null`` is
    the same as an absent key, and every error names the field."""

    def __init__(self, raw: object, path: str, keys: tuple[str, ...]) -> None:
        if not isinstance(raw, Mapping):
            raise FeeInputError(path, "must be an object" if path else "the document must be a JSON object")
        self.path = path
        self.raw: Mapping[str, object] = raw
        for key in getattr(raw, "duplicate_keys", ()):
            raise FeeInputError(self.at(str(key)), "appears more than once")
        for key in raw:
            if key not in keys:
                raise FeeInputError(self.at(str(key)), "unknown field")

    def at(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def has(self, key: str) -> bool:
        return self.raw.get(key) is not None

    def need(self, key: str, why: str = "is required") -> object:
        value = self.raw.get(key)
        if value is None:
            raise FeeInputError(self.at(key), why)
        return value

    def absent(self, keys: tuple[str, ...], why: str) -> None:
        for key in keys:
            if self.has(key):
                raise FeeInputError(self.at(key), why)

    def reader(self, key: str, keys: tuple[str, ...]) -> _Reader:
        return _Reader(self.need(key), self.at(key), keys)

    def number(self, key: str, *, digits: int, places: int) -> Decimal:
        raw = self.need(key)
        if isinstance(raw, NonFiniteToken):
            raise FeeInputError(self.at(key), f"must be a finite number, not {raw.token}")
        try:
            number = parse_decimal(raw, exponent=False, digits=digits, places=places)
        except DecimalInputError as exc:
            raise FeeInputError(self.at(key), exc.problem) from None
        if number < 0:
            raise FeeInputError(self.at(key), "must not be negative")
        return number + _ZERO  # -0 is 0

    def money(self, key: str) -> Decimal:
        """Whole fen (at most 2 decimal places), not negative, below 10**12."""
        return self.number(key, digits=_MONEY_DIGITS, places=2)

    def optional_money(self, key: str) -> Decimal | None:
        return self.money(key) if self.has(key) else None

    def fraction(self, key: str, *, high: Decimal = _ONE, places: int = _RATE_PLACES) -> Decimal:
        number = self.number(key, digits=_MONEY_DIGITS, places=places)
        if number > high:
            raise FeeInputError(self.at(key), f"must be between 0 and {high} (a fraction: 0.06 is 6 %)")
        return number

    def member(self, key: str, enum: type[_E]) -> _E:
        value = self.need(key)
        for member in enum:
            if value == member.value:
                return member
        expected = ", ".join(m.value for m in enum)
        raise FeeInputError(self.at(key), f"unknown value {_kind_of(value)} (expected one of: {expected})")

    def whole(self, key: str, high: int) -> int:
        number = self.number(key, digits=_MONEY_DIGITS, places=_RATE_PLACES)
        if number != number.to_integral_value():
            raise FeeInputError(self.at(key), "must be a whole number")
        if number > high:
            raise FeeInputError(self.at(key), f"must be at most {high}")
        return int(number)

    def date(self, key: str) -> dt.date:
        text = self.need(key)
        if not isinstance(text, str) or not _DATE_TEXT.fullmatch(text):
            raise FeeInputError(self.at(key), "must be a date YYYY-MM-DD")
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            raise FeeInputError(self.at(key), f"no such date: {text}") from None


def _parse_scale(terms: _Reader) -> tuple[Tier, ...]:
    raw = terms.need("scale", "is required for basis scale")
    path = terms.at("scale")
    if not isinstance(raw, list):
        raise FeeInputError(path, "must be a list")
    if not 1 <= len(raw) <= MAX_TIERS:
        raise FeeInputError(path, f"must list between 1 and {MAX_TIERS} tiers")
    tiers: list[Tier] = []
    for i, item in enumerate(raw):
        tier = _Reader(item, f"{path}[{i}]", ("up_to", "rate"))
        up_to = tier.optional_money("up_to")
        last = i == len(raw) - 1
        if last and up_to is not None:
            raise FeeInputError(tier.at("up_to"), "the last tier must be open (null): every loss falls in a tier")
        if not last and up_to is None:
            raise FeeInputError(tier.at("up_to"), "only the last tier may be open")
        previous = tiers[-1].up_to if tiers else _ZERO
        if up_to is not None and previous is not None and up_to <= previous:
            raise FeeInputError(tier.at("up_to"), f"must be greater than the previous tier's up_to ({previous:.2f})")
        tiers.append(Tier(up_to=up_to, rate=tier.fraction("rate")))
    return tuple(tiers)


def _parse_expenses(terms: _Reader) -> Expenses:
    if not terms.has("expenses"):
        return Expenses()
    exp = terms.reader("expenses", ("policy", "cap", "amount"))
    policy = exp.member("policy", ExpensesPolicy)
    if policy is ExpensesPolicy.NONE:
        exp.absent(("cap", "amount"), "not used with policy none")
        return Expenses()
    if policy is ExpensesPolicy.ACTUAL:
        exp.absent(("amount",), "not used with policy actual (the cap is 'cap')")
        return Expenses(policy, cap=exp.optional_money("cap"))
    exp.absent(("cap",), "not used with policy allowance (the allowance is 'amount')")
    return Expenses(policy, amount=exp.money("amount"))


_TERM_KEYS = (
    "basis",
    "amount",
    "hourly_rate",
    "rate",
    "scale",
    "minimum_fee",
    "maximum_fee",
    "expenses",
    "vat_rate",
    "payer",
    "payment_days",
)
_BASIS_FIELD = {Basis.FIXED: "amount", Basis.HOURLY: "hourly_rate", Basis.RATE: "rate", Basis.SCALE: "scale"}


def parse_terms(raw: object, path: str = "terms", *, engagement: Engagement | None = None) -> FeeTerms:
    """Validate a terms object (the input's ``terms``, or terms stored by :func:`terms_to_json`).

    With ``engagement``, the payer must be one :func:`allowed_payers` gives. Raises
    :class:`FeeInputError` naming the first offending field by its path.
    """
    terms = _Reader(raw, path, _TERM_KEYS)
    basis = terms.member("basis", Basis)
    own = _BASIS_FIELD[basis]
    terms.absent(tuple(k for k in _BASIS_FIELD.values() if k != own), f"not used with basis {basis.value}")
    needed = f"is required for basis {basis.value}"
    amount = hourly_rate = rate = None
    scale: tuple[Tier, ...] = ()
    if basis is Basis.FIXED:
        terms.absent(("minimum_fee", "maximum_fee"), "a fixed fee has no minimum or maximum")
        terms.need("amount", needed)
        amount = terms.money("amount")
    elif basis is Basis.HOURLY:
        terms.need("hourly_rate", needed)
        hourly_rate = terms.money("hourly_rate")
    elif basis is Basis.RATE:
        terms.need("rate", needed)
        rate = terms.fraction("rate")
    else:
        scale = _parse_scale(terms)
    minimum, maximum = terms.optional_money("minimum_fee"), terms.optional_money("maximum_fee")
    if minimum is not None and maximum is not None and maximum < minimum:
        raise FeeInputError(terms.at("maximum_fee"), f"must not be below minimum_fee ({minimum:.2f})")
    expenses = _parse_expenses(terms)
    vat_rate = terms.fraction("vat_rate", high=MAX_VAT_RATE, places=_VAT_PLACES) if terms.has("vat_rate") else None
    payer = terms.member("payer", Payer)
    if engagement is not None and payer not in allowed_payers(engagement):
        allowed = " or ".join(p.value for p in allowed_payers(engagement))
        raise FeeInputError(
            terms.at("payer"),
            f"must be {allowed} for a {engagement.kind.value} instructed by the {engagement.instructed_by.value}",
        )
    return FeeTerms(
        basis=basis,
        payer=payer,
        payment_days=terms.whole("payment_days", MAX_PAYMENT_DAYS),
        amount=amount,
        hourly_rate=hourly_rate,
        rate=rate,
        scale=scale,
        minimum_fee=minimum,
        maximum_fee=maximum,
        expenses=expenses,
        vat_rate=DEFAULT_VAT_RATE if vat_rate is None else vat_rate,
    )


def _parse_work(doc: _Reader, terms: FeeTerms) -> Work:
    if not doc.has("work"):
        work = _Reader({}, "work", ())
    else:
        work = doc.reader("work", ("assessed_loss", "hours", "expenses_incurred"))
    loss = hours = incurred = None
    if work.has("assessed_loss") or terms.basis in (Basis.RATE, Basis.SCALE):
        work.need("assessed_loss", f"is required for basis {terms.basis.value}")
        loss = work.money("assessed_loss")
    if work.has("hours") or terms.basis is Basis.HOURLY:
        work.need("hours", "is required for basis hourly")
        hours = work.number("hours", digits=_HOURS_DIGITS, places=2)
    if work.has("expenses_incurred") or terms.expenses.policy is ExpensesPolicy.ACTUAL:
        work.need("expenses_incurred", "is required for expenses policy actual")
        incurred = work.money("expenses_incurred")
    return Work(assessed_loss=loss, hours=hours, expenses_incurred=incurred)


def parse_input(doc: object) -> FeeInput:
    """Validate a decoded input document (from :func:`loads_json`) and build a :class:`FeeInput`.

    Raises :class:`FeeInputError` naming the first offending field by its path.
    """
    top = _Reader(doc, "", ("engagement", "terms", "work", "invoice_date"))
    eng = top.reader("engagement", ("kind", "instructed_by"))
    engagement = Engagement(kind=eng.member("kind", CaseKind), instructed_by=eng.member("instructed_by", Side))
    terms = parse_terms(top.need("terms"), "terms", engagement=engagement)
    work = _parse_work(top, terms)
    invoice_date = top.date("invoice_date")
    if (dt.date.max - invoice_date).days < terms.payment_days:
        raise FeeInputError("invoice_date", "the due date would fall after 9999-12-31")
    return FeeInput(engagement=engagement, terms=terms, work=work, invoice_date=invoice_date)


# --------------------------------------------------------------------------------------------------
# Canonical form
# --------------------------------------------------------------------------------------------------


def _fen(value: Decimal) -> str:
    return f"{value:.2f}"


def _plain(value: Decimal) -> str:
    """A rate or an exact figure without exponent or trailing zeros (``0.06``, ``1``, ``0.0125``)."""
    text = f"{value.normalize():f}"
    return "0" if text in ("-0", "0") else text


def _exact(value: Decimal) -> str:
    """An exact amount: at least 2 decimals, more where the figure has them (``9259.259175``)."""
    return _fen(value) if value == _half_up(value) else _plain(value)


def terms_to_json(terms: FeeTerms) -> dict[str, Any]:
    """The canonical JSON form of the terms, to store with a letter's acceptance: every field the basis
    uses, in this order, amounts with 2 decimals, rates without trailing zeros, absent bounds as null.
    :func:`parse_terms` of it gives the same terms back."""
    out: dict[str, Any] = {"basis": terms.basis.value}
    if terms.basis is Basis.FIXED:
        assert terms.amount is not None
        out["amount"] = _fen(terms.amount)
    elif terms.basis is Basis.HOURLY:
        assert terms.hourly_rate is not None
        out["hourly_rate"] = _fen(terms.hourly_rate)
    elif terms.basis is Basis.RATE:
        assert terms.rate is not None
        out["rate"] = _plain(terms.rate)
    else:
        out["scale"] = [
            {"up_to": None if t.up_to is None else _fen(t.up_to), "rate": _plain(t.rate)} for t in terms.scale
        ]
    if terms.basis is not Basis.FIXED:
        out["minimum_fee"] = None if terms.minimum_fee is None else _fen(terms.minimum_fee)
        out["maximum_fee"] = None if terms.maximum_fee is None else _fen(terms.maximum_fee)
    exp = terms.expenses
    expenses: dict[str, Any] = {"policy": exp.policy.value}
    if exp.policy is ExpensesPolicy.ACTUAL:
        expenses["cap"] = None if exp.cap is None else _fen(exp.cap)
    elif exp.policy is ExpensesPolicy.ALLOWANCE:
        assert exp.amount is not None
        expenses["amount"] = _fen(exp.amount)
    out["expenses"] = expenses
    out["vat_rate"] = _plain(terms.vat_rate)
    out["payer"] = terms.payer.value
    out["payment_days"] = terms.payment_days
    return out


# --------------------------------------------------------------------------------------------------
# Computation
# --------------------------------------------------------------------------------------------------


def scale_parts(tiers: tuple[Tier, ...], loss: Decimal) -> list[tuple[int, Decimal, Decimal | None, Decimal, Decimal]]:
    """The tiers a loss reaches: ``(index, from, up_to, portion of the loss in the tier, portion × rate)``,
    exact. Their sum is the scale fee, a continuous non-decreasing function of the loss."""
    parts = []
    low = _ZERO
    with localcontext(_EXACT):
        for i, tier in enumerate(tiers):
            if loss <= low:
                break
            portion = loss - low if tier.up_to is None else min(loss, tier.up_to) - low
            parts.append((i, low, tier.up_to, portion, portion * tier.rate))
            if tier.up_to is None:
                break
            low = tier.up_to
    return parts


def _base_fee(inp: FeeInput, steps: list[Step]) -> Decimal:
    """Step 1: the fee the basis gives, exact."""
    terms, work = inp.terms, inp.work
    if terms.basis is Basis.FIXED:
        assert terms.amount is not None
        steps.append(Step("fee.fixed", {"amount": terms.amount}, {"fee_exact": terms.amount}))
        return terms.amount
    if terms.basis is Basis.HOURLY:
        assert terms.hourly_rate is not None and work.hours is not None
        fee = work.hours * terms.hourly_rate
        steps.append(Step("fee.hourly", {"hours": work.hours, "hourly_rate": terms.hourly_rate}, {"fee_exact": fee}))
        return fee
    assert work.assessed_loss is not None
    loss = work.assessed_loss
    if terms.basis is Basis.RATE:
        assert terms.rate is not None
        fee = loss * terms.rate
        steps.append(Step("fee.rate", {"assessed_loss": loss, "rate": terms.rate}, {"fee_exact": fee}))
        return fee
    fee = _ZERO
    for index, low, up_to, portion, part in scale_parts(terms.scale, loss):
        fee += part
        steps.append(
            Step(
                "fee.scale.tier",
                {"tier": index + 1, "from": low, "up_to": up_to, "portion": portion, "rate": terms.scale[index].rate},
                {"part": part},
            )
        )
    steps.append(Step("fee.scale", {"assessed_loss": loss}, {"fee_exact": fee}))
    return fee


def _bounded(terms: FeeTerms, fee: Decimal, steps: list[Step]) -> tuple[Decimal, BoundedBy]:
    """Step 3: a fee below the minimum is raised to it, one above the maximum lowered to it."""
    low, high = terms.minimum_fee, terms.maximum_fee
    if low is None and high is None:
        return fee, BoundedBy.NONE
    bounded, by = fee, BoundedBy.NONE
    if low is not None and fee < low:
        bounded, by = low, BoundedBy.MINIMUM
    elif high is not None and fee > high:
        bounded, by = high, BoundedBy.MAXIMUM
    steps.append(
        Step("fee.bounds", {"fee": fee, "minimum_fee": low, "maximum_fee": high}, {"fee": bounded, "bounded_by": by})
    )
    return bounded, by


def _expenses(inp: FeeInput, steps: list[Step]) -> Decimal:
    """Step 4: what the policy reimburses (whole fen, no rounding)."""
    policy, incurred = inp.terms.expenses, inp.work.expenses_incurred
    inputs: dict[str, Figure] = {"policy": policy.policy.value, "expenses_incurred": incurred}
    if policy.policy is ExpensesPolicy.ACTUAL:
        assert incurred is not None
        inputs["cap"] = policy.cap
        expenses = incurred if policy.cap is None else min(incurred, policy.cap)
    elif policy.policy is ExpensesPolicy.ALLOWANCE:
        assert policy.amount is not None
        inputs["amount"] = policy.amount
        expenses = policy.amount
    else:
        expenses = _ZERO
    steps.append(Step("expenses", inputs, {"expenses": expenses}))
    return expenses


def compute(inp: FeeInput) -> FeeResult:
    """Every step of the contract for a validated input."""
    steps: list[Step] = []
    terms = inp.terms
    with localcontext(_EXACT):
        fee_exact = _base_fee(inp, steps)
        fee_rounded = _half_up(fee_exact)
        steps.append(Step("fee.round", {"fee_exact": fee_exact}, {"fee": fee_rounded}))
        fee, bounded_by = _bounded(terms, fee_rounded, steps)
        expenses = _expenses(inp, steps)
        taxable = fee + expenses
        vat_exact = taxable * terms.vat_rate
    vat = _half_up(vat_exact)
    steps.append(
        Step(
            "vat",
            {"fee": fee, "expenses": expenses, "taxable": taxable, "vat_rate": terms.vat_rate},
            {"vat_exact": vat_exact, "vat": vat},
        )
    )
    with localcontext(_EXACT):
        total = taxable + vat
    steps.append(Step("total", {"fee": fee, "expenses": expenses, "vat": vat}, {"total": total}))
    due = inp.invoice_date + dt.timedelta(days=terms.payment_days)
    steps.append(
        Step("due_date", {"invoice_date": inp.invoice_date, "payment_days": terms.payment_days}, {"due_date": due})
    )
    return FeeResult(
        engagement=inp.engagement,
        terms=terms,
        fee_exact=fee_exact,
        fee_rounded=fee_rounded,
        fee=fee,
        bounded_by=bounded_by,
        expenses=expenses,
        taxable=taxable,
        vat=vat,
        total=total,
        invoice_date=inp.invoice_date,
        due_date=due,
        steps=tuple(steps),
    )


def _half_up(value: Decimal) -> Decimal:
    """To the fen, half up: the project's one money rounding, in a context wide enough for any figure."""
    with localcontext(_ROUNDING):
        return round_cny(value)


# --------------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------------

_AMOUNT_KEYS = frozenset(
    {
        "amount",
        "hourly_rate",
        "assessed_loss",
        "from",
        "up_to",
        "portion",
        "fee",
        "minimum_fee",
        "maximum_fee",
        "expenses",
        "expenses_incurred",
        "cap",
        "taxable",
        "vat",
        "total",
    }
)


def _figure(key: str, value: Figure) -> Any:
    """A step's figure as JSON: amounts in whole fen with 2 decimals, exact figures (``*_exact``,
    ``part``) with every decimal they have, rates and hours without trailing zeros, dates ISO."""
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, Decimal):
        if key in _AMOUNT_KEYS:
            return _fen(value)
        if key.endswith("_exact") or key == "part":
            return _exact(value)
        return _plain(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def result_to_json(res: FeeResult) -> dict[str, Any]:
    """The contract's output document (docs/fees.md): amounts as strings with 2 decimals."""
    return {
        "currency": "CNY",
        "engagement": {"kind": res.engagement.kind.value, "instructed_by": res.engagement.instructed_by.value},
        "terms": terms_to_json(res.terms),
        "fee": _fen(res.fee),
        "bounded_by": res.bounded_by.value,
        "expenses": _fen(res.expenses),
        "taxable": _fen(res.taxable),
        "vat": _fen(res.vat),
        "total": _fen(res.total),
        "invoice_date": res.invoice_date.isoformat(),
        "due_date": res.due_date.isoformat(),
        "steps": [
            {
                "code": s.code,
                "in": {k: _figure(k, v) for k, v in s.inputs.items()},
                "out": {k: _figure(k, v) for k, v in s.outputs.items()},
            }
            for s in res.steps
        ],
    }


def fee_document(doc: object) -> dict[str, Any]:
    """Validate, compute and render in one call: the CLI's and the API's whole job."""
    return result_to_json(compute(parse_input(doc)))
