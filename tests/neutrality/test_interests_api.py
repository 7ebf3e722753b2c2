"""Recusal at the practitioner level (回避, issue 17 item 3): an adjuster's declared interest in an insurer
or insured keeps it from that organisation's cases with ``conflict_of_interest``, naming the declaration
to the broker who routes; employment counts for two years after it ended."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tandem.access.models import Organisation
from tandem.audit.models import AuditEvent
from tests.helpers import _body, _ok, policy_id

INSURER1 = "中安财产保险股份有限公司"  # the insurer of PQC2026330400001, designating 王建国
WANG = "王建国"


def org_id(env, name: str) -> str:
    with env.session() as s:
        return str(s.execute(select(Organisation.id).where(Organisation.name == name)).scalar_one())


def wang(env) -> str:
    items = _ok(env.client("broker").get("/api/v1/adjusters?limit=200"))["items"]
    return next(a["id"] for a in items if a["name"] == WANG)


def new_claim(env) -> dict:
    return _ok(env.client("insured1").post("/api/v1/claims", json=_body(policy_id(env, "PQC2026330400001"))), 201)


def declare(env, user: str = "adjuster1", **body) -> object:
    payload = {"organisation_id": org_id(env, INSURER1), "kind": "employment", "detail": "2025年前任该公司理赔部经理"}
    return env.client(user).post(f"/api/v1/neutrality/adjusters/{wang(env)}/interests", json={**payload, **body})


def test_a_recent_employment_keeps_the_adjuster_from_that_insurers_cases(env):
    assert new_claim(env)["adjuster"]["name"] == WANG
    d = _ok(declare(env, ended_on="2025-06-30"), 201)
    assert d["in_force"] and d["organisation"]["name"] == INSURER1
    claim = new_claim(env)
    assert claim["adjuster"] is None and claim["status"] == "notified"
    data = _ok(env.client("broker").get(f"/api/v1/claims/{claim['id']}/adjuster-recommendations"))
    (mine,) = [e for e in data["excluded"] if e["adjuster"]["name"] == WANG]
    assert "conflict_of_interest" in mine["reasons"] and mine["declarations"] == [f"employment:{INSURER1}"]
    # The broker and supervision read the declaration; the insurer and the insured do not.
    assert len(_ok(env.client("broker").get(f"/api/v1/neutrality/adjusters/{wang(env)}/interests"))) == 1
    assert len(_ok(env.client("regulator").get(f"/api/v1/neutrality/adjusters/{wang(env)}/interests"))) == 1
    for user in ("insurer1", "insured1"):
        assert env.client(user).get(f"/api/v1/neutrality/adjusters/{wang(env)}/interests").status_code == 404
    with env.session() as s:
        assert s.execute(select(AuditEvent).where(AuditEvent.action == "neutrality.interest_declared")).first()


def test_employment_ended_over_two_years_ago_no_longer_counts(env):
    d = _ok(declare(env, ended_on="2024-11-24"), 201)
    assert not d["in_force"]
    assert new_claim(env)["adjuster"]["name"] == WANG


@pytest.mark.parametrize(
    ("body", "field"),
    [({"kind": "friendship"}, "kind"), ({"detail": ""}, "detail"), ({"ended_on": "2025-02-30"}, "ended_on")],
)
def test_bad_declaration_names_the_field(env, body, field):
    r = declare(env, **body)
    assert r.status_code == 422 and field in r.json()["error"]["fields"], r.text


def test_only_the_adjusters_side_declares_and_only_in_insurers_or_insureds(env):
    assert declare(env, user="broker").status_code == 403
    assert declare(env, user="adjuster3").status_code == 404  # another firm's adjuster: not found
    r = declare(env, organisation_id=org_id(env, "华信保险公估有限公司"))
    assert r.status_code == 422 and "organisation_id" in r.json()["error"]["fields"]


def test_a_party_asks_for_recusal_and_the_broker_decides_on_the_record(env):
    claim = new_claim(env)
    body = {
        "case_id": claim["id"],
        "adjuster_id": claim["adjuster"]["id"],
        "reason": "该公估师曾为被保险人提供咨询服务",
    }
    r = env.client("insurer1").post("/api/v1/neutrality/recusals", json=body)
    assert r.status_code == 201, r.text
    req = r.json()
    assert req["state"] == "requested"
    # Not the insured of another case, nor the risk evaluator, decides; the case's account manager does.
    assert env.client("insured2").post("/api/v1/neutrality/recusals", json=body).status_code == 404
    decision = {"outcome": "granted", "reason": "利害关系成立，予以回避"}
    assert env.client("risk").post(f"/api/v1/neutrality/recusals/{req['id']}/decide", json=decision).status_code == 403
    assert (
        env.client("insurer1").post(f"/api/v1/neutrality/recusals/{req['id']}/decide", json=decision).status_code == 403
    )
    out = _ok(env.client("broker").post(f"/api/v1/neutrality/recusals/{req['id']}/decide", json=decision))
    assert out["state"] == "granted" and out["decision_reason"] == decision["reason"]
    again = env.client("broker2").post(f"/api/v1/neutrality/recusals/{req['id']}/decide", json=decision)
    assert again.status_code == 409
    data = _ok(env.client("broker").get(f"/api/v1/claims/{claim['id']}/adjuster-recommendations"))
    (mine,) = [e for e in data["excluded"] if e["adjuster"]["name"] == WANG]
    assert "conflict_of_interest" in mine["reasons"] and mine["declarations"] == ["recusal:granted"]
    listed = _ok(env.client("insured1").get(f"/api/v1/neutrality/recusals?case_id={claim['id']}"))
    assert [x["state"] for x in listed] == ["granted"]
    with env.session() as s:
        actions = set(
            s.execute(select(AuditEvent.action).where(AuditEvent.chain_key == f"case:{claim['id']}")).scalars()
        )
    assert {"neutrality.recusal_requested", "neutrality.recusal_granted"} <= actions


def test_recusal_of_an_adjuster_not_on_the_case_names_the_field(env):
    claim = new_claim(env)
    other = next(
        a["id"] for a in _ok(env.client("broker").get("/api/v1/adjusters?limit=200"))["items"] if a["name"] == "张伟"
    )
    body = {"case_id": claim["id"], "adjuster_id": other, "reason": "x"}
    r = env.client("insured1").post("/api/v1/neutrality/recusals", json=body)
    assert r.status_code == 422 and "adjuster_id" in r.json()["error"]["fields"]
    r = env.client("insured1").post("/api/v1/neutrality/recusals", json={**body, "reason": ""})
    assert r.status_code == 422 and "reason" in r.json()["error"]["fields"]
