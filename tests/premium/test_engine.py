"""Premium engine (保费计算): the worked cases, bad input naming its field, and the contract's edge rules."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

from tandem.premium.engine import (
    Choice,
    PremiumInputError,
    compute,
    loads_json,
    parse_input,
    price_document,
    result_to_json,
    with_choice,
)

from .data import Case, load, params


def price(doc: dict[str, Any] | str) -> dict[str, Any]:
    text = doc if isinstance(doc, str) else json.dumps(doc)
    return price_document(loads_json(text))


def rejected(doc: dict[str, Any] | str) -> PremiumInputError:
    with pytest.raises(PremiumInputError) as info:
        price(doc)
    return info.value


def base(**changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "currency": "CNY",
        "period": {"start": "2027-01-01", "end": "2027-12-31"},
        "sections": [
            {"code": "building", "sum_insured": "8000000.00", "rate_permille": "0.85"},
            {"code": "stock", "sum_insured": "3000000.00", "rate_permille": "1.20"},
        ],
    }
    doc.update(changes)
    return doc


# --------------------------------------------------------------------------------------------------
# the data set
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", params("cases"))
def test_worked_case(case: Case) -> None:
    # through a JSON round trip: the output is what a client reads (strings, ints, booleans, null)
    assert json.loads(json.dumps(price(case.input_text))) == case.expected


@pytest.mark.parametrize("case", params("invalid"))
def test_invalid_case_names_its_field(case: Case) -> None:
    error = rejected(case.input_text)
    if case.path is None:
        assert error.path == ""
    else:
        assert error.path == case.path, str(error)
    assert "\n" not in str(error)


def test_the_data_set_is_the_shared_one() -> None:
    """The copy in tests/data is complete (36 cases, 15 invalid inputs) and prem-01 is the contract's example."""
    assert len(load("cases")) == 36 and len(load("invalid")) == 15
    first = load("cases")[0]
    assert first.id == "prem-01-spec-example"
    assert first.expected is not None and first.expected["total_premium"] == "12231.65"


# --------------------------------------------------------------------------------------------------
# typed models, for callers that do not go through JSON
# --------------------------------------------------------------------------------------------------


def test_typed_result_keeps_exact_values() -> None:
    doc = base(
        factors=[{"code": "f", "value": "1.0000001"}],
        risk_points=[{"ref": "RP-1", "loading": "0.10", "choice": "undecided"}],
    )
    result = compute(parse_input(loads_json(json.dumps(doc))))
    assert result.coefficient == Decimal("1.10000011")  # unrounded; the output shows 1.100000
    assert result_to_json(result)["coefficient"] == "1.100000"
    assert result.sections[0].annual_premium_exact == Decimal("8000000.00") * Decimal("0.85") / 1000 * Decimal(
        "1.10000011"
    )
    assert result.full_year and result.short_factor == 1
    effect = result.risk_points[0]
    assert effect.total_if_premium == result.total_premium
    assert effect.premium_effect == effect.total_if_premium - effect.total_if_remediate


def test_with_choice_prices_everything_remediated_or_nothing() -> None:
    doc = base(
        risk_points=[
            {"ref": "RP-1", "loading": "0.10", "choice": "premium"},
            {"ref": "RP-2", "loading": "0.05", "choice": "remediate"},
        ]
    )
    inp = parse_input(loads_json(json.dumps(doc)))
    remediated = compute(with_choice(inp, Choice.REMEDIATE))
    loaded = compute(with_choice(inp, Choice.PREMIUM))
    assert remediated.loading_product == 1
    assert loaded.loading_product == Decimal("1.10") * Decimal("1.05")
    assert remediated.total_premium < compute(inp).total_premium < loaded.total_premium
    assert [rp.choice for rp in remediated.risk_points] == [Choice.REMEDIATE, Choice.REMEDIATE]


