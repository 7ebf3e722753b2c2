"""Authentication: bearer tokens, throttling, expiry, CSRF for cookie sessions, and who sees what."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from sqlalchemy import select

from tandem.access import service as access_service
from tandem.access.models import LoginThrottle, Organisation, User
from tandem.db import unit_of_work
from tandem.demo import DEMO_PASSWORD
from tandem.policy.models import Policy

TOKEN = "/api/v1/auth/token"
BAD_CREDENTIALS = {"error": {"code": "auth.invalid_credentials", "message": "Wrong username or password."}}
THROTTLED = {"error": {"code": "auth.rate_limited", "message": "Too many attempts; try again later."}}
NOT_AUTHENTICATED = {"error": {"code": "auth.not_authenticated", "message": "Please log in."}}


def anon(env) -> TestClient:
    return env.client()


def test_token_good(env) -> None:
    r = anon(env).post(TOKEN, json={"username": "broker", "password": DEMO_PASSWORD})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "bearer"
    assert len(body["access_token"]) >= 32
    expires = dt.datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00"))
    assert expires == env.clock.now() + dt.timedelta(hours=env.settings.token_ttl_hours)
    me = anon(env).get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert (me.json()["username"], me.json()["organisation_kind"]) == ("broker", "broker")


def test_bad_credentials_bad_requests_and_missing_tokens(env) -> None:
    wrong = anon(env).post(TOKEN, json={"username": "broker", "password": "wrong-password"})
    unknown = anon(env).post(TOKEN, json={"username": "nobody", "password": DEMO_PASSWORD})
    for r in (wrong, unknown):  # a wrong password and an unknown user look the same
        assert r.status_code == 401
        assert r.headers["content-type"].startswith("application/json")
        assert r.json() == BAD_CREDENTIALS
    r = anon(env).post(TOKEN, json={"username": "broker"})
    assert r.status_code == 422
    assert "password" in r.json()["error"]["fields"]
    r = anon(env).post(TOKEN, json={"username": "broker", "password": DEMO_PASSWORD, "admin": True})
    assert r.status_code == 422
    assert anon(env).get("/api/v1/me").json() == NOT_AUTHENTICATED
    r = anon(env).get("/api/v1/policies", headers={"Authorization": "Bearer not-a-token"})
    assert r.status_code == 401 and r.json() == NOT_AUTHENTICATED


def test_an_account_backs_off_exponentially_instead_of_locking_out(env) -> None:
    """Past its free attempts an account waits 30 s, then 60 s, 120 s … (capped), even with the right
    password; attempts while it waits are not counted; after the wait the right password works."""
    c, limit, base = anon(env), env.settings.login_max_attempts, env.settings.login_backoff_seconds
    for _ in range(limit):
        assert c.post(TOKEN, json={"username": "risk", "password": "wrong-password"}).status_code == 401
    # The counter was committed although every attempt failed.
    with env.session() as s:
        rows = {r.key: r.failures for r in s.execute(select(LoginThrottle)).scalars()}
    assert rows["user:risk"] == limit
    waits = []
    for _ in range(9):
        r = c.post(TOKEN, json={"username": "risk", "password": DEMO_PASSWORD})
        assert r.status_code == 429 and r.json() == THROTTLED
        assert c.post(TOKEN, json={"username": "risk", "password": DEMO_PASSWORD}).status_code == 429
        waits.append(int(r.headers["Retry-After"]))
        env.clock.advance(seconds=waits[-1] - 1)
        assert c.post(TOKEN, json={"username": "risk", "password": DEMO_PASSWORD}).status_code == 429
        env.clock.advance(seconds=1)
        assert c.post(TOKEN, json={"username": "risk", "password": "wrong-password"}).status_code == 401
    assert waits == [base, 2 * base, 4 * base, 8 * base, 16 * base, 32 * base, 64 * base, 3600, 3600]
    env.clock.advance(seconds=3600)
    assert c.post(TOKEN, json={"username": "risk", "password": DEMO_PASSWORD}).status_code == 200
    # A success forgives the account: the next mistake is free again.
    assert c.post(TOKEN, json={"username": "risk", "password": "wrong-password"}).status_code == 401
    assert c.post(TOKEN, json={"username": "risk", "password": DEMO_PASSWORD}).status_code == 200


def test_a_quiet_day_forgives_an_account(env) -> None:
    c, limit = anon(env), env.settings.login_max_attempts
    for _ in range(limit + 3):
        env.clock.advance(seconds=env.settings.login_backoff_max_seconds)
        assert c.post(TOKEN, json={"username": "risk", "password": "wrong-password"}).status_code == 401
    env.clock.advance(hours=env.settings.login_forget_hours)
    for _ in range(limit):
        assert c.post(TOKEN, json={"username": "risk", "password": "wrong-password"}).status_code == 401
    assert c.post(TOKEN, json={"username": "risk", "password": DEMO_PASSWORD}).status_code == 429


def from_address(env, host: str) -> TestClient:
    return TestClient(env.app, base_url="https://testserver", raise_server_exceptions=False, client=(host, 40000))


def test_throttle_counts_per_username_in_any_letter_case_from_any_address(env) -> None:
    limit = env.settings.login_max_attempts
    for i in range(limit):
        with from_address(env, f"10.0.0.{i + 1}") as c:
            name = "Risk" if i % 2 else "RISK"
            assert c.post(TOKEN, json={"username": name, "password": "wrong"}).status_code == 401
    with from_address(env, "10.0.1.1") as c:
        assert c.post(TOKEN, json={"username": "risk", "password": DEMO_PASSWORD}).status_code == 429
        # other users from a fresh address are not affected
        assert c.post(TOKEN, json={"username": "broker", "password": DEMO_PASSWORD}).status_code == 200


def test_failures_from_one_address_do_not_lock_out_the_accounts_behind_it(env) -> None:
    """Five failures from one address (an office behind one NAT) used to lock out everybody there. The
    address has its own, larger allowance and then backs off; other addresses are never affected."""
    limit, per_address = env.settings.login_max_attempts, env.settings.login_address_max_attempts
    with from_address(env, "10.9.9.9") as c:
        for i in range(limit):
            assert c.post(TOKEN, json={"username": f"guess{i}", "password": "wrong"}).status_code == 401
        assert c.post(TOKEN, json={"username": "broker", "password": DEMO_PASSWORD}).status_code == 200
        for i in range(limit, per_address):
            assert c.post(TOKEN, json={"username": f"guess{i}", "password": "wrong"}).status_code == 401
        r = c.post(TOKEN, json={"username": "broker", "password": DEMO_PASSWORD})
        assert r.status_code == 429 and int(r.headers["Retry-After"]) == env.settings.login_backoff_seconds
    with from_address(env, "10.9.9.10") as c:
        assert c.post(TOKEN, json={"username": "broker", "password": DEMO_PASSWORD}).status_code == 200
    env.clock.advance(seconds=env.settings.login_backoff_seconds)
    with from_address(env, "10.9.9.9") as c:
        assert c.post(TOKEN, json={"username": "broker", "password": DEMO_PASSWORD}).status_code == 200


def test_a_successful_login_resets_the_username_counter(env) -> None:
    c, limit = anon(env), env.settings.login_max_attempts
    for _ in range(limit - 1):
        c.post(TOKEN, json={"username": "insured3", "password": "wrong"})
    assert c.post(TOKEN, json={"username": "insured3", "password": DEMO_PASSWORD}).status_code == 200
    with env.session() as s:
        row = s.execute(select(LoginThrottle).where(LoginThrottle.key == "user:insured3")).scalar_one()
    assert row.failures == 0


def test_expired_token_is_401(env) -> None:
    c = env.client("broker")
    env.clock.advance(hours=env.settings.token_ttl_hours, seconds=-1)
    assert c.get("/api/v1/me").status_code == 200
    env.clock.advance(seconds=1)
    r = c.get("/api/v1/me")
    assert r.status_code == 401
    assert r.json() == NOT_AUTHENTICATED


def test_web_session_token_is_not_a_bearer_token_and_vice_versa(env) -> None:
    web = _web_session(env, "broker")
    bearer = anon(env).get("/api/v1/me", headers={"Authorization": f"Bearer {web.cookies['tandem_session']}"})
    assert bearer.status_code == 401
    api_token = env.client("broker").headers["Authorization"].split(" ", 1)[1]
    c = TestClient(env.app, base_url="https://testserver", raise_server_exceptions=False)
    c.cookies.set("tandem_session", api_token)
    assert c.get("/api/v1/me").status_code == 401
    c.close()


def _web_session(env, username: str) -> TestClient:
    with unit_of_work(env.factory) as s:
        user = s.execute(select(User).where(User.username == username)).scalar_one()
        token, row = access_service.issue_token(s, env.settings, user, now=env.clock.now(), kind="web")
        csrf = row.csrf_token
    c = TestClient(env.app, base_url="https://testserver", raise_server_exceptions=False)
    c.cookies.set("tandem_session", token)
    c.csrf = csrf  # type: ignore[attr-defined]
    return c


def test_cookie_session_api_write_needs_the_csrf_header(env) -> None:
    c = _web_session(env, "broker")
    with env.session() as s:
        policy = s.execute(select(Policy).where(Policy.number == "PQC2026330100003")).scalar_one()
    assert c.get(f"/api/v1/policies/{policy.id}").status_code == 200  # reads need no token
    url = f"/api/v1/policies/{policy.id}/actions"
    for headers in ({}, {"X-CSRF-Token": "forged"}, {"X-CSRF-Token": ""}):
        r = c.post(url, json={"action": "cancel", "reason": "csrf"}, headers=headers)
        assert r.status_code == 403, r.text
        assert r.json()["error"]["code"] == "auth.csrf_failed"
    with env.session() as s:
        assert s.get(Policy, policy.id).status.value == "in_force"
    r = c.post(url, json={"action": "cancel", "reason": "csrf"}, headers={"X-CSRF-Token": c.csrf})  # type: ignore[attr-defined]
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "cancelled"
    c.close()


# ---- who sees which policies ----------------------------------------------------------------------

P1, P2, P3 = "PQC2026330400001", "PCA2026441900002", "PQC2026330100003"
VISIBLE_POLICIES = {
    "admin": [P2, P3, P1],
    "broker": [P2, P3, P1],
    "risk": [P2, P3, P1],
    "broker2": [P2, P3, P1],  # the second account manager and risk evaluator (neutrality appeals)
    "risk2": [P2, P3, P1],
    "insurer1": [P3, P1],
    "underwriter1": [P3, P1],
    "insurer2": [P2],
    "underwriter2": [P2],  # the second insurer's underwriter (products)
    "insured1": [P1],
    "insured2": [P2],
    "insured3": [P3],
    "adjuster1": [P1],
    "adjuster2": [P1],  # designated adjuster 王建国 is in firm A
    "adjuster3": [],
    # every practitioner has a login: 华信's other staff (adjuster4…10) see P1 like their firm, 正衡's and
    # 粤安's (adjuster11…14) nothing
    **{f"adjuster{n}": [P1] for n in range(4, 11)},
    **{f"adjuster{n}": [] for n in range(11, 15)},
    "regulator": [],
}


def test_each_user_sees_only_their_own_organisations_policies(env) -> None:
    with env.session() as s:
        orgs = {u.username: (u.organisation_id, u.organisation.kind.value) for u in s.execute(select(User)).scalars()}
        all_numbers = sorted(s.execute(select(Policy.number)).scalars())
    assert sorted(VISIBLE_POLICIES) == sorted(orgs)
    for username, expected in VISIBLE_POLICIES.items():
        r = env.client(username).get("/api/v1/policies")
        assert r.status_code == 200, (username, r.text)
        items = r.json()["items"]
        assert [p["number"] for p in items] == sorted(expected), username
        org_id, kind = orgs[username]
        for p in items:
            if kind == "insured":
                assert p["insured"]["id"] == str(org_id)
            elif kind == "insurer":
                assert p["insurer"]["id"] == str(org_id)
            elif kind == "broker":
                assert p["broker"]["id"] == str(org_id)
        # and the detail of every other policy is a 404
        with env.session() as s:
            ids = dict(s.execute(select(Policy.number, Policy.id)).all())
        for number in set(all_numbers) - set(expected):
            assert env.client(username).get(f"/api/v1/policies/{ids[number]}").status_code == 404, (username, number)


# ---- personal identifiers -------------------------------------------------------------------------

COMPANY1 = "嘉兴鑫达电子科技有限公司"
PERSON = "杨慧敏"


def _identifiers(env) -> dict[str, tuple[str, str]]:
    from tandem.party.models import Insured

    with env.session() as s:
        rows = s.execute(
            select(Organisation.name, Insured.uscc, Insured.id_number, Insured.contact_phone).join(
                Insured, Insured.organisation_id == Organisation.id
            )
        ).all()
    return {name: ((uscc or idn), phone) for name, uscc, idn, phone in rows}


def _masked(ident: str, phone: str) -> tuple[str, str]:
    """A company's USCC is no personal identifier and stays whole for those who see it; an ID number and
    a phone number are masked for everyone (shown in full only on a logged request, tandem.party.reveal)."""
    return (ident if len(ident) == 18 and not ident[:17].isdigit() else ident[:6] + "*" * 8 + ident[-4:]), (
        phone[:3] + "****" + phone[-4:]
    )


def test_the_insured_and_the_broker_see_identifiers_masked_and_may_ask_for_them(env) -> None:
    full = _identifiers(env)
    for user, name in (("insured1", COMPANY1), ("insured3", PERSON)):
        (item,) = env.client(user).get("/api/v1/insureds").json()
        assert item["name"] == name
        assert (item["identifier"], item["contact_phone"]) == _masked(*full[name])
        assert "contact_phone" in item["revealable"]
    assert full[COMPANY1][0] == env.client("insured1").get("/api/v1/insureds").json()[0]["identifier"]
    items = env.client("broker").get("/api/v1/insureds").json()
    assert {i["name"]: (i["identifier"], i["contact_phone"]) for i in items} == {
        n: _masked(*v) for n, v in full.items()
    }
    kinds = {i["name"]: i["identifier_type"] for i in items}
    assert kinds[COMPANY1] == "uscc" and kinds[PERSON] == "id_number"
    revealable = {i["name"]: i["revealable"] for i in items}
    assert revealable[PERSON] == ["id_number", "contact_phone"] and revealable[COMPANY1] == ["contact_phone"]


def test_adjusters_and_regulator_never_receive_a_full_identifier(env) -> None:
    full = _identifiers(env)
    for user in ("adjuster1", "adjuster3", "regulator"):
        c = env.client(user)
        r = c.get("/api/v1/insureds")
        assert r.status_code == 200 and r.json() == [], user
        blob = r.text + c.get("/api/v1/policies").text + c.get("/api/v1/organisations").text
        for ident, phone in full.values():
            assert ident not in blob and phone not in blob, user


def test_the_insured_view_masks_for_viewers_without_the_permission() -> None:
    """The read model itself: adjusters and regulator viewers get masked values (used wherever they see one)."""
    import uuid

    from tandem.access.actor import Actor
    from tandem.access.models import OrgKind, Role
    from tandem.party import views
    from tandem.party.models import Insured, InsuredKind

    org = Organisation(id=uuid.uuid4(), kind=OrgKind.INSURED, name=COMPANY1)
    company = Insured(
        organisation_id=org.id, kind=InsuredKind.COMPANY, uscc="91330402MA2BCT5R1X", contact_phone="13957312345"
    )
    company.organisation = org
    person_org = Organisation(id=uuid.uuid4(), kind=OrgKind.INSURED, name=PERSON)
    person = Insured(
        organisation_id=person_org.id,
        kind=InsuredKind.PERSON,
        id_number="11010519491231002X",
        contact_phone="13605718899",
    )
    person.organisation = person_org

    def actor(kind: OrgKind, role: Role, org_id: uuid.UUID | None = None) -> Actor:
        return Actor(uuid.uuid4(), org_id or uuid.uuid4(), kind, "x", "x", "x", frozenset({role}))

    for viewer in (
        actor(OrgKind.ADJUSTER_FIRM, Role.ADJUSTER),
        actor(OrgKind.ADJUSTER_FIRM, Role.ADJUSTER_FIRM_ADMIN),
        actor(OrgKind.SUPERVISION, Role.REGULATOR_VIEWER),
    ):
        out = views.insured_out(viewer, company)
        assert (out.identifier, out.contact_phone) == ("9133**********5R1X", "139****2345")
        out = views.insured_out(viewer, person)
        assert (out.identifier, out.contact_phone) == ("110105********002X", "136****8899")
    for viewer in (
        actor(OrgKind.BROKER, Role.BROKER_ACCOUNT_MANAGER),
        actor(OrgKind.INSURED, Role.INSURED_CONTACT, org.id),
        actor(OrgKind.PLATFORM, Role.PLATFORM_ADMIN),
    ):
        assert views.insured_out(viewer, company).identifier == "91330402MA2BCT5R1X"
    # another insured is not the owner: masked
    assert views.insured_out(actor(OrgKind.INSURED, Role.INSURED_CONTACT), company).identifier == "9133**********5R1X"


def test_adjuster_id_numbers_are_masked_and_revealable_by_their_own_firm_only(env) -> None:
    def by_name(user: str) -> dict[str, tuple[str | None, list[str]]]:
        items = env.client(user).get("/api/v1/adjusters?limit=200").json()["items"]
        return {a["name"]: (a["id_number"], a["revealable"]) for a in items}

    own, revealable = by_name("adjuster1")["王建国"]
    assert own is not None and own.count("*") == 8 and len(own) == 18 and revealable == ["id_number"]
    for user in ("broker", "insurer1", "regulator"):
        assert by_name(user)["王建国"] == (own, []), user
    assert "王建国" not in by_name("adjuster3")
