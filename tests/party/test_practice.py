"""Practice registrations (执业登记), verification records and sanctions (issue 19 item 4, regulation.md §1.2,
§1.8, §1.9): a moved practitioner is routed under the new firm only; a lapsed or sanctioned one never; a
reviewed one stays assignable past 31 December; one open registration at most; deregistration within 5
working days, flagged when late."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from tandem.access.models import Organisation, User
from tandem.audit import service as audit
from tandem.audit.models import AuditEvent
from tandem.kit.clock import SHANGHAI
from tandem.party import practice, service
from tandem.party.models import Adjuster, BlacklistEntry, Registration, RegistrationCheck, Sanction
from tandem.routing.service import Subject, evaluate
from tandem.supervision import feed

FIRM_A, FIRM_C = "华信保险公估有限公司", "粤安保险公估有限公司"
FIRM_C_ADMIN = "adjuster13"  # 林志伟


def ids(env, name: str) -> tuple[str, str, str | None]:
    """The practitioner's id, certificate number and ID number."""
    with env.session() as s:
        a = s.execute(select(Adjuster).where(Adjuster.name == name)).unique().scalar_one()
        return str(a.id), a.certificate_no, a.id_number


def org_id(env, name: str) -> uuid.UUID:
    with env.session() as s:
        return s.execute(select(Organisation.id).where(Organisation.name == name)).scalar_one()


def view(env, user: str, name: str) -> dict[str, Any]:
    r = env.client(user).get(f"/api/v1/adjusters/{ids(env, name)[0]}")
    assert r.status_code == 200, r.text
    return r.json()


def counts(env) -> tuple[int, ...]:
    with env.session() as s:
        return tuple(
            s.execute(select(func.count()).select_from(m)).scalar_one()
            for m in (Registration, RegistrationCheck, Sanction, AuditEvent)
        )


def routed(env, name: str, parties: tuple[uuid.UUID, ...] = ()) -> list[str]:
    """The routing engine's exclusion codes for the practitioner (the app's session: the app's settings)."""
    broker = org_id(env, "恒信保险经纪有限公司")
    subject = Subject(case_id=uuid.uuid4(), broker_id=broker, parties=parties, line="企业财产保险", location="上海市")
    with env.app.state.session_factory() as s:
        adj = s.execute(select(Adjuster).where(Adjuster.name == name)).unique().scalar_one()
        rec = evaluate(s, subject, adj, env.clock.now())
        assert rec.adjuster.firm_id == adj.firm_id
        return [r for r in rec.reasons if r != "over_capacity"]


def move_body(env, name: str, **over: Any) -> dict[str, Any]:
    _id, cert, id_no = ids(env, name)
    body = {"certificate_no": cert, "id_number": id_no, "registration_no": "ZY3009999", "starts_on": "2026-11-25"}
    body.update(over)
    return body


# ---- moves ---------------------------------------------------------------------------------------


def test_a_moved_practitioner_is_routed_under_the_new_firm_only(env) -> None:
    firm_a, firm_c = org_id(env, FIRM_A), org_id(env, FIRM_C)
    with env.session() as s:  # the broker lists the whole of the old firm
        s.add(
            BlacklistEntry(
                broker_id=org_id(env, "恒信保险经纪有限公司"),
                firm_id=firm_a,
                reason="x",
                valid_from=dt.date(2026, 11, 1),
                state="active",
                created_at=env.clock.now(),
                created_by=s.execute(select(User.id).where(User.username == "broker")).scalar_one(),
            )
        )
        s.commit()
    assert "blacklisted" in routed(env, "周敏")
    assert routed(env, "周敏", parties=(firm_c,)) == ["blacklisted"]
    before = counts(env)

    r = env.client(FIRM_C_ADMIN).post("/api/v1/registrations", json=move_body(env, "周敏"))
    assert r.status_code == 201, r.text
    a = r.json()
    assert a["firm"]["name"] == FIRM_C and a["registration_no"] == "ZY3009999"
    assert (a["registration"]["state"], a["registration"]["starts_on"]) == ("registered", "2026-11-25")
    assert counts(env)[0] == before[0] + 1 and counts(env)[3] == before[3] + 2

    # routed under the new firm: the old firm's listing no longer applies, the new firm's party conflicts
    assert routed(env, "周敏") == []
    assert routed(env, "周敏", parties=(firm_a,)) == []
    assert routed(env, "周敏", parties=(firm_c,)) == ["conflict_of_interest"]
    # the old firm no longer sees or acts for the practitioner
    adj_id = a["id"]
    assert env.client("adjuster1").get(f"/api/v1/adjusters/{adj_id}").status_code == 404
    r = env.client("adjuster1").post(f"/api/v1/adjusters/{adj_id}/registration/leave", json={"left_on": "2026-11-25"})
    assert r.status_code == 404
    # the history is kept: the old registration ended the day before
    hist = env.client("broker").get(f"/api/v1/adjusters/{adj_id}/practice").json()["registrations"]
    assert [(h["firm"]["name"], h["state"], h["ends_on"]) for h in hist] == [
        (FIRM_C, "registered", None),
        (FIRM_A, "ended", "2026-11-24"),
    ]
    with env.session() as s:
        actions = sorted(e.action for h in hist for e in audit.events_for_entity(s, "registration", h["id"]))
        assert actions == ["registration.ended", "registration.registered", "registration.registered"]
        assert audit.verify(s) == []
        day = feed.firm_changes(s, *feed.window(dt.date(2026, 11, 25)))  # supervision's daily feed
    mine = {h["id"] for h in hist}
    moves = {(e["action"], e["firm_id"]) for e in day if str(e["entity_id"]) in mine}
    assert {("registration.ended", str(firm_a)), ("registration.registered", str(firm_c))} <= moves


