"""Route census (architecture §5): every route with an object id in its path, called by a user who must not
see that object, answers byte for byte as it does for an id that does not exist or is not an id at all,
and changes nothing (no audit event, no outbox job, no state change).

A new ``{x_id}`` route fails ``test_every_id_parameter_is_covered`` until PARAMS says which real object and
which outsiders cover its parameter, and a new write route until WRITES gives it a request that passes
validation (so the refusal under test comes from the access check, not from pydantic)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.access import service as access_service
from tandem.access.models import Organisation, User
from tandem.db import unit_of_work
from tandem.party.models import Adjuster, BlacklistEntry, Expert, Insured, InsurerProduct, ProductStatus
from tandem.policy.models import Policy
from tandem.retention.models import RetentionRun
from tests.helpers import (
    ACCEPT,
    INSURED1_ORG,
    INSURER1_ORG,
    PageSessions,
    _ok,
    _to_reported,
    all_routes,
    open_placement,
    org,
    placement_gone_to_market,
    product_body,
    snapshot,
)

FIRM_A = "华信保险公估有限公司"
GARBAGE = ("not-a-uuid",)
ID_PARAM = re.compile(r"{(\w+_id)(?::\w+)?}")


# ---- the real demo objects ------------------------------------------------------------------------


def _policy(env, s: Session) -> str:
    return str(s.execute(select(Policy.id).where(Policy.number == "PQC2026330400001")).scalar_one())


def _org(name: str) -> Callable[[Any, Session], str]:
    return lambda env, s: str(s.execute(select(Organisation.id).where(Organisation.name == name)).scalar_one())


def _adjuster(env, s: Session) -> str:
    return str(s.execute(select(Adjuster.id).where(Adjuster.name == "王建国")).scalar_one())


def _entry(env, s: Session) -> str:
    return str(s.execute(select(BlacklistEntry.id)).scalar_one())


def _insured(env, s: Session) -> str:
    return str(
        s.execute(
            select(Insured.organisation_id)
            .join(Organisation, Organisation.id == Insured.organisation_id)
            .where(Organisation.name == INSURED1_ORG)
        ).scalar_one()
    )


def _expert(env, s: Session) -> str:
    return str(s.execute(select(Expert.id).where(Expert.name == "韩晓光")).scalar_one())  # broker's private pool


def _claim_with_report_and_document(env) -> dict[str, str]:
    """insured1's claim on PQC2026330400001, taken to a submitted report, with an uploaded document."""
    insured, firm, second = env.client("insured1"), env.client("adjuster1"), env.client("adjuster2")
    with env.session() as s:
        policy_id = _policy(env, s)
    claim = _ok(
        insured.post(
            "/api/v1/claims",
            headers={"Idempotency-Key": "census-1"},
            json={
                "policy_id": policy_id,
                "loss_at": "2026-11-24T22:30:00+08:00",
                "location": "浙江省嘉兴市南湖区亚中路88号",
                "description": "2号车间夜间起火",
                "channel": "app",
            },
        ),
        201,
    )
    cid = claim["id"]
    _ok(
        firm.post(
            f"/api/v1/claims/{cid}/appointment",
            json=ACCEPT,
        )
    )
    me = {a["name"]: a["id"] for a in firm.get("/api/v1/adjusters").json()["items"]}
    _ok(firm.post(f"/api/v1/claims/{cid}/team", json={"adjuster_id": me["李娜"]}))
    _ok(
        second.post(
            f"/api/v1/claims/{cid}/surveys",
            json={
                "scheduled_at": "2026-11-25T14:00:00+08:00",
                "surveyed_at": "2026-11-25T10:00:00+08:00",
                "participants": ["王建国", "李娜"],
                "notes": "屋面坍塌",
                "photo_hashes": [],
            },
        )
    )
    _ok(
        firm.put(
            f"/api/v1/claims/{cid}/report-draft",
            json={
                "cause": "电气线路短路",
                "sections": [
                    {
                        "code": "building",
                        "name": "建筑物",
                        "items": [{"ref": "1", "description": "彩钢瓦屋面", "loss": "378000.00"}],
                    }
                ],
            },
        )
    )
    _ok(firm.post(f"/api/v1/claims/{cid}/reports", json={"signer_ids": [me["王建国"], me["李娜"]]}), 201)
    signing = _ok(second.get(f"/api/v1/claims/{cid}/case"))["signing"]
    case = _ok(second.post(f"/api/v1/claims/{cid}/reports/sign", json={"content_hash": signing["content_hash"]}))
    report_id = case["reports"][0]["id"]
    photo = {"file": ("现场.jpg", b"\xff\xd8\xff\xe0photo", "image/jpeg")}
    case = _ok(insured.post(f"/api/v1/claims/{cid}/documents", files=photo, data={"audience": "all"}), 201)
    document_id = next(d["id"] for d in case["documents"] if d["filename"] == "现场.jpg")
    return {"claim_id": cid, "report_id": report_id, "document_id": document_id}


def _draft(env) -> dict[str, str]:
    """A WeChat message from insured1's contact, received through the signed gateway webhook."""
    import hashlib
    import hmac
    import json

    raw = json.dumps(
        {
            "channel": "wechat",
            "message_id": "census-1",
            "recipient": "gh_hengxin_claims",
            "sender": {"phone": "13957312345"},
            "text": "仓库进水了",
            "received_at": "2026-11-25T08:00:00+08:00",
        }
    ).encode()
    sig = hmac.new(env.settings.webhook_secret.encode(), raw, hashlib.sha256).hexdigest()
    draft = _ok(
        env.client().post(
            "/api/v1/intake/messages",
            content=raw,
            headers={"X-Tandem-Signature": f"sha256={sig}", "Content-Type": "application/json"},
        ),
        202,
    )
    assert draft["insured_id"] is not None
    return {"draft_id": draft["id"]}


def _engagement(env) -> dict[str, str]:
    """The broker asks firm A to engage its (partner-shared) expert 曹立新 on a new claim of insured1."""
    with env.session() as s:
        policy_id = _policy(env, s)
        expert_id = str(s.execute(select(Expert.id).where(Expert.name == "曹立新")).scalar_one())
    claim = _ok(
        env.client("insured1").post(
            "/api/v1/claims",
            headers={"Idempotency-Key": "census-eng"},
            json={
                "policy_id": policy_id,
                "loss_at": "2026-11-24T21:00:00+08:00",
                "location": "浙江省嘉兴市南湖区亚中路88号",
                "description": "冷库制冷机组故障，冻品受损",
                "channel": "app",
            },
        ),
        201,
    )
    eng = _ok(
        env.client("broker").post(f"/api/v1/claims/{claim['id']}/engagements", json={"expert_id": expert_id}), 201
    )
    return {"engagement_id": eng["id"]}


def _token(env) -> dict[str, str]:
    """An API token of the broker's (only its owner may revoke it)."""
    with unit_of_work(env.factory) as s:
        broker = s.execute(select(User).where(User.username == "broker")).scalar_one()
        _secret, row = access_service.issue_token(s, env.settings, broker, now=env.clock.now())
        return {"token_id": str(row.id)}


def _event(env) -> dict[str, str]:
    """The broker's declared flood over Zhejiang (insured1's claim there is tagged with it)."""
    body = {
        "name": "census flood",
        "peril": "flood",
        "areas": ["浙江省"],
        "starts_at": "2026-11-01T00:00:00+08:00",
        "ends_at": "2026-11-30T00:00:00+08:00",
    }
    return {"event_id": _ok(env.client("broker").post("/api/v1/events", json=body), 201)["id"]}


