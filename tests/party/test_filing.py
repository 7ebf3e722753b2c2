"""Adjuster firms under the current rules (issue 19 item 3): the filing (备案) is checked field by field (the
name, the capital against the national or regional floor, the share of 公估师 among shareholders or
partners); it is submitted by the firm, returned with reasons, resubmitted and published by supervision, each
move audited; a firm whose filing is not yet published is never routed work; a change report is due 5
working days after the change, reminded the working day before and flagged late after, on a moved clock;
supervision lists the firms with warnings (staffing below the minimum, late reports); not-yours is 404."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import select, update

from tandem import demo_filing
from tandem.audit.models import AuditEvent
from tandem.demo import DEMO_PASSWORD
from tandem.kit.clock import SHANGHAI, today_local
from tandem.kit.workdays import nth_working_day_after
from tandem.party import service as party_service
from tandem.party.filing_models import FirmFiling
from tandem.party.models import AdjusterFirm, FilingStatus
from tandem.sla import calendar
from tandem.supervision import feed
from tests.helpers import inbox, logged_in, notice, org, post, run_jobs, text_of

HUAXIN = "华信保险公估有限公司"  # adjuster1 administers it: a company, 8 valid 公估师
ZHENGHENG = "正衡保险公估合伙企业（普通合伙）"  # adjuster3: a partnership
YUEAN = "粤安保险公估有限公司"  # two practitioners, one of them sanctioned


def _holders(*flags: bool, kind: str = "person") -> list[dict[str, Any]]:
    share = f"{100 / len(flags):.2f}"
    rows = [{"name": f"股东{i}", "kind": kind, "share": share, "adjuster": f} for i, f in enumerate(flags)]
    rows[-1]["share"] = f"{100 - float(share) * (len(flags) - 1):.2f}"
    return rows


def filing_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": HUAXIN,
        "capital": "5000000.00",
        "business_area": ["全国"],
        "shareholders": _holders(True, True, False),
        "liability": {
            "insurer": "中国人民财产保险股份有限公司",
            "policy_no": "PZC2026000123",
            "limit": "5000000.00",
            "starts_on": "2026-01-01",
            "ends_on": "2026-12-31",
        },
    }
    return {**body, **changes}


def _put(env, user: str, firm: str, body: dict[str, Any]):
    return env.client(user).put(f"/api/v1/adjuster-firms/{firm}/filing", json=body)


def _act(env, user: str, firm: str, action: str, **body: Any):
    return env.client(user).post(f"/api/v1/adjuster-firms/{firm}/filing/actions", json={"action": action, **body})


def _fields(r) -> set[str]:
    assert r.status_code == 422, r.text
    return set(r.json()["error"]["fields"])


def test_filing_data_is_checked_field_by_field_and_nothing_is_written(env) -> None:
    firm, partnership = org(env, HUAXIN), org(env, ZHENGHENG)
    bad = filing_body(name="华信评估有限公司", capital="1500000.00", shareholders=_holders(True, False, False))
    assert _fields(_put(env, "adjuster1", firm, bad)) == {"name", "capital", "shareholders"}
    # The regional floor is ¥1m, the national ¥2m (Arts. 52 and 57): ¥1.5m passes for one province only.
    assert _put(env, "adjuster1", firm, filing_body(capital="1500000.00", business_area=["上海"])).status_code == 200
    assert _fields(_put(env, "adjuster1", firm, filing_body(capital="999999.99", business_area=["上海"]))) == {
        "capital"
    }
    assert _fields(_put(env, "adjuster1", firm, filing_body(business_area=["全国", "上海"]))) == {"business_area"}
    # A company needs two shareholders; of two partners both must be 公估师; no cover at all is refused.
    assert _fields(_put(env, "adjuster1", firm, filing_body(shareholders=_holders(True)))) == {"shareholders"}
    two = filing_body(name=ZHENGHENG, capital="1000000.00", business_area=["浙江"], shareholders=_holders(True, False))
    assert _fields(_put(env, "adjuster3", partnership, two)) == {"shareholders"}
    assert _fields(_put(env, "adjuster3", partnership, {**two, "liability": None})) == {"shareholders", "liability"}
    companies = filing_body(shareholders=_holders(True, True, True, kind="company"))
    assert _fields(_put(env, "adjuster1", firm, companies)) == {"shareholders"}  # a company is no 公估师
    assert env.client("adjuster3").get(f"/api/v1/adjuster-firms/{partnership}/filing").status_code == 404
    # Not yours: another firm, a broker, an insured get 404 as for no firm; an adjuster who is not the
    # administrator is refused.
    for user in ("adjuster3", "broker", "insured1"):
        assert env.client(user).get(f"/api/v1/adjuster-firms/{firm}/filing").status_code == 404, user
        assert _put(env, user, firm, filing_body()).status_code == 404, user
    assert _put(env, "adjuster2", firm, filing_body()).status_code == 403


def _events(env, entity_type: str) -> list[tuple[str, str]]:
    with env.session() as s:
        rows = s.execute(
            select(AuditEvent.action, AuditEvent.chain_key)
            .where(AuditEvent.entity_type == entity_type)
            .order_by(AuditEvent.occurred_at, AuditEvent.id)
        ).all()
    return [(a, c) for a, c in rows]


def _routed(env, cid: str):
    broker = env.client("broker")
    ids = {a["name"]: a["id"] for a in broker.get("/api/v1/adjusters").json()["items"]}
    return broker.post(f"/api/v1/claims/{cid}/adjuster", json={"adjuster_id": ids["王建国"]})


def test_filing_submitted_returned_resubmitted_published_and_routed_only_then(env) -> None:
    firm = org(env, HUAXIN)
    with env.session() as s:  # a firm newly onboarded: its filing is not yet published
        s.execute(update(AdjusterFirm).where(AdjusterFirm.organisation_id == uuid.UUID(firm)).values(
            filing_status=FilingStatus.PENDING, filing_no=f"未备案-{firm[:8]}"))  # fmt: skip
        s.commit()
    cid = notice(env)
    refused = _routed(env, cid)
    assert refused.status_code in (409, 422) and "firm_not_filed" in refused.text, refused.text

    saved = _put(env, "adjuster1", firm, filing_body())
    assert saved.status_code == 200 and saved.json()["state"] == "draft" and saved.json()["may"] == ["submit"]
    assert (
        _act(env, "regulator", firm, "publish", filing_no="公估备-310001", published_on="2026-11-20").status_code == 409
    )
    sub = _act(env, "adjuster1", firm, "submit")
    assert sub.status_code == 200, sub.text
    assert sub.json()["state"] == "submitted" and len(sub.json()["roster"]) == 8  # the valid 公估师, 钱永刚 lapsed
    assert _put(env, "adjuster1", firm, filing_body()).status_code == 409  # submitted: no longer edited
    assert any("备案" in m or "filing" in m for m in inbox(env, "regulator"))
    assert env.client("regulator").get(f"/api/v1/adjuster-firms/{firm}/filing").json()["may"] == ["publish", "return"]
    assert _act(env, "adjuster1", firm, "publish", filing_no="X", published_on="2026-11-20").status_code == 403
    assert _fields(_act(env, "regulator", firm, "return")) == {"reasons"}
    back = _act(env, "regulator", firm, "return", reasons="职业责任保险保单期间与营业执照不符")
    assert back.status_code == 200 and back.json()["state"] == "returned"
    assert _routed(env, cid).status_code in (409, 422)  # still not routed

    assert _put(env, "adjuster1", firm, filing_body(risk_fund="300000.00")).status_code == 200
    assert _act(env, "adjuster1", firm, "submit").json()["state"] == "submitted"
    today = today_local(env.clock)
    taken = _act(env, "regulator", firm, "publish", filing_no="公估备-330017", published_on=today.isoformat())
    assert _fields(taken) == {"filing_no"}  # 正衡's number
    future = _act(env, "regulator", firm, "publish", filing_no="公估备-310099",
                  published_on=(today + dt.timedelta(days=1)).isoformat())  # fmt: skip
    assert _fields(future) == {"published_on"}
    done = _act(env, "regulator", firm, "publish", filing_no="公估备-310099", published_on=today.isoformat())
    assert done.status_code == 200, done.text
    assert (done.json()["state"], done.json()["filing_no"]) == ("published", "公估备-310099")
    out = env.client("broker").get(f"/api/v1/adjuster-firms/{firm}").json()
    assert (out["filing_status"], out["filing_no"]) == ("filed", "公估备-310099")
    assert any("公估备-310099" in m for m in inbox(env, "adjuster1"))
    assert _routed(env, cid).status_code == 200  # published: now it is routed work

    chain = f"org:{firm}"
    assert _events(env, "firm_filing") == [
        (f"firm_filing.{a}", chain) for a in ("saved", "submitted", "returned", "saved", "submitted", "published")
    ]
    assert _events(env, "adjuster_firm")[-1] == ("adjuster_firm.filed", chain)
    with env.session() as s:  # supervision's daily feed carries the filing's moves
        day = feed.firm_changes(s, *feed.window(today))
    assert [e["action"] for e in day if e["entity_type"] == "firm_filing"][-1] == "firm_filing.published"


def test_change_report_due_in_five_working_days_reminded_then_late(env) -> None:
    firm = org(env, HUAXIN)
    today = today_local(env.clock)
    client = env.client("adjuster1")
    url = f"/api/v1/adjuster-firms/{firm}/change-reports"
    assert _fields(client.post(url, json={"kind": "address", "changed_on": (today + dt.timedelta(days=1)).isoformat()}))
    assert _fields(client.post(url, json={"kind": "address", "changed_on": today.isoformat(), "submit": True})) == {
        "details"
    }
    r = client.post(url, json={"kind": "address", "changed_on": today.isoformat()})
    assert r.status_code == 201, r.text
    row = r.json()
    with env.session() as s:
        due = nth_working_day_after(today, 5, calendar.load(s))
    assert (row["state"], row["due_on"], row["late"], row["may"]) == ("open", due.isoformat(), False, ["submit"])
    assert env.client("adjuster3").get(url).status_code == 404

    run_jobs(env)
    reminders = [m for m in inbox(env, "adjuster1") if due.isoformat() in m]
    assert reminders == []  # not yet
    # The working day before the due date, 09:00 Shanghai: the reminder.
    with env.session() as s:
        cal = calendar.load(s)
        before = due - dt.timedelta(days=1)
        while not cal.is_working_day(before):
            before -= dt.timedelta(days=1)
    at = dt.datetime.combine(before, dt.time(9, 30), tzinfo=SHANGHAI)
    env.clock.advance(seconds=(at - env.clock.now()).total_seconds())
    env._clients.clear()
    run_jobs(env)
    assert [m for m in inbox(env, "adjuster1") if due.isoformat() in m], inbox(env, "adjuster1")
    assert not [m for m in inbox(env, "regulator") if due.isoformat() in m]
    # The morning after the due date: late, told to the firm and to supervision.
    after = dt.datetime.combine(due + dt.timedelta(days=1), dt.time(9, 30), tzinfo=SHANGHAI)
    env.clock.advance(seconds=(after - env.clock.now()).total_seconds())
    env._clients.clear()
    run_jobs(env)
    assert [m for m in inbox(env, "regulator") if due.isoformat() in m]
    listed = env.client("adjuster1").get(url).json()
    assert [c["late"] for c in listed] == [True]
    firms = {f["name"]: f for f in env.client("regulator").get("/api/v1/supervision/firms").json()}
    assert firms[HUAXIN]["late_changes"] == 1 and "change_report_late" in firms[HUAXIN]["warnings"]
    # Reported late: it stays flagged; supervision acknowledges it.
    sent = env.client("adjuster1").post(f"{url}/{row['id']}/actions", json={"action": "submit", "details": "新址"})
    assert sent.status_code == 200 and (sent.json()["state"], sent.json()["late"]) == ("submitted", True)
    assert env.client("adjuster1").post(f"{url}/{row['id']}/actions", json={"action": "acknowledge"}).status_code == 403
    ack = env.client("regulator").post(f"{url}/{row['id']}/actions", json={"action": "acknowledge"})
    assert ack.status_code == 200 and ack.json()["state"] == "acknowledged"
    assert _events(env, "firm_change_report") == [
        (f"firm_change.{a}", f"org:{firm}") for a in ("opened", "submitted", "acknowledged")
    ]


def test_supervision_lists_the_firms_with_warnings(env) -> None:
    firms = {f["name"]: f for f in env.client("regulator").get("/api/v1/supervision/firms").json()}
    assert "too_few_adjusters" in firms[YUEAN]["warnings"]  # a company needs 8 公估师
    assert firms[HUAXIN]["warnings"] == []
    for user in ("broker", "adjuster1", "insured1"):
        assert env.client(user).get("/api/v1/supervision/firms").status_code == 404, user


def _page_form(**changes: str) -> dict[str, str]:
    form = {
        "name": HUAXIN, "capital": "5000000.00", "business_area": "全国",
        "h0_name": "王建国", "h0_kind": "person", "h0_share": "40", "h0_adjuster": "on",
        "h1_name": "李娜", "h1_kind": "person", "h1_share": "40", "h1_adjuster": "on",
        "h2_name": "上海华信投资有限公司", "h2_kind": "company", "h2_share": "20",
        "cover": "fund", "risk_fund": "300000.00",
    }  # fmt: skip
    return {**form, **changes}


def test_filing_pages_firm_and_supervision(env) -> None:
    firm = org(env, HUAXIN)
    url = f"/adjuster-firms/{firm}/filing"
    page = logged_in(env, "adjuster1")
    first = page.get(url)
    assert first.status_code == 200 and "filing-form" in first.text and HUAXIN in first.text
    bad = post(page, url, _page_form(name="华信评估有限公司", capital="1500000", h1_adjuster=""))
    assert bad.status_code == 422
    for field in ("filing-name-error", "filing-capital-error", "filing-holders-error"):
        assert field in bad.text, field
    assert "保险公估" in bad.text and "200" in text_of(bad)
    assert post(page, url, _page_form()).status_code == 303
    sent = post(page, f"{url}/submit")
    assert sent.status_code == 303, sent.text
    assert "filing-form" not in page.get(url).text  # submitted: no longer edited

    regulator = logged_in(env, "regulator")
    waiting = regulator.get("/supervision/firms").text
    assert f'href="{url}"' in waiting.split('id="filings-to-publish"')[1].split("</section>")[0]
    shown = regulator.get(url)
    assert shown.status_code == 200 and "filing-publish" in shown.text and "filing-return" in shown.text
    empty = post(regulator, f"{url}/publish", {"filing_no": "", "published_on": today_local(env.clock).isoformat()})
    assert empty.status_code == 422 and "publish-filing-no-error" in empty.text
    done = post(regulator, f"{url}/publish", {"filing_no": "公估备-310077",
                                              "published_on": today_local(env.clock).isoformat()})  # fmt: skip
    assert done.status_code == 303, done.text
    assert "公估备-310077" in regulator.get(url).text
    listing = regulator.get("/supervision/firms")
    assert listing.status_code == 200 and YUEAN in listing.text and "firm-standings" in listing.text
    assert "8" in text_of(listing)  # 粤安's staffing warning names the minimum

    # A change report through the page: the date beside its field, then recorded and submitted at once.
    future = (today_local(env.clock) + dt.timedelta(days=3)).isoformat()
    wrong = post(page, f"/adjuster-firms/{firm}/change-reports", {"kind": "capital", "changed_on": future})
    assert wrong.status_code == 422 and "change-date-error" in wrong.text
    ok = post(page, f"/adjuster-firms/{firm}/change-reports",
              {"kind": "capital", "changed_on": today_local(env.clock).isoformat(), "details": "增资至800万元",
               "submit": "1"})  # fmt: skip
    assert ok.status_code == 303, ok.text
    assert "增资至800万元" in regulator.get(url).text
    # In English: the same page, its labels and the warnings translated.
    english = logged_in(env, "regulator", **{"Accept-Language": "en"})
    assert "Change reports" in english.get(url).text and "Report submitted" in english.get(url).text
    listed = text_of(english.get("/supervision/firms"))
    assert "Firms and warnings" in listed and "at least 8" in listed
    # Not yours: another firm and a broker get 404; the broker has no supervision list.
    assert logged_in(env, "adjuster3").get(url).status_code == 404
    broker = logged_in(env, "broker")
    assert broker.get(url).status_code == 404 and broker.get("/supervision/firms").status_code == 404


def test_demo_firms_file_one_is_returned_and_one_change_report_is_late(env) -> None:
    with env.session() as s:
        before = len(s.execute(select(AdjusterFirm)).unique().scalars().all())
        demo_filing.load(s, env.settings, env.clock.now(), password=DEMO_PASSWORD)
        s.commit()
        demo_filing.load(s, env.settings, env.clock.now(), password=DEMO_PASSWORD)  # once only
        states = [f.state for f in s.execute(select(FirmFiling)).scalars()]
        new = s.execute(
            select(AdjusterFirm).where(AdjusterFirm.organisation.has(name=demo_filing.NEW_FIRM))
        ).scalar_one()
        today = today_local(env.clock)
        assert {a.name for a in new.adjusters} == {"苏明", "高远"}
        for adj in new.adjusters:  # not filed: never routed
            assert "firm_not_filed" in party_service.ineligibility(s, adj, today)
    assert sorted(states) == sorted(["published"] * before + ["returned"])
    firms = {f["name"]: f for f in env.client("regulator").get("/api/v1/supervision/firms").json()}
    assert (firms[demo_filing.NEW_FIRM]["filing_state"], firms[demo_filing.NEW_FIRM]["filing_status"]) == (
        "returned",
        "pending",
    )
    late = {name for name, f in firms.items() if f["late_changes"]}
    assert late == {ZHENGHENG} and "change_report_late" in firms[ZHENGHENG]["warnings"]
    run_jobs(env)  # recorded late: the firm and supervision are told it is late, and not reminded
    notices = inbox(env, "adjuster3")
    assert any("逾期" in m or "late" in m for m in notices) and not any("须于" in m for m in notices), notices
    assert any(ZHENGHENG in m for m in inbox(env, "regulator"))
    assert sum(f["filing_status"] == "filed" for f in firms.values()) == before
    returned = env.client(demo_filing.NEW_ADMIN).get(f"/api/v1/adjuster-firms/{org(env, demo_filing.NEW_FIRM)}/filing")
    assert returned.json()["return_reasons"] == demo_filing.RETURNED_REASONS and returned.json()["may"] == ["submit"]
