"""The neutrality process through the API (R-C7): finding → second reviewer → notice (PDF) → answer →
upheld; past the tolerance a proposal → decision (blacklist 12 months) → excluded from routing → appeal →
lifted → routed again; and each step's rules (who may act, when, what each party sees)."""

from __future__ import annotations

import datetime as dt
import threading
import uuid

import pytest
from sqlalchemy import select

from tandem.audit.models import AuditEvent
from tandem.neutrality.models import Finding, Proposal
from tandem.notification.models import Notification, OutboxJob
from tandem.party.models import BlacklistEntry
from tandem.worker import runner
from tests.helpers import _body, _ok, logged_in, policy_id

WANG = "王建国"  # adjuster1, designated on PQC2026330400001


def new_claim(env) -> dict:
    return _ok(env.client("insured1").post("/api/v1/claims", json=_body(policy_id(env, "PQC2026330400001"))), 201)


def adjuster_id(env, name: str = WANG) -> str:
    items = _ok(env.client("broker").get("/api/v1/adjusters?limit=200"))["items"]
    return next(a["id"] for a in items if a["name"] == name)


def finding(env, claim: dict, *, severity: str = "minor", by: str = "risk") -> dict:
    body = {
        "adjuster_id": claim["adjuster"]["id"],
        "case_id": claim["id"],
        "kind": "leans_to_appointer",
        "severity": severity,
        "text": "报告定损金额较协商结果高出12%，且未说明依据",
    }
    return _ok(env.client(by).post("/api/v1/neutrality/findings", json=body), 201)


def move_to(env, when: dt.datetime) -> None:
    env.clock.current = when
    env._clients.clear()  # the tokens expired with the moved clock: log in again


def work(env) -> None:
    """Run the outbox until nothing is due now (PDFs, reminders, deadlines, digests)."""
    env.settings.smtp_port = 1  # e-mails stay queued; the steps are what the tests check
    for _ in range(5):
        stats = runner.run_once(env.factory, env.settings, env.clock)
        if not stats.done:
            return


def upheld_notice(env, claim: dict) -> dict:
    """A finding by risk, confirmed by risk2, answered by the adjuster, upheld by risk2."""
    f = finding(env, claim)
    f = _ok(env.client("risk2").post(f"/api/v1/neutrality/findings/{f['id']}/confirm", json={"reason": "核实无误"}))
    _ok(env.client("adjuster1").post(f"/api/v1/neutrality/findings/{f['id']}/answer", json={"answer": "定损有据"}))
    return _ok(env.client("risk2").post(f"/api/v1/neutrality/findings/{f['id']}/uphold", json={"reason": "答复不成立"}))


def recommended(env, claim: dict) -> tuple[list[str], dict[str, list[str]]]:
    data = _ok(env.client("broker").get(f"/api/v1/claims/{claim['id']}/adjuster-recommendations"))
    excluded = {e["adjuster"]["name"]: e["reasons"] for e in data["excluded"]}
    return [x["adjuster"]["name"] for x in data["recommended"]], excluded