def test_a_firm_moves_only_with_matching_numbers_and_one_answer(env) -> None:
    before = counts(env)
    bodies = set()
    for over in ({"id_number": None}, {"certificate_no": "GGS0000000"}, {"id_number": ids(env, "李娜")[2]}):
        r = env.client(FIRM_C_ADMIN).post("/api/v1/registrations", json=move_body(env, "周敏", **over))
        assert r.status_code == 409, r.text
        bodies.add(r.text)
    assert len(bodies) == 1 and counts(env) == before
    # into another firm than its own: 404; to its own firm again: 409 naming the firm
    r = env.client(FIRM_C_ADMIN).post(
        "/api/v1/registrations", json=move_body(env, "周敏", firm_id=str(org_id(env, FIRM_A)))
    )
    assert r.status_code == 404
    r = env.client("adjuster1").post("/api/v1/registrations", json=move_body(env, "周敏"))
    assert r.status_code == 409 and list(r.json()["error"]["fields"]) == ["firm_id"], r.text
    for user in ("broker", "insured1", "adjuster2"):
        assert env.client(user).post("/api/v1/registrations", json=move_body(env, "周敏")).status_code == 403
    assert counts(env) == before


def test_move_422s_name_the_field(env) -> None:
    before = counts(env)
    client = env.client(FIRM_C_ADMIN)
    for over, field in (
        ({"starts_on": "2026-12-01"}, "starts_on"),  # after today
        ({"starts_on": "2020-01-01"}, "starts_on"),  # before the current registration's start
        ({"starts_on": "2026-13-01"}, "starts_on"),
        ({"registration_no": "Z1"}, "registration_no"),
        ({"id_number": "12345"}, "id_number"),
    ):
        r = client.post("/api/v1/registrations", json=move_body(env, "周敏", **over))
        assert r.status_code == 422, (over, r.text)
        assert field in r.json()["error"]["fields"], (over, r.text)
    assert counts(env) == before


def test_supervision_records_a_move_by_id(env) -> None:
    adj_id = ids(env, "周敏")[0]
    body = {"adjuster_id": adj_id, "firm_id": str(org_id(env, FIRM_C)), "starts_on": "2026-11-20"}
    r = env.client("regulator").post("/api/v1/registrations", json=body)
    assert r.status_code == 201, r.text
    assert r.json()["firm"]["name"] == FIRM_C and r.json()["registration_no"] == ids_no(env, "周敏")


def ids_no(env, name: str) -> str:
    with env.session() as s:
        return s.execute(select(Adjuster.registration_no).where(Adjuster.name == name)).scalar_one()


def test_at_most_one_open_registration(env) -> None:
    adj_id = uuid.UUID(ids(env, "周敏")[0])
    with env.session() as s:
        firm = s.execute(select(Adjuster.firm_id).where(Adjuster.id == adj_id)).scalar_one()
        s.add(
            Registration(
                adjuster_id=adj_id,
                firm_id=firm,
                registration_no="ZY0000001",
                state="leaving",
                starts_on=dt.date(2026, 11, 1),
                created_at=env.clock.now(),
            )
        )
        with pytest.raises(IntegrityError):
            s.flush()
        s.rollback()
        # a closed one beside the open one is fine (the history)
        s.add(
            Registration(
                adjuster_id=adj_id,
                firm_id=firm,
                registration_no="ZY0000001",
                state="ended",
                starts_on=dt.date(2020, 1, 1),
                ends_on=dt.date(2020, 12, 31),
                created_at=env.clock.now(),
            )
        )
        s.flush()
        s.rollback()


