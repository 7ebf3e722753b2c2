"""``tandem neutrality bias`` in process (Typer's runner, mounted as tandem.cli mounts it): output
format, and one line on stderr with exit 2 for every kind of bad input, absurd numbers included."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tandem.cli import app
from tandem.neutrality.cli import run_bias

from . import records
from .records import assert_matches, load

ROW = '"case": "C1", "adjuster": "A", "firm": "F", "side": "insured"'


def invoke(args: list[str], stdin: str | bytes | None = None) -> Any:
    return CliRunner().invoke(app, ["neutrality", "bias", *args], input=stdin)


def assert_rejected(result: Any, path: str | None) -> str:
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return records.assert_rejected(result.exit_code, result.stdout, result.stderr, path)


def test_the_root_cli_mounts_the_command() -> None:
    record = load("cases")[0]
    result = invoke(["-"], stdin=record.input_text)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    assert_matches(json.loads(result.stdout), record.expected)


def test_run_bias_reads_a_file_or_standard_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    record = load("cases")[4]
    (tmp_path / "in.json").write_text(record.input_text, encoding="utf-8")
    from_file = run_bias(str(tmp_path / "in.json"))
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(record.input_text.encode("utf-8"))))
    assert run_bias("-") == from_file
    assert from_file[0] == 0
    assert_matches(json.loads(from_file[1]), record.expected)


def test_a_byte_order_mark_is_tolerated() -> None:
    record = load("cases")[0]
    result = invoke(["-"], stdin=b"\xef\xbb\xbf" + record.input_text.encode("utf-8"))
    assert result.exit_code == 0, result.stderr


def _doc(report: str, settled: str = '"1000.00"', top: str = "") -> str:
    return f'{{{top}"cases": [{{{ROW}, "report_amount": {report}, "settled_amount": {settled}}}]}}'


@pytest.mark.parametrize(
    ("stdin", "path"),
    [
        pytest.param(_doc("1E+999999999"), "cases[0].report_amount", id="1E+999999999"),
        pytest.param(_doc("1e99999999999999999999999"), "cases[0].report_amount", id="exponent-out-of-range"),
        pytest.param(_doc('"1' + "0" * 400 + '"'), "cases[0].report_amount", id="400-digit-string"),
        pytest.param(_doc("NaN"), "cases[0].report_amount", id="bare-NaN"),
        pytest.param(_doc('"1"', "Infinity"), "cases[0].settled_amount", id="bare-Infinity"),
        pytest.param(_doc('"1"', "-Infinity"), "cases[0].settled_amount", id="bare-minus-Infinity"),
        pytest.param(_doc('"Infinity"'), "cases[0].report_amount", id="Infinity-string"),
        pytest.param(_doc('"1"', "1e-400"), "cases[0].settled_amount", id="settled-underflows-to-0"),
        pytest.param(_doc("1e300", "1e-300"), "cases[0].report_amount", id="deviation-overflows"),
        pytest.param(_doc('"-0.01"'), "cases[0].report_amount", id="negative-report"),
        pytest.param(_doc('"1"', '"-0"'), "cases[0].settled_amount", id="settled-minus-zero"),
        pytest.param(_doc('"1e5"'), "cases[0].report_amount", id="exponent-in-string"),
        pytest.param(_doc('"+5"'), "cases[0].report_amount", id="plus-sign"),
        pytest.param(_doc('" 5"'), "cases[0].report_amount", id="blank"),
        pytest.param(_doc('"5."'), "cases[0].report_amount", id="dot-without-fraction"),
        pytest.param(_doc('"٣"'), "cases[0].report_amount", id="other-digits"),
        pytest.param(_doc('""'), "cases[0].report_amount", id="empty-string"),
        pytest.param(_doc("true"), "cases[0].report_amount", id="boolean-amount"),
        pytest.param(_doc("[1]"), "cases[0].report_amount", id="list-amount"),
        pytest.param(_doc('"1"', top='"min_cases": "5", '), "min_cases", id="min-cases-string"),
        pytest.param(_doc('"1"', top='"min_cases": true, '), "min_cases", id="min-cases-true"),
        pytest.param(_doc('"1"', top='"min_cases": 5.0, '), "min_cases", id="min-cases-5.0"),
        pytest.param(_doc('"1"', top='"min_cases": -3, '), "min_cases", id="min-cases-negative"),
        pytest.param(_doc('"1"', top='"tolerance": 1E+999999999, '), "tolerance", id="tolerance-huge"),
        pytest.param(_doc('"1"', top='"tolerance": "-0.01", '), "tolerance", id="tolerance-negative"),
        pytest.param(_doc('"1"', top='"confidence": 0.4999, '), "confidence", id="confidence-low"),
        pytest.param(_doc('"1"', top='"confidence": 0.99999999999999999999, '), "confidence", id="confidence-is-1"),
        pytest.param(_doc('"1"', top='"confidence": NaN, '), "confidence", id="confidence-NaN"),
        pytest.param(_doc('"1"', top='"tolerence": 0.1, '), "tolerence", id="unknown-top-key"),
        pytest.param(_doc('"1"', top='"cases": [], '), "cases", id="repeated-top-key"),
        pytest.param('{"cases": [{"case": 7}]}', "cases[0].case", id="case-not-a-string"),
        pytest.param(
            f'{{"cases": [{{{ROW}, "report_amount": "1", "settled_amount": null}}]}}',
            "cases[0].settled_amount",
            id="null-is-missing",
        ),
        pytest.param(
            '{"cases": [{"case": "", "adjuster": "A", "firm": "F", "side": "insured", '
            '"report_amount": "1", "settled_amount": "1"}]}',
            "cases[0].case",
            id="empty-case",
        ),
        pytest.param(
            '{"cases": [{"case": "C", "adjuster": "A", "firm": ["F"], "side": "insured", '
            '"report_amount": "1", "settled_amount": "1"}]}',
            "cases[0].firm",
            id="firm-not-a-string",
        ),
        pytest.param(
            '{"cases": [{"case": "C", "adjuster": "A", "firm": "F", "side": "Insured", '
            '"report_amount": "1", "settled_amount": "1"}]}',
            "cases[0].side",
            id="side-case-sensitive",
        ),
        pytest.param('{"cases": [1]}', "cases[0]", id="row-not-an-object"),
        pytest.param('{"cases": {}}', "cases", id="cases-not-a-list"),
        pytest.param('{"min_cases": 5}', "cases", id="cases-missing"),
        pytest.param('{"cases": null}', "cases", id="cases-null"),
        pytest.param("[1, 2]", None, id="not-an-object"),
        pytest.param("", None, id="empty-input"),
        pytest.param("[" * 100_000, None, id="deep-nesting"),
        pytest.param(b"\xff\xfe{}", None, id="not-utf8"),
    ],
)
def test_bad_input_is_one_line_naming_the_field(stdin: str | bytes, path: str | None) -> None:
    assert_rejected(invoke(["-"], stdin=stdin), path)


def test_line_breaks_and_lone_surrogates_in_keys_stay_on_one_line() -> None:
    line = assert_rejected(invoke(["-"], stdin=_doc('"1"').replace('"case"', '"x\\u2028y\\n\\ud800": 1, "case"')), None)
    assert line.startswith("error: cases[0].x\\u2028y\\u000a\\ud800: unknown field"), line


def test_a_case_id_with_a_lone_surrogate_is_refused() -> None:
    assert_rejected(invoke(["-"], stdin=_doc('"1"').replace('"C1"', '"\\udc00"')), "cases[0].case")


def test_an_unreadable_file(tmp_path: Path) -> None:
    line = assert_rejected(invoke([str(tmp_path / "missing.json")]), None)
    assert "missing.json" in line
    assert_rejected(invoke([str(tmp_path)]), None)  # a directory


def test_no_argument_is_a_usage_error() -> None:
    result = invoke([])
    assert result.exit_code == 2
    assert result.stdout == ""
