"""Full ID and phone numbers only on an explicit, logged request (issue 20 item 1; regulation.md §2.5,
JR/T 0171: C2 data masked for display): every answer masks them; a role that needs one asks with a
reason and the view is logged (who, what, when, why); without the role it is refused and nothing is
logged; the log is append-only and its organisation's administrator exports it as CSV."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import delete, select, text
from sqlalchemy.exc import DBAPIError

from tandem.access.models import Organisation, User, UserRole
from tandem.db import unit_of_work
from tandem.party.models import Adjuster, AppendOnly, Insured, PiiAccess
from tests.helpers import csrf_of, logged_in, post, text_of

PERSON = "杨慧敏"  # the demo's insured person
PERSON_PHONE = "13605718899"


def _ids(env) -> tuple[str, str]:
    with env.session() as s:
        insured = s.execute(select(Organisation.id).where(Organisation.name == PERSON)).scalar_one()
        adjuster = s.execute(select(Adjuster.id).where(Adjuster.name == "王建国")).scalar_one()
    return str(insured), str(adjuster)


def _log(env) -> list[PiiAccess]:
    with env.session() as s:
        return list(s.execute(select(PiiAccess).order_by(PiiAccess.at)).scalars())


def _person_id(env) -> str:
    with env.session() as s:
        return s.execute(select(Insured.id_number).where(Insured.id_number.is_not(None))).scalar_one()


def test_numbers_are_masked_and_shown_in_full_only_on_a_logged_request(env):
    insured, adjuster = _ids(env)
    full_id = _person_id(env)
    broker = env.client("broker")
    shown = broker.get(f"/api/v1/insureds/{insured}").json()
    assert shown["identifier"] == full_id[:6] + "********" + full_id[-4:]
    assert shown["contact_phone"] == "136****8899" and shown["revealable"] == ["id_number", "contact_phone"]
    assert full_id not in broker.get("/api/v1/insureds").text
    # The adjuster's own firm administrator sees a masked number too, until it asks.
    firm = env.client("adjuster1")
    assert "*" in firm.get(f"/api/v1/adjusters/{adjuster}").json()["id_number"]
    assert _log(env) == []

    r = broker.post(f"/api/v1/insureds/{insured}/reveal", json={"field": "id_number", "reason": "核对投保人身份"})
    assert r.status_code == 200, r.text
    assert r.json() == {"subject_id": insured, "field": "id_number", "value": full_id}
    env.clock.advance(minutes=5)
    r = firm.post(f"/api/v1/adjusters/{adjuster}/reveal", json={"field": "id_number", "reason": "执业登记核验"})
    assert r.status_code == 200 and len(r.json()["value"]) == 18

    log = _log(env)
    assert [(e.subject_kind, str(e.subject_id), e.field, e.reason) for e in log] == [
        ("insured", insured, "id_number", "核对投保人身份"),
        ("adjuster", adjuster, "id_number", "执业登记核验"),
    ]
    with env.session() as s:
        who = {e.user_id: s.get(User, e.user_id).username for e in log}
    assert [who[e.user_id] for e in log] == ["broker", "adjuster1"]
    assert log[1].at == env.clock.now() and (log[1].at - log[0].at).total_seconds() == 300


def test_a_full_number_is_refused_without_the_role_and_nothing_is_logged(env):
    insured, adjuster = _ids(env)
    # The broker's account manager role taken away: the broker still sees the insured, masked.
    with unit_of_work(env.factory) as s:
        uid = s.execute(select(User.id).where(User.username == "broker")).scalar_one()
        s.execute(delete(UserRole).where(UserRole.user_id == uid, UserRole.role == "broker_account_manager"))
    broker = env.client("broker")
    assert broker.get(f"/api/v1/insureds/{insured}").json()["revealable"] == []
    body = {"field": "id_number", "reason": "好奇"}
    r = broker.post(f"/api/v1/insureds/{insured}/reveal", json=body)
    assert r.status_code == 403 and r.json()["error"]["code"] == "access.action_not_allowed"
    # Another firm's adjuster is not the practitioner's firm: refused too.
    assert env.client("broker").post(f"/api/v1/adjusters/{adjuster}/reveal", json=body).status_code == 403
    # An insured the caller cannot see: the same 404 as a missing one.
    assert env.client("insured1").post(f"/api/v1/insureds/{insured}/reveal", json=body).status_code == 404
    # Supervision writes nothing, this included.
    assert env.client("regulator").post(f"/api/v1/insureds/{insured}/reveal", json=body).status_code == 403
    # Bad input names the field.
    risk = env.client("risk")
    r = risk.post(f"/api/v1/insureds/{insured}/reveal", json={"field": "address", "reason": "x"})
    assert r.status_code == 422 and "field" in r.json()["error"]["fields"]
    r = risk.post(f"/api/v1/insureds/{insured}/reveal", json={"field": "id_number", "reason": "  "})
    assert r.status_code == 422 and "reason" in r.json()["error"]["fields"]
    assert _log(env) == []


def test_the_page_shows_a_number_on_request_and_the_admin_exports_the_log(env):
    insured, _adjuster = _ids(env)
    full_id = _person_id(env)
    page = logged_in(env, "broker")
    r = page.get(f"/organisations/{insured}")
    assert r.status_code == 200 and full_id not in r.text and "136****8899" in r.text
    assert f'action="/organisations/{insured}/reveal"' in r.text
    bad = post(page, f"/organisations/{insured}/reveal", {"field": "contact_phone", "reason": ""})
    assert bad.status_code == 422 and 'id="reason-error"' in bad.text and PERSON_PHONE not in bad.text
    ok = post(page, f"/organisations/{insured}/reveal", {"field": "contact_phone", "reason": "回电报案人"})
    assert ok.status_code == 200 and PERSON_PHONE in ok.text and full_id not in ok.text
    assert "访问日志" in text_of(ok) or "access log" in text_of(ok)

    # The broker's administrator (broker is ORG_ADMIN) reads and downloads its organisation's log.
    log_page = page.get("/access-log")
    assert log_page.status_code == 200 and "回电报案人" in log_page.text
    download = page.get("/access-log.csv")
    assert download.status_code == 200 and download.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(download.text)))
    assert [(r["user"], r["subject_kind"], r["subject_id"], r["field"], r["reason"]) for r in rows] == [
        ("broker", "insured", insured, "contact_phone", "回电报案人")
    ]
    api = env.client("broker").get("/api/v1/pii-access.csv")
    assert api.status_code == 200 and list(csv.DictReader(io.StringIO(api.text))) == rows
    # Another organisation's administrator sees none of it; someone who is no administrator is refused.
    assert len(list(csv.DictReader(io.StringIO(env.client("insurer1").get("/api/v1/pii-access.csv").text)))) == 0
    assert env.client("risk").get("/api/v1/pii-access.csv").status_code == 403
    assert csrf_of(page.get(f"/organisations/{insured}").text)


def test_the_access_log_is_append_only(env):
    insured, _ = _ids(env)
    r = env.client("broker").post(f"/api/v1/insureds/{insured}/reveal", json={"field": "id_number", "reason": "核对"})
    assert r.status_code == 200
    with env.session() as s:
        entry = s.execute(select(PiiAccess)).scalar_one()
        entry.reason = "rewritten"
        with pytest.raises(AppendOnly):
            s.flush()
        s.rollback()
        s.delete(s.execute(select(PiiAccess)).scalar_one())
        with pytest.raises(AppendOnly):
            s.flush()
    for statement in ("UPDATE pii_access SET reason = 'x'", "DELETE FROM pii_access"):
        with env.engine.connect() as c, pytest.raises(DBAPIError, match="append-only"):
            c.execute(text(statement))
    assert [e.reason for e in _log(env)] == ["核对"]