def _draft_product(env, s: Session) -> str:
    """The second insurer's draft product: only that insurer sees it."""
    stmt = select(InsurerProduct.id).where(InsurerProduct.status == ProductStatus.DRAFT)
    return str(s.execute(stmt).scalars().first())


def _user(username: str) -> Callable[[Any, Session], str]:
    return lambda env, s: str(s.execute(select(User.id).where(User.username == username)).scalar_one())


def _notice_and_decision(env) -> dict[str, str]:
    """A notice (通报) against 王建国 of firm A, upheld, and the blacklist proposal it opened (tolerance 0),
    decided without a listing so that routing is unchanged: firm A reads both, other firms do not."""
    with env.session() as s:
        policy_id = _policy(env, s)
    claim = _ok(
        env.client("insured1").post(
            "/api/v1/claims",
            headers={"Idempotency-Key": "census-neutrality"},
            json={
                "policy_id": policy_id,
                "loss_at": "2026-11-24T20:00:00+08:00",
                "location": "浙江省嘉兴市南湖区亚中路88号",
                "description": "配电房起火",
                "channel": "app",
            },
        ),
        201,
    )
    base = "/api/v1/neutrality"
    _ok(env.client("broker").put(f"{base}/tolerance", json={"tolerance": 0, "window_months": 12}))
    body = {
        "adjuster_id": claim["adjuster"]["id"],
        "case_id": claim["id"],
        "kind": "procedure",
        "severity": "minor",
        "text": "未按约定时限查勘",
    }
    f = _ok(env.client("risk").post(f"{base}/findings", json=body), 201)
    _ok(env.client("risk2").post(f"{base}/findings/{f['id']}/confirm", json={"reason": "核实"}))
    _ok(env.client("adjuster1").post(f"{base}/findings/{f['id']}/answer", json={"answer": "有客观原因"}))
    _ok(env.client("risk2").post(f"{base}/findings/{f['id']}/uphold", json={"reason": "维持"}))
    (p,) = _ok(env.client("broker").get(f"{base}/queue"))["proposals"]
    _ok(
        env.client("broker").post(
            f"{base}/proposals/{p['id']}/decide", json={"outcome": "no_listing", "reason": "轻微"}
        )
    )
    return {"finding_id": f["id"], "proposal_id": p["id"]}


def _recusal(env) -> dict[str, str]:
    """insurer1 asks that 王建国 step aside from a new claim of insured1 (the broker decides)."""
    with env.session() as s:
        policy_id = _policy(env, s)
    claim = _ok(
        env.client("insured1").post(
            "/api/v1/claims",
            headers={"Idempotency-Key": "census-recusal"},
            json={
                "policy_id": policy_id,
                "loss_at": "2026-11-24T19:00:00+08:00",
                "location": "浙江省嘉兴市南湖区亚中路88号",
                "description": "仓库漏雨",
                "channel": "app",
            },
        ),
        201,
    )
    body = {"case_id": claim["id"], "adjuster_id": claim["adjuster"]["id"], "reason": "曾任被保险人顾问"}
    return {"recusal_id": _ok(env.client("insurer1").post("/api/v1/neutrality/recusals", json=body), 201)["id"]}


def _invoice(env) -> dict[str, str]:
    """Firm A's fee invoice to insurer1 on a claim of insured1 taken to a submitted report: the firm, the
    payer and the broker read it; the insured (not a reader of the fees) and other parties do not."""
    cid = _to_reported(env)
    body = {"work": {"expenses_incurred": "800.00"}}
    inv = _ok(env.client("adjuster1").post(f"/api/v1/cases/{cid}/invoices", json=body), 201)
    return {"case_id": cid, "invoice_id": inv["id"]}


def _complaint(env) -> dict[str, str]:
    """insured1's request that firm A explain its report on a claim: not escalated, so supervision does not
    read it either."""
    cid = _to_reported(env)
    with env.session() as s:
        firm = _org(FIRM_A)(env, s)
    body = {"kind": "explanation", "target_id": firm, "text": "请解释定损依据"}
    return {"complaint_id": _ok(env.client("insured1").post(f"/api/v1/cases/{cid}/complaints", json=body), 201)["id"]}


def _retention_run(env) -> dict[str, str]:
    """A retention run the broker's admin proposed (issue 20 item 2): its organisation's admins and the
    platform admin only."""
    with env.session() as s, s.begin():
        broker = s.execute(select(User).where(User.username == "broker")).scalar_one()
        run = RetentionRun(organisation_id=broker.organisation_id, state="proposed", as_of=env.clock.now().date(),
                           items=[], proposed_by=broker.id, proposed_at=env.clock.now())  # fmt: skip
        s.add(run)
        s.flush()
        return {"run_id": str(run.id)}


def _placement(env) -> dict[str, str]:
    """insured1's placement, opened by the broker; no firm instructed, no insurer approached."""
    return {"placement_id": open_placement(env)["id"]}


def _submission(env) -> dict[str, str]:
    """insured1's placement at market, submitted to insurer1 only, which quoted once (issue 15)."""
    pid = placement_gone_to_market(env)
    insurer = org(env, INSURER1_ORG)
    sub = _ok(env.client("broker").post(f"/api/v1/placements/{pid}/submissions", json={"insurer_ids": [insurer]}), 201)
    body = {
        "sections": [{"ref": r, "rate_permille": "1.00"} for r in ("S1-1", "S1-2", "S2-1")],
        "valid_until": "2027-01-31",
    }
    quote = _ok(env.client("underwriter1").post(f"/api/v1/submissions/{sub[0]['id']}/quotes", json=body), 201)
    return {"submission_id": sub[0]["id"], "quote_id": quote["id"]}


@dataclass(frozen=True)
class Kind:
    """How to find a real object for one path parameter, a user who sees it, and users who must not.

    ``lookup`` reads a demo object; ``build`` makes one through the API (claims, drafts). ``stand_in``: no
    real object is built, the parameter is the child of an earlier one in the path (the parent's access
    check is what the census proves) and a random id stands in for it."""

    owner: str
    outsiders: tuple[str, ...]
    lookup: Callable[[Any, Session], str] | None = None
    build: Callable[[Any], dict[str, str]] | None = None
    stand_in: bool = False


