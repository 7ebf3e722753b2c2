"""Payments (issue 11 item 3): only the insurer's claims handlers record them, never an underwriter; an
advance never takes the advances above the confirmed (later: the agreed) amount, and the final payment
is the agreed amount less advances — anything else is a 422 naming the field."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from tandem.claim.models import Payment
from tests.helpers import _ok, _to_reported


def _payments(env) -> int:
    with env.session() as s:
        return int(s.execute(select(func.count()).select_from(Payment)).scalar_one())


def _pay(env, user: str, cid: str, kind: str, amount: Decimal):
    return env.client(user).post(
        f"/api/v1/claims/{cid}/payments", json={"kind": kind, "amount": f"{amount:.2f}", "reference": "PAY-1"}
    )


def test_an_underwriter_records_no_payment(env):
    cid = _to_reported(env)
    case = _ok(env.client("risk").post(f"/api/v1/claims/{cid}/amount-confirmation"))
    assert _ok(env.client("underwriter1").get(f"/api/v1/claims/{cid}/case"))["claim"]["id"] == cid
    r = _pay(env, "underwriter1", cid, "advance", Decimal("1000"))
    assert r.status_code == 403, r.text[:300]
    _ok(env.client("broker").post(f"/api/v1/claims/{cid}/negotiation", json={"move": "propose"}))
    _ok(env.client("insurer1").post(f"/api/v1/claims/{cid}/negotiation", json={"move": "accept"}))
    due = Decimal(case["confirmation"]["result"]["due"])
    assert _pay(env, "underwriter1", cid, "final", due).status_code == 403
    assert _payments(env) == 0
    assert _pay(env, "insurer1", cid, "final", due).status_code == 200


def test_advances_stay_within_the_confirmed_then_the_agreed_amount(env):
    cid = _to_reported(env)
    case = _ok(env.client("risk").post(f"/api/v1/claims/{cid}/amount-confirmation"))
    confirmed = Decimal(case["confirmation"]["result"]["total_payable"])
    r = _pay(env, "insurer1", cid, "advance", confirmed + Decimal("0.01"))
    assert r.status_code == 422 and "amount" in r.json()["error"]["fields"], r.text[:300]
    _ok(_pay(env, "insurer1", cid, "advance", Decimal("100000")))
    r = _pay(env, "insurer1", cid, "advance", confirmed - Decimal("100000") + Decimal("0.01"))
    assert r.status_code == 422 and "amount" in r.json()["error"]["fields"], r.text[:300]
    assert _payments(env) == 1
    _ok(env.client("broker").post(f"/api/v1/claims/{cid}/negotiation", json={"move": "propose", "amount": "300000"}))
    _ok(env.client("insurer1").post(f"/api/v1/claims/{cid}/negotiation", json={"move": "accept"}))
    # Agreed at 300,000 with 100,000 advanced: another 200,000.01 in advance is above the agreed amount.
    r = _pay(env, "insurer1", cid, "advance", Decimal("200000.01"))
    assert r.status_code == 422 and "amount" in r.json()["error"]["fields"], r.text[:300]
    r = _pay(env, "insurer1", cid, "final", Decimal("200000.01"))
    assert r.status_code == 422 and "amount" in r.json()["error"]["fields"], r.text[:300]
    assert _payments(env) == 1
    assert _ok(_pay(env, "insurer1", cid, "final", Decimal("200000")))["claim"]["status"] == "paid"
