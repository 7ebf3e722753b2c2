"""Starting from nothing (issue 19 item 1), through the API: the platform admin opens organisations with
checked identifiers and invites their first administrators; administrators invite, give and take roles
and deactivate; one-time links for invitations and password resets arrive through a real SMTP server;
the second factor (TOTP) and the login history."""

from __future__ import annotations

import pyotp
import pytest
from sqlalchemy import select

from tandem.access.models import AccessLink, LoginEvent, User
from tandem.audit.models import AuditEvent
from tandem.demo import DEMO_PASSWORD, id_no, uscc
from tandem.kit.ids import id_check_char
from tests.helpers import _ok, logged_in, mailed_link, mailed_links, org

STRONG = "quiet harbour lantern 42"
BROKER_USCC = uscc("91310000MA7X2Q9K1")
WRONG_ID = "33010619850512003" + ("1" if id_check_char("33010619850512003") != "1" else "2")  # bad check digit


@pytest.fixture
def mail(env, smtp):
    sink, port = smtp
    env.settings.smtp_port = port
    return sink


def _broker(env, **over):
    body = {
        "kind": "broker",
        "name": "安泰保险经纪有限公司",
        "uscc": BROKER_USCC,
        "region": "上海",
        "admin_email": "chief@antai.example.com",
        "admin_name": "钟文",
        **over,
    }
    return env.client("admin").post("/api/v1/organisations", json=body)


def _accept(env, token, username, password=STRONG):
    return env.client().post(
        "/api/v1/invitations/accept", json={"token": token, "username": username, "password": password}
    )


def _token(env, username, password=STRONG, **extra):
    return env.client().post("/api/v1/auth/token", json={"username": username, "password": password, **extra})


def _events(env, action):
    with env.session() as s:
        return list(s.execute(select(AuditEvent).where(AuditEvent.action == action)).scalars())


def test_the_platform_admin_opens_a_broker_whose_invited_admin_must_enrol_in_totp(env, mail):
    created = _ok(_broker(env), 201)
    assert created["organisation"]["kind"] == "broker"
    assert created["invitation"]["roles"] == ["org_admin"]
    assert _events(env, "organisation.created")[-1].after["uscc"] == BROKER_USCC
    token = mailed_link(env, mail, "chief@antai.example.com", "invitation")
    user = _ok(_accept(env, token, "zhongwen"), 201)
    assert user["roles"] == ["org_admin"] and user["email"] == "chief@antai.example.com"
    # a broker's administrator gets no token until the second factor is set up
    r = _token(env, "zhongwen")
    assert r.status_code == 403 and r.json()["error"]["code"] == "auth.totp_enrolment_required"
    # the link worked once
    assert _accept(env, token, "zhongwen2").status_code == 410


@pytest.mark.parametrize(
    ("over", "field", "status"),
    [
        ({"uscc": BROKER_USCC[:17] + ("0" if BROKER_USCC[17] != "0" else "1")}, "uscc", 422),  # check character
        ({"uscc": None}, "uscc", 422),
        ({"kind": "platform"}, "kind", 422),
        ({"admin_email": "not-an-address"}, "admin_email", 422),
        ({"name": "恒信保险经纪有限公司"}, "name", 409),  # the demo broker's
        ({"uscc": uscc("91310000MA1K3B7X2")}, "uscc", 409),  # the demo broker's USCC
        ({"kind": "insured", "insured_kind": "person", "id_number": WRONG_ID}, "id_number", 422),
        ({"kind": "insured", "insured_kind": "person", "uscc": None}, "id_number", 422),
        ({"kind": "adjuster_firm", "legal_form": "company"}, "capital", 422),
        ({"kind": "adjuster_firm", "capital": "5000000"}, "legal_form", 422),
        (
            {"kind": "insured", "insured_kind": "company", "broker_id": "00000000-0000-0000-0000-000000000007"},
            "broker_id",
            422,
        ),
    ],
)
def test_a_bad_organisation_is_refused_naming_the_field_and_nothing_is_written(env, over, field, status):
    with env.session() as s:
        before = s.execute(select(AccessLink)).all()
    r = _broker(env, **over)
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert field in error["fields"], error
    with env.session() as s:
        assert s.execute(select(AccessLink)).all() == before
        assert s.execute(select(User).where(User.email == "chief@antai.example.com")).first() is None