ALL_CLAIM_OUTSIDERS = ("insured2", "insurer2", "adjuster3")
MARKET_OUTSIDERS = ("underwriter2", "insurer2", "insured2", "adjuster3")  # adjuster1: the broker's adjuster
PARAMS: dict[str, Kind] = {
    # insured1's policy (insurer1; designated adjuster 王建国 of firm A)
    "policy_id": Kind("insured1", ("insured2", "insurer2", "adjuster3", "regulator"), lookup=_policy),
    # insured1's organisation
    "org_id": Kind("insured1", ("insured2", "insurer1", "adjuster3"), lookup=_org(INSURED1_ORG)),
    # 王建国 of firm A
    "adjuster_id": Kind("adjuster1", ("adjuster3", "insured1"), lookup=_adjuster),
    # firm A itself
    "firm_id": Kind("adjuster1", ("adjuster3", "insured1"), lookup=_org(FIRM_A)),
    # the broker's blacklist entry against 何雪梅 of firm B (so firm A is an outsider, firm B is not)
    "entry_id": Kind("broker", ("insured1", "adjuster1", "insurer1", "regulator"), lookup=_entry),
    # insured1
    "insured_id": Kind("insured1", ("insured2", "insurer2", "adjuster3", "regulator"), lookup=_insured),
    # the broker's private expert 韩晓光
    "expert_id": Kind("broker", ("adjuster1", "insured1", "insurer1"), lookup=_expert),
    # insured1's claim, handled by firm A and insurer1, with its submitted report and an uploaded document
    "claim_id": Kind("insured1", ALL_CLAIM_OUTSIDERS, build=_claim_with_report_and_document),
    # the broker's declared event (issue 21): neither another insured, insurer nor firm sees it
    "event_id": Kind("broker", ALL_CLAIM_OUTSIDERS, build=_event),
    "report_id": Kind("adjuster1", ALL_CLAIM_OUTSIDERS, build=_claim_with_report_and_document),
    "document_id": Kind("insured1", ALL_CLAIM_OUTSIDERS, build=_claim_with_report_and_document),
    # a consultation item only exists after a dispute and a second report: stand-in under the real claim
    "item_id": Kind("insured1", ALL_CLAIM_OUTSIDERS, stand_in=True),
    # a survey of the claim: stand-in under the real claim (the claim's access check decides)
    "survey_id": Kind("insured1", ALL_CLAIM_OUTSIDERS, stand_in=True),
    # an inbound WeChat message linked to insured1 (brokers see unlinked ones only)
    "draft_id": Kind("insured1", ("insured2", "adjuster1", "insurer1"), build=_draft),
    # the broker's request to engage firm A's expert 曹立新: only firm A decides (the requester is an outsider here)
    "engagement_id": Kind("adjuster1", ("broker", "adjuster3", "insured1", "insurer1"), build=_engagement),
    # an API token of the broker's: nobody else, not even a colleague, can revoke it
    "token_id": Kind("broker", ("risk", "insured1", "adjuster1"), build=_token),
    # adjuster2 of firm A: only firm A's admin (and the platform admin) may deactivate them
    "user_id": Kind("adjuster1", ("adjuster3",), lookup=_user("adjuster2")),
    # insurer1's record (solvency, risk rating): read by brokers, insurers and supervision, not by insureds or firms
    "insurer_id": Kind("insurer1", ("insured1", "adjuster1"), lookup=_org(INSURER1_ORG)),
    # the second insurer's draft product: neither a competitor, the broker, an insured nor a firm sees it
    "product_id": Kind("insurer2", ("insurer1", "broker", "insured1", "adjuster1"), lookup=_draft_product),
    # a notice against 王建国 (firm A) and the blacklist decision after it: the broker's and firm A's,
    # read by supervision; another firm, insurers and insureds see neither
    "finding_id": Kind("adjuster1", ("adjuster3", "insured1", "insurer1"), build=_notice_and_decision),
    "proposal_id": Kind("adjuster1", ("adjuster3", "insured1", "insurer1"), build=_notice_and_decision),
    # insurer1's request that 王建国 step aside from insured1's claim: the case's parties only
    "recusal_id": Kind("broker", ("insured2", "insurer2", "adjuster3"), build=_recusal),
    # a claim's case and firm A's fee invoice on it (issue 18): the case's parties only; the invoice also not
    # the insured, who does not read the fees of the broker's engagement
    "case_id": Kind("adjuster1", ALL_CLAIM_OUTSIDERS, build=_invoice),
    "invoice_id": Kind("insurer1", ("insured1", *ALL_CLAIM_OUTSIDERS), build=_invoice),
    # insured1's placement: another insured, an insurer not yet approached, a firm not instructed, supervision
    # (no report copied yet) get the same 404 as for no placement
    "placement_id": Kind("insured1", ("insured2", "insurer1", "adjuster1", "regulator"), build=_placement),
    # an insurer's own adjuster on a placement: stand-in under the real placement (its access check decides;
    # one insurer never seeing another's is tests/placement/test_insurer_adjuster.py)
    "appointment_id": Kind("insured1", ("insured2", "insurer1", "adjuster1", "regulator"), stand_in=True),
    # insurer1's submission of insured1's placement and its quote: the competing insurer's underwriter, its
    # claims handler, another insured and an adjuster firm get the same 404 as for none
    "submission_id": Kind("underwriter1", MARKET_OUTSIDERS, build=_submission),
    "quote_id": Kind("underwriter1", MARKET_OUTSIDERS, build=_submission),
    # a mid-term change and a recovery of insured1's policy: stand-ins under the real policy (its access
    # check decides)
    "endorsement_id": Kind("insured1", ("insured2", "insurer2", "adjuster3", "regulator"), stand_in=True),
    "recovery_id": Kind("insured1", ("insured2", "insurer2", "adjuster3", "regulator"), stand_in=True),
    # insured1's explanation request to firm A (issue 20 item 3): the complainant and the firm only
    "complaint_id": Kind("insured1", (*ALL_CLAIM_OUTSIDERS, "regulator"), build=_complaint),
    # a broker's retention run: another organisation's admin and its non-admins alike get 404
    "run_id": Kind("broker", ("adjuster1", "insured1", "insurer1"), build=_retention_run),
    # a change report of firm A (issue 19 item 3): stand-in under the real firm (its filing's access check
    # decides: the firm itself, supervision and the platform)
    "change_id": Kind("adjuster1", ("adjuster3", "insured1"), stand_in=True),
}

# Every write route, with a request that would pass validation (keyword arguments of TestClient.request, or
# a function of the real ids returning them).
CLAIM = "/api/v1/claims/{claim_id}"
CONSULT = f"{CLAIM}/consultation"
PLACEMENT = "/api/v1/placements/{placement_id}"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + bytes(32)  # recognised as a photo by its content
SOME_ID = str(uuid.UUID(int=7))


def _notice(real: dict[str, str]) -> dict[str, Any]:
    return {
        "json": {
            "policy_id": real["policy_id"],
            "loss_at": "2026-11-25T07:00:00+08:00",
            "location": "仓库",
            "description": "仓库进水",
            "channel": "wechat",
        }
    }


