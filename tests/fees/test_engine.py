"""Fee engine (公估费): worked examples computed by hand here, the payer rules, the canonical terms and
bad input naming its field."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from tandem.fees.engine import (
    Basis,
    CaseKind,
    Engagement,
    ExpensesPolicy,
    FeeInputError,
    Payer,
    Side,
    allowed_payers,
    fee_document,
    loads_json,
    parse_terms,
    terms_to_json,
)

from .data import SCALE, document


def fee(doc: dict[str, Any] | str) -> dict[str, Any]:
    text = doc if isinstance(doc, str) else json.dumps(doc)
    return json.loads(json.dumps(fee_document(loads_json(text))))  # what a client reads


def rejected(doc: dict[str, Any] | str) -> FeeInputError:
    with pytest.raises(FeeInputError) as info:
        fee(doc)
    return info.value


def figures(out: dict[str, Any]) -> tuple[str, str, str, str, str]:
    return out["fee"], out["bounded_by"], out["expenses"], out["vat"], out["total"]


def step(out: dict[str, Any], code: str) -> dict[str, Any]:
    (found,) = [s for s in out["steps"] if s["code"] == code]
    return found


# --------------------------------------------------------------------------------------------------
# worked examples (each figure computed by hand in the comment above it)
# --------------------------------------------------------------------------------------------------


def test_fixed_fee_and_due_date_across_february() -> None:
    # 8000.00; VAT 8000 × 0.06 = 480.00; total 8480.00; 2027-01-31 + 30 days = 2027-03-02 (28-day February)
    out = fee(document("fixed", invoice_date="2027-01-31"))
    assert figures(out) == ("8000.00", "none", "0.00", "480.00", "8480.00")
    assert out["due_date"] == "2027-03-02"
    assert [s["code"] for s in out["steps"]] == ["fee.fixed", "fee.round", "expenses", "vat", "total", "due_date"]
    assert step(out, "due_date") == {
        "code": "due_date",
        "in": {"invoice_date": "2027-01-31", "payment_days": 30},
        "out": {"due_date": "2027-03-02"},
    }


def test_hourly_fee_with_an_allowance_for_a_pre_assessment() -> None:
    # 12.5 h × 680.00 = 8500.00; allowance 1200.00 whatever was spent; VAT (8500 + 1200) × 0.06 = 582.00
    doc = document(
        "hourly",
        kind="pre_assessment",
        payer="insured",
        expenses={"policy": "allowance", "amount": "1200"},
        work={"hours": "12.5", "expenses_incurred": "3000.00"},
    )
    out = fee(doc)
    assert figures(out) == ("8500.00", "none", "1200.00", "582.00", "10282.00")
    assert step(out, "fee.hourly")["out"] == {"fee_exact": "8500.00"}
    assert step(out, "expenses") == {
        "code": "expenses",
        "in": {"policy": "allowance", "expenses_incurred": "3000.00", "amount": "1200.00"},
        "out": {"expenses": "1200.00"},
    }


def test_hourly_fee_rounds_half_up_once() -> None:
    # 7.25 h × 333.33 = 2416.6425 → 2416.64; VAT 2416.64 × 0.06 = 144.9984 → 145.00; total 2561.64
    out = fee(document("hourly", hourly_rate="333.33", work={"hours": "7.25"}))
    assert figures(out) == ("2416.64", "none", "0.00", "145.00", "2561.64")
    assert step(out, "fee.round") == {"code": "fee.round", "in": {"fee_exact": "2416.6425"}, "out": {"fee": "2416.64"}}
    assert step(out, "vat")["out"] == {"vat_exact": "144.9984", "vat": "145.00"}


def test_rate_of_the_assessed_loss() -> None:
    # 1234567.89 × 0.015 = 18518.51835 → 18518.52; VAT 1111.1112 → 1111.11; total 19629.63
    out = fee(document("rate", work={"assessed_loss": "1234567.89"}))
    assert figures(out) == ("18518.52", "none", "0.00", "1111.11", "19629.63")
    assert step(out, "fee.rate") == {
        "code": "fee.rate",
        "in": {"assessed_loss": "1234567.89", "rate": "0.015"},
        "out": {"fee_exact": "18518.51835"},
    }


def test_minimum_fee_raises_a_small_fee() -> None:
    # 50000 × 0.02 = 1000.00 < minimum 3000.00 → 3000.00; VAT 180.00; total 3180.00
    out = fee(document("rate", rate="0.02", minimum_fee="3000", maximum_fee="9000", work={"assessed_loss": "50000"}))
    assert figures(out) == ("3000.00", "minimum", "0.00", "180.00", "3180.00")
    assert step(out, "fee.bounds") == {
        "code": "fee.bounds",
        "in": {"fee": "1000.00", "minimum_fee": "3000.00", "maximum_fee": "9000.00"},
        "out": {"fee": "3000.00", "bounded_by": "minimum"},
    }


def test_maximum_fee_caps_a_large_fee() -> None:
    # 100000000 × 0.01 = 1000000.00 > maximum 200000.00 → 200000.00; VAT 12000.00; total 212000.00
    out = fee(document("rate", rate="0.01", maximum_fee="200000", work={"assessed_loss": "100000000"}))
    assert figures(out) == ("200000.00", "maximum", "0.00", "12000.00", "212000.00")


def test_fee_equal_to_a_bound_is_within() -> None:
    # 300000 × 0.01 = 3000.00 = minimum: not raised
    out = fee(document("rate", rate="0.01", minimum_fee="3000", work={"assessed_loss": "300000"}))
    assert (out["fee"], out["bounded_by"]) == ("3000.00", "none")


def test_scale_with_actual_expenses_over_the_cap() -> None:
    # tier 1: 1000000 × 0.01 = 10000; tier 2: (2345678.91 − 1000000) × 0.006 = 8074.07346;
    # fee 18074.07346 → 18074.07; expenses min(6200.50, cap 5000) = 5000.00;
    # VAT (18074.07 + 5000) × 0.06 = 1384.4442 → 1384.44; total 24458.51; due 2027-03-15 + 30 = 2027-04-14
    doc = document(
        "scale",
        minimum_fee="3000",
        expenses={"policy": "actual", "cap": "5000"},
        work={"assessed_loss": "2345678.91", "expenses_incurred": "6200.50"},
    )
    out = fee(doc)
    assert figures(out) == ("18074.07", "none", "5000.00", "1384.44", "24458.51")
    assert out["taxable"] == "23074.07"
    assert out["due_date"] == "2027-04-14"
    tiers = [s for s in out["steps"] if s["code"] == "fee.scale.tier"]
    assert tiers == [
        {
            "code": "fee.scale.tier",
            "in": {"tier": 1, "from": "0.00", "up_to": "1000000.00", "portion": "1000000.00", "rate": "0.01"},
            "out": {"part": "10000.00"},
        },
        {
            "code": "fee.scale.tier",
            "in": {"tier": 2, "from": "1000000.00", "up_to": "5000000.00", "portion": "1345678.91", "rate": "0.006"},
            "out": {"part": "8074.07346"},
        },
    ]
    assert step(out, "fee.scale")["out"] == {"fee_exact": "18074.07346"}


@pytest.mark.parametrize(
    ("loss", "expected", "tiers_used"),
    [
        ("0", "0.00", 0),
        ("1000000.00", "10000.00", 1),  # exactly at the first boundary: 1000000 × 0.01
        ("1000000.01", "10000.00", 2),  # + 0.01 × 0.006 = 0.00006 → 10000.00006 → 10000.00
        ("1000001.00", "10000.01", 2),  # + 1 × 0.006 = 0.006 → 10000.006 → 10000.01
        ("5000000.00", "34000.00", 2),  # 10000 + 4000000 × 0.006
        ("6000000.00", "37000.00", 3),  # 34000 + 1000000 × 0.003
    ],
)
def test_scale_tier_boundaries(loss: str, expected: str, tiers_used: int) -> None:
    out = fee(document("scale", work={"assessed_loss": loss}))
    assert out["fee"] == expected
    assert sum(s["code"] == "fee.scale.tier" for s in out["steps"]) == tiers_used


def test_actual_expenses_without_a_cap_and_under_a_cap() -> None:
    # no cap: all 6200.50; under the cap: all 800.00. fixed 8000: VAT (8000 + 6200.50) × 0.06 = 852.03
    uncapped = fee(document("fixed", expenses={"policy": "actual"}, work={"expenses_incurred": "6200.50"}))
    assert figures(uncapped) == ("8000.00", "none", "6200.50", "852.03", "15052.53")
    capped = fee(document("fixed", expenses={"policy": "actual", "cap": "5000"}, work={"expenses_incurred": "800"}))
    assert capped["expenses"] == "800.00"


@pytest.mark.parametrize(
    ("amount", "vat_rate", "vat", "total"),
    [
        ("8.25", None, "0.50", "8.75"),  # 8.25 × 0.06 = 0.495: exactly half a fen, rounded up
        ("8.24", None, "0.49", "8.73"),  # 0.4944 → 0.49
        ("12345.67", "0.03", "370.37", "12716.04"),  # small-scale taxpayer: 370.3701 → 370.37
        ("12345.67", "0.0", "0.00", "12345.67"),  # exempt
        ("100.00", "0.13", "13.00", "113.00"),  # the highest rate in force
    ],
)
def test_vat_rounding_and_rates(amount: str, vat_rate: str | None, vat: str, total: str) -> None:
    out = fee(document("fixed", amount=amount, vat_rate=vat_rate))
    assert (out["vat"], out["total"]) == (vat, total)
    assert out["terms"]["vat_rate"] == {None: "0.06", "0.0": "0"}.get(vat_rate, vat_rate)


def test_irrelevant_work_figures_are_ignored() -> None:
    assert fee(document("fixed"))["steps"][0] == {
        "code": "fee.fixed",
        "in": {"amount": "8000.00"},
        "out": {"fee_exact": "8000.00"},
    }
    assert fee(document("fixed", work={}))["total"] == "8480.00"
    doc = document("fixed")
    del doc["work"]
    assert fee(doc)["total"] == "8480.00"


# --------------------------------------------------------------------------------------------------
# who pays
# --------------------------------------------------------------------------------------------------


def test_allowed_payers() -> None:
    assert allowed_payers(Engagement(CaseKind.CLAIM, Side.BROKER)) == (Payer.INSURER,)
    assert allowed_payers(Engagement(CaseKind.CLAIM, Side.INSURER)) == (Payer.INSURER,)
    assert allowed_payers(Engagement(CaseKind.PRE_ASSESSMENT, Side.BROKER)) == (Payer.INSURED, Payer.BROKER)
    assert allowed_payers(Engagement(CaseKind.PRE_ASSESSMENT, Side.INSURER)) == (Payer.INSURER,)


@pytest.mark.parametrize(
    ("kind", "side", "payer"),
    [
        ("claim", "broker", "insured"),
        ("claim", "broker", "broker"),
        ("claim", "insurer", "broker"),
        ("pre_assessment", "broker", "insurer"),
        ("pre_assessment", "insurer", "insured"),
    ],
)
def test_a_payer_the_case_does_not_allow_is_refused(kind: str, side: str, payer: str) -> None:
    error = rejected(document("fixed", kind=kind, side=side, payer=payer))
    assert error.path == "terms.payer"
    assert kind in error.message and side in error.message


def test_broker_may_pay_its_pre_assessment() -> None:
    assert fee(document("fixed", kind="pre_assessment", payer="broker"))["terms"]["payer"] == "broker"


# --------------------------------------------------------------------------------------------------
# canonical terms
# --------------------------------------------------------------------------------------------------


def test_canonical_terms_round_trip() -> None:
    raw = {
        "basis": "scale",
        "scale": [{"up_to": 1000000, "rate": "0.0100"}, {"up_to": None, "rate": 0.005}],
        "maximum_fee": "80000.5",
        "expenses": {"policy": "actual", "cap": "5000"},
        "vat_rate": "0.060",
        "payer": "insured",
        "payment_days": 45,
    }
    engagement = Engagement(CaseKind.PRE_ASSESSMENT, Side.BROKER)
    terms = parse_terms(loads_json(json.dumps(raw)), engagement=engagement)
    assert terms.basis is Basis.SCALE and terms.expenses.policy is ExpensesPolicy.ACTUAL
    assert terms.vat_rate == Decimal("0.06") and terms.maximum_fee == Decimal("80000.5")
    stored = terms_to_json(terms)
    assert stored == {
        "basis": "scale",
        "scale": [{"up_to": "1000000.00", "rate": "0.01"}, {"up_to": None, "rate": "0.005"}],
        "minimum_fee": None,
        "maximum_fee": "80000.50",
        "expenses": {"policy": "actual", "cap": "5000.00"},
        "vat_rate": "0.06",
        "payer": "insured",
        "payment_days": 45,
    }
    again = parse_terms(loads_json(json.dumps(stored)), engagement=engagement)
    assert again == terms and terms_to_json(again) == stored


def test_canonical_terms_of_each_basis() -> None:
    engagement = Engagement(CaseKind.CLAIM, Side.BROKER)
    for basis in ("fixed", "hourly", "rate", "scale"):
        raw = document(basis)["terms"]
        stored = terms_to_json(parse_terms(loads_json(json.dumps(raw)), engagement=engagement))
        assert stored["basis"] == basis and stored["expenses"] == {"policy": "none"}
        assert ("minimum_fee" in stored) is (basis != "fixed")
        assert parse_terms(stored, "letter.terms") == parse_terms(loads_json(json.dumps(raw)))


def test_parse_terms_names_fields_under_its_own_path() -> None:
    with pytest.raises(FeeInputError) as info:
        parse_terms({"basis": "rate", "rate": "2", "payer": "insurer", "payment_days": 30}, "acceptance.terms")
    assert info.value.path == "acceptance.terms.rate"


# --------------------------------------------------------------------------------------------------
# bad input names its field
# --------------------------------------------------------------------------------------------------


def _without_work(doc: dict[str, Any]) -> dict[str, Any]:
    doc["work"] = {}
    return doc


@pytest.mark.parametrize(
    ("doc", "path", "words"),
    [
        ("[]", "", "JSON object"),
        ("{", "", "invalid JSON"),
        (document(extra=None) | {"extra": 1}, "extra", "unknown field"),
        ({k: v for k, v in document().items() if k != "engagement"}, "engagement", "required"),
        (document(kind="placement"), "engagement.kind", "expected one of"),
        (document(basis=None), "terms.basis", "required"),
        (document(basis="daily"), "terms.basis", "expected one of"),
        (document("fixed", amount=None), "terms.amount", "required for basis fixed"),
        (document("fixed", rate="0.01"), "terms.rate", "not used with basis fixed"),
        (document("fixed", minimum_fee="100"), "terms.minimum_fee", "no minimum"),
        (document("hourly", hourly_rate="-5"), "terms.hourly_rate", "negative"),
        (document("hourly", work={}), "work.hours", "required for basis hourly"),
        (document("hourly", work={"hours": "1.125"}), "work.hours", "decimal places"),
        (document("hourly", work={"hours": "100000"}), "work.hours", "too large"),
        (document("rate", rate="1.5"), "terms.rate", "between 0 and 1"),
        (document("rate", rate="0.0000001"), "terms.rate", "decimal places"),
        (_without_work(document("rate")), "work.assessed_loss", "required for basis rate"),
        (document("rate", work={"assessed_loss": "1000000000000"}), "work.assessed_loss", "too large"),
        (document("rate", work={"assessed_loss": "12.345"}), "work.assessed_loss", "decimal places"),
        (document("scale", scale=None), "terms.scale", "required for basis scale"),
        (document("scale", scale=[]), "terms.scale", "between 1 and 50"),
        (document("scale", scale=[{"up_to": "1", "rate": "0.01"}] * 51), "terms.scale", "between 1 and 50"),
        (document("scale", scale=SCALE[:2]), "terms.scale[1].up_to", "last tier must be open"),
        (document("scale", scale=[SCALE[2], SCALE[2]]), "terms.scale[0].up_to", "only the last"),
        (document("scale", scale=[SCALE[1], SCALE[0], SCALE[2]]), "terms.scale[1].up_to", "greater than"),
        (document("scale", scale=[SCALE[0], SCALE[0], SCALE[2]]), "terms.scale[1].up_to", "greater than"),
        (document("scale", scale=[{"up_to": None}]), "terms.scale[0].rate", "required"),
        (document("scale", scale=[{"up_to": None, "rate": "0.1", "x": 1}]), "terms.scale[0].x", "unknown"),
        (document("scale", scale="1%"), "terms.scale", "must be a list"),
        (document(minimum_fee="5000", maximum_fee="4000"), "terms.maximum_fee", "below minimum_fee"),
        (document(expenses={"policy": "actual"}), "work.expenses_incurred", "required for expenses policy actual"),
        (document(expenses={"policy": "allowance"}), "terms.expenses.amount", "required"),
        (document(expenses={"policy": "none", "cap": "1"}), "terms.expenses.cap", "not used with policy none"),
        (document(expenses={"policy": "allowance", "amount": "1", "cap": "2"}), "terms.expenses.cap", "not used"),
        (document(expenses={"policy": "actual", "amount": "1"}), "terms.expenses.amount", "not used"),
        (document(expenses="none"), "terms.expenses", "must be an object"),
        (document(vat_rate="6"), "terms.vat_rate", "between 0 and 0.13"),
        (document(vat_rate="0.00001"), "terms.vat_rate", "decimal places"),
        (document(payer=None), "terms.payer", "required"),
        (document(payment_days=None), "terms.payment_days", "required"),
        (document(payment_days=366), "terms.payment_days", "at most 365"),
        (document(payment_days="30.5"), "terms.payment_days", "whole number"),
        (document(payment_days=True), "terms.payment_days", "decimal number"),
        (document(invoice_date="2027-02-29"), "invoice_date", "no such date"),
        (document(invoice_date="15/03/2027"), "invoice_date", "YYYY-MM-DD"),
        (document(invoice_date="9999-12-31"), "invoice_date", "after 9999-12-31"),
    ],
)
def test_bad_input_names_the_field(doc: dict[str, Any] | str, path: str, words: str) -> None:
    error = rejected(doc)
    assert (error.path, words in error.message) == (path, True), error.message


@pytest.mark.parametrize(
    ("token", "words"),
    [
        ("1E+999999999", "too large"),
        ("NaN", "not NaN"),
        ("-Infinity", "not -Infinity"),
        ("1e-30", "decimal places"),
        ('"1,000"', "not a decimal number"),
        ('"1e3"', "not a decimal number"),
        ("[1]", "must be a decimal number"),
        ("12.5", None),
    ],
)
def test_absurd_numbers_are_refused(token: str, words: str | None) -> None:
    text = json.dumps(document("hourly")).replace('"680.00"', token)
    if words is None:
        assert fee(text)["fee"] == "156.25"  # a bare JSON number is read as a decimal: 12.5 × 12.5
        return
    error = rejected(text)
    assert error.path == "terms.hourly_rate" and words in error.message, error.message


def test_repeated_key_is_refused() -> None:
    text = json.dumps(document("fixed")).replace('"basis": "fixed"', '"basis": "fixed", "basis": "rate"')
    assert rejected(text).path == "terms.basis"
