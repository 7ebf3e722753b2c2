"""Onboarding pages (issue 19 item 1): the first-run page of an empty database, the forced TOTP enrolment
of a platform admin, the organisation form with errors beside their fields, the invitation and reset
links read out of mail received by a real SMTP server, the TOTP step at sign-in, a person's page for the
organisation's admin (another organisation's person: 404), in zh-CN and en."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tandem import migrate
from tandem.access.models import User
from tandem.app import create_app
from tandem.demo import DEMO_PASSWORD, uscc
from tandem.kit.clock import FrozenClock
from tests.helpers import csrf_of, logged_in, login, mailed_link, new_browser, one, post, text_of

STRONG = "quiet harbour lantern 42"
SECRET = re.compile(r'data-testid="totp-secret">([A-Z2-7]+)<')


@pytest.fixture
def mail(env, smtp):
    sink, port = smtp
    env.settings.smtp_port = port
    return sink


@pytest.fixture
def empty(env, tmp_path) -> Iterator[tuple[TestClient, FrozenClock]]:
    """A browser on a server (the suite's settings) whose database is migrated and empty."""
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    migrate.upgrade(url)
    clock = FrozenClock()
    app = create_app(env.settings.model_copy(update={"database_url": url}), clock=clock)
    with TestClient(app, base_url="https://testserver", follow_redirects=False, raise_server_exceptions=False) as c:
        yield c, clock


def _form_post(client: TestClient, path: str, data: dict[str, str]):
    page = client.get(path)
    assert page.status_code == 200, page.text
    return client.post(path, data={**data, "csrf_token": csrf_of(page.text)})


def _enrol(client: TestClient, page_text: str, clock: FrozenClock, action: str = "/login/enrol"):
    secret = SECRET.search(page_text)
    assert secret, "no TOTP key on the enrolment page"
    code = pyotp.TOTP(secret.group(1)).at(clock.now())
    return client.post(action, data={"code": code, "csrf_token": csrf_of(page_text), "next": "/"}), secret.group(1)


def test_first_run_creates_the_platform_admin_who_must_enrol_in_totp(empty):
    client, clock = empty
    assert client.get("/login").headers["location"] == "/login/setup"
    bad = _form_post(
        client,
        "/login/setup",
        {"username": "root", "display_name": "运营", "email": "x", "password": STRONG, "password_repeat": STRONG},
    )
    assert bad.status_code == 422 and 'id="email-error"' in bad.text
    r = _form_post(
        client,
        "/login/setup",
        {
            "username": "root",
            "display_name": "平台运营",
            "email": "root@example.com",
            "password": STRONG,
            "password_repeat": STRONG,
        },
    )
    assert r.status_code == 303 and r.headers["location"] == "/login?done=setup"
    assert client.get("/login/setup").status_code == 404  # only while no platform admin exists
    r = login(client, "root", STRONG)
    assert r.status_code == 303 and r.headers["location"].startswith("/login/enrol")
    assert client.get("/").status_code == 303  # no session before the second factor
    page = client.get(r.headers["location"])
    assert "data:image/png;base64," in page.text
    done, _secret = _enrol(client, page.text, clock)
    assert done.status_code == 200 and len(re.findall(r"<li>[0-9a-f]{6}-[0-9a-f]{6}</li>", done.text)) == 10
    assert client.get("/").status_code == 200  # signed in


def test_the_platform_admin_opens_an_organisation_through_the_form(env, mail):
    admin = logged_in(env, "admin")
    form = {
        "kind": "insured",
        "name": "杭州明远纺织有限公司",
        "insured_kind": "company",
        "uscc": "91330100MA2A0000X0",
        "admin_name": "许明",
        "admin_email": "xu@mingyuan.example.com",
    }
    r = post(admin, "/organisations/new", form)
    assert r.status_code == 422 and 'id="uscc-error"' in r.text and "杭州明远纺织有限公司" in r.text
    assert "校验码不符" in r.text  # the reason, in the page's language
    r = post(admin, "/organisations/new", {**form, "uscc": uscc("91330100MA2A0000X")})
    assert r.status_code == 303, r.text
    assert "机构已开通" in text_of(admin.get(r.headers["location"]))
    token = mailed_link(env, mail, "xu@mingyuan.example.com", "invitation")
    guest = new_browser(env)
    page = guest.get(f"/login/invitation/{token}")
    assert page.status_code == 200 and "杭州明远纺织有限公司" in page.text
    weak = guest.post(
        f"/login/invitation/{token}",
        data={
            "username": "xuming",
            "password": "password",
            "password_repeat": "password",
            "csrf_token": csrf_of(page.text),
        },
    )
    assert weak.status_code == 422 and 'id="password-error"' in weak.text
    ok = guest.post(
        f"/login/invitation/{token}",
        data={"username": "xuming", "password": STRONG, "password_repeat": STRONG, "csrf_token": csrf_of(weak.text)},
    )
    assert ok.status_code == 303 and ok.headers["location"] == "/login?done=joined"
    assert guest.get(f"/login/invitation/{token}").status_code == 410
    assert login(new_browser(env), "xuming", STRONG).headers["location"] == "/"  # an insured's admin: no TOTP asked


def test_signing_in_with_a_second_factor_asks_for_the_code(env):
    page = logged_in(env, "insurer2")
    started = post(page, "/account/totp/start")
    assert started.status_code == 200
    done, secret = _enrol(page, started.text, env.clock, "/account/totp/confirm")
    assert done.status_code == 200 and "recovery-codes" in done.text
    env.clock.advance(seconds=30)
    browser = new_browser(env)
    r = login(browser, "insurer2")
    assert r.headers["location"].startswith("/login/code")
    form = browser.get(r.headers["location"])
    wrong = browser.post("/login/code", data={"code": "12345", "csrf_token": csrf_of(form.text), "next": "/"})
    assert wrong.status_code == 401 and 'id="code-error"' in wrong.text
    right = browser.post(
        "/login/code",
        data={"code": pyotp.TOTP(secret).at(env.clock.now()), "csrf_token": csrf_of(wrong.text), "next": "/"},
    )
    assert right.status_code == 303 and browser.get("/account").status_code == 200
    history = browser.get("/account").text
    assert "登录成功" in history or "Signed in" in history


def test_password_reset_pages(env, mail):
    browser = new_browser(env)
    unknown = _form_post(browser, "/login/reset", {"login": "nobody@example.com"})
    known = _form_post(browser, "/login/reset", {"login": "insured3"})
    assert unknown.status_code == known.status_code == 200 and text_of(unknown) == text_of(known)
    token = mailed_link(env, mail, "insured3@demo.tandem.local", "reset")
    form = browser.get(f"/login/reset/{token}")
    r = browser.post(
        f"/login/reset/{token}",
        data={"new_password": STRONG, "password_repeat": "other", "csrf_token": csrf_of(form.text)},
    )
    assert r.status_code == 422 and 'id="password_repeat-error"' in r.text
    r = browser.post(
        f"/login/reset/{token}", data={"new_password": STRONG, "password_repeat": STRONG, "csrf_token": csrf_of(r.text)}
    )
    assert r.status_code == 303 and r.headers["location"] == "/login?done=reset"
    assert login(new_browser(env), "insured3", STRONG).status_code == 303
    assert login(new_browser(env), "insured3", DEMO_PASSWORD).status_code == 401


def test_an_org_admin_manages_people_on_their_pages(env, mail):
    broker = logged_in(env, "broker")
    risk = one(env, select(User.id).where(User.username == "risk"))
    outsider = one(env, select(User.id).where(User.username == "adjuster2"))
    assert broker.get(f"/users/{outsider}").status_code == 404
    page = broker.get(f"/users/{risk}")
    assert page.status_code == 200 and 'data-testid="login-history"' in page.text
    r = post(broker, f"/users/{risk}/roles", {})
    assert r.status_code == 422 and 'id="roles-error"' in r.text
    r = post(broker, f"/users/{risk}/roles", {"roles": ["broker_risk_evaluator", "broker_account_manager"]})
    assert r.status_code == 303
    risk_page = logged_in(env, "risk")
    r = post(broker, f"/users/{risk}/deactivate")
    assert r.status_code == 303
    assert risk_page.get("/account").status_code == 303  # the open session ended at once
    org = one(env, select(User.organisation_id).where(User.username == "broker"))
    r = post(
        broker,
        f"/organisations/{org}/invite",
        {"display_name": "新同事", "email": "bad", "roles": ["broker_risk_evaluator"]},
    )
    assert r.status_code == 422 and 'id="email-error"' in r.text
    r = post(
        broker,
        f"/organisations/{org}/invite",
        {"display_name": "新同事", "email": "new@hengxin.example.com", "roles": ["broker_risk_evaluator"]},
    )
    assert r.status_code == 303
    assert mailed_link(env, mail, "new@hengxin.example.com", "invitation")


def test_the_pages_speak_english_too(env):
    admin = logged_in(env, "admin")
    admin.cookies.set("tandem_lang", "en")
    assert "Open the organisation" in admin.get("/organisations/new").text
    assert "Login history" in admin.get("/account").text
    guest = new_browser(env)
    guest.cookies.set("tandem_lang", "en")
    assert "Reset your password" in guest.get("/login/reset").text
    assert "重置密码" in new_browser(env).get("/login/reset").text


def test_the_demo_shows_a_pending_invitation_and_a_login_history(env):
    from tandem import demo_onboarding

    with env.factory.begin() as s:
        demo_onboarding.load(s, env.settings, env.clock.now())
    broker = logged_in(env, "broker")
    org = one(env, select(User.organisation_id).where(User.username == "broker"))
    page = broker.get(f"/organisations/{org}")
    assert 'data-testid="pending-invitations"' in page.text and "sun.yue@hengxin.demo.tandem.local" in page.text
    assert "pending-invitations" not in logged_in(env, "risk").get(f"/organisations/{org}").text  # admins only
    history = text_of(broker.get("/account"))
    assert "密码错误" in history and "10.20.3.17" in history


def test_the_first_run_page_stays_closed_when_the_platform_admin_is_deactivated(env):
    from sqlalchemy import update

    with env.factory.begin() as s:
        s.execute(update(User).where(User.username == "admin").values(active=False))
    browser = new_browser(env)
    assert browser.get("/login/setup").status_code == 404
    assert browser.get("/login").status_code == 200  # the sign-in form, not the first-run page
