"""Withdrawing a routed claim (issue 22 item 18): the insured, or the broker for it, with a reason, until
an amount is agreed; everyone on the case is told."""

from __future__ import annotations

from tests.helpers import POLICY1, _ok, _to_reported, claim_status, inbox, logged_in, notice, post, said, text_of


def test_the_insured_withdraws_a_reported_claim_and_everyone_is_told(env):
    cid = _to_reported(env)
    insured = env.client("insured1")
    r = insured.post(f"/api/v1/claims/{cid}/withdraw", json={"reason": ""})
    assert r.status_code == 422 and "reason" in r.json()["error"]["fields"]
    assert env.client("adjuster1").post(f"/api/v1/claims/{cid}/withdraw", json={"reason": "x"}).status_code == 403
    assert env.client("insurer1").post(f"/api/v1/claims/{cid}/withdraw", json={"reason": "x"}).status_code == 403
    case = _ok(insured.post(f"/api/v1/claims/{cid}/withdraw", json={"reason": "与对方和解，不再索赔"}))
    assert case["claim"]["status"] == "withdrawn"
    event = next(e for e in case["timeline"] if e["action"] == "claim.withdraw")
    assert event["reason"] == "与对方和解，不再索赔"
    assert all(d["stopped_at"] for d in case["deadlines"]), case["deadlines"]
    for user in ("broker", "risk", "insurer1", "adjuster1", "adjuster2"):
        notes = _ok(env.client(user).get("/api/v1/notifications"))
        told = [n for n in notes if said("claim.withdraw") in n["subject"]]
        assert told and "与对方和解，不再索赔" in told[0]["body"], (user, notes)
    assert not any(said("claim.withdraw") in s for s in inbox(env, "insured1"))  # not told of their own step


def test_the_broker_withdraws_for_the_insured_but_not_after_agreement(env):
    broker, risk, insurer = env.client("broker"), env.client("risk"), env.client("insurer1")
    routed = notice(env, "insured1", POLICY1)
    assert claim_status(env, routed) == "routed"
    assert _ok(broker.post(f"/api/v1/claims/{routed}/withdraw", json={"reason": "重复报案"}))["claim"]["status"] == (
        "withdrawn"
    )
    cid = _to_reported(env)
    _ok(risk.post(f"/api/v1/claims/{cid}/amount-confirmation"))
    _ok(broker.post(f"/api/v1/claims/{cid}/negotiation", json={"move": "propose"}))
    _ok(insurer.post(f"/api/v1/claims/{cid}/negotiation", json={"move": "accept"}))
    r = env.client("insured1").post(f"/api/v1/claims/{cid}/withdraw", json={"reason": "不要了"})
    assert r.status_code == 409, r.text


def test_the_case_page_offers_withdrawal_on_a_routed_claim(env):
    cid = notice(env, "insured1", POLICY1)
    insured = logged_in(env, "insured1")
    page = text_of(insured.get(f"/claims/{cid}"))
    assert "撤案" in page
    firm_page = text_of(logged_in(env, "adjuster1").get(f"/claims/{cid}"))
    assert "撤案" not in firm_page
    r = post(insured, f"/claims/{cid}/withdraw", {"reason": ""})
    assert r.status_code == 422 and 'id="withdraw-reason-error"' in r.text
    assert post(insured, f"/claims/{cid}/withdraw", {"reason": "已自行修复"}).status_code == 303
    assert claim_status(env, cid) == "withdrawn"
