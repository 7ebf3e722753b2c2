"""Accounts (issue 11 items 7 and 9): the password policy, changing one's password, listing and revoking
one's sessions and API tokens, and deactivation revoking them."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tandem import demo
from tandem.access import passwords
from tandem.access.models import ApiToken, LoginThrottle, User
from tandem.audit import service as audit
from tandem.demo import DEMO_PASSWORD
from tests.helpers import logged_in

TOKEN = "/api/v1/auth/token"
STRONG = "violet-harbour-42"


def bearer(env, username: str, password: str = DEMO_PASSWORD) -> TestClient:
    c = TestClient(env.app, base_url="https://testserver", raise_server_exceptions=False)
    r = c.post(TOKEN, json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    c.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
    return c


def new_user(**over: object) -> dict[str, object]:
    body: dict[str, object] = {
        "username": "zhao.lei",
        "display_name": "赵磊",
        "password": STRONG,
        "roles": ["adjuster"],
        "email": "lei.zhao@example.com",
    }
    body.update(over)
    return body


# ---- the policy (item 7) ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("1234567", passwords.TOO_SHORT),
        ("1qaz2wsx3edc", passwords.COMMON),
        ("12345678", passwords.COMMON),
        ("password", passwords.COMMON),
        ("Password", passwords.COMMON),
        ("iloveyou", passwords.COMMON),
        ("zhao.lei", passwords.OWN_NAME),  # the username itself
        ("Zhao.Lei.2026", passwords.OWN_NAME),
        ("lei.zhao#secret", passwords.OWN_NAME),  # the e-mail address's local part
        ("赵磊的密码很长很长", passwords.OWN_NAME),
        ("Password1!", passwords.GUESSABLE),
        ("Summer2026!", passwords.GUESSABLE),
        ("woaini1314", passwords.GUESSABLE),
    ],
)
def test_a_new_user_with_a_common_or_own_name_password_is_422_naming_the_field(env, password: str, why: str) -> None:
    r = env.client("adjuster1").post("/api/v1/users", json=new_user(password=password))
    assert r.status_code == 422, r.text
    assert r.json()["error"]["fields"] == {"password": why}
    with env.session() as s:
        assert s.execute(select(User).where(User.username == "zhao.lei")).scalar_one_or_none() is None


def test_a_strong_password_is_accepted_and_works(env) -> None:
    r = env.client("adjuster1").post("/api/v1/users", json=new_user())
    assert r.status_code == 201, r.text
    assert bearer(env, "zhao.lei", STRONG).get("/api/v1/me").json()["username"] == "zhao.lei"


def test_the_demo_password_meets_the_policy_for_every_demo_user(env) -> None:
    """tandem-demo is not special-cased: it passes the same check for each demo user it is given to."""
    with env.session() as s:
        users = list(s.execute(select(User)).scalars())
    assert len(users) >= 10
    for u in users:
        assert passwords.problem(demo.DEMO_PASSWORD, own=[u.username, u.display_name, u.email]) is None, u.username


# ---- changing one's password (item 7) ----------------------------------------------------------------


def test_changing_the_password_needs_the_current_one_and_revokes_every_other_session(env) -> None:
    here, other = bearer(env, "insured2"), bearer(env, "insured2")
    page = logged_in(env, "insured2")
    assert page.get("/").status_code == 200
    r = here.post("/api/v1/me/password", json={"current_password": "wrong-password", "new_password": STRONG})
    assert r.status_code == 422 and r.json()["error"]["fields"] == {
        "current_password": "The current password is not right."
    }
    with env.session() as s:  # the wrong guess counts against the login throttle
        assert s.execute(select(LoginThrottle.failures).where(LoginThrottle.key == "user:insured2")).scalar_one() == 1
    r = here.post("/api/v1/me/password", json={"current_password": DEMO_PASSWORD, "new_password": "insured2-pass"})
    assert r.status_code == 422 and r.json()["error"]["fields"] == {"new_password": passwords.OWN_NAME}
    r = here.post("/api/v1/me/password", json={"current_password": DEMO_PASSWORD, "new_password": DEMO_PASSWORD})
    assert r.status_code == 422 and list(r.json()["error"]["fields"]) == ["new_password"]
    assert other.get("/api/v1/me").status_code == 200  # nothing changed yet

    r = here.post("/api/v1/me/password", json={"current_password": DEMO_PASSWORD, "new_password": STRONG})
    assert r.status_code == 204, r.text
    assert here.get("/api/v1/me").status_code == 200  # the session that changed it stays
    assert other.get("/api/v1/me").status_code == 401  # every other API token is revoked …
    assert page.get("/").status_code == 303  # … and every browser session
    assert env.client().post(TOKEN, json={"username": "insured2", "password": DEMO_PASSWORD}).status_code == 401
    assert env.client().post(TOKEN, json={"username": "insured2", "password": STRONG}).status_code == 200
    with env.session() as s:
        user = s.execute(select(User).where(User.username == "insured2")).scalar_one()
        (ev,) = [e for e in audit.events_for_entity(s, "user", user.id) if e.action == "user.password_changed"]
        assert ev.after == {"sessions_revoked": 2}
        assert audit.verify(s) == []


def test_a_throttled_account_cannot_guess_through_the_change_form(env) -> None:
    here = bearer(env, "insured3")
    for _ in range(env.settings.login_max_attempts):
        r = here.post("/api/v1/me/password", json={"current_password": "wrong-password", "new_password": STRONG})
        assert r.status_code == 422
    r = here.post("/api/v1/me/password", json={"current_password": DEMO_PASSWORD, "new_password": STRONG})
    assert r.status_code == 429 and int(r.headers["Retry-After"]) == env.settings.login_backoff_seconds


# ---- sessions and API tokens (item 9) ----------------------------------------------------------------


def test_list_and_revoke_ones_own_tokens(env) -> None:
    a, b = bearer(env, "broker"), bearer(env, "broker")
    page = logged_in(env, "broker")
    listed = a.get("/api/v1/me/tokens")
    assert listed.status_code == 200
    items = listed.json()
    assert sorted(t["kind"] for t in items) == ["api", "api", "web"]
    assert [t["current"] for t in items].count(True) == 1
    assert not any(k in t for t in items for k in ("token", "token_hash", "access_token", "csrf_token"))
    assert set(items[0]) == {"id", "kind", "created_at", "expires_at", "current"}
    b_id = next(t["id"] for t in b.get("/api/v1/me/tokens").json() if t["current"])
    web_id = next(t["id"] for t in items if t["kind"] == "web")
    # another user's token is not found, like a missing one
    other = bearer(env, "risk")
    assert other.delete(f"/api/v1/me/tokens/{b_id}").status_code == 404
    assert other.delete("/api/v1/me/tokens/not-an-id").status_code == 404
    assert b.get("/api/v1/me").status_code == 200
    assert a.delete(f"/api/v1/me/tokens/{b_id}").status_code == 204
    assert b.get("/api/v1/me").status_code == 401  # at once, not at the 12 h expiry
    assert a.delete(f"/api/v1/me/tokens/{b_id}").status_code == 404  # already revoked
    assert a.delete(f"/api/v1/me/tokens/{web_id}").status_code == 204
    assert page.get("/").status_code == 303
    assert [t["kind"] for t in a.get("/api/v1/me/tokens").json()] == ["api"]


def test_deactivating_a_user_revokes_their_sessions_and_tokens(env) -> None:
    victim = bearer(env, "adjuster2")
    with env.session() as s:
        uid = s.execute(select(User.id).where(User.username == "adjuster2")).scalar_one()
    assert env.client("adjuster3").post(f"/api/v1/users/{uid}/deactivate").status_code == 404  # another firm
    assert env.client("adjuster2").post(f"/api/v1/users/{uid}/deactivate").status_code == 403
    r = env.client("adjuster1").post(f"/api/v1/users/{uid}/deactivate")
    assert r.status_code == 200 and r.json()["active"] is False
    with env.session() as s:
        rows = list(s.execute(select(ApiToken).where(ApiToken.user_id == uid)).scalars())
        assert rows and all(t.revoked_at is not None for t in rows)
    assert victim.get("/api/v1/me").status_code == 401
    assert env.client().post(TOKEN, json={"username": "adjuster2", "password": DEMO_PASSWORD}).status_code == 401


# ---- the account page ---------------------------------------------------------------------------------


def _form(client: TestClient, current: str, new: str, **headers: str):
    from tests.helpers import csrf_of

    token = csrf_of(client.get("/account").text)
    return client.post(
        "/account/password",
        data={"csrf_token": token, "current_password": current, "new_password": new},
        headers=headers,
    )


def test_the_account_page_changes_the_password_with_errors_beside_the_fields(env) -> None:
    from tests.helpers import logged_in

    page, other = logged_in(env, "insured3"), logged_in(env, "insured3")
    api = bearer(env, "insured3")
    r = _form(page, "wrong-password", STRONG)
    assert r.status_code == 422
    assert 'id="current_password-error">当前密码不正确。' in r.text
    r = _form(page, DEMO_PASSWORD, "12345678")
    assert r.status_code == 422 and 'id="new_password-error">这是最常见的密码之一，请换一个。' in r.text
    r = _form(page, DEMO_PASSWORD, "insured3-pass")
    assert r.status_code == 422 and 'id="new_password-error">密码不能包含您的用户名、姓名或电子邮件地址。' in r.text
    r = _form(page, DEMO_PASSWORD, "")
    assert r.status_code == 422 and 'id="new_password-error">' in r.text
    page.cookies.set("tandem_lang", "en")
    r = _form(page, DEMO_PASSWORD, "Summer2026!")
    assert r.status_code == 422
    assert 'id="new_password-error">This password is easy to guess; a few unrelated words make a strong one.' in r.text
    page.cookies.delete("tandem_lang")
    assert other.get("/").status_code == 200 and api.get("/api/v1/me").status_code == 200

    r = _form(page, DEMO_PASSWORD, STRONG)
    assert r.status_code == 303 and r.headers["location"] == "/account?done=password"
    done = page.get(r.headers["location"])
    assert "密码已修改。您的其他会话和 API 令牌已结束。" in done.text
    assert other.get("/").status_code == 303  # the other browser is logged out
    assert api.get("/api/v1/me").status_code == 401


def test_the_account_page_lists_and_ends_sessions(env) -> None:
    from tests.helpers import csrf_of, logged_in

    page, other = logged_in(env, "insurer2"), logged_in(env, "insurer2")
    api = bearer(env, "insurer2")
    text = page.get("/account").text
    assert text.count("/revoke") == 2  # the two others; not this one
    assert "本会话" in text and "API 令牌" in text and "浏览器会话" in text
    api_id = next(t["id"] for t in api.get("/api/v1/me/tokens").json() if t["current"])
    token = csrf_of(text)
    r = page.post(f"/account/tokens/{api_id}/revoke", data={"csrf_token": token})
    assert r.status_code == 303
    assert api.get("/api/v1/me").status_code == 401
    assert other.get("/").status_code == 200
    # another user's session cannot be ended from here
    stranger = logged_in(env, "insurer1")
    web_id = next(
        t["id"] for t in bearer(env, "insurer2", DEMO_PASSWORD).get("/api/v1/me/tokens").json() if t["kind"] == "web"
    )
    r = stranger.post(f"/account/tokens/{web_id}/revoke", data={"csrf_token": csrf_of(stranger.get("/account").text)})
    assert r.status_code == 404
    assert other.get("/").status_code == 200
