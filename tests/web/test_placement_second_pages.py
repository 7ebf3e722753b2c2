"""The second pre-assessment and the MoU on the placement's case file (R-U7, R-U8), in zh-CN and en: each
party sees its part (the insurer its adjuster and the premium on the MoU, the broker the blacklist flag and
its answers, the risk evaluator the merge, both firms and the insured the consultation and the MoU), the
forms show their errors beside the field, and a competing insurer sees none of it."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from tandem import demo_mou, demo_placements
from tandem.demo_placements import PHOTO
from tandem.kit.clock import SHANGHAI
from tests.helpers import (
    INSURER1_ORG,
    SECOND_TERMS,
    _ok,
    logged_in,
    org,
    placement_at_market,
    post,
    second_report_in,
    text_of,
)

API = "/api/v1/placements"


def _demo(env) -> str:
    with env.factory.begin() as s:
        demo_placements.load(s, env.settings, env.clock.now())
        demo_mou.load(s, env.settings, env.clock.now())
    items = _ok(env.client("broker").get(API))["items"]
    return next(p["id"] for p in items if p["status"] == "to_market")


def test_each_party_sees_the_second_pre_assessment_and_the_mou_in_both_languages(env):
    pid = _demo(env)
    zh = {"Accept-Language": "zh-CN"}
    en = {"Accept-Language": "en"}
    for user in ("broker", "risk", "insured1", "adjuster3", "adjuster5", "underwriter1"):
        page = logged_in(env, user, **zh).get(f"/placements/{pid}")
        assert page.status_code == 200, user
        text = text_of(page)
        assert "风险点竞争性磋商" in text and "各方均已确认" in text, user
        assert 'id="placement-consultation"' in page.text and "谅解备忘录 MOU-" in text, user
    uw = text_of(logged_in(env, "underwriter1", **zh).get(f"/placements/{pid}"))
    assert "保险人委托的公估人（第二次预评估）" in uw and "周敏" in uw and "按谅解备忘录厘定的保费" in uw
    uw_en = text_of(logged_in(env, "underwriter1", **en).get(f"/placements/{pid}"))
    assert "The insurer's own adjuster (second pre-assessment)" in uw_en and "Premium rated on the memorandum:" in uw_en
    assert "Competitive consultation on the risk points" in uw_en and "Acknowledged by every party" in uw_en
    risk_page = logged_in(env, "risk", **en).get(f"/placements/{pid}")
    assert "Take the memorandum into the risk register" in text_of(risk_page)
    # Merged from the page: back to the card with the notice.
    risk = logged_in(env, "risk", **zh)
    r = post(risk, f"/placements/{pid}/consultation", {"step": "merge"})
    assert r.status_code == 303 and r.headers["location"].endswith("#placement-consultation")
    assert "谅解备忘录的风险点已并入风险登记册。" in text_of(risk.get(r.headers["location"]))
    # The other insurer approached with this placement sees neither the appointment nor the consultation.
    other = logged_in(env, "underwriter2").get(f"/placements/{pid}")
    assert other.status_code in (200, 404)
    assert 'id="second-rows"' not in other.text and 'id="placement-consultation"' not in other.text


def test_the_underwriter_quotes_beside_the_premium_rated_on_the_mou(env):
    """R-U8: the insurer rates on the MoU: its underwriter's submission page shows the premium the engine
    gives on the acknowledged MoU beside the quote form; a competing insurer's page does not."""
    pid = _demo(env)
    assert _ok(env.client("underwriter1").get(f"{API}/{pid}/consultation"))["memorandum"]["final"] is True
    subs = {x["insurer"]["id"]: x["id"] for x in _ok(env.client("broker").get(f"{API}/{pid}/submissions"))}
    uw1 = logged_in(env, "underwriter1", **{"Accept-Language": "zh-CN"})
    page = uw1.get(f"/submissions/{subs[org(env, INSURER1_ORG)]}")
    assert 'id="mou-basis"' in page.text and "按谅解备忘录 MOU-" in text_of(page)
    premium = _ok(env.client("underwriter1").get(f"{API}/{pid}/consultation/premium"))["totals"]["now"]
    assert f"{Decimal(premium):,.2f}" in text_of(page)
    for sid in (v for k, v in subs.items() if k != org(env, INSURER1_ORG)):
        assert 'id="mou-basis"' not in logged_in(env, "underwriter2").get(f"/submissions/{sid}").text


