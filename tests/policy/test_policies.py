"""Policies (保单): JSON shape, keyset pagination, creation by the broker with validation that names the
field path, and status changes through /actions."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select

from tandem.audit import service as audit
from tandem.audit.models import AuditEvent
from tandem.party.models import Adjuster
from tandem.policy.models import Policy, PolicySection
from tests.helpers import INSURED1_ORG, INSURER1_ORG, org, policy_body

P1 = "PQC2026330400001"
INSURED1, INSURER1, INSURER2 = INSURED1_ORG, INSURER1_ORG, "太和财产保险股份有限公司"


def counts(env) -> tuple[int, int, int]:
    with env.session() as s:
        return tuple(
            s.execute(select(func.count()).select_from(m)).scalar_one()  # type: ignore[return-value]
            for m in (Policy, PolicySection, AuditEvent)
        )


# ---- reading --------------------------------------------------------------------------------------


def test_list_and_detail_shape(env) -> None:
    c = env.client("insured1")
    page = c.get("/api/v1/policies").json()
    assert set(page) == {"items", "next"} and page["next"] is None
    (p,) = page["items"]
    assert uuid.UUID(p["id"])
    assert p["number"] == P1
    assert (p["status"], p["line"], p["currency"]) == ("in_force", "企业财产保险", "CNY")
    assert (p["period_start"], p["period_end"]) == ("2026-01-01", "2026-12-31")
    assert p["insured"] == {"id": org(env, INSURED1), "name": INSURED1}
    assert p["insurer"] == {"id": org(env, INSURER1), "name": INSURER1}
    assert p["broker"]["name"] == "恒信保险经纪有限公司"
    assert p["product"]["name"] == "企业财产保险（2024版）"
    assert p["designated_adjuster"]["name"] == "王建国"
    assert p["designated_adjuster"]["firm"]["name"] == "华信保险公估有限公司"
    assert [s["code"] for s in p["sections"]] == ["building", "machinery", "stock"]
    assert p["sections"][0] == {
        "code": "building",
        "name": "建筑物",
        "sum_insured": "30000000.00",
        "insured_value": "36000000.00",
        "deductible_amount": "10000.00",
        "deductible_rate": "0.10",
        "per_occurrence_limit": None,
        "aggregate_limit": "30000000.00",
        "options": {"sum_insured_reduces": True},
    }
    assert p["sections"][1]["per_occurrence_limit"] == "10000000.00"
    assert p["sections"][2]["insured_value"] is None
    detail = c.get(f"/api/v1/policies/{p['id']}")
    assert detail.status_code == 200
    assert detail.json() == p
    # money is always a string with two decimals (or null), for every policy the broker sees
    for pol in env.client("broker").get("/api/v1/policies").json()["items"]:
        for s in pol["sections"]:
            for k in ("sum_insured", "insured_value", "deductible_amount", "per_occurrence_limit", "aggregate_limit"):
                v = s[k]
                assert v is None or (isinstance(v, str) and len(v.split(".")[1]) == 2), (k, v)


def test_keyset_pagination_walks_everything_once(env) -> None:
    for user in ("broker", "insurer1", "admin"):
        c = env.client(user)
        everything = [p["number"] for p in c.get("/api/v1/policies?limit=200").json()["items"]]
        assert len(everything) >= 2, user
        seen: list[str] = []
        cursor = None
        for _ in range(20):
            page = c.get("/api/v1/policies?limit=1" + (f"&cursor={cursor}" if cursor else "")).json()
            assert len(page["items"]) <= 1
            seen += [p["number"] for p in page["items"]]
            cursor = page["next"]
            if cursor is None:
                break
        assert seen == everything, user
        assert len(set(seen)) == len(seen), user


def test_pagination_over_more_policies_than_a_page(env) -> None:
    c = env.client("broker")
    for i in range(4):
        assert c.post("/api/v1/policies", json=policy_body(env, number=f"PQC2026000{i:05d}")).status_code == 201
    pages, cursor = [], None
    while True:
        page = c.get("/api/v1/policies?limit=2" + (f"&cursor={cursor}" if cursor else "")).json()
        pages.append([p["number"] for p in page["items"]])
        cursor = page["next"]
        if cursor is None:
            break
    flat = [n for p in pages for n in p]
    assert len(flat) == 7 and flat == sorted(flat) and len(set(flat)) == 7
    assert [len(p) for p in pages] == [2, 2, 2, 1]


def test_filters_and_bad_cursor(env) -> None:
    c = env.client("broker")
    assert [p["number"] for p in c.get("/api/v1/policies?q=3304").json()["items"]] == [P1]
    assert c.get("/api/v1/policies?status=draft").json()["items"] == []
    assert c.get("/api/v1/policies?q=%25").json()["items"] == []  # LIKE wildcards are escaped
    r = c.get("/api/v1/policies?cursor=!!!not-base64")
    assert r.status_code == 422 and "cursor" in r.json()["error"]["fields"]
    assert c.get("/api/v1/policies?limit=0").status_code == 422
    assert c.get("/api/v1/policies?status=bogus").status_code == 422


# ---- creating -------------------------------------------------------------------------------------


def test_broker_creates_a_policy(env) -> None:
    before = counts(env)
    r = env.client("broker").post("/api/v1/policies", json=policy_body(env))
    assert r.status_code == 201, r.text
    p = r.json()
    assert (p["number"], p["status"]) == ("PQC2027330400009", "draft")
    assert p["insured"]["name"] == INSURED1 and p["insurer"]["name"] == INSURER1
    assert p["designated_adjuster"]["name"] == "李娜"
    assert p["sections"][0]["insured_value"] == "36000000.00"
    assert p["sections"][0]["deductible_amount"] == "10000.50"
    assert p["sections"][0]["deductible_rate"] == "0.1"
    assert p["sections"][1]["sum_insured"] == "8000000.00"
    assert counts(env) == (before[0] + 1, before[1] + 2, before[2] + 1)
    with env.session() as s:
        (ev,) = audit.events_for_entity(s, "policy", p["id"])
        assert (ev.action, ev.after) == ("policy.created", {"number": "PQC2027330400009", "status": "draft"})
    # the insured and the insurer see it, another insured does not
    assert env.client("insured1").get(f"/api/v1/policies/{p['id']}").status_code == 200
    assert env.client("insurer1").get(f"/api/v1/policies/{p['id']}").status_code == 200
    assert env.client("insured2").get(f"/api/v1/policies/{p['id']}").status_code == 404


def _with_section(env, **section_over: Any) -> dict[str, Any]:
    body = policy_body(env)
    body["sections"][0].update(section_over)
    return body


BAD_INPUTS: dict[str, tuple[Any, str]] = {
    "negative sum": (lambda env: _with_section(env, sum_insured="-1.00"), "sections[0].sum_insured"),
    "rate above 1": (lambda env: _with_section(env, deductible_rate="1.01"), "sections[0].deductible_rate"),
    "negative rate": (lambda env: _with_section(env, deductible_rate="-0.01"), "sections[0].deductible_rate"),
    "three decimals": (lambda env: _with_section(env, sum_insured="100.005"), "sections[0].sum_insured"),
    "float three decimals": (lambda env: _with_section(env, deductible_amount=1.005), "sections[0].deductible_amount"),
    "not a number": (lambda env: _with_section(env, insured_value="lots"), "sections[0].insured_value"),
    "NaN": (lambda env: _with_section(env, sum_insured="NaN"), "sections[0].sum_insured"),
    "bad code": (lambda env: _with_section(env, code="Building!"), "sections[0].code"),
    "second section": (
        lambda env: {
            **policy_body(env),
            "sections": [policy_body(env)["sections"][0], {"code": "stock", "name": "存货", "aggregate_limit": "-5"}],
        },
        "sections[1].aggregate_limit",
    ),
    "no sections": (lambda env: policy_body(env, sections=[]), "sections"),
    "unknown field": (lambda env: policy_body(env, premium="100.00"), "premium"),
    "end before start": (
        lambda env: policy_body(env, period_start="2027-06-01", period_end="2027-05-31"),
        "period_end",
    ),
    "end equals start": (
        lambda env: policy_body(env, period_start="2027-06-01", period_end="2027-06-01"),
        "period_end",
    ),
    "duplicate codes": (
        lambda env: {
            **policy_body(env),
            "sections": [policy_body(env)["sections"][0], policy_body(env)["sections"][0]],
        },
        "sections",
    ),
    "unknown insurer": (lambda env: policy_body(env, insurer_id=str(uuid.uuid4())), "insurer_id"),
    "insurer is an insured": (lambda env: policy_body(env, insurer_id=org(env, INSURED1)), "insurer_id"),
    "product of another insurer": (lambda env: policy_body(env, insurer_id=org(env, INSURER2)), "product_id"),
    "bad currency": (lambda env: policy_body(env, currency="RMB"), "currency"),
}


def test_bad_input_is_422_naming_the_path_and_writes_nothing(env) -> None:
    before = counts(env)
    for case, (make, path) in BAD_INPUTS.items():
        r = env.client("broker").post("/api/v1/policies", json=make(env))
        assert r.status_code == 422, (case, r.text)
        err = r.json()["error"]
        assert path in err["fields"], (case, err)
        assert counts(env) == before, case
    r = env.client("broker").post("/api/v1/policies", json=policy_body(env, number=P1))
    assert r.status_code == 409  # a duplicate number is a conflict
    assert list(r.json()["error"]["fields"]) == ["number"]
    assert counts(env) == before


def test_only_account_managers_create_policies(env) -> None:
    before = counts(env)
    for user in ("insurer1", "insured1", "adjuster1", "regulator", "risk"):
        r = env.client(user).post("/api/v1/policies", json=policy_body(env))
        assert r.status_code == 403, (user, r.text)
    assert counts(env) == before


# ---- status changes -------------------------------------------------------------------------------


def _act(env, user: str, pid: str, action: str) -> Any:
    return env.client(user).post(f"/api/v1/policies/{pid}/actions", json={"action": action, "reason": "test"})


def test_bind_then_cancel_and_illegal_moves_are_409(env) -> None:
    pid = env.client("broker").post("/api/v1/policies", json=policy_body(env)).json()["id"]
    assert _act(env, "broker", pid, "expire").status_code == 409  # draft cannot expire
    r = _act(env, "broker", pid, "bind")
    assert r.status_code == 200 and r.json()["status"] == "in_force"
    r = _act(env, "broker", pid, "bind")
    assert r.status_code == 409
    assert r.json()["error"] == {
        "code": "state.illegal_transition",
        "message": "Action bind is not possible in state in_force.",
    }
    r = _act(env, "broker", pid, "cancel")
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    for action in ("bind", "cancel", "expire"):
        assert _act(env, "broker", pid, action).status_code == 409
    with env.session() as s:
        events = [(e.action, e.before, e.after) for e in audit.events_for_entity(s, "policy", pid)]
    assert events == [
        ("policy.created", None, {"number": "PQC2027330400009", "status": "draft"}),
        ("policy.bind", {"status": "draft"}, {"status": "in_force"}),
        ("policy.cancel", {"status": "in_force"}, {"status": "cancelled"}),
    ]
    # an in-force policy expires, and an expired one cannot be cancelled
    with env.session() as s:
        p1 = str(s.execute(select(Policy.id).where(Policy.number == P1)).scalar_one())
    r = _act(env, "broker", p1, "expire")
    assert r.status_code == 200 and r.json()["status"] == "expired"
    assert _act(env, "broker", p1, "cancel").status_code == 409


def test_those_who_see_a_policy_but_may_not_change_it_get_403(env) -> None:
    with env.session() as s:
        pid = str(s.execute(select(Policy.id).where(Policy.number == P1)).scalar_one())
    before = counts(env)
    for user in ("insurer1", "insured1", "adjuster1", "risk"):
        r = _act(env, user, pid, "cancel")
        assert r.status_code == 403, (user, r.text)
    assert counts(env) == before
    assert env.client("broker").get(f"/api/v1/policies/{pid}").json()["status"] == "in_force"


def test_unknown_actions_are_422(env) -> None:
    with env.session() as s:
        pid = str(s.execute(select(Policy.id).where(Policy.number == P1)).scalar_one())
    before = counts(env)
    for body in ({"action": "delete"}, {"action": "bind", "extra": 1}, {}, {"action": "BIND"}):
        r = env.client("broker").post(f"/api/v1/policies/{pid}/actions", json=body)
        assert r.status_code == 422, body
    assert counts(env) == before


def test_designating_an_adjuster_who_may_not_take_work_is_refused(env) -> None:
    """The routing checks apply to a policy's designated adjuster: a lapsed, sanctioned or blacklisted
    practitioner (or one without the line) is refused beside the field, by name and in words."""
    before = counts(env)
    with env.session() as s:
        ids = {a.name: str(a.id) for a in s.execute(select(Adjuster)).unique().scalars()}
    for name, words in (
        ("钱永刚", "registration lapsed"),
        ("罗振华", "sanctioned"),
        ("何雪梅", "blacklist"),
        ("赵海涛", "not qualified for 企业财产保险"),
    ):
        r = env.client("broker").post("/api/v1/policies", json=policy_body(env, designated_adjuster_id=ids[name]))
        assert r.status_code == 422, (name, r.text)
        field = r.json()["error"]["fields"]["designated_adjuster_id"]
        assert name in field and words in field, field
        assert counts(env) == before, name
    r = env.client("broker").post("/api/v1/policies", json=policy_body(env, designated_adjuster_id=ids["周敏"]))
    assert r.status_code == 201, r.text
