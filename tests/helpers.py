"""Helpers the test modules share: API and page clients, the steps that bring a claim to a state, the
draft reports. Test modules import from here, never from each other."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import html
import importlib.util
import io
import json
import os
import re
import subprocess
import sys
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import strategies as st
from pypdf import PdfReader
from sqlalchemy import func, select, text
from starlette.routing import Route

from tandem import demo_retention
from tandem.access import service as access_service
from tandem.access.models import Organisation, OrgKind, Role, User
from tandem.audit import service as audit
from tandem.audit.models import AuditEvent
from tandem.claim.models import Claim
from tandem.db import unit_of_work
from tandem.demo import DEMO_PASSWORD
from tandem.demo_comparison import Profile, history
from tandem.fees.engine import Basis, FeeTerms, Payer
from tandem.fees.models import Invoice
from tandem.kit.clock import SHANGHAI
from tandem.kit.i18n import gettext
from tandem.kit.storage import store_for
from tandem.kit.workdays import WorkCalendar
from tandem.party.models import Adjuster, Insured, Insurer, InsurerProduct, ProductStatus
from tandem.policy.models import Policy
from tandem.reconciliation.models import Consultation
from tandem.web.labels import label
from tandem.worker import runner

REPO = Path(__file__).resolve().parents[1]

# Fee terms a firm fixes on accepting a claim's letter (docs/fees.md): 1.5 % of the assessed loss, at least
# 3,000 yuan, expenses as incurred up to 5,000 yuan, VAT 6 %, the insurer pays within 30 days.
CLAIM_TERMS: dict[str, Any] = {
    "basis": "rate",
    "rate": "0.015",
    "minimum_fee": "3000.00",
    "expenses": {"policy": "actual", "cap": "5000.00"},
    "payer": "insurer",
    "payment_days": 30,
}
ACCEPT: dict[str, Any] = {"accept": True, "terms": CLAIM_TERMS}
# A pre-assessment's terms: a fixed 60,000 yuan, paid by the insured within 30 days.
PRE_ASSESSMENT_TERMS = FeeTerms(Basis.FIXED, Payer.INSURED, 30, amount=Decimal("60000.00"))
# The claim terms typed into the letter form of the claim page.
LETTER_FORM = {
    "answer": "accept",
    "fee_basis": "rate",
    "fee_rate": "1.5",
    "fee_minimum": "3000",
    "fee_expenses": "actual",
    "fee_expenses_cap": "5000",
    "fee_vat_rate": "6",
    "fee_payer": "insurer",
    "fee_payment_days": "30",
}

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


def _draft(**changes: Any) -> dict[str, Any]:
    """A draft report of insured1's fire (two sections, 2# workshop), top-level fields replaced by ``changes``."""
    draft: dict[str, Any] = {
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
    draft.update(changes)
    return draft


def _to_reported(env):
    """insured1's fire claim (POLICY1, routed to firm A) taken to a submitted, signed report of ``_draft()``."""
    firm = env.client("adjuster1")
    cid = notice(env)
    me = accepted_with_team(env, cid)
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


def second_report(env, cid, accept: dict[str, Any] = ACCEPT) -> None:
    """The insurer appoints firm B's 张伟, who accepts (with ``accept``'s fee terms), forms a team, surveys
    and submits report B."""
    insurer, firm_b = env.client("insurer1"), env.client("adjuster3")
    register = {a["name"]: a for a in insurer.get("/api/v1/adjusters").json()["items"]}
    _ok(insurer.post(f"/api/v1/claims/{cid}/insurer-adjuster", json={"adjuster_id": register["张伟"]["id"]}), 201)
    _ok(firm_b.post(f"/api/v1/claims/{cid}/appointment", json=accept))
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


def notice(env, user: str = "insured1", number: str = POLICY1, **kw) -> str:
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
        letters.answer_letter(s, firm, case, "broker", accept=True, terms=PRE_ASSESSMENT_TERMS, now=now)
        case_team.add_team_member(s, firm, case, li.id, now=now)
        report_service.save_draft(s, firm, case, "pre_assessment", content or PRE_ASSESSMENT, now=now)
        report_service.submit(s, firm, case, "pre_assessment", signer_ids=[wang.id, li.id], now=now)
        placement = s.get(Placement, uuid.UUID(pid))
        placement.status, placement.adjuster_firm_id = PlacementStatus.REPORTED, firm.org_id
        s.commit()
    return pid


def placement_at_market(env, pid: str | None = None) -> str:
    """A placement whose pre-assessment (华信, 王建国 and 李娜) is in and which went to market (``pid``: this
    one, already reported); both demo insurers were approached (they take part in its case, as a
    submission makes them)."""
    from tandem.case import service as case_service
    from tandem.case.models import Case
    from tandem.claim.models import PartyRole
    from tandem.placement.models import Placement, PlacementStatus

    pid = pid or placement_reported(env)
    with env.session() as s:
        placement = s.get(Placement, uuid.UUID(pid))
        placement.status = PlacementStatus.TO_MARKET
        case = s.get(Case, uuid.UUID(pid))
        for user in ("underwriter1", "underwriter2"):
            org_id = _user_actor(s, user).org_id
            case_service.add_participant(s, case, org_id, PartyRole.INSURER, now=env.clock.now())
        s.commit()
    return pid


# The insurer's own adjuster's fee terms (R-U7): by the hour, the insurer pays.
SECOND_TERMS = {"basis": "hourly", "hourly_rate": "680.00", "payer": "insurer", "payment_days": 30}


def _insurer_report(sites: list[dict]) -> dict:
    """The insurer's adjuster's report: the same three risk points in its own words, one rated lower."""
    from tandem.demo_placements import report_content

    content = report_content(sites, "嘉兴鑫达电子：保险人委托第二次预评估")
    points = [dict(p) for p in PRE_ASSESSMENT["risk_points"]]
    points[0] |= {"title": "配电房电缆老化破损", "level": "中", "coefficient": "1.1000"}
    content["risk_points"] = [{**p, "ref": f"F{p['ref']}"} for p in points]
    return content


def second_report_in(env, pid: str) -> None:
    """insurer1 appoints 张伟 (firm B), who accepts, forms a team with 陈亮, surveys, writes and submits."""
    ids = {a["name"]: a["id"] for a in _ok(env.client("broker").get("/api/v1/adjusters?limit=100"))["items"]}
    uw1 = env.client("underwriter1")
    lead, second = env.client("adjuster3"), env.client("adjuster11")
    base = f"/api/v1/placements/{pid}"
    row = _ok(uw1.post(f"{base}/insurer-adjusters", json={"adjuster_id": ids["张伟"]}), 201)
    due = (env.clock.now().date() + dt.timedelta(days=20)).isoformat()
    _ok(
        lead.post(
            f"{base}/insurer-adjusters/{row['id']}/accept",
            json={"terms": SECOND_TERMS, "report_due": due},
        )
    )
    _ok(lead.post(f"{base}/team", json={"adjuster_id": ids["陈亮"]}))
    visit = {"visited_at": env.clock.now().isoformat(), "participants": ["张伟", "陈亮"], "notes": "复核配电房。"}
    _ok(lead.post(f"{base}/surveys", json=visit), 201)
    sites = _ok(env.client("broker").get(f"{base}"))["sites"]
    _ok(lead.put(f"{base}/report-draft", json=_insurer_report(sites)))
    signing = _ok(lead.post(f"{base}/reports", json={"signer_ids": [ids["张伟"], ids["陈亮"]]}), 201)["signing"]
    _ok(second.post(f"{base}/reports/sign", json={"content_hash": signing["content_hash"]}))
    assert _ok(uw1.get(f"{base}/insurer-adjusters/{row['id']}"))["state"] == "reported"


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
        letters.answer_letter(s, firm, case, "broker", accept=True, terms=PRE_ASSESSMENT_TERMS, now=now)
        s.execute(
            update(Placement)
            .where(Placement.id == case.id)
            .values(status=PlacementStatus.SURVEYING, adjuster_firm_id=lead.firm_id)
        )
        s.commit()
    return p


def placement_deciding(env, **changes: Any) -> str:
    """A placement (``placement_reported``) whose risk register the broker's risk evaluator drew up and
    published, and on whose three points insured1 decided (two remediated, one loading borne)."""
    pid = placement_reported(env, **changes)
    api, risk = f"/api/v1/placements/{pid}", env.client("risk")
    _ok(risk.post(f"{api}/risk-register"), 201)
    _ok(risk.post(f"{api}/risk-register/publish"))
    soon = (env.clock.now().date() + dt.timedelta(days=40)).isoformat()
    decisions = [
        {"ref": "1", "choice": "remediate", "committed_date": soon},
        {"ref": "2", "choice": "premium"},
        {"ref": "3", "choice": "remediate", "committed_date": soon},
    ]
    _ok(env.client("insured1").put(f"{api}/decisions", json={"decisions": decisions}))
    return pid


def consents_acknowledged(env, pid: str) -> None:
    """The broker gives the disclosure and the mandate (both generated) and insured1 acknowledges both."""
    broker, insured = env.client("broker"), env.client("insured1")
    _ok(broker.post(f"/api/v1/placements/{pid}/disclosure", json={}), 201)
    _ok(broker.post(f"/api/v1/placements/{pid}/mandate", json={}), 201)
    for kind in ("disclosure", "mandate"):
        _ok(insured.post(f"/api/v1/placements/{pid}/consents/{kind}/acknowledge"))


def placement_gone_to_market(env, **changes: Any) -> str:
    """A placement (``placement_deciding``) taken to market through the API once the insured acknowledged
    both papers; no insurer approached yet."""
    pid = placement_deciding(env, **changes)
    consents_acknowledged(env, pid)
    _ok(env.client("broker").post(f"/api/v1/placements/{pid}/go-to-market"))
    return pid


def policy_bound(env, days_ago: float = 50) -> str:
    """A policy bound from a placement, told by the demo's story from ``days_ago``: 华信 (张伟, 陈亮)
    pre-assessed it, the register has points 1 (高), 2 (中, loaded) and 3 (重大), the insured committed to
    remedy 1 and 3 within 60 days, underwriter1's quote was accepted. Returns the policy id."""
    from tandem import demo_placements
    from tandem.access.actor import Actor
    from tandem.party.models import Adjuster
    from tandem.placement.binding import policy_of

    with unit_of_work(env.factory) as s:
        users = {u.username: u for u in s.execute(select(User)).unique().scalars()}
        actors = {name: Actor.from_user(u) for name, u in users.items()}
        adjusters = {a.name: a for a in s.execute(select(Adjuster)).unique().scalars()}
        insureds = s.execute(select(Insured)).unique().scalars()
        xinda = next(i.organisation_id for i in insureds if i.organisation.name == XINDA)
        zhang, chen = adjusters["张伟"], adjusters["陈亮"]
        story = demo_placements._Story(s, env.settings, actors, env.clock.now() - dt.timedelta(days=days_ago))
        sites = demo_placements.XINDA_SITES[:1]
        story.open(xinda, "嘉兴鑫达电子 南湖厂区财产险项目", ["企业财产保险"], sites).explain()
        story.choose("insured1", zhang)
        story.letter().accept("adjuster3").survey("adjuster3", chen)
        story.report("adjuster3", [zhang, chen], "adjuster11", "嘉兴鑫达电子：南湖厂区").register()
        story.decide("insured1", remediate=("1", "3")).market().shortlist().submit().quote("underwriter1")
        story.bind("insured1", "underwriter1", zhang)
        policy = policy_of(s, story.p.id)
        assert policy is not None
        return str(policy.id)


# ---- demo data, the database, the command line -----------------------------------------------------

POLICY3 = "PQC2026330100003"  # insured3's household contents; no designated adjuster; first loss
INSURED1_ORG = XINDA
INSURER1_ORG = "中安财产保险股份有限公司"


def one(env, stmt):
    with env.session() as s:
        return s.execute(stmt).scalar_one()


def claim_status(env, cid) -> str:
    return one(env, select(Claim.status).where(Claim.id == uuid.UUID(str(cid)))).value


def org(env, name: str) -> str:
    return str(one(env, select(Organisation.id).where(Organisation.name == name)))


def policy_body(env, **over: Any) -> dict[str, Any]:
    """A new policy for insured1 with insurer1 that passes validation, with ``over``."""
    with env.session() as s:
        product = s.execute(select(InsurerProduct.id).where(InsurerProduct.code == "ZA-QC-2024")).scalar_one()
        adj = s.execute(select(Adjuster.id).where(Adjuster.name == "李娜")).scalar_one()
    body: dict[str, Any] = {
        "number": "PQC2027330400009",
        "insured_id": org(env, INSURED1_ORG),
        "insurer_id": org(env, INSURER1_ORG),
        "product_id": str(product),
        "line": "企业财产保险",
        "period_start": "2027-01-01",
        "period_end": "2027-12-31",
        "designated_adjuster_id": str(adj),
        "sections": [
            {
                "code": "building",
                "name": "建筑物",
                "sum_insured": "30000000.00",
                "insured_value": "36000000",
                "deductible_amount": "10000.5",
                "deductible_rate": "0.1",
            },
            {"code": "stock", "name": "存货", "sum_insured": 8000000, "aggregate_limit": "8000000.00"},
        ],
    }
    body.update(over)
    return body


def post_inbound(env, payload, secret=None):
    """The messaging gateway's signed webhook delivers ``payload``."""
    raw = json.dumps(payload, ensure_ascii=False).encode()
    sig = hmac.new((secret or env.settings.webhook_secret).encode(), raw, hashlib.sha256).hexdigest()
    return env.client().post(
        "/api/v1/intake/messages",
        content=raw,
        headers={"X-Tandem-Signature": f"sha256={sig}", "Content-Type": "application/json"},
    )


def said(event: str, locale: str = "zh_CN") -> str:
    """How the inbox names an event (the timeline's label, in the user's language)."""
    return gettext(label("event", event), locale)


def run_jobs(env) -> None:
    """Run the outbox until it is empty (the timers due on the test clock), at most 50 rounds."""
    for _ in range(50):
        stats = runner.run_once(env.factory, env.settings, env.clock)
        if stats.done + stats.retried + stats.failed == 0:
            return


def inbox(env, user: str) -> list[str]:
    return [n["subject"] for n in _ok(env.client(user).get("/api/v1/notifications"))]


TANDEM = REPO / ".venv" / "bin" / "tandem"
if not TANDEM.exists():  # another layout: the script next to the running interpreter
    TANDEM = Path(sys.executable).with_name("tandem")


def assert_rejected(proc: subprocess.CompletedProcess[bytes], field: str | None) -> str:
    """The command exited 2 with one line naming ``field`` on stderr and nothing on stdout; the line."""
    stderr = proc.stderr.decode("utf-8")
    assert proc.returncode == 2, (proc.returncode, proc.stdout, stderr)
    assert proc.stdout == b""
    assert stderr.endswith("\n") and stderr.count("\n") == 1, stderr
    assert "Traceback" not in stderr
    line = stderr.rstrip("\n")
    if field is not None:
        assert line.startswith(f"error: {field}: "), line
    return line


# Any JSON value (damaged documents for the engines' input checks), and where each part of one sits.
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**30), 10**30)
    | st.decimals(allow_nan=False, allow_infinity=False).map(lambda d: Decimal(str(d)))
    | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)