# ---- leaving and deregistration ------------------------------------------------------------------


def test_deregistration_is_due_in_5_working_days_and_flagged_when_late(env) -> None:
    adj_id = ids(env, "周敏")[0]
    firm = env.client("adjuster1")
    r = firm.post(f"/api/v1/adjusters/{adj_id}/registration/leave", json={"left_on": "2026-11-25"})  # Wednesday
    assert r.status_code == 200, r.text
    reg = r.json()["registration"]
    assert (reg["state"], reg["left_on"], reg["deregister_by"], reg["late"]) == (
        "leaving",
        "2026-11-25",
        "2026-12-02",
        False,
    )
    assert (r.json()["qualification_status"], r.json()["assignable"]) == ("inactive", False)
    assert routed(env, "周敏") == ["certificate_lapsed"]
    env.clock.current = dt.datetime(2026, 12, 2, 15, 59, tzinfo=dt.UTC)  # 23:59 on the last day
    assert view(env, "regulator", "周敏")["registration"]["late"] is False
    env.clock.current = dt.datetime(2026, 12, 2, 16, 0, tzinfo=dt.UTC)  # 3 December in Shanghai
    assert view(env, "regulator", "周敏")["registration"]["late"] is True
    with env.session() as s:
        assert [r.adjuster_id for r in practice.late_deregistrations(s, dt.date(2026, 12, 3))] == [uuid.UUID(adj_id)]
    env._clients.clear()  # a week on: sign in again
    late = env.client("regulator").get("/api/v1/registrations/late")
    assert late.status_code == 200, late.text
    assert [(x["adjuster"]["name"], x["registration"]["late"]) for x in late.json()] == [("周敏", True)]
    for user in ("broker", "adjuster1"):
        assert env.client(user).get("/api/v1/registrations/late").status_code == 403
    firm = env.client("adjuster1")
    r = firm.post(f"/api/v1/adjusters/{adj_id}/registration/deregister", json={})
    assert r.status_code == 200, r.text
    assert r.json()["registration"] is None  # none open now
    hist = env.client("regulator").get(f"/api/v1/adjusters/{adj_id}/practice").json()["registrations"]
    assert (hist[0]["state"], hist[0]["ends_on"], hist[0]["late"]) == ("deregistered", "2026-12-03", True)
    # a second deregistration: nothing open
    r = firm.post(f"/api/v1/adjusters/{adj_id}/registration/deregister", json={"left_on": "2026-12-01"})
    assert r.status_code == 409, r.text


def test_a_late_deregistration_stays_on_supervisions_list_when_another_firm_takes_her(env) -> None:
    adj_id = ids(env, "周敏")[0]
    r = env.client("adjuster1").post(f"/api/v1/adjusters/{adj_id}/registration/leave", json={"left_on": "2026-11-25"})
    assert r.status_code == 200 and r.json()["registration"]["deregister_by"] == "2026-12-02", r.text
    env.clock.current = dt.datetime(2026, 12, 5, 2, tzinfo=dt.UTC)  # never deregistered by her old firm
    r = env.client(FIRM_C_ADMIN).post("/api/v1/registrations", json=move_body(env, "周敏", starts_on="2026-12-04"))
    assert r.status_code == 201, r.text
    late = env.client("regulator").get("/api/v1/registrations/late").json()
    assert [(x["adjuster"]["name"], x["registration"]["state"], x["registration"]["late"]) for x in late] == [
        ("周敏", "ended", True)
    ]