def test_journey_finding_to_blacklist_appeal_and_routing_again(env):
    first = new_claim(env)
    assert first["adjuster"]["name"] == WANG
    f = finding(env, first)
    assert f["state"] == "recorded" and f["number"].startswith("TB-2026-")
    # Before confirmation the finding is the broker's own: the firm does not see it.
    assert env.client("adjuster1").get(f"/api/v1/neutrality/findings/{f['id']}").status_code == 404
    # The finder cannot be the second reviewer.
    r = env.client("risk").post(f"/api/v1/neutrality/findings/{f['id']}/confirm", json={"reason": "x"})
    assert r.status_code == 403
    f = _ok(env.client("risk2").post(f"/api/v1/neutrality/findings/{f['id']}/confirm", json={"reason": "核实无误"}))
    assert f["state"] == "notified" and f["answer_due"] and f["actions"] == ["withdraw"]
    # Ten working days from Wed 25 Nov 2026: 9 Dec, 23:59 Beijing time.
    assert dt.datetime.fromisoformat(f["answer_due"]) == dt.datetime(2026, 12, 9, 15, 59, 59, 999999, tzinfo=dt.UTC)
    work(env)
    pdf = env.client("adjuster1").get(f"/api/v1/neutrality/findings/{f['id']}/notice.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    seen = _ok(env.client("adjuster1").get(f"/api/v1/neutrality/findings/{f['id']}"))
    assert seen["actions"] == ["answer"] and seen["pdf"]
    _ok(env.client("adjuster1").post(f"/api/v1/neutrality/findings/{f['id']}/answer", json={"answer": "定损有据"}))
    r = env.client("risk").post(f"/api/v1/neutrality/findings/{f['id']}/uphold", json={"reason": "x"})
    assert r.status_code == 403  # not by the finder
    f = _ok(env.client("risk2").post(f"/api/v1/neutrality/findings/{f['id']}/uphold", json={"reason": "答复不成立"}))
    assert f["state"] == "upheld" and not f["upheld_by_default"]

    # A second and a third upheld notice within the window: past the tolerance (2), a proposal opens.
    upheld_notice(env, new_claim(env))
    queue = _ok(env.client("risk").get("/api/v1/neutrality/queue"))
    assert queue["proposals"] == []
    upheld_notice(env, new_claim(env))
    queue = _ok(env.client("broker").get("/api/v1/neutrality/queue"))
    (proposal,) = queue["proposals"]
    assert proposal["trigger"] == "tolerance" and len(proposal["notices"]) == 3
    assert proposal["actions"] == ["list", "not_list"]
    # Never listed by itself: the adjuster is still routed.
    assert new_claim(env)["adjuster"]["name"] == WANG

    decision = {"outcome": "blacklist", "reason": "三次通报均维持，超过容时容差", "term_months": 12}
    r = env.client("risk").post(f"/api/v1/neutrality/proposals/{proposal['id']}/decide", json=decision)
    assert r.status_code == 403  # decided by an account manager
    p = _ok(env.client("broker").post(f"/api/v1/neutrality/proposals/{proposal['id']}/decide", json=decision))
    assert p["state"] == "listed" and p["valid_from"] == "2026-11-25" and p["valid_until"] == "2027-11-24"

    # Excluded from the next claim's routing, with the reason `blacklisted` only.
    nxt = new_claim(env)
    assert nxt["status"] == "notified" and nxt["adjuster"] is None
    names, excluded = recommended(env, nxt)
    assert WANG not in names and excluded[WANG] == ["blacklisted"]
    # The insured and the insurer see that the designated adjuster was passed over as `blacklisted`, no more.
    for user in ("insured1", "insurer1"):
        timeline = _ok(env.client(user).get(f"/api/v1/claims/{nxt['id']}/case"))["timeline"]
        (passed,) = [e for e in timeline if e["action"] == "routing.designated_not_eligible"]
        assert passed["after"]["reasons"] == ["blacklisted"] and passed["after"]["adjuster"] == WANG, user
        assert not any(e["action"].startswith("neutrality.") for e in timeline), user
    page = logged_in(env, "insured1").get(f"/claims/{nxt['id']}").text
    assert "列入经纪人黑名单" in page.split('id="timeline"')[1]
    assert env.client("insurer1").get(f"/api/v1/neutrality/proposals/{p['id']}").status_code == 404
    assert env.client("insured1").get(f"/api/v1/neutrality/findings/{f['id']}").status_code == 404

    # The firm appeals; the decider and those behind the notices may not decide it; broker2 may.
    p = _ok(env.client("adjuster1").post(f"/api/v1/neutrality/proposals/{p['id']}/appeal", json={"reason": "证据不足"}))
    assert p["state"] == "appealed"
    grant = {"outcome": "granted", "reason": "复核后证据不足以列入黑名单"}
    for user in ("broker", "risk", "risk2"):
        r = env.client(user).post(f"/api/v1/neutrality/proposals/{p['id']}/appeal/decide", json=grant)
        assert r.status_code == 403, user
    p = _ok(env.client("broker2").post(f"/api/v1/neutrality/proposals/{p['id']}/appeal/decide", json=grant))
    assert p["state"] == "lifted" and p["entry_state"] == "lifted"

    # Routed again: the designated adjuster gets the next claim.
    env.clock.advance(hours=1)
    assert new_claim(env)["adjuster"]["name"] == WANG

    # Everything is on the record: the adjuster's page, supervision read-only, the audit chain.
    record = _ok(env.client("adjuster1").get(f"/api/v1/neutrality/adjusters/{first['adjuster']['id']}/record"))
    assert len(record["notices"]) == 3 and [d["state"] for d in record["decisions"]] == ["lifted"]
    assert all(n["answer"] == "定损有据" for n in record["notices"])
    sup = _ok(env.client("regulator").get(f"/api/v1/neutrality/adjusters/{first['adjuster']['id']}/record"))
    assert len(sup["notices"]) == 3 and sup["decisions"][0]["actions"] == []
    assert (
        env.client("insurer1").get(f"/api/v1/neutrality/adjusters/{first['adjuster']['id']}/record").status_code == 404
    )
    with env.session() as s:
        actions = list(s.execute(select(AuditEvent.action).where(AuditEvent.action.like("neutrality.%"))).scalars())
        lifted = s.execute(select(BlacklistEntry).where(BlacklistEntry.state == "lifted")).scalars().all()
        told = s.execute(select(Notification.subject).where(Notification.link == f"/neutrality/proposals/{p['id']}"))
        subjects = list(told.scalars())
    assert actions.count("neutrality.notice_issued") == 3 and actions.count("neutrality.notice_upheld") == 3
    assert {
        "neutrality.proposal_opened",
        "neutrality.listed",
        "neutrality.appealed",
        "neutrality.appeal_granted",
    } <= set(actions)
    assert len(lifted) == 1 and lifted[0].lines == []
    assert any("王建国" in s for s in subjects)


def test_no_answer_is_upheld_by_default_after_a_reminder(env):
    f = finding(env, new_claim(env))
    f = _ok(env.client("risk2").post(f"/api/v1/neutrality/findings/{f['id']}/confirm", json={"reason": "核实"}))
    work(env)
    with env.session() as s:
        assert s.get(Finding, uuid.UUID(f["id"])).reminded_at is None
    # The working day before the deadline (Tue 8 Dec), 09:00 Beijing time: the reminder.
    move_to(env, dt.datetime(2026, 12, 8, 1, 0, tzinfo=dt.UTC))
    work(env)
    with env.session() as s:
        row = s.get(Finding, uuid.UUID(f["id"]))
        assert row.reminded_at is not None and row.state == "notified"
    move_to(env, dt.datetime(2026, 12, 9, 15, 59, tzinfo=dt.UTC))
    work(env)
    assert _ok(env.client("risk").get(f"/api/v1/neutrality/findings/{f['id']}"))["state"] == "notified"
    move_to(env, dt.datetime(2026, 12, 9, 16, 0, tzinfo=dt.UTC))
    work(env)
    out = _ok(env.client("adjuster1").get(f"/api/v1/neutrality/findings/{f['id']}"))
    assert out["state"] == "upheld" and out["upheld_by_default"] and out["decided_by"] is None
    r = env.client("adjuster1").post(f"/api/v1/neutrality/findings/{f['id']}/answer", json={"answer": "迟到的答复"})
    assert r.status_code == 409


def test_an_answered_notice_is_not_upheld_by_default(env):
    f = finding(env, new_claim(env))
    _ok(env.client("risk2").post(f"/api/v1/neutrality/findings/{f['id']}/confirm", json={"reason": "核实"}))
    _ok(env.client("adjuster1").post(f"/api/v1/neutrality/findings/{f['id']}/answer", json={"answer": "已说明"}))
    move_to(env, dt.datetime(2026, 12, 10, 2, 0, tzinfo=dt.UTC))
    work(env)
    out = _ok(env.client("risk").get(f"/api/v1/neutrality/findings/{f['id']}"))
    assert out["state"] == "answered" and out["reminded_at"] is None
    out = _ok(env.client("broker").post(f"/api/v1/neutrality/findings/{f['id']}/withdraw", json={"reason": "答复成立"}))
    assert out["state"] == "withdrawn"


def test_rejected_finding_is_no_notice(env):
    f = finding(env, new_claim(env))
    f = _ok(env.client("risk2").post(f"/api/v1/neutrality/findings/{f['id']}/reject", json={"reason": "证据不足"}))
    assert f["state"] == "rejected"
    assert env.client("adjuster1").get(f"/api/v1/neutrality/findings/{f['id']}").status_code == 404
    with env.session() as s:
        topics = list(s.execute(select(OutboxJob.topic).where(OutboxJob.topic.like("neutrality.%"))).scalars())
    assert topics == []


def test_one_serious_upheld_notice_opens_a_proposal_and_no_listing_closes_it(env):
    f = finding(env, new_claim(env), severity="serious")
    _ok(env.client("risk2").post(f"/api/v1/neutrality/findings/{f['id']}/confirm", json={"reason": "核实"}))
    _ok(env.client("adjuster1").post(f"/api/v1/neutrality/findings/{f['id']}/answer", json={"answer": "不同意"}))
    _ok(env.client("broker").post(f"/api/v1/neutrality/findings/{f['id']}/uphold", json={"reason": "维持"}))
    (p,) = _ok(env.client("broker").get("/api/v1/neutrality/queue"))["proposals"]
    assert p["trigger"] == "serious"
    assert env.client("adjuster1").get(f"/api/v1/neutrality/proposals/{p['id']}").status_code == 404  # still internal
    p = _ok(
        env.client("broker").post(
            f"/api/v1/neutrality/proposals/{p['id']}/decide", json={"outcome": "no_listing", "reason": "情节轻微"}
        )
    )
    assert p["state"] == "not_listed" and p["entry_id"] is None
    assert _ok(env.client("adjuster1").get(f"/api/v1/neutrality/proposals/{p['id']}"))["actions"] == []


def test_listing_scoped_to_a_line_and_ending_at_term(env):
    """A listing for named lines excludes only from those lines; at its term it ends and routing sees the
    adjuster again (the worker's end-of-term job)."""
    _ok(env.client("broker").put("/api/v1/neutrality/tolerance", json={"tolerance": 0, "window_months": 6}))
    upheld_notice(env, new_claim(env))
    (p,) = _ok(env.client("broker").get("/api/v1/neutrality/queue"))["proposals"]
    decision = {"outcome": "blacklist", "reason": "超过容差", "term_months": 1, "lines": ["货物运输保险"]}
    p = _ok(env.client("broker").post(f"/api/v1/neutrality/proposals/{p['id']}/decide", json=decision))
    assert p["lines"] == ["货物运输保险"] and p["valid_until"] == "2026-12-24"
    assert new_claim(env)["adjuster"]["name"] == WANG  # an 企业财产保险 claim: not in scope

    _ok(env.client("broker").put("/api/v1/neutrality/tolerance", json={"tolerance": 0, "window_months": 6}))
    with env.session() as s:
        entry = s.get(BlacklistEntry, uuid.UUID(p["entry_id"]))
        entry.lines = []  # the same entry, all lines: now it excludes
        s.commit()
    assert new_claim(env)["status"] == "notified"
    move_to(env, dt.datetime(2026, 12, 24, 16, 0, tzinfo=dt.UTC))  # 25 Dec 00:00 Beijing time
    work(env)
    with env.session() as s:
        assert s.get(BlacklistEntry, uuid.UUID(p["entry_id"])).state == "ended"
        assert "blacklist.ended" in set(s.execute(select(AuditEvent.action)).scalars())
    assert new_claim(env)["adjuster"]["name"] == WANG


def test_upheld_notices_leave_the_window(env):
    _ok(env.client("broker").put("/api/v1/neutrality/tolerance", json={"tolerance": 1, "window_months": 1}))
    upheld_notice(env, new_claim(env))
    move_to(env, dt.datetime(2026, 12, 28, 2, 0, tzinfo=dt.UTC))  # before the annual review lapses (31 Dec)
    upheld_notice(env, new_claim(env))
    assert _ok(env.client("broker").get("/api/v1/neutrality/queue"))["proposals"] == []
    record = _ok(env.client("broker").get(f"/api/v1/neutrality/adjusters/{adjuster_id(env)}/record"))
    assert record["counting"] == 1 and len(record["notices"]) == 2
    assert record["tolerance"] == {"tolerance": 1, "window_months": 1}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "lazy"}, "kind"),
        ({"severity": "grave"}, "severity"),
        ({"text": ""}, "text"),
        ({"adjuster_id": "not-a-uuid"}, "adjuster_id"),
        ({"remark": "x"}, "remark"),
    ],
)
def test_bad_finding_names_the_field(env, body, field):
    claim = new_claim(env)
    base = {
        "adjuster_id": claim["adjuster"]["id"],
        "case_id": claim["id"],
        "kind": "procedure",
        "severity": "minor",
        "text": "未按约定时限查勘",
    }
    r = env.client("risk").post("/api/v1/neutrality/findings", json={**base, **body})
    assert r.status_code == 422 and field in r.json()["error"]["fields"], r.text


