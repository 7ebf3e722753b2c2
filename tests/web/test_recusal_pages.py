"""Recusal (回避) and evidence through the pages: the adjuster declares an interest on its record page and
routing then passes it over with `conflict_of_interest`; a party on a case asks that an adjuster step aside
and the broker decides with reasons; a risk evaluator attaches a document to a finding from the queue
form. Errors come back beside the fields (422); nobody else gets a form."""

from __future__ import annotations

import hashlib
import re

from tests.helpers import POLICY1, XINDA, _ok, logged_in, notice, open_placement, org, post, text_of

FINDING = re.compile(r"/neutrality/findings/([0-9a-f-]{36})")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def wang(env) -> str:
    items = env.client("broker").get("/api/v1/adjusters?limit=200").json()["items"]
    return next(a["id"] for a in items if a["name"] == "王建国")


def test_the_adjuster_declares_an_interest_on_its_record_page(env):
    adj = wang(env)
    firm = logged_in(env, "adjuster1")
    page = firm.get(f"/neutrality/adjusters/{adj}")
    assert 'id="declare-interest"' in page.text and XINDA in page.text
    r = post(firm, f"/neutrality/adjusters/{adj}/interests", {"organisation_id": "", "kind": "x", "detail": " "})
    assert r.status_code == 422
    assert 'id="organisation_id-error"' in r.text and 'id="kind-error"' in r.text and 'id="detail-error"' in r.text
    body = {"organisation_id": org(env, XINDA), "kind": "employment", "detail": "2025年前任该公司设备科长"}
    r = post(firm, f"/neutrality/adjusters/{adj}/interests", {**body, "ended_on": "2025-13-01"})
    assert r.status_code == 422 and 'id="ended_on-error"' in r.text
    r = post(firm, f"/neutrality/adjusters/{adj}/interests", {**body, "ended_on": "2025-06-30"})
    assert r.status_code == 303
    page = text_of(firm.get(r.headers["location"]))
    assert "2025年前任该公司设备科长" in page and "利害关系已申报" in page
    # In force (ended within the last 2 years): insured1's next claim is not routed to him.
    cid = notice(env, "insured1", POLICY1)
    claim = _ok(env.client("broker").get(f"/api/v1/claims/{cid}"))
    assert claim["adjuster"] is None
    data = _ok(env.client("broker").get(f"/api/v1/claims/{cid}/adjuster-recommendations"))
    excluded = {e["adjuster"]["name"]: e["reasons"] for e in data["excluded"]}
    assert "conflict_of_interest" in excluded["王建国"]
    # Others see no form: the broker reads, supervision reads, another firm's adjuster gets nothing to post.
    for user in ("broker", "regulator"):
        assert 'id="declare-interest"' not in logged_in(env, user).get(f"/neutrality/adjusters/{adj}").text
    assert post(logged_in(env, "regulator"), f"/neutrality/adjusters/{adj}/interests", body).status_code == 403
    assert post(logged_in(env, "broker"), f"/neutrality/adjusters/{adj}/interests", body).status_code == 403


def test_a_party_asks_for_a_recusal_and_the_broker_decides_on_the_page(env):
    cid = notice(env, "insured1", POLICY1)  # routed to 王建国
    insurer = logged_in(env, "insurer1")
    case = insurer.get(f"/claims/{cid}")
    assert f"/neutrality/cases/{cid}/recusals" in case.text
    page = insurer.get(f"/neutrality/cases/{cid}/recusals")
    assert page.status_code == 200 and "王建国" in page.text and 'id="ask-recusal"' in page.text
    r = post(insurer, f"/neutrality/cases/{cid}/recusals", {"adjuster_id": "", "reason": ""})
    assert r.status_code == 422 and 'id="adjuster_id-error"' in r.text and 'id="reason-error"' in r.text
    r = post(insurer, f"/neutrality/cases/{cid}/recusals", {"adjuster_id": wang(env), "reason": "曾任被保险人顾问"})
    assert r.status_code == 303
    assert "待经纪人决定" in text_of(insurer.get(r.headers["location"]))
    (req,) = _ok(env.client("broker").get(f"/api/v1/neutrality/recusals?case_id={cid}"))
    # The insurer gets no decision form; the broker's account manager does, and must give reasons.
    assert f"/neutrality/recusals/{req['id']}/grant" not in insurer.get(f"/neutrality/cases/{cid}/recusals").text
    broker = logged_in(env, "broker")
    assert f"/neutrality/recusals/{req['id']}/grant" in broker.get(f"/neutrality/cases/{cid}/recusals").text
    # The insured asks too: two waiting requests, two decision forms, every field id once on the page.
    r = post(
        logged_in(env, "insured1"),
        f"/neutrality/cases/{cid}/recusals",
        {"adjuster_id": wang(env), "reason": "另有利害关系"},
    )
    assert r.status_code == 303
    waiting = broker.get(f"/neutrality/cases/{cid}/recusals").text
    ids = re.findall(r' id="([^"]+)"', waiting)
    assert len(ids) == len(set(ids)) and waiting.count('name="text"') == 4
    r = post(broker, f"/neutrality/recusals/{req['id']}/grant", {"text": ""})
    assert r.status_code == 422 and r.text.count('class="error"') == 1
    assert f'id="grant-{req["id"]}-error"' in r.text
    r = post(broker, f"/neutrality/recusals/{req['id']}/grant", {"text": "顾问关系属实，予以回避"})
    assert r.status_code == 303
    page = text_of(broker.get(r.headers["location"]))
    assert "已同意" in page and "顾问关系属实，予以回避" in page
    states = {
        x["id"]: x["state"] for x in _ok(env.client("insurer1").get(f"/api/v1/neutrality/recusals?case_id={cid}"))
    }
    assert states[req["id"]] == "granted"
    # A placement links its recusal page too.
    pid = open_placement(env)["id"]
    assert f"/neutrality/cases/{pid}/recusals" in logged_in(env, "broker").get(f"/placements/{pid}").text
    assert logged_in(env, "broker").get(f"/neutrality/cases/{pid}/recusals").status_code == 200
    # Not a party to the case: the same 404 as for no case.
    assert logged_in(env, "insured2").get(f"/neutrality/cases/{cid}/recusals").status_code == 404


def test_a_finding_carries_an_uploaded_document_as_evidence(env):
    cid = notice(env, "insured1", POLICY1)
    number = _ok(env.client("broker").get(f"/api/v1/claims/{cid}"))["number"]
    risk = logged_in(env, "risk")
    form = {"adjuster_id": wang(env), "case_number": number, "kind": "leans_to_appointer", "severity": "minor"}
    form["text"] = "报告单价与询价单不符"
    r = post(risk, "/neutrality/findings", form, files={"file": ("询价单.txt", b"not evidence", "text/plain")})
    assert r.status_code == 422 and 'id="file-error"' in r.text
    r = post(risk, "/neutrality/findings", form, files={"file": ("询价单.png", PNG, "image/png")})
    assert r.status_code == 303
    fid = FINDING.search(r.headers["location"])
    assert fid
    f = _ok(env.client("risk").get(f"/api/v1/neutrality/findings/{fid.group(1)}"))
    (item,) = f["evidence"]
    assert item["kind"] == "document" and item["sha256"] == hashlib.sha256(PNG).hexdigest()
    assert item["name"] == "询价单.png"
    assert "询价单.png" in text_of(risk.get(f"/neutrality/findings/{fid.group(1)}"))