def test_deregistration_in_time_is_not_late_and_needs_the_leaving_day(env) -> None:
    adj_id = ids(env, "李娜")[0]
    firm = env.client("adjuster1")
    before = counts(env)
    for body, field in (({}, "left_on"), ({"left_on": "2026-11-26"}, "left_on"), ({"left_on": "x"}, "left_on")):
        r = firm.post(f"/api/v1/adjusters/{adj_id}/registration/deregister", json=body)
        assert r.status_code == 422 and field in r.json()["error"]["fields"], r.text
    assert counts(env) == before
    r = firm.post(f"/api/v1/adjusters/{adj_id}/registration/deregister", json={"left_on": "2026-11-20"})
    reg = env.client("regulator").get(f"/api/v1/adjusters/{adj_id}/practice").json()["registrations"][0]
    assert (reg["state"], reg["deregister_by"], reg["late"]) == ("deregistered", "2026-11-27", False)
    assert r.json()["qualification_status"] == "inactive"
    # two days on, a new firm registers her from after the old registration ended, never overlapping it
    env.clock.current = dt.datetime(2026, 11, 27, 2, tzinfo=dt.UTC)
    new = env.client(FIRM_C_ADMIN)
    r = new.post("/api/v1/registrations", json=move_body(env, "李娜", starts_on=reg["ends_on"]))
    assert r.status_code == 422 and "starts_on" in r.json()["error"]["fields"], r.text
    r = new.post("/api/v1/registrations", json=move_body(env, "李娜", starts_on="2026-11-26"))
    assert r.status_code == 201, r.text
    # only the firm's administrator, supervision or the platform: not the broker, not a firm's adjuster
    other = ids(env, "王建国")[0]
    for user in ("broker", "adjuster2"):
        r = env.client(user).post(f"/api/v1/adjusters/{other}/registration/leave", json={"left_on": "2026-11-20"})
        assert r.status_code == 403, user


# ---- verification records and the review rule ---------------------------------------------------


def test_a_failed_check_lapses_and_a_passed_one_restores(env) -> None:
    """Supervision's finding decides; the firm's own passed check does not lift it; a broker's look-up is
    kept and shown and decides nothing for anyone."""
    adj_id = ids(env, "周敏")[0]
    before = counts(env)
    body = {"source": "regulator_register", "result": "failed", "checked_on": "2026-11-25", "note": "查无此人"}
    r = env.client("broker").post(f"/api/v1/adjusters/{adj_id}/checks", json=body)
    assert r.status_code == 201, r.text
    assert (r.json()["checked_by_org"]["name"], r.json()["note"]) == ("恒信保险经纪有限公司", "查无此人")
    assert counts(env)[1] == before[1] + 1 and counts(env)[3] == before[3] + 1
    assert routed(env, "周敏") == [] and view(env, "broker", "周敏")["qualification_status"] == "valid"
    r = env.client("regulator").post(f"/api/v1/adjusters/{adj_id}/checks", json=body)
    assert r.status_code == 201, r.text
    assert routed(env, "周敏") == ["certificate_lapsed"]
    assert view(env, "broker", "周敏")["qualification_status"] == "lapsed"
    r = env.client("adjuster1").post(f"/api/v1/adjusters/{adj_id}/checks", json={**body, "result": "passed"})
    assert r.status_code == 201, r.text
    assert routed(env, "周敏") == ["certificate_lapsed"]  # the firm cannot lift supervision's finding
    r = env.client("regulator").post(f"/api/v1/adjusters/{adj_id}/checks", json={**body, "result": "passed"})
    assert r.status_code == 201, r.text
    assert routed(env, "周敏") == []
    checks = env.client("adjuster1").get(f"/api/v1/adjusters/{adj_id}/practice").json()["checks"]
    assert [c["result"] for c in checks] == ["passed", "passed", "failed", "failed"]


def test_check_422s_and_who_may_record(env) -> None:
    adj_id = ids(env, "周敏")[0]
    before = counts(env)
    good = {"source": "regulator_register", "result": "passed", "checked_on": "2026-11-25"}
    for over, field in (
        ({"source": "rumour"}, "source"),
        ({"result": "maybe"}, "result"),
        ({"checked_on": "2026-11-26"}, "checked_on"),
        ({"checked_on": None}, "checked_on"),
    ):
        r = env.client("adjuster1").post(f"/api/v1/adjusters/{adj_id}/checks", json={**good, **over})
        assert r.status_code == 422 and field in r.json()["error"]["fields"], (over, r.text)
    for user, status in (("adjuster2", 403), ("insurer1", 403), ("adjuster3", 404), ("insured1", 404)):
        assert env.client(user).post(f"/api/v1/adjusters/{adj_id}/checks", json=good).status_code == status, user
    assert counts(env) == before


def test_a_reviewed_practitioner_stays_assignable_past_31_december(env) -> None:
    """With a yearly review rule set, 王建国 (passed on the regulator's register on 26 October) stays
    assignable into the new year until 12 months after his check; 李娜 (never checked, registered two
    years ago) is lapsed until a passed check is recorded."""
    env.settings.registration_review_months = 12
    env.clock.current = dt.datetime(2027, 1, 5, 2, tzinfo=dt.UTC)
    wang = view(env, "broker", "王建国")
    assert (wang["qualification_status"], wang["assignable"], wang["reverification_due"]) == (
        "valid",
        True,
        "2027-10-26",
    )
    assert routed(env, "王建国") == []
    assert routed(env, "李娜") == ["certificate_lapsed"]
    r = env.client("adjuster1").post(
        f"/api/v1/adjusters/{ids(env, '李娜')[0]}/checks",
        json={"source": "association_registry", "result": "passed", "checked_on": "2027-01-04"},
    )
    assert r.status_code == 201, r.text
    assert routed(env, "李娜") == []
    assert view(env, "broker", "李娜")["reverification_due"] == "2028-01-04"
    env.clock.current = dt.datetime(2027, 10, 26, 16, tzinfo=dt.UTC)  # 27 October in Shanghai
    assert routed(env, "王建国") == ["certificate_lapsed"]
    # the default rule: no periodic review at all
    env.settings.registration_review_months = 0
    assert routed(env, "王建国") == []