def test_finding_rules_who_and_on_what(env):
    claim = new_claim(env)
    base = {"case_id": claim["id"], "kind": "procedure", "severity": "minor", "text": "未按约定时限查勘"}
    # An adjuster who did not work on the case: 422 naming the adjuster.
    r = env.client("risk").post("/api/v1/neutrality/findings", json={**base, "adjuster_id": adjuster_id(env, "张伟")})
    assert r.status_code == 422 and "adjuster_id" in r.json()["error"]["fields"]
    # Only risk evaluators record findings.
    r = env.client("broker").post("/api/v1/neutrality/findings", json={**base, "adjuster_id": claim["adjuster"]["id"]})
    assert r.status_code == 403
    # The tolerance is the account manager's to set; bad values name the field.
    assert (
        env.client("risk").put("/api/v1/neutrality/tolerance", json={"tolerance": 1, "window_months": 6}).status_code
        == 403
    )
    r = env.client("broker").put("/api/v1/neutrality/tolerance", json={"tolerance": -1, "window_months": 6})
    assert r.status_code == 422 and "tolerance" in r.json()["error"]["fields"]
    assert _ok(env.client("broker").get("/api/v1/neutrality/tolerance")) == {"tolerance": 2, "window_months": 12}


def test_regulator_reads_notices_but_writes_nothing(env):
    f = finding(env, new_claim(env))
    assert env.client("regulator").get(f"/api/v1/neutrality/findings/{f['id']}").status_code == 404
    _ok(env.client("risk2").post(f"/api/v1/neutrality/findings/{f['id']}/confirm", json={"reason": "核实"}))
    out = _ok(env.client("regulator").get(f"/api/v1/neutrality/findings/{f['id']}"))
    assert out["state"] == "notified" and out["actions"] == []
    r = env.client("regulator").post(f"/api/v1/neutrality/findings/{f['id']}/withdraw", json={"reason": "x"})
    assert r.status_code == 403


