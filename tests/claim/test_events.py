"""Declared catastrophe events (巨灾事件, issue 21): tagging by area and time, by hand, access, triage and
assigning a district to a firm."""

from __future__ import annotations

from sqlalchemy import select

from tandem.audit.models import AuditEvent
from tandem.claim import events
from tests.helpers import _body, org

POLICY2 = "PCA2026441900002"  # insured2's, insurer2, 财产一切险, no designated adjuster
YUEAN = "粤安保险公估有限公司"
FLOOD = {
    "name": "2026年11月东莞暴雨",
    "peril": "flood",
    "areas": ["东莞市"],
    "starts_at": "2026-11-20T00:00:00+08:00",
    "ends_at": "2026-11-30T00:00:00+08:00",
}


def _row(key: str, location: str, **kw):
    row = _body(None, location=location, **kw)
    row.pop("policy_id")
    return {"idempotency_key": key, "policy_number": POLICY2, **row}


def _batch(env, rows):
    r = env.client("broker").post("/api/v1/claims/batch", json=rows)
    assert r.status_code == 200, r.text
    return [x["claim_id"] for x in r.json()["rows"]]


def _declare(env, user="broker", **kw):
    r = env.client(user).post("/api/v1/events", json={**FLOOD, **kw})
    assert r.status_code == 201, r.text
    return r.json()


def test_notices_inside_the_area_and_period_are_tagged_on_declaring_and_at_intake(env):
    inside, elsewhere, before = _batch(
        env,
        [
            _row("e-1", "广东省东莞市长安镇振安中路128号"),
            _row("e-2", "广东省广州市天河区体育西路1号"),
            _row("e-3", "广东省东莞市虎门镇", loss_at="2026-11-10T08:00:00+08:00"),
        ],
    )
    event = _declare(env)
    assert event["tagged"] == 1
    later, later_elsewhere = _batch(env, [_row("e-4", "东莞市南城区鸿福路"), _row("e-5", "广东省深圳市南山区科技园")])
    got = env.client("broker").get(f"/api/v1/events/{event['id']}").json()
    assert {c["id"] for c in got["claims"]} == {inside, later}
    assert [e["notices"] for e in env.client("broker").get("/api/v1/events").json()] == [2]
    assert [e["notices"] for e in env.client("insured2").get("/api/v1/events").json()] == [2]
    assert {d["district"]: d["open"] for d in got["districts"]} == {"东莞市长安镇": 1, "东莞市南城区": 1}
    with env.session() as s:
        how = s.execute(
            select(AuditEvent.entity_id, AuditEvent.actor_user_id).where(AuditEvent.action == "claim.event_tagged")
        ).all()
    assert {e for e, _u in how} == {inside, later}
    assert elsewhere not in str(got) and before not in str(got) and later_elsewhere not in str(got)


def test_an_outsider_gets_404_and_a_party_sees_only_its_notices(env):
    (mine,) = _batch(env, [_row("a-1", "广东省东莞市长安镇")])
    event = _declare(env)
    url = f"/api/v1/events/{event['id']}"
    missing = env.client("insurer1").get("/api/v1/events/00000000-0000-4000-8000-000000000000")
    for outsider in ("insurer1", "insured1", "adjuster3"):
        r = env.client(outsider).get(url)
        assert r.status_code == 404 and r.content == missing.content
        assert env.client(outsider).get("/api/v1/events").json() == []
        assert env.client(outsider).delete(f"{url}/claims/{mine}").status_code == 404
    party = env.client("insured2").get(url)
    assert party.status_code == 200 and [c["id"] for c in party.json()["claims"]] == [mine]
    assert [e["id"] for e in env.client("insurer2").get("/api/v1/events").json()] == [event["id"]]


