"""Helpers the test modules share: API and page clients, the steps that bring a claim to a state, the
draft reports. Test modules import from here, never from each other."""

from __future__ import annotations

import html
import os
import re
import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from tandem.demo import DEMO_PASSWORD

# How long any wait of the suite (a browser element or navigation, an in-process API call, the schema load)
# may take before the test fails: generous, so a busy machine only makes the suite slower, never red.
# TANDEM_E2E_TIMEOUT_MS sets it (the name it had when only the browser tests used it).
WAIT_TIMEOUT_MS = int(os.environ.get("TANDEM_E2E_TIMEOUT_MS", "60000"))


def policy_id(env, number: str) -> str:
    items = env.client("broker").get("/api/v1/policies").json()["items"]
    return next(p["id"] for p in items if p["number"] == number)


def _ok(r, status=200):
    assert r.status_code == status, r.text
    return r.json()


def co_sign(client, cid):
    """A named co-signer signs the frozen report's content hash from their own login (two signatures submit)."""
    case = _ok(client.get(f"/api/v1/claims/{cid}/case"))
    body = {"content_hash": case["signing"]["content_hash"]}
    return _ok(client.post(f"/api/v1/claims/{cid}/reports/sign", json=body))


def _draft():
    return {
        "cause": "2号车间电气线路短路引燃可燃物。",
        "liability": "属于企业财产保险责任范围。",
        "conclusion": "建议按保单约定理算。",
        "sections": [
            {
                "code": "building",
                "name": "建筑物",
                "replacement_value": "36000000.00",
                "items": [
                    {
                        "ref": "1",
                        "description": "2#车间彩钢瓦屋面",
                        "quantity": "1200",
                        "unit": "平方米",
                        "unit_value": "350.00",
                        "depreciation_rate": "0.10",
                        "loss": "378000.00",
                        "salvage": "8000.00",
                    }
                ],
            },
            {
                "code": "machinery",
                "name": "机器设备",
                "items": [
                    {
                        "ref": "2",
                        "description": "注塑机 HX-650",
                        "quantity": "2",
                        "unit": "台",
                        "unit_value": "180000.00",
                        "loss": "360000.00",
                    }
                ],
            },
        ],
    }


def _to_reported(env):
    insured, firm = env.client("insured1"), env.client("adjuster1")
    policy = next(p for p in insured.get("/api/v1/policies").json()["items"] if p["number"] == "PQC2026330400001")
    cid = _ok(
        insured.post(
            "/api/v1/claims",
            json={
                "policy_id": policy["id"],
                "loss_at": "2026-11-24T22:30:00+08:00",
                "location": "浙江省嘉兴市南湖区亚中路88号",
                "description": "2号车间夜间起火",
                "channel": "web",
            },
        ),
        201,
    )["id"]
    _ok(
        firm.post(
            f"/api/v1/claims/{cid}/appointment",
            json={"accept": True, "fee_basis": "按定损金额的1.5%", "fee_payment_days": 30},
        )
    )
    me = {a["name"]: a["id"] for a in firm.get("/api/v1/adjusters").json()["items"]}
    _ok(firm.post(f"/api/v1/claims/{cid}/team", json={"adjuster_id": me["李娜"]}))
    _ok(
        firm.post(
            f"/api/v1/claims/{cid}/surveys",
            json={"scheduled_at": "2026-11-25T14:00:00+08:00", "surveyed_at": "2026-11-25T10:00:00+08:00"},
        )
    )
    _ok(firm.put(f"/api/v1/claims/{cid}/report-draft", json=_draft()))
    _ok(firm.post(f"/api/v1/claims/{cid}/reports", json={"signer_ids": [me["王建国"], me["李娜"]]}), 201)
    co_sign(env.client("adjuster2"), cid)  # 李娜 signs in person
    return cid


