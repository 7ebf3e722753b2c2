"""The web shell: login through the real form with CSRF, zh-CN by default and the English switch, the
same 404 page for outsiders as for missing ids, CSRF on every unsafe page request, and the blacklist
form's field errors."""

from __future__ import annotations

import html
import json
import re
import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tandem.access.models import ApiToken, LoginThrottle, Organisation, User
from tandem.demo import DEMO_PASSWORD
from tandem.party.models import Adjuster, BlacklistEntry
from tandem.policy.models import Policy
from tests.helpers import csrf_of, logged_in, login, new_browser, one

INSURED1_POLICY = "PQC2026330400001"


@pytest.fixture
def browser(env) -> Iterator[TestClient]:
    """A cookie-keeping client that does not follow redirects, like a browser tab we inspect."""
    with TestClient(
        env.app, base_url="https://testserver", follow_redirects=False, raise_server_exceptions=False
    ) as client:
        yield client


def page_csrf(client: TestClient) -> str:
    return csrf_of(client.get("/blacklist").text)


def policy_id(env, number: str) -> uuid.UUID:
    return one(env, select(Policy.id).where(Policy.number == number))


def org_id(env, name: str) -> uuid.UUID:
    return one(env, select(Organisation.id).where(Organisation.name == name))


def count(env, model) -> int:
    return one(env, select(func.count()).select_from(model))


# ---- login, logout, redirects --------------------------------------------------------------------


def test_pages_redirect_to_login_when_signed_out(browser):
    r = browser.get("/policies")
    assert r.status_code == 303
    assert r.headers["location"] == "/login?next=%2Fpolicies"
    assert browser.get("/").headers["location"] == "/login"


def test_login_page_is_chinese_by_default(browser):
    r = browser.get("/login")
    assert r.status_code == 200
    assert '<html lang="zh-CN">' in r.text
    assert "登录 Tandem" in r.text and "用户名" in r.text and "密码" in r.text
    assert r.headers["content-language"] == "zh-CN"
    assert "tandem_login_csrf=" in r.headers["set-cookie"]


def test_login_page_follows_accept_language(env):
    r = new_browser(env, **{"Accept-Language": "en-GB,en;q=0.9,zh-CN;q=0.5"}).get("/login")
    assert '<html lang="en">' in r.text and "Log in to Tandem" in r.text
    r = new_browser(env, **{"Accept-Language": "fr-FR,de;q=0.8"}).get("/login")
    assert '<html lang="zh-CN">' in r.text


def test_login_through_the_form_starts_a_web_session(env, browser):
    r = login(browser, "broker", next_url="/policies")
    assert r.status_code == 303
    assert r.headers["location"] == "/policies"
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith("tandem_session="))
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=lax" in cookie
    with env.session() as s:
        kinds = list(s.execute(select(ApiToken.kind)).scalars())
    assert kinds == ["web"]
    home = browser.get("/")
    assert home.status_code == 200
    assert "陈晓东，您好" in home.text
    assert "恒信保险经纪有限公司" in home.text and "客户经理" in home.text
    assert home.headers["cache-control"] == "no-store"


def test_login_next_never_leaves_the_site(browser):
    r = login(browser, "broker", next_url="//evil.example/")
    assert r.status_code == 303 and r.headers["location"] == "/"


def test_wrong_password_shows_the_form_again_with_401(env, browser):
    r = login(browser, "broker", password="wrong-password")
    assert r.status_code == 401
    assert "用户名或密码错误。" in r.text
    assert 'value="broker"' in r.text
    assert "tandem_session" not in r.headers.get("set-cookie", "")
    with env.session() as s:
        failures = s.execute(select(LoginThrottle.failures).where(LoginThrottle.key == "user:broker")).scalar_one()
    assert failures == 1


def test_repeated_failures_are_throttled_with_429(env, browser):
    for _ in range(env.settings.login_max_attempts):
        assert login(browser, "risk", password="wrong-password").status_code == 401
    r = login(browser, "risk")  # even the right password, while throttled
    assert r.status_code == 429
    assert "尝试次数过多，请稍后再试。" in r.text
    assert r.headers["retry-after"] == str(env.settings.login_backoff_seconds)


def test_login_without_the_csrf_token_is_refused(env, browser):
    browser.get("/login")
    r = browser.post("/login", data={"username": "broker", "password": DEMO_PASSWORD})
    assert r.status_code == 403
    assert "表单已失效" in r.text
    assert count(env, ApiToken) == 0


def test_empty_login_fields_are_marked(browser):
    form = browser.get("/login")
    r = browser.post("/login", data={"username": "", "password": "", "csrf_token": csrf_of(form.text)})
    assert r.status_code == 422
    assert 'id="username-error">必填。' in r.text
    assert 'id="password-error">必填。' in r.text


