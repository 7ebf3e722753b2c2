"""The broker's walk through the web shell in Chinese, then in English; an insured meets the 404 page
at another insured's policy."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect

from tandem.demo import DEMO_PASSWORD as PASSWORD

from .conftest import Server, new_context

pytestmark = pytest.mark.e2e


def _shot(page: Page, artifacts: Path, name: str) -> None:
    page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)


def _watch(page: Page) -> list[str]:
    """Collect script errors and Content-Security-Policy violations; the 404 and 422 answers the
    journey provokes on purpose are not problems."""
    problems: list[str] = []
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => console.error("
        "'CSP violation: ' + e.violatedDirective + ' ' + (e.sourceFile || '')))"
    )

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and not re.search(r"status of (404|422)\b", message.text):
            problems.append(f"{page.url}: {message.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: problems.append(f"{page.url}: {exc}"))
    return problems


def _login(page: Page, username: str) -> None:
    page.get_by_label(re.compile("用户名|Username")).fill(username)
    page.get_by_label(re.compile("密码|Password")).fill(PASSWORD)
    page.locator("form[action='/login'] button[type=submit]").click()
    page.wait_for_url(re.compile(r"/$"))


def _nav(page: Page, label: str) -> None:
    page.locator("nav.mainnav").get_by_role("link", name=label, exact=True).click()
    page.wait_for_load_state("domcontentloaded")


def test_broker_journey_zh_then_en_and_outsider_404(server: Server, browser: Browser, artifacts: Path) -> None:
    context = new_context(browser, base_url=server.base_url, locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems = _watch(page)

    # --- zh-CN (the browser asks for zh-CN; nothing else is set) -----------------------------------
    page.goto("/policies")
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fpolicies$"))
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.get_by_role("heading", name="登录 Tandem")).to_be_visible()
    _shot(page, artifacts, "01-login-zh")

    page.get_by_label("用户名").fill("broker")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(r"/policies$"))
    expect(page.get_by_role("heading", name="保单")).to_be_visible()

    _nav(page, "首页")
    expect(page.get_by_role("heading", name="陈晓东，您好")).to_be_visible()
    expect(page.locator(".topbar")).to_contain_text("恒信保险经纪有限公司")
    expect(page.locator(".topbar")).to_contain_text("客户经理")
    expect(page.locator("main")).to_contain_text("生效中的黑名单")
    _shot(page, artifacts, "02-home-zh")

    _nav(page, "保单")
    expect(page.locator("main")).to_contain_text("PQC2026330400001")
    expect(page.locator("main")).to_contain_text("¥58,000,000.00")
    _shot(page, artifacts, "03-policies-zh")

    page.get_by_role("link", name="PQC2026330400001").click()
    expect(page.get_by_role("heading", name=re.compile("保单 PQC2026330400001"))).to_be_visible()
    main = page.locator("main")
    expect(main).to_contain_text("¥30,000,000.00")
    expect(main).to_contain_text("指定公估师")
    expect(main).to_contain_text("王建国")
    expect(main).to_contain_text("以高者为准")
    policy_url = page.url
    _shot(page, artifacts, "04-policy-zh")

    _nav(page, "公估师名录")
    lapsed = page.locator("tr", has_text="钱永刚")
    expect(lapsed).to_contain_text("已失效")
    expect(lapsed).to_contain_text("不可委派")
    blacklisted = page.locator("tr", has_text="何雪梅")
    expect(blacklisted).to_contain_text("已列入黑名单")
    expect(page.locator("tr", has_text="罗振华")).to_contain_text("受处罚")
    expect(page.locator("main")).to_contain_text("资格有效的公估师 1 名；公司制公估机构至少需要 8 名。")
    _shot(page, artifacts, "05-adjusters-zh")

    _nav(page, "黑名单")
    expect(page.locator("tr", has_text="何雪梅")).to_contain_text("生效中")
    # htmx is served from /static and configured to swap 409 and 422 answers.
    codes = page.evaluate("htmx.config.responseHandling.filter(r => r.swap).map(r => r.code)")
    assert "409" in codes and "422" in codes
    # An empty form comes back as a 422 fragment that htmx swaps in, errors beside the fields.
    page.get_by_role("button", name="列入黑名单").click()
    expect(page.locator("#adjuster_id-error")).to_have_text("请从列表中选择一名公估师。")
    expect(page.locator("#reason-error")).to_have_text("请填写原因。")
    _shot(page, artifacts, "06-blacklist-errors-zh")
    option = page.locator("#adjuster_id option", has_text="罗振华").get_attribute("value")
    assert option
    page.locator("#adjuster_id").select_option(value=option)
    page.locator("#reason").fill("出具报告存在重大遗漏，已被监管处罚")
    page.get_by_role("button", name="列入黑名单").click()
    expect(page.locator(".alert.ok")).to_have_text("已将该公估师列入黑名单。")
    expect(page.locator("tr", has_text="罗振华")).to_contain_text("生效中")
    _shot(page, artifacts, "07-blacklist-zh")

    _nav(page, "本机构")
    expect(page.get_by_role("heading", name="恒信保险经纪有限公司")).to_be_visible()
    people = page.locator("section", has=page.get_by_role("heading", name="人员", exact=True))
    expect(people).to_contain_text("陈晓东")
    expect(people).to_contain_text("刘静怡")
    expect(people).to_contain_text("风险评估师")
    _shot(page, artifacts, "08-organisation-zh")

    # --- English -----------------------------------------------------------------------------------
    page.locator("nav.lang").get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="People")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Risk evaluator")
    _shot(page, artifacts, "11-organisation-en")

    _nav(page, "Home")
    expect(page.get_by_role("heading", name="Welcome, 陈晓东")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Blacklist in force")
    _shot(page, artifacts, "12-home-en")

    _nav(page, "Policies")
    expect(page.locator("main")).to_contain_text("CN¥58,000,000.00")
    page.goto(policy_url)
    main = page.locator("main")
    expect(main).to_contain_text("Designated adjuster")
    expect(main).to_contain_text("CN¥30,000,000.00")
    expect(main).to_contain_text("whichever is higher")
    _shot(page, artifacts, "13-policy-en")

    _nav(page, "Adjuster register")
    expect(page.locator("tr", has_text="钱永刚")).to_contain_text("Lapsed")
    expect(page.locator("tr", has_text="何雪梅")).to_contain_text("On the blacklist")
    expect(page.locator("main")).to_contain_text("Qualified adjusters: 1; a company needs at least 8.")
    _shot(page, artifacts, "14-adjusters-en")

    _nav(page, "Blacklist")
    expect(page.locator("tr", has_text="何雪梅")).to_contain_text("In force")
    _shot(page, artifacts, "15-blacklist-en")

    _nav(page, "My organisation")
    expect(page.get_by_role("heading", name="People")).to_be_visible()

    # The register on a phone: rows become stacked cards.
    phone = context.new_page()
    phone.set_viewport_size({"width": 390, "height": 844})
    phone.goto("/adjusters")
    expect(phone.locator("tr", has_text="钱永刚")).to_contain_text("Lapsed")
    _shot(phone, artifacts, "16-adjusters-en-phone")
    phone.close()

    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_role("heading", name="Log in to Tandem")).to_be_visible()

    # --- an insured at another insured's policy ----------------------------------------------------
    _login(page, "insured2")
    expect(page.locator(".topbar")).to_contain_text("东莞宏盛塑胶制品有限公司")
    response = page.goto(policy_url)
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    outsider_text = page.locator("main").inner_text()
    _shot(page, artifacts, "21-outsider-404-en")
    response = page.goto(f"/policies/{uuid.uuid4()}")
    assert response is not None and response.status == 404
    assert page.locator("main").inner_text() == outsider_text

    assert problems == [], problems
    context.close()