# --------------------------------------------------------------------------------------------------
# contract rules
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "days", "months", "full_year"),
    [
        ("2027-01-01", "2027-12-31", 365, 12, True),
        ("2028-01-01", "2028-12-31", 366, 12, True),
        ("2027-03-01", "2028-02-29", 366, 12, True),
        ("2028-02-29", "2029-02-27", 365, 12, True),  # 29 Feb 2028 + 12 months = 28 Feb 2029
        ("2028-02-29", "2029-02-28", 366, 12, False),
        ("2027-01-01", "2028-01-01", 366, 12, False),  # capped at 12 months
        ("2027-01-31", "2027-02-27", 28, 1, False),
        ("2027-01-31", "2027-02-28", 29, 2, False),  # 31 Jan + 1 month = 28 Feb: 28 Feb is in month 2
        ("2027-01-31", "2027-03-30", 59, 2, False),  # 31 Jan + 2 months = 31 Mar
        ("2027-01-31", "2027-03-31", 60, 3, False),
        ("2027-02-28", "2027-03-27", 28, 1, False),  # 28 Feb + 1 month = 28 Mar, not 31 Mar
        ("2027-02-28", "2027-03-28", 29, 2, False),
        ("2027-06-15", "2027-06-15", 1, 1, False),
        ("9999-01-01", "9999-12-31", 365, 12, True),  # the year after is beyond dt.date: still compared
    ],
)
def test_term_days_months_and_full_year(start: str, end: str, days: int, months: int, full_year: bool) -> None:
    doc = base(period={"start": start, "end": end}, short_period="monthly")
    result = compute(parse_input(loads_json(json.dumps(doc))))
    assert (result.term_days, result.term_months, result.full_year) == (days, months, full_year)
    assert result.short_factor == (1 if full_year else Fraction(months, 12))


def test_short_period_methods() -> None:
    # 2027-01-01 .. 2027-04-10: 100 days, 4 started months
    period = {"start": "2027-01-01", "end": "2027-04-10"}
    got = {m: price(base(period=period, short_period=m))["short_factor"] for m in ("table", "monthly", "daily", "none")}
    assert got == {"table": "0.400000", "monthly": "0.333333", "daily": "0.273973", "none": "1.000000"}
    assert price(base(period=period))["short_period"] == "table"


def test_bounds_min_max_and_equal() -> None:
    factors = [{"code": "a", "value": "0.5"}]
    low = price(base(factors=factors, factor_bounds={"min": "0.70", "max": "1.30"}))
    assert (low["raw_coefficient"], low["coefficient"], low["bounded_by"]) == ("0.500000", "0.700000", "min")
    high = price(base(factors=[{"code": "a", "value": "2"}], factor_bounds={"max": "1.30"}))
    assert (high["coefficient"], high["bounded_by"]) == ("1.300000", "max")
    equal = price(base(factors=[{"code": "a", "value": "1.30"}], factor_bounds={"min": None, "max": "1.3"}))
    assert (equal["coefficient"], equal["bounded_by"]) == ("1.300000", "none")


def test_minimum_premium_and_its_effect_on_risk_points() -> None:
    doc = base(
        sections=[{"code": "a", "sum_insured": "100000", "rate_permille": "1"}],
        minimum_premium="500.00",
        risk_points=[{"ref": "RP-1", "loading": "0.10", "choice": "premium"}],
    )
    out = price(doc)
    assert out["sections"][0]["premium"] == "110.00"
    assert (out["total_premium"], out["minimum_applied"]) == ("500.00", True)
    assert out["risk_points"][0]["premium_effect"] == "0.00"  # the minimum absorbs it
    equal = price(base(sections=[{"code": "a", "sum_insured": "100000", "rate_permille": "5"}], minimum_premium=500))
    assert (equal["total_premium"], equal["minimum_applied"]) == ("500.00", False)


def test_half_a_cent_rounds_up() -> None:
    doc = base(sections=[{"code": "a", "sum_insured": "1000.5", "rate_permille": "5"}])  # 5.0025
    assert price(doc)["total_premium"] == "5.00"
    doc = base(sections=[{"code": "a", "sum_insured": "1001", "rate_permille": "5"}])  # 5.005
    assert price(doc)["total_premium"] == "5.01"
    # a one-day daily term: the division by 365 is exact, so 1.825 / 365 = 0.005 exactly rounds up
    doc = base(period={"start": "2027-01-01", "end": "2027-01-01"}, short_period="daily")
    doc["sections"] = [{"code": "a", "sum_insured": "1825", "rate_permille": "1"}]
    assert price(doc)["total_premium"] == "0.01"
    doc["sections"] = [{"code": "a", "sum_insured": "1824.99", "rate_permille": "1"}]
    assert price(doc)["total_premium"] == "0.00"


