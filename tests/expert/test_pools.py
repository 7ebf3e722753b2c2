"""Shared expert pools over the API: visibility (private / partners / named), suggestions for a claim from
visible pools only, engagements (request, accept, decline), contact data only once accepted, 404s."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from sqlalchemy import select

from tandem.access.models import Organisation
from tandem.audit.service import verify
from tandem.party.models import Expert
from tests.helpers import policy_id

FIRM_A, FIRM_B = "华信保险公估有限公司", "浙江正衡保险公估有限公司"
NOT_FOUND = b'{"error":{"code":"not_found","message":"Not found."}}'


def _ok(r: Any, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json()


def _ids(env) -> dict[str, str]:
    with env.session() as s:
        out = {e.name: str(e.id) for e in s.execute(select(Expert)).unique().scalars()}
        out.update({o.name: str(o.id) for o in s.execute(select(Organisation)).scalars()})
    return out


def _visible(env, user: str) -> set[str]:
    return {e["name"] for e in _ok(env.client(user).get("/api/v1/experts?limit=200"))["items"]}


def _claim(env, key: str, description: str = "冷库制冷机组故障，冻品受损，注塑车间的设备也进水了") -> str:
    policy = policy_id(env, "PQC2026330400001")
    return str(
        _ok(
            env.client("insured1").post(
                "/api/v1/claims",
                headers={"Idempotency-Key": key},
                json={
                    "policy_id": policy,
                    "loss_at": "2026-11-24T21:00:00+08:00",
                    "location": "浙江省嘉兴市南湖区亚中路88号",
                    "description": description,
                    "channel": "app",
                },
            ),
            201,
        )["id"]
    )


@pytest.mark.usefixtures("expert_index")
def test_visibility_private_partners_named(env) -> None:
    ids = _ids(env)
    # demo: broker 邓建华 (partners) 韩晓光 (private); firm A 曹立新, firm B 潘志远 and 沈国栋 (partners);
    # firm C 袁丽华 (private)
    assert _visible(env, "broker") == {"邓建华", "韩晓光", "曹立新", "潘志远", "沈国栋"}
    assert _visible(env, "adjuster1") == {"邓建华", "曹立新", "潘志远", "沈国栋"}
    assert _visible(env, "insured1") == set()
    han = ids["韩晓光"]
    # named: firm A only
    out = _ok(
        env.client("broker").put(
            f"/api/v1/experts/{han}/sharing", json={"visibility": "named", "organisation_ids": [ids[FIRM_A]]}
        )
    )
    assert out["visibility"] == "named" and out["organisation_ids"] == [ids[FIRM_A]]
    assert "韩晓光" in _visible(env, "adjuster1") and "韩晓光" not in _visible(env, "adjuster3")
    # partners, then private again
    _ok(env.client("broker").put(f"/api/v1/experts/{han}/sharing", json={"visibility": "partners"}))
    assert "韩晓光" in _visible(env, "adjuster3")
    _ok(env.client("broker").put(f"/api/v1/experts/{han}/sharing", json={"visibility": "private"}))
    assert "韩晓光" not in _visible(env, "adjuster1") | _visible(env, "adjuster3")
    # named needs organisations; insureds are not pools
    assert env.client("broker").put(f"/api/v1/experts/{han}/sharing", json={"visibility": "named"}).status_code == 422
    bad = env.client("broker").put(
        f"/api/v1/experts/{han}/sharing",
        json={"visibility": "named", "organisation_ids": [ids["嘉兴鑫达电子科技有限公司"]]},
    )
    assert bad.status_code == 422
    # only the owner changes sharing: a partner who sees the expert gets the same 404 as for a missing one
    seen = env.client("adjuster1").put(f"/api/v1/experts/{ids['邓建华']}/sharing", json={"visibility": "private"})
    missing = env.client("adjuster1").put(f"/api/v1/experts/{uuid.uuid4()}/sharing", json={"visibility": "private"})
    assert (seen.status_code, seen.content) == (missing.status_code, missing.content) == (404, NOT_FOUND)
    # in the owner organisation, only MANAGE_EXPERTS roles
    assert (
        env.client("adjuster2")
        .put(f"/api/v1/experts/{ids['曹立新']}/sharing", json={"visibility": "private"})
        .status_code
        == 403
    )


@pytest.mark.usefixtures("expert_index")
def test_suggestions_come_from_visible_pools_only(env) -> None:
    cid = _claim(env, "pools-1", "注塑机的液压系统坏了，机损，广东的厂")
    for user in ("broker", "adjuster1", "insurer1"):
        body = env.client(user).get(f"/api/v1/claims/{cid}/expert-suggestions")
        if user == "insurer1":  # insurers have no pools: an empty list, not an error
            assert _ok(body)["items"] == []
            continue
        data = _ok(body)
        names = {i["name"] for i in data["items"]}
        assert names and names <= _visible(env, user), (user, names)
        assert "袁丽华" not in names  # firm C's private 注塑设备机损 expert, the best match, is never shown
        assert data["region"] == "浙江"
        for item in data["items"]:
            assert item["matched"] and "phone" not in item
    assert env.client("insured2").get(f"/api/v1/claims/{cid}/expert-suggestions").content == NOT_FOUND


@pytest.mark.usefixtures("expert_index")
def test_engagement_request_accept_with_contact_on_the_case(env) -> None:
    ids = _ids(env)
    cid = _claim(env, "pools-2")
    broker, firm_a = env.client("broker"), env.client("adjuster1")
    eng = _ok(
        broker.post(
            f"/api/v1/claims/{cid}/engagements",
            json={"expert_id": ids["曹立新"], "fee_basis": "按日 3000 元", "note": "冷链货损"},
        ),
        201,
    )
    assert eng["status"] == "requested" and eng["expert"]["phone"] is None and eng["role"] == "requester"
    # a second open request for the same expert is refused
    assert broker.post(f"/api/v1/claims/{cid}/engagements", json={"expert_id": ids["曹立新"]}).status_code == 409
    # the owner sees it in its list, with its own expert's contact
    owned = _ok(firm_a.get("/api/v1/engagements"))["items"]
    assert [e["id"] for e in owned] == [eng["id"]] and owned[0]["role"] == "owner"
    listed = _ok(broker.get("/api/v1/engagements"))["items"]
    assert listed[0]["expert"]["phone"] is None and listed[0]["expert"]["email"] is None
    # the requester cannot accept its own request; another firm neither: same 404 as a missing id
    missing = broker.post(f"/api/v1/engagements/{uuid.uuid4()}/accept", json={})
    for user in ("broker", "adjuster3", "insured1", "insurer1"):
        r = env.client(user).post(f"/api/v1/engagements/{eng['id']}/accept", json={})
        assert (r.status_code, r.content) == (missing.status_code, missing.content) == (404, NOT_FOUND)
    # a plain adjuster of the owner firm may not decide
    assert env.client("adjuster2").post(f"/api/v1/engagements/{eng['id']}/accept", json={}).status_code == 403
    done = _ok(firm_a.post(f"/api/v1/engagements/{eng['id']}/accept", json={}))
    assert done["status"] == "accepted"
    assert firm_a.post(f"/api/v1/engagements/{eng['id']}/decline", json={"reason": "x"}).status_code == 409
    after = _ok(broker.get("/api/v1/engagements"))["items"][0]
    assert after["status"] == "accepted" and after["expert"]["phone"] == "13700000000"
    assert after["fee_basis"] == "按日 3000 元"
    # on the case: an event in the case chain, on the timeline of the case file
    case = _ok(broker.get(f"/api/v1/claims/{cid}/case"))
    ev = [e for e in case["timeline"] if e["action"] == "claim.expert_engaged"]
    assert len(ev) == 1 and ev[0]["after"]["fee_basis"] == "按日 3000 元" and ev[0]["after"]["expert"] == "曹立新"
    with env.session() as s:
        assert verify(s, f"case:{cid}") == []
    # other organisations never see the contact
    assert _ok(env.client("adjuster3").get("/api/v1/engagements"))["items"] == []
    # the owner's decider was told of the request, the requester of the answer (in-app inboxes)
    assert any("曹立新" in n["subject"] for n in _ok(firm_a.get("/api/v1/notifications")))
    told = [n for n in _ok(broker.get("/api/v1/notifications")) if "曹立新" in n["subject"]]
    assert len(told) == 1 and "已接受" in told[0]["subject"] and told[0]["link"] == f"/claims/{cid}"


@pytest.mark.usefixtures("expert_index")
def test_engagement_decline_and_refusals(env) -> None:
    ids = _ids(env)
    cid = _claim(env, "pools-3")
    broker = env.client("broker")
    # an expert the broker may not see (firm C's private one) cannot be requested
    r = broker.post(f"/api/v1/claims/{cid}/engagements", json={"expert_id": ids["袁丽华"]})
    assert r.status_code == 422
    # a non-participant gets the claim's 404
    out = env.client("adjuster3").post(f"/api/v1/claims/{cid}/engagements", json={"expert_id": ids["潘志远"]})
    miss = env.client("adjuster3").post(f"/api/v1/claims/{uuid.uuid4()}/engagements", json={"expert_id": ids["潘志远"]})
    assert (out.status_code, out.content) == (miss.status_code, miss.content) == (404, NOT_FOUND)
    eng = _ok(broker.post(f"/api/v1/claims/{cid}/engagements", json={"expert_id": ids["潘志远"]}), 201)
    firm_b = env.client("adjuster3")
    assert firm_b.post(f"/api/v1/engagements/{eng['id']}/decline", json={}).status_code == 422
    done = _ok(firm_b.post(f"/api/v1/engagements/{eng['id']}/decline", json={"reason": "档期已满"}))
    assert done["status"] == "declined" and done["reason"] == "档期已满"
    after = _ok(broker.get("/api/v1/engagements"))["items"][0]
    assert after["status"] == "declined" and after["expert"]["phone"] is None
    case = _ok(broker.get(f"/api/v1/claims/{cid}/case"))
    assert not [e for e in case["timeline"] if e["action"] == "claim.expert_engaged"]
    # declined: a new request is possible
    assert broker.post(f"/api/v1/claims/{cid}/engagements", json={"expert_id": ids["潘志远"]}).status_code == 201


def test_profile_checks_name_the_field_and_never_cut_text() -> None:
    from tandem.expert import service

    def line(**kw) -> str:
        base = {"id": "EXP-T1", "name": "测试专家", "organisation": "某公估公司", "owner_type": "adjuster_firm"}
        return json.dumps({**base, **kw}, ensure_ascii=False)

    rows, errors = service.read_profiles(
        "\n".join(
            [
                line(email="not-an-email"),
                line(id="EXP-T2", phone="abc"),
                line(id="EXP-T3", bio="长" * 5001),
                line(id="EXP-T4", specialties=["火" * 101]),
                line(id="EXP-T5", regions=[f"区{i}" for i in range(51)]),
                '{"id": "EXP-T6", name}',
                line(id="EXP-T7", email="a@b.cn", phone="+86 571-8888 1234", bio="长" * 5000),
            ]
        )
    )
    assert [(e.line, e.key) for e in errors] == [
        (1, "email"),
        (2, "phone"),
        (3, "bio"),
        (4, "specialties"),
        (5, "regions"),
        (6, None),
    ]
    assert "character 18" in errors[5].message
    assert [r["external_id"] for r in rows] == ["EXP-T7"] and len(rows[0]["bio"]) == 5000