WRITES: dict[tuple[str, str], dict[str, Any] | Callable[[dict[str, str]], dict[str, Any]]] = {
    ("PUT", "/api/v1/adjuster-firms/{firm_id}/filing"): {
        "json": {
            "name": "某保险公估有限公司",
            "capital": "2000000.00",
            "business_area": ["全国"],
            "shareholders": [],
            "risk_fund": "100000.00",
        }
    },
    ("POST", "/api/v1/adjuster-firms/{firm_id}/filing/actions"): {"json": {"action": "submit"}},
    ("POST", "/api/v1/adjuster-firms/{firm_id}/change-reports"): {
        "json": {"kind": "address", "changed_on": "2026-11-20"}
    },
    ("POST", "/api/v1/adjuster-firms/{firm_id}/change-reports/{change_id}/actions"): {"json": {"action": "submit"}},
    ("POST", "/adjuster-firms/{firm_id}/filing"): {"data": {"name": "某保险公估有限公司", "capital": "2000000"}},
    ("POST", "/adjuster-firms/{firm_id}/filing/{action}"): {"data": {"reasons": "outsider"}},
    ("POST", "/adjuster-firms/{firm_id}/change-reports"): {"data": {"kind": "address", "changed_on": "2026-11-20"}},
    ("POST", "/adjuster-firms/{firm_id}/change-reports/{change_id}/{action}"): {"data": {"details": "outsider"}},
    ("POST", "/api/v1/blacklist/{entry_id}/lift"): {"json": {"reason": "outsider tries to lift"}},
    ("POST", "/api/v1/policies/{policy_id}/actions"): {"json": {"action": "cancel", "reason": "outsider"}},
    ("POST", "/api/v1/events/{event_id}/claims"): lambda real: {"json": {"claim_id": real["claim_id"]}},
    ("DELETE", "/api/v1/events/{event_id}/claims/{claim_id}"): {},
    ("POST", "/events/{event_id}/tag"): {"data": {"number": "LP-2026-000001"}},
    ("POST", "/events/{event_id}/untag"): lambda real: {"data": {"claim_id": real["claim_id"]}},
    ("POST", "/events/{event_id}/assign"): lambda real: {
        "data": {"district": "嘉兴市南湖区", "firm_id": real["firm_id"]}
    },
    ("POST", "/api/v1/events/{event_id}/assignments"): lambda real: {
        "json": {"district": "嘉兴市南湖区", "firm_id": real["firm_id"]}
    },
    ("POST", f"{CLAIM}/adjuster"): {"json": {"adjuster_id": str(uuid.UUID(int=7)), "reason": "x"}},
    ("POST", f"{CLAIM}/adjuster-proposal"): {"json": {"adjuster_id": str(uuid.UUID(int=7))}},
    ("POST", f"{CLAIM}/adjuster-proposal/answer"): {"json": {"answer": "agree"}},
    ("POST", f"{CLAIM}/appointment"): {"json": {"accept": False, "reason": "outsider"}},
    ("POST", f"{CLAIM}/team"): {"json": {"adjuster_id": str(uuid.UUID(int=7))}},
    ("POST", f"{CLAIM}/surveys"): {"json": {"scheduled_at": "2026-11-25T14:00:00+08:00"}},
    ("POST", f"{CLAIM}/surveys/{{survey_id}}/notes"): {"json": {"body": "outsider"}},
    ("PUT", f"{CLAIM}/report-draft"): {
        "json": {"sections": [{"code": "building", "items": [{"ref": "1", "description": "x", "loss": "1.00"}]}]}
    },
    ("POST", f"{CLAIM}/reports"): {"json": {"signer_ids": [str(uuid.UUID(int=7))]}},
    ("POST", f"{CLAIM}/reports/sign"): {"json": {"content_hash": "0" * 64}},
    ("PUT", f"{CLAIM}/reports/{{report_id}}"): {"json": {}},
    ("PATCH", f"{CLAIM}/reports/{{report_id}}"): {"json": {}},
    ("DELETE", f"{CLAIM}/reports/{{report_id}}"): {},
    ("POST", f"{CLAIM}/amount-confirmation"): {},
    ("POST", f"{CLAIM}/negotiation"): {"json": {"move": "propose", "amount": "1.00"}},
    ("POST", f"{CLAIM}/payments"): {"json": {"kind": "advance", "amount": "1.00", "reference": "outsider"}},
    ("POST", f"{CLAIM}/close"): {},
    ("POST", f"{CLAIM}/withdraw"): {"json": {"reason": "outsider"}},
    ("POST", f"{CLAIM}/messages"): {"json": {"audience": "all", "body": "outsider"}},
    ("POST", f"{CLAIM}/documents-request"): {"json": {"items": ["outsider"]}},
    ("POST", f"{CLAIM}/documents-complete"): {},
    ("POST", f"{CLAIM}/documents"): {
        "files": {"file": ("x.txt", b"outsider", "text/plain")},
        "data": {"audience": "all"},
    },
    ("POST", f"{CLAIM}/insurer-adjuster"): {"json": {"adjuster_id": SOME_ID}},
    ("POST", f"{CLAIM}/insurer-adjuster/refuse"): {"json": {"reason": "outsider"}},
    ("POST", CONSULT): {},
    ("PUT", f"{CONSULT}/alignment"): {"json": {"pairs": [["1", "1"]]}},
    ("POST", f"{CONSULT}/start"): {},
    ("POST", f"{CONSULT}/end-round"): {},
    ("POST", f"{CONSULT}/items/{{item_id}}/moves"): {"json": {"kind": "propose", "amount": "1.00"}},
    ("POST", f"{CONSULT}/umpire"): {"json": {"kind": "expert", "umpire_id": SOME_ID}},
    ("POST", f"{CONSULT}/umpire/accept"): {},
    ("POST", f"{CONSULT}/items/{{item_id}}/umpire-decision"): {"json": {"amount": "1.00", "reason": "x"}},
    ("POST", f"{CONSULT}/items/{{item_id}}/award-acceptance"): {"json": {"amount": "1.00"}},
    ("POST", f"{CONSULT}/memorandum/ack"): {},
    ("POST", "/api/v1/intake/drafts/{draft_id}/confirm"): _notice,
    ("POST", "/api/v1/intake/drafts/{draft_id}/dismiss"): {},
    ("PUT", "/api/v1/experts/{expert_id}/sharing"): {"json": {"visibility": "partners"}},
    ("POST", f"{CLAIM}/engagements"): {"json": {"expert_id": SOME_ID}},
    ("POST", "/api/v1/engagements/{engagement_id}/accept"): {"json": {}},
    ("POST", "/api/v1/engagements/{engagement_id}/decline"): {"json": {"reason": "outsider"}},
    ("POST", "/api/v1/neutrality/findings/{finding_id}/confirm"): {"json": {"reason": "outsider"}},
    ("POST", "/api/v1/neutrality/findings/{finding_id}/reject"): {"json": {"reason": "outsider"}},
    ("POST", "/api/v1/neutrality/findings/{finding_id}/answer"): {"json": {"answer": "outsider"}},
    ("POST", "/api/v1/neutrality/findings/{finding_id}/uphold"): {"json": {"reason": "outsider"}},
    ("POST", "/api/v1/neutrality/findings/{finding_id}/withdraw"): {"json": {"reason": "outsider"}},
    ("POST", "/api/v1/neutrality/proposals/{proposal_id}/decide"): {"json": {"outcome": "no_listing", "reason": "x"}},
    ("POST", "/api/v1/neutrality/proposals/{proposal_id}/appeal"): {"json": {"reason": "outsider"}},
    ("POST", "/api/v1/neutrality/proposals/{proposal_id}/appeal/decide"): {
        "json": {"outcome": "granted", "reason": "outsider"}
    },
    ("POST", "/api/v1/neutrality/recusals/{recusal_id}/decide"): {"json": {"outcome": "refused", "reason": "x"}},
    ("POST", "/api/v1/neutrality/adjusters/{adjuster_id}/interests"): {
        "json": {"organisation_id": SOME_ID, "kind": "relative", "detail": "outsider"}
    },
    ("POST", "/api/v1/adjusters/{adjuster_id}/registration/leave"): {"json": {"left_on": "2026-11-20"}},
    ("POST", "/api/v1/adjusters/{adjuster_id}/registration/deregister"): {"json": {"left_on": "2026-11-20"}},
    ("POST", "/api/v1/adjusters/{adjuster_id}/checks"): {
        "json": {"source": "regulator_register", "result": "failed", "checked_on": "2026-11-20"}
    },
    ("POST", "/api/v1/adjusters/{adjuster_id}/sanctions"): {
        "json": {"kind": "suspension", "authority": "outsider", "starts_on": "2026-11-20"}
    },
    # Showing a full ID or phone number (tandem.party.reveal): logged, so a write; supervision never reaches it.
    ("POST", "/api/v1/insureds/{insured_id}/reveal"): {"json": {"field": "id_number", "reason": "census"}},
    ("POST", "/api/v1/adjusters/{adjuster_id}/reveal"): {"json": {"field": "id_number", "reason": "census"}},
    ("POST", "/organisations/{org_id}/reveal"): {"data": {"field": "id_number", "reason": "census"}},
    ("POST", "/adjusters/{adjuster_id}/checks"): {
        "data": {"source": "regulator_register", "result": "failed", "checked_on": "2026-11-20"}
    },
    ("POST", "/adjusters/{adjuster_id}/sanctions"): {
        "data": {"kind": "suspension", "authority": "outsider", "starts_on": "2026-11-20"}
    },
    ("POST", "/adjusters/{adjuster_id}/registration"): {"data": {"action": "leave", "left_on": "2026-11-20"}},
    ("POST", "/adjuster-firms/{firm_id}/registrations"): {
        "data": {"certificate_no": "GGS0000000", "id_number": "x", "starts_on": "2026-11-20"}
    },
    ("POST", "/api/v1/cases/{case_id}/invoices"): {"json": {}},
    ("POST", "/api/v1/invoices/{invoice_id}/accept"): {},
    ("POST", "/api/v1/invoices/{invoice_id}/dispute"): {"json": {"reason": "outsider", "lines": ["fee"]}},
    ("POST", "/api/v1/invoices/{invoice_id}/reissue"): {"json": {"reason": "outsider"}},
    ("POST", "/api/v1/invoices/{invoice_id}/payments"): {
        "json": {"amount": "1.00", "paid_on": "2026-11-25", "reference": "outsider"}
    },
    # pages (cookie session; the CSRF token travels in the X-CSRF-Token header)
    ("POST", "/api/v1/policies/{policy_id}/termination-assessment"): {"json": {"note": "outsider"}},
    ("PUT", "/api/v1/policies/{policy_id}/termination-assessment/draft"): {"json": {"content": {}}},
    ("PUT", "/api/v1/policies/{policy_id}/business-file"): {
        "json": {
            "commission_rate": "0.1",
            "commission_amount": "100.00",
            "commission_collection": "deducted",
            "remittance": "net",
            "remittance_days": 10,
            "served_by": str(uuid.UUID(int=7)),
        }
    },
    ("POST", "/api/v1/policies/{policy_id}/termination-assessment/report"): {
        "json": {"signer_ids": [SOME_ID, str(uuid.UUID(int=8))]}
    },
    ("POST", "/api/v1/policies/{policy_id}/termination-assessment/letter/accept"): {
        "json": {"terms": {"basis": "fixed", "amount": "100.00", "payer": "insured", "payment_days": 30}}
    },
    ("POST", "/api/v1/policies/{policy_id}/termination-assessment/letter/decline"): {"json": {"reason": "outsider"}},
    ("POST", "/api/v1/policies/{policy_id}/endorsements"): {
        "json": {
            "effective_date": "2026-07-01",
            "sections": [{"code": "building", "name": "建筑物", "sum_insured": "1.00", "rate_permille": "1"}],
            "reason": "outsider",
        }
    },
    ("POST", "/api/v1/policies/{policy_id}/endorsements/{endorsement_id}/actions"): {"json": {"action": "withdraw"}},
    ("POST", "/api/v1/policies/{policy_id}/status-changes"): {
        "json": {"action": "suspend", "effective_date": "2026-07-01", "reason_code": "other", "reason": "outsider"}
    },
    ("POST", "/policies/{policy_id}/business-file"): {
        "data": {"commission_rate": "0.1", "commission_amount": "1", "remittance_days": "1"}
    },
    ("POST", "/policies/{policy_id}/endorsements"): {"data": {"effective_date": "2026-07-01", "reason": "outsider"}},
    ("POST", "/policies/{policy_id}/endorsements/{endorsement_id}/{action}"): {"data": {"answer": "outsider"}},
    ("POST", "/policies/{policy_id}/status"): {
        "data": {"action": "suspend", "effective_date": "2026-07-01", "reason_code": "other", "reason": "outsider"}
    },
    ("POST", "/policies/{policy_id}/termination-assessment"): {"data": {"note": "outsider"}},
    ("POST", "/policies/{policy_id}/termination-assessment/report"): {"data": {"cause": "x", "basis": "x"}},
    ("POST", "/policies/{policy_id}/termination-assessment/letter/accept"): {
        "data": {"fee_basis": "fixed", "fee_amount": "100", "fee_payer": "insured", "fee_payment_days": "30"}
    },
    ("POST", "/policies/{policy_id}/termination-assessment/letter/decline"): {"data": {"reason": "outsider"}},
    ("POST", "/api/v1/policies/{policy_id}/recoveries"): {
        "json": {"heads": [{"head": "other_costs", "amount": "10.00", "evidence": "x"}], "reasons": "outsider"}
    },
    ("POST", "/api/v1/policies/{policy_id}/recoveries/{recovery_id}/actions"): {
        "json": {"action": "refuse", "reasons": "outsider"}
    },
    ("POST", "/api/v1/cases/{case_id}/complaints"): {
        "json": {"kind": "complaint", "target_id": SOME_ID, "text": "outsider"}
    },
    ("POST", "/api/v1/complaints/{complaint_id}/actions"): {"json": {"action": "escalate", "text": "outsider"}},
    ("POST", "/api/v1/retention/runs/{run_id}/decision"): {"json": {"action": "approve"}},
    ("POST", "/retention/runs/{run_id}/{action}"): {"data": {}},
    ("POST", "/cases/{case_id}/complaints"): {"data": {"kind": "complaint", "target_id": SOME_ID, "text": "x"}},
    ("POST", "/cases/{case_id}/complaints/{complaint_id}/{action}"): {"data": {"text": "outsider"}},
    ("POST", "/policies/{policy_id}/recovery"): {"data": {"other_costs_amount": "10.00", "reasons": "outsider"}},
    ("POST", "/policies/{policy_id}/recovery/{recovery_id}/{action}"): {"data": {"reasons": "outsider"}},
    ("POST", "/policies/{policy_id}/edit"): {"data": {"number": "PX-OUTSIDER-1"}},
    ("POST", "/api/v1/policies/{policy_id}/staged-risk/plan"): {"json": {"interval_months": 6}},
    ("POST", "/api/v1/policies/{policy_id}/staged-risk/plan/agree"): {},
    ("PUT", "/api/v1/policies/{policy_id}/staged-risk/draft"): {"json": {"content": {}}},
    ("POST", "/api/v1/policies/{policy_id}/staged-risk/reports"): {"json": {"signer_ids": [SOME_ID, SOME_ID]}},
    ("POST", "/policies/{policy_id}/risk/plan"): {"data": {"interval_months": "6", "lead_days": "14"}},
    ("POST", "/policies/{policy_id}/risk/agree"): {"data": {}},
    ("POST", "/policies/{policy_id}/risk/report"): {"data": {"subject": "outsider"}},
    ("POST", "/neutrality/findings/{finding_id}/{action}"): {"data": {"text": "outsider"}},
    ("POST", "/neutrality/proposals/{proposal_id}/{action}"): {"data": {"text": "outsider"}},
    ("POST", "/neutrality/recusals/{recusal_id}/{action}"): {"data": {"text": "outsider"}},
    ("POST", "/neutrality/cases/{case_id}/recusals"): {"data": {"adjuster_id": SOME_ID, "reason": "outsider"}},
    ("POST", "/neutrality/adjusters/{adjuster_id}/interests"): {
        "data": {"organisation_id": SOME_ID, "kind": "relative", "detail": "outsider"}
    },
    ("POST", "/blacklist/{entry_id}/lift"): {"data": {"reason": "outsider tries to lift"}},
    ("POST", "/cases/{case_id}/invoices"): {"data": {"expenses_incurred": "1.00"}},
    ("POST", "/invoices/{invoice_id}/{action}"): {"data": {"reason": "outsider", "amount": "1.00"}},
    ("POST", "/claims/{claim_id}/adjuster"): {"data": {"adjuster_id": SOME_ID, "reason": "x"}},
    ("POST", "/claims/{claim_id}/adjuster/answer"): {"data": {"answer": "agree"}},
    ("POST", "/claims/{claim_id}/withdraw"): {"data": {"reason": "outsider"}},
    ("POST", "/claims/{claim_id}/letter"): {"data": {"answer": "decline", "reason": "outsider"}},
    ("POST", "/claims/{claim_id}/team"): {"data": {"adjuster_id": SOME_ID}},
    ("POST", "/claims/{claim_id}/surveys"): {"data": {"scheduled_at": "2026-11-25T14:00"}},
    ("POST", "/claims/{claim_id}/surveys/{survey_id}/notes"): {"data": {"body": "outsider", "audience": "all"}},
    ("POST", "/claims/{claim_id}/draft"): {
        "data": {"building.rows": "1", "building.0.description": "x", "building.0.loss": "1.00", "op": "save"}
    },
    ("POST", "/claims/{claim_id}/reports"): {"data": {"signers": [SOME_ID, str(uuid.UUID(int=8))]}},
    ("POST", "/claims/{claim_id}/reports/sign"): {"data": {"content_hash": "0" * 64}},
    ("POST", "/claims/{claim_id}/amount"): {},
    ("POST", "/claims/{claim_id}/negotiation"): {"data": {"move": "propose", "amount": "1.00"}},
    ("POST", "/claims/{claim_id}/payments"): {"data": {"kind": "advance", "amount": "1.00", "reference": "outsider"}},
    ("POST", "/claims/{claim_id}/close"): {},
    ("POST", "/claims/{claim_id}/messages"): {"data": {"audience": "all", "body": "outsider"}},
    ("POST", "/claims/{claim_id}/documents"): {
        "files": {"file": ("x.txt", b"outsider", "text/plain")},
        "data": {"audience": "all"},
    },
    ("POST", "/claims/{claim_id}/insurer-adjuster"): {"data": {"adjuster_id": SOME_ID}},
    ("POST", "/claims/{claim_id}/insurer-adjuster/refuse"): {"data": {"reason": "outsider"}},
    ("POST", "/claims/{claim_id}/consultation/open"): {},
    ("POST", "/claims/{claim_id}/consultation/start"): {},
    ("POST", "/claims/{claim_id}/consultation/end-round"): {},
    ("POST", "/claims/{claim_id}/consultation/items/{item_id}/move"): {
        "data": {"kind": "propose", "amount": "1.00", "reason": "x"}
    },
    ("POST", "/claims/{claim_id}/consultation/umpire"): {"data": {"umpire": f"expert:{SOME_ID}"}},
    ("POST", "/claims/{claim_id}/consultation/umpire/accept"): {},
    ("POST", "/claims/{claim_id}/consultation/items/{item_id}/decision"): {"data": {"amount": "1.00", "reason": "x"}},
    ("POST", "/claims/{claim_id}/consultation/items/{item_id}/award"): {"data": {"amount": "1.00"}},
    ("POST", "/claims/{claim_id}/consultation/memorandum/ack"): {},
    ("POST", "/intake/drafts/{draft_id}/confirm"): lambda real: {
        "data": {
            "policy_id": real["policy_id"],
            "loss_at": "2026-11-25T07:00",
            "location": "仓库",
            "description": "仓库进水",
        }
    },
    ("POST", "/intake/drafts/{draft_id}/dismiss"): {},
    ("POST", "/claims/{claim_id}/experts"): {"data": {"expert_id": SOME_ID, "fee_basis": "按日", "note": "x"}},
    ("POST", "/experts/{expert_id}/sharing"): {"data": {"visibility": "partners"}},
    ("POST", "/experts/{expert_id}/profile"): {"data": {"name": "outsider", "organisation": "outsider"}},
    ("POST", "/experts/engagements/{engagement_id}/accept"): {},
    ("POST", "/experts/engagements/{engagement_id}/decline"): {"data": {"reason": "outsider"}},
    ("DELETE", "/api/v1/me/tokens/{token_id}"): {},
    ("POST", "/account/tokens/{token_id}/revoke"): {},
    ("POST", "/api/v1/users/{user_id}/deactivate"): {},
    ("PUT", "/api/v1/users/{user_id}/roles"): {"json": {"roles": ["adjuster"]}},
    ("POST", "/api/v1/users/{user_id}/totp-reset"): {},
    ("POST", "/users/{user_id}/roles"): {"data": {"roles": ["adjuster"]}},
    ("POST", "/users/{user_id}/deactivate"): {},
    ("POST", "/users/{user_id}/totp-reset"): {},
    ("POST", "/organisations/{org_id}/invite"): {
        "data": {"email": "outsider@example.com", "display_name": "outsider", "roles": ["insured_contact"]}
    },
    ("POST", "/api/v1/organisations/{org_id}/invitations"): {
        "json": {"email": "outsider@example.com", "display_name": "outsider", "roles": ["insured_contact"]}
    },
    ("PUT", "/api/v1/insurers/{insurer_id}/standing"): {
        "json": {"solvency_ratio": "150.00", "risk_rating": "A", "as_of": "2026-09-30"}
    },
    ("PUT", "/api/v1/insurers/{insurer_id}/underwriting"): {"json": {"steps": ["核保"], "turnaround_days": 5}},
    ("PUT", "/api/v1/products/{product_id}"): {"json": {**product_body(code="TH-OUTSIDER"), "version": 1}},
    ("POST", "/api/v1/products/{product_id}/actions"): {"json": {"action": "publish"}},
    ("POST", "/products/{product_id}/actions"): {"data": {"action": "publish"}},
    ("POST", "/products/{product_id}/edit"): {"data": {"code": "TH-OUTSIDER", "name": "x"}},
    # placements (issue 14): the API
    ("POST", f"{PLACEMENT}/explanation"): {"json": {"note": "outsider"}},
    ("POST", f"{PLACEMENT}/choice"): {"json": {"adjuster_id": SOME_ID, "acknowledged": True}},
    ("POST", f"{PLACEMENT}/letter"): {},
    ("POST", f"{PLACEMENT}/letter/accept"): {
        "json": {
            "terms": {"basis": "fixed", "amount": "60000.00", "payer": "insured", "payment_days": 30},
            "report_due": "2027-01-15",
        }
    },
    ("POST", f"{PLACEMENT}/letter/decline"): {"json": {"reason": "outsider"}},
    ("POST", f"{PLACEMENT}/go-to-market"): {},
    ("POST", f"{PLACEMENT}/team"): {"json": {"adjuster_id": SOME_ID}},
    ("POST", f"{PLACEMENT}/surveys"): {"json": {"visited_at": "2026-11-24T10:00:00+08:00"}},
    ("POST", f"{PLACEMENT}/survey-photos"): {"files": {"file": ("x.jpg", JPEG, "image/jpeg")}},
    ("PUT", f"{PLACEMENT}/report-draft"): {"json": {}},
    ("POST", f"{PLACEMENT}/reports"): {"json": {"signer_ids": [SOME_ID, str(uuid.UUID(int=8))]}},
    ("POST", f"{PLACEMENT}/reports/sign"): {"json": {"content_hash": "0" * 64}},
    ("PUT", f"{PLACEMENT}/reports/{{report_id}}"): {"json": {}},
    ("PATCH", f"{PLACEMENT}/reports/{{report_id}}"): {"json": {}},
    ("DELETE", f"{PLACEMENT}/reports/{{report_id}}"): {},
    ("POST", f"{PLACEMENT}/risk-register"): {},
    ("PATCH", f"{PLACEMENT}/risk-register/points/{{ref}}"): {"json": {"advice": "outsider"}},
    ("PUT", f"{PLACEMENT}/risk-register/advice"): {"json": {"advice": "outsider"}},
    ("POST", f"{PLACEMENT}/risk-register/publish"): {},
    ("POST", f"{PLACEMENT}/risk-register/refresh"): {},
    ("POST", f"{PLACEMENT}/shortlist"): {"json": {}},
    ("POST", f"{PLACEMENT}/comparison/choice"): {"json": {"action": "ask"}},
    ("PUT", f"{PLACEMENT}/decisions"): {"json": {"decisions": [{"ref": "1", "choice": "premium"}]}},
    # two pre-assessments, one answer (R-U8)
    ("POST", f"{PLACEMENT}/consultation"): {"json": {}},
    ("PUT", f"{PLACEMENT}/consultation/alignment"): {"json": {"pairs": [["1", "F1"]]}},
    ("POST", f"{PLACEMENT}/consultation/start"): {},
    ("POST", f"{PLACEMENT}/consultation/end-round"): {"json": {"confirm": True}},
    ("POST", f"{PLACEMENT}/consultation/items/{{item_id}}/moves"): {"json": {"kind": "hold"}},
    ("POST", f"{PLACEMENT}/consultation/umpire"): {"json": {"kind": "adjuster", "umpire_id": SOME_ID}},
    ("POST", f"{PLACEMENT}/consultation/umpire/accept"): {},
    ("POST", f"{PLACEMENT}/consultation/items/{{item_id}}/umpire-decision"): {
        "json": {"level": "中", "coefficient": "1.1200", "reason": "outsider"}
    },
    ("POST", f"{PLACEMENT}/consultation/memorandum/ack"): {},
    ("POST", f"{PLACEMENT}/risk-register/memorandum"): {},
    # the insurer's own adjuster (R-U7)
    ("POST", f"{PLACEMENT}/insurer-adjusters"): {"json": {"adjuster_id": SOME_ID}},
    ("POST", f"{PLACEMENT}/insurer-adjusters/{{appointment_id}}/accept"): {
        "json": {
            "terms": {"basis": "fixed", "amount": "30000.00", "payer": "insurer", "payment_days": 30},
            "report_due": "2027-01-15",
        }
    },
    ("POST", f"{PLACEMENT}/insurer-adjusters/{{appointment_id}}/decline"): {"json": {"reason": "outsider"}},
    ("POST", f"{PLACEMENT}/insurer-adjusters/{{appointment_id}}/broker-answer"): {
        "json": {"action": "require_another", "reason": "outsider"}
    },
    # going to market and binding (issue 15)
    ("POST", f"{PLACEMENT}/disclosure"): {"json": {}},
    ("POST", f"{PLACEMENT}/mandate"): {"json": {}},
    ("POST", f"{PLACEMENT}/mandate/upload"): {"files": {"file": ("m.jpg", JPEG, "image/jpeg")}},
    ("POST", f"{PLACEMENT}/consents/{{kind}}/acknowledge"): {},
    ("POST", f"{PLACEMENT}/submissions"): {"json": {}},
    ("POST", "/api/v1/submissions/{submission_id}/messages"): {"json": {"body": "outsider"}},
    ("POST", "/api/v1/submissions/{submission_id}/quotes"): {
        "json": {"sections": [{"ref": "S1-1", "rate_permille": "1.00"}], "valid_until": "2027-01-31"}
    },
    ("POST", "/api/v1/submissions/{submission_id}/decline"): {"json": {"reason": "outsider"}},
    ("POST", "/api/v1/submissions/{submission_id}/withdraw"): {"json": {"reason": "outsider"}},
    ("POST", "/api/v1/quotes/{quote_id}/accept"): {"json": {}},
    # going to market and binding (issue 15): the pages
    ("POST", "/placements/{placement_id}/disclosure"): {"data": {"remuneration": "outsider"}},
    ("POST", "/placements/{placement_id}/mandate"): {"data": {"op": "generate"}},
    ("POST", "/placements/{placement_id}/consents/{kind}/acknowledge"): {},
    ("POST", "/placements/{placement_id}/submissions"): {"data": {"insurer_ids": [SOME_ID], "answer_days": "10"}},
    ("POST", "/placements/{placement_id}/quotes/{quote_id}/accept"): {"data": {"designated_adjuster_id": ""}},
    ("POST", "/submissions/{submission_id}/messages"): {"data": {"body": "outsider"}},
    ("POST", "/submissions/{submission_id}/quotes"): {
        "data": {"sections[0].rate_permille": "1.00", "valid_until": "2027-01-31"}
    },
    ("POST", "/submissions/{submission_id}/{action}"): {"data": {"reason": "outsider"}},
    # placements: the pages
    ("POST", "/placements/{placement_id}/messages"): {"data": {"audience": "all", "body": "outsider"}},
    ("POST", "/placements/{placement_id}/documents"): {
        "files": {"file": ("x.txt", b"outsider", "text/plain")},
        "data": {"audience": "all"},
    },
    ("POST", "/placements/{placement_id}/contacts"): {
        "data": {"site_ref": "S1", "name": "outsider", "phone": "13900000000"}
    },
    ("POST", "/placements/{placement_id}/withdraw"): {"data": {"reason": "outsider"}},
    ("POST", "/placements/{placement_id}/go-to-market"): {},
    ("POST", "/placements/{placement_id}/explain"): {"data": {"note": "outsider"}},
    ("POST", "/placements/{placement_id}/choose"): {"data": {"adjuster_id": SOME_ID, "acknowledged": "yes"}},
    ("POST", "/placements/{placement_id}/letter"): {},
    ("POST", "/placements/{placement_id}/letter/accept"): {
        "data": {
            "fee_basis": "fixed",
            "fee_amount": "60000",
            "fee_payer": "insured",
            "fee_payment_days": "30",
            "report_due": "2027-01-15",
        }
    },
    ("POST", "/placements/{placement_id}/letter/decline"): {"data": {"reason": "outsider"}},
    ("POST", "/placements/{placement_id}/shortlist"): {"data": {}},
    ("POST", "/placements/{placement_id}/insurer-adjuster"): {"data": {"adjuster_id": SOME_ID}},
    ("POST", "/placements/{placement_id}/insurer-adjuster/{appointment_id}/accept"): {
        "data": {
            "fee_basis": "fixed",
            "fee_amount": "30000",
            "fee_payer": "insurer",
            "fee_payment_days": "30",
            "report_due": "2027-01-15",
        }
    },
    ("POST", "/placements/{placement_id}/insurer-adjuster/{appointment_id}/decline"): {"data": {"reason": "outsider"}},
    ("POST", "/placements/{placement_id}/insurer-adjuster/{appointment_id}/broker-answer"): {
        "data": {"action": "require_another", "reason": "outsider"}
    },
    ("POST", "/placements/{placement_id}/consultation"): {"data": {"step": "ack"}},
    ("POST", "/placements/{placement_id}/consultation/alignment"): {"data": {"a-0": "1", "b-0": "F1"}},
    ("POST", "/placements/{placement_id}/consultation/items/{item_id}"): {"data": {"kind": "hold"}},
    ("POST", "/placements/{placement_id}/consultation/umpire"): {"data": {"umpire": f"adjuster:{SOME_ID}"}},
    ("POST", "/placements/{placement_id}/consultation/items/{item_id}/decision"): {
        "data": {"level": "中", "coefficient": "1.1200", "reason": "outsider"}
    },
    ("POST", "/placements/{placement_id}/comparison/choice"): {"data": {"action": "ask"}},
    ("POST", "/placements/{placement_id}/comparison/weights"): {"data": {"w_refusals": "20"}},
    ("POST", "/placements/{placement_id}/risk/seed"): {},
    ("POST", "/placements/{placement_id}/risk/point"): {"data": {"ref": "1", "advice": "outsider"}},
    ("POST", "/placements/{placement_id}/risk/advice"): {"data": {"advice": "outsider"}},
    ("POST", "/placements/{placement_id}/risk/publish"): {},
    ("POST", "/placements/{placement_id}/risk/refresh"): {},
    ("POST", "/placements/{placement_id}/risk/decisions"): {},
    ("POST", "/placements/{placement_id}/pre-assessment/team"): {"data": {"adjuster_id": SOME_ID}},
    ("POST", "/placements/{placement_id}/pre-assessment/visits"): {"data": {"visited_at": "2026-11-24T10:00"}},
    ("POST", "/placements/{placement_id}/report-draft"): {"data": {"op": "save"}},
    ("POST", "/placements/{placement_id}/pre-assessment/submit"): {"data": {"signers": [SOME_ID]}},
    ("POST", "/placements/{placement_id}/pre-assessment/sign"): {"data": {"content_hash": "0" * 64}},
}

