"""Inbound WeChat/Weibo messages become draft notices a person confirms; duplicates are flagged (R-C1)."""

from __future__ import annotations

from tests.helpers import _body, _policy, post_inbound

MSG = {
    "channel": "wechat",
    "message_id": "wx-001",
    "recipient": "gh_hengxin_claims",
    "sender": {"phone": "+86 139 5731 2345"},
    "text": "你好，我们厂2号车间昨晚着火了，烧了两台注塑机",
    "received_at": "2026-11-25T08:05:00+08:00",
}


def test_wechat_message_becomes_a_draft_linked_by_phone_and_is_confirmed_once(env):
    assert post_inbound(env, MSG, secret="wrong").status_code == 401
    r = post_inbound(env, MSG)
    assert r.status_code == 202, r.text
    draft = r.json()
    assert post_inbound(env, MSG).json()["id"] == draft["id"]  # the gateway retries: stored once
    insured1 = env.client("insured1").get("/api/v1/me").json()["organisation_id"]
    assert draft["insured_id"] == insured1 and draft["state"] == "draft"
    drafts = env.client("broker").get("/api/v1/intake/drafts").json()
    assert [d["id"] for d in drafts] == [draft["id"]]
    assert env.client("insured2").get("/api/v1/intake/drafts").json() == []
    pol = _policy(env, "insured1", "PQC2026330400001")
    body = {k: v for k, v in _body(pol["id"]).items() if k != "channel"} | {"channel": "wechat"}
    r = env.client("broker").post(f"/api/v1/intake/drafts/{draft['id']}/confirm", json=body)
    assert r.status_code == 201, r.text
    assert r.json()["channel"] == "wechat"
    assert env.client("broker").post(f"/api/v1/intake/drafts/{draft['id']}/confirm", json=body).status_code == 409
    assert env.client("insured2").post(f"/api/v1/intake/drafts/{draft['id']}/dismiss").status_code == 404


def test_possible_duplicates_are_flagged_not_merged(env):
    pol = _policy(env, "insured1", "PQC2026330400001")
    c = env.client("insured1")
    first = c.post("/api/v1/claims", json=_body(pol["id"])).json()
    again = c.post(
        "/api/v1/claims",
        json=_body(
            pol["id"], loss_at="2026-11-24T23:10:00+08:00", description="2号车间起火，注塑机烧毁", channel="phone"
        ),
    ).json()
    other = c.post(
        "/api/v1/claims",
        json=_body(
            pol["id"], loss_at="2026-11-20T10:00:00+08:00", location="浙江省嘉兴市秀洲区仓库", description="仓库漏雨"
        ),
    ).json()
    assert again["possible_duplicates"] == [first["number"]]
    assert other["possible_duplicates"] == []
    assert len(c.get("/api/v1/claims").json()["items"]) == 3
