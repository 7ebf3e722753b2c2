"""``POST /api/v1/calc/premium``: any logged-in user gets the engine's output document; bad input is a
422 naming the field; the answer is exactly what ``tandem calc premium`` prints for the same input."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from tandem.premium.cli import run_premium

from .data import load

if TYPE_CHECKING:
    from tests.conftest import Env

URL = "/api/v1/calc/premium"
HEADERS = {"Content-Type": "application/json"}


def test_every_worked_case(env: Env) -> None:
    client = env.client("insured1")
    for case in load("cases"):
        r = client.post(URL, content=case.input_text.encode("utf-8"), headers=HEADERS)
        assert r.status_code == 200, (case.id, r.text)
        assert r.json() == case.expected, case.id


def test_every_invalid_input_is_422_naming_the_field(env: Env) -> None:
    client = env.client("broker")
    for case in load("invalid"):
        r = client.post(URL, content=case.input_text.encode("utf-8"), headers=HEADERS)
        assert r.status_code == 422, (case.id, r.text)
        error = r.json()["error"]
        assert error["code"] == "invalid_input"
        assert list(error["fields"]) == [case.path or "body"], case.id


def test_absurd_number_is_422_naming_the_field(env: Env) -> None:
    text = load("cases")[0].input_text.replace('"8000000.00"', "1E+999999999", 1)
    r = env.client("broker").post(URL, content=text, headers=HEADERS)
    assert r.status_code == 422
    assert list(r.json()["error"]["fields"]) == ["sections[0].sum_insured"]


def test_same_output_as_the_command_line(env: Env) -> None:
    case = next(c for c in load("cases") if "termination" in c.input_text and "RP-" in c.input_text)
    path = env.settings.var_dir / "premium.json"
    path.write_text(case.input_text, encoding="utf-8")
    code, text = run_premium(str(path))
    assert code == 0
    r = env.client("broker").post(URL, content=case.input_text, headers=HEADERS)
    assert r.json() == json.loads(text)


def test_needs_a_login(env: Env) -> None:
    r = env.client().post(URL, content=load("cases")[0].input_text, headers=HEADERS)
    assert r.status_code == 401