# Routes the census must find (so a renamed parameter or a lost router is noticed too).
KNOWN = {
    ("GET", "/api/v1/policies/{policy_id}"),
    ("POST", "/api/v1/policies/{policy_id}/actions"),
    ("GET", "/api/v1/organisations/{org_id}"),
    ("GET", "/api/v1/organisations/{org_id}/users"),
    ("GET", "/api/v1/adjusters/{adjuster_id}"),
    ("GET", "/api/v1/adjuster-firms/{firm_id}"),
    ("GET", "/api/v1/blacklist/{entry_id}"),
    ("POST", "/api/v1/blacklist/{entry_id}/lift"),
    ("GET", "/api/v1/insureds/{insured_id}"),
    ("GET", "/api/v1/experts/{expert_id}"),
    ("GET", "/experts/{expert_id}"),
    ("GET", "/claims/{claim_id}/experts"),
    ("POST", "/experts/engagements/{engagement_id}/accept"),
}


def id_routes(app: Any) -> list[tuple[str, str, list[str]]]:
    return [(m, p, ID_PARAM.findall(p)) for m, p in all_routes(app) if ID_PARAM.search(p)]


# Supervision writes nothing (tests/access/test_supervision.py): its writes are refused before any lookup.
READ_ONLY_USERS = {"regulator"}