def json_paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, inner in value.items():
            found += json_paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            found += json_paths(inner, (*prefix, i))
    return found


def _work_calendar_migration() -> Any:
    spec = importlib.util.spec_from_file_location("m0005", REPO / "migrations" / "versions" / "0005_work_calendar.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


SEED = _work_calendar_migration().seed_rows()  # the work calendar's seed rows (migration 0005)
CAL = WorkCalendar.from_rows((r["day"], r["working"]) for r in SEED)


# ---- routes, every row, page sessions (the access censuses) ----------------------------------------


def all_routes(app: Any) -> list[tuple[str, str]]:
    """(method, path) of every route, including those of included routers (FastAPI keeps them nested)."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # older FastAPI flattens included routers into app.routes
        contexts: list[Any] = [r for r in app.routes if isinstance(r, Route)]
    else:
        contexts = list(iter_route_contexts(app.routes))
    out = []
    for ctx in contexts:
        path, methods = getattr(ctx, "path", None), getattr(ctx, "methods", None)
        if path and methods:
            out.extend((m, path) for m in sorted(set(methods) - {"HEAD", "OPTIONS"}))
    return out


# Tables a refused request may still touch: a page client's session row, failed-login counters, the login
# history of the accounts the census signs in as.
NOT_SNAPSHOT = {"api_token", "login_throttle", "login_event"}


def snapshot(env) -> dict[str, list[str]]:
    """Every row of every table (the demo database is small): nothing may change on a refused request."""
    from tandem.models import Base

    out: dict[str, list[str]] = {}
    with env.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            if table.name not in NOT_SNAPSHOT:
                out[table.name] = sorted(repr(tuple(row)) for row in conn.execute(select(table)))
    return out


class PageSessions:
    """Cookie-session clients for pages (with their CSRF token), one per user, signed in without a form."""

    def __init__(self, env) -> None:
        self.env = env
        self.pages: dict[str, TestClient] = {}

    def page(self, username: str) -> TestClient:
        if username not in self.pages:
            with unit_of_work(self.env.factory) as s:
                user = s.execute(select(User).where(User.username == username)).scalar_one()
                token, row = access_service.issue_token(
                    s, self.env.settings, user, now=self.env.clock.now(), kind="web"
                )
                csrf = row.csrf_token
            c = TestClient(
                self.env.app, base_url="https://testserver", raise_server_exceptions=False, follow_redirects=False
            )
            c.cookies.set("tandem_session", token)
            c.headers["X-CSRF-Token"] = csrf or ""
            self.pages[username] = c
        return self.pages[username]

    def close(self) -> None:
        for c in self.pages.values():
            c.close()


# ---- the audit chain -------------------------------------------------------------------------------

ACTOR = audit.ActorRef(
    uuid.UUID("11111111-2222-3333-4444-555555555555"), uuid.UUID("66666666-7777-8888-9999-000000000000")
)


def _tamper(env, statement: str, **params: object) -> None:
    """Bypass the append-only trigger the way an attacker with DDL rights would."""
    with env.engine.begin() as conn:
        if env.backend == "postgresql":
            conn.execute(text("ALTER TABLE audit_event DISABLE TRIGGER USER"))
            conn.execute(text(statement), params)
            conn.execute(text("ALTER TABLE audit_event ENABLE TRIGGER USER"))
        else:
            conn.execute(text("DROP TRIGGER IF EXISTS audit_event_no_update"))
            conn.execute(text("DROP TRIGGER IF EXISTS audit_event_no_delete"))
            conn.execute(text(statement), params)


def _middle_of_longest_chain(env) -> AuditEvent:
    with env.session() as s:
        key, _n = s.execute(
            select(AuditEvent.chain_key, func.count())
            .group_by(AuditEvent.chain_key)
            .order_by(func.count().desc(), AuditEvent.chain_key)
        ).first()
        chain = (
            s.execute(select(AuditEvent).where(AuditEvent.chain_key == key).order_by(AuditEvent.seq)).scalars().all()
        )
        return chain[len(chain) // 2]


# ---- claims brought to a state (the corrections of issue 22, disputes) ------------------------------


def accepted_with_team(env, cid: str) -> dict[str, str]:
    """Firm A accepts the letter and puts 李娜 on the case; returns firm A's adjusters by name."""
    firm = env.client("adjuster1")
    _ok(
        firm.post(
            f"/api/v1/claims/{cid}/appointment",
            json=ACCEPT,
        )
    )
    me = {a["name"]: a["id"] for a in firm.get("/api/v1/adjusters").json()["items"]}
    _ok(firm.post(f"/api/v1/claims/{cid}/team", json={"adjuster_id": me["李娜"]}))
    return me


def reported(env, cid: str, draft: dict, *, firm_user: str = "adjuster1") -> dict:
    """Firm A (already appointed) takes the claim to a submitted report of ``draft``; returns the case."""
    me = accepted_with_team(env, cid)
    firm = env.client(firm_user)
    now = env.clock.now().isoformat()
    _ok(firm.post(f"/api/v1/claims/{cid}/surveys", json={"scheduled_at": now, "surveyed_at": now}))
    _ok(firm.put(f"/api/v1/claims/{cid}/report-draft", json=draft))
    _ok(firm.post(f"/api/v1/claims/{cid}/reports", json={"signer_ids": [me["王建国"], me["李娜"]]}), 201)
    return co_sign(env.client("adjuster2"), cid)


def one_section(code: str, loss: str, replacement_value: str | None = None, ref: str = "1") -> dict:
    sec: dict = {"code": code, "items": [{"ref": ref, "description": "受损财产", "loss": loss}]}
    if replacement_value:
        sec["replacement_value"] = replacement_value
    return {"cause": "火灾", "sections": [sec]}


def _paid(env, cid: str) -> str:
    """Confirm, propose, accept, pay: returns the amount paid."""
    conf = _ok(env.client("risk").post(f"/api/v1/claims/{cid}/amount-confirmation"))["confirmation"]
    _ok(env.client("broker").post(f"/api/v1/claims/{cid}/negotiation", json={"move": "propose"}))
    ins = env.client("insurer1")
    _ok(ins.post(f"/api/v1/claims/{cid}/negotiation", json={"move": "accept"}))
    due = conf["result"]["due"]
    _ok(
        ins.post(f"/api/v1/claims/{cid}/payments", json={"kind": "final", "amount": due, "reference": f"PAY-{cid[:6]}"})
    )
    return due


def routed_by_broker(env, cid: str) -> None:
    broker = env.client("broker")
    ids = {a["name"]: a["id"] for a in broker.get("/api/v1/adjusters").json()["items"]}
    _ok(broker.post(f"/api/v1/claims/{cid}/adjuster", json={"adjuster_id": ids["王建国"]}))


def consultation_opened(env, days: int = 5) -> str:
    """A disputed claim with both reports, the consultation opened (aligning) on 2026-11-25."""
    broker, risk, insurer = env.client("broker"), env.client("risk"), env.client("insurer1")
    cid = _to_reported(env)
    _ok(risk.post(f"/api/v1/claims/{cid}/amount-confirmation"))
    _ok(broker.post(f"/api/v1/claims/{cid}/negotiation", json={"move": "propose"}))
    _ok(insurer.post(f"/api/v1/claims/{cid}/negotiation", json={"move": "dispute", "reason": "屋面单价偏高"}))
    second_report(env, cid)
    view = _ok(broker.post(f"/api/v1/claims/{cid}/consultation"), 201)
    assert view["state"] == "aligning" and view["round_working_days"] == days
    return cid


def to_umpire(env) -> tuple[str, str]:
    """A disputed claim whose roof item is still open after three rounds (A at 360,000, B at 324,000)."""
    broker, firm_a, firm_b = env.client("broker"), env.client("adjuster1"), env.client("adjuster3")
    cid = consultation_opened(env)
    view = _ok(broker.get(f"/api/v1/claims/{cid}/consultation"))
    roof = next(i for i in view["items"] if i["section"] == "building")["id"]
    _ok(firm_a.post(f"/api/v1/claims/{cid}/consultation/start"))
    move = {"kind": "propose", "amount": "360000.00", "reason": "按市场询价"}
    _ok(firm_a.post(f"/api/v1/claims/{cid}/consultation/items/{roof}/moves", json=move))
    _ok(firm_b.post(f"/api/v1/claims/{cid}/consultation/items/{roof}/moves", json={"kind": "hold"}))
    for _ in range(3):
        view = _ok(broker.post(f"/api/v1/claims/{cid}/consultation/end-round", json={"confirm": True}))
    assert view["state"] == "umpire"
    return cid, roof


# ---- the two journeys through the API (their tests, and the notifications test, run them) ------------


def notice_to_payment(env) -> str:
    """insured1's fire claim from the notice to payment and close through the API, each step checked."""
    insured, broker, risk = env.client("insured1"), env.client("broker"), env.client("risk")
    firm, second, insurer = env.client("adjuster1"), env.client("adjuster2"), env.client("insurer1")
    policy = next(p for p in insured.get("/api/v1/policies").json()["items"] if p["number"] == "PQC2026330400001")
    claim = _ok(
        insured.post(
            "/api/v1/claims",
            headers={"Idempotency-Key": "j-1"},
            json={
                "policy_id": policy["id"],
                "loss_at": "2026-11-24T22:30:00+08:00",
                "location": "浙江省嘉兴市南湖区亚中路88号",
                "description": "2号车间夜间起火",
                "channel": "app",
            },
        ),
        201,
    )
    cid = claim["id"]
    assert claim["status"] == "routed"  # the policy's designated adjuster is eligible

    # The firm accepts the confirmation letter with the fee basis and payment deadline.
    case = _ok(firm.get(f"/api/v1/claims/{cid}/case"))
    assert case["appointment"]["state"] == "issued"
    r = firm.post(f"/api/v1/claims/{cid}/appointment", json={"accept": True})
    assert r.status_code == 422 and "terms" in r.json()["error"]["fields"]
    case = _ok(
        firm.post(
            f"/api/v1/claims/{cid}/appointment",
            json=ACCEPT,
        )
    )
    assert case["claim"]["status"] == "adjuster_assigned"

    # Survey needs two adjusters on the case.
    survey = {
        "scheduled_at": "2026-11-25T14:00:00+08:00",
        "surveyed_at": "2026-11-25T10:00:00+08:00",
        "participants": ["王建国", "李娜", "沈国平"],
        "notes": "屋面整体坍塌",
        "photo_hashes": [],
    }
    assert firm.post(f"/api/v1/claims/{cid}/surveys", json=survey).status_code == 409
    me = {a["name"]: a["id"] for a in firm.get("/api/v1/adjusters").json()["items"]}
    _ok(firm.post(f"/api/v1/claims/{cid}/team", json={"adjuster_id": me["李娜"]}))
    case = _ok(second.post(f"/api/v1/claims/{cid}/surveys", json=survey))
    assert case["claim"]["status"] == "surveying"

    # The report: draft, then two signatures, then immutable.
    _ok(firm.put(f"/api/v1/claims/{cid}/report-draft", json=_draft()))
    r = firm.post(f"/api/v1/claims/{cid}/reports", json={"signer_ids": [me["王建国"]]})
    assert r.status_code == 422 and "signer_ids" in r.json()["error"]["fields"]
    r = firm.post(f"/api/v1/claims/{cid}/reports", json={"signer_ids": [me["王建国"], me["周敏"]]})
    assert r.status_code == 422  # 周敏 did not work the case
    case = _ok(firm.post(f"/api/v1/claims/{cid}/reports", json={"signer_ids": [me["王建国"], me["李娜"]]}), 201)
    assert case["claim"]["status"] == "surveying"  # one signature is not a report
    case = co_sign(second, cid)  # 李娜 signs in person
    report = case["reports"][0]
    assert case["claim"]["status"] == "reported" and report["number"].startswith("GR-")
    assert firm.put(f"/api/v1/claims/{cid}/reports/{report['id']}", json={}).status_code == 409
    # Copied to the insurer and supervision.
    assert _ok(insurer.get(f"/api/v1/claims/{cid}/case"))["reports"][0]["content_hash"] == report["content_hash"]
    assert env.client("regulator").get(f"/api/v1/claims/{cid}/case").status_code == 200

    # The worker renders the PDFs (confirmation letter and report) with an embedded CJK font.
    runner.run_once(env.factory, env.settings, env.clock)
    case = _ok(broker.get(f"/api/v1/claims/{cid}/case"))
    pdfs = {d["kind"]: d for d in case["documents"]}
    assert {"confirmation_letter", "report_pdf"} <= set(pdfs)
    data = store_for(env.settings.var_dir).get(pdfs["report_pdf"]["sha256"])
    assert data.startswith(b"%PDF")
    pdf = PdfReader(io.BytesIO(data))
    fonts = {
        str(f["/BaseFont"])
        for page in pdf.pages
        for f in (page["/Resources"].get_object().get("/Font") or {}).values()
        if "/BaseFont" in f.get_object()
    }
    assert any("CJK" in f for f in fonts), fonts
    text_ = "".join(page.extract_text() for page in pdf.pages)
    assert "公估报告" in text_ and "2#车间彩钢瓦屋面" in text_

    # Amount confirmation by the risk evaluators, with the engine.
    assert broker.post(f"/api/v1/claims/{cid}/amount-confirmation").status_code == 403
    case = _ok(risk.post(f"/api/v1/claims/{cid}/amount-confirmation"))
    res = case["confirmation"]["result"]
    building = next(s for s in res["sections"] if s["code"] == "building")
    # net 370000 × 30M/36M = 308333.33; deductible max(10000, 10 %) = 30833.33; payable 277500.00
    assert building["payable"] == "277500.00"
    machinery = next(s for s in res["sections"] if s["code"] == "machinery")
    assert machinery["payable"] == "342000.00"  # 360000 − max(5000, 5 % × 360000)
    assert res["total_payable"] == "619500.00"

    # Negotiation and payment.
    case = _ok(broker.post(f"/api/v1/claims/{cid}/negotiation", json={"move": "propose"}))
    assert case["claim"]["status"] == "negotiating"
    r = insurer.post(f"/api/v1/claims/{cid}/negotiation", json={"move": "counter", "amount": "600000.00"})
    assert r.status_code == 422 and "reason" in r.json()["error"]["fields"]
    _ok(
        insurer.post(
            f"/api/v1/claims/{cid}/payments", json={"kind": "advance", "amount": "100000.00", "reference": "ADV-001"}
        )
    )
    case = _ok(insurer.post(f"/api/v1/claims/{cid}/negotiation", json={"move": "accept"}))
    assert case["claim"]["status"] == "agreed"
    assert any(d["kind"] == "payment_10d" and d["stopped_at"] is None for d in case["deadlines"])
    r = insurer.post(
        f"/api/v1/claims/{cid}/payments", json={"kind": "final", "amount": "619500.00", "reference": "PAY-001"}
    )
    assert r.status_code == 422 and "519500.00" in r.json()["error"]["fields"]["amount"]
    case = _ok(
        insurer.post(
            f"/api/v1/claims/{cid}/payments", json={"kind": "final", "amount": "519500.00", "reference": "PAY-001"}
        )
    )
    assert case["claim"]["status"] == "paid"
    # Closing cannot be undone: without confirm: true it is refused, naming the field, and nothing moves.
    for body in (None, {}, {"confirm": False}):
        r = broker.post(f"/api/v1/claims/{cid}/close", json=body)
        assert r.status_code == 422 and list(r.json()["error"]["fields"]) == ["confirm"], r.text
    assert _ok(broker.get(f"/api/v1/claims/{cid}/case"))["claim"]["status"] == "paid"
    case = _ok(broker.post(f"/api/v1/claims/{cid}/close", json={"confirm": True}))
    assert case["claim"]["status"] == "closed"
    actions = [e["action"] for e in case["timeline"]]
    for a in (
        "claim.notified",
        "claim.route",
        "claim.accept_appointment",
        "claim.start_survey",
        "claim.submit_report",
        "claim.confirm_amount",
        "claim.propose",
        "claim.accept",
        "claim.record_final_payment",
        "claim.close",
    ):
        assert a in actions, a
    assert sum(Decimal(p["amount"]) for p in case["payments"]) == Decimal("619500.00")

    # The outsider still sees nothing.
    assert env.client("insured2").get(f"/api/v1/claims/{cid}/case").status_code == 404
    return cid


def dispute_to_payment(env) -> str:
    """insured1's claim disputed, two reports, rounds, umpire, MoU and payment through the API, each step checked."""
    broker, risk, insurer = env.client("broker"), env.client("risk"), env.client("insurer1")
    firm_a, firm_b = env.client("adjuster1"), env.client("adjuster3")
    cid = _to_reported(env)
    _ok(risk.post(f"/api/v1/claims/{cid}/amount-confirmation"))
    _ok(broker.post(f"/api/v1/claims/{cid}/negotiation", json={"move": "propose"}))
    case = _ok(insurer.post(f"/api/v1/claims/{cid}/negotiation", json={"move": "dispute", "reason": "屋面单价偏高"}))
    assert case["claim"]["status"] == "disputed"

    register = {a["name"]: a for a in insurer.get("/api/v1/adjusters").json()["items"]}
    # A firm never acts for both sides.
    r = insurer.post(f"/api/v1/claims/{cid}/insurer-adjuster", json={"adjuster_id": register["周敏"]["id"]})
    assert r.status_code == 409 and "conflict_of_interest" in r.text
    r = insurer.post(f"/api/v1/claims/{cid}/insurer-adjuster", json={"adjuster_id": register["钱永刚"]["id"]})
    assert r.status_code == 409 and "certificate_lapsed" in r.text
    second_report(env, cid)

    view = _ok(broker.post(f"/api/v1/claims/{cid}/consultation"), 201)
    assert view["state"] == "aligning" and len(view["items"]) == 2
    roof = next(i for i in view["items"] if i["section"] == "building")
    machine = next(i for i in view["items"] if i["section"] == "machinery")
    assert (roof["a_ref"], roof["b_ref"], roof["state"]) == ("1", "B1", "open")
    assert machine["state"] == "agreed" and machine["how"] == "identical"
    assert "unit_value" in roof["fields_differ"]
    assert view["payable"]["at_a"] == "619500.00"

    view = _ok(firm_a.post(f"/api/v1/claims/{cid}/consultation/start"))
    assert view["state"] == "negotiating" and view["round"] == 1 and view["round_deadline"]
    r = firm_a.post(
        f"/api/v1/claims/{cid}/consultation/items/{roof['id']}/moves", json={"kind": "propose", "amount": "360000.00"}
    )
    assert r.status_code == 422 and "reason" in r.json()["error"]["fields"]
    _ok(
        firm_a.post(
            f"/api/v1/claims/{cid}/consultation/items/{roof['id']}/moves",
            json={"kind": "propose", "amount": "360000.00", "reason": "按市场询价单价330元"},
        )
    )
    _ok(firm_b.post(f"/api/v1/claims/{cid}/consultation/items/{roof['id']}/moves", json={"kind": "hold"}))
    # Round deadlines are timers at the end (Asia/Shanghai) of the 5th working day after the round starts:
    # a minute before, the round is still open; just after, it closes and the next one starts.
    assert view["round_deadline"] == "2026-12-02T15:59:59.999999+00:00"  # opened Wed 11-25 → Wed 12-02
    deadlines = []
    for n in (1, 2, 3):
        with env.session() as s:
            cons = s.execute(select(Consultation)).scalar_one()
        assert cons.round == n and cons.round_deadline is not None
        deadlines.append(cons.round_deadline.astimezone(SHANGHAI).isoformat())
        env.clock.current = cons.round_deadline - dt.timedelta(minutes=1)
        runner.run_once(env.factory, env.settings, env.clock)
        with env.session() as s:
            assert s.execute(select(Consultation.round)).scalar_one() == n
        env.clock.current = cons.round_deadline + dt.timedelta(microseconds=1)
        runner.run_once(env.factory, env.settings, env.clock)
    # Round 2 starts at 00:00 on Thursday 12-03 (the start day is not counted), round 3 on Friday 12-11.
    assert deadlines == [
        "2026-12-02T23:59:59.999999+08:00",
        "2026-12-10T23:59:59.999999+08:00",
        "2026-12-18T23:59:59.999999+08:00",
    ]
    env._clients.clear()  # the tokens expired with the moved clock: log in again
    broker, risk, insurer = env.client("broker"), env.client("risk"), env.client("insurer1")
    firm_a, firm_b = env.client("adjuster1"), env.client("adjuster3")
    view = _ok(broker.get(f"/api/v1/claims/{cid}/consultation"))
    assert view["state"] == "umpire"

    expert = next(e for e in firm_a.get("/api/v1/experts").json()["items"] if e["name"] == "邓建华")
    _ok(firm_a.post(f"/api/v1/claims/{cid}/consultation/umpire", json={"kind": "expert", "umpire_id": expert["id"]}))
    assert firm_a.post(f"/api/v1/claims/{cid}/consultation/umpire/accept").status_code == 409
    _ok(firm_b.post(f"/api/v1/claims/{cid}/consultation/umpire/accept"))
    view = _ok(
        risk.post(
            f"/api/v1/claims/{cid}/consultation/items/{roof['id']}/umpire-decision",
            json={"amount": "342000.00", "reason": "取两份报告单价的中间值"},
        )
    )
    assert view["state"] == "agreed" and view["memorandum"]["number"].startswith("MOU-")
    assert view["memorandum"]["content"]["total_agreed"] == "702000.00"

    # Confirming from the first report is refused until the MoU is acknowledged by all four parties.
    assert risk.post(f"/api/v1/claims/{cid}/amount-confirmation").status_code == 409
    for c in (firm_a, firm_b, risk, insurer):
        view = _ok(c.post(f"/api/v1/claims/{cid}/consultation/memorandum/ack"))
    assert view["memorandum"]["final"] is True
    assert firm_a.post(f"/api/v1/claims/{cid}/consultation/memorandum/ack").status_code == 409

    pdf = insurer.get(f"/api/v1/claims/{cid}/consultation/memorandum.pdf")
    assert pdf.status_code == 200
    assert "谅解备忘录" in "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    en = insurer.get(f"/api/v1/claims/{cid}/consultation/memorandum.pdf?lang=en")
    assert "Memorandum of Understanding" in "".join(p.extract_text() for p in PdfReader(io.BytesIO(en.content)).pages)

    case = _ok(risk.post(f"/api/v1/claims/{cid}/amount-confirmation"))
    assert case["confirmation"]["basis_kind"] == "mou"
    building = next(s for s in case["confirmation"]["result"]["sections"] if s["code"] == "building")
    # (342000 − 8000) × 30M/36M = 278333.33; deductible 10 % = 27833.33; payable 250500.00
    assert building["payable"] == "250500.00"
    # The insured value is the replacement value the MoU carries (report A's; report B gives none).
    memo = view["memorandum"]
    assert next(s for s in memo["content"]["sections"] if s["code"] == "building")["replacement_value"] == "36000000.00"
    mou = {"kind": "mou", "number": memo["number"]}
    assert case["confirmation"]["sources"]["building"]["insured_value"] == mou
    _ok(broker.post(f"/api/v1/claims/{cid}/negotiation", json={"move": "propose"}))
    _ok(insurer.post(f"/api/v1/claims/{cid}/negotiation", json={"move": "accept"}))
    case = _ok(
        insurer.post(
            f"/api/v1/claims/{cid}/payments",
            json={"kind": "final", "amount": case["confirmation"]["result"]["due"], "reference": "PAY-9"},
        )
    )
    assert case["claim"]["status"] == "paid"
    actions = [e["action"] for e in case["timeline"]]
    for a in (
        "claim.dispute",
        "consultation.opened",
        "consultation.umpire_decided",
        "consultation.memorandum_acknowledged",
    ):
        assert a in actions
    # The other insurer and insured never see the dispute.
    assert env.client("insurer2").get(f"/api/v1/claims/{cid}/consultation").status_code == 404
    return cid


def surveyed(env, cid: str) -> str:
    """The designated firm A accepts the letter, puts 李娜 on the case and records its site survey as done;
    returns the survey's id."""
    accepted_with_team(env, cid)
    at = "2026-11-25T10:00:00+08:00"
    done = {"scheduled_at": at, "surveyed_at": at}
    case = _ok(env.client("adjuster1").post(f"/api/v1/claims/{cid}/surveys", json=done))
    return case["surveys"][0]["id"]


# ---- the insurer comparison (横评, R-U6) ---------------------------------------------------------

COMPARISON_FAST = Profile((5, 20), (2, 8), 0.1, 0.15, 0.3, ("0.70", "1.10"))
COMPARISON_SLOW = Profile((20, 45), (6, 25), 0.3, 0.3, 0.0, ("0.55", "0.90"))
ZHONGAN, TAIHE = "中安财产保险股份有限公司", "太和财产保险股份有限公司"
COMPARISON_NEW_INSURERS = ("华泰安和财产保险股份有限公司", "东海联合财产保险股份有限公司")


def _comparison_insurers(env) -> dict[str, uuid.UUID]:
    """Two more insurers, rated A, each publishing a copy of 中安's products: four on the shortlist."""
    with env.session() as s:
        ids = {
            n: s.execute(select(Organisation.id).where(Organisation.name == n)).scalar_one() for n in (ZHONGAN, TAIHE)
        }
        source = (
            s.execute(
                select(InsurerProduct).where(
                    InsurerProduct.insurer_id == ids[ZHONGAN], InsurerProduct.status == ProductStatus.PUBLISHED
                )
            )
            .unique()
            .scalars()
            .all()
        )
        mapper = InsurerProduct.__mapper__
        columns = [a.key for a in mapper.column_attrs if a.key not in ("id", "insurer_id", "code")]
        for n, name in enumerate(COMPARISON_NEW_INSURERS):
            org = Organisation(kind=OrgKind.INSURER, name=name, region="上海", created_at=env.clock.now())
            s.add(org)
            s.flush()
            s.add(Insurer(organisation_id=org.id, solvency_ratio=Decimal("180.5"), risk_rating="A"))
            for p in source:
                s.add(InsurerProduct(insurer_id=org.id, code=f"{p.code}-X{n}", **{c: getattr(p, c) for c in columns}))
            ids[name] = org.id
        s.commit()
    return ids


def comparison_ready(env) -> tuple[str, dict[str, uuid.UUID], dict[uuid.UUID, list[str]]]:
    """A placement of insured1 with a saved shortlist of 4 insurers, and the platform's history: 32 other
    insureds with policies and claims (12, 9, 7 and 4 per insurer), the paid claims' fees invoiced by
    王建国's firm and settled by the insurers. Returns the placement's id, the
    insurers' ids by name and each insurer's insureds' names."""
    ids = _comparison_insurers(env)
    pid = placement_reported(env)
    risk = env.client("risk")
    _ok(risk.post(f"/api/v1/placements/{pid}/risk-register"), 201)
    _ok(risk.post(f"/api/v1/placements/{pid}/risk-register/publish"))
    with env.session() as s:
        # 12 + 9 + 7 + 4 = 32 other insureds; the last insurer has too few for any figure.
        plan = {
            ids[ZHONGAN]: (12, COMPARISON_FAST),
            ids[TAIHE]: (9, COMPARISON_SLOW),
            ids[COMPARISON_NEW_INSURERS[0]]: (7, COMPARISON_SLOW),
        }
        plan[ids[COMPARISON_NEW_INSURERS[1]]] = (4, COMPARISON_FAST)
        wang = s.execute(select(Adjuster).where(Adjuster.name == "王建国")).unique().scalar_one()
        names = history(s, plan, line="企业财产保险", now=env.clock.now(), tag="T", firm=wang)
        s.commit()
    _ok(env.client("broker").post(f"/api/v1/placements/{pid}/shortlist", json={}), 201)
    return pid, ids, names


def pdf_text(data: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def comparison_secrets(env, names: dict[uuid.UUID, list[str]]) -> list[str]:
    """Every other insured's name, policy and claim number and premium, as any page could write them."""
    out: list[str] = [n for group in names.values() for n in group]
    with env.session() as s:
        others = select(Organisation.id).where(Organisation.name.in_(out))
        for number, premium in s.execute(select(Policy.number, Policy.premium).where(Policy.insured_id.in_(others))):
            out += [number, str(premium), f"{premium:,}"]
        claims = select(Claim.id).where(Claim.insured_id.in_(others))
        out += list(s.execute(select(Claim.number).where(Claim.id.in_(claims))).scalars())
        out += list(s.execute(select(Invoice.number).where(Invoice.case_id.in_(claims))).scalars())
    return out


LINK = re.compile(r"https?://[^\s/]+/login/(invitation|reset)/([A-Za-z0-9_\-]+)")


def mailed_links(env, sink, to: str) -> list[tuple[str, str]]:
    """Run the worker, then every one-time link the real SMTP server received for ``to``, as
    ``(kind, token)`` read out of the mail's text (kind: ``invitation`` or ``reset``)."""
    import email
    import email.policy

    runner.run_once(env.factory, env.settings, env.clock)
    found = []
    for envelope in sink.messages:
        if to not in envelope.rcpt_tos:
            continue
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",))
        found.extend(LINK.findall(body.get_content() if body else ""))
    return found


def mailed_link(env, sink, to: str, kind: str) -> str:
    """The newest link of ``kind`` mailed to ``to`` (after running the worker)."""
    tokens = [t for k, t in mailed_links(env, sink, to) if k == kind]
    assert tokens, f"no {kind} link mailed to {to}"
    return tokens[-1]


# ---- market figures: a known set of claims and fees (issue 18 items 3-4) -------------------------------

#: The known set's six insureds; the first is insured1's company (嘉兴鑫达).
FIGURES_INSUREDS = (
    "嘉兴鑫达电子科技有限公司",
    "图一有限公司",
    "图二有限公司",
    "图三有限公司",
    "图四有限公司",
    "图五有限公司",
)


def figures_known_set(env) -> dict[str, str]:
    """Six claims (A-F) worked out by hand in tests/figures: A 中安 上海 华信 (adjuster after 1 day, report
    after 11, agreed 10 days later, paid 5 days later, 100 000 settled, fee 5 000 + VAT paid after 20 days);
    B 中安 浙江 正衡 (adjuster after 3 days, report after 23, agreed 40 days later, paid 2 days later, 300 000,
    fee 9 000 + VAT invoiced 2 days after the report, unpaid); C 中安 上海 no adjuster (agreed after 15 days,
    paid 12 later, 50 000); D 太和 江苏 no adjuster (agreed after 20 days, unpaid); E 太和 广东 粤安 (adjuster
    after 1 day, no report); F 中安 上海 (notified 5 days ago). Returns names → ids."""
    from tandem.demo_history import ClaimSpec, Writer

    day = dt.timedelta(days=1)
    now = env.clock.now()
    with unit_of_work(env.factory) as s:
        orgs = {o.name: o for o in s.execute(select(Organisation)).scalars()}
        broker = next(o for o in orgs.values() if o.kind == OrgKind.BROKER)
        supervision = next(o for o in orgs.values() if o.kind == OrgKind.SUPERVISION)
        user = s.execute(select(User.id).where(User.username == "broker")).scalar_one()
        for name in FIGURES_INSUREDS[1:]:
            s.add(Organisation(kind=OrgKind.INSURED, name=name, region="上海", created_at=now))
        s.flush()
        orgs = {o.name: o for o in s.execute(select(Organisation)).scalars()}
        adj = {a.name: a for a in s.execute(select(Adjuster)).unique().scalars()}
        w = Writer(s, broker.id, supervision.id, user, tag="K")
        zhongan, taihe = orgs["中安财产保险股份有限公司"].id, orgs["太和财产保险股份有限公司"].id
        start = (now - 200 * day).date()
        pol = [
            w.policy(orgs[name], insurer, line, start)
            for name, insurer, line in zip(
                FIGURES_INSUREDS,
                (zhongan, zhongan, zhongan, taihe, taihe, zhongan),
                ("企业财产保险",) * 3 + ("货物运输保险",) * 2 + ("企业财产保险",),
                strict=True,
            )
        ]
        s.flush()

        def at(month: int, d: int) -> dt.datetime:
            return dt.datetime(2026, month, d, 2, tzinfo=dt.UTC)

        specs = {
            "A": ClaimSpec(pol[0], "上海市浦东新区张江路1号", at(9, 10), adj["王建国"], day, 11 * day, 21 * day,
                           26 * day, Decimal("100000.00"), Decimal("5000.00"), 0, 20),
            "B": ClaimSpec(pol[1], "浙江省嘉兴市南湖区亚中路2号", at(9, 15), adj["张伟"], 3 * day, 23 * day, 63 * day,
                           65 * day, Decimal("300000.00"), Decimal("9000.00"), 2, None),
            "C": ClaimSpec(pol[2], "上海市嘉定区墨玉路3号", at(10, 5), None, None, None, 15 * day, 27 * day,
                           Decimal("50000.00")),
            "D": ClaimSpec(pol[3], "江苏省苏州市星湖街4号", at(10, 10), None, None, None, 20 * day),
            "E": ClaimSpec(pol[4], "广东省东莞市振安中路5号", at(10, 20), adj["林志伟"], day),
            "F": ClaimSpec(pol[5], "上海市浦东新区张江路6号", now - 5 * day),
        }  # fmt: skip
        claims = {k: w.claim(spec, now) for k, spec in specs.items()}
        w.flush()
        out = {k: str(c.id) for k, c in claims.items()}
        out |= {name: str(orgs[name].id) for name in ("中安财产保险股份有限公司", "太和财产保险股份有限公司")}
        out |= {a: str(adj[a].firm_id) for a in ("王建国", "张伟")}
        return out


def html_table(page: str, table_id: str) -> list[list[str]]:
    """The text of each cell of the page's table ``table_id``, row by row (header, body, footer)."""
    found = re.search(rf'<table[^>]*id="{table_id}"[^>]*>(.*?)</table>', page, flags=re.S)
    assert found, f"no table {table_id}"
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", found.group(1), flags=re.S)
    cell = re.compile(r"<t[hd][^>]*>(.*?)</t[hd]>", flags=re.S)
    return [
        [re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", c))).strip() for c in cell.findall(r)] for r in rows
    ]


def xlsx_rows(data: bytes) -> list[list[str]]:
    """The first sheet of an XLSX file as text, read from its XML (shared strings resolved, numbers as
    written)."""
    import zipfile
    from xml.etree import ElementTree as ET

    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        shared = []
        if "xl/sharedStrings.xml" in z.namelist():
            root = ET.fromstring(z.read("xl/sharedStrings.xml"))
            shared = ["".join(t.text or "" for t in si.iter(f"{{{ns['m']}}}t")) for si in root.findall("m:si", ns)]
        sheet = ET.fromstring(z.read("xl/worksheets/sheet1.xml"))
    out = []
    for row in sheet.iter(f"{{{ns['m']}}}row"):
        cells = []
        for c in row.findall("m:c", ns):
            v = c.find("m:v", ns)
            text = "" if v is None or v.text is None else v.text
            cells.append(shared[int(text)] if c.get("t") == "s" else text)
        out.append(cells)
    return out


# ---- a broker's book to import (issue 19 item 2) ---------------------------------------------------


def valid_uscc(body17: str) -> str:
    from tandem.kit.ids import uscc_check_char

    return body17 + uscc_check_char(body17)


def valid_id_number(body17: str) -> str:
    from tandem.kit.ids import id_check_char

    return body17 + id_check_char(body17)


BOOK_FIRM = "钱江保险公估有限公司"
BOOK_INSURED = "湖州恒达纺织有限公司"
BOOK_POLICY = "PHZ2026330500001"


def book_sheets(**changes: dict[str, str]) -> dict[str, list[dict[str, str]]]:
    """A small book: a filed firm with two practitioners, a company and a person insured, a policy of the
    company at insurer1 designating the firm's first practitioner, with two sections. ``changes`` merges
    into the first row of the named sheet (``insured={"uscc": "…"}``)."""
    sheets: dict[str, list[dict[str, str]]] = {
        "firm": [
            {
                "name": BOOK_FIRM,
                "uscc": valid_uscc("91330100MA2H7Q8K3"),
                "legal_form": "company",
                "capital": "5000000",
                "filing_no": "BA-330100-2026-017",
                "region": "浙江省",
                "lines": "企业财产保险;工程保险",
            }
        ],
        "adjuster": [
            {
                "firm": BOOK_FIRM,
                "name": "沈建华",
                "certificate_no": "GZS-2019-330177",
                "registration_no": "ZY-330100-0177",
                "id_number": valid_id_number("33010219800512003"),
                "lines": "企业财产保险",
                "regions": "浙江省",
            },
            {
                "firm": BOOK_FIRM,
                "name": "周敏",
                "certificate_no": "GZS-2020-330178",
                "registration_no": "ZY-330100-0178",
            },
        ],
        "insured": [
            {
                "name": BOOK_INSURED,
                "kind": "company",
                "uscc": valid_uscc("91330500MA2B3C4D5"),
                "contact_name": "钱卫东",
                "contact_phone": "13957200001",
                "address": "浙江省湖州市吴兴区织里镇振兴路8号",
                "region": "浙江省",
            },
            {"name": "王秀英", "kind": "person", "id_number": valid_id_number("33050219750301002")},
        ],
        "policy": [
            {
                "number": BOOK_POLICY,
                "insured": BOOK_INSURED,
                "insurer": "中安财产保险股份有限公司",
                "line": "企业财产保险",
                "currency": "CNY",
                "period_start": "2026-03-01",
                "period_end": "2027-02-28",
                "premium": "42000.00",
                "designated_adjuster": "ZY-330100-0177",
                "status": "in_force",
            }
        ],
        "section": [
            {
                "policy": BOOK_POLICY,
                "code": "building",
                "name": "建筑物",
                "sum_insured": "12000000",
                "insured_value": "15000000",
                "deductible_amount": "5000",
                "deductible_rate": "10%",
                "basis": "average",
            },
            {
                "policy": BOOK_POLICY,
                "code": "stock",
                "name": "存货",
                "sum_insured": "3000000",
                "aggregate_limit": "3000000",
                "basis": "first_loss",
            },
        ],
    }
    for sheet, change in changes.items():
        sheets[sheet][0] = {**sheets[sheet][0], **change}
    return sheets


def book_xlsx(sheets: dict[str, list[dict[str, str]]]) -> bytes:
    """The book as a workbook, a sheet per kind headed by its columns."""
    import xlsxwriter

    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True})
    for name, rows in sheets.items():
        ws = book.add_worksheet(name)
        header = list(dict.fromkeys(k for r in rows for k in r))
        ws.write_row(0, 0, header)
        for i, r in enumerate(rows, start=1):
            ws.write_row(i, 0, [r.get(k, "") for k in header])
    book.close()
    return buf.getvalue()


def book_csv(sheets: dict[str, list[dict[str, str]]]) -> bytes:
    """The book as one CSV, each row saying its kind in the ``record`` column."""
    import csv

    header = ["record", *dict.fromkeys(k for rows in sheets.values() for r in rows for k in r)]
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(header)
    for kind, rows in sheets.items():
        for r in rows:
            w.writerow([kind, *(r.get(k, "") for k in header[1:])])
    return buf.getvalue().encode("utf-8")


def terminated_by_insurer(env, number: str = POLICY1) -> str:
    """The demo policy ``number`` terminated by its insurer's underwriter from 20 November (premium
    12 000.00 paid, 1 380.82 refunded): the broker may recover the loss from the insurer. Its id."""
    pid = policy_id(env, number)
    body = {
        "action": "terminate", "effective_date": "2026-11-20", "reason_code": "risk_increased",
        "reason": "危险程度显著增加", "ended_by": "insurer", "premium_paid": "12000.00",
    }  # fmt: skip
    r = env.client("underwriter1").post(f"/api/v1/policies/{pid}/status-changes", json=body)
    assert r.status_code == 201, r.text
    return pid


def another_broker(env, username: str = "broker_other") -> uuid.UUID:
    """A second broker (另一家保险经纪有限公司) with one account manager, ``username``; its organisation's id."""
    with unit_of_work(env.factory) as s:
        other = Organisation(kind=OrgKind.BROKER, name="另一家保险经纪有限公司", created_at=env.clock.now())
        s.add(other)
        s.flush()
        access_service.create_user(
            s,
            env.settings,
            organisation=other,
            username=username,
            display_name="王五",
            password=DEMO_PASSWORD,
            roles=[Role.BROKER_ACCOUNT_MANAGER],
            at=env.clock.now(),
        )
        return other.id


def person_file(env) -> str:
    """A one-year policy (2026) the broker placed for 杨慧敏 (a natural person), with its business file."""
    with env.session() as s, s.begin():
        return str(demo_retention.placed(s, "PRET0001", dt.date(2026, 1, 1), dt.date(2026, 12, 31), env.clock.now()).id)
