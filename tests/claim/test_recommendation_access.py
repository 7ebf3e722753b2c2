"""The broker's judgement of adjusters (issue 11 item 2): those who choose — the broker, and the insured
while the adjuster is being chosen — see every adjuster with the reasons for excluding it (blacklisted,
certificate lapsed …); everyone else sees at most who was chosen and why."""

from __future__ import annotations

from tests.helpers import _body, _ok, _policy

JUDGEMENT = ("blacklisted", "certificate_lapsed", "conflict_of_interest", "firm_not_filed")


def _recs(env, user: str, cid: str) -> dict:
    return _ok(env.client(user).get(f"/api/v1/claims/{cid}/adjuster-recommendations"))


def test_only_those_who_choose_see_the_exclusions(env):
    pol = _policy(env, "insured2", "PCA2026441900002")
    cid = _ok(env.client("insured2").post("/api/v1/claims", json=_body(pol["id"], location="浙江省杭州市")), 201)["id"]
    insurer = next(u for u in ("insurer1", "insurer2") if env.client(u).get(f"/api/v1/claims/{cid}").status_code == 200)

    broker = _recs(env, "broker", cid)
    assert broker["excluded"] and any(set(e["reasons"]) & set(JUDGEMENT) for e in broker["excluded"])
    assert _recs(env, "insured2", cid) == broker  # the insured is choosing with the broker
    assert _recs(env, insurer, cid) == {"recommended": [], "excluded": []}  # nothing chosen yet

    chosen = broker["recommended"][0]["adjuster"]
    _ok(env.client("broker").post(f"/api/v1/claims/{cid}/adjuster", json={"adjuster_id": chosen["id"]}))
    firm = next(u for u in ("adjuster1", "adjuster3") if env.client(u).get(f"/api/v1/claims/{cid}").status_code == 200)
    assert _recs(env, "broker", cid)["excluded"]  # the broker keeps its judgement
    for user in ("insured2", insurer, firm):
        r = env.client(user).get(f"/api/v1/claims/{cid}/adjuster-recommendations")
        body = _ok(r)
        assert body["excluded"] == [], user
        assert [x["adjuster"]["id"] for x in body["recommended"]] == [chosen["id"]], user
        assert body["recommended"][0]["reasons"]  # why it was chosen: its fit, never a judgement
        assert not any(word in r.text for word in JUDGEMENT), user
    assert env.client("insured1").get(f"/api/v1/claims/{cid}/adjuster-recommendations").status_code == 404
