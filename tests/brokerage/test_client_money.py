"""The broker's client money ledger (客户资金) and a placed policy's business file (业务档案) over the API:
receipts and pay-outs exact to the fen, partial pay-outs never above what a receipt holds, reversals that
net to zero (no update path), open items aged on a moved clock, statements per client and per insurer,
the insurer's claim payments offered as expected receipts, access, and 422s naming the field."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from tandem.access.models import User
from tandem.audit.models import AuditEvent
from tandem.brokerage import ledger
from tandem.brokerage.models import ClientMoneyEntry
from tests.helpers import POLICY1, _ok, _paid, _to_reported, another_broker, one, policy_id

API = "/api/v1/client-money"


def _receipt(env, amount: str = "12345.67", day: str = "2026-11-20", **kw) -> dict:
    body = {"kind": "premium_received", "amount": amount, "value_date": day, "reference": "BK-1", **kw}
    body.setdefault("policy_id", policy_id(env, POLICY1))
    return _ok(env.client("broker").post(API, json=body), 201)


def _payout(env, receipt: dict, amount: str, day: str = "2026-11-24", kind: str = "premium_remitted"):
    body = {"kind": kind, "amount": amount, "value_date": day, "reference": "BK-2", "receipt_id": receipt["id"]}
    return env.client("broker").post(API, json=body)


def _held(env, entry_id: str) -> Decimal:
    rows = _ok(env.client("broker").get(API))
    return Decimal(next(r for r in rows if r["id"] == entry_id)["held"])


def test_premium_received_and_remitted_in_parts_then_a_reversal_nets_to_zero(env):
    broker = env.client("broker")
    rec = _receipt(env)
    assert rec["kind"] == "premium_received" and rec["amount"] == "12345.67" and rec["currency"] == "CNY"
    assert rec["counterpart_id"] == rec["client_id"]  # premium comes from the insured
    assert Decimal(rec["held"]) == Decimal("12345.67")

    part = _ok(_payout(env, rec, "10000.01"), 201)
    assert part["counterpart_id"] == part["insurer_id"] == rec["insurer_id"] and part["held"] is None
    assert _held(env, rec["id"]) == Decimal("2345.66")
    over = _payout(env, rec, "2345.67")
    assert over.status_code == 422 and list(over.json()["error"]["fields"]) == ["amount"]
    _ok(_payout(env, rec, "2345.66"), 201)
    assert _held(env, rec["id"]) == Decimal("0.00")
    assert _ok(broker.get(f"{API}/open-items")) == []
    assert _ok(broker.get(API, params={"open_only": "true"})) == []

    by_client = _ok(broker.get(f"{API}/statement", params={"by": "client"}))["rows"]
    assert [(r["received"], r["passed_on"], r["balance"], r["open_items"]) for r in by_client] == [
        ("12345.67", "12345.67", "0.00", 0)
    ]
    # a mistaken pay-out is corrected by a reversal: the money is held again, to the fen
    wrong = _ok(_payout(env, _receipt(env, "500.00"), "200.00"), 201)
    rev = _ok(broker.post(f"{API}/reversals", json={"entry_id": wrong["id"], "reason": "wrong account"}), 201)
    assert rev["amount"] == "-200.00" and rev["reverses_id"] == wrong["id"] and rev["reason"] == "wrong account"
    assert _held(env, wrong["receipt_id"]) == Decimal("500.00")
    again = broker.post(f"{API}/reversals", json={"entry_id": wrong["id"], "reason": "twice"})
    assert again.status_code == 409
    assert broker.post(f"{API}/reversals", json={"entry_id": rev["id"], "reason": "undo"}).status_code == 409
    everything = _ok(broker.get(API))
    assert _ok(broker.get(API, params={"insurer": rec["insurer_id"], "client": rec["client_id"]})) == everything
    assert _ok(broker.get(API, params={"client": str(uuid.uuid4())})) == []
    assert [e["id"] for e in _ok(broker.get(API, params={"open_only": "true"}))] == [wrong["receipt_id"]]
    by_insurer = _ok(broker.get(f"{API}/statement", params={"by": "insurer"}))["rows"]
    assert [(r["balance"], r["open_items"]) for r in by_insurer] == [("500.00", 1)]
    # every entry wrote an audit event on the broker's chain
    with env.session() as s:
        n = s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.entity_type == "client_money_entry"))
        assert n == s.scalar(select(func.count()).select_from(ClientMoneyEntry)) == 6
    csv = broker.get(f"{API}/statement.csv", params={"by": "insurer"})
    assert csv.status_code == 200 and "500.00" in csv.content.decode("utf-8-sig")


def test_a_receipt_with_pay_outs_standing_is_not_reversed(env):
    rec = _receipt(env, "800.00")
    _ok(_payout(env, rec, "300.00"), 201)
    r = env.client("broker").post(f"{API}/reversals", json={"entry_id": rec["id"], "reason": "x"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "client_money.payouts_standing"


def test_entries_are_never_updated_in_place(env):
    rec = _receipt(env)
    broker = env.client("broker")
    for method in ("PUT", "PATCH", "DELETE"):
        assert broker.request(method, f"{API}/{rec['id']}", json={"amount": "1.00"}).status_code in (404, 405)
    with pytest.raises(DBAPIError), env.engine.begin() as c:
        c.execute(text("UPDATE client_money_entry SET amount = 1"))
    with pytest.raises(DBAPIError), env.engine.begin() as c:
        c.execute(text("DELETE FROM client_money_entry"))
    assert _held(env, rec["id"]) == Decimal("12345.67")


def test_the_insurers_claim_payment_is_expected_then_booked_and_passed_on(env):
    cid = _to_reported(env)
    due = Decimal(_paid(env, cid))
    broker = env.client("broker")
    expected = [x for x in _ok(broker.get(f"{API}/expected")) if x["kind"] == "claim_received"]
    assert [(x["claim_id"], Decimal(x["amount"])) for x in expected] == [(cid, due)]
    pay_id = expected[0]["payment_id"]
    body = {
        "kind": "claim_received",
        "amount": f"{due:.2f}",
        "value_date": expected[0]["due"],
        "reference": "CLM-1",
        "claim_id": cid,
        "payment_id": pay_id,
    }
    # Booked in two parts: what is left stays expected, and no receipt books more than is left.
    first = _ok(broker.post(API, json=body | {"amount": f"{due - 100:.2f}"}), 201)
    left = [x for x in _ok(broker.get(f"{API}/expected")) if x["kind"] == "claim_received"]
    assert [Decimal(x["amount"]) for x in left] == [Decimal("100.00")]
    over = broker.post(API, json=body | {"amount": "100.01", "reference": "CLM-2"})
    assert over.status_code == 422 and list(over.json()["error"]["fields"]) == ["amount"]
    _ok(broker.post(f"{API}/reversals", json={"entry_id": first["id"], "reason": "录错金额"}), 201)
    rec = _ok(broker.post(API, json=body), 201)
    assert rec["counterpart_id"] == rec["insurer_id"] and rec["claim_id"] == cid
    assert not [x for x in _ok(broker.get(f"{API}/expected")) if x["kind"] == "claim_received"]
    twice = broker.post(API, json=body)
    assert twice.status_code == 422 and "payment_id" in twice.json()["error"]["fields"]
    wrong_kind = _payout(env, rec, "1.00", day=expected[0]["due"], kind="premium_remitted")
    assert wrong_kind.status_code == 422 and "receipt_id" in wrong_kind.json()["error"]["fields"]
    paid = _ok(_payout(env, rec, f"{due:.2f}", day=expected[0]["due"], kind="claim_paid"), 201)
    assert paid["counterpart_id"] == paid["client_id"] and _held(env, rec["id"]) == 0


def test_bad_input_is_a_422_naming_the_field_and_writes_nothing(env):
    broker = env.client("broker")
    pid = policy_id(env, POLICY1)
    base = {
        "kind": "premium_received",
        "amount": "10.00",
        "value_date": "2026-11-20",
        "reference": "R",
        "policy_id": pid,
    }
    cases = {
        "amount": {**base, "amount": "0"},
        "value_date": {**base, "value_date": "2026-11-26"},  # tomorrow in Shanghai
        "policy_id": {**base, "policy_id": str(uuid.uuid4())},
        "claim_id": {**base, "kind": "claim_received", "claim_id": str(uuid.uuid4())},
        "receipt_id": {**base, "kind": "premium_remitted", "receipt_id": str(uuid.uuid4())},
        "kind": {**base, "kind": "gift"},
        "reference": {**base, "reference": ""},
    }
    for field, body in cases.items():
        r = broker.post(API, json=body)
        assert r.status_code == 422, (field, r.text)
        assert field in r.json()["error"]["fields"], (field, r.json())
    rec = _receipt(env, "10.00")
    early = _payout(env, rec, "5.00", day="2026-11-19")
    assert early.status_code == 422 and list(early.json()["error"]["fields"]) == ["value_date"]
    assert len(_ok(broker.get(API))) == 1


def test_open_items_age_on_a_moved_clock_and_are_flagged_over_the_hold_limit(env):
    today = "2026-11-25"
    rec = _receipt(env, "100.00", day=today)
    older = _receipt(env, "50.00", day="2026-11-01")

    def items() -> list[tuple[str, int, str, bool]]:
        env._clients.clear()  # tokens lapse with a moved clock
        got = _ok(env.client("broker").get(f"{API}/open-items"))
        return [(i["entry"]["id"], i["age_days"], i["band"], i["over_limit"]) for i in got]

    hold = env.settings.client_money_hold_days
    assert items() == [(older["id"], 24, "8-30", 24 > hold), (rec["id"], 0, "0-7", False)]  # oldest first
    env.clock.advance(days=hold + 1)
    assert items()[1] == (rec["id"], hold + 1, ledger.band(hold + 1), True)
    env.clock.advance(days=100)
    assert [i[2] for i in items()] == ["90+", "90+"]
    row = _ok(env.client("broker").get(f"{API}/statement"))["rows"][0]
    assert row["open_items"] == 2 and row["oldest_days"] == 24 + hold + 1 + 100 and row["balance"] == "150.00"


def test_only_the_brokers_own_staff_see_or_touch_its_client_money(env):
    rec = _receipt(env)
    another_broker(env)
    other = env.client("broker_other")
    assert _ok(other.get(API)) == [] and _ok(other.get(f"{API}/open-items")) == []
    assert other.post(f"{API}/reversals", json={"entry_id": rec["id"], "reason": "x"}).status_code == 404
    assert _payout(env, rec, "1.00").status_code == 201  # the broker itself may
    mine = {"kind": "premium_remitted", "amount": "1.00", "value_date": "2026-11-24", "reference": "X"}
    r = other.post(API, json={**mine, "receipt_id": rec["id"]})
    assert r.status_code == 422 and "receipt_id" in r.json()["error"]["fields"]  # not theirs == none
    r = other.post(API, json={**mine, "kind": "premium_received", "policy_id": policy_id(env, POLICY1)})
    assert r.status_code == 422 and "policy_id" in r.json()["error"]["fields"]
    for outsider in ("insurer1", "insured1", "adjuster1", "regulator"):
        c = env.client(outsider)
        for path in ("", "/open-items", "/statement", "/expected"):
            assert c.get(f"{API}{path}").status_code == 403, (outsider, path)
        assert c.post(f"{API}/reversals", json={"entry_id": rec["id"], "reason": "x"}).status_code == 403
    # the broker's risk evaluator reads the ledger but records nothing
    risk = env.client("risk")
    assert len(_ok(risk.get(API))) == 2
    assert risk.post(f"{API}/reversals", json={"entry_id": rec["id"], "reason": "x"}).status_code == 403


FILE = {
    "commission_rate": "0.15",
    "commission_amount": "1851.85",
    "commission_collection": "deducted",
    "remittance": "net",
    "remittance_days": 10,
}


def test_the_business_file_of_a_policy(env):
    broker = env.client("broker")
    pid = policy_id(env, POLICY1)
    url = f"/api/v1/policies/{pid}/business-file"
    empty = _ok(broker.get(url))
    assert empty["missing"] == [*FILE, "served_by"]
    with env.session() as s:
        served = str(s.scalar(select(User.id).where(User.username == "broker2")))
        stranger = str(s.scalar(select(User.id).where(User.username == "insurer1")))
    bad = broker.put(url, json={**FILE, "commission_collection": "invoiced", "served_by": stranger})
    assert bad.status_code == 422
    assert set(bad.json()["error"]["fields"]) == {"remittance", "served_by"}
    schema = broker.put(url, json={**FILE, "commission_rate": "1.5", "served_by": served})
    assert schema.status_code == 422 and "commission_rate" in str(schema.json()["error"]["fields"])
    assert _ok(broker.get(url))["missing"]  # nothing written
    saved = _ok(broker.put(url, json={**FILE, "served_by": served}))
    assert saved["missing"] == [] and saved["commission_amount"] == "1851.85" and saved["served_by"] == served
    assert env.client("risk").put(url, json={**FILE, "served_by": served}).status_code == 403
    assert env.client("regulator").put(url, json={**FILE, "served_by": served}).status_code in (403, 404)
    for outsider in ("insured1", "insurer1", "insurer2", "adjuster3"):
        assert env.client(outsider).get(url).status_code == 404, outsider
    saves = select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "policy.business_file_saved")
    assert one(env, saves) == 1


# ---- the arithmetic, over any ledger -----------------------------------------------------------------

FEN = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("9999999.99"), places=2)


def _e(kind: str, amount: Decimal, receipt=None, reverses=None) -> ClientMoneyEntry:
    return ClientMoneyEntry(
        id=uuid.uuid4(),
        kind=kind,
        amount=amount,
        currency="CNY",
        value_date=dt.date(2026, 11, 1),
        client_id=uuid.UUID(int=1),
        insurer_id=uuid.UUID(int=2),
        receipt_id=receipt,
        reverses_id=reverses,
        recorded_at=dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
    )


@settings(max_examples=60, deadline=None)
@given(
    receipts=st.lists(st.tuples(FEN, st.lists(st.integers(1, 100), max_size=4), st.booleans()), min_size=1, max_size=8)
)
def test_the_balance_is_the_sum_of_the_entries_and_a_reversal_nets_to_zero(receipts) -> None:
    rows: list[ClientMoneyEntry] = []
    for amount, shares, undo_first in receipts:
        rec = _e("premium_received", amount)
        rows.append(rec)
        left = amount
        for share in shares:
            out = (left * share / 100).quantize(Decimal("0.01"))
            if out <= 0:
                continue
            pay = _e("premium_remitted", out, receipt=rec.id)
            rows.append(pay)
            left -= out
            if undo_first:
                rows.append(_e("premium_remitted", -out, receipt=rec.id, reverses=pay.id))
                left += out
                undo_first = False
        assert ledger.held_per_receipt(rows)[rec.id] == left
    held = ledger.held_per_receipt(rows)
    assert ledger.balance(rows) == sum(held.values())
    assert ledger.balance(rows) == sum(e.amount for e in rows if e.kind in ledger.RECEIPTS) - sum(
        e.amount for e in rows if e.kind in ledger.PAYOUTS
    )
    (row,) = ledger.statement(rows, "client", dt.date(2026, 11, 25))
    assert row.balance == ledger.balance(rows) and row.received - row.passed_on == row.balance
    assert row.open_items == sum(1 for v in held.values() if v > 0)
