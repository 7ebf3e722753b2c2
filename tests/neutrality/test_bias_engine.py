"""The bias engine's rules, one by one, on small hand-computed inputs (typed API and JSON)."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest

from tandem.neutrality.bias import (
    APPOINTER,
    BiasInput,
    BiasInputError,
    BiasOptions,
    BiasRow,
    Side,
    analyse,
    format_figure,
    result_to_json,
    run,
    validate,
)
from tandem.neutrality.student_t import t_quantile


def row(case: str, adjuster: str, side: str, report: str, settled: str, firm: str = "F") -> BiasRow:
    return BiasRow(case, adjuster, firm, Side(side), Decimal(report), Decimal(settled))


@pytest.mark.parametrize(
    ("x", "shown"),
    [
        (0.00015, "0.0002"),
        (-0.00015, "-0.0002"),
        (0.00014999, "0.0001"),
        (2.00005, "2.0001"),
        (-0.00004, "0.0000"),
        (-0.0, "0.0000"),
        (0.0, "0.0000"),
        (0.5, "0.5000"),
        (1e-20, "0.0000"),
        (-1234.56785, "-1234.5679"),
        (1e22, "10000000000000000000000.0000"),
    ],
)
def test_format_figure(x: float, shown: str) -> None:
    assert format_figure(x) == shown


def test_format_figure_handles_every_finite_double() -> None:
    assert format_figure(1.7976931348623157e308).endswith(".0000")
    assert format_figure(-5e-324) == "0.0000"
    with pytest.raises(ValueError):
        format_figure(math.inf)


def test_two_rows_by_hand() -> None:
    """Leans +0.10 (insured side, 10 % over) and +0.30 (insurer side, 30 % under)."""
    result = analyse(BiasInput((row("C1", "A", "insured", "110", "100"), row("C2", "A", "insurer", "70", "100"))))
    (adjuster,) = result.adjusters
    assert adjuster.n == 2
    assert adjuster.mean == pytest.approx(0.2)
    assert adjuster.sd == pytest.approx(math.sqrt(0.02))
    assert adjuster.lower == pytest.approx(0.2 - t_quantile(0.95, 1) * math.sqrt(0.02) / math.sqrt(2))
    assert adjuster.toward_insured == pytest.approx((0.1 - 0.3) / 2)
    assert [m.lean for m in adjuster.rows] == pytest.approx([0.1, 0.3])
    assert [m.deviation for m in adjuster.rows] == pytest.approx([0.1, -0.3])
    assert not adjuster.flagged and adjuster.direction is None  # n = 2 < min_cases 5


def test_one_row_has_no_bound() -> None:
    out = run(
        '{"min_cases": 2, "cases": [{"case": "C", "adjuster": "A", "firm": "F", "side": "insurer", '
        '"report_amount": "760000.00", "settled_amount": "800000.00"}]}'
    )
    assert out["adjusters"] == [
        {
            "adjuster": "A",
            "firm": "F",
            "n": 1,
            "mean": "0.0500",
            "sd": "0.0000",
            "lower": None,
            "toward_insured": "-0.0500",
            "flagged": False,
            "direction": None,
        }
    ]


def leaning(n: int, factor: str, *, side: str = "insured", adjuster: str = "A", firm: str = "F") -> list[BiasRow]:
    return [
        row(f"{adjuster}-{i}", adjuster, side, str(Decimal(100_000) * Decimal(factor)), "100000", firm)
        for i in range(n)
    ]


def test_flagged_compares_the_unrounded_bound() -> None:
    """confidence 0.5 makes t = 0, so lower = mean = 0.05000001 > 0.05 although it shows as 0.0500."""
    options = BiasOptions(confidence=Decimal("0.5"))
    result = analyse(BiasInput(tuple(leaning(5, "1.05000001")), options))
    (adjuster,) = result.adjusters
    assert adjuster.lower == adjuster.mean
    assert format_figure(adjuster.lower) == "0.0500"
    assert adjuster.flagged and adjuster.direction == APPOINTER
    result = analyse(BiasInput(tuple(leaning(5, "1.04999999")), options))
    assert not result.adjusters[0].flagged


def test_minimum_number_of_cases() -> None:
    rows = [*leaning(4, "1.20"), row("X", "A", "insured", "121000", "100000")]
    assert analyse(BiasInput(tuple(rows[:4]))).adjusters[0].flagged is False
    assert analyse(BiasInput(tuple(rows))).adjusters[0].flagged is True
    assert analyse(BiasInput(tuple(rows[:4]), BiasOptions(min_cases=4))).adjusters[0].flagged is True


def test_firms_are_pooled_not_averaged() -> None:
    rows = (*leaning(1, "1.30", adjuster="A"), *leaning(3, "1.10", adjuster="B"))
    result = analyse(BiasInput(rows))
    (firm,) = result.firms
    assert firm.n == 4
    assert firm.mean == pytest.approx((0.3 + 3 * 0.1) / 4)  # 0.15, not (0.3 + 0.1) / 2
    assert [g.key for g in result.adjusters] == ["A", "B"]


def test_sorted_by_code_point() -> None:
    rows = [
        row(f"C{i}", adj, "insured", "1", "1", firm=f)
        for i, (adj, f) in enumerate(
            [("公估师-8", "甲公估"), ("adj-2", "丁公估"), ("ADJ-2", "FIRM-Z"), ("ADJ-10", "FIRM-Z")]
        )
    ]
    result = analyse(BiasInput(tuple(rows)))
    assert [g.key for g in result.adjusters] == ["ADJ-10", "ADJ-2", "adj-2", "公估师-8"]
    assert [g.key for g in result.firms] == ["FIRM-Z", "丁公估", "甲公估"]


def test_reports_equal_to_the_settled_amount_show_no_negative_zero() -> None:
    rows = (row("C1", "A", "insurer", "5", "5"), row("C2", "A", "insurer", "7", "7"))
    out = result_to_json(analyse(BiasInput(rows, BiasOptions(min_cases=2, tolerance=Decimal(0)))))
    figures = out["adjusters"][0]
    assert [figures[k] for k in ("mean", "sd", "lower", "toward_insured")] == ["0.0000"] * 4
    assert figures["flagged"] is False


def test_a_report_of_zero_is_measured() -> None:
    (adjuster,) = analyse(BiasInput((row("C", "A", "insured", "0", "100"),))).adjusters
    assert adjuster.mean == -1.0


def test_typed_callers_get_the_same_checks() -> None:
    with pytest.raises(BiasInputError) as caught:
        validate(BiasInput((row("C", "A", "insured", "1", "1"), row("C", "A", "insurer", "1", "1"))))
    assert caught.value.path == "cases[1]"
    with pytest.raises(BiasInputError) as caught:
        validate(BiasInput((row("C", "A", "insured", "1", "1"), row("D", "A", "insured", "1", "1", firm="G"))))
    assert caught.value.path == "cases[1].firm"
    bad_amount = BiasRow("C", "A", "F", Side.INSURED, 1.5, Decimal(1))  # type: ignore[arg-type]
    with pytest.raises(BiasInputError) as caught:
        validate(BiasInput((bad_amount,)))
    assert caught.value.path == "cases[0].report_amount"
    with pytest.raises(BiasInputError) as caught:
        validate(BiasInput((row("C", "A", "insured", "1", "NaN"),)))
    assert caught.value.path == "cases[0].settled_amount"
    with pytest.raises(BiasInputError) as caught:
        validate(
            BiasInput((row("C", "A", "insured", "1", "1"),), BiasOptions(confidence=Decimal("0.49999999999999999999")))
        )
    assert caught.value.path == "confidence"
    with pytest.raises(BiasInputError) as caught:
        validate(BiasInput(()))
    assert caught.value.path == "cases"


def test_typed_callers_may_pass_integers_and_plain_strings() -> None:
    plain = BiasRow("C", "A", "F", "insured", 110, 100)  # type: ignore[arg-type]
    (adjuster,) = analyse(BiasInput((plain,))).adjusters
    assert adjuster.mean == pytest.approx(0.1)


def test_minus_zero_is_not_negative() -> None:
    out = run(
        '{"tolerance": "-0", "cases": [{"case": "C", "adjuster": "A", "firm": "F", "side": "insured", '
        '"report_amount": "-0.00", "settled_amount": "3"}]}'
    )
    assert out["adjusters"][0]["mean"] == "-1.0000"


def test_null_options_mean_the_defaults_and_a_huge_min_cases_is_an_integer() -> None:
    body = (
        ', "cases": ['
        + ", ".join(
            f'{{"case": "C{i}", "adjuster": "A", "firm": "F", "side": "insured", "report_amount": 130, '
            f'"settled_amount": 100}}'
            for i in range(6)
        )
        + "]}"
    )
    flagged = run('{"min_cases": null, "tolerance": null, "confidence": null' + body)["adjusters"][0]
    assert flagged["flagged"] is True
    big = run('{"min_cases": 1' + "0" * 5000 + body)["adjusters"][0]
    assert big["flagged"] is False
    assert big["mean"] == flagged["mean"] == "0.3000"


def test_first_problem_in_document_order() -> None:
    with pytest.raises(BiasInputError) as caught:
        run('{"tolerence": 1, "min_cases": 1, "cases": []}')
    assert caught.value.path == "tolerence"
    with pytest.raises(BiasInputError) as caught:
        run('{"min_cases": 1, "cases": []}')
    assert caught.value.path == "min_cases"
    with pytest.raises(BiasInputError) as caught:
        run(
            '{"cases": [{"case": "C", "adjuster": "A", "firm": "F", "side": "insured", "report_amount": "-1", '
            '"settled_amount": "1"}, {"case": "D", "remark": 1}]}'
        )
    assert caught.value.path == "cases[0].report_amount"