def test_the_insurer_appoints_and_the_broker_answers_a_blacklisted_adjuster_on_the_page(env):
    pid = placement_at_market(env)
    adjusters = {a["name"]: a["id"] for a in _ok(env.client("broker").get("/api/v1/adjusters?limit=100"))["items"]}
    uw = logged_in(env, "underwriter1", **{"Accept-Language": "zh-CN"})
    page = uw.get(f"/placements/{pid}")
    assert 'id="second-appoint"' in page.text and "保险人委托的公估人（第二次预评估）" in text_of(page)
    # No adjuster chosen: the error beside the field; the broker's adjuster's firm: refused beside it too.
    r = post(uw, f"/placements/{pid}/insurer-adjuster", {"adjuster_id": ""})
    assert r.status_code == 422 and 'id="appoint-adjuster_id-error"' in r.text, r.text[:500]
    r = post(uw, f"/placements/{pid}/insurer-adjuster", {"adjuster_id": adjusters["李娜"]})
    assert r.status_code == 422 and "broker_adjuster_firm" in r.text
    r = post(uw, f"/placements/{pid}/insurer-adjuster", {"adjuster_id": adjusters["何雪梅"]})
    assert r.status_code == 303, r.text[:500]
    assert "确认函已发送至贵司委托的公估公司。" in text_of(uw.get(r.headers["location"]))

    broker = logged_in(env, "broker", **{"Accept-Language": "en"})
    text = text_of(broker.get(f"/placements/{pid}"))
    assert "On your blacklist" in text and "Withdraw the submission and go to another insurer" in text
    row = _ok(env.client("broker").get(f"{API}/{pid}/insurer-adjusters"))[0]
    url = f"/placements/{pid}/insurer-adjuster/{row['id']}/broker-answer"
    r = post(broker, url, {"action": "require_another", "reason": ""})
    assert r.status_code == 422 and 'id="broker-answer-reason-error"' in r.text
    r = post(broker, url, {"action": "require_another", "reason": "黑名单公估人，请另行委托"})
    assert r.status_code == 303
    assert "Another required by the broker" in text_of(broker.get(f"/placements/{pid}"))
    assert _ok(env.client("underwriter1").get(f"{API}/{pid}/insurer-adjusters/{row['id']}"))["state"] == "replaced"
    # The other insurer on the same placement sees no row of it.
    other = logged_in(env, "underwriter2").get(f"/placements/{pid}").text
    assert 'id="second-appoint"' in other and 'id="second-rows"' not in other and row["id"] not in other


