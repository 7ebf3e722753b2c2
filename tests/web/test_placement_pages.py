"""Placement pages (issue 14): the account manager's opening form with repeatable rows and errors beside
the fields, the list per role with status tabs, and the case file where the insured adds site contacts,
documents (with their hashes) and messages; an outsider gets the same 404 page as for no placement."""

from __future__ import annotations

import hashlib
import re
import uuid

from sqlalchemy import select

from tandem.access.actor import Actor
from tandem.access.models import User
from tandem.notification.models import Notification
from tandem.placement import service
from tests.helpers import _ok, insured_org_id, logged_in, open_placement, placement_reported, post, text_of

FORM = {
    "title": "嘉兴鑫达电子 2027 财产险项目",
    "lines": ["企业财产保险", "营业中断保险"],
    "period_start": "2027-01-01",
    "period_end": "2027-12-31",
    "sites[0].name": "南湖厂区",
    "sites[0].province": "浙江",
    "sites[0].address": "浙江省嘉兴市南湖区亚中路88号",
    "sites[0].occupancy": "电子元器件制造",
    "sites[0].sections[0].type": "building",
    "sites[0].sections[0].description": "1-3号厂房",
    "sites[0].sections[0].sum_insured": "36,000,000.00",
}


def test_the_account_manager_opens_a_placement_through_the_form(env):
    broker = logged_in(env, "broker")
    form = broker.get("/placements/new")
    assert form.status_code == 200 and 'name="sites[0].sections[0].sum_insured"' in form.text
    body = {**FORM, "insured_id": insured_org_id(env)}

    # The row buttons redraw the form with one more section, keeping what was typed; nothing is stored.
    more = post(broker, "/placements/new", {**body, "rows": "add-section:0"})
    assert more.status_code == 200 and 'name="sites[0].sections[1].type"' in more.text and "36,000,000.00" in more.text
    # Errors come back beside the fields, in Chinese.
    bad = post(broker, "/placements/new", {**body, "sites[0].sections[0].sum_insured": "0", "period_end": "2026-06-30"})
    assert bad.status_code == 422
    assert re.search(r'id="s0-c0-sum-error">[^<]*金额必须大于零', bad.text), text_of(bad)
    assert 'id="period_end-error"' in bad.text and 'aria-invalid="true"' in bad.text
    assert 'value="0"' in bad.text and "营业中断保险" in bad.text  # what was typed stays

    done = post(broker, "/placements/new", body)
    assert done.status_code == 303, done.text
    page = broker.get(done.headers["location"])
    assert page.status_code == 200
    text = text_of(page)
    assert "TB-2026-000001" in text and "南湖厂区" in text and "¥36,000,000.00" in text
    assert "投保项目已开立" in text

    listing = text_of(logged_in(env, "insured1").get("/placements"))
    assert "TB-2026-000001" in listing and "嘉兴鑫达电子 2027 财产险项目" in listing


def test_the_insured_adds_contacts_documents_and_messages_and_outsiders_get_404(env):
    p = open_placement(env)
    insured = logged_in(env, "insured1")
    base = f"/placements/{p['id']}"
    page = insured.get(base)
    assert page.status_code == 200 and "南湖厂区" in page.text

    bad = post(insured, f"{base}/contacts", {"site_ref": "S1", "name": "王强", "phone": "call me"})
    assert bad.status_code == 422 and 'id="contact-phone-error"' in bad.text
    assert (
        post(
            insured, f"{base}/contacts", {"site_ref": "S2", "name": "王强", "phone": "13800001111", "role": "仓库主管"}
        ).status_code
        == 303
    )
    data = b"%PDF-1.4\n% site plan\n"
    up = post(
        insured, f"{base}/documents", {"audience": "all"}, files={"file": ("厂区平面图.pdf", data, "application/pdf")}
    )
    assert up.status_code == 303, up.text
    assert post(insured, f"{base}/messages", {"audience": "all", "body": "仓库周一可以查勘。"}).status_code == 303

    broker_view = text_of(logged_in(env, "broker").get(base))
    assert "王强" in broker_view and "厂区平面图.pdf" in broker_view and "仓库周一可以查勘。" in broker_view
    sha = hashlib.sha256(data).hexdigest()
    assert sha[:12] in logged_in(env, "broker").get(base).text
    timeline = text_of(insured.get(base))
    for event in ("已开立", "现场联系人"):
        assert event in timeline

    for outsider in ("insured2", "insurer1", "adjuster1"):
        client = logged_in(env, outsider)
        mine, missing = client.get(base), client.get(f"/placements/{uuid.uuid4()}")
        assert mine.status_code == missing.status_code == 404
        assert "TB-2026-000001" not in client.get("/placements").text


def test_the_list_filters_by_status_and_only_the_account_manager_opens(env):
    open_placement(env)
    broker = logged_in(env, "broker")
    assert "TB-2026-000001" in broker.get("/placements?status=opened").text
    assert "TB-2026-000001" not in broker.get("/placements?status=deciding").text
    assert logged_in(env, "risk").get("/placements/new").status_code == 403
    assert logged_in(env, "insured1").get("/placements/new").status_code == 403


def test_the_ball_moving_notifies_its_holder_and_fills_their_home_queue(env):
    """Opening tells the insured; explaining puts the placement in the insured's queue and tells them."""
    p = open_placement(env)
    link = f"/placements/{p['id']}"
    with env.session() as s:
        users = {u.username: u for u in s.execute(select(User)).unique().scalars()}
        told = {n.user_id for n in s.execute(select(Notification).where(Notification.link == link)).scalars()}
        assert told == {users["insured1"].id}
        placement = service.get_placement(s, Actor.from_user(users["broker"]), p["id"])
        service.transition(s, Actor.from_user(users["broker"]), placement, "explain", env.clock.now())
        s.commit()
        subjects = [
            n.subject
            for n in s.execute(
                select(Notification).where(Notification.link == link, Notification.user_id == users["insured1"].id)
            ).scalars()
        ]
        assert len(subjects) == 2 and any("经纪人已说明预评估" in x for x in subjects), subjects

    home = text_of(logged_in(env, "insured1").get("/"))
    assert "等待您处理的投保项目" in home and "TB-2026-000001" in home
    broker_home = text_of(logged_in(env, "broker").get("/"))
    assert "没有等待您处理的投保项目" in broker_home and "另有 1 个投保项目正由其他参与方处理" in broker_home


def test_a_reported_placement_waits_in_the_risk_evaluators_queue_before_the_register_exists(env):
    pid = placement_reported(env)
    number = _ok(env.client("broker").get(f"/api/v1/placements/{pid}"))["number"]
    assert number in text_of(logged_in(env, "risk").get("/")).split("等待您处理的投保项目")[1]
    assert number not in text_of(logged_in(env, "insured1").get("/")).split("等待您处理的投保项目")[1]