def test_termination_by_insured_and_insurer() -> None:
    paid = {"date": "2027-07-01", "premium_paid": "10000.00"}
    insured = price(base(termination={**paid, "by": "insured"}))["termination"]
    # 181 days elapsed, 6 months started; table 0.60 of the annual total 10400.00
    assert insured == {
        "date": "2027-07-01",
        "by": "insured",
        "premium_paid": "10000.00",
        "elapsed_days": 181,
        "elapsed_months": 6,
        "method": "short_period_table",
        "retained": "6240.00",
        "refund": "3760.00",
    }
    insurer = price(base(termination={**paid, "by": "insurer"}))["termination"]
    assert (insurer["method"], insurer["retained"], insurer["refund"]) == ("pro_rata_daily", "4958.90", "5041.10")
    # the table retention is capped by what was paid
    capped = price(base(termination={"date": "2027-12-31", "by": "insured", "premium_paid": "100"}))["termination"]
    assert (capped["retained"], capped["refund"], capped["elapsed_months"]) == ("100.00", "0.00", 12)
    # premium_paid defaults to the total premium
    default = price(base(termination={"date": "2027-01-02", "by": "insurer"}))["termination"]
    assert default["premium_paid"] == "10400.00" and default["elapsed_days"] == 1


def test_null_means_absent_and_outputs_are_empty() -> None:
    out = price(
        base(
            short_period=None,
            factors=None,
            factor_bounds=None,
            risk_points=None,
            minimum_premium=None,
            termination=None,
        )
    )
    assert out["risk_points"] == [] and out["termination"] is None
    assert out["short_period"] == "table" and out["minimum_applied"] is False


def test_json_numbers_are_decimals_not_floats() -> None:
    text = json.dumps(base())
    text = text.replace('"8000000.00"', "8.0000001E+6").replace('"0.85"', "0.85")
    out = price(text)
    assert out["sections"][0]["annual_premium"] == "6800.00"  # 8000000.1 × 0.85‰ = 6800.000085


# --------------------------------------------------------------------------------------------------
# bad input: the path names the field
# --------------------------------------------------------------------------------------------------


def _with(path: str, value: Any) -> dict[str, Any]:
    """``base()`` with a terminating date, a factor, bounds and a risk point, one field replaced."""
    doc = base(
        factors=[{"code": "sprinkler", "value": "0.90"}, {"code": "history", "value": "1.10"}],
        factor_bounds={"min": "0.70", "max": "1.30"},
        risk_points=[{"ref": "RP-1", "loading": "0.10", "choice": "premium"}],
        minimum_premium="1000.00",
        termination={"date": "2027-05-10", "by": "insured", "premium_paid": "9500.00"},
    )
    node: Any = doc
    keys = path.replace("[", ".").replace("]", "").split(".")
    for key in keys[:-1]:
        node = node[int(key)] if key.isdigit() else node[key]
    last = keys[-1]
    if value is KeyError:
        del node[last]
    elif last.isdigit():
        node[int(last)] = value
    else:
        node[last] = value
    return doc


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("currency", KeyError, "is required"),
        ("currency", None, "is required"),
        ("currency", "cny", "unknown currency"),
        ("currency", 156, "unknown currency a number"),
        ("period", KeyError, "is required"),
        ("period", "2027", "must be an object"),
        ("period.start", "2027-1-01", "YYYY-MM-DD"),
        ("period.start", "20270101", "YYYY-MM-DD"),
        ("period.end", "2027-13-01", "no such date"),
        ("period.end", "2027-04-31", "no such date"),
        ("period.end", "２０２７-01-01", "YYYY-MM-DD"),
        ("period.end", 20271231, "YYYY-MM-DD"),
        ("period.end", "2026-12-31", "before period.start"),
        ("period.end", "2028-01-02", "367 days"),
        ("short_period", "yearly", "unknown value"),
        ("sections", [], "at least one section"),
        ("sections", KeyError, "is required"),
        ("sections", {"code": "a"}, "must be a list"),
        ("sections[0]", "building", "must be an object"),
        ("sections[0].code", KeyError, "is required"),
        ("sections[0].code", 7, "must be a string"),
        ("sections[0].code", " ", "must not be empty"),
        ("sections[1].code", "building", "duplicate section code"),
        ("sections[0].sum_insured", "-0.01", "must not be negative"),
        ("sections[0].sum_insured", "1,000", "not a decimal number"),
        ("sections[0].sum_insured", "1e6", "not a decimal number"),
        ("sections[0].sum_insured", " 100", "not a decimal number"),
        ("sections[0].sum_insured", "+100", "not a decimal number"),
        ("sections[0].sum_insured", ".5", "not a decimal number"),
        ("sections[0].sum_insured", "NaN", "not a decimal number"),
        ("sections[0].sum_insured", "Infinity", "not a decimal number"),
        ("sections[0].sum_insured", "abc", "not a decimal number"),
        ("sections[0].sum_insured", "", "not a decimal number"),
        ("sections[0].sum_insured", True, "must be a decimal number"),
        ("sections[0].sum_insured", [1], "must be a decimal number"),
        ("sections[0].sum_insured", "1" + "0" * 18, "too large"),
        ("sections[0].sum_insured", "0." + "0" * 20 + "1", "decimal places"),
        ("sections[0].rate_permille", "0", "greater than 0"),
        ("sections[0].rate_permille", "-0.5", "greater than 0"),
        ("sections[0].rate_permille", "1000.01", "at most 1000"),
        ("sections[0].deductible", "1000", "unknown field"),
        ("factors", "sprinkler", "must be a list"),
        ("factors[0].value", "0", "greater than 0"),
        ("factors[0].value", KeyError, "is required"),
        ("factors[1].code", "sprinkler", "duplicate factor code"),
        ("factor_bounds", [], "must be an object"),
        ("factor_bounds.min", "0", "greater than 0"),
        ("factor_bounds.max", "-1", "greater than 0"),
        ("factor_bounds.max", "0.5", "factor_bounds.min"),
        ("factor_bounds.mid", "1", "unknown field"),
        ("risk_points[0].ref", KeyError, "is required"),
        ("risk_points[0].loading", "-0.05", "must not be negative"),
        ("risk_points[0].choice", "accept", "unknown value"),
        ("risk_points[0].choice", None, "is required"),
        ("minimum_premium", "1000.005", "whole cents"),
        ("minimum_premium", "-1", "must not be negative"),
        ("termination.date", "2027-01-01", "outside the policy period"),
        ("termination.date", "2026-12-31", "outside the policy period"),
        ("termination.date", "2028-01-01", "outside the policy period"),
        ("termination.date", KeyError, "is required"),
        ("termination.by", "broker", "unknown value"),
        ("termination.by", KeyError, "is required"),
        ("termination.premium_paid", "9500.001", "whole cents"),
        ("termination.premium_paid", "-1.00", "must not be negative"),
        ("termination.reason", "x", "unknown field"),
        ("discount", "0.1", "unknown field"),
    ],
)
def test_bad_field(path: str, value: Any, message: str) -> None:
    error = rejected(_with(path, value))
    assert (error.path, message in error.message) == (path, True), str(error)


