"""Neutrality pages: the risk evaluators' queue and its forms (errors next to the fields), a notice from
finding to upheld by three people, the adjuster's record, and who sees what (404 for insurers and
insureds, read-only for supervision), in zh-CN and en."""

from __future__ import annotations

import re

from tests.helpers import POLICY1, logged_in, notice, post, text_of

FINDING = re.compile(r"/neutrality/findings/([0-9a-f-]{36})")


def claim_number(env) -> str:
    cid = notice(env, "insured1", POLICY1)
    return env.client("broker").get(f"/api/v1/claims/{cid}").json()["number"]


def wang(env) -> str:
    items = env.client("broker").get("/api/v1/adjusters?limit=200").json()["items"]
    return next(a["id"] for a in items if a["name"] == "王建国")


def record(env, risk, number: str) -> str:
    form = {
        "adjuster_id": wang(env),
        "case_number": number,
        "kind": "leans_to_appointer",
        "severity": "minor",
        "text": "报告定损金额明显偏高",
    }
    r = post(risk, "/neutrality/findings", form)
    assert r.status_code == 303, r.text
    found = FINDING.search(r.headers["location"])
    assert found
    return found.group(1)


def test_finding_form_errors_are_shown_next_to_the_fields(env):
    risk = logged_in(env, "risk", **{"Accept-Language": "en"})
    r = post(risk, "/neutrality/findings", {"adjuster_id": "", "case_number": "LP-2099-999999", "text": " "})
    assert r.status_code == 422
    page = text_of(r)
    assert "Choose an adjuster from the list." in page
    assert "No case with this number among your cases." in page
    assert 'id="text-error"' in r.text and 'aria-invalid="true"' in r.text


def test_notice_from_finding_to_upheld_through_the_pages(env):
    number = claim_number(env)
    risk = logged_in(env, "risk")
    fid = record(env, risk, number)
    page = text_of(risk.get(f"/neutrality/findings/{fid}"))
    assert "待第二名风险评估人员复核" in page or "Awaiting second reviewer" in page
    # The finder sees no review form; the second reviewer does.
    assert f"/neutrality/findings/{fid}/confirm" not in risk.get(f"/neutrality/findings/{fid}").text
    risk2 = logged_in(env, "risk2")
    queue = risk2.get("/neutrality")
    assert queue.status_code == 200 and f"/neutrality/findings/{fid}" in queue.text
    r = post(risk2, f"/neutrality/findings/{fid}/confirm", {"text": ""})
    assert r.status_code == 422 and 'id="confirm-error"' in r.text
    assert post(risk2, f"/neutrality/findings/{fid}/confirm", {"text": "核实无误"}).status_code == 303

    adjuster = logged_in(env, "adjuster1")
    page = adjuster.get(f"/neutrality/findings/{fid}")
    assert page.status_code == 200 and f"/neutrality/findings/{fid}/answer" in page.text
    assert post(adjuster, f"/neutrality/findings/{fid}/answer", {"text": "定损依据见附件"}).status_code == 303
    assert post(risk2, f"/neutrality/findings/{fid}/uphold", {"text": "答复不成立"}).status_code == 303
    page = text_of(adjuster.get(f"/neutrality/findings/{fid}"))
    assert "已维持" in page and "定损依据见附件" in page and "答复不成立" in page

    # The adjuster's whole record, in zh-CN and in en.
    rec = adjuster.get(f"/neutrality/adjusters/{wang(env)}")
    assert rec.status_code == 200 and "定损依据见附件" not in rec.text and "王建国" in rec.text
    assert f"/neutrality/findings/{fid}" in rec.text
    en = logged_in(env, "adjuster1", **{"Accept-Language": "en"})
    assert "Upheld" in text_of(en.get(f"/neutrality/adjusters/{wang(env)}"))

    # Supervision reads the notice without a form; insurers and insureds get the 404 page.
    regulator = logged_in(env, "regulator")
    page = regulator.get(f"/neutrality/findings/{fid}")
    assert page.status_code == 200 and 'method="post" action="/neutrality' not in page.text
    for user in ("insurer1", "insured1"):
        browser = logged_in(env, user)
        assert browser.get(f"/neutrality/findings/{fid}").status_code == 404
        assert browser.get("/neutrality").status_code == 404
        assert browser.get(f"/neutrality/adjusters/{wang(env)}").status_code == 404


def test_tolerance_form(env):
    broker = logged_in(env, "broker", **{"Accept-Language": "en"})
    r = post(broker, "/neutrality/tolerance", {"tolerance": "two", "window_months": "6"})
    assert r.status_code == 422 and "Enter a whole number." in text_of(r)
    assert post(broker, "/neutrality/tolerance", {"tolerance": "3", "window_months": "6"}).status_code == 303
    assert env.client("broker").get("/api/v1/neutrality/tolerance").json() == {"tolerance": 3, "window_months": 6}
    risk = logged_in(env, "risk")
    assert post(risk, "/neutrality/tolerance", {"tolerance": "1", "window_months": "6"}).status_code == 403


def test_the_register_links_each_adjusters_record_for_those_who_may_read_it(env):
    link = f"/neutrality/adjusters/{wang(env)}"
    assert link in logged_in(env, "broker").get("/adjusters").text
    assert link in logged_in(env, "regulator").get("/adjusters").text
    assert link not in logged_in(env, "insurer1").get("/adjusters").text


def test_the_record_page_lists_declared_interests(env):
    from sqlalchemy import select

    from tandem.access.models import Organisation

    with env.session() as s:
        insurer = str(
            s.execute(select(Organisation.id).where(Organisation.name == "中安财产保险股份有限公司")).scalar_one()
        )
    body = {"organisation_id": insurer, "kind": "shareholding", "detail": "持有该公司股票"}
    r = env.client("adjuster1").post(f"/api/v1/neutrality/adjusters/{wang(env)}/interests", json=body)
    assert r.status_code == 201, r.text
    r = logged_in(env, "broker").get(f"/neutrality/adjusters/{wang(env)}")
    html, page = r.text, text_of(r)
    assert "持有该公司股票" in page and "持股" in page
    # Listed once, in the page; the window's title is the record's name only.
    assert html.count('id="interests"') == 1
    title = html.split("<title>", 1)[1].split("</title>", 1)[0]
    assert "<" not in title and "王建国" in title, title


def test_a_recusal_request_is_on_the_case_timeline(env):
    cid = notice(env, "insured1", POLICY1)
    claim = env.client("broker").get(f"/api/v1/claims/{cid}").json()
    body = {"case_id": cid, "adjuster_id": claim["adjuster"]["id"], "reason": "曾任被保险人顾问"}
    assert env.client("insurer1").post("/api/v1/neutrality/recusals", json=body).status_code == 201
    assert "当事方申请公估师回避" in text_of(logged_in(env, "broker").get(f"/claims/{cid}"))