def open_proposal(env) -> dict:
    _ok(env.client("broker").put("/api/v1/neutrality/tolerance", json={"tolerance": 0, "window_months": 12}))
    upheld_notice(env, new_claim(env))
    (p,) = _ok(env.client("broker").get("/api/v1/neutrality/queue"))["proposals"]
    return p


def decisions_of(env, proposal_id: str) -> tuple[Proposal, int, int]:
    with env.session() as s:
        row = s.get(Proposal, uuid.UUID(proposal_id))
        entries = s.execute(select(BlacklistEntry).where(BlacklistEntry.adjuster_id == row.adjuster_id)).scalars()
        decided = s.execute(
            select(AuditEvent).where(
                AuditEvent.entity_id == proposal_id,
                AuditEvent.action.in_(["neutrality.listed", "neutrality.not_listed"]),
            )
        ).scalars()
        return row, len(entries.all()), len(decided.all())


def test_concurrent_decisions_on_one_proposal_exactly_one_wins(env):
    """Two account managers decide the same open proposal at the same moment: one 200, one 409."""
    p = open_proposal(env)
    bodies = {
        "broker": {"outcome": "blacklist", "reason": "超过容差", "term_months": 12},
        "broker2": {"outcome": "no_listing", "reason": "不列入"},
    }
    clients = {u: env.client(u) for u in bodies}
    codes: dict[str, int] = {}

    def go(user: str) -> None:
        r = clients[user].post(f"/api/v1/neutrality/proposals/{p['id']}/decide", json=bodies[user])
        codes[user] = r.status_code

    threads = [threading.Thread(target=go, args=(u,)) for u in bodies]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes.values()) == [200, 409], codes
    row, entries, decided = decisions_of(env, p["id"])
    winner = next(u for u, c in codes.items() if c == 200)
    assert row.state == ("listed" if winner == "broker" else "not_listed") and decided == 1
    assert entries == (1 if winner == "broker" else 0)