def test_a_duplicate_risk_point_ref_names_the_later_one() -> None:
    rps = [{"ref": r, "loading": "0.1", "choice": "premium"} for r in ("A", "B", "A")]
    assert rejected(base(risk_points=rps)).path == "risk_points[2].ref"


@pytest.mark.parametrize(
    ("token", "path"),
    [
        ("NaN", "minimum_premium"),
        ("Infinity", "minimum_premium"),
        ("-Infinity", "minimum_premium"),
        ("1E+999999999", "minimum_premium"),
        ("1E-999999999", "minimum_premium"),
        ("1" + "0" * 5000, "minimum_premium"),
        ('"1E+999999999"', "minimum_premium"),
        ("true", "minimum_premium"),
        ("{}", "minimum_premium"),
    ],
)
def test_absurd_numbers(token: str, path: str) -> None:
    text = json.dumps(base(minimum_premium="__X__")).replace('"__X__"', token)
    assert rejected(text).path == path


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ('{"currency": "CNY", "currency": "USD"}', "currency"),
        ("[]", ""),
        ('"CNY"', ""),
        ("", ""),
        ("{", ""),
        ("[" * 100_000, ""),
    ],
)
def test_absurd_documents(text: str, path: str) -> None:
    assert rejected(text).path == path


def test_bytes_that_are_not_utf8() -> None:
    with pytest.raises(PremiumInputError) as info:
        price_document(loads_json(b"\xff\xfe{"))
    assert info.value.path == ""


def test_large_but_valid_figures_stay_exact() -> None:
    si, rate, factor = "999999999999999999.99", "999.99999999999999999999", "1.00000000000000000001"
    doc = base(
        sections=[{"code": "a", "sum_insured": si, "rate_permille": rate}],
        factors=[{"code": f"f{i}", "value": factor} for i in range(50)],
        period={"start": "2027-01-01", "end": "2027-03-14"},
        short_period="daily",
    )
    exact = Fraction(si) * Fraction(rate) / 1000 * Fraction(factor) ** 50 * Fraction(73, 365)
    cents = (exact * 100 + Fraction(1, 2)).__floor__()
    assert price(doc)["total_premium"] == f"{Decimal(cents).scaleb(-2):.2f}"


def test_period_dates_are_real_dates() -> None:
    result = compute(parse_input(loads_json(json.dumps(base(termination={"date": "2027-03-01", "by": "insured"})))))
    assert result.termination is not None and result.termination.date == dt.date(2027, 3, 1)