def test_logout_revokes_the_session(env):
    client = logged_in(env, "broker")
    token = page_csrf(client)
    r = client.post("/logout", data={"csrf_token": token})
    assert r.status_code == 303 and r.headers["location"] == "/login"
    with env.session() as s:
        assert s.execute(select(ApiToken.revoked_at)).scalar_one() is not None
    assert client.get("/policies").status_code == 303


# ---- CSRF ----------------------------------------------------------------------------------------


def test_unsafe_page_requests_without_csrf_are_refused_and_change_nothing(env):
    client = logged_in(env, "broker")
    target = one(env, select(Adjuster.id).where(Adjuster.name == "林志伟"))
    before = count(env, BlacklistEntry)
    form = {"adjuster_id": str(target), "reason": "测试", "valid_from": "2026-11-25"}
    r = client.post("/blacklist", data=form)
    assert r.status_code == 403
    assert "表单已失效，请刷新页面后重试。" in r.text
    r = client.post("/blacklist", data={**form, "csrf_token": "forged"})
    assert r.status_code == 403
    assert client.post("/logout").status_code == 403
    assert count(env, BlacklistEntry) == before
    assert client.get("/").status_code == 200  # still signed in


def test_csrf_header_is_accepted(env):
    client = logged_in(env, "broker")
    target = one(env, select(Adjuster.id).where(Adjuster.name == "林志伟"))
    r = client.post(
        "/blacklist",
        headers={"X-CSRF-Token": page_csrf(client)},
        data={"adjuster_id": str(target), "reason": "测试", "valid_from": "2026-11-25"},
    )
    assert r.status_code == 303


# ---- language ------------------------------------------------------------------------------------


def test_english_switch_sets_the_cookie_and_goes_back(env):
    client = logged_in(env, "broker")
    zh = client.get("/policies")
    assert "保单号" in zh.text and "¥58,000,000.00" in zh.text
    r = client.get("/lang/en?next=/policies")
    assert r.status_code == 303 and r.headers["location"] == "/policies"
    assert "tandem_lang=en" in r.headers["set-cookie"]
    en = client.get("/policies")
    assert '<html lang="en">' in en.text
    assert "Policy number" in en.text and "CN¥58,000,000.00" in en.text and "In force" in en.text
    assert (
        client.get("/lang/zh_CN", headers={"Referer": "https://testserver/adjusters"}).headers["location"]
        == "/adjusters"
    )
    assert "公估师名录" in client.get("/adjusters").text


def test_unknown_language_is_404(browser):
    assert browser.get("/lang/fr").status_code == 404


def test_user_preference_outranks_the_cookie_and_follows_the_switch(env):
    with env.session() as s:
        s.execute(User.__table__.update().where(User.username == "broker").values(locale="en"))
        s.commit()
    client = logged_in(env, "broker")
    client.cookies.set("tandem_lang", "zh_CN", domain="testserver")
    assert '<html lang="en">' in client.get("/").text
    client.get("/lang/zh_CN")
    assert '<html lang="zh-CN">' in client.get("/").text
    assert one(env, select(User.locale).where(User.username == "broker")) == "zh_CN"


# ---- pages per role ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "expected"),
    [
        ("broker", ["保单", "生效中的黑名单", "公估机构"]),
        ("risk", ["保单", "生效中的黑名单"]),
        ("adjuster1", ["本机构公估师", "钱永刚"]),
        ("adjuster3", ["本机构公估师", "张伟"]),
        ("insurer1", ["PQC2026330400001", "PQC2026330100003"]),
        ("insured1", ["PQC2026330400001"]),
        ("regulator", ["公估机构", "粤安保险公估有限公司"]),
        ("admin", ["机构", "生效中的黑名单", "公估机构"]),
    ],
)
def test_home_page_of_each_party(env, username, expected):
    r = logged_in(env, username).get("/")
    assert r.status_code == 200, r.text
    for text in expected:
        assert text in r.text


def test_insured_sees_only_its_policies(env):
    text = logged_in(env, "insured1").get("/policies").text
    assert INSURED1_POLICY in text
    assert "PCA2026441900002" not in text and "PQC2026330100003" not in text


def test_policy_page_shows_money_sections_and_designated_adjuster(env):
    r = logged_in(env, "broker").get(f"/policies/{policy_id(env, INSURED1_POLICY)}")
    assert r.status_code == 200
    for text in [
        "¥30,000,000.00",
        "¥36,000,000.00",
        "¥58,000,000.00",
        "建筑物",
        "机器设备",
        "存货",
        "¥10,000.00 或损失金额的 10%，以高者为准",
        "指定公估师",
        "王建国",
        "华信保险公估有限公司",
    ]:
        assert text in r.text, text