def _draft_b():
    return {
        "cause": "电气短路。",
        "liability": "属保险责任。",
        "conclusion": "损失核定如下。",
        "sections": [
            {
                "code": "building",
                "items": [
                    {
                        "ref": "B1",
                        "description": "二号车间屋顶彩钢板",
                        "quantity": "1200",
                        "unit": "㎡",
                        "unit_value": "300.00",
                        "depreciation_rate": "0.10",
                        "loss": "324000.00",
                        "salvage": "8000.00",
                    }
                ],
            },
            {
                "code": "machinery",
                "items": [
                    {
                        "ref": "B2",
                        "description": "注塑机 HX-650",
                        "quantity": "2",
                        "unit": "台",
                        "unit_value": "180000.00",
                        "loss": "360000.00",
                    }
                ],
            },
        ],
    }


def second_report(env, cid) -> None:
    """The insurer appoints firm B's 张伟, who accepts, forms a team, surveys and submits report B."""
    insurer, firm_b = env.client("insurer1"), env.client("adjuster3")
    register = {a["name"]: a for a in insurer.get("/api/v1/adjusters").json()["items"]}
    _ok(insurer.post(f"/api/v1/claims/{cid}/insurer-adjuster", json={"adjuster_id": register["张伟"]["id"]}), 201)
    _ok(
        firm_b.post(
            f"/api/v1/claims/{cid}/appointment", json={"accept": True, "fee_basis": "按日计费", "fee_payment_days": 30}
        )
    )
    mine = {a["name"]: a["id"] for a in firm_b.get("/api/v1/adjusters").json()["items"]}
    _ok(firm_b.post(f"/api/v1/claims/{cid}/team", json={"adjuster_id": mine["陈亮"]}))
    _ok(
        firm_b.post(
            f"/api/v1/claims/{cid}/surveys",
            json={"scheduled_at": "2026-11-26T10:00:00+08:00", "surveyed_at": "2026-11-25T10:00:00+08:00"},
        )
    )
    _ok(firm_b.put(f"/api/v1/claims/{cid}/report-draft", json=_draft_b()))
    _ok(firm_b.post(f"/api/v1/claims/{cid}/reports", json={"signer_ids": [mine["张伟"], mine["陈亮"]]}), 201)
    co_sign(env.client("adjuster11"), cid)  # 陈亮 signs in person


CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def new_browser(env, **headers: str) -> TestClient:
    client = TestClient(env.app, base_url="https://testserver", follow_redirects=False, raise_server_exceptions=False)
    client.headers.update(headers)
    return client


def csrf_of(html: str) -> str:
    found = CSRF_FIELD.search(html)
    assert found, "no csrf_token field on the page"
    return found.group(1)


def login(client: TestClient, username: str, password: str = DEMO_PASSWORD, next_url: str = "/"):
    form = client.get(f"/login?next={next_url}")
    assert form.status_code == 200, form.text
    return client.post(
        "/login", data={"username": username, "password": password, "csrf_token": csrf_of(form.text), "next": next_url}
    )


def logged_in(env, username: str, **headers: str) -> TestClient:
    client = new_browser(env, **headers)
    r = login(client, username)
    assert r.status_code == 303, r.text
    return client


POLICY1 = "PQC2026330400001"  # insured1's; designates 王建国 (adjuster1)


def notice(env, user: str, number: str, **kw) -> str:
    body = {
        "policy_id": policy_id(env, number),
        "loss_at": "2026-11-24T22:30:00+08:00",
        "location": "浙江省嘉兴市南湖区亚中路88号",
        "description": "2号车间夜间起火",
        "channel": "web",
        **kw,
    }
    return _ok(env.client(user).post("/api/v1/claims", json=body), 201)["id"]


def post(client: TestClient, path: str, data: dict | None = None, **kw):
    """Post a page form with the session's CSRF token (read once from a page's logout form)."""
    token = getattr(client, "csrf", None)
    if token is None:
        token = csrf_of(client.get("/notifications").text)
        client.csrf = token  # type: ignore[attr-defined]
    return client.post(path, data={**(data or {}), "csrf_token": token}, **kw)


def text_of(r) -> str:
    """The page's visible text, tags dropped, entities decoded, whitespace collapsed."""
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", r.text, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", body)))


