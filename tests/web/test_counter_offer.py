"""Only the other side may accept an offer (issue 22 item 1): after the insurer's counter-offer the insurer
sees its own offer waiting, never an accept button for it; the broker sees the counter, labelled as the
insurer's, with its accept button, and the claim is on the broker's to-do."""

from __future__ import annotations

from tests.helpers import _ok, _to_reported, logged_in, post, text_of


def test_insurer_cannot_accept_its_own_counter_and_the_broker_can(env):
    broker, risk, insurer = env.client("broker"), env.client("risk"), env.client("insurer1")
    cid = _to_reported(env)
    _ok(risk.post(f"/api/v1/claims/{cid}/amount-confirmation"))
    env.clock.advance(minutes=1)
    case = _ok(broker.post(f"/api/v1/claims/{cid}/negotiation", json={"move": "propose", "amount": "55000.00"}))
    assert "accept" not in case["next_actions"]  # the broker cannot accept its own proposal
    env.clock.advance(minutes=1)
    counter = {"move": "counter", "amount": "40000.00", "reason": "屋面按修复费用核定"}
    case = _ok(insurer.post(f"/api/v1/claims/{cid}/negotiation", json=counter))
    assert "accept" not in case["next_actions"] and "counter" not in case["next_actions"]

    # The insurer's own counter cannot be accepted (nor countered again) by the insurer.
    r = insurer.post(f"/api/v1/claims/{cid}/negotiation", json={"move": "accept"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "claim.not_your_turn"
    r = insurer.post(f"/api/v1/claims/{cid}/negotiation", json={**counter, "amount": "30000.00"})
    assert r.status_code == 409
    assert _ok(insurer.get(f"/api/v1/claims/{cid}/case"))["claim"]["status"] == "negotiating"

    page = logged_in(env, "insurer1").get(f"/claims/{cid}")
    assert 'name="move" value="accept"' not in page.text
    assert 'id="act-waiting"' in page.text and "¥40,000.00" in text_of(page)
    assert "经纪人的赔付方案" not in text_of(page)

    # The broker sees the insurer's counter with its accept button, and the claim on its to-do.
    web = logged_in(env, "broker")
    page = web.get(f"/claims/{cid}")
    answer = page.text[page.text.index('id="act-answer"') :]
    assert "保险公司的还价" in text_of(page) and 'name="move" value="accept"' in answer
    assert "接受 ¥40,000.00" in text_of(page)
    number = _ok(broker.get(f"/api/v1/claims/{cid}/case"))["claim"]["number"]
    assert number in text_of(web.get("/"))
    env.clock.advance(minutes=1)
    assert post(web, f"/claims/{cid}/negotiation", {"move": "accept"}).status_code == 303
    case = _ok(broker.get(f"/api/v1/claims/{cid}/case"))
    assert case["claim"]["status"] == "agreed"
    agreed = next(e for e in case["timeline"] if e["action"] == "claim.accept")
    assert agreed["after"]["agreed"] == "40000.00"
