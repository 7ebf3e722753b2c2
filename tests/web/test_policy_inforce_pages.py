"""The in-force cards of the policy page (issue 16 items 3 and 4), zh-CN: the broker requests a mid-term
change, the underwriter accepts it (a new version) or declines it with a reason; the underwriter suspends
the policy and the claim form then shows the refusal beside the loss time, naming the date."""

from __future__ import annotations

import re

from tests.helpers import POLICY1, csrf_of, logged_in, policy_id, post, text_of

RATES = {"building": "0.85", "machinery": "1.20", "stock": "1.50"}


def _change_form(env, client, pid: str, **sums: str) -> dict[str, str]:
    page = client.get(f"/policies/{pid}")
    data: dict[str, str] = {"effective_date": "2026-07-01", "reason": "新厂房投入使用"}
    for i, code in enumerate(re.findall(r'name="code_\d+" type="text" value="([a-z_]+)"', page.text)):
        data[f"code_{i}"] = code
        data[f"name_{i}"] = re.search(rf'name="name_{i}" type="text" value="([^"]+)"', page.text).group(1)
        current = re.search(rf'name="sum_insured_{i}" type="text" inputmode="decimal" value="([^"]+)"', page.text)
        data[f"sum_insured_{i}"] = sums.get(code, current.group(1))
        data[f"rate_{i}"] = RATES[code]
    return data


def test_broker_requests_and_underwriter_accepts_a_change_on_the_page(env) -> None:
    pid = policy_id(env, POLICY1)
    broker = logged_in(env, "broker")
    page = text_of(broker.get(f"/policies/{pid}"))
    assert "保障版本" in page and "批改" in page and "原始签发" in page
    bad = post(broker, f"/policies/{pid}/endorsements", {**_change_form(env, broker, pid), "effective_date": ""})
    assert bad.status_code == 422 and "必填" in text_of(bad)
    same = post(broker, f"/policies/{pid}/endorsements", _change_form(env, broker, pid))
    assert same.status_code == 422 and "各分项与现行保单相同。" in text_of(same)
    r = post(broker, f"/policies/{pid}/endorsements", _change_form(env, broker, pid, building="35000000.00"))
    assert r.status_code == 303, text_of(r)[:2000]
    shown = text_of(broker.get(r.headers["location"]))
    assert "批改申请已提交" in shown and "等待保险人答复" in shown and "2,142.47" in shown
    underwriter = logged_in(env, "underwriter1")
    page = underwriter.get(f"/policies/{pid}")
    eid = re.search(r"/endorsements/([0-9a-f-]{36})/accept", page.text).group(1)
    no_reason = post(underwriter, f"/policies/{pid}/endorsements/{eid}/decline", {"answer": ""})
    assert no_reason.status_code == 422 and "请填写原因。" in text_of(no_reason)
    ok = post(underwriter, f"/policies/{pid}/endorsements/{eid}/accept")
    assert ok.status_code == 303
    after = text_of(underwriter.get(ok.headers["location"]))
    assert "版本 2" in after and "35,000,000.00" in after and "已接受" in after
    assert not re.search(r"[A-Za-z]{4,}", re.sub(r"PQC\d+|CNY|Tandem", "", after.split("保障版本", 1)[1]))


def test_suspension_on_the_page_and_the_claim_form_names_the_date(env) -> None:
    pid = policy_id(env, POLICY1)
    underwriter = logged_in(env, "underwriter1")
    form = {"action": "suspend", "effective_date": "2026-10-01", "reason_code": "premium_unpaid", "reason": ""}
    missing = post(underwriter, f"/policies/{pid}/status", form)
    assert missing.status_code == 422 and "请填写原因。" in text_of(missing)
    r = post(underwriter, f"/policies/{pid}/status", {**form, "reason": "第二期保费逾期未付"})
    assert r.status_code == 303, text_of(r)[:2000]
    page = text_of(underwriter.get(r.headers["location"]))
    assert "效力中止" in page and "保费未付" in page and "复效" in page
    # the broker cannot suspend; it may end the contract for the insured
    broker_page = logged_in(env, "broker").get(f"/policies/{pid}").text
    assert 'value="suspend"' not in broker_page and 'value="terminate"' in broker_page
    insured = logged_in(env, "insured1")
    claim_form = insured.get(f"/claims/new?policy={pid}")
    key = re.search(r'name="key" value="([^"]+)"', claim_form.text).group(1)
    data = {
        "csrf_token": csrf_of(claim_form.text),
        "key": key,
        "policy_id": pid,
        "loss_at": "2026-11-24T22:30",
        "channel": "web",
        "location": "浙江省嘉兴市南湖区亚中路88号",
        "description": "仓库进水",
    }
    refused = insured.post("/claims/new", data=data)
    assert refused.status_code == 422
    assert "保单自 2026-10-01 起效力中止" in text_of(refused)
    accepted = insured.post("/claims/new", data={**data, "loss_at": "2026-09-20T10:00"})
    assert accepted.status_code == 303