def test_organisations_of_every_kind_with_their_records(env, mail):
    admin = env.client("admin")
    broker_id = org(env, "恒信保险经纪有限公司")
    kinds = [
        {
            "kind": "adjuster_firm",
            "name": "明鉴保险公估有限公司",
            "uscc": uscc("91310115MA7B3C4D5"),
            "legal_form": "company",
            "capital": "5000000",
        },
        {"kind": "insurer", "name": "安和财产保险股份有限公司", "uscc": uscc("91110000MA00ABCD1")},
        {
            "kind": "insured",
            "name": "宁波港联物流有限公司",
            "insured_kind": "company",
            "uscc": uscc("91330200MA2H4K5L6"),
            "broker_id": broker_id,
        },
        {
            "kind": "insured",
            "name": "林晓",
            "insured_kind": "person",
            "id_number": id_no("33010619850512003"),
            "broker_id": broker_id,
        },
        {"kind": "supervision", "name": "国家金融监督管理总局浙江监管局"},
    ]
    made = []
    for n, body in enumerate(kinds):
        body = {**body, "admin_email": f"admin{n}@example.com", "admin_name": f"管理员{n}"}
        made.append(_ok(admin.post("/api/v1/organisations", json=body), 201))
    assert [m["invitation"]["roles"] for m in made] == [
        ["adjuster_firm_admin"],
        ["org_admin"],
        ["org_admin"],
        ["org_admin"],
        ["org_admin"],
    ]
    firm = _ok(admin.get(f"/api/v1/adjuster-firms/{made[0]['organisation']['id']}"))
    assert firm["filing_status"] == "pending"  # not filed yet: never routed work
    person = _ok(admin.get(f"/api/v1/insureds/{made[3]['organisation']['id']}"))
    assert person["kind"] == "person"
    # each first administrator got their own link
    assert {k for k, _t in mailed_links(env, mail, "admin4@example.com")} == {"invitation"}


def test_only_the_platform_admin_opens_organisations(env):
    r = env.client("broker").post(
        "/api/v1/organisations",
        json={
            "kind": "insurer",
            "name": "某保险",
            "uscc": uscc("91110000MA00ABCD1"),
            "admin_email": "a@b.cn",
            "admin_name": "甲",
        },
    )
    assert r.status_code == 403


def test_an_org_admin_invites_and_the_link_expires(env, mail):
    broker_org = org(env, "恒信保险经纪有限公司")
    body = {"email": "new.hand@hengxin.example.com", "display_name": "贺新", "roles": ["broker_risk_evaluator"]}
    _ok(env.client("broker").post(f"/api/v1/organisations/{broker_org}/invitations", json=body), 201)
    token = mailed_link(env, mail, "new.hand@hengxin.example.com", "invitation")
    # a weak password is refused beside its field and leaves the link usable
    r = _accept(env, token, "hexin", "password")
    assert r.status_code == 422 and "password" in r.json()["error"]["fields"]
    env.clock.advance(hours=env.settings.invite_ttl_hours + 1)
    assert _accept(env, token, "hexin").status_code == 410
    assert _events(env, "user.invited")


def test_an_org_admin_cannot_touch_another_organisations_people(env):
    insured_org = org(env, "嘉兴鑫达电子科技有限公司")
    body = {"email": "x@example.com", "display_name": "某人", "roles": ["insured_contact"]}
    assert env.client("broker").post(f"/api/v1/organisations/{insured_org}/invitations", json=body).status_code == 404
    with env.session() as s:
        insured2 = str(s.execute(select(User.id).where(User.username == "insured2")).scalar_one())
        risk = str(s.execute(select(User.id).where(User.username == "risk")).scalar_one())
    broker = env.client("broker")
    assert broker.put(f"/api/v1/users/{insured2}/roles", json={"roles": ["insured_contact"]}).status_code == 404
    assert broker.post(f"/api/v1/users/{insured2}/deactivate").status_code == 404
    assert broker.get(f"/api/v1/users/{insured2}/logins").status_code == 404
    # a colleague without the administrator's role may not manage people (403)
    assert (
        env.client("risk").put(f"/api/v1/users/{risk}/roles", json={"roles": ["broker_account_manager"]}).status_code
        == 403
    )