def test_two_sessions_reading_one_open_proposal_exactly_one_decision_wins(env):
    """Both sessions read the open proposal before either writes (PostgreSQL: SQLite serialises writers
    from the first read); the second decision finds it decided and changes nothing."""
    if env.backend == "sqlite":
        pytest.skip("SQLite takes the write lock at the first read: two such sessions cannot interleave")
    from tandem.access.actor import Actor
    from tandem.access.models import User
    from tandem.kit.errors import Conflict
    from tandem.neutrality import proposals

    p = open_proposal(env)
    s1, s2 = env.session(), env.session()
    try:
        a1 = Actor.from_user(s1.execute(select(User).where(User.username == "broker")).scalar_one())
        a2 = Actor.from_user(s2.execute(select(User).where(User.username == "broker2")).scalar_one())
        pid = uuid.UUID(p["id"])
        assert s1.get(Proposal, pid).state == "open" and s2.get(Proposal, pid).state == "open"
        proposals.decide(s1, a1, p["id"], proposals.Decision(True, "超过容差", term_months=12), at=env.clock.now())
        s1.commit()
        with pytest.raises(Conflict):  # 409: state.changed or, read afresh, state.illegal_transition
            proposals.decide(s2, a2, p["id"], proposals.Decision(False, "不列入"), at=env.clock.now())
        s2.rollback()
    finally:
        s1.close()
        s2.close()
    row, entries, decided = decisions_of(env, p["id"])
    assert row.state == "listed" and entries == 1 and decided == 1