# ---- sanctions and bars --------------------------------------------------------------------------


def test_supervision_records_a_criminal_penalty_bar_of_5_years(env) -> None:
    adj_id = ids(env, "周敏")[0]
    before = counts(env)
    body = {
        "kind": "criminal_penalty",
        "authority": "上海市浦东新区人民法院",
        "decision_no": "(2025)沪0115刑初1号",
        "starts_on": "2025-03-01",
        "sentence_ends_on": "2026-02-28",
    }
    r = env.client("regulator").post(f"/api/v1/adjusters/{adj_id}/sanctions", json=body)
    assert r.status_code == 201, r.text
    (s,) = r.json()["sanctions"]
    assert (s["kind"], s["ends_on"], s["decision_no"]) == ("criminal_penalty", "2031-02-28", "(2025)沪0115刑初1号")
    assert r.json()["qualification_status"] == "sanctioned"
    assert counts(env)[2] == before[2] + 1 and counts(env)[3] == before[3] + 1
    assert routed(env, "周敏") == ["certificate_lapsed"]
    env.clock.current = dt.datetime(2031, 2, 28, 15, tzinfo=dt.UTC)  # the bar's last day
    assert routed(env, "周敏") == ["certificate_lapsed"]
    env.clock.current = dt.datetime(2031, 2, 28, 16, tzinfo=dt.UTC)  # 1 March 2031 in Shanghai
    assert routed(env, "周敏") == []
    with env.session() as s:
        (ev,) = audit.events_for_entity(s, "sanction", _sanction_id(s))
        assert ev.action == "sanction.recorded"


def _sanction_id(s) -> uuid.UUID:
    return s.execute(select(Sanction.id).where(Sanction.kind == "criminal_penalty")).scalar_one()


def test_sanction_422s_and_only_supervision_records(env) -> None:
    adj_id = ids(env, "周敏")[0]
    before = counts(env)
    good = {"kind": "suspension", "authority": "上海监管局", "starts_on": "2026-11-01", "ends_on": "2027-04-30"}
    for over, field in (
        ({"kind": "scolding"}, "kind"),
        ({"authority": ""}, "authority"),
        ({"ends_on": "2026-10-01"}, "ends_on"),
        ({"kind": "criminal_penalty", "ends_on": None}, "sentence_ends_on"),
        ({"sentence_ends_on": "2026-12-01"}, "sentence_ends_on"),
    ):
        body = {k: v for k, v in {**good, **over}.items() if v is not None}
        r = env.client("regulator").post(f"/api/v1/adjusters/{adj_id}/sanctions", json=body)
        assert r.status_code == 422 and field in r.json()["error"]["fields"], (over, r.text)
    for user in ("broker", "adjuster1", "insurer1"):
        assert env.client(user).post(f"/api/v1/adjusters/{adj_id}/sanctions", json=good).status_code == 403, user
    assert counts(env) == before


def test_a_suspension_ends_and_routing_resumes(env) -> None:
    adj_id = ids(env, "周敏")[0]
    body = {"kind": "suspension", "authority": "上海监管局", "starts_on": "2026-11-01", "ends_on": "2026-11-30"}
    assert env.client("regulator").post(f"/api/v1/adjusters/{adj_id}/sanctions", json=body).status_code == 201
    assert routed(env, "周敏") == ["certificate_lapsed"]
    env.clock.current = dt.datetime(2026, 11, 30, 16, tzinfo=dt.UTC)  # 1 December in Shanghai
    assert env.clock.now().astimezone(SHANGHAI).date() == dt.date(2026, 12, 1)
    assert routed(env, "周敏") == []


def test_bar_end_on_29_february() -> None:
    assert practice.bar_ends_on(dt.date(2028, 2, 29)) == dt.date(2033, 2, 28)
    assert service.add_months(dt.date(2027, 1, 31), 1) == dt.date(2027, 2, 28)