def test_roles_are_given_and_taken_and_an_organisation_keeps_an_admin(env):
    with env.session() as s:
        risk = str(s.execute(select(User.id).where(User.username == "risk")).scalar_one())
        me = str(s.execute(select(User.id).where(User.username == "broker")).scalar_one())
    broker = env.client("broker")
    out = _ok(
        broker.put(f"/api/v1/users/{risk}/roles", json={"roles": ["broker_risk_evaluator", "broker_account_manager"]})
    )
    assert out["roles"] == ["broker_account_manager", "broker_risk_evaluator"]
    assert _ok(env.client("risk").get("/api/v1/me"))["roles"] == ["broker_account_manager", "broker_risk_evaluator"]
    event = _events(env, "user.roles_changed")[-1]
    assert event.before == {"roles": ["broker_risk_evaluator"]}
    r = broker.put(f"/api/v1/users/{risk}/roles", json={"roles": ["adjuster"]})
    assert r.status_code == 422 and "roles" in r.json()["error"]["fields"]
    # the only administrator cannot take their own role away
    r = broker.put(f"/api/v1/users/{me}/roles", json={"roles": ["broker_account_manager"]})
    assert r.status_code == 409
    _ok(broker.put(f"/api/v1/users/{risk}/roles", json={"roles": ["org_admin"]}))
    _ok(broker.put(f"/api/v1/users/{me}/roles", json={"roles": ["broker_account_manager"]}))


def test_a_deactivated_users_open_session_and_api_token_are_refused_at_once(env):
    page = logged_in(env, "adjuster2")
    api = env.client("adjuster2")
    assert page.get("/account").status_code == 200 and api.get("/api/v1/me").status_code == 200
    with env.session() as s:
        uid = str(s.execute(select(User.id).where(User.username == "adjuster2")).scalar_one())
    _ok(env.client("adjuster1").post(f"/api/v1/users/{uid}/deactivate"))
    assert api.get("/api/v1/me").status_code == 401
    r = page.get("/account")
    assert r.status_code in (302, 303, 401) and "/login" in r.headers.get("location", "/login")
    assert _events(env, "user.deactivated")[-1].after["sessions_revoked"] >= 2


def test_password_reset_by_mailed_link_without_account_enumeration(env, mail):
    old = env.client("insured2")
    asked = env.client().post("/api/v1/auth/password-reset", json={"login": "insured2@demo.tandem.local"})
    nobody = env.client().post("/api/v1/auth/password-reset", json={"login": "nobody@example.com"})
    assert asked.status_code == nobody.status_code == 202 and asked.content == nobody.content
    token = mailed_link(env, mail, "insured2@demo.tandem.local", "reset")
    r = env.client().post("/api/v1/auth/password-reset/confirm", json={"token": token, "new_password": "insured2 x"})
    assert r.status_code == 422 and "new_password" in r.json()["error"]["fields"]
    confirm = {"token": token, "new_password": STRONG}
    assert env.client().post("/api/v1/auth/password-reset/confirm", json=confirm).status_code == 204
    assert old.get("/api/v1/me").status_code == 401  # every session and token ended
    assert _token(env, "insured2").status_code == 200
    assert env.client().post("/api/v1/auth/password-reset/confirm", json=confirm).status_code == 410  # once
    # a second request within minutes sends nothing more; a link past its hour is refused
    env.client().post("/api/v1/auth/password-reset", json={"login": "insured3"})
    env.client().post("/api/v1/auth/password-reset", json={"login": "insured3"})
    tokens = [t for k, t in mailed_links(env, mail, "insured3@demo.tandem.local") if k == "reset"]
    assert len(tokens) == 1
    env.clock.advance(minutes=env.settings.reset_ttl_minutes + 1)
    late = {"token": tokens[0], "new_password": STRONG}
    assert env.client().post("/api/v1/auth/password-reset/confirm", json=late).status_code == 410


