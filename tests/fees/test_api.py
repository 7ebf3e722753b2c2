"""``POST /api/v1/calc/fee``: any logged-in user gets the engine's output document; bad input is a 422
naming the field; the answer is exactly what ``tandem calc fee`` prints for the same input."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

from tandem.fees.cli import run_fee

from .data import document

if TYPE_CHECKING:
    from tests.conftest import Env

URL = "/api/v1/calc/fee"
HEADERS = {"Content-Type": "application/json"}


def post(env: Env, doc: dict[str, Any] | str, user: str = "broker") -> Any:
    body = doc if isinstance(doc, str) else json.dumps(doc)
    return env.client(user).post(URL, content=body.encode("utf-8"), headers=HEADERS)


def test_worked_example_and_same_output_as_the_command_line(env: Env) -> None:
    # rate 0.015 of 1234567.89 = 18518.51835 → 18518.52; VAT 1111.11; total 19629.63
    doc = document("rate", work={"assessed_loss": "1234567.89"})
    r = post(env, doc, "insured1")
    assert r.status_code == 200, r.text
    out = r.json()
    assert (out["fee"], out["vat"], out["total"], out["due_date"]) == ("18518.52", "1111.11", "19629.63", "2027-04-14")
    assert out["steps"][0] == {
        "code": "fee.rate",
        "in": {"assessed_loss": "1234567.89", "rate": "0.015"},
        "out": {"fee_exact": "18518.51835"},
    }
    path = env.settings.var_dir / "fee.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    code, text = run_fee(str(path))
    assert code == 0 and out == json.loads(text)


@pytest.mark.parametrize(
    ("doc", "field"),
    [
        (document("fixed", kind="claim", payer="broker"), "terms.payer"),
        (document(scale=[{"up_to": None, "rate": "2"}]), "terms.scale[0].rate"),
        (document(minimum_fee="9", maximum_fee="8"), "terms.maximum_fee"),
        (document("hourly", work={"hours": "1.001"}), "work.hours"),
        (document(invoice_date="2027-13-01"), "invoice_date"),
        ("not json", "body"),
        ("[]", "body"),
    ],
)
def test_bad_input_is_422_naming_the_field(env: Env, doc: dict[str, Any] | str, field: str) -> None:
    r = post(env, doc)
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["code"] == "invalid_input"
    assert list(error["fields"]) == [field]


def test_absurd_number_is_422_naming_the_field(env: Env) -> None:
    text = json.dumps(document("rate")).replace('"2345678.91"', "1E+999999999")
    r = post(env, text)
    assert r.status_code == 422
    assert r.json()["error"]["fields"] == {"work.assessed_loss": "is too large"}


def test_needs_a_login(env: Env) -> None:
    r = env.client().post(URL, content=json.dumps(document()), headers=HEADERS)
    assert r.status_code == 401