class Callers(PageSessions):
    """Bearer clients for the JSON API, cookie-session clients (with their CSRF token) for pages."""

    def call(
        self, user: str, method: str, path: str, values: dict[str, str], real: dict[str, str]
    ) -> tuple[int, bytes]:
        url = path
        for name, value in values.items():
            url = re.sub(r"{" + name + r"(?::\w+)?}", value, url)
        client = self.env.client(user) if path.startswith("/api/") else self.page(user)
        kwargs: dict[str, Any] = {}
        if method != "GET":
            write = WRITES[(method, path)]
            kwargs = dict(write(real) if callable(write) else write)
        r = client.request(method, url, headers={"X-Request-Id": "census"}, **kwargs)
        body = r.content
        for value in values.values():  # pages echo their own URL (language links): not a leak
            body = body.replace(value.encode(), b"{id}")
        return r.status_code, body


@pytest.fixture
def callers(env):
    c = Callers(env)
    yield c
    c.close()


def test_every_id_parameter_is_covered(env) -> None:
    found = id_routes(env.app)
    unknown = sorted({(n, p) for _m, p, names in found for n in names if n not in PARAMS})
    assert not unknown, f"add these path parameters to PARAMS in {__file__}: {unknown}"
    writes = sorted({(m, p) for m, p, _n in found if m != "GET" and (m, p) not in WRITES})
    assert not writes, f"add a request that passes validation for these routes to WRITES: {writes}"
    assert KNOWN <= {(m, p) for m, p, _n in found}