def test_adjuster_register_shows_status_and_assignability(env):
    text = logged_in(env, "broker").get("/adjusters").text

    def row(name: str) -> str:
        found = re.search(rf"<tr[^>]*>(?:(?!</tr>).)*?{name}.*?</tr>", text, re.S)
        assert found, name
        return found.group(0)

    assert "已失效" in row("钱永刚") and "不可委派" in row("钱永刚") and "执业资格无效" in row("钱永刚")
    assert "受处罚" in row("罗振华")
    assert "有效" in row("何雪梅") and "已列入黑名单" in row("何雪梅")
    assert "可委派" in row("王建国") and "不可委派" not in row("王建国")
    lapsed = logged_in(env, "broker").get("/adjusters?status=lapsed").text
    assert "钱永刚" in lapsed and "王建国" not in lapsed


def test_firm_page_warns_about_too_few_adjusters(env):
    client = logged_in(env, "broker")
    r = client.get(f"/adjuster-firms/{org_id(env, '粤安保险公估有限公司')}")
    assert r.status_code == 200
    assert "资格有效的公估师 1 名；公司制公估机构至少需要 8 名。" in r.text
    ok = client.get(f"/adjuster-firms/{org_id(env, '华信保险公估有限公司')}")
    assert "至少需要" not in ok.text and "钱永刚" in ok.text


def test_organisation_page_lists_own_people(env):
    client = logged_in(env, "broker")
    r = client.get(f"/organisations/{org_id(env, '恒信保险经纪有限公司')}")
    assert r.status_code == 200
    assert "陈晓东" in r.text and "刘静怡" in r.text and "风险评估师" in r.text
    other = client.get(f"/organisations/{org_id(env, '华信保险公估有限公司')}")
    assert other.status_code == 200
    assert "只有本机构成员可以查看人员名单。" in other.text and "adjuster1" not in other.text


# ---- outsiders: the same 404 page as for a missing id --------------------------------------------


@pytest.mark.parametrize(
    ("username", "path"),
    [
        ("insured2", "/policies/{policy}"),
        ("insured2", "/organisations/{insured1}"),
        ("insured2", "/adjuster-firms/{firm}"),
        ("adjuster3", "/policies/{policy}"),
        ("adjuster3", "/organisations/{insured1}"),
        ("adjuster3", "/adjuster-firms/{firm}"),
        ("insurer2", "/policies/{policy}"),
    ],
)
def test_outsider_gets_the_same_404_as_for_a_random_id(env, username, path):
    ids = {
        "policy": policy_id(env, INSURED1_POLICY),
        "insured1": org_id(env, "嘉兴鑫达电子科技有限公司"),
        "firm": org_id(env, "华信保险公估有限公司"),
    }
    client = logged_in(env, username)
    hidden = client.get(path.format(**ids))
    missing = client.get(path.format(**dict.fromkeys(ids, uuid.uuid4())))
    garbage = client.get(path.format(**dict.fromkeys(ids, "not-an-id")))
    assert hidden.status_code == missing.status_code == garbage.status_code == 404
    assert hidden.text == missing.text == garbage.text
    assert "未找到" in hidden.text and "该页面不存在，或未向贵机构开放。" in hidden.text


def test_404_page_in_english(env):
    client = logged_in(env, "insured2")
    client.get("/lang/en")
    r = client.get(f"/policies/{uuid.uuid4()}")
    assert r.status_code == 404 and "Not found" in r.text and '<html lang="en">' in r.text


# ---- blacklist form ------------------------------------------------------------------------------


def blacklist_post(client: TestClient, **fields: str):
    data = {"adjuster_id": "", "reason": "", "valid_from": "", "valid_until": "", **fields}
    return client.post("/blacklist", data={**data, "csrf_token": page_csrf(client)})


def test_blacklist_form_errors_are_shown_next_to_the_fields(env):
    client = logged_in(env, "broker")
    before = count(env, BlacklistEntry)
    r = blacklist_post(client, valid_from="2026-11-25", reason="   ")
    assert r.status_code == 422
    assert '<span class="error" id="adjuster_id-error">请从列表中选择一名公估师。</span>' in r.text
    assert '<span class="error" id="reason-error">请填写原因。</span>' in r.text
    assert 'aria-describedby="reason-error"' in r.text
    target = one(env, select(Adjuster.id).where(Adjuster.name == "林志伟"))
    r = blacklist_post(
        client, adjuster_id=str(target), reason="多次超时", valid_from="2026-11-25", valid_until="2026-01-01"
    )
    assert r.status_code == 422
    assert '<span class="error" id="valid_until-error">截止日期早于起始日期。</span>' in r.text
    assert "多次超时" in r.text  # the form keeps what was typed
    r = blacklist_post(client, adjuster_id=str(uuid.uuid4()), reason="x", valid_from="25/11/2026")
    assert r.status_code == 422
    assert 'id="valid_from-error">请按 YYYY-MM-DD 格式填写日期。' in r.text
    assert count(env, BlacklistEntry) == before


