"""Retention (issue 20 item 2): a closed claim case is due 15 years after its close (the adjuster firm's
admin), a broker's business file 5 years after a one-year contract's end; the admin proposes the due list,
nothing is anonymised until the platform admin approves, then the worker replaces the personal data (never a
company's) and the audit chain still verifies."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import func, select

from tandem.access.actor import Actor
from tandem.access.models import Organisation, User
from tandem.audit import service as audit
from tandem.claim.models import Claim, ClaimStatus
from tandem.party.models import Adjuster, Insured
from tandem.policy.models import Policy
from tandem.retention import service
from tests.helpers import notice, person_file, run_jobs

UTC = dt.UTC


def _closed_claim(env) -> str:
    cid = notice(env)
    with env.session() as s, s.begin():
        claim = s.get(Claim, uuid.UUID(cid))
        adjuster1 = s.scalar(select(User).where(User.username == "adjuster1"))
        claim.adjuster_id = s.scalar(select(Adjuster.id).where(Adjuster.user_id == adjuster1.id))
        claim.status = ClaimStatus.CLOSED
        claim.reporter_name, claim.reporter_phone = "沈国平", "13957312345"
        actor = Actor.from_user(adjuster1)
        audit.record(s, actor.ref, action="claim.close", entity_type="claim", entity_id=claim.id,
                     at=env.clock.now(), chain_key=f"case:{claim.case_id}")  # fmt: skip
    return cid


def _at(env, when: dt.datetime) -> None:
    env.clock.current = when
    env._clients.clear()  # log in again at the new time


def _due(env, user: str, **params: str):
    return env.client(user).get("/api/v1/retention/due", params=params)


def test_due_proposed_approved_then_anonymised(env) -> None:
    cid = _closed_claim(env)
    pid = person_file(env)
    # Nothing due today; the business file (2026-12-31 + 5 years) is due first, the case 15 years after close.
    assert _due(env, "adjuster1").json()["items"] == []
    assert _due(env, "broker").json()["counts"] == {"claim_case": 0, "business_file": 0}
    _at(env, dt.datetime(2032, 1, 2, tzinfo=UTC))
    broker_due = _due(env, "broker").json()
    assert broker_due["counts"]["business_file"] == 1
    assert [(i["id"], i["due_on"]) for i in broker_due["items"]] == [(pid, "2031-12-31")]
    assert _due(env, "adjuster1").json()["items"] == []
    _at(env, dt.datetime(2041, 11, 26, tzinfo=UTC))
    case_due = _due(env, "adjuster1").json()
    assert [(i["id"], i["kind"], i["due_on"]) for i in case_due["items"]] == [(cid, "claim_case", "2041-11-25")]
    # Access: not an admin -> 403; another firm's admin sees its own (empty) list; others 403.
    assert _due(env, "insurer1").status_code == 403
    assert _due(env, "broker2").status_code == 403  # the broker's staff, not its admin
    assert _due(env, "adjuster3").json()["items"] == []
    # The firm's admin proposes; it cannot approve its own run; another firm's admin gets 404.
    run = env.client("adjuster1").post("/api/v1/retention/runs", json={})
    assert run.status_code == 201, run.text
    rid = run.json()["id"]
    url = f"/api/v1/retention/runs/{rid}/decision"
    assert env.client("adjuster1").post(url, json={"action": "approve"}).status_code == 403
    assert env.client("adjuster3").post(url, json={"action": "approve"}).status_code == 404
    assert env.client("adjuster1").post("/api/v1/retention/runs", json={}).status_code == 422  # all taken
    run_jobs(env)
    with env.session() as s:
        assert s.get(Claim, uuid.UUID(cid)).reporter_name == "沈国平"  # nothing before approval
    approved = env.client("admin").post(url, json={"action": "approve"})
    assert approved.status_code == 200 and approved.json()["state"] == "approved"
    assert env.client("admin").post(url, json={"action": "approve"}).status_code == 409
    run_jobs(env)
    done = env.client("adjuster1").get("/api/v1/retention/runs").json()[0]
    assert done["state"] == "done" and "claim.reporter_phone" in done["items"][0]["fields"]
    with env.session() as s:
        claim = s.get(Claim, uuid.UUID(cid))
        assert (claim.reporter_name, claim.reporter_phone) == ("[anonymised]", None)
        assert s.get(Organisation, claim.insurer_id).name  # a company's data is kept
        assert audit.verify(s) == []
        actions = s.scalars(select(audit.AuditEvent.action).where(audit.AuditEvent.entity_id == rid)).all()
        assert list(actions) == ["retention.proposed", "retention.approved", "retention.done"]


def test_broker_file_of_a_person_rejected_then_approved(env) -> None:
    pid = person_file(env)
    with env.session() as s:  # the person's other policy (PQC2026330100003) ends the same day: not later
        person_id = s.get(Policy, uuid.UUID(pid)).insured_id
        last = s.scalar(select(func.max(Policy.period_end)).where(Policy.insured_id == person_id))
        assert last == dt.date(2026, 12, 31)
    _at(env, dt.datetime(2032, 1, 2, tzinfo=UTC))
    rid = env.client("broker").post("/api/v1/retention/runs", json={"as_of": "2032-01-01"}).json()["id"]
    url = f"/api/v1/retention/runs/{rid}/decision"
    assert env.client("admin").post(url, json={"action": "reject"}).json()["state"] == "rejected"
    run_jobs(env)
    with env.session() as s:
        person = s.get(Insured, s.get(Policy, uuid.UUID(pid)).insured_id)
        assert person.contact_name == "杨慧敏"
    rid = env.client("broker").post("/api/v1/retention/runs", json={}).json()["id"]  # due again once rejected
    env.client("admin").post(f"/api/v1/retention/runs/{rid}/decision", json={"action": "approve"})
    run_jobs(env)
    with env.session() as s:
        person = s.get(Insured, s.get(Policy, uuid.UUID(pid)).insured_id)
        assert (person.contact_name, person.contact_phone, person.address) == ("[anonymised]", None, None)
        assert person.id_number.startswith("ANON") and "杨慧敏" not in person.organisation.name
        assert audit.verify(s) == []


def test_file_years_by_term_and_leap_day() -> None:
    one = Policy(period_start=dt.date(2026, 1, 1), period_end=dt.date(2027, 1, 1))
    longer = Policy(period_start=dt.date(2026, 1, 1), period_end=dt.date(2027, 1, 2))
    assert (service.file_years(one), service.file_years(longer)) == (5, 10)
    assert service.add_years(dt.date(2028, 2, 29), 15) == dt.date(2043, 2, 28)


def test_a_person_with_a_later_contract_is_kept(env) -> None:
    pid = person_file(env)
    with env.session() as s, s.begin():
        later = s.scalar(select(Policy).where(Policy.number == "PQC2026330100003"))
        later.period_end = dt.date(2027, 6, 30)
    _at(env, dt.datetime(2032, 1, 2, tzinfo=UTC))
    rid = env.client("broker").post("/api/v1/retention/runs", json={}).json()["id"]
    env.client("admin").post(f"/api/v1/retention/runs/{rid}/decision", json={"action": "approve"})
    run_jobs(env)
    done = env.client("broker").get("/api/v1/retention/runs").json()[0]
    assert done["state"] == "done" and done["items"][0]["id"] == pid and done["items"][0]["fields"] == []
    with env.session() as s:
        assert s.get(Insured, s.get(Policy, uuid.UUID(pid)).insured_id).contact_name == "杨慧敏"
