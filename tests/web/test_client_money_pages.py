"""The broker's client money page and a policy's business-file card: record a receipt (errors beside the
fields), pass part of it on, the open item with its age, the statements, a reversal with its reason; the
business file flagged as missing then saved; others are refused; zh-CN and en."""

from __future__ import annotations

from sqlalchemy import select

from tandem.access.models import User
from tests.helpers import POLICY1, logged_in, one, policy_id, post, text_of


def test_record_pass_on_and_reverse_on_the_page(env):
    broker = logged_in(env, "broker")
    pid = policy_id(env, POLICY1)
    page = broker.get("/client-money")
    assert page.status_code == 200 and "客户资金" in text_of(page)
    assert 'href="/client-money"' in page.text  # in the broker's navigation

    bad = post(
        broker, "/client-money", {"kind": "premium_received", "amount": "1.005", "value_date": "", "reference": ""}
    )
    assert bad.status_code == 422
    for field in ("money-amount", "money-date", "money-ref"):
        assert f'id="{field}-error"' in bad.text, field
    no_policy = post(
        broker,
        "/client-money",
        {"kind": "premium_received", "amount": "100.00", "value_date": "2026-11-20", "reference": "B1"},
    )
    assert no_policy.status_code == 422 and 'id="money-policy-error"' in no_policy.text
    assert "没有属于您的该保单。" in text_of(no_policy)

    receipt = {"kind": "premium_received", "amount": "12,345.67", "value_date": "2026-11-01", "reference": "B1"}
    r = post(broker, "/client-money", {**receipt, "policy_id": pid})
    assert r.status_code == 303, r.text
    shown = text_of(broker.get(r.headers["location"]))
    assert "已记录该笔款项。" in shown and "12,345.67" in shown

    api = env.client("broker")
    (item,) = api.get("/api/v1/client-money/open-items").json()
    entry = item["entry"]["id"]
    over = post(
        broker,
        "/client-money",
        {
            "kind": "premium_remitted",
            "amount": "20000",
            "value_date": "2026-11-20",
            "reference": "B2",
            "receipt_id": entry,
        },
    )
    assert over.status_code == 422 and 'id="money-amount-error"' in over.text and "12345.67" in text_of(over)
    part = post(
        broker,
        "/client-money",
        {
            "kind": "premium_remitted",
            "amount": "10000",
            "value_date": "2026-11-20",
            "reference": "B2",
            "receipt_id": entry,
        },
    )
    assert part.status_code == 303
    shown = text_of(broker.get("/client-money"))
    assert "2,345.67" in shown and "超过暂存期限" in shown  # held 24 days, over the 10-day default

    no_reason = post(broker, "/client-money/reversals", {"entry_id": entry, "reason": ""})
    assert no_reason.status_code == 422 and f'id="reason-{entry}-error"' in no_reason.text
    standing = post(broker, "/client-money/reversals", {"entry_id": entry, "reason": "错账"})
    assert standing.status_code == 409 and "请先冲销该笔收款的各笔付出。" in text_of(standing)

    en = logged_in(env, "broker", **{"Accept-Language": "en"})
    shown = text_of(en.get("/client-money?lang=en"))
    assert "Statement per insurer" in shown and "Client money" in shown
    csv = broker.get("/client-money/statement.csv?by=client")
    assert csv.status_code == 200 and "2345.67" in csv.content.decode("utf-8-sig")

    for outsider in ("insurer1", "insured1", "regulator"):
        assert logged_in(env, outsider).get("/client-money").status_code == 403, outsider
    regulator = logged_in(env, "regulator")
    assert (
        post(regulator, "/client-money", {**receipt, "policy_id": pid}).status_code == 403
    )  # supervision writes nothing
    assert post(regulator, "/client-money/reversals", {"entry_id": entry, "reason": "x"}).status_code == 403


def test_the_business_file_card_on_the_policy_page(env):
    broker = logged_in(env, "broker")
    pid = policy_id(env, POLICY1)
    page = text_of(broker.get(f"/policies/{pid}"))
    assert "业务档案不完整" in page
    staff = str(one(env, select(User.id).where(User.username == "broker2")))
    url = f"/policies/{pid}/business-file"
    good = {
        "commission_rate": "0.15",
        "commission_amount": "1851.85",
        "commission_collection": "deducted",
        "remittance": "net",
        "remittance_days": "10",
        "served_by": staff,
    }
    bad = post(broker, url, {**good, "commission_rate": "abc", "commission_amount": "", "remittance_days": "400"})
    for who in ("insurer1", "risk"):  # not a keeper of the file: refused before anything typed is judged
        assert post(logged_in(env, who), url, {**good, "commission_rate": "abc"}).status_code == 403, who
    assert bad.status_code == 422
    for field in ("bf-rate", "bf-amount", "bf-days"):
        assert f'id="{field}-error"' in bad.text, field
    wrong = post(broker, url, {**good, "commission_collection": "invoiced"})
    assert wrong.status_code == 422 and 'id="bf-remittance-error"' in wrong.text
    ok = post(broker, url, good)
    assert ok.status_code == 303, ok.text
    shown = text_of(broker.get(ok.headers["location"]))
    assert "业务档案已保存。" in shown and "业务档案不完整" not in shown and "吴佳琪" in shown and "1,851.85" in shown
    assert "业务档案" not in text_of(logged_in(env, "insured1").get(f"/policies/{pid}"))