def test_blacklist_htmx_error_is_a_swappable_422(env):
    client = logged_in(env, "broker")
    r = client.post(
        "/blacklist", headers={"HX-Request": "true", "X-CSRF-Token": page_csrf(client)}, data={"reason": ""}
    )
    assert r.status_code == 422
    assert 'id="blacklist-main"' in r.text


def test_blacklist_add_and_lift(env):
    client = logged_in(env, "broker")
    target = one(env, select(Adjuster.id).where(Adjuster.name == "林志伟"))
    r = blacklist_post(client, adjuster_id=str(target), reason="报告严重失实", valid_from="2026-11-25")
    assert r.status_code == 303 and r.headers["location"] == "/blacklist?done=added"
    page = client.get("/blacklist?done=added").text
    assert "已将该公估师列入黑名单。" in page and "报告严重失实" in page
    entry = one(env, select(BlacklistEntry.id).where(BlacklistEntry.adjuster_id == target))
    assert "已列入黑名单" in client.get("/adjusters").text

    token = page_csrf(client)
    r = client.post(f"/blacklist/{entry}/lift", data={"reason": "", "csrf_token": token})
    assert r.status_code == 422
    assert f'id="lift-reason-{entry}-error">请填写原因。' in r.text
    r = client.post(f"/blacklist/{entry}/lift", data={"reason": "已整改", "csrf_token": token})
    assert r.status_code == 303 and r.headers["location"] == "/blacklist?done=lifted"
    assert one(env, select(BlacklistEntry.state).where(BlacklistEntry.id == entry)) == "lifted"
    again = client.post(f"/blacklist/{entry}/lift", data={"reason": "再次", "csrf_token": token})
    assert again.status_code == 409
    assert "当前状态（lifted）下不能执行操作 lift。" in again.text


def test_blacklist_is_read_only_for_a_firm_and_hidden_from_outsiders(env):
    entry = one(env, select(BlacklistEntry.id))
    firm = logged_in(env, "adjuster3")  # the blacklisted adjuster's firm
    page = firm.get("/blacklist")
    assert page.status_code == 200 and "何雪梅" in page.text and "列入黑名单</button>" not in page.text
    token = page_csrf(firm)
    r = firm.post(f"/blacklist/{entry}/lift", data={"reason": "申诉", "csrf_token": token})
    assert r.status_code == 403
    r = firm.post("/blacklist", data={"reason": "x", "csrf_token": token})
    assert r.status_code == 403
    other = logged_in(env, "adjuster1")
    hidden = other.post(f"/blacklist/{entry}/lift", data={"reason": "x", "csrf_token": page_csrf(other)})
    missing = other.post(f"/blacklist/{uuid.uuid4()}/lift", data={"reason": "x", "csrf_token": page_csrf(other)})
    assert hidden.status_code == missing.status_code == 404 and hidden.text == missing.text
    assert one(env, select(BlacklistEntry.state).where(BlacklistEntry.id == entry)) == "active"


# ---- static files and headers --------------------------------------------------------------------


def test_htmx_is_served_locally_with_the_swap_config(env):
    client = logged_in(env, "broker")
    js = client.get("/static/htmx.min.js")
    assert js.status_code == 200 and 'version:"2.' in js.text
    page = client.get("/")
    assert 'src="/static/htmx.min.js?v=' in page.text
    meta = re.search(r'<meta name="htmx-config" content="([^"]+)">', page.text)
    assert meta
    handling = {rule["code"]: rule for rule in json.loads(html.unescape(meta.group(1)))["responseHandling"]}
    assert handling["409"] == {"code": "409", "swap": True, "error": False}
    assert handling["422"] == {"code": "422", "swap": True, "error": False}
    assert list(handling).index("422") < list(handling).index("[45]..")
    assert "unpkg" not in page.text and "cdn" not in page.text.lower()
    assert "script-src 'self'" in page.headers["content-security-policy"]


def test_internal_error_page_names_the_request_and_hides_the_traceback(env):
    from starlette.requests import Request

    from tandem.web.errors import render_internal_error

    request = Request(
        {
            "type": "http",
            "app": env.app,
            "method": "GET",
            "path": "/policies",
            "query_string": b"",
            "headers": [(b"accept-language", b"en")],
        }
    )
    request.state.request_id = "req-4711"
    r = render_internal_error(request)
    assert r.status_code == 500
    body = bytes(r.body).decode()
    assert "Something went wrong on our side (request req-4711)." in body
    assert "Traceback" not in body