def test_tagging_by_hand_is_audited_and_refused_twice(env):
    a, b = _batch(env, [_row("h-1", "广东省东莞市长安镇"), _row("h-2", "广东省广州市天河区")])
    event = _declare(env)
    c = env.client("broker")
    url = f"/api/v1/events/{event['id']}/claims"
    assert c.post(url, json={"claim_id": b}).status_code == 204
    assert c.post(url, json={"claim_id": b}).status_code == 409
    assert c.delete(f"{url}/{a}").status_code == 204
    assert c.delete(f"{url}/{a}").status_code == 409
    assert [x["id"] for x in c.get(f"/api/v1/events/{event['id']}").json()["claims"]] == [b]
    with env.session() as s:
        acts = s.execute(
            select(AuditEvent.action, AuditEvent.entity_id)
            .where(AuditEvent.action.like("claim.event_%"))
            .order_by(AuditEvent.occurred_at, AuditEvent.action)
        ).all()
    assert sorted(acts) == sorted([("claim.event_tagged", a), ("claim.event_tagged", b), ("claim.event_untagged", a)])
    # An insured may not tag: the insurer's handler and the broker may.
    assert env.client("insured2").post(url, json={"claim_id": a}).status_code == 403


def test_bad_events_are_refused_naming_the_field(env):
    c = env.client("broker")
    r = c.post("/api/v1/events", json={**FLOOD, "ends_at": "2026-11-01T00:00:00+08:00"})
    assert r.status_code == 422 and "ends_at" in r.json()["error"]["fields"]
    r = c.post("/api/v1/events", json={**FLOOD, "areas": []})
    assert r.status_code == 422 and "areas" in r.json()["error"]["fields"]
    r = c.post("/api/v1/events", json={**FLOOD, "peril": "meteor"})
    assert r.status_code == 422 and "peril" in r.json()["error"]["fields"]
    assert env.client("insured1").post("/api/v1/events", json=FLOOD).status_code == 403
    assert c.get("/api/v1/events").json() == []


def test_a_district_goes_to_one_firm_with_the_routing_checks_on_each_notice(env):
    ids = _batch(env, [_row(f"d-{i}", f"广东省东莞市长安镇{i}号") for i in range(10)])
    (other,) = _batch(env, [_row("d-x", "广东省东莞市虎门镇")])
    event = _declare(env)
    firm = org(env, YUEAN)
    r = env.client("broker").post(
        f"/api/v1/events/{event['id']}/assignments", json={"district": "东莞市长安镇", "firm_id": firm}
    )
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["routed"] + out["refused"] == 10 and out["routed"] >= 1 and out["refused"] >= 1
    assert {x["claim_id"] for x in out["results"]} == set(ids)
    assert {x["adjuster"] for x in out["results"] if x["outcome"] == "routed"} == {"林志伟"}
    refused = [x for x in out["results"] if x["outcome"] == "refused"]
    assert all("over_capacity" in x["message"] for x in refused)
    got = {c["id"]: c["status"] for c in env.client("broker").get(f"/api/v1/events/{event['id']}").json()["claims"]}
    assert sorted(got[x["claim_id"]] for x in out["results"]) == sorted(
        "routed" if x["outcome"] == "routed" else "notified" for x in out["results"]
    )
    assert got[other] == "notified"
    # The insured's view of a routed claim names the adjuster, as a single routing would.
    first = next(x for x in out["results"] if x["outcome"] == "routed")
    assert env.client("insured2").get(f"/api/v1/claims/{first['claim_id']}").json()["adjuster"]["name"] == "林志伟"
    # Only the broker routes.
    assert (
        env.client("insurer2")
        .post(f"/api/v1/events/{event['id']}/assignments", json={"district": "东莞市长安镇", "firm_id": firm})
        .status_code
        == 403
    )


def test_districts_are_read_from_the_loss_place():
    assert events.district_of("河南省郑州市金水区花园路12号") == "郑州市金水区"
    assert events.district_of("北京市朝阳区建国门外大街1号") == "朝阳区"
    assert events.district_of("广东省东莞市长安镇振安中路128号") == "东莞市长安镇"
    assert events.district_of("新乡市卫辉市人民路") == "新乡市卫辉市"
    assert events.district_of("广东省东莞市厚街镇康乐南路3号") == "东莞市厚街镇"
    assert events.district_of("某地某处") == ""
    assert events.in_area(["河南省"], "河南郑州金水区") and not events.in_area(["郑州市"], "河南省新乡市")