def test_evidence_documents_by_hash_and_related_cases(env):
    claim, other = new_claim(env), new_claim(env)
    case_file = _ok(
        env.client("insured1").post(
            f"/api/v1/claims/{claim['id']}/documents",
            files={"file": ("现场照片.jpg", b"\xff\xd8\xff photo", "image/jpeg")},
            data={"audience": "all"},
        ),
        201,
    )
    doc = next(d for d in case_file["documents"] if d["filename"] == "现场照片.jpg")
    body = {
        "adjuster_id": claim["adjuster"]["id"],
        "case_id": claim["id"],
        "kind": "leans_to_insured",
        "severity": "minor",
        "text": "照片显示损失范围远小于报告所列",
        "documents": [doc["id"]],
        "cases": [other["id"]],
    }
    f = _ok(env.client("risk").post("/api/v1/neutrality/findings", json=body), 201)
    kinds = {e["kind"]: e for e in f["evidence"]}
    assert kinds["document"]["sha256"] == doc["sha256"] and kinds["document"]["name"] == doc["filename"]
    assert kinds["case"]["number"] == other["number"]
    # A document of another case is no evidence here; a case the broker cannot see is not found.
    r = env.client("risk").post("/api/v1/neutrality/findings", json={**body, "case_id": other["id"]})
    assert r.status_code == 422 and "documents" in r.json()["error"]["fields"]
    r = env.client("risk").post("/api/v1/neutrality/findings", json={**body, "cases": [str(uuid.uuid4())]})
    assert r.status_code == 404


def test_the_adjuster_and_its_firm_are_told_in_their_language(env):
    f = finding(env, new_claim(env))
    _ok(env.client("risk2").post(f"/api/v1/neutrality/findings/{f['id']}/confirm", json={"reason": "核实"}))
    with env.session() as s:
        rows = s.execute(
            select(Notification.subject).where(Notification.link == f"/neutrality/findings/{f['id']}")
        ).scalars()
        subjects = list(rows)
    # adjuster1 is both 王建国 and firm A's administrator: told once; risk (a colleague) of the finding.
    assert sum(f["number"] in s and "请于" in s for s in subjects) == 1
    assert any("待第二名风险评估人员复核" in s for s in subjects)
