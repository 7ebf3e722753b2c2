"""``tandem calc premium FILE|-`` as a real process: every worked case gives its expected document, and
every bad input exits 2 with one line on stderr naming the field, nothing on stdout, no traceback."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.helpers import TANDEM, assert_rejected

from .data import Case, load, params

REPO = Path(__file__).resolve().parents[2]


def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [str(TANDEM), "calc", "premium", *args], input=stdin, capture_output=True, timeout=120, check=False
    )


@pytest.mark.parametrize("case", params("cases"))
def test_worked_case_from_stdin(case: Case) -> None:
    proc = run("-", stdin=case.input_text.encode("utf-8"))
    assert proc.returncode == 0, proc.stderr.decode("utf-8")
    assert proc.stderr == b""
    assert json.loads(proc.stdout.decode("utf-8")) == case.expected


def test_worked_case_from_a_file(tmp_path: Path) -> None:
    case = next(c for c in load("cases") if "RP-" in c.input_text)
    path = tmp_path / "premium.json"
    path.write_text(case.input_text, encoding="utf-8")
    proc = run(str(path))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == case.expected
    assert proc.stdout.startswith(b'{\n  "currency": ')  # two-space indentation, like calc payable


@pytest.mark.parametrize("case", params("invalid"))
def test_invalid_input_exits_2_naming_the_field(case: Case) -> None:
    assert_rejected(run("-", stdin=case.input_text.encode("utf-8")), case.path)


def test_invalid_file_exits_2_naming_the_field(tmp_path: Path) -> None:
    case = next(c for c in load("invalid") if c.path and "[" in c.path)
    path = tmp_path / "bad.json"
    path.write_text(case.input_text, encoding="utf-8")
    assert_rejected(run(str(path)), case.path)


BASE = {
    "currency": "CNY",
    "period": {"start": "2027-01-01", "end": "2027-12-31"},
    "sections": [{"code": "building", "sum_insured": "__SI__", "rate_permille": "0.85"}],
}


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("1E+999999999", "too large"),
        ("NaN", "not NaN"),
        ('"-5"', "must not be negative"),
        ("[1]", "must be a decimal number"),
    ],
)
def test_absurd_sum_insured(token: str, message: str) -> None:
    text = json.dumps(BASE).replace('"__SI__"', token)
    line = assert_rejected(run("-", stdin=text.encode("utf-8")), "sections[0].sum_insured")
    assert message in line


def test_chinese_codes_are_written_as_utf8() -> None:
    text = json.dumps(BASE, ensure_ascii=False).replace('"__SI__"', '"1000000"').replace("building", "厂房")
    proc = run("-", stdin=text.encode("utf-8"))
    assert proc.returncode == 0, proc.stderr
    assert '"code": "厂房"' in proc.stdout.decode("utf-8")


@pytest.mark.parametrize("stdin", [b"not json", b"\xff\xfe\x00", b"[" * 100_000])
def test_unusable_documents(stdin: bytes) -> None:
    assert_rejected(run("-", stdin=stdin), None)


def test_unreadable_files(tmp_path: Path) -> None:
    assert "missing.json" in assert_rejected(run(str(tmp_path / "missing.json")), None)
    assert_rejected(run(str(tmp_path)), None)


def test_listed_in_the_calc_group() -> None:
    proc = subprocess.run([str(TANDEM), "calc", "--help"], capture_output=True, text=True, check=False)
    assert proc.returncode == 0 and "premium" in proc.stdout and "payable" in proc.stdout
