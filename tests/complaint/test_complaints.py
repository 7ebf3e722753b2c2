"""Explanations and complaints (issue 20 item 3): the insured asks firm A to explain its report, firm A
extends with a reason the insured is sent and decides in time; a complaint about the broker left undecided is
escalated to supervision by its timer on a moved clock; supervision reads escalated complaints only and
writes nothing; anybody not on the case gets 404; yearly statistics per organisation; the supervision feed
carries the day's complaints."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select

from tandem.audit.models import AuditEvent
from tandem.claim.models import Participation, PartyRole
from tandem.kit.clock import SHANGHAI, today_local
from tandem.supervision import feed
from tests.helpers import _to_reported, html_table, inbox, logged_in, post, run_jobs, text_of


def _org_of(env, cid: str, role: PartyRole) -> str:
    with env.session() as s:
        stmt = select(Participation.organisation_id).where(
            Participation.case_id == uuid.UUID(cid), Participation.party_role == role
        )
        return str(s.execute(stmt).scalars().first())


def _file(env, user: str, cid: str, **body):
    return env.client(user).post(f"/api/v1/cases/{cid}/complaints", json=body)


def _act(env, user: str, xid: str, action: str, text: str = ""):
    return env.client(user).post(f"/api/v1/complaints/{xid}/actions", json={"action": action, "text": text})


def test_explanation_extended_then_decided_in_time_with_audit(env) -> None:
    cid = _to_reported(env)
    firm, broker = _org_of(env, cid, PartyRole.ADJUSTER), _org_of(env, cid, PartyRole.BROKER)
    today = today_local(env.clock)
    # Bad input names the field; an explanation is asked of an adjuster firm only; nothing is written.
    assert _file(env, "insured1", cid, kind="explanation", target_id=firm, text=" ").json()["error"][
        "fields"
    ].keys() == {"text"}
    wrong = _file(env, "insured1", cid, kind="explanation", target_id=broker, text="请解释")
    assert wrong.status_code == 422 and "target_id" in wrong.json()["error"]["fields"]
    r = _file(env, "insured1", cid, kind="explanation", target_id=firm, text="请解释第2项损失的计算依据")
    assert r.status_code == 201, r.text
    x = r.json()
    assert (x["state"], x["kind"], x["target_id"]) == ("received", "explanation", firm)
    assert x["acknowledged_at"] == x["received_at"]  # acknowledged at once
    assert x["due_on"] == (today + dt.timedelta(days=15)).isoformat()
    assert x["may"] == ["escalate"]
    assert env.client("adjuster1").get(f"/api/v1/complaints/{x['id']}").json()["may"] == ["decide", "extend"]
    assert _act(env, "insured1", x["id"], "decide", "自己决定").status_code == 403  # the target decides
    assert _act(env, "adjuster1", x["id"], "extend").json()["error"]["fields"].keys() == {"text"}
    ext = _act(env, "adjuster1", x["id"], "extend", "需要补充外部鉴定意见")
    assert ext.status_code == 200, ext.text
    assert (ext.json()["state"], ext.json()["due_on"]) == ("extended", (today + dt.timedelta(days=30)).isoformat())
    assert _act(env, "adjuster1", x["id"], "extend", "再延").status_code == 409  # once only
    assert any("延" in m or "extended" in m for m in inbox(env, "insured1"))  # the reason is sent
    env.clock.advance(days=20)
    env._clients.clear()  # the tokens of 20 days ago have expired
    done = _act(env, "adjuster1", x["id"], "decide", "事实：…；依据：…；如不服可向监管部门投诉")
    assert done.status_code == 200 and done.json()["state"] == "decided"
    run_jobs(env)  # the decided complaint's old timers do nothing
    assert env.client("insured1").get(f"/api/v1/complaints/{x['id']}").json()["state"] == "decided"
    with env.session() as s:
        events = s.execute(
            select(AuditEvent.action, AuditEvent.chain_key)
            .where(AuditEvent.entity_id == x["id"])
            .order_by(AuditEvent.id)
        ).all()
    assert events == [(f"complaint.{a}", f"case:{cid}") for a in ("file", "extend", "decide")]
    year = env.clock.now().year
    stats = env.client("adjuster1").get("/api/v1/complaints/statistics", params={"year": year}).json()
    assert stats == [{"organisation_id": firm, "received": 1, "decided": 1, "decided_in_time": 1, "extended": 1,
                      "escalated": 0, "open": 0}]  # fmt: skip


def test_outsiders_get_404_and_supervision_reads_escalated_only(env) -> None:
    cid = _to_reported(env)
    broker = _org_of(env, cid, PartyRole.BROKER)
    firm = _org_of(env, cid, PartyRole.ADJUSTER)
    body = {"kind": "complaint", "target_id": broker, "text": "经纪人未按时转交材料"}
    assert _file(env, "insured2", cid, **body).status_code == 404  # not on the case: as for no case
    assert env.client("insured2").get(f"/api/v1/cases/{cid}/complaints").status_code == 404
    assert _file(env, "insured1", str(uuid.uuid4()), **body).status_code == 404
    x = _file(env, "insured1", cid, **body).json()
    other = _file(env, "insured1", cid, kind="explanation", target_id=firm, text="请解释").json()
    assert env.client("insured2").get(f"/api/v1/complaints/{x['id']}").status_code == 404
    assert env.client("regulator").get(f"/api/v1/complaints/{x['id']}").status_code == 404  # not escalated yet
    assert env.client("regulator").post(f"/api/v1/cases/{cid}/complaints", json=body).status_code == 403
    # Nothing decided by the due date: the timer escalates it to supervision.
    due = dt.date.fromisoformat(x["due_on"])
    env.clock.current = dt.datetime.combine(due + dt.timedelta(days=1), dt.time(10), tzinfo=SHANGHAI).astimezone(dt.UTC)
    env._clients.clear()
    assert _act(env, "adjuster1", other["id"], "decide", "事实、依据与救济途径").status_code == 200
    run_jobs(env)
    seen = env.client("regulator").get(f"/api/v1/complaints/{x['id']}")
    assert seen.status_code == 200 and seen.json()["state"] == "escalated" and seen.json()["may"] == []
    assert [c["id"] for c in env.client("regulator").get("/api/v1/complaints").json()] == [x["id"]]
    assert env.client("regulator").get(f"/api/v1/complaints/{other['id']}").status_code == 404
    assert _act(env, "regulator", x["id"], "decide", "x").status_code == 403  # supervision reads, never writes
    assert any("监管" in m or "supervision" in m for m in inbox(env, "broker"))
    year = env.clock.now().year
    stats = {s["organisation_id"]: s for s in env.client("regulator").get(
        "/api/v1/complaints/statistics", params={"year": year}).json()}  # fmt: skip
    assert (stats[broker]["escalated"], stats[broker]["open"], stats[broker]["decided"]) == (1, 0, 0)
    assert (stats[firm]["decided_in_time"], stats[firm]["escalated"]) == (0, 0)  # decided after the due date
    with env.session() as s:
        records = feed.collect(s, today_local(env.clock), env.clock.now())["complaints"]
    assert {(r["id"], r["state"]) for r in records} == {(x["id"], "escalated"), (other["id"], "decided")}


def test_the_page_files_a_complaint_and_the_firm_decides(env) -> None:
    cid = _to_reported(env)
    firm = _org_of(env, cid, PartyRole.ADJUSTER)
    insured = logged_in(env, "insured1")
    assert f'href="/cases/{cid}/complaints"' in insured.get(f"/claims/{cid}").text  # linked from the claim
    empty = post(insured, f"/cases/{cid}/complaints", {"kind": "explanation", "target_id": firm, "text": ""})
    assert empty.status_code == 422 and 'id="complaint-text"' in empty.text and "请说明请求的内容" in empty.text
    done = post(
        insured, f"/cases/{cid}/complaints", {"kind": "explanation", "target_id": firm, "text": "请解释定损依据"}
    )
    assert done.status_code == 303, done.text[:300]
    page = text_of(insured.get(done.headers["location"]))
    assert "已受理" in page and "申请解释" in page and "请解释定损依据" in page
    xid = env.client("insured1").get(f"/api/v1/cases/{cid}/complaints").json()[0]["id"]
    firm_page = logged_in(env, "adjuster1")
    decided = post(firm_page, f"/cases/{cid}/complaints/{xid}/decide", {"text": "事实、依据与救济途径"})
    assert decided.status_code == 303, decided.text[:300]
    assert "事实、依据与救济途径" in text_of(insured.get(f"/cases/{cid}/complaints"))
    assert logged_in(env, "insured2").get(f"/cases/{cid}/complaints").status_code == 404


def test_the_list_page_shows_each_party_its_own_and_supervision_the_escalated_with_the_figures(env) -> None:
    cid = _to_reported(env)
    firm, broker = _org_of(env, cid, PartyRole.ADJUSTER), _org_of(env, cid, PartyRole.BROKER)
    x = _file(env, "insured1", cid, kind="explanation", target_id=firm, text="请解释定损依据").json()
    y = _file(env, "insured1", cid, kind="complaint", target_id=broker, text="经纪人未及时回复").json()
    assert _act(env, "adjuster1", x["id"], "decide", "事实、依据与救济途径").status_code == 200
    assert _act(env, "insured1", y["id"], "escalate", "逾期未答复").status_code == 200
    year = env.clock.now().year
    rows = html_table(logged_in(env, "insured1").get("/complaints").text, "complaint-list")
    assert len(rows) == 3 and {r[2] for r in rows[1:]} == {"已决定", "已提交监管"}, rows
    firm_rows = html_table(logged_in(env, "adjuster1").get("/complaints").text, "complaint-list")
    assert len(firm_rows) == 2 and firm_rows[1][2] == "已决定", firm_rows  # only the one about the firm
    page = logged_in(env, "regulator").get(f"/complaints?year={year}").text
    assert [r[2] for r in html_table(page, "complaint-list")[1:]] == ["已提交监管"]  # escalated only
    figures = {r[0]: r[1:] for r in html_table(page, "complaint-figures")[1:]}
    assert sorted(figures.values()) == [["1", "0", "0", "0", "1", "0"], ["1", "1", "1", "0", "0", "0"]], figures
    assert logged_in(env, "insured2").get("/complaints").text.count("complaint-list") == 1  # its own: none
    # A notification's link leads to the case's complaints page; not one's to read: 404.
    link = logged_in(env, "adjuster1").get(f"/complaints/{x['id']}")
    assert (link.status_code, link.headers["location"]) == (303, f"/cases/{cid}/complaints")
    assert logged_in(env, "regulator").get(f"/complaints/{x['id']}").status_code == 404  # not escalated
    assert logged_in(env, "insured2").get(f"/complaints/{y['id']}").status_code == 404
