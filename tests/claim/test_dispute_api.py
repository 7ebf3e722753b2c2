"""Two reports, one answer (R-C5): dispute, the insurer's own adjuster, consultation rounds, umpire, MoU,
amount confirmed from the MoU, payment — through the API."""

from __future__ import annotations

from tests.helpers import _ok, _to_reported, dispute_to_payment


def test_dispute_to_mou_to_payment(env):
    dispute_to_payment(env)  # the steps and their checks: tests/helpers.py (the notifications test runs them too)


def test_broker_refuses_a_blacklisted_insurer_adjuster_and_the_insurer_appoints_another(env):
    broker, risk, insurer = env.client("broker"), env.client("risk"), env.client("insurer1")
    cid = _to_reported(env)
    _ok(risk.post(f"/api/v1/claims/{cid}/amount-confirmation"))
    _ok(broker.post(f"/api/v1/claims/{cid}/negotiation", json={"move": "propose"}))
    _ok(insurer.post(f"/api/v1/claims/{cid}/negotiation", json={"move": "dispute", "reason": "单价偏高"}))
    register = {a["name"]: a for a in insurer.get("/api/v1/adjusters").json()["items"]}
    _ok(insurer.post(f"/api/v1/claims/{cid}/insurer-adjuster", json={"adjuster_id": register["何雪梅"]["id"]}), 201)
    r = broker.post(f"/api/v1/claims/{cid}/insurer-adjuster/refuse", json={"reason": "该公估师在我司黑名单上"})
    assert r.status_code == 200, r.text
    assert env.client("adjuster3").get(f"/api/v1/claims/{cid}/case").status_code == 404
    _ok(insurer.post(f"/api/v1/claims/{cid}/insurer-adjuster", json={"adjuster_id": register["张伟"]["id"]}), 201)
    case = _ok(env.client("adjuster3").get(f"/api/v1/claims/{cid}/case"))
    assert case["claim"]["status"] == "disputed"
    actions = [e["action"] for e in case["timeline"]]
    assert actions.count("claim.insurer_adjuster_appointed") == 2 and "claim.insurer_adjuster_refused" in actions
