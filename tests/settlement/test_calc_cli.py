"""``tandem calc payable FILE|-``: JSON in, JSON out; bad input is one line on stderr and exit 2."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from tandem.settlement.cli import calc_app

from .data import Record, assert_matches_expected, load_records, params

REPO = Path(__file__).resolve().parents[2]
PYTHON = REPO / ".venv" / "bin" / "python"
if not PYTHON.exists():  # a clone with another layout: the interpreter running the tests
    PYTHON = Path(sys.executable)
LAUNCH = "from tandem.settlement.cli import calc_app; calc_app()"


def make_root() -> typer.Typer:
    root = typer.Typer()

    @root.callback()
    def _root() -> None:
        """Test root (the real one lives in tandem.cli)."""

    root.add_typer(calc_app, name="calc")
    return root


ROOT = make_root()


def invoke(args: list[str], stdin: str | bytes | None = None) -> Any:
    return CliRunner().invoke(ROOT, ["calc", "payable", *args], input=stdin)


def assert_rejected(result: Any, field: str | None) -> None:
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    if field is not None:
        assert field in lines[0]
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


# --------------------------------------------------------------------------------------------------
# in-process (CliRunner), mounted the way tandem.cli mounts it
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("record", params("cases") + params("textbook"))
def test_valid_input_from_stdin(record: Record) -> None:
    result = invoke(["-"], stdin=record.input_text)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    assert_matches_expected(json.loads(result.stdout), record.data["expected"])


def test_valid_input_from_a_file(tmp_path: Path) -> None:
    record = load_records("cases")[0]
    path = tmp_path / "claim.json"
    path.write_text(record.input_text, encoding="utf-8")
    result = invoke([str(path)])
    assert result.exit_code == 0, result.stderr
    assert_matches_expected(json.loads(result.stdout), record.data["expected"])
    # the output format of the contract: two-space indentation, Chinese as is
    assert result.stdout.startswith('{\n  "currency": ')


def test_output_keeps_chinese_as_is() -> None:
    text = '{"currency": "CNY", "sections": [{"code": "厂房", "items": [{"loss": "1"}]}]}'
    result = invoke(["-"], stdin=text.encode("utf-8"))
    assert result.exit_code == 0
    assert '"code": "厂房"' in result.stdout


@pytest.mark.parametrize("record", params("invalid"))
def test_invalid_input_exit_2_one_line(record: Record, tmp_path: Path) -> None:
    assert_rejected(invoke(["-"], stdin=record.input_text), record.data["field"])
    path = tmp_path / "bad.json"
    path.write_text(record.input_text, encoding="utf-8")
    assert_rejected(invoke([str(path)]), record.data["field"])


def test_error_line_format() -> None:
    text = json.dumps(
        {
            "currency": "CNY",
            "sections": [{"code": "a", "items": [{"loss": "1"}, {"loss": "2"}, {"loss": "-3"}]}],
        }
    )
    result = invoke(["-"], stdin=text)
    assert result.stderr == "error: sections[0].items[2].loss: must not be negative\n"


@pytest.mark.parametrize(
    ("stdin", "field"),
    [
        ("", None),
        ("not json", None),
        (b"\xff\xfe\x00", None),
        ("[]", None),
        (
            '{"currency": "CNY", "sections": [{"code": "a", "items": [{"loss": NaN}]}]}',
            "sections[0].items[0].loss",
        ),
        (
            '{"currency": "CNY", "sections": [{"code": "a", "items": [{"loss": "Infinity"}]}]}',
            "sections[0].items[0].loss",
        ),
        (
            '{"currency": "CNY", "sections": [{"code": "a", "items": [{"loss": 1, "残值": 1}]}]}',
            "sections[0].items[0].残值",
        ),
        ("[" * 50_000, None),
        # Exponents beyond the decimal context (Overflow) or far below a fen name the field too.
        (
            '{"currency": "CNY", "sections": [{"code": "a", "items": [{"loss": 1E+999999999}]}]}',
            "sections[0].items[0].loss: is too large",
        ),
        (
            '{"currency": "CNY", "sections": [{"code": "a", "items": [{"loss": "1E+999999999"}]}]}',
            "sections[0].items[0].loss: is too large",
        ),
        (
            '{"currency": "CNY", "sections": [{"code": "a", "sum_insured": -1E+999999999, "items": [{"loss": 1}]}]}',
            "sections[0].sum_insured",
        ),
        (
            '{"currency": "CNY", "sections": [{"code": "a", "items": [{"loss": 1E-999999999}]}]}',
            "sections[0].items[0].loss",
        ),
    ],
)
def test_other_bad_input(stdin: str | bytes, field: str | None) -> None:
    assert_rejected(invoke(["-"], stdin=stdin), field)


def test_unreadable_files(tmp_path: Path) -> None:
    assert_rejected(invoke([str(tmp_path / "missing.json")]), "missing.json")
    assert_rejected(invoke([str(tmp_path)]), None)


# --------------------------------------------------------------------------------------------------
# a real process: exactly one stderr line, no traceback, nothing on stdout
# --------------------------------------------------------------------------------------------------


def has_bare_number(value: object) -> bool:
    if isinstance(value, dict):
        return any(has_bare_number(v) for v in value.values())
    if isinstance(value, list):
        return any(has_bare_number(v) for v in value)
    return isinstance(value, Decimal)


def run_process(args: list[str], stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [str(PYTHON), "-c", LAUNCH, "payable", *args],
        input=stdin,
        capture_output=True,
        timeout=60,
        check=False,
    )


def test_process_rejects_bad_input_with_one_line(tmp_path: Path) -> None:
    record = next(r for r in load_records("invalid") if r.data["field"])
    path = tmp_path / "bad.json"
    path.write_text(record.input_text, encoding="utf-8")
    proc = run_process([str(path)])
    assert proc.returncode == 2
    assert proc.stdout == b""
    stderr = proc.stderr.decode("utf-8")
    assert stderr.count("\n") == 1 and stderr.endswith("\n"), stderr
    assert stderr.startswith(f"error: {record.data['field']}: ")
    assert "Traceback" not in stderr


def test_process_rejects_unparseable_stdin_and_missing_file(tmp_path: Path) -> None:
    record = next(r for r in load_records("invalid") if "raw" in r.data)
    for args, stdin in (
        (["-"], record.input_text.encode("utf-8")),
        ([str(tmp_path / "nope.json")], None),
    ):
        proc = run_process(args, stdin)
        assert proc.returncode == 2
        assert proc.stdout == b""
        stderr = proc.stderr.decode("utf-8")
        assert len(stderr.splitlines()) == 1, stderr
        assert stderr.startswith("error: ")
        assert "Traceback" not in stderr


def test_process_prints_the_output_document() -> None:
    record = next(r for r in load_records("cases") if has_bare_number(r.data["input"]))
    proc = run_process(["-"], record.input_text.encode("utf-8"))
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == b""
    assert_matches_expected(json.loads(proc.stdout.decode("utf-8")), record.data["expected"])
