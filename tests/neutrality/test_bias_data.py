"""Every case of tests/data/neutrality passes, through the engine and through ``tandem neutrality bias``
run as a process (stdin and a file); every invalid input exits 2 with one line naming the field."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tandem.neutrality.bias import BiasInputError, analyse, loads_json, parse_input, result_to_json, run

from . import records
from .records import Record, assert_matches, load, params

REPO = Path(__file__).resolve().parents[2]
TANDEM = REPO / ".venv" / "bin" / "tandem"
if not TANDEM.exists():  # a clone with another layout: the entry point next to the running interpreter
    TANDEM = Path(sys.executable).with_name("tandem")


def tandem(args: list[str], stdin: bytes | None = None, **env: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [str(TANDEM), "neutrality", "bias", *args],
        input=stdin,
        capture_output=True,
        timeout=120,
        check=False,
        env={**os.environ, **env},
    )


def assert_rejected(proc: subprocess.CompletedProcess[bytes], path: str | None) -> None:
    records.assert_rejected(proc.returncode, proc.stdout, proc.stderr.decode("utf-8"), path)


def test_the_data_set_is_all_there() -> None:
    assert len(load("cases")) == 15
    assert len(load("invalid")) == 15


@pytest.mark.parametrize("record", params("cases"))
def test_engine_matches_expected(record: Record) -> None:
    assert_matches(run(record.input_text), record.expected)


def test_engine_reproduces_the_worked_example_to_the_letter() -> None:
    record = load("cases")[0]
    assert record.id == "bias-01-doc-example"
    assert run(record.input_text) == record.expected


@pytest.mark.parametrize("record", params("invalid"))
def test_engine_rejects_naming_the_field(record: Record) -> None:
    with pytest.raises(BiasInputError) as caught:
        result_to_json(analyse(parse_input(loads_json(record.input_text))))
    if record.data["path"] is not None:
        assert caught.value.path == record.data["path"]


@pytest.mark.parametrize("record", params("cases"))
def test_cli_process_from_stdin(record: Record) -> None:
    proc = tandem(["-"], stdin=record.input_text.encode("utf-8"))
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stderr == b""
    assert_matches(json.loads(proc.stdout.decode("utf-8")), record.expected)


def test_cli_process_from_a_file(tmp_path: Path) -> None:
    record = next(r for r in load("cases") if r.id.startswith("bias-14"))  # Chinese names, code-point order
    path = tmp_path / "portfolio.json"
    path.write_text(record.input_text, encoding="utf-8")
    proc = tandem([str(path)], PYTHONIOENCODING="latin-1")  # UTF-8 out whatever the locale
    assert proc.returncode == 0, proc.stderr.decode()
    out = proc.stdout.decode("utf-8")
    assert_matches(json.loads(out), record.expected)
    assert "公估师-8" in out  # written as is, not \u-escaped
    assert out.startswith('{\n  "adjusters": [\n')


@pytest.mark.parametrize("record", params("invalid"))
def test_cli_process_rejects_invalid_input(record: Record) -> None:
    assert_rejected(tandem(["-"], stdin=record.input_text.encode("utf-8")), record.data["path"])


@pytest.mark.parametrize(
    ("stdin", "path"),
    [
        pytest.param(
            b'{"cases": [{"case": "C", "adjuster": "A", "firm": "F", "side": "insured", '
            b'"report_amount": 1E+999999999, "settled_amount": "1"}]}',
            "cases[0].report_amount",
            id="1E+999999999",
        ),
        pytest.param(
            b'{"cases": [{"case": "C", "adjuster": "A", "firm": "F", "side": "insured", '
            b'"report_amount": "1", "settled_amount": NaN}]}',
            "cases[0].settled_amount",
            id="bare-NaN",
        ),
        pytest.param(b"\xff\xfe{}", None, id="not-utf8"),
    ],
)
def test_cli_process_rejects_absurd_input(stdin: bytes, path: str | None) -> None:
    assert_rejected(tandem(["-"], stdin=stdin), path)


def test_cli_process_rejects_a_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.json"
    proc = tandem([str(missing)])
    assert_rejected(proc, None)
    assert f"cannot read {missing}" in proc.stderr.decode("utf-8")
