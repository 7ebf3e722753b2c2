"""The insured's say on the adjuster (issue 22 item 10, R-C2): without a designated adjuster the broker
proposes one from the recommendations, and the insured agrees, picks another eligible adjuster (the same
routing checks) or leaves the choice to the broker; the 48-hour routing clock is held by whoever must
move; the broker then appoints the adjuster the answer names."""

from __future__ import annotations

from tandem.kit.i18n import gettext
from tandem.web.labels import label
from tests.helpers import POLICY3, _ok, notice

HANGZHOU = {"location": "浙江省杭州市上城区清泰街56号", "description": "客厅水管爆裂"}


def _claim(env) -> str:
    return notice(env, "insured3", POLICY3, **HANGZHOU)


def _recs(env, cid: str) -> tuple[list[dict], list[dict]]:
    body = _ok(env.client("broker").get(f"/api/v1/claims/{cid}/adjuster-recommendations"))
    return [r["adjuster"] for r in body["recommended"]], [r["adjuster"] for r in body["excluded"]]


def _routing(case: dict) -> dict:
    return next(d for d in case["deadlines"] if d["kind"] == "routing")


def _inbox(env, user: str) -> list[str]:
    return [n["subject"] for n in _ok(env.client(user).get("/api/v1/notifications"))]


def _said(event: str) -> str:
    return gettext(label("event", event), "zh_CN")


def test_the_insured_picks_another_eligible_adjuster_and_the_broker_appoints_that_one(env):
    cid = _claim(env)
    broker, insured = env.client("broker"), env.client("insured3")
    ok, excluded = _recs(env, cid)
    first, second = ok[0], ok[1]
    case = _ok(broker.get(f"/api/v1/claims/{cid}/case"))
    assert case["proposal"] is None and _routing(case)["holder"] == "broker"

    # The broker proposes only an eligible adjuster (the routing checks, named on the field).
    url = f"/api/v1/claims/{cid}/adjuster-proposal"
    r = broker.post(url, json={"adjuster_id": excluded[0]["id"]})
    assert r.status_code == 409 and list(r.json()["error"]["fields"]) == ["adjuster_id"], r.text
    case = _ok(broker.post(url, json={"adjuster_id": first["id"], "note": "熟悉家财险水损"}), 201)
    assert case["proposal"]["state"] == "proposed" and case["proposal"]["adjuster"]["id"] == first["id"]
    assert case["claim"]["status"] == "notified" and _routing(case)["holder"] == "insured"  # the insured's move
    assert any(_said("claim.adjuster_proposed") in s for s in _inbox(env, "insured3"))

    # While the insured has not answered, the broker cannot appoint.
    r = broker.post(f"/api/v1/claims/{cid}/adjuster", json={"adjuster_id": first["id"]})
    assert r.status_code == 409 and r.json()["error"]["code"] == "claim.proposal_pending", r.text

    answer = f"{url}/answer"
    r = insured.post(answer, json={"answer": "other"})
    assert r.status_code == 422 and list(r.json()["error"]["fields"]) == ["adjuster_id"], r.text
    r = insured.post(answer, json={"answer": "other", "adjuster_id": excluded[0]["id"]})
    assert r.status_code == 409 and list(r.json()["error"]["fields"]) == ["adjuster_id"], r.text
    assert broker.post(answer, json={"answer": "agree"}).status_code == 403  # only the insured answers
    assert env.client("insured1").post(answer, json={"answer": "agree"}).status_code == 404
    case = _ok(insured.post(answer, json={"answer": "other", "adjuster_id": second["id"]}))
    assert case["proposal"]["state"] == "other" and case["proposal"]["chosen_adjuster"]["id"] == second["id"]
    assert _routing(case)["holder"] == "broker"
    assert insured.post(answer, json={"answer": "agree"}).status_code == 409  # answered once
    assert any(_said("claim.insured_chose_adjuster") in s for s in _inbox(env, "broker"))

    # The broker appoints the insured's pick, not its own proposal.
    r = broker.post(f"/api/v1/claims/{cid}/adjuster", json={"adjuster_id": first["id"]})
    assert r.status_code == 409 and second["name"] in r.json()["error"]["fields"]["adjuster_id"], r.text
    case = _ok(broker.post(f"/api/v1/claims/{cid}/adjuster", json={"adjuster_id": second["id"]}))
    assert case["claim"]["status"] == "routed" and case["claim"]["adjuster"]["id"] == second["id"]
    assert case["proposal"]["state"] == "appointed" and _routing(case)["stopped_at"] is not None
    actions = [e["action"] for e in case["timeline"]]
    assert actions.index("claim.adjuster_proposed") < actions.index("claim.insured_chose_adjuster")
    assert actions.index("claim.insured_chose_adjuster") < actions.index("claim.route")


