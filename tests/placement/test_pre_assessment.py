"""The pre-assessment report of a placement (预评估报告, R-U3) through the API: the firm's team (lead and
second), survey visits with photos, the draft per site and section with risk points, signing by the two
adjusters who did the work — each from their own login — and submission: immutable (409, and the database
refuses), hashed, PDF in Chinese and English, copied to the insured and supervision; corrections -R1."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError

from tandem.audit.service import verify
from tandem.claim.documents import report_html
from tandem.notification.models import Notification
from tandem.report.models import Report
from tests.helpers import _ok, placement_surveying

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64


def draft_body(**changes) -> dict:
    body = {
        "subject": "嘉兴鑫达电子科技有限公司：南湖厂区1-3号厂房及SMT生产线，秀洲仓库存货",
        "sites": [
            {
                "ref": "S1",
                "sections": [
                    {"ref": "S1-1", "replacement_value": "38500000.00", "basis": "按重置成本法，单方造价3,200元"},
                    {"ref": "S1-2", "replacement_value": "19200000.00", "basis": "设备清单及近期采购价"},
                ],
            },
            {"ref": "S2", "sections": [{"ref": "S2-1", "replacement_value": "8000000.00"}]},
        ],
        "risk_points": [
            {
                "ref": "R1",
                "title": "配电房电缆老化",
                "description": "2号厂房配电房电缆绝缘层开裂，未做红外测温。",
                "location": "南湖厂区2号厂房配电房",
                "level": "高",
                "coefficient": "1.1500",
                "advice": "三个月内更换电缆并每季度红外测温。",
                "site_ref": "S1",
            },
            {
                "ref": "R2",
                "title": "仓库消防通道堵塞",
                "description": "东侧消防通道堆放成品。",
                "location": "秀洲仓库东侧",
                "level": "中",
                "coefficient": "1.0500",
                "advice": "立即清理并划线管理。",
                "site_ref": "S2",
            },
        ],
        "environmental": "环评批复齐全；危废暂存间未设防渗。",
        "safety": "安评：电气线路老化，消防通道占用。",
        "advice": "建立每日消防巡查制度。",
    }
    body.update(changes)
    return body


def test_the_firm_surveys_writes_signs_and_submits_the_pre_assessment_report(env):
    p = placement_surveying(env)
    pid = p["id"]
    lead, second, broker = env.client("adjuster1"), env.client("adjuster2"), env.client("broker")
    me = {a["name"]: a["id"] for a in _ok(lead.get("/api/v1/adjusters"))["items"]}
    view = _ok(lead.get(f"/api/v1/placements/{pid}/pre-assessment"))
    assert [(m["name"], m["role"]) for m in view["team"]] == [("王建国", "lead")]

    # A visit needs the team of two; then it is not in the future nor before the letter was accepted.
    accepted = env.clock.now()
    visit = {"visited_at": accepted.isoformat(), "participants": ["王建国", "李娜", "沈国平（厂长）"]}
    r = lead.post(f"/api/v1/placements/{pid}/surveys", json=visit)
    assert r.status_code == 409 and "team" in r.json()["error"]["fields"]
    _ok(lead.post(f"/api/v1/placements/{pid}/team", json={"adjuster_id": me["李娜"]}))
    env.clock.advance(hours=4)
    for when, why in (
        (accepted - dt.timedelta(days=1), "before the letter was accepted"),
        (env.clock.now() + dt.timedelta(hours=1), "in the future"),
    ):
        r = lead.post(f"/api/v1/placements/{pid}/surveys", json={**visit, "visited_at": when.isoformat()})
        assert r.status_code == 422 and r.json()["error"]["fields"] == {"visited_at": why}
    r = lead.post(f"/api/v1/placements/{pid}/survey-photos", files={"file": ("a.pdf", b"%PDF-1.4 x", "image/png")})
    assert r.status_code == 422 and "file" in r.json()["error"]["fields"]
    photo = _ok(
        lead.post(f"/api/v1/placements/{pid}/survey-photos", files={"file": ("cable.png", PNG, "image/png")}), 201
    )
    r = lead.post(f"/api/v1/placements/{pid}/surveys", json={**visit, "photo_hashes": ["0" * 64]})
    assert r.status_code == 422 and "photo_hashes" in r.json()["error"]["fields"]
    visited = env.clock.now() - dt.timedelta(hours=1)
    body = {
        **visit,
        "visited_at": visited.isoformat(),
        "notes": "配电房电缆老化；仓库通道堵塞。",
        "photo_hashes": [photo["sha256"]],
    }
    view = _ok(lead.post(f"/api/v1/placements/{pid}/surveys", json=body), 201)
    assert view["visits"][0]["photo_hashes"] == [photo["sha256"]]

    # The draft: validated for the kind and against the placement's sites and sections.
    bad = draft_body(sites=[{"ref": "S9", "sections": []}])
    r = lead.put(f"/api/v1/placements/{pid}/report-draft", json=bad)
    assert r.status_code == 422 and r.json()["error"]["fields"] == {"sites.0.ref": "not a site of this placement"}
    bad = draft_body()
    bad["risk_points"][0]["level"], bad["risk_points"][1]["coefficient"] = "极高", "1.05555"
    fields = lead.put(f"/api/v1/placements/{pid}/report-draft", json=bad).json()["error"]["fields"]
    assert set(fields) == {"risk_points.0.level", "risk_points.1.coefficient"}
    partial = draft_body(sites=[draft_body()["sites"][0]])
    _ok(lead.put(f"/api/v1/placements/{pid}/report-draft", json=partial))
    assert broker.put(f"/api/v1/placements/{pid}/report-draft", json=partial).status_code == 403

    # Signing: every section valued, two adjusters of the team, the submitting one among them.
    r = lead.post(f"/api/v1/placements/{pid}/reports", json={"signer_ids": [me["王建国"], me["李娜"]]})
    assert r.status_code == 422 and r.json()["error"]["fields"] == {"values.S2-1": "required"}
    _ok(lead.put(f"/api/v1/placements/{pid}/report-draft", json=draft_body()))
    r = lead.post(f"/api/v1/placements/{pid}/reports", json={"signer_ids": [me["王建国"], me["周敏"]]})
    assert r.status_code == 422 and "周敏" in r.json()["error"]["fields"]["signer_ids"]
    view = _ok(lead.post(f"/api/v1/placements/{pid}/reports", json={"signer_ids": [me["王建国"], me["李娜"]]}), 201)
    signing = view["signing"]
    assert signing["number"] == "YP-2026-000001" and [s["signed"] for s in signing["signers"]] == [True, False]
    assert view["reports"] == [] and _ok(broker.get(f"/api/v1/placements/{pid}"))["status"] == "surveying"
    with env.session() as s:
        told = s.execute(select(Notification.subject).where(Notification.link == f"/placements/{pid}")).scalars().all()
    assert f"请签署投保项目 {p['number']} 的预评估报告 YP-2026-000001" in told

    # The second signs from their own login: the report is submitted, the placement is reported.
    r = second.post(f"/api/v1/placements/{pid}/reports/sign", json={"content_hash": "0" * 64})
    assert r.status_code == 422 and "content_hash" in r.json()["error"]["fields"]
    view = _ok(second.post(f"/api/v1/placements/{pid}/reports/sign", json={"content_hash": signing["content_hash"]}))
    assert view["signing"] is None and len(view["reports"]) == 1
    report = view["reports"][0]
    assert report["number"] == "YP-2026-000001" and report["content_hash"] == signing["content_hash"]
    assert report["replacement_total"] == "65700000.00"
    assert report["content"]["placement"]["insured"]["name"] == "嘉兴鑫达电子科技有限公司"
    assert _ok(broker.get(f"/api/v1/placements/{pid}"))["status"] == "reported"
    # Copied to the insured (on its case file and told) and to supervision.
    insured_view = _ok(env.client("insured1").get(f"/api/v1/placements/{pid}/pre-assessment"))
    assert [x["number"] for x in insured_view["reports"]] == ["YP-2026-000001"] and insured_view["draft"] is None
    assert (
        _ok(env.client("regulator").get(f"/api/v1/placements/{pid}/pre-assessment"))["reports"][0]["id"] == report["id"]
    )
    with env.session() as s:
        copies = s.execute(
            select(Notification.subject).where(Notification.dedupe_key.like(f"report-copy:{report['id']}:%"))
        )
        assert f"投保项目 {p['number']} 的预评估报告 YP-2026-000001" in copies.scalars().all()

    # Immutable: 409 to any change through the API; the database refuses an update itself.
    url = f"/api/v1/placements/{pid}/reports/{report['id']}"
    for method in ("put", "patch", "delete"):
        r = getattr(lead, method)(url, **({"json": {"advice": "x"}} if method != "delete" else {}))
        assert r.status_code == 409 and r.json()["error"]["code"] == "report.immutable"
    assert env.client("insurer2").put(url, json={}).status_code == 404
    with env.session() as s, pytest.raises(DBAPIError):
        s.execute(update(Report).where(Report.id == uuid.UUID(report["id"])).values(content_hash="0" * 64))
        s.commit()
    r = lead.post(f"/api/v1/placements/{pid}/reports", json={"signer_ids": [me["王建国"], me["李娜"]]})
    assert r.status_code == 409

    # The PDF reads like a 《预评估报告》: parties, sites and sections, values with ¥ and separators, points.
    with env.session() as s:
        html = report_html(s, s.get(Report, uuid.UUID(report["id"])))
    pieces = ["预评估报告", "YP-2026-000001", "嘉兴鑫达电子科技有限公司", "南湖厂区", "1-3号厂房", "¥38,500,000.00"]
    pieces += ["四、保险价值评估", "¥36,000,000.00", "配电房电缆老化", "1.1500", "环评批复齐全", "王建国", "李娜"]
    pieces += ["固定费用 ¥60,000.00", "存在不足额投保风险：S1-1 建筑物、S1-2 机器设备。"]
    for piece in pieces:
        assert piece in html, piece
    pdf = lead.get(f"{url}/pdf?lang=en")
    assert (
        pdf.status_code == 200
        and pdf.content.startswith(b"%PDF")
        and pdf.headers["x-content-sha256"] == report["content_hash"]
    )

    # A correction is a new report under the same number, with its reason, signed again by both; the
    # draft is the correction's working copy (the submitted report stays as it was).
    corrected = draft_body()
    corrected["risk_points"][1]["level"] = "低"
    _ok(lead.put(f"/api/v1/placements/{pid}/report-draft", json=corrected))
    r = lead.post(
        f"/api/v1/placements/{pid}/reports",
        json={"signer_ids": [me["王建国"], me["李娜"]], "correction_of": report["id"]},
    )
    assert r.status_code == 422 and r.json()["error"]["fields"] == {"reason": "required"}
    view = _ok(
        lead.post(
            f"/api/v1/placements/{pid}/reports",
            json={"signer_ids": [me["王建国"], me["李娜"]], "correction_of": report["id"], "reason": "补充仓库照片"},
        ),
        201,
    )
    assert view["signing"]["number"] == "YP-2026-000001-R1"
    view = _ok(
        second.post(f"/api/v1/placements/{pid}/reports/sign", json={"content_hash": view["signing"]["content_hash"]})
    )
    assert [x["number"] for x in view["reports"]] == ["YP-2026-000001", "YP-2026-000001-R1"]
    assert view["reports"][1]["supersedes_id"] == report["id"]
    assert Decimal(view["reports"][1]["replacement_total"]) == Decimal("65700000.00")
    assert [x["content"]["risk_points"][1]["level"] for x in view["reports"]] == ["中", "低"]

    with env.session() as s:
        assert verify(s) == []
        actions = [
            a
            for (a,) in s.execute(
                text("SELECT action FROM audit_event WHERE chain_key = :k ORDER BY seq"), {"k": f"case:{pid}"}
            )
        ]
    for action in (
        "case.team_member_added",
        "placement.survey_recorded",
        "report.signed",
        "placement.submit_report",
        "report.corrected",
    ):
        assert action in actions, action


def test_other_parties_get_404_and_only_the_firm_works_the_report(env):
    p = placement_surveying(env)
    pid = p["id"]
    assert env.client("insurer2").get(f"/api/v1/placements/{pid}/pre-assessment").status_code == 404
    assert env.client("insured2").get(f"/api/v1/placements/{pid}/pre-assessment").status_code == 404
    assert env.client("adjuster3").put(f"/api/v1/placements/{pid}/report-draft", json=draft_body()).status_code == 404
    assert env.client("insured1").put(f"/api/v1/placements/{pid}/report-draft", json=draft_body()).status_code == 403
    assert (
        env.client("adjuster1").put(f"/api/v1/placements/{uuid.uuid4()}/report-draft", json=draft_body()).status_code
        == 404
    )
