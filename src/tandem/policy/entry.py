"""A policy typed by a person (issue 19 item 6) or read from a broker's book (item 2): the policy's own
fields and its sections as text, checked field by field. Each checker returns the value or puts an error
msgid beside the field (``errors[prefix + name]``); none raises for bad input. The book import and the
policy form both read through here, so a value refused on one is refused on the other in the same words.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tandem.kit.errors import InvalidInput
from tandem.kit.i18n import N_, Phrase
from tandem.kit.money import DecimalInputError, parse_decimal
from tandem.policy.models import PolicySection
from tandem.policy.service import SectionInput
from tandem.schemas import EARLIEST_YEAR, LATEST_YEAR
from tandem.settlement.basis import check_options

REQUIRED = N_("Required.")
TOO_LONG = N_("Too long.")
BAD_AMOUNT = N_("Enter an amount such as 12500.00.")
BAD_RATE = N_("Enter a percentage between 0 and 100.")
BAD_DATE = N_("Enter a date as YYYY-MM-DD.")
END_BEFORE_START = N_("The policy period must end after it starts.")
BAD_CODE = N_("Lower-case letters, digits and _ only, such as building.")
BAD_CURRENCY = N_("Choose CNY, USD, EUR, HKD or GBP.")
BAD_CHOICE = N_("Choose one of: {choices}.")
BAD_OPTION = N_("This option does not fit the section's other figures.")

CURRENCIES = ("CNY", "USD", "EUR", "HKD", "GBP")
MONEY_FIELDS = ("sum_insured", "insured_value", "deductible_amount", "per_occurrence_limit", "aggregate_limit")
# The amount engine's per-section options (claim-amount.md, "Policy options") and the values each takes.
OPTION_CHOICES: dict[str, tuple[str, ...]] = {
    "basis": ("average", "first_loss"),
    "salvage": ("before_average", "after_average"),
    "sum_insured_reduces": ("true", "false"),
    "deductible_kind": ("absolute", "franchise"),
    "deductible_rate_base": ("loss", "sum_insured"),
}
SECTION_FIELDS = ("code", "name", *MONEY_FIELDS, "deductible_rate", *OPTION_CHOICES, "liability_ratio")
_CODE = re.compile(r"^[a-z0-9_]{1,40}$")
_TRUE = {"true", "yes", "1", "是", "y"}
_FALSE = {"false", "no", "0", "否", "n"}


@dataclass(frozen=True)
class PolicyFields:
    number: str
    line: str
    currency: str
    period_start: dt.date
    period_end: dt.date
    premium: Decimal | None

    def terms(self) -> dict[str, Any]:
        """The keyword arguments of ``policy.service.issue_policy`` these fields give."""
        return {k: v for k, v in vars(self).items() if k != "premium"}


def amount(value: str, errors: dict[str, object], name: str, *, required: bool = False) -> Decimal | None:
    """An amount (``12,500.00``, ``¥12500``): non-negative, at most two decimals."""
    if not value.strip():
        if required:
            errors[name] = REQUIRED
        return None
    try:
        found = parse_decimal(value, grouping=True, exponent=False, digits=15, places=2)
    except DecimalInputError:
        found = None
    if found is None or found.is_signed():
        errors[name] = BAD_AMOUNT
        return None
    return found


def rate(value: str, errors: dict[str, object], name: str) -> Decimal | None:
    """A rate typed as a percentage (``10`` or ``10%``) or as a fraction below one with a point (``0.1``)."""
    text = value.strip()
    if not text:
        return None
    percent = text.endswith(("%", "％"))
    try:
        found = parse_decimal(text.rstrip("%％"), exponent=False, digits=3, places=6)
    except DecimalInputError:
        errors[name] = BAD_RATE
        return None
    if not percent and (found > 1 or (found == 1 and "." not in text)):
        percent = True
    result = found / 100 if percent else found
    if result.is_signed() or result > 1:
        errors[name] = BAD_RATE
        return None
    return result.normalize()


def date(value: str, errors: dict[str, object], name: str, *, required: bool = True) -> dt.date | None:
    text = value.strip()
    if not text:
        if required:
            errors[name] = REQUIRED
        return None
    try:
        found = dt.date.fromisoformat(text[:10].replace("/", "-"))
    except ValueError:
        found = None
    if found is None or not EARLIEST_YEAR <= found.year <= LATEST_YEAR:
        errors[name] = BAD_DATE
        return None
    return found


def _words(value: str, errors: dict[str, object], name: str, limit: int) -> str:
    text = value.strip()
    problem = TOO_LONG if len(text) > limit else None if text else REQUIRED
    if problem is not None:
        errors[name] = problem
    return text


def policy_fields(values: Mapping[str, str], errors: dict[str, object]) -> PolicyFields | None:
    """The policy's number, line, currency, period and premium."""
    before = len(errors)
    number = _words(values.get("number", ""), errors, "number", 60)
    line = _words(values.get("line", ""), errors, "line", 60)
    currency = (values.get("currency", "") or "CNY").strip().upper()
    if currency not in CURRENCIES:
        errors["currency"] = BAD_CURRENCY
    start = date(values.get("period_start", ""), errors, "period_start")
    end = date(values.get("period_end", ""), errors, "period_end")
    if start and end and end <= start:
        errors["period_end"] = END_BEFORE_START
    premium = amount(values.get("premium", ""), errors, "premium")
    if len(errors) > before or start is None or end is None:
        return None
    return PolicyFields(number, line, currency, start, end, premium)


def _options(values: Mapping[str, str], errors: dict[str, object], prefix: str) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for key, choices in OPTION_CHOICES.items():
        text = values.get(key, "").strip().lower()
        if not text:
            continue
        if key == "sum_insured_reduces" and text in _TRUE | _FALSE:
            options[key] = text in _TRUE
        elif text in choices:
            options[key] = text
        else:
            errors[prefix + key] = Phrase(BAD_CHOICE, choices=", ".join(choices))
    ratio = rate(values.get("liability_ratio", ""), errors, prefix + "liability_ratio")
    if ratio is not None:
        options["liability_ratio"] = format(ratio, "f")
    return options


def section(values: Mapping[str, str], errors: dict[str, object], prefix: str = "") -> SectionInput | None:
    """One section: code and name, sums insured, deductible, limits and the amount engine's options,
    checked as the engine would take them (``settlement.basis.check_options``)."""
    before = len(errors)
    code = values.get("code", "").strip()
    if not code:
        errors[prefix + "code"] = REQUIRED
    elif not _CODE.match(code):
        errors[prefix + "code"] = BAD_CODE
    name = _words(values.get("name", ""), {}, "name", 100)
    if not name or len(name) > 100:
        errors[prefix + "name"] = REQUIRED if not name else TOO_LONG
    money = {k: amount(values.get(k, ""), errors, prefix + k) for k in MONEY_FIELDS}
    deductible_rate = rate(values.get("deductible_rate", ""), errors, prefix + "deductible_rate")
    options = _options(values, errors, prefix)
    if len(errors) > before:
        return None
    found = SectionInput(code=code, name=name, deductible_rate=deductible_rate, options=options, **money)
    try:
        check_options(PolicySection(**vars(found)), options, "s")
    except InvalidInput as exc:
        for path in exc.fields or {"code": ""}:
            key = path.rsplit(".", 1)[-1]
            errors[prefix + (key if key in SECTION_FIELDS else "code")] = BAD_OPTION
        return None
    return found