def _policy(env, user, number):
    items = env.client(user).get("/api/v1/policies").json()["items"]
    return next(p for p in items if p["number"] == number)


def _body(policy_id, **kw):
    body = {
        "policy_id": policy_id,
        "loss_at": "2026-11-24T22:30:00+08:00",
        "location": "浙江省嘉兴市南湖区亚中路88号",
        "description": "2号车间夜间起火，烧毁注塑机两台及部分原材料",
        "channel": "web",
        "estimated_loss": "850000.00",
        "reporter": {"name": "沈国平", "phone": "13957312345"},
    }
    body.update(kw)
    return body


def sign_on_page(client: TestClient, case: str) -> None:
    """A named co-signer opens the case, sees the frozen report's hash and signs it."""
    page = client.get(case)
    assert "签署报告 GR-" in text_of(page), text_of(page)[:2000]
    found = re.search(r'name="content_hash" value="([0-9a-f]{64})"', page.text)
    assert found
    assert post(client, f"{case}/reports/sign", {"content_hash": found.group(1)}).status_code == 303


def product_body(**changes: Any) -> dict[str, Any]:
    """A whole insurer product that passes validation (create, or replace on PUT), with ``changes``."""
    doc: dict[str, Any] = {
        "code": "ZA-TEST-1",
        "name": "企业财产保险（试行）",
        "lines": ["企业财产保险", "营业中断保险"],
        "fund_mode": "traditional",
        "summary": "火灾、爆炸及列明自然灾害",
        "perils_covered": ["fire", "explosion", "flood"],
        "perils_excluded": ["earthquake", "war"],
        "capacity": "300000000.00",
        "rates": [
            {"section_type": "building", "rate_permille": "0.85"},
            {"section_type": "stock", "rate_permille": 1.2},
        ],
        "factors": [{"code": "sprinkler", "min": "0.80", "max": "1.00"}],
        "coefficient_min": "0.70",
        "coefficient_max": "1.30",
        "minimum_premium": "1000.00",
        "short_period": "monthly",
        "valid_from": "2026-01-01",
        "valid_until": "2027-12-31",
    }
    doc.update(changes)
    return doc


# ---- placements (投保项目) ------------------------------------------------------------------------------

XINDA = "嘉兴鑫达电子科技有限公司"  # insured1's organisation


def insured_org_id(env, name: str = XINDA) -> str:
    """The id of an insured organisation, as the broker's API lists it."""
    return next(i["id"] for i in _ok(env.client("broker").get("/api/v1/insureds")) if i["name"] == name)


def placement_body(env, **changes: Any) -> dict[str, Any]:
    """A valid placement for insured1's company: two sites, three sections, one site contact."""
    body: dict[str, Any] = {
        "insured_id": insured_org_id(env),
        "title": "嘉兴鑫达电子 2027 财产险项目",
        "lines": ["企业财产保险", "机器损坏保险"],
        "period_start": "2027-01-01",
        "period_end": "2027-12-31",
        "sites": [
            {
                "name": "南湖厂区",
                "address": "浙江省嘉兴市南湖区亚中路88号",
                "province": "浙江",
                "occupancy": "电子元器件制造",
                "construction": "钢筋混凝土框架",
                "sections": [
                    {"type": "building", "description": "1-3号厂房", "sum_insured": "36000000.00"},
                    {"type": "machinery", "description": "SMT 生产线", "sum_insured": "18500000.50"},
                ],
            },
            {
                "name": "秀洲仓库",
                "address": "浙江省嘉兴市秀洲区康和路12号",
                "province": "浙江",
                "sections": [{"type": "stock", "sum_insured": "8000000"}],
            },
        ],
        "contacts": [{"site_ref": "S1", "name": "沈国平", "phone": "13957312345", "role": "厂长"}],
    }
    body.update(changes)
    return body


def open_placement(env, user: str = "broker", **changes: Any) -> dict[str, Any]:
    """Open a placement through the API as the broker's account manager; the placement as returned."""
    return _ok(env.client(user).post("/api/v1/placements", json=placement_body(env, **changes)), 201)


