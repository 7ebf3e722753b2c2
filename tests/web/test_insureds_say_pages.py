"""The insured's say on the adjuster on the pages (issue 22 item 10, R-C2): the broker proposes from its case
page, the insured sees the proposal on its claim page with its three choices, and the broker's to-do shows
the answer."""

from __future__ import annotations

from tests.helpers import POLICY3, _ok, logged_in, notice, post, text_of


def test_the_insured_answers_the_brokers_proposal_on_its_claim_page(env):
    cid = notice(env, "insured3", POLICY3, location="浙江省杭州市上城区清泰街56号", description="客厅水管爆裂")
    recs = _ok(env.client("broker").get(f"/api/v1/claims/{cid}/adjuster-recommendations"))["recommended"]
    first, second = recs[0]["adjuster"], recs[1]["adjuster"]
    broker, insured = logged_in(env, "broker"), logged_in(env, "insured3")
    case = f"/claims/{cid}"
    assert 'id="propose-adjuster"' in broker.get(case).text
    assert 'id="act-answer"' not in insured.get(case).text  # nothing proposed yet

    r = post(broker, f"{case}/adjuster", {"adjuster_id": first["id"], "intent": "propose", "reason": "熟悉水损"})
    assert r.status_code == 303
    page = broker.get(case)
    assert 'id="proposal-say"' in page.text and first["name"] in text_of(page)
    assert 'value="appoint"' not in page.text  # no appointment while the insured's answer is awaited

    page = insured.get(case)
    t = text_of(page)
    assert 'id="act-answer"' in page.text and first["name"] in t and "熟悉水损" in t
    for button in ("answer-agree", "answer-broker", "answer-other"):
        assert f'id="{button}"' in page.text, button
    assert "等待被保险人答复" in text_of(insured.get("/claims"))  # the list says the ball is with the insured
    r = post(insured, f"{case}/adjuster/answer", {"answer": "other"})
    assert r.status_code == 422 and 'id="answer-adjuster_id-error"' in r.text
    assert post(insured, f"{case}/adjuster/answer", {"answer": "other", "adjuster_id": second["id"]}).status_code == 303
    assert 'id="act-answer"' not in insured.get(case).text

    # The broker's to-do shows the answer; its case page preselects the insured's pick.
    home = broker.get("/")
    assert f"被保险人改选{second['name']}" in text_of(home), text_of(home)[:3000]
    page = broker.get(case)
    assert f'value="{second["id"]}" checked' in page.text
    r = post(broker, f"{case}/adjuster", {"adjuster_id": first["id"], "intent": "appoint"})
    assert r.status_code == 409 and 'id="choose-adjuster_id-error"' in r.text
    assert post(broker, f"{case}/adjuster", {"adjuster_id": second["id"], "intent": "appoint"}).status_code == 303
    assert _ok(env.client("broker").get(f"/api/v1/claims/{cid}/case"))["claim"]["status"] == "routed"