def coverable(found: list[tuple[str, str, list[str]]]) -> list[tuple[str, str, list[str]]]:
    """The routes the census knows how to call (the others fail the test above)."""
    return [(m, p, ns) for m, p, ns in found if all(n in PARAMS for n in ns) and (m == "GET" or (m, p) in WRITES)]


def test_outsiders_get_the_same_answer_as_for_a_missing_object(env, callers: Callers) -> None:
    routes = coverable(id_routes(env.app))
    names = {n for _m, _p, ns in routes for n in ns}
    real: dict[str, str] = {}
    with env.session() as s:
        real.update({n: k.lookup(env, s) for n, k in PARAMS.items() if k.lookup is not None})
    for build in {k.build for n, k in PARAMS.items() if k.build is not None and n in names}:
        real.update(build(env))
    for n in names:
        if PARAMS[n].stand_in:
            real[n] = str(uuid.uuid4())
    before = snapshot(env)
    owner_saw: set[str] = set()
    checked = 0
    for method, path, params in routes:
        kinds = [PARAMS[n] for n in params]
        mine = {n: real[n] for n in params}
        if method == "GET":
            status, _body = callers.call(kinds[-1].owner, method, path, mine, real)
            if status == 200:
                owner_saw.add(params[-1])
        for user in sorted({u for k in kinds for u in k.outsiders}):
            answer = callers.call(user, method, path, mine, real)
            missing = callers.call(user, method, path, {n: str(uuid.uuid4()) for n in params}, real)
            assert answer == missing, (method, path, user, answer[0], missing[0], answer[1][:300], missing[1][:300])
            for junk in GARBAGE:
                assert callers.call(user, method, path, {n: junk for n in params}, real) == missing, (path, user, junk)
            if method != "GET" and user in READ_ONLY_USERS:  # refused before any lookup: the same 403
                assert answer[0] == 403, (method, path, user, answer[0], answer[1][:300])
                checked += 1
                continue
            assert answer[0] == 404, (method, path, user, answer[0], answer[1][:300])
            if path.startswith("/api/"):
                assert answer[1] == b'{"error":{"code":"not_found","message":"Not found."}}'
            checked += 1
        if method != "GET":
            assert snapshot(env) == before, (method, path)
    # every real object was seen by its owner on at least one page or endpoint that shows it
    shown = {ns[-1] for m, _p, ns in routes if m == "GET"}
    assert {n for n in shown if not PARAMS[n].stand_in} <= owner_saw
    assert checked >= 2 * len(routes)
    assert snapshot(env) == before