def test_the_insured_agrees_or_leaves_the_choice_to_the_broker(env):
    broker, insured = env.client("broker"), env.client("insured3")
    cid = _claim(env)
    ok, _ = _recs(env, cid)
    url = f"/api/v1/claims/{cid}/adjuster-proposal"
    _ok(broker.post(url, json={"adjuster_id": ok[0]["id"]}), 201)
    case = _ok(insured.post(f"{url}/answer", json={"answer": "agree"}))
    assert case["proposal"]["state"] == "agreed" and case["proposal"]["chosen_adjuster"]["id"] == ok[0]["id"]
    r = broker.post(f"/api/v1/claims/{cid}/adjuster", json={"adjuster_id": ok[1]["id"]})
    assert r.status_code == 409, r.text
    _ok(broker.post(f"/api/v1/claims/{cid}/adjuster", json={"adjuster_id": ok[0]["id"]}))

    env.clock.advance(hours=1)
    cid = notice(env, "insured3", POLICY3, location=HANGZHOU["location"], description="阳台雨水倒灌")
    # A new proposal replaces the standing one; the insured then leaves the choice to the broker.
    _ok(broker.post(f"/api/v1/claims/{cid}/adjuster-proposal", json={"adjuster_id": ok[0]["id"]}), 201)
    url = f"/api/v1/claims/{cid}/adjuster-proposal"
    case = _ok(broker.post(url, json={"adjuster_id": ok[1]["id"]}), 201)
    assert case["proposal"]["adjuster"]["id"] == ok[1]["id"]
    r = insured.post(f"{url}/answer", json={"answer": "maybe"})
    assert r.status_code == 422 and "answer" in r.json()["error"]["fields"], r.text
    case = _ok(insured.post(f"{url}/answer", json={"answer": "leave_to_broker"}))
    assert case["proposal"]["state"] == "left_to_broker" and case["proposal"]["chosen_adjuster"] is None
    case = _ok(broker.post(f"/api/v1/claims/{cid}/adjuster", json={"adjuster_id": ok[2]["id"]}))
    assert case["claim"]["status"] == "routed"
    actions = [e["action"] for e in case["timeline"]]
    assert "claim.adjuster_proposal_replaced" in actions and "claim.insured_left_choice_to_broker" in actions


def test_a_withdrawn_claim_takes_no_answer(env):
    broker, insured = env.client("broker"), env.client("insured3")
    cid = _claim(env)
    ok, _ = _recs(env, cid)
    url = f"/api/v1/claims/{cid}/adjuster-proposal"
    _ok(broker.post(url, json={"adjuster_id": ok[0]["id"]}), 201)
    _ok(insured.post(f"/api/v1/claims/{cid}/withdraw", json={"reason": "已自行修复"}))
    r = insured.post(f"{url}/answer", json={"answer": "agree"})
    assert r.status_code == 409, r.text
    assert _ok(insured.get(f"/api/v1/claims/{cid}/case"))["proposal"]["state"] == "proposed"
