"""Fee invoice pages: the firm raises from the case's invoices page, the insurer disputes a line, the firm
reissues, the insurer pays (an amount above the open one is refused beside the field), and the firm's
receivables and the insurer's payables show the ageing and days-to-pay, in zh-CN and en."""

from __future__ import annotations

import datetime as dt

from tests.helpers import _to_reported, logged_in, post, text_of


def test_invoice_pages_from_raise_to_payment(env):
    cid = _to_reported(env)
    firm = logged_in(env, "adjuster1")
    page = firm.get(f"/claims/{cid}")
    assert f'href="/cases/{cid}/invoices"' in page.text  # the letter links to its invoices

    bad = post(firm, f"/cases/{cid}/invoices", {"expenses_incurred": "12,00.005"})
    assert bad.status_code == 422
    assert 'id="expenses_incurred-error"' in bad.text
    missing = post(firm, f"/cases/{cid}/invoices", {})
    assert missing.status_code == 422 and 'id="expenses_incurred-error"' in missing.text  # named by the engine

    made = post(firm, f"/cases/{cid}/invoices", {"expenses_incurred": "4800"})
    assert made.status_code == 303, made.text
    url = made.headers["location"].split("?")[0]
    shown = text_of(firm.get(made.headers["location"]))
    assert "发票已开具，并已通知付款方。" in shown and "GF-2026-000001" in shown and "已开具" in shown
    assert "2026年12月25日" in shown  # due: 30 days

    insured = logged_in(env, "insured1")
    assert insured.get(url).status_code == 404
    assert logged_in(env, "insurer2").get(url).status_code == 404

    insurer = logged_in(env, "insurer1")
    r = post(insurer, f"{url}/dispute", {"lines": "expenses", "reason": ""})
    assert r.status_code == 422 and 'id="reason-error"' in r.text
    r = post(insurer, f"{url}/dispute", {"lines": "expenses", "reason": "差旅费偏高"})
    assert r.status_code == 303
    shown = text_of(insurer.get(url))
    assert "有争议" in shown and "差旅费偏高" in shown and "报销费用" in shown

    r = post(firm, f"{url}/reissue", {"expenses_incurred": "3000", "reason": "按票据核减"})
    assert r.status_code == 303, r.text
    new_url = r.headers["location"].split("?")[0]
    assert new_url != url
    shown = text_of(firm.get(r.headers["location"]))
    assert "GF-2026-000002" in shown and "GF-2026-000001" in shown  # replaces

    over = post(insurer, f"{new_url}/pay", {"amount": "999999", "paid_on": "2026-11-25", "reference": "HX"})
    assert over.status_code == 422 and 'id="amount-error"' in over.text
    part = post(insurer, f"{new_url}/pay", {"amount": "1000", "paid_on": "2026-11-25", "reference": "HX-1"})
    assert part.status_code == 303
    assert "部分付款" in text_of(insurer.get(new_url))

    env.clock.current = dt.datetime(2027, 1, 10, 2, 0, tzinfo=dt.UTC)  # 16 days overdue
    firm, insurer = logged_in(env, "adjuster1"), logged_in(env, "insurer1")
    rec = text_of(firm.get("/receivables"))
    assert "应收公估费" in rec and "逾期1–30天" in rec and "GF-2026-000002" in rec
    page = insurer.get("/payables")
    pay = text_of(page)
    assert "华信保险公估有限公司" in pay and ">GF-2026-000002</a>" in page.text
    assert ">GF-2026-000001</a>" not in page.text  # replaced: nothing open on it
    insurer.get("/lang/en")
    pay = text_of(insurer.get("/payables"))
    assert "Payables" in pay and "1–30 days overdue" in pay and "Part paid" in pay
    assert insurer.get("/receivables").status_code == 404
    assert firm.get("/payables").status_code == 404
