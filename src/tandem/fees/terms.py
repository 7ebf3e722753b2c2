"""Fee terms (收费条款) on a confirmation letter: the API's one schema for them, the engagement a case
and side give, and the terms in words for pages and PDFs.

A letter's acceptance takes a :class:`FeeTermsIn` (the ``terms`` object of docs/fees.md), validated by
the engine's :func:`~tandem.fees.engine.parse_terms` against the engagement (who may pay), and stores
the canonical :func:`~tandem.fees.engine.terms_to_json`. Letters accepted before the terms were
structured keep their free-text fee basis (``Appointment.fee_basis``), shown as it was agreed.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import Field

from tandem.fees.engine import (
    MAX_PAYMENT_DAYS,
    MAX_TIERS,
    CaseKind,
    Engagement,
    FeeInputError,
    FeeTerms,
    Side,
    parse_terms,
)
from tandem.kit.errors import InvalidInput
from tandem.kit.i18n import N_, _, current_locale, format_money, format_rate, gettext
from tandem.schemas import Strict

__all__ = ["ExpensesIn", "FeeTermsIn", "TierIn", "describe", "engagement_for", "terms_from_api"]

Number = Annotated[Decimal, Field(allow_inf_nan=False, examples=["3000.00"])]


class TierIn(Strict):
    """One tier of a scale: the loss up to ``up_to`` (``null``: no upper end) at ``rate`` (0.01 is 1 %)."""

    up_to: Number | None = None
    rate: Number


class ExpensesIn(Strict):
    """Reimbursable expenses: ``none`` (included), ``actual`` (实报实销, up to ``cap``) or ``allowance`` (包干)."""

    policy: Literal["none", "actual", "allowance"]
    cap: Number | None = None
    amount: Number | None = None


class FeeTermsIn(Strict):
    """The fee terms a firm fixes when it accepts a letter (docs/fees.md, ``terms``): amounts in yuan
    exclusive of VAT, rates as fractions, payment days from the invoice date."""

    basis: Literal["fixed", "hourly", "rate", "scale"]
    amount: Number | None = None
    hourly_rate: Number | None = None
    rate: Number | None = None
    scale: Annotated[list[TierIn], Field(min_length=1, max_length=MAX_TIERS)] | None = None
    minimum_fee: Number | None = None
    maximum_fee: Number | None = None
    expenses: ExpensesIn | None = None
    vat_rate: Number | None = None
    payer: Literal["insurer", "insured", "broker"]
    payment_days: Annotated[int, Field(ge=0, le=MAX_PAYMENT_DAYS)]


def engagement_for(case_kind: str, side: str) -> Engagement:
    """The engagement of a letter: a claim establishes a loss, a placement's letter is a pre-assessment
    (预评估) and a ``termination`` letter assesses a policy's suspension or termination; ``side`` is who
    instructed the firm (broker or insurer)."""
    kinds = {"claim": CaseKind.CLAIM, "termination": CaseKind.TERMINATION}
    kind = kinds.get(case_kind, CaseKind.PRE_ASSESSMENT)
    return Engagement(kind, Side(side))


def terms_from_api(body: FeeTermsIn, engagement: Engagement) -> FeeTerms:
    """Validated terms, or a 422 naming the field by its path (``terms.scale[1].rate``)."""
    raw = body.model_dump(exclude_none=True, mode="json")
    try:
        return parse_terms(raw, "terms", engagement=engagement)
    except FeeInputError as exc:
        raise InvalidInput(fields={exc.path: exc.message}) from None


# ---- in words ----------------------------------------------------------------------------------------

PAYER_LABELS = {"insurer": N_("the insurer"), "insured": N_("the insured"), "broker": N_("the broker")}


def _separator() -> str:
    return "；" if current_locale() == "zh_CN" else "; "


def _money(value: Any) -> str:
    return format_money(Decimal(str(value)))


def _rate(value: Any) -> str:
    return format_rate(Decimal(str(value)))


def _basis_line(terms: dict[str, Any]) -> str:
    basis = terms["basis"]
    if basis == "fixed":
        return _("Fixed fee {amount}", amount=_money(terms["amount"]))
    if basis == "hourly":
        return _("{rate} per hour worked", rate=_money(terms["hourly_rate"]))
    if basis == "rate":
        return _("{rate} of the assessed loss", rate=_rate(terms["rate"]))
    tiers = []
    for tier in terms["scale"]:
        if tier["up_to"] is None:
            tiers.append(_("the rest at {rate}", rate=_rate(tier["rate"])))
        else:
            tiers.append(_("up to {up_to} at {rate}", up_to=_money(tier["up_to"]), rate=_rate(tier["rate"])))
    return _("Scale on the assessed loss: {tiers}", tiers=_separator().join(tiers))


def _expenses_line(expenses: dict[str, Any]) -> str:
    if expenses["policy"] == "actual":
        if expenses.get("cap") is None:
            return _("Expenses reimbursed as incurred")
        return _("Expenses reimbursed as incurred, at most {cap}", cap=_money(expenses["cap"]))
    if expenses["policy"] == "allowance":
        return _("Expenses: a fixed allowance of {amount}", amount=_money(expenses["amount"]))
    return _("Expenses included in the fee")


def describe(terms: dict[str, Any]) -> list[str]:
    """Stored (canonical) terms in words, one line per term, in the current locale."""
    lines = [_basis_line(terms)]
    low, high = terms.get("minimum_fee"), terms.get("maximum_fee")
    if low is not None and high is not None:
        lines.append(_("At least {low}, at most {high}", low=_money(low), high=_money(high)))
    elif low is not None:
        lines.append(_("At least {low}", low=_money(low)))
    elif high is not None:
        lines.append(_("At most {high}", high=_money(high)))
    lines.append(_expenses_line(terms["expenses"]))
    lines.append(_("VAT {rate} on fee and expenses", rate=_rate(terms["vat_rate"])))
    payer = PAYER_LABELS[terms["payer"]]
    lines.append(
        _("Paid by {payer} within {days} days of the invoice", payer=gettext(payer), days=terms["payment_days"])
    )
    return lines


def summary(terms: dict[str, Any] | None, legacy: str | None = None) -> str:
    """One line: the terms in words, or the free-text basis of a letter accepted before terms were
    structured."""
    if terms:
        return _separator().join(describe(terms))
    return legacy or ""


def parse_stored(terms: dict[str, Any]) -> FeeTerms:
    """Stored terms back as :class:`FeeTerms` (they were canonical when stored)."""
    return parse_terms(terms, "terms")
