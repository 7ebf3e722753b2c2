"""The practitioner's page (/adjusters/{id}): registration history (a moved practitioner's both firms),
verification records with the form, sanctions with supervision's form, leaving and deregistration; errors
beside the fields (422), zh-CN and en; an outsider gets 404."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from tandem.party.models import Adjuster, Registration, RegistrationCheck, Sanction
from tests.helpers import logged_in, post, text_of


def adjuster_id(env, name: str) -> str:
    with env.session() as s:
        return str(s.execute(select(Adjuster.id).where(Adjuster.name == name)).scalar_one())


def counts(env) -> tuple[int, ...]:
    with env.session() as s:
        return tuple(
            s.execute(select(func.count()).select_from(m)).scalar_one()
            for m in (Registration, RegistrationCheck, Sanction)
        )


def test_the_page_shows_a_moved_practitioners_history_checks_and_sanctions(env) -> None:
    broker = logged_in(env, "broker", **{"Accept-Language": "zh-CN"})
    r = broker.get(f"/adjusters/{adjuster_id(env, '陈亮')}")
    assert r.status_code == 200, r.text
    text = text_of(r)
    assert "执业登记" in text and "华信保险公估有限公司" in text and "正衡保险公估合伙企业" in text
    assert "因变更机构终止" in text  # the old registration, ended by the move
    r = broker.get(f"/adjusters/{adjuster_id(env, '王建国')}")
    assert "监管机构公开查询系统" in text_of(r) and "执业登记已确认" in text_of(r)
    en = logged_in(env, "regulator", **{"Accept-Language": "en"})
    r = en.get(f"/adjusters/{adjuster_id(env, '罗振华')}")
    assert "Practice suspended" in text_of(r) and "粤金罚决字〔2026〕17号" in text_of(r)
    assert 'id="sanction-form"' in r.text and 'id="check-form"' in r.text
    assert 'id="sanction-form"' not in broker.get(f"/adjusters/{adjuster_id(env, '罗振华')}").text
    # another firm and an insured: the same 404 as for nothing
    for user in ("adjuster3", "insured1"):
        assert logged_in(env, user).get(f"/adjusters/{adjuster_id(env, '周敏')}").status_code == 404


def test_check_form_errors_beside_the_fields_then_recorded(env) -> None:
    firm = logged_in(env, "adjuster1", **{"Accept-Language": "en"})
    url = f"/adjusters/{adjuster_id(env, '周敏')}/checks"
    before = counts(env)
    r = post(firm, url, {"source": "rumour", "result": "failed", "checked_on": "2026-11-25"})
    assert r.status_code == 422, r.text
    assert 'id="source-error"' in r.text and "Choose one of the list." in text_of(r)
    r = post(firm, url, {"source": "regulator_register", "result": "failed", "checked_on": "2026-11-26"})
    assert r.status_code == 422, r.text
    assert 'id="checked_on-error"' in r.text and "The check cannot be in the future." in text_of(r)
    assert counts(env) == before
    r = post(
        firm, url, {"source": "regulator_register", "result": "failed", "checked_on": "2026-11-25", "note": "查无"}
    )
    assert r.status_code == 303, r.text
    page = firm.get(r.headers["location"])
    assert "The verification is recorded." in text_of(page) and "Check failed" in text_of(page)
    assert "Lapsed" in text_of(page)
    assert counts(env)[1] == before[1] + 1


def test_sanction_form_for_supervision_with_a_criminal_bar(env) -> None:
    reg = logged_in(env, "regulator", **{"Accept-Language": "zh-CN"})
    url = f"/adjusters/{adjuster_id(env, '周敏')}/sanctions"
    before = counts(env)
    r = post(reg, url, {"kind": "criminal_penalty", "authority": "", "starts_on": "2025-03-01"})
    assert r.status_code == 422
    assert 'id="authority-error"' in r.text
    r = post(reg, url, {"kind": "criminal_penalty", "authority": "浦东法院", "starts_on": "2025-03-01"})
    assert r.status_code == 422 and 'id="sentence_ends_on-error"' in r.text, text_of(r)[:1500]
    assert counts(env) == before
    body = {
        "kind": "criminal_penalty",
        "authority": "浦东法院",
        "starts_on": "2025-03-01",
        "sentence_ends_on": "2026-02-28",
    }
    r = post(reg, url, body)
    assert r.status_code == 303, r.text
    text = text_of(reg.get(r.headers["location"]))
    assert "2031年2月28日" in text and "刑事处罚" in text
    assert counts(env)[2] == before[2] + 1
    # the broker may not
    assert post(logged_in(env, "broker"), url, body).status_code == 403


def test_leaving_and_deregistering_through_the_page(env) -> None:
    firm = logged_in(env, "adjuster1", **{"Accept-Language": "en"})
    url = f"/adjusters/{adjuster_id(env, '周敏')}/registration"
    r = post(firm, url, {"action": "deregister", "left_on": ""})
    assert r.status_code == 422 and 'id="left_on-error"' in r.text
    r = post(firm, url, {"action": "leave", "left_on": "2026-11-25"})
    assert r.status_code == 303, r.text
    text = text_of(firm.get(r.headers["location"]))
    assert "Left, awaiting deregistration" in text and "Dec 2, 2026" in text
    env.clock.current = dt.datetime(2026, 12, 3, 2, tzinfo=dt.UTC)  # a day past the deadline
    regulator = logged_in(env, "regulator", **{"Accept-Language": "en"})
    page = regulator.get("/adjusters")
    assert 'id="late-deregistrations"' in page.text and "周敏" in text_of(page).split("Deregistrations overdue")[1]
    assert 'id="late-deregistrations"' not in logged_in(env, "broker").get("/adjusters").text
    firm = logged_in(env, "adjuster1", **{"Accept-Language": "en"})
    r = post(firm, url, {"action": "deregister"})
    assert r.status_code == 303, r.text
    text = text_of(firm.get(r.headers["location"]))
    assert "Deregistered" in text and "Deregistration late" in text


def test_a_firm_registers_a_practitioner_moving_in_through_its_page(env) -> None:
    with env.session() as s:
        adj = s.execute(select(Adjuster).where(Adjuster.name == "周敏")).unique().scalar_one()
        cert, id_no, old_firm = adj.certificate_no, adj.id_number, adj.firm_id
    firm_c = logged_in(env, "adjuster13", **{"Accept-Language": "en"})  # 林志伟, 粤安's administrator
    home = firm_c.get("/")
    assert home.status_code == 200
    with env.session() as s:
        firm_id = s.execute(select(Adjuster.firm_id).where(Adjuster.name == "林志伟")).scalar_one()
    assert 'id="move-in-form"' in firm_c.get(f"/adjuster-firms/{firm_id}").text
    url = f"/adjuster-firms/{firm_id}/registrations"
    before = counts(env)
    r = post(firm_c, url, {"certificate_no": cert, "id_number": "", "starts_on": "2026-11-26"})
    assert r.status_code == 422 and 'id="id_number-error"' in r.text and 'id="starts_on-error"' not in r.text
    r = post(firm_c, url, {"certificate_no": cert, "id_number": id_no, "starts_on": "2026-11-26"})
    assert r.status_code == 422 and 'id="starts_on-error"' in r.text, text_of(r)[:800]
    r = post(firm_c, url, {"certificate_no": cert, "id_number": "310101199001011234", "starts_on": "2026-11-25"})
    assert r.status_code == 409 and "cannot be registered" in text_of(r)
    assert counts(env) == before
    r = post(firm_c, url, {"certificate_no": cert, "id_number": id_no, "starts_on": "2026-11-25"})
    assert r.status_code == 303, text_of(r)[:800]
    text = text_of(firm_c.get(r.headers["location"]))
    assert "registered with your firm" in text and "Ended by a move" in text
    assert counts(env)[0] == before[0] + 1
    with env.session() as s:
        assert s.execute(select(Adjuster.firm_id).where(Adjuster.name == "周敏")).scalar_one() == firm_id != old_firm
    # not the other firms' pages: 404
    assert post(logged_in(env, "adjuster3"), url, {"certificate_no": cert}).status_code == 404