def test_the_umpire_is_proposed_accepted_and_decides_on_the_page(env):
    pid = placement_at_market(env)
    second_report_in(env, pid)
    url = f"{API}/{pid}/consultation"
    _ok(env.client("underwriter1").post(url), 201)
    _ok(env.client("adjuster1").post(f"{url}/start"))
    for _ in range(3):
        _ok(env.client("broker").post(f"{url}/end-round", json={"confirm": True}))
    firm_a = logged_in(env, "adjuster1", **{"Accept-Language": "zh-CN"})
    page = firm_a.get(f"/placements/{pid}")
    assert 'id="placement-umpire"' in page.text and "林志伟" in page.text
    # Nothing chosen: the error beside the field; then 林志伟 (粤安, outside both sides).
    r = post(firm_a, f"/placements/{pid}/consultation/umpire", {"umpire": ""})
    assert r.status_code == 422 and 'id="placement-umpire-choice-error"' in r.text
    lin = next(
        a["id"] for a in _ok(env.client("broker").get("/api/v1/adjusters?limit=100"))["items"] if a["name"] == "林志伟"
    )
    r = post(firm_a, f"/placements/{pid}/consultation/umpire", {"umpire": f"judge:{lin}"})
    assert r.status_code == 422 and 'id="placement-umpire-choice-error"' in r.text
    assert post(firm_a, f"/placements/{pid}/consultation/umpire", {"umpire": f"adjuster:{lin}"}).status_code == 303
    firm_b = logged_in(env, "adjuster3", **{"Accept-Language": "en"})
    assert "Accept the umpire" in text_of(firm_b.get(f"/placements/{pid}"))
    assert post(firm_b, f"/placements/{pid}/consultation", {"step": "umpire_accept"}).status_code == 303
    risk = logged_in(env, "risk", **{"Accept-Language": "zh-CN"})
    item = next(i for i in _ok(env.client("risk").get(url))["items"] if i["state"] == "open")
    decide = f"/placements/{pid}/consultation/items/{item['id']}/decision"
    r = post(risk, decide, {"level": "中", "coefficient": "1.1200", "reason": ""})
    assert r.status_code == 422 and f'id="decide-reason-{item["id"]}-error"' in r.text
    for typed in ("NaN", "1e3", "abc"):  # typed as people type decimals, or refused beside the field
        r = post(risk, decide, {"level": "中", "coefficient": typed, "reason": "按中等风险加费"})
        assert r.status_code == 422 and f'id="decide-coefficient-{item["id"]}-error"' in r.text, typed
    assert post(risk, decide, {"level": "中", "coefficient": "1.1200", "reason": "按中等风险加费"}).status_code == 303
    view = _ok(env.client("risk").get(url))
    assert view["state"] == "agreed" and view["memorandum"] is not None
    assert "谅解备忘录 MOU-" in text_of(risk.get(f"/placements/{pid}"))


def test_the_insurers_adjuster_writes_and_signs_its_report_on_the_pages(env):
    """R-U7 on the pages: once its letter is accepted the insurer's adjuster's firm has the team, visit,
    draft and signing forms of the broker's adjuster (before that the draft editor is refused)."""
    pid = placement_at_market(env)
    base = f"/placements/{pid}"
    ids = {a["name"]: a["id"] for a in _ok(env.client("broker").get("/api/v1/adjusters?limit=100"))["items"]}
    row = _ok(env.client("underwriter1").post(f"{API}/{pid}/insurer-adjusters", json={"adjuster_id": ids["张伟"]}), 201)
    lead = logged_in(env, "adjuster3", **{"Accept-Language": "zh-CN"})
    assert lead.get(f"{base}/report-draft").status_code == 403
    assert 'id="team-adjuster"' not in lead.get(base).text
    due = (env.clock.now().date() + dt.timedelta(days=20)).isoformat()
    _ok(
        env.client("adjuster3").post(
            f"{API}/{pid}/insurer-adjusters/{row['id']}/accept", json={"terms": SECOND_TERMS, "report_due": due}
        )
    )

    page = lead.get(base)
    assert 'id="team-adjuster"' in page.text and f'action="{base}/pre-assessment/visits"' in page.text
    assert post(lead, f"{base}/pre-assessment/team", {"adjuster_id": ids["陈亮"]}).status_code == 303
    env.clock.advance(hours=2)
    visited = (env.clock.now() - dt.timedelta(hours=1)).astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M")
    visit = {"visited_at": visited, "participants": "张伟，陈亮", "notes": "复核配电房"}
    r = post(lead, f"{base}/pre-assessment/visits", visit, files={"photos": ("cable-b.png", PHOTO, "image/png")})
    assert r.status_code == 303, text_of(r)[:800]
    # Its own photo opens for the firm (its readers are the insurer's side's), not for the other insurer.
    link = re.search(rf'href="({base}/survey-photos/[0-9a-f-]+)">cable-b.png', lead.get(base).text)
    assert link and lead.get(link.group(1)).content == PHOTO
    assert logged_in(env, "underwriter2").get(link.group(1)).status_code == 404
    editor = lead.get(f"{base}/report-draft")
    assert editor.status_code == 200
    form = {
        n: "9000000" for n in re.findall(r'name="(values\.[^"]+\.replacement_value)"', editor.text)
    } | {
        "subject": "保险人委托第二次预评估", "risk.rows": "1", "risk.0.ref": "F1", "risk.0.title": "配电房电缆老化",
        "risk.0.location": "1号厂房配电房", "risk.0.site_ref": "", "risk.0.level": "中", "risk.0.coefficient": "1.1",
        "risk.0.description": "部分更换。", "risk.0.advice": "复查。", "environmental": "齐全。", "safety": "老化。",
        "advice": "巡查。", "op": "save",
    }  # fmt: skip
    r = post(lead, f"{base}/report-draft", form)
    assert r.status_code == 303 and r.headers["location"].endswith("done=draft#pre-assessment"), text_of(r)[:800]
    page = lead.get(base)
    signers = dict(
        (n.strip(), i) for i, n in re.findall(r'name="signers" value="([0-9a-f-]{36})"[^>]*>([^<]+)</label>', page.text)
    )
    assert set(signers) == {"张伟", "陈亮"}
    assert "王建国 华信保险公估有限公司" in text_of(page)  # the two firms' teams told apart
    assert post(lead, f"{base}/pre-assessment/submit", {"signers": list(signers.values())}).status_code == 303
    second = logged_in(env, "adjuster11")
    content_hash = re.search(r'name="content_hash" value="([0-9a-f]{64})"', second.get(base).text)
    assert content_hash
    r = post(second, f"{base}/pre-assessment/sign", {"content_hash": content_hash.group(1)})
    assert r.status_code == 303 and r.headers["location"].endswith("done=report#pre-assessment")
    assert _ok(env.client("underwriter1").get(f"{API}/{pid}/insurer-adjusters/{row['id']}"))["state"] == "reported"
    # The other insurer sees neither its draft nor its report.
    other = logged_in(env, "underwriter2").get(base).text
    assert "保险人委托第二次预评估" not in other


