"""``tandem calc fee FILE|-`` as a real process: a worked example gives its document, and every bad
input exits 2 with one line on stderr naming the field, nothing on stdout, no traceback."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.helpers import TANDEM
from tests.helpers import assert_rejected as rejected

from .data import document

# the scale example of test_engine: fee 18074.07, expenses 5000.00, VAT 1384.44, total 24458.51
SCALE_DOC = document(
    "scale",
    expenses={"policy": "actual", "cap": "5000"},
    work={"assessed_loss": "2345678.91", "expenses_incurred": "6200.50"},
)


def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [str(TANDEM), "calc", "fee", *args], input=stdin, capture_output=True, timeout=120, check=False
    )


def test_worked_example_from_stdin() -> None:
    proc = run("-", stdin=json.dumps(SCALE_DOC).encode("utf-8"))
    assert proc.returncode == 0, proc.stderr.decode("utf-8")
    assert proc.stderr == b""
    out = json.loads(proc.stdout)
    assert (out["fee"], out["expenses"], out["vat"], out["total"], out["due_date"]) == (
        "18074.07",
        "5000.00",
        "1384.44",
        "24458.51",
        "2027-04-14",
    )
    assert [s["code"] for s in out["steps"]][:3] == ["fee.scale.tier", "fee.scale.tier", "fee.scale"]


def test_worked_example_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "fee.json"
    path.write_text(json.dumps(document("fixed")), encoding="utf-8")
    proc = run(str(path))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["total"] == "8480.00"
    assert proc.stdout.startswith(b'{\n  "currency": "CNY"')


@pytest.mark.parametrize(
    ("doc", "field", "words"),
    [
        (document("rate", rate="15"), "terms.rate", "between 0 and 1"),
        (document("fixed", kind="claim", payer="insured"), "terms.payer", "must be insurer"),
        (document(scale=[{"up_to": "5", "rate": "0.1"}]), "terms.scale[0].up_to", "last tier"),
        (document(vat_rate="6"), "terms.vat_rate", "0.13"),
        (document(payment_days=10**9), "terms.payment_days", "at most 365"),
    ],
)
def test_bad_terms_exit_2_naming_the_field(doc: dict[str, object], field: str, words: str) -> None:
    assert words in rejected(run("-", stdin=json.dumps(doc).encode("utf-8")), field)


@pytest.mark.parametrize(
    ("token", "words"),
    [("1E+999999999", "too large"), ("NaN", "not NaN"), ('"-5"', "must not be negative"), ("{}", "decimal number")],
)
def test_absurd_assessed_loss(token: str, words: str) -> None:
    text = json.dumps(document("rate", work={"assessed_loss": "__LOSS__"})).replace('"__LOSS__"', token)
    assert words in rejected(run("-", stdin=text.encode("utf-8")), "work.assessed_loss")


def test_invalid_file_exits_2_naming_the_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document("hourly", work={})), encoding="utf-8")
    rejected(run(str(path)), "work.hours")


@pytest.mark.parametrize("stdin", [b"not json", b"\xff\xfe\x00", b"[" * 100_000, b"[]"])
def test_unusable_documents(stdin: bytes) -> None:
    rejected(run("-", stdin=stdin), None)


def test_unreadable_files(tmp_path: Path) -> None:
    assert "missing.json" in rejected(run(str(tmp_path / "missing.json")), None)
    rejected(run(str(tmp_path)), None)


def test_listed_in_the_calc_group() -> None:
    proc = subprocess.run([str(TANDEM), "calc", "--help"], capture_output=True, text=True, check=False)
    assert proc.returncode == 0 and "fee" in proc.stdout and "premium" in proc.stdout
