"""Smaller corrections of issue 22 item 20, each as a user met it."""

from __future__ import annotations

import re

from tests.helpers import ACCEPT, POLICY1, POLICY3, _ok, csrf_of, logged_in, notice, post, text_of


def test_the_default_claim_list_includes_closed_claims(env):
    cid = notice(env, "insured3", POLICY3, location="浙江省杭州市上城区清泰街56号", description="室内水管爆裂")
    _ok(env.client("insured3").post(f"/api/v1/claims/{cid}/withdraw", json={"reason": "已自行修复"}))
    closed = _ok(env.client("broker").post(f"/api/v1/claims/{cid}/close", json={"confirm": True}))["claim"]
    assert closed["status"] == "closed"
    assert closed["number"] in text_of(logged_in(env, "broker").get("/claims"))


def test_the_progress_bar_moves_on_once_the_letter_is_accepted(env):
    cid = notice(env, "insured1", POLICY1)
    firm = env.client("adjuster1")
    terms = ACCEPT
    _ok(firm.post(f"/api/v1/claims/{cid}/appointment", json=terms))
    page = logged_in(env, "insured1").get(f"/claims/{cid}").text
    current = re.search(r'<li class="current" aria-current="step"><span>([^<]+)</span>', page)
    assert current and current.group(1) == "查勘定损", current


def test_a_phone_number_of_two_digits_is_too_short(env):
    insured = logged_in(env, "insured1")
    form = insured.get("/claims/new")
    r = insured.post(
        "/claims/new",
        data={
            "csrf_token": csrf_of(form.text),
            "key": re.search(r'name="key" value="([^"]+)"', form.text).group(1),
            "loss_at": "2026-11-24T22:30",
            "channel": "web",
            "location": "浙江省嘉兴市南湖区亚中路88号",
            "description": "2号车间夜间起火",
            "reporter_phone": "12",
        },
    )
    assert r.status_code == 422
    assert "号码太短" in text_of(r) and "请输入电话号码" not in text_of(r)


def test_an_empty_evidence_file_is_refused(env):
    cid = notice(env, "insured1", POLICY1)
    r = env.client("insured1").post(
        f"/api/v1/claims/{cid}/documents",
        data={"audience": "all"},
        files={"file": ("empty.pdf", b"", "application/pdf")},
    )
    assert r.status_code == 422 and "file" in r.json()["error"]["fields"]
    page = logged_in(env, "insured1")
    r = post(
        page, f"/claims/{cid}/documents", {"audience": "all"}, files={"file": ("empty.pdf", b"", "application/pdf")}
    )
    assert r.status_code == 422


def test_zh_pages_name_sections_without_english_codes(env):
    cid = notice(env, "insured1", POLICY1)
    firm = env.client("adjuster1")
    terms = ACCEPT
    _ok(firm.post(f"/api/v1/claims/{cid}/appointment", json=terms))
    me = {a["name"]: a["id"] for a in firm.get("/api/v1/adjusters").json()["items"]}
    _ok(firm.post(f"/api/v1/claims/{cid}/team", json={"adjuster_id": me["李娜"]}))
    at = "2026-11-25T10:00:00+08:00"  # the notice is at 10:00 Beijing time
    _ok(firm.post(f"/api/v1/claims/{cid}/surveys", json={"scheduled_at": at, "surveyed_at": at}))
    page = text_of(logged_in(env, "adjuster1").get(f"/claims/{cid}"))
    assert "建筑物" in page and "机器设备" in page
    assert not re.search(r"建筑物 building|机器设备 machinery|存货 stock", page), page


def test_recommendations_say_whose_area_it_is_and_what_each_point_is_for(env):
    cid = notice(env, "insured3", POLICY3, location="浙江省杭州市上城区清泰街56号", description="室内水管爆裂")
    t = text_of(logged_in(env, "broker").get(f"/claims/{cid}"))
    assert "服务区域：浙江" not in t
    wang = t[t.index("王建国") : t.index("王建国") + 400]  # works in Shanghai and Jiangsu; his firm covers China
    assert "经机构服务区域覆盖浙江（+10）" in wang and "常驻：上海、江苏" in wang, wang
    zhang = t[t.index("张伟") : t.index("张伟") + 400]  # works in Zhejiang himself
    assert "本人服务区域含浙江（+20）" in zhang, zhang
    assert "可承接企业财产保险（基础分 50）" in t and "在办案件：0/8（+20）" in t


def test_english_pages_show_english_line_and_province_options(env):
    client = logged_in(env, "broker")
    client.get("/lang/en")
    page = client.get("/experts").text
    options = re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', page)
    shown = {value: text for value, text in options}
    assert shown["企业财产保险"] == "Enterprise property insurance" and shown["浙江"] == "Zhejiang", options
    assert not any(re.search(r"[\u4e00-\u9fff]", text) for _, text in options), options
    zh = logged_in(env, "broker").get("/experts").text
    assert '<option value="浙江">浙江</option>' in zh and ">企业财产保险</option>" in zh
