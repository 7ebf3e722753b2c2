"""The party registry: adjuster registration, qualification and assignability, firm staffing warnings, and
the broker's blacklist (黑名单) with its lift lifecycle, including a race between two lifts."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from typing import Any

from sqlalchemy import func, select

from tandem.access import scope
from tandem.access.actor import Actor
from tandem.access.models import Organisation, User
from tandem.audit import service as audit
from tandem.audit.models import AuditEvent
from tandem.kit.errors import Conflict, IllegalTransition, StateChanged
from tandem.kit.ids import id_check_char
from tandem.party import service
from tandem.party.models import Adjuster, BlacklistEntry

GOOD_ID_BODY = "31010419900101123"
FIRM_A, FIRM_B, FIRM_C = "华信保险公估有限公司", "正衡保险公估合伙企业（普通合伙）", "粤安保险公估有限公司"


def id_number(body17: str) -> str:
    return body17 + id_check_char(body17)


def org_id(env, name: str) -> str:
    with env.session() as s:
        return str(s.execute(select(Organisation.id).where(Organisation.name == name)).scalar_one())


def adjuster(env, name: str) -> Adjuster:
    with env.session() as s:
        return s.execute(select(Adjuster).where(Adjuster.name == name)).unique().scalar_one()


def counts(env) -> tuple[int, int, int]:
    with env.session() as s:
        return tuple(
            s.execute(select(func.count()).select_from(m)).scalar_one()  # type: ignore[return-value]
            for m in (Adjuster, BlacklistEntry, AuditEvent)
        )


def new_adjuster(**over: Any) -> dict[str, Any]:
    body = {
        "name": "孙晓明",
        "certificate_no": "GGS2026999",
        "registration_no": "ZY9000001",
        "id_number": id_number(GOOD_ID_BODY),
        "title": "公估师",
        "lines": ["企业财产保险"],
        "regions": ["上海"],
        "capacity": 6,
    }
    body.update(over)
    return body


# ---- registration ---------------------------------------------------------------------------------


def test_firm_admin_registers_an_adjuster(env) -> None:
    before = counts(env)
    r = env.client("adjuster1").post("/api/v1/adjusters", json=new_adjuster())
    assert r.status_code == 201, r.text
    a = r.json()
    assert a["firm"] == {"id": org_id(env, FIRM_A), "name": FIRM_A}
    assert (a["name"], a["certificate_no"], a["registration_no"]) == ("孙晓明", "GGS2026999", "ZY9000001")
    full = new_adjuster()["id_number"]
    # Masked even for its own firm, which may ask for it in full (tests/party/test_pii_reveal.py).
    assert a["id_number"] == full[:6] + "********" + full[-4:] and a["revealable"] == ["id_number"]
    assert a["reverification_due"] is None  # no periodic review by default (regulation.md §1.1)
    reg = a["registration"]
    assert (reg["state"], reg["starts_on"], reg["registration_no"]) == ("registered", "2026-11-25", "ZY9000001")
    assert (a["qualification_status"], a["assignable"], a["not_assignable_reasons"]) == ("valid", True, [])
    assert counts(env) == (before[0] + 1, before[1], before[2] + 2)
    with env.session() as s:
        (ev,) = audit.events_for_entity(s, "adjuster", a["id"])
        assert ev.action == "adjuster.registered" and ev.chain_key == f"org:{a['firm']['id']}"
        assert ev.after["registration_no"] == "ZY9000001"
        (ev,) = audit.events_for_entity(s, "registration", reg["id"])
        assert ev.action == "registration.registered" and ev.chain_key == f"org:{a['firm']['id']}"
        assert audit.verify(s) == []
    # the broker sees the new adjuster with a masked ID number
    seen = env.client("broker").get(f"/api/v1/adjusters/{a['id']}").json()
    assert seen["id_number"] == a["id_number"] and seen["revealable"] == []


def test_duplicate_registration_is_409_naming_the_field(env) -> None:
    before = counts(env)
    wang = adjuster(env, "王建国")
    for field, value in (
        ("registration_no", wang.registration_no),
        ("certificate_no", wang.certificate_no),
        ("id_number", wang.id_number),
    ):
        r = env.client("adjuster1").post("/api/v1/adjusters", json=new_adjuster(**{field: value}))
        assert r.status_code == 409, (field, r.text)  # id_number: a UNIQUE violation, not a 500
        assert list(r.json()["error"]["fields"]) == [field]
    assert counts(env) == before


def test_another_firms_numbers_get_one_generic_answer(env) -> None:
    """Another firm cannot take a registration, certificate or ID number either, but the answer must not
    tell it which of them exists (nor that any one of them is held by someone else's staff)."""
    before = counts(env)
    wang = adjuster(env, "王建国")
    bodies = set()
    for field, value in (
        ("registration_no", wang.registration_no),
        ("certificate_no", wang.certificate_no),
        ("id_number", wang.id_number),
    ):
        r = env.client("adjuster3").post("/api/v1/adjusters", json=new_adjuster(**{field: value}))
        assert r.status_code == 409, (field, r.text)
        assert "fields" not in r.json()["error"] and value not in r.text, (field, r.text)
        bodies.add(r.text)
    assert len(bodies) == 1, bodies
    assert counts(env) == before


WRONG_CHECK = GOOD_ID_BODY + ("1" if id_check_char(GOOD_ID_BODY) != "1" else "2")


def test_invalid_id_number_is_422_naming_id_number(env) -> None:
    before = counts(env)
    for bad in (WRONG_CHECK, "310104199002301234", "12345", GOOD_ID_BODY[:16] + "３1"):
        r = env.client("adjuster1").post("/api/v1/adjusters", json=new_adjuster(id_number=bad))
        assert r.status_code == 422, (bad, r.text)
        assert "id_number" in r.json()["error"]["fields"], bad
    assert counts(env) == before


def test_only_a_firm_admin_registers_and_only_into_its_own_firm(env) -> None:
    before = counts(env)
    r = env.client("adjuster1").post("/api/v1/adjusters", json=new_adjuster(firm_id=org_id(env, FIRM_B)))
    assert r.status_code == 404
    assert r.json() == {"error": {"code": "not_found", "message": "Not found."}}
    for user in ("adjuster2", "broker", "insurer1", "insured1"):
        r = env.client(user).post("/api/v1/adjusters", json=new_adjuster())
        assert r.status_code == 403, (user, r.text)
    assert counts(env) == before


# ---- qualification and assignability --------------------------------------------------------------


def view(env, user: str, name: str) -> dict[str, Any]:
    r = env.client(user).get(f"/api/v1/adjusters/{adjuster(env, name).id}")
    assert r.status_code == 200, r.text
    return r.json()


def test_lapsed_sanctioned_and_blacklisted_adjusters_are_not_assignable(env) -> None:
    a = view(env, "broker", "钱永刚")
    assert (a["last_check"]["result"], a["last_check"]["source"]) == ("not_found", "regulator_register")
    assert (a["qualification_status"], a["assignable"], a["not_assignable_reasons"]) == (
        "lapsed",
        False,
        ["certificate_lapsed"],
    )
    a = view(env, "broker", "罗振华")
    assert (a["qualification_status"], a["assignable"], a["not_assignable_reasons"]) == (
        "sanctioned",
        False,
        ["certificate_lapsed"],
    )
    assert [(s["kind"], s["decision_no"]) for s in a["sanctions"]] == [("suspension", "粤金罚决字〔2026〕17号")]
    a = view(env, "broker", "何雪梅")
    assert (a["qualification_status"], a["assignable"], a["not_assignable_reasons"]) == (
        "valid",
        False,
        ["blacklisted"],
    )
    a = view(env, "broker", "张伟")  # same firm, not blacklisted
    assert (a["qualification_status"], a["assignable"], a["not_assignable_reasons"]) == ("valid", True, [])


def test_no_lapse_after_31_december_by_default(env) -> None:
    """The annual 审核登记 by 31 December is the obsolete seed rule: nobody lapses on 1 January."""
    env.clock.current = dt.datetime(2026, 12, 31, 16, 0, 0, tzinfo=dt.UTC)  # 1 January in Shanghai
    a = view(env, "broker", "王建国")
    assert (a["qualification_status"], a["assignable"], a["reverification_due"]) == ("valid", True, None)


def test_registration_start_cannot_be_in_the_future(env) -> None:
    before = counts(env)
    r = env.client("adjuster1").post("/api/v1/adjusters", json=new_adjuster(starts_on="2027-01-05"))
    assert r.status_code == 422 and list(r.json()["error"]["fields"]) == ["starts_on"], r.text
    assert counts(env) == before


# ---- firm warnings --------------------------------------------------------------------------------


def test_firm_staffing_warnings(env) -> None:
    firms = {f["name"]: f for f in env.client("broker").get("/api/v1/adjuster-firms").json()}
    assert sorted(firms) == sorted([FIRM_A, FIRM_B, FIRM_C])
    c = firms[FIRM_C]
    assert (c["legal_form"], c["adjuster_count"]) == ("company", 2)
    assert [w["code"] for w in c["warnings"]] == ["too_few_adjusters"]
    assert "1 qualified" in c["warnings"][0]["message"]  # 罗振华 is sanctioned
    b = firms[FIRM_B]
    assert (b["legal_form"], b["adjuster_count"], b["warnings"]) == ("partnership", 3, [])
    a = firms[FIRM_A]
    assert (a["legal_form"], a["adjuster_count"], a["warnings"]) == ("company", 9, [])  # 8 valid + 1 lapsed
    assert a["capital"] == "5000000.00"
    r = env.client("adjuster1").get(f"/api/v1/adjuster-firms/{org_id(env, FIRM_A)}")
    assert r.status_code == 200
    staff = {s["name"]: s["qualification_status"] for s in r.json()["staff"]}
    assert len(staff) == 9 and staff["钱永刚"] == "lapsed" and staff["王建国"] == "valid"


def test_a_partnership_falls_below_two_when_one_lapses(env) -> None:
    for name in ("张伟", "陈亮"):
        r = env.client("regulator").post(
            f"/api/v1/adjusters/{adjuster(env, name).id}/checks",
            json={"source": "regulator_register", "result": "not_found", "checked_on": "2026-11-20"},
        )
        assert r.status_code == 201, r.text
    firms = {f["name"]: f for f in env.client("broker").get("/api/v1/adjuster-firms").json()}
    assert [w["code"] for w in firms[FIRM_B]["warnings"]] == ["too_few_adjusters"]


# ---- blacklist: add -------------------------------------------------------------------------------


def entry_body(env, **over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "adjuster_id": str(adjuster(env, "林志伟").id),
        "reason": "一年内两次被通报",
        "valid_from": "2026-11-25",
    }
    body.update(over)
    return {k: v for k, v in body.items() if v is not None}


def test_broker_adds_an_adjuster_to_the_blacklist(env) -> None:
    before = counts(env)
    r = env.client("broker").post("/api/v1/blacklist", json=entry_body(env))
    assert r.status_code == 201, r.text
    e = r.json()
    assert e["adjuster"]["name"] == "林志伟" and e["firm"] is None
    assert (e["state"], e["in_force"], e["reason"]) == ("active", True, "一年内两次被通报")
    assert counts(env) == (before[0], before[1] + 1, before[2] + 1)
    assert view(env, "broker", "林志伟")["not_assignable_reasons"] == ["blacklisted"]
    with env.session() as s:
        (ev,) = audit.events_for_entity(s, "blacklist_entry", e["id"])
        assert (ev.action, ev.reason) == ("blacklist.added", "一年内两次被通报")


def test_a_whole_firm_can_be_blacklisted(env) -> None:
    r = env.client("risk").post(
        "/api/v1/blacklist", json=entry_body(env, adjuster_id=None, firm_id=org_id(env, FIRM_C))
    )
    assert r.status_code == 201, r.text
    assert r.json()["firm"]["name"] == FIRM_C
    assert "blacklisted" in view(env, "broker", "林志伟")["not_assignable_reasons"]


def test_future_entry_is_not_yet_in_force(env) -> None:
    r = env.client("broker").post("/api/v1/blacklist", json=entry_body(env, valid_from="2027-01-01"))
    assert r.status_code == 201
    assert r.json()["in_force"] is False
    assert view(env, "broker", "林志伟")["assignable"] is True
    from tandem.party.views import blacklist_out

    with env.session() as s:
        entry = s.get(BlacklistEntry, uuid.UUID(r.json()["id"]))
        assert blacklist_out(entry, dt.date(2026, 12, 31)).in_force is False
        assert blacklist_out(entry, dt.date(2027, 1, 1)).in_force is True


BAD_ENTRIES: list[tuple[dict[str, Any], str | None]] = [
    ({"reason": None}, "reason"),
    ({"reason": ""}, "reason"),
    ({"reason": "   "}, "reason"),
    ({"adjuster_id": None}, None),  # neither target
    ({"firm_id": FIRM_C}, None),  # both targets
    ({"valid_until": "2026-01-01"}, None),  # ends before it starts
    ({"valid_from": "2026-13-01"}, "valid_from"),
    ({"adjuster_id": "not-a-uuid"}, "adjuster_id"),
]


def test_bad_blacklist_input_is_422_and_only_the_broker_blacklists(env) -> None:
    before = counts(env)
    for over, field in BAD_ENTRIES:
        if "firm_id" in over:
            over = {"firm_id": org_id(env, FIRM_C)}
        r = env.client("broker").post("/api/v1/blacklist", json=entry_body(env, **over))
        assert r.status_code == 422, (over, r.text)
        if field:
            assert field in r.json()["error"]["fields"], (over, r.text)
    for user in ("insurer1", "adjuster1", "insured1", "regulator"):
        r = env.client(user).post("/api/v1/blacklist", json=entry_body(env))
        assert r.status_code == 403, (user, r.text)
    r = env.client("broker").post(
        "/api/v1/blacklist", json=entry_body(env, adjuster_id="00000000-0000-4000-8000-000000000000")
    )
    assert r.status_code == 404
    assert counts(env) == before


# ---- blacklist: lift ------------------------------------------------------------------------------


def entry_id(env) -> str:
    with env.session() as s:
        return str(s.execute(select(BlacklistEntry.id)).scalar_one())


def test_lift_with_reason_then_lifting_again_is_409(env) -> None:
    eid, c = entry_id(env), env.client("broker")
    before = counts(env)
    r = c.post(f"/api/v1/blacklist/{eid}/lift", json={"reason": "申诉成立，撤销"})
    assert r.status_code == 200, r.text
    assert (r.json()["state"], r.json()["in_force"]) == ("lifted", False)
    assert counts(env) == (before[0], before[1], before[2] + 1)
    with env.session() as s:
        ev = audit.events_for_entity(s, "blacklist_entry", eid)[-1]
        assert (ev.action, ev.reason, ev.before, ev.after) == (
            "blacklist.lifted",
            "申诉成立，撤销",
            {"state": "active"},
            {"state": "lifted"},
        )
        assert ev.actor_user_id == s.execute(select(User.id).where(User.username == "broker")).scalar_one()
    assert view(env, "broker", "何雪梅")["assignable"] is True

    r = c.post(f"/api/v1/blacklist/{eid}/lift", json={"reason": "again"})
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "state.illegal_transition"
    assert counts(env) == (before[0], before[1], before[2] + 1)


def test_lift_needs_a_reason(env) -> None:
    before = counts(env)
    for body in ({}, {"reason": ""}, {"reason": "  "}):
        r = env.client("broker").post(f"/api/v1/blacklist/{entry_id(env)}/lift", json=body)
        assert r.status_code == 422, body
        assert "reason" in r.json()["error"]["fields"], body
    assert counts(env) == before
    assert env.client("broker").get(f"/api/v1/blacklist/{entry_id(env)}").json()["state"] == "active"


def test_the_blacklisted_firm_sees_the_entry_but_cannot_lift_it(env) -> None:
    c = env.client("adjuster3")  # 何雪梅's firm
    assert c.get(f"/api/v1/blacklist/{entry_id(env)}").status_code == 200
    r = c.post(f"/api/v1/blacklist/{entry_id(env)}/lift", json={"reason": "我们不同意"})
    assert r.status_code == 403
    assert env.client("broker").get(f"/api/v1/blacklist/{entry_id(env)}").json()["state"] == "active"


def test_two_concurrent_lifts_have_exactly_one_winner(env) -> None:
    eid = entry_id(env)
    with env.session() as s:
        user = s.execute(select(User).where(User.username == "broker")).scalar_one()
        actor = Actor.from_user(user)
    # On PostgreSQL both transactions read the entry as active before either writes, so the loser's
    # conditional UPDATE matches nothing. On SQLite BEGIN IMMEDIATE serialises the two transactions,
    # so the loser reads "lifted". Either way exactly one commits.
    preload = env.backend == "postgresql"
    barrier = threading.Barrier(2, timeout=30)
    outcomes: list[Any] = [None, None]

    def lift(i: int) -> None:
        try:
            if not preload:
                barrier.wait()
            with env.session() as s:
                try:
                    if preload:
                        assert scope.get_blacklist_entry(s, actor, eid).state == "active"
                        barrier.wait()
                    service.lift_blacklist_entry(s, actor, eid, at=env.clock.now(), reason=f"lift {i}")
                    s.commit()
                    outcomes[i] = "won"
                except Exception:
                    s.rollback()
                    raise
        except Exception as exc:
            outcomes[i] = exc

    threads = [threading.Thread(target=lift, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert outcomes.count("won") == 1, outcomes
    (loser,) = [o for o in outcomes if o != "won"]
    assert isinstance(loser, Conflict), repr(loser)
    assert isinstance(loser, StateChanged if preload else IllegalTransition), repr(loser)
    with env.session() as s:
        events = [e for e in audit.events_for_entity(s, "blacklist_entry", eid) if e.action == "blacklist.lifted"]
        assert len(events) == 1
        assert s.get(BlacklistEntry, uuid.UUID(eid)).state == "lifted"
        assert audit.verify(s) == []