def _user_actor(session, username: str):
    from tandem.access.actor import Actor
    from tandem.access.models import User

    return Actor.from_user(session.execute(select(User).where(User.username == username)).unique().scalar_one())


PRE_ASSESSMENT = {
    "subject": "嘉兴鑫达电子科技有限公司：南湖厂区、秀洲仓库",
    "risk_points": [
        {
            "ref": ref,
            "title": title,
            "description": f"{title}，现场查见。",
            "location": where,
            "level": level,
            "coefficient": coefficient,
            "advice": "限期整改。",
        }
        for ref, title, where, level, coefficient in (
            ("1", "配电房电缆老化", "1号厂房配电房", "高", "1.1500"),
            ("2", "消防通道堵塞", "秀洲仓库东侧", "中", "1.0500"),
            ("3", "危化品储存不规范", "化学品库", "重大", "1.3000"),
        )
    ],
    "advice": "建立消防巡查制度。",
    "environmental": "环评批复齐全，危废暂存间未设防渗。",
    "safety": "安评：电气线路老化，消防通道占用。",
}


def placement_reported(env, content: dict[str, Any] | None = None, **changes: Any) -> str:
    """A placement (opened through the API) whose pre-assessment report adjuster1's firm (王建国, 李娜)
    submitted through the report service; the placement stands at ``reported``. Returns its id.

    The steps before the report belong to other modules; the status is set here as they would leave it."""
    from tandem.case import letters
    from tandem.case import team as case_team
    from tandem.case.models import Case
    from tandem.party.models import Adjuster
    from tandem.placement.models import Placement, PlacementStatus
    from tandem.report import service as report_service

    pid = open_placement(env, **changes)["id"]
    now = env.clock.now()
    with env.session() as s:
        case = s.get(Case, uuid.UUID(pid))
        firm = _user_actor(s, "adjuster1")
        wang, li = (
            s.execute(select(Adjuster).where(Adjuster.name == n)).unique().scalar_one() for n in ("王建国", "李娜")
        )
        letters.issue_letter(s, case, wang, side="broker", now=now)
        letters.answer_letter(
            s, firm, case, "broker", accept=True, fee_basis="按项目固定费用", fee_payment_days=30, now=now
        )
        case_team.add_team_member(s, firm, case, li.id, now=now)
        report_service.save_draft(s, firm, case, "pre_assessment", content or PRE_ASSESSMENT, now=now)
        report_service.submit(s, firm, case, "pre_assessment", signer_ids=[wang.id, li.id], now=now)
        placement = s.get(Placement, uuid.UUID(pid))
        placement.status, placement.adjuster_firm_id = PlacementStatus.REPORTED, firm.org_id
        s.commit()
    return pid


def placement_surveying(env, user: str = "broker") -> dict[str, Any]:
    """A placement whose pre-assessment is under way (R-U3): opened through the API, the broker's letter
    to 王建国's firm issued and accepted with fee terms (王建国 leads the team); the steps of R-U1/R-U2
    before it are set directly, so this helper does not depend on their guards."""
    from sqlalchemy import update

    from tandem.access.actor import Actor
    from tandem.access.models import User
    from tandem.case import letters
    from tandem.case.models import Case
    from tandem.party.models import Adjuster
    from tandem.placement.models import Placement, PlacementStatus

    p = open_placement(env, user)
    now = env.clock.now()
    with env.session() as s:
        case = s.get(Case, uuid.UUID(p["id"]))
        lead = s.execute(select(Adjuster).where(Adjuster.name == "王建国")).unique().scalar_one()
        firm = Actor.from_user(s.execute(select(User).where(User.username == "adjuster1")).unique().scalar_one())
        letters.issue_letter(s, case, lead, side="broker", now=now)
        letters.answer_letter(
            s, firm, case, "broker", accept=True, fee_basis="按项目固定费用 ¥60,000", fee_payment_days=30, now=now
        )
        s.execute(
            update(Placement)
            .where(Placement.id == case.id)
            .values(status=PlacementStatus.SURVEYING, adjuster_firm_id=lead.firm_id)
        )
        s.commit()
    return p