def test_either_adjuster_corrects_the_pairs_of_risk_points_on_the_page(env):
    """R-U8: before the rounds start an adjuster re-pairs the two reports' risk points on the page (the API's
    PUT …/consultation/alignment); a point paired twice is refused beside the form; nobody else has the form."""
    pid = placement_at_market(env)
    second_report_in(env, pid)
    url = f"{API}/{pid}/consultation"
    _ok(env.client("underwriter1").post(url), 201)
    firm_a = logged_in(env, "adjuster1", **{"Accept-Language": "zh-CN"})
    page = firm_a.get(f"/placements/{pid}")
    assert 'id="placement-alignment"' in page.text and "更正风险点配对" in text_of(page)
    assert re.search(r'<option value="F1" selected>', page.text)
    for user in ("insured1", "broker", "underwriter1"):
        assert 'id="placement-alignment"' not in logged_in(env, user).get(f"/placements/{pid}").text, user
    form = {"a-0": "1", "b-0": "F1", "a-1": "2", "b-1": "F1", "a-2": "3", "b-2": "F3"}
    r = post(firm_a, f"/placements/{pid}/consultation/alignment", form)
    assert r.status_code == 422 and 'id="alignment-pairs-error"' in r.text, text_of(r)[:800]
    assert {(i["a_ref"], i["b_ref"]) for i in _ok(env.client("adjuster1").get(url))["items"]} == {
        ("1", "F1"), ("2", "F2"), ("3", "F3"),
    }  # fmt: skip
    r = post(firm_a, f"/placements/{pid}/consultation/alignment", form | {"b-1": ""})
    assert r.status_code == 303 and r.headers["location"].endswith("#placement-consultation")
    pairs = {(i["a_ref"], i["b_ref"]) for i in _ok(env.client("adjuster1").get(url))["items"]}
    assert pairs == {("1", "F1"), ("3", "F3"), ("2", None), (None, "F2")}
    # Once the rounds start the pairs are frozen: no form.
    _ok(env.client("adjuster1").post(f"{url}/start"))
    assert 'id="placement-alignment"' not in firm_a.get(f"/placements/{pid}").text
