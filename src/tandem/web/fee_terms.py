"""The fee terms fields of a letter's acceptance form (any case kind): read, checked field by field with
the error beside the field, then validated by the fee engine. The template side is the macro
``terms_fields`` in ``fees/_terms_fields.html``."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from tandem.fees.engine import (
    MAX_PAYMENT_DAYS,
    Engagement,
    FeeInputError,
    FeeTerms,
    allowed_payers,
    parse_terms,
)
from tandem.kit.i18n import N_
from tandem.web import forms
from tandem.web.forms import FormState

#: Tier rows the form offers for a scale (the engine takes up to 50 through the API).
TIER_ROWS = 4
FIELDS = (
    "fee_basis",
    "fee_amount",
    "fee_hourly_rate",
    "fee_rate",
    "fee_minimum",
    "fee_maximum",
    "fee_expenses",
    "fee_expenses_cap",
    "fee_expenses_amount",
    "fee_vat_rate",
    "fee_payer",
    "fee_payment_days",
    *(f"fee_scale_up_to_{i}" for i in range(TIER_ROWS)),
    *(f"fee_scale_rate_{i}" for i in range(TIER_ROWS)),
)
DEFAULTS = {"fee_basis": "rate", "fee_expenses": "none", "fee_vat_rate": "6", "fee_payment_days": "30"}

CHOOSE = N_("Choose one of the options.")
TIER_ORDER = N_("Each tier must end above the one before; leave only the last tier's upper end empty.")
NO_TIERS = N_("Enter at least one tier with its rate.")
MAX_BELOW_MIN = N_("The maximum cannot be below the minimum.")
VAT_RANGE = N_("Enter a VAT rate between 0 and 13 %.")
CHECK_TERM = N_("Check this term.")

# Engine paths (``terms.expenses.cap``) to form fields, for what only the engine catches.
_PATHS = {
    "terms.amount": "fee_amount",
    "terms.hourly_rate": "fee_hourly_rate",
    "terms.rate": "fee_rate",
    "terms.minimum_fee": "fee_minimum",
    "terms.maximum_fee": "fee_maximum",
    "terms.expenses.cap": "fee_expenses_cap",
    "terms.expenses.amount": "fee_expenses_amount",
    "terms.vat_rate": "fee_vat_rate",
    "terms.payer": "fee_payer",
    "terms.payment_days": "fee_payment_days",
}


def initial(engagement: Engagement) -> FormState:
    """An empty form: the usual defaults and the payer when only one may pay."""
    payers = allowed_payers(engagement)
    values = dict(DEFAULTS)
    if len(payers) == 1:
        values["fee_payer"] = payers[0].value
    return FormState(values)


def _text(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:f}"


def _scale(v: Mapping[str, str], errors: dict[str, object]) -> list[dict[str, str | None]]:
    tiers: list[dict[str, str | None]] = []
    ends: list[Decimal | None] = []
    for i in range(TIER_ROWS):
        up_name, rate_name = f"fee_scale_up_to_{i}", f"fee_scale_rate_{i}"
        if not v[up_name] and not v[rate_name]:
            continue
        up_to = forms.money(v[up_name], errors, up_name, required=False, positive=True)
        rate = forms.percent(v[rate_name], errors, rate_name)
        if not v[rate_name]:
            errors[rate_name] = forms.REQUIRED
        tiers.append({"up_to": _text(up_to), "rate": _text(rate)})
        ends.append(up_to)
    if errors:
        return tiers
    if not tiers:
        errors["fee_scale"] = NO_TIERS
        return tiers
    closed = [e for e in ends[:-1] if e is not None]
    increasing = all(b > a for a, b in itertools.pairwise(closed))
    if ends[-1] is not None or len(closed) != len(ends) - 1 or not increasing:
        errors["fee_scale"] = TIER_ORDER
    return tiers


def _basis(v: Mapping[str, str], errors: dict[str, object]) -> dict[str, Any]:
    basis = v["fee_basis"]
    if basis == "fixed":
        return {"basis": basis, "amount": _text(forms.money(v["fee_amount"], errors, "fee_amount", positive=True))}
    raw: dict[str, Any] = {"basis": basis}
    if basis == "hourly":
        raw["hourly_rate"] = _text(forms.money(v["fee_hourly_rate"], errors, "fee_hourly_rate", positive=True))
    elif basis == "rate":
        if not v["fee_rate"]:
            errors["fee_rate"] = forms.REQUIRED
        raw["rate"] = _text(forms.percent(v["fee_rate"], errors, "fee_rate"))
    elif basis == "scale":
        raw["scale"] = _scale(v, errors)
    else:
        errors["fee_basis"] = CHOOSE
        return raw
    low = forms.money(v["fee_minimum"], errors, "fee_minimum", required=False)
    high = forms.money(v["fee_maximum"], errors, "fee_maximum", required=False)
    if low is not None and high is not None and high < low:
        errors["fee_maximum"] = MAX_BELOW_MIN
    raw["minimum_fee"], raw["maximum_fee"] = _text(low), _text(high)
    return raw


def _expenses(v: Mapping[str, str], errors: dict[str, object]) -> dict[str, Any]:
    policy = v["fee_expenses"] or "none"
    if policy == "actual":
        return {
            "policy": policy,
            "cap": _text(forms.money(v["fee_expenses_cap"], errors, "fee_expenses_cap", required=False)),
        }
    if policy == "allowance":
        amount = forms.money(v["fee_expenses_amount"], errors, "fee_expenses_amount", positive=True)
        return {"policy": policy, "amount": _text(amount)}
    if policy != "none":
        errors["fee_expenses"] = CHOOSE
    return {"policy": "none"}


def terms_from_form(form: Mapping[str, Any], engagement: Engagement) -> tuple[FeeTerms | None, FormState]:
    """The terms typed into the form, or None and the form with an error beside each bad field."""
    state = FormState({name: forms.text(form, name, 200) for name in FIELDS})
    v, errors = state.values, state.errors
    raw = _basis(v, errors)
    raw["expenses"] = _expenses(v, errors)
    vat = forms.percent(v["fee_vat_rate"] or "6", errors, "fee_vat_rate")
    if vat is not None and vat > Decimal("0.13"):
        errors["fee_vat_rate"] = VAT_RANGE
    raw["vat_rate"] = _text(vat)
    payers = [p.value for p in allowed_payers(engagement)]
    if v["fee_payer"] not in payers:
        errors["fee_payer"] = CHOOSE
    raw["payer"] = v["fee_payer"]
    raw["payment_days"] = forms.whole(v["fee_payment_days"], errors, "fee_payment_days", 0, MAX_PAYMENT_DAYS)
    if errors:
        return None, state
    try:
        return parse_terms(raw, "terms", engagement=engagement), state
    except FeeInputError as exc:  # what the fields' own checks let through (too many decimals in a rate)
        field = "fee_scale" if exc.path.startswith("terms.scale") else _PATHS.get(exc.path, "fee_basis")
        errors[field] = CHECK_TERM
        return None, state
