"""Browser journey from an empty database, in zh-CN (issue 19, the first part of its journey): the first-run
page creates the platform admin, who must set up TOTP before any session; the admin opens a broker (a
wrong USCC is refused beside its field first), an insurer, an adjuster firm and an insured; the broker's
administrator, invited by e-mail (read out of a real SMTP server's mail), joins and must enrol too, then
invites a colleague, who joins, turns the second factor on and signs in with the code. Screenshots in
tests/e2e/artifacts (o01…)."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import re
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyotp
import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import Browser, Page, expect

from tandem.demo import uscc
from tandem.kit.clock import SystemClock

from .conftest import _cli, new_context, running_app
from .journeys import DESKTOP, _watch

pytestmark = pytest.mark.e2e

LINK = re.compile(r"/login/invitation/([A-Za-z0-9_\-]+)")
PASSWORDS = {"root": "harbour lantern quiet 42", "zhongwen": "maple river stone 77", "hexin": "copper field morning 19"}


class Inbox:
    """A real SMTP server (aiosmtpd) on loopback: the mails the worker sent."""

    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope)
        return "250 OK"

    def link(self, to: str) -> str:
        for envelope in reversed(self.messages):
            if to in envelope.rcpt_tos:
                message = email.message_from_bytes(envelope.content, policy=email.policy.default)
                body = message.get_body(preferencelist=("plain",))
                found = LINK.search(body.get_content() if body else "")
                if found:
                    return found.group(1)
        raise AssertionError(f"no invitation mailed to {to}")


@pytest.fixture(scope="module")
def onboarding_server(
    tmp_path_factory: pytest.TempPathFactory, chromium_path: Path
) -> Iterator[tuple[str, dict[str, str], Inbox]]:
    inbox = Inbox()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    smtp = Controller(inbox, hostname="127.0.0.1", port=port)
    smtp.start()
    try:
        with running_app(
            tmp_path_factory.mktemp("onboarding-e2e"), "empty.db", demo=False, TANDEM_SMTP_PORT=str(port)
        ) as (base, env, _):
            yield base, env, inbox
    finally:
        smtp.stop()


class Tabs:
    """One browser context per person, zh-CN, with script errors and CSP violations collected."""

    def __init__(self, browser: Browser, base: str, artifacts: Path) -> None:
        self.browser, self.base, self.artifacts = browser, base, artifacts
        self.contexts: list[Any] = []
        self.problems: list[str] = []

    def new(self) -> Page:
        context = new_context(self.browser, base_url=self.base, locale="zh-CN", viewport=DESKTOP)
        self.contexts.append(context)
        page = context.new_page()
        _watch(page, self.problems)
        return page

    def shot(self, page: Page, name: str) -> None:
        page.screenshot(path=str(self.artifacts / f"{name}.png"), full_page=True)

    def close(self) -> None:
        for c in self.contexts:
            c.close()


@pytest.fixture
def tabs(browser: Browser, onboarding_server: tuple[str, dict[str, str], Inbox], artifacts: Path) -> Iterator[Tabs]:
    t = Tabs(browser, onboarding_server[0], artifacts)
    yield t
    t.close()


def _sign_in(page: Page, username: str) -> None:
    page.goto("/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(PASSWORDS[username])
    page.locator("form[action='/login'] button[type=submit]").click()


def _enrol(page: Page) -> str:
    """Set up the second factor on the page shown (sign-in step or account page); the TOTP secret."""
    secret = page.get_by_test_id("totp-secret").inner_text().strip()
    page.locator("#code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="开启双因素认证").click()
    expect(page.get_by_test_id("recovery-codes").locator("li")).to_have_count(10)
    return secret


def _open_organisation(page: Page, fields: dict[str, str], selects: dict[str, str]) -> None:
    page.goto("/organisations/new")
    for name, value in selects.items():
        page.locator(f"#{name}").select_option(value)
    for name, value in fields.items():
        page.locator(f"#{name}").fill(value)
    page.get_by_role("button", name="开通机构").click()
    expect(page.locator(".alert.ok")).to_contain_text("机构已开通")


def _join(tabs: Tabs, token: str, username: str) -> Page:
    page = tabs.new()
    page.goto(f"/login/invitation/{token}")
    page.locator("#username").fill(username)
    page.locator("#password").fill(PASSWORDS[username])
    page.locator("#password_repeat").fill(PASSWORDS[username])
    page.get_by_role("button", name="创建我的账户").click()
    expect(page.locator(".alert.ok")).to_contain_text("账户已就绪")
    return page


def test_from_an_empty_database_to_an_invited_broker_user_with_totp(
    tabs: Tabs, onboarding_server: tuple[str, dict[str, str], Inbox]
) -> None:
    _base, env, inbox = onboarding_server
    # The first-run page creates the platform administrator.
    root = tabs.new()
    root.goto("/login")
    expect(root).to_have_url(re.compile(r"/login/setup$"))
    tabs.shot(root, "o01-first-run")
    for name, value in {
        "username": "root",
        "display_name": "平台运营",
        "email": "root@tandem.example.com",
        "password": PASSWORDS["root"],
        "password_repeat": PASSWORDS["root"],
    }.items():
        root.locator(f"#{name}").fill(value)
    root.get_by_role("button", name="创建平台管理员").click()
    expect(root.locator(".alert.ok")).to_contain_text("平台管理员已创建")

    # A platform admin gets no session before the second factor is set up.
    _sign_in(root, "root")
    expect(root).to_have_url(re.compile(r"/login/enrol"))
    tabs.shot(root, "o02-forced-totp-enrolment")
    _enrol(root)
    tabs.shot(root, "o03-recovery-codes")
    root.get_by_role("link", name="继续").click()

    # The broker: a wrong USCC is refused beside its field, then the right one opens it.
    broker = {
        "name": "安泰保险经纪有限公司",
        "region": "上海",
        "admin_name": "钟文",
        "admin_email": "zhong@antai.example.com",
    }
    root.goto("/organisations/new")
    for name, value in {**broker, "uscc": "91310000MA7X2Q9K10"}.items():
        root.locator(f"#{name}").fill(value)
    root.get_by_role("button", name="开通机构").click()
    expect(root.locator("#uscc-error")).to_contain_text("校验码不符")
    tabs.shot(root, "o04-organisation-form-error")
    _open_organisation(root, {**broker, "uscc": uscc("91310000MA7X2Q9K1")}, {"kind": "broker"})
    _open_organisation(
        root,
        {
            "name": "安和财产保险股份有限公司",
            "uscc": uscc("91110000MA00ABCD1"),
            "admin_name": "孔洁",
            "admin_email": "kong@anhe.example.com",
        },
        {"kind": "insurer"},
    )
    _open_organisation(
        root,
        {
            "name": "明鉴保险公估有限公司",
            "uscc": uscc("91310115MA7B3C4D5"),
            "capital": "5000000",
            "admin_name": "严明",
            "admin_email": "yan@mingjian.example.com",
        },
        {"kind": "adjuster_firm", "legal_form": "company"},
    )
    _open_organisation(
        root,
        {
            "name": "宁波港联物流有限公司",
            "uscc": uscc("91330200MA2H4K5L6"),
            "admin_name": "林港",
            "admin_email": "lin@ganglian.example.com",
        },
        {"kind": "insured", "insured_kind": "company", "broker_id": "安泰保险经纪有限公司"},
    )
    root.goto("/organisations")
    expect(root.locator("table")).to_contain_text("明鉴保险公估有限公司")
    tabs.shot(root, "o05-organisations")

    # The broker's administrator joins from the mailed link and must set up TOTP too.
    _cli(["worker", "--once"], env)
    admin = _join(tabs, inbox.link("zhong@antai.example.com"), "zhongwen")
    _sign_in(admin, "zhongwen")
    expect(admin).to_have_url(re.compile(r"/login/enrol"))
    _enrol(admin)
    admin.get_by_role("link", name="继续").click()

    # …and invites a colleague as account manager.
    admin.get_by_role("link", name="本机构").click()
    admin.locator("#display_name").fill("贺新")
    admin.locator("#email").fill("he.xin@antai.example.com")
    admin.get_by_label("客户经理").check()
    admin.get_by_role("button", name="发送邀请").click()
    expect(admin.locator(".alert.ok")).to_contain_text("邀请已通过电子邮件发送")
    tabs.shot(admin, "o06-broker-admin-invites")

    # The colleague joins, turns the second factor on at the account page and signs in with the code.
    _cli(["worker", "--once"], env)
    user = _join(tabs, inbox.link("he.xin@antai.example.com"), "hexin")
    _sign_in(user, "hexin")
    expect(user).to_have_url(re.compile(r"/$"))
    user.goto("/account")
    user.get_by_role("button", name="设置双因素认证").click()
    secret = _enrol(user)
    user.get_by_role("button", name="退出").click()
    _sign_in(user, "hexin")
    expect(user).to_have_url(re.compile(r"/login/code"))
    totp = pyotp.TOTP(secret)
    # the next step's code (the enrolment used this step's, and a code is accepted once)
    user.locator("#code").fill(totp.at(SystemClock().now() + dt.timedelta(seconds=30)))
    tabs.shot(user, "o07-sign-in-code")
    user.get_by_role("button", name="继续").click()
    expect(user).to_have_url(re.compile(r"/$"))
    user.goto("/account")
    expect(user.get_by_test_id("login-history")).to_contain_text("登录成功")
    tabs.shot(user, "o08-account-login-history")
    assert tabs.problems == []
