"""Claim amount engine (理算): worked cases, bad input, edge rules of the contract and properties."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import FrozenInstanceError
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tandem.settlement.calculator import (
    CalcInput,
    CalcInputError,
    CalcResult,
    LimitedBy,
    compute,
    explain_steps,
    loads_json,
    parse_input,
    result_to_json,
)
from tests.settlement.data import Record, assert_matches_expected, load_records, params, to_json_text

CENT = Decimal("0.01")

AMOUNT_FIELDS = (
    "gross_loss",
    "net_loss",
    "after_average",
    "after_liability",
    "deductible",
    "after_deductible",
    "payable",
)
TWO_PLACES = re.compile(r"[0-9]+\.[0-9]{2}")
SIX_PLACES = re.compile(r"[0-9]+\.[0-9]{6}")


def run_text(text: str) -> dict[str, Any]:
    return result_to_json(compute(parse_input(loads_json(text))))


# --------------------------------------------------------------------------------------------------
# the data files
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("record", params("cases"))
def test_worked_case(record: Record) -> None:
    assert_matches_expected(run_text(record.input_text), record.data["expected"])


@pytest.mark.parametrize("record", params("textbook"))
def test_textbook_example(record: Record) -> None:
    out = run_text(record.input_text)
    assert Decimal(out["total_payable"]) == Decimal(record.data["expected"]["total_payable"])
    assert_matches_expected(out, record.data["expected"])


@pytest.mark.parametrize("record", params("invalid"))
def test_invalid_input_is_rejected_naming_the_field(record: Record) -> None:
    with pytest.raises(CalcInputError) as info:
        parse_input(loads_json(record.input_text))
    field = record.data["field"]
    if field is not None:
        assert info.value.path == field
        assert str(info.value).startswith(f"{field}: ")
    assert "\n" not in str(info.value)


def test_data_files_have_the_documented_sizes() -> None:
    assert len(load_records("cases")) >= 42
    assert len(load_records("textbook")) >= 6
    assert len(load_records("invalid")) >= 13


# --------------------------------------------------------------------------------------------------
# rules of the contract, one by one
# --------------------------------------------------------------------------------------------------


def doc(*sections: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {"currency": "CNY", "sections": list(sections), **top}


def section(code: str = "s", loss: object = "1000.00", **fields: Any) -> dict[str, Any]:
    return {"code": code, "items": [{"ref": "1", "loss": loss}], **fields}


def run(document: dict[str, Any]) -> dict[str, Any]:
    return result_to_json(compute(parse_input(document)))


def first(document: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = run(document)["sections"][0]
    return result


def rejected(document: object) -> CalcInputError:
    with pytest.raises(CalcInputError) as info:
        parse_input(document)
    return info.value


def test_contract_example() -> None:
    out = run(
        {
            "currency": "CNY",
            "advance_paid": "0.00",
            "sections": [
                {
                    "code": "building",
                    "sum_insured": "5000000.00",
                    "insured_value": "6000000.00",
                    "deductible": {"amount": "5000.00", "rate": "0.10"},
                    "per_occurrence_limit": None,
                    "aggregate_limit": "5000000.00",
                    "paid_to_date": "0.00",
                    "items": [{"ref": "1", "description": "厂房屋顶", "loss": "120000.00", "salvage": "2000.00"}],
                }
            ],
        }
    )
    assert out == {
        "currency": "CNY",
        "sections": [
            {
                "code": "building",
                "gross_loss": "120000.00",
                "net_loss": "118000.00",
                "average_ratio": "0.833333",
                "after_average": "98333.33",
                "after_liability": "98333.33",
                "deductible": "9833.33",
                "after_deductible": "88500.00",
                "payable": "88500.00",
                "limited_by": "none",
            }
        ],
        "total_payable": "88500.00",
        "advance_paid": "0.00",
        "due": "88500.00",
        "overpaid": "0.00",
    }


def test_average_is_exact_multiply_before_divide() -> None:
    # 100 × 1 / 3 = 33.333…; 100 × round(1/3, 6) would give 33.3333 too, but 0.005 ties must be exact:
    # 1000.10 × 1 / 2 = 500.05 exactly.
    s = first(doc(section(loss="1000.10", sum_insured="1", insured_value="2")))
    assert s["after_average"] == "500.05"
    assert s["average_ratio"] == "0.500000"


def test_half_up_rounding_of_payable() -> None:
    # 0.125 → 0.13 half up (half-even would give 0.12)
    assert first(doc(section(loss="0.125")))["payable"] == "0.13"
    assert first(doc(section(loss="2.675")))["payable"] == "2.68"  # float(2.675) rounds to 2.67


def test_over_insurance_has_no_average() -> None:
    s = first(doc(section(sum_insured="3000", insured_value="2000")))
    assert s["average_ratio"] == "1.000000"
    assert s["payable"] == "1000.00"


def test_deductible_never_exceeds_the_loss() -> None:
    s = first(doc(section(loss="300", deductible={"amount": "500"})))
    assert (s["deductible"], s["after_deductible"], s["payable"]) == ("300.00", "0.00", "0.00")


def test_limit_equal_to_after_deductible_does_not_win() -> None:
    s = first(doc(section(loss="1000", per_occurrence_limit="1000", aggregate_limit="1000")))
    assert (s["payable"], s["limited_by"]) == ("1000.00", "none")


def test_tie_between_bounds_names_the_first() -> None:
    s = first(doc(section(loss="1000", per_occurrence_limit="600", aggregate_limit="700", paid_to_date="100")))
    assert (s["payable"], s["limited_by"]) == ("600.00", "per_occurrence")
    s = first(
        doc(
            section(
                loss="1000",
                sum_insured="600",
                aggregate_limit="600",
                options={"basis": "first_loss"},
            )
        )
    )
    assert (s["payable"], s["limited_by"]) == ("600.00", "sum_insured")
    s = first(doc(section(loss="1000", per_occurrence_limit="800", aggregate_limit="500")))
    assert (s["payable"], s["limited_by"]) == ("500.00", "aggregate")


def test_overdrawn_aggregate_pays_nothing() -> None:
    s = first(doc(section(loss="1000", aggregate_limit="500", paid_to_date="600")))
    assert (s["payable"], s["limited_by"]) == ("0.00", "aggregate")


def test_exhausted_aggregate_with_nothing_to_pay_is_not_binding() -> None:
    s = first(doc(section(loss="100", deductible={"amount": "200"}, aggregate_limit="500", paid_to_date="500")))
    assert (s["payable"], s["limited_by"]) == ("0.00", "none")


def test_advance_overpaid_and_due() -> None:
    out = run(doc(section(loss="100.00"), advance_paid="150.005"))
    assert (out["due"], out["overpaid"], out["advance_paid"]) == ("0.00", "50.01", "150.01")
    out = run(doc(section(loss="100.00"), advance_paid="99.995"))
    assert (out["due"], out["overpaid"]) == ("0.01", "0.00")
    out = run(doc(section(loss="100.00"), advance_paid="100.004"))
    assert (out["due"], out["overpaid"]) == ("0.00", "0.00")  # no negative zero


def test_total_is_the_sum_of_rounded_payables() -> None:
    out = run(doc(section("a", loss="0.005"), section("b", loss="0.005")))
    assert out["total_payable"] == "0.02"


def test_salvage_after_average() -> None:
    s = first(
        doc(
            {
                "code": "m",
                "sum_insured": "500",
                "insured_value": "1000",
                "options": {"salvage": "after_average"},
                "items": [{"loss": "1000", "salvage": "100"}, {"loss": "200", "salvage": "200"}],
            }
        )
    )
    assert (s["gross_loss"], s["net_loss"], s["after_average"]) == ("1200.00", "1200.00", "300.00")
    s = first(
        doc(
            {
                "code": "m",
                "sum_insured": "100",
                "insured_value": "1000",
                "options": {"salvage": "after_average"},
                "items": [{"loss": "1000", "salvage": "500"}],
            }
        )
    )
    assert (s["after_average"], s["payable"]) == ("0.00", "0.00")


def test_sum_insured_reduces() -> None:
    base = section(loss="1000", sum_insured="1000", insured_value="1000", paid_to_date="500")
    assert first(doc(base))["payable"] == "1000.00"
    s = first(doc({**base, "options": {"sum_insured_reduces": True}}))
    assert (s["average_ratio"], s["payable"]) == ("0.500000", "500.00")
    # exhausted sum insured: ratio 0
    s = first(doc({**base, "paid_to_date": "2000", "options": {"sum_insured_reduces": True}}))
    assert (s["average_ratio"], s["payable"]) == ("0.000000", "0.00")
    # first loss bound is the reduced sum insured
    s = first(doc({**base, "options": {"sum_insured_reduces": True, "basis": "first_loss"}}))
    assert (s["payable"], s["limited_by"]) == ("500.00", "sum_insured")


def test_liability_ratio_applies_before_the_deductible() -> None:
    s = first(doc(section(loss="1000", deductible={"amount": "100"}, options={"liability_ratio": "0.6"})))
    assert (s["after_average"], s["after_liability"], s["payable"]) == ("1000.00", "600.00", "500.00")
    s = first(doc(section(loss="1000", deductible={"rate": "0.1"}, options={"liability_ratio": Decimal("0.5")})))
    assert (s["deductible"], s["payable"]) == ("50.00", "450.00")


def test_franchise() -> None:
    at_threshold = first(doc(section(loss="1000", deductible={"amount": "1000", "kind": "franchise"})))
    assert (at_threshold["deductible"], at_threshold["payable"]) == ("1000.00", "0.00")
    above = first(doc(section(loss="1000.01", deductible={"amount": "1000", "kind": "franchise"})))
    assert (above["deductible"], above["payable"]) == ("0.00", "1000.01")
    with_rate = section(loss="5000", sum_insured="1000000", deductible={"rate": "0.005", "kind": "franchise"})
    assert first(doc(with_rate))["payable"] == "0.00"  # threshold 5000 on the sum insured
    with_rate["items"] = [{"loss": "5000.01"}]
    assert first(doc(with_rate))["payable"] == "5000.01"


def test_rate_on_sum_insured() -> None:
    s = first(
        doc(
            section(
                loss="100000",
                sum_insured="2000000",
                deductible={"amount": "1000", "rate": "0.001", "rate_base": "sum_insured"},
            )
        )
    )
    assert (s["deductible"], s["payable"]) == ("2000.00", "98000.00")
    # rate_base sum_insured without a rate: allowed, no effect (even without a sum insured)
    s = first(doc(section(loss="1000", deductible={"amount": "10", "rate_base": "sum_insured"})))
    assert s["payable"] == "990.00"


def test_absent_and_null_optional_fields_are_zero_or_unbounded() -> None:
    s = first(
        doc(
            {
                "code": "x",
                "sum_insured": None,
                "insured_value": None,
                "deductible": None,
                "per_occurrence_limit": None,
                "aggregate_limit": None,
                "paid_to_date": None,
                "options": None,
                "items": [{"loss": "10", "salvage": None, "ref": None, "description": None}],
            },
            advance_paid=None,
        )
    )
    assert s["payable"] == "10.00"
    s = first(doc(section(loss="10", deductible={"amount": None, "rate": None, "kind": None})))
    assert s["payable"] == "10.00"


def test_big_amounts_stay_exact() -> None:
    s = first(doc(section(loss="123456789012.345", sum_insured="999999999999.99", insured_value="999999999999.99")))
    assert s["payable"] == "123456789012.35"


# --------------------------------------------------------------------------------------------------
# bad input
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("document", "path"),
    [
        pytest.param({"sections": [section()]}, "currency", id="missing-currency"),
        pytest.param(doc(section(), currency="RMB"), "currency", id="unknown-currency"),
        pytest.param(doc(section(), currency=None), "currency", id="null-currency"),
        pytest.param({"currency": "CNY"}, "sections", id="no-sections-key"),
        pytest.param(doc(), "sections", id="empty-sections"),
        pytest.param({"currency": "CNY", "sections": {}}, "sections", id="sections-not-a-list"),
        pytest.param(doc(section(), extra=1), "extra", id="unknown-top-key"),
        pytest.param(doc(section(), section()), "sections[1].code", id="duplicate-code"),
        pytest.param(doc({"items": [{"loss": "1"}]}), "sections[0].code", id="missing-code"),
        pytest.param(doc({"code": "a"}), "sections[0].items", id="missing-items"),
        pytest.param(doc({"code": "a", "items": []}), "sections[0].items", id="empty-items"),
        pytest.param(doc({"code": "a", "items": [{}]}), "sections[0].items[0].loss", id="missing-loss"),
        pytest.param(doc(section(loss="abc")), "sections[0].items[0].loss", id="abc"),
        pytest.param(doc(section(loss="12,000")), "sections[0].items[0].loss", id="separator"),
        pytest.param(doc(section(loss="1_000")), "sections[0].items[0].loss", id="underscore"),
        pytest.param(doc(section(loss="")), "sections[0].items[0].loss", id="empty-string"),
        pytest.param(doc(section(loss="NaN")), "sections[0].items[0].loss", id="nan-string"),
        pytest.param(doc(section(loss="Infinity")), "sections[0].items[0].loss", id="inf-string"),
        pytest.param(doc(section(loss="-Infinity")), "sections[0].items[0].loss", id="minus-inf-string"),
        pytest.param(doc(section(loss=Decimal("NaN"))), "sections[0].items[0].loss", id="nan-decimal"),
        pytest.param(doc(section(loss=1.5)), "sections[0].items[0].loss", id="float"),
        pytest.param(doc(section(loss=True)), "sections[0].items[0].loss", id="bool"),
        pytest.param(doc(section(loss="-0.01")), "sections[0].items[0].loss", id="negative-loss"),
        pytest.param(doc(section(loss="1e30")), "sections[0].items[0].loss", id="absurdly-large"),
        pytest.param(doc(section(sum_insured="-1")), "sections[0].sum_insured", id="negative-si"),
        pytest.param(doc(section(paid_to_date="-1")), "sections[0].paid_to_date", id="negative-paid"),
        pytest.param(doc(section(), advance_paid="-1"), "advance_paid", id="negative-advance"),
        pytest.param(
            doc(section(deductible={"amount": "-5"})),
            "sections[0].deductible.amount",
            id="negative-deductible",
        ),
        pytest.param(doc(section(deductible={"rate": "-0.1"})), "sections[0].deductible.rate", id="negative-rate"),
        pytest.param(doc(section(deductible={"rate": "1.01"})), "sections[0].deductible.rate", id="rate-above-1"),
        pytest.param(doc(section(deductible={"amout": "1"})), "sections[0].deductible.amout", id="typo"),
        pytest.param(doc(section(deductible={"kind": "relative"})), "sections[0].deductible.kind", id="unknown-kind"),
        pytest.param(
            doc(section(deductible={"amount": "1", "kind": "franchise", "rate_base": "loss"})),
            "sections[0].deductible.rate_base",
            id="franchise-on-loss",
        ),
        pytest.param(
            doc(section(deductible={"rate": "0.1", "kind": "franchise"})),
            "sections[0].deductible.rate",
            id="franchise-rate-without-si",
        ),
        pytest.param(
            doc(section(deductible={"rate": "0.1", "rate_base": "sum_insured"})),
            "sections[0].deductible.rate",
            id="rate-on-si-without-si",
        ),
        pytest.param(
            doc(section(deductible={"rate_base": "premium"})),
            "sections[0].deductible.rate_base",
            id="bad-base",
        ),
        pytest.param(
            doc(section(options={"sum_insured_reduces": True})),
            "sections[0].options.sum_insured_reduces",
            id="reduces-without-si",
        ),
        pytest.param(
            doc(section(sum_insured="1", options={"sum_insured_reduces": "yes"})),
            "sections[0].options.sum_insured_reduces",
            id="reduces-not-bool",
        ),
        pytest.param(
            doc(section(options={"liability_ratio": "0"})),
            "sections[0].options.liability_ratio",
            id="ratio-0",
        ),
        pytest.param(
            doc(section(options={"liability_ratio": "1.0001"})),
            "sections[0].options.liability_ratio",
            id="ratio-above-1",
        ),
        pytest.param(
            doc(section(options={"liability_ratio": "-0.5"})),
            "sections[0].options.liability_ratio",
            id="ratio-negative",
        ),
        pytest.param(doc(section(options={"salvage": "later"})), "sections[0].options.salvage", id="bad-salvage"),
        pytest.param(doc(section(options="first_loss")), "sections[0].options", id="options-not-object"),
        pytest.param(
            doc(section("a"), {"code": "b", "items": [{"loss": "5", "salvage": "6"}]}),
            "sections[1].items[0].salvage",
            id="salvage-above-loss",
        ),
    ],
)
def test_bad_input_names_the_path(document: object, path: str) -> None:
    err = rejected(document)
    assert err.path == path
    assert str(err).startswith(f"{path}: ")


def test_not_an_object() -> None:
    assert rejected([]).path == ""
    assert rejected("CNY").path == ""


@pytest.mark.parametrize(
    ("text", "path"),
    [
        (
            '{"currency": "CNY", "sections": [{"code": "a", "items": [{"loss": NaN}]}]}',
            "sections[0].items[0].loss",
        ),
        (
            '{"currency": "CNY", "sections": [{"code": "a", "items": [{"loss": Infinity}]}]}',
            "sections[0].items[0].loss",
        ),
        (
            '{"currency": "CNY", "sections": [{"code": "a", "items": [{"loss": "1"}]}], "advance_paid": -Infinity}',
            "advance_paid",
        ),
        ('{"currency": "CNY", "currency": "USD", "sections": []}', "currency"),
        (
            '{"currency": "CNY", "sections": [{"code": "a", "items": [{"loss": "1", "loss": "2"}]}]}',
            "sections[0].items[0].loss",
        ),
    ],
)
def test_bare_non_finite_tokens_and_repeated_keys(text: str, path: str) -> None:
    with pytest.raises(CalcInputError) as info:
        parse_input(loads_json(text))
    assert info.value.path == path


@pytest.mark.parametrize("text", ["", "{", '{"a": 1,}', "\ufeff{", b"\xff\xfe{}"])
def test_unparseable_text(text: str | bytes) -> None:
    with pytest.raises(CalcInputError) as info:
        loads_json(text)
    assert info.value.path == ""
    assert "\n" not in str(info.value)


def test_deeply_nested_json_is_rejected_cleanly() -> None:
    try:
        value = loads_json("[" * 100_000 + "]" * 100_000)
    except CalcInputError as exc:
        assert exc.path == ""
    else:
        assert rejected(value).path == ""


def test_numbers_are_decimals_never_floats() -> None:
    parsed = loads_json('{"a": 0.1, "b": 3, "c": 1e2}')
    assert parsed == {"a": Decimal("0.1"), "b": Decimal(3), "c": Decimal("1e2")}
    assert all(isinstance(v, Decimal) for v in parsed.values())


# --------------------------------------------------------------------------------------------------
# the step-by-step explanation
# --------------------------------------------------------------------------------------------------


def test_explain_steps_shows_every_output_figure() -> None:
    record = next(r for r in load_records("cases") if len(r.data["input"]["sections"]) > 1)
    result = compute(parse_input(loads_json(record.input_text)))
    out = result_to_json(result)
    explained = explain_steps(result)
    assert [s.code for s in explained] == [s["code"] for s in out["sections"]]
    for steps, section_out in zip(explained, out["sections"], strict=True):
        keys = [step.key for step in steps.steps]
        assert keys == [
            "gross_loss",
            "net_loss",
            "average_ratio",
            "after_average",
            "after_liability",
            "deductible",
            "after_deductible",
            "payable",
            "limited_by",
        ]
        for step in steps.steps:
            assert step.value == section_out[step.key]
            assert step.label and step.formula


def test_result_keeps_exact_intermediates() -> None:
    result = compute(parse_input(doc(section(loss="100", sum_insured="1", insured_value="3"))))
    s = result.sections[0]
    assert s.after_average != s.after_average.quantize(Decimal("0.01"))  # 33.333… kept exact
    assert s.payable == Decimal("33.33")
    assert s.limited_by is LimitedBy.NONE


# --------------------------------------------------------------------------------------------------
# properties
# --------------------------------------------------------------------------------------------------

PROPERTY_SETTINGS = settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def cents(max_value: int = 10**9) -> st.SearchStrategy[Decimal]:
    return st.integers(min_value=0, max_value=max_value).map(lambda c: Decimal(c).scaleb(-2))


def fraction(min_value: int = 0, places: int = 4) -> st.SearchStrategy[Decimal]:
    scale = 10**places
    return st.integers(min_value=min_value, max_value=scale).map(lambda n: Decimal(n).scaleb(-places))


@st.composite
def items(draw: st.DrawFn) -> dict[str, Any]:
    loss = draw(cents(10**8))
    item: dict[str, Any] = {"ref": draw(st.text("0123456789", min_size=1, max_size=3)), "loss": loss}
    if draw(st.booleans()):
        item["salvage"] = draw(st.integers(0, int(loss * 100)).map(lambda c: Decimal(c).scaleb(-2)))
    return item


@st.composite
def sections(draw: st.DrawFn, code: str) -> dict[str, Any]:
    sec: dict[str, Any] = {"code": code, "items": draw(st.lists(items(), min_size=1, max_size=4))}
    has_si = draw(st.booleans())
    if has_si:
        sec["sum_insured"] = draw(cents())
    if draw(st.booleans()):
        sec["insured_value"] = draw(cents())
    for key in ("per_occurrence_limit", "aggregate_limit", "paid_to_date"):
        if draw(st.booleans()):
            sec[key] = draw(cents(10**8))
    options: dict[str, Any] = {}
    if has_si and draw(st.booleans()):
        options["basis"] = draw(st.sampled_from(["average", "first_loss"]))
    if draw(st.booleans()):
        options["salvage"] = draw(st.sampled_from(["before_average", "after_average"]))
    if has_si and draw(st.booleans()):
        options["sum_insured_reduces"] = draw(st.booleans())
    if draw(st.booleans()):
        options["liability_ratio"] = draw(fraction(min_value=1))
    if options:
        sec["options"] = options
    if draw(st.booleans()):
        ded: dict[str, Any] = {}
        if draw(st.booleans()):
            ded["amount"] = draw(cents(10**7))
        kind = draw(st.sampled_from([None, "absolute", "franchise"]))
        if kind is not None:
            ded["kind"] = kind
        base = draw(st.sampled_from([None, "loss", "sum_insured"] if kind != "franchise" else [None, "sum_insured"]))
        if base is not None:
            ded["rate_base"] = base
        on_si = kind == "franchise" or base == "sum_insured"
        if draw(st.booleans()) and (has_si or not on_si):
            ded["rate"] = draw(fraction())
        sec["deductible"] = ded
    return sec


@st.composite
def documents(draw: st.DrawFn) -> dict[str, Any]:
    count = draw(st.integers(min_value=1, max_value=3))
    document: dict[str, Any] = {
        "currency": draw(st.sampled_from(["CNY", "USD", "EUR", "HKD", "GBP"])),
        "sections": [draw(sections(f"s{i}")) for i in range(count)],
    }
    if draw(st.booleans()):
        document["advance_paid"] = draw(cents(10**8))
    return document


def as_strings(value: Any) -> Any:
    """The same document with every Decimal written as a decimal string."""
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, dict):
        return {k: as_strings(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_strings(v) for v in value]
    return value


def compute_doc(document: dict[str, Any]) -> CalcResult:
    return compute(parse_input(loads_json(to_json_text(as_strings(document)))))


def iter_bounds(sec: dict[str, Any]) -> Iterator[Decimal]:
    if "per_occurrence_limit" in sec:
        yield sec["per_occurrence_limit"]
    if "aggregate_limit" in sec:
        yield max(Decimal(0), sec["aggregate_limit"] - sec.get("paid_to_date", Decimal(0)))
    options = sec.get("options", {})
    if options.get("basis") == "first_loss":
        si: Decimal = sec["sum_insured"]
        if options.get("sum_insured_reduces"):
            si = max(Decimal(0), si - sec.get("paid_to_date", Decimal(0)))
        yield si


@PROPERTY_SETTINGS
@given(documents())
def test_payable_is_between_zero_and_every_bound(document: dict[str, Any]) -> None:
    result = compute_doc(document)
    for sec_in, sec_out in zip(document["sections"], result.sections, strict=True):
        assert sec_out.payable >= 0
        for bound in iter_bounds(sec_in):
            assert sec_out.payable <= bound
        assert sec_out.payable <= sec_out.after_deductible.quantize(CENT, rounding=ROUND_HALF_UP)
        assert sec_out.after_deductible <= sec_out.after_liability <= sec_out.after_average
        if sec_out.limited_by is LimitedBy.NONE:
            assert sec_out.payable_exact == sec_out.after_deductible
        else:  # a bound strictly below after_deductible won (an overdrawn aggregate may still pay 0)
            assert sec_out.payable_exact < sec_out.after_deductible or sec_out.payable_exact == 0


@PROPERTY_SETTINGS
@given(documents(), st.data())
def test_payable_never_decreases_as_a_loss_grows(document: dict[str, Any], data: st.DataObject) -> None:
    before = compute_doc(document)
    i = data.draw(st.integers(0, len(document["sections"]) - 1), label="section")
    sec = document["sections"][i]
    j = data.draw(st.integers(0, len(sec["items"]) - 1), label="item")
    grown = data.draw(cents(10**8), label="increase")
    sec["items"][j] = {**sec["items"][j], "loss": sec["items"][j]["loss"] + grown}
    after = compute_doc(document)
    assert after.sections[i].payable >= before.sections[i].payable
    assert after.total_payable >= before.total_payable
    for k, (b, a) in enumerate(zip(before.sections, after.sections, strict=True)):
        if k != i:
            assert a == b


@PROPERTY_SETTINGS
@given(documents(), st.data())
def test_a_higher_deductible_amount_never_pays_more(document: dict[str, Any], data: st.DataObject) -> None:
    before = compute_doc(document)
    i = data.draw(st.integers(0, len(document["sections"]) - 1), label="section")
    sec = document["sections"][i]
    ded = dict(sec.get("deductible") or {})
    ded["amount"] = ded.get("amount", Decimal(0)) + data.draw(cents(10**7), label="increase")
    sec["deductible"] = ded
    after = compute_doc(document)
    assert after.sections[i].payable <= before.sections[i].payable


@PROPERTY_SETTINGS
@given(documents())
def test_every_figure_has_exactly_two_decimals(document: dict[str, Any]) -> None:
    out = result_to_json(compute_doc(document))
    for sec in out["sections"]:
        for field in AMOUNT_FIELDS:
            assert TWO_PLACES.fullmatch(sec[field]), (field, sec[field])
        assert SIX_PLACES.fullmatch(sec["average_ratio"])
        assert sec["limited_by"] in {m.value for m in LimitedBy}
    for field in ("total_payable", "advance_paid", "due", "overpaid"):
        assert TWO_PLACES.fullmatch(out[field]), (field, out[field])


@PROPERTY_SETTINGS
@given(documents())
def test_totals_are_consistent(document: dict[str, Any]) -> None:
    result = compute_doc(document)
    assert result.total_payable == sum((s.payable for s in result.sections), Decimal(0))
    assert result.due >= 0 and result.overpaid >= 0
    assert result.due == 0 or result.overpaid == 0
    advance = document.get("advance_paid", Decimal(0))
    assert result.due - result.overpaid == result.total_payable - advance


@PROPERTY_SETTINGS
@given(documents())
def test_json_numbers_and_strings_give_identical_results(document: dict[str, Any]) -> None:
    as_numbers = run_text(to_json_text(document))
    as_text = run_text(to_json_text(as_strings(document)))
    assert as_numbers == as_text
    # and a plain Python dict (ints/Decimals, no JSON at all) agrees as well
    assert run(document) == as_text


JSON_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6).map(Decimal),
    st.decimals(allow_nan=True, allow_infinity=True, places=3),
    st.text(max_size=8),
    st.sampled_from(["NaN", "1e5", "-0", "0.00", "franchise", "first_loss", "12,000"]),
)
JSON_VALUES = st.recursive(
    JSON_LEAVES,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=8,
)


def _mutations(document: dict[str, Any]) -> list[tuple[Callable[[Any], None], str]]:
    """Setters for every value in the document (one per path)."""
    found: list[tuple[Callable[[Any], None], str]] = []

    def walk(node: Any, path: str) -> None:
        keys = range(len(node)) if isinstance(node, list) else list(node)
        for key in keys:
            child_path = f"{path}[{key}]" if isinstance(node, list) else (f"{path}.{key}" if path else str(key))

            def setter(value: Any, node: Any = node, key: Any = key) -> None:
                node[key] = value

            found.append((setter, child_path))
            if isinstance(node[key], dict | list):
                walk(node[key], child_path)

    walk(document, "")
    return found


@PROPERTY_SETTINGS
@given(documents(), JSON_VALUES, st.data())
def test_any_corruption_is_either_computed_or_rejected_with_a_path(
    document: dict[str, Any], value: Any, data: st.DataObject
) -> None:
    setters = _mutations(document)
    setter, _path = data.draw(st.sampled_from(setters), label="where")
    setter(value)
    try:
        out = run(document)
    except CalcInputError as exc:
        assert "\n" not in str(exc)
        assert exc.path, "bad input inside a document must name its field"
    else:
        assert TWO_PLACES.fullmatch(out["total_payable"])


def test_calc_input_is_frozen() -> None:
    inp = parse_input(doc(section()))
    assert isinstance(inp, CalcInput)
    with pytest.raises(FrozenInstanceError):
        setattr(inp, "currency", "USD")  # noqa: B010