def test_totp_enrolment_codes_once_and_recovery_codes(env):
    client = env.client("insurer2")
    started = _ok(client.post("/api/v1/me/totp/start"))
    assert started["uri"].startswith("otpauth://totp/Tandem:insurer2")
    app = pyotp.TOTP(started["secret"])
    r = client.post(
        "/api/v1/me/totp/confirm", json={"code": "000000" if app.at(env.clock.now()) != "000000" else "111111"}
    )
    assert r.status_code == 422 and "code" in r.json()["error"]["fields"]
    codes = _ok(client.post("/api/v1/me/totp/confirm", json={"code": app.at(env.clock.now())}))["recovery_codes"]
    assert len(codes) == 10
    # now the token endpoint asks for a code, refuses a used one, and takes a recovery code once
    r = _token(env, "insurer2", DEMO_PASSWORD)
    assert r.status_code == 401 and r.json()["error"]["code"] == "auth.totp_required"
    same = _token(env, "insurer2", DEMO_PASSWORD, totp_code=app.at(env.clock.now()))
    assert same.status_code == 401 and same.json()["error"]["code"] == "auth.totp_invalid"  # already used
    env.clock.advance(seconds=30)
    assert _token(env, "insurer2", DEMO_PASSWORD, totp_code=app.at(env.clock.now())).status_code == 200
    assert _token(env, "insurer2", DEMO_PASSWORD, totp_code=codes[0]).status_code == 200
    assert _token(env, "insurer2", DEMO_PASSWORD, totp_code=codes[0]).status_code == 401
    with env.session() as s:
        uid = s.execute(select(User.id).where(User.username == "insurer2")).scalar_one()
        outcomes = [e.outcome for e in s.execute(select(LoginEvent).where(LoginEvent.user_id == uid)).scalars()]
    assert {"success", "wrong_code"} <= set(outcomes)


def test_login_history_for_oneself_and_the_organisations_admin(env):
    assert _token(env, "adjuster2", "wrong password!").status_code == 401
    mine = _ok(env.client("adjuster2").get("/api/v1/me/logins"))
    assert [e["outcome"] for e in mine[:2]] == ["success", "wrong_password"]
    with env.session() as s:
        uid = str(s.execute(select(User.id).where(User.username == "adjuster2")).scalar_one())
    seen = _ok(env.client("adjuster1").get(f"/api/v1/users/{uid}/logins"))
    assert seen[0]["channel"] == "api"


def test_the_demo_admins_are_not_forced_into_totp(env):
    assert _token(env, "admin", DEMO_PASSWORD).status_code == 200
    assert _token(env, "broker", DEMO_PASSWORD).status_code == 200
    # outside the demo, the same roles must enrol: production ignores the demo flag
    env.settings.env = "production"
    try:
        r = _token(env, "admin", DEMO_PASSWORD)
    finally:
        env.settings.env = "test"
    assert r.status_code == 403


def test_an_admin_clears_a_lost_second_factor_and_the_persons_sessions_end(env):
    client = env.client("adjuster2")
    app = pyotp.TOTP(_ok(client.post("/api/v1/me/totp/start"))["secret"])
    _ok(client.post("/api/v1/me/totp/confirm", json={"code": app.at(env.clock.now())}))
    assert _token(env, "adjuster2", DEMO_PASSWORD).json()["error"]["code"] == "auth.totp_required"
    with env.session() as s:
        uid = str(s.execute(select(User.id).where(User.username == "adjuster2")).scalar_one())
    assert env.client("adjuster3").post(f"/api/v1/users/{uid}/totp-reset").status_code == 404  # another firm's
    _ok(env.client("adjuster1").post(f"/api/v1/users/{uid}/totp-reset"))
    assert client.get("/api/v1/me").status_code == 401  # the lost phone's sessions ended
    assert _token(env, "adjuster2", DEMO_PASSWORD).status_code == 200  # no code asked any more
    assert _events(env, "user.totp_reset")[-1].after["sessions_revoked"] >= 1
