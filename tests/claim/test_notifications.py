"""Everyone hears what concerns them (issue 22 item 11): each step that hands the ball to a party puts a
notification in its users' inboxes (and the e-mail digest), in both journeys."""

from __future__ import annotations

from tandem.worker import runner
from tests.helpers import _ok, dispute_to_payment, inbox, notice_to_payment, said


def told(env, user: str, *events: str) -> None:
    subjects = inbox(env, user)
    for event in events:
        assert any(said(event) in s for s in subjects), (user, event, subjects)


def not_told(env, user: str, *events: str) -> None:
    subjects = inbox(env, user)
    for event in events:
        assert not any(said(event) in s for s in subjects), (user, event, subjects)


def test_paid_claim_tells_each_party_its_turn(env):
    notice_to_payment(env)
    told(env, "adjuster1", "claim.route")  # the firm: a confirmation letter to answer
    told(env, "adjuster2", "claim.team_member_added")
    told(env, "risk", "claim.submit_report")
    told(env, "broker", "claim.submit_report", "claim.confirm_amount", "claim.accept", "claim.record_final_payment")
    told(env, "insurer1", "claim.submit_report", "claim.propose")
    told(env, "insured1", "claim.submit_report", "claim.confirm_amount", "claim.advance_paid")
    told(env, "insured1", "claim.record_final_payment")
    # Nobody is told of their own step, and outsiders hear nothing.
    not_told(env, "insurer1", "claim.accept", "claim.record_final_payment")
    not_told(env, "broker", "claim.propose")
    assert inbox(env, "insured2") == [] and inbox(env, "adjuster3") == []
    subjects = inbox(env, "insured1")
    assert all("LP-" in s for s in subjects), subjects  # each names its case


def test_dispute_to_mou_tells_each_party_its_turn(env):
    dispute_to_payment(env)
    told(env, "broker", "claim.dispute", "consultation.round_closed")
    told(env, "insured1", "claim.dispute", "claim.record_final_payment")
    told(env, "adjuster1", "claim.dispute", "consultation.round_started", "consultation.round_reminder")
    told(env, "adjuster3", "claim.insurer_adjuster_appointed", "consultation.opened", "consultation.round_started")
    told(env, "adjuster3", "consultation.round_reminder", "consultation.umpire_proposed")
    told(env, "risk", "consultation.umpire_accepted", "consultation.memorandum_generated")
    for user in ("adjuster1", "adjuster3", "insurer1"):
        told(env, user, "consultation.memorandum_generated")
    not_told(env, "adjuster1", "consultation.umpire_proposed")  # firm A proposed it: firm B is asked


def test_deadline_holder_is_warned_before_and_told_after(env):
    insured = env.client("insured1")
    policy = next(p for p in insured.get("/api/v1/policies").json()["items"] if p["number"] == "PQC2026330400001")
    body = {"policy_id": policy["id"], "loss_at": "2026-11-24T22:30:00+08:00", "location": "浙江省嘉兴市"}
    _ok(insured.post("/api/v1/claims", json={**body, "description": "仓库进水", "channel": "web"}), 201)
    env.settings.smtp_port = 1  # e-mails stay queued
    env.clock.advance(hours=20)  # the firm has 24 h to answer the letter
    runner.run_once(env.factory, env.settings, env.clock)
    env._clients.clear()
    told(env, "adjuster1", "sla.warning")
    not_told(env, "adjuster1", "sla.breached")
    env.clock.advance(hours=5)
    runner.run_once(env.factory, env.settings, env.clock)
    env._clients.clear()
    told(env, "adjuster1", "sla.breached")
    told(env, "broker", "sla.breached")
