"""Recovery (追偿, issue 16 item 5): after the insurer ends a policy the broker claims the itemised loss from
it for the insured; the insurer counters, the broker demands again, the insurer accepts and pays — or
refuses and the broker escalates to arbitration and records the outcome. Deadlines remind on a moved clock."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from tandem.audit.models import AuditEvent
from tandem.kit.clock import SHANGHAI
from tandem.policy.inforce_models import RecoveryStep
from tests.helpers import POLICY1, inbox, policy_id, run_jobs, terminated_by_insurer

HEADS = [
    {"head": "refund_due", "amount": "1380.82", "evidence": "解除通知书及保费发票"},
    {"head": "replacement_cost", "amount": "2619.18", "evidence": "新保单报价 4000.00 减退费 1380.82"},
    {"head": "other_costs", "amount": "500.00", "evidence": "重新投保的验标费用发票"},
]


def _open(env, pid: str, heads: list[dict[str, Any]] | None = None):
    body = {"heads": HEADS if heads is None else heads, "reasons": "保险人解除合同给被保险人造成的损失"}
    return env.client("broker").post(f"/api/v1/policies/{pid}/recoveries", json=body)


def _act(env, user: str, pid: str, rid: str, action: str, **body: Any):
    return env.client(user).post(f"/api/v1/policies/{pid}/recoveries/{rid}/actions", json={"action": action, **body})


def _today(env) -> dt.date:
    return env.clock.now().astimezone(SHANGHAI).date()


def test_countered_then_accepted_and_paid_with_steps_and_audit(env) -> None:
    pid = terminated_by_insurer(env)
    r = _open(env, pid)
    assert r.status_code == 201, r.text
    rec = r.json()
    assert (rec["status"], rec["amount"], rec["round"]) == ("demanded", "4500.00", 1)
    assert rec["answer_due"] == (_today(env) + dt.timedelta(days=15)).isoformat()
    rid = rec["id"]
    assert _open(env, pid).status_code == 409  # one under way at a time
    assert _act(env, "broker", pid, rid, "accept").status_code == 403  # the insurer's move
    countered = _act(env, "underwriter1", pid, rid, "counter", amount="3000.00", reasons="重新投保费用偏高")
    assert countered.status_code == 200, countered.text
    assert countered.json()["status"] == "countered"
    assert _act(env, "underwriter1", pid, rid, "accept").status_code == 409  # not its turn now
    again = _act(env, "broker", pid, rid, "demand", amount="4000.00", reasons="附市场询价三份")
    assert (again.json()["status"], again.json()["round"], again.json()["amount"]) == ("demanded", 2, "4000.00")
    accepted = _act(env, "insurer1", pid, rid, "accept").json()
    assert (accepted["status"], accepted["agreed"]) == ("accepted", "4000.00")
    assert accepted["payment_due"] == (_today(env) + dt.timedelta(days=10)).isoformat()
    paid = _act(env, "underwriter1", pid, rid, "pay", amount="4000.00", on_date=_today(env).isoformat()).json()
    assert (paid["status"], paid["paid"], paid["may"]) == ("paid", "4000.00", [])
    assert [s["action"] for s in paid["steps"]] == ["demand", "counter", "demand", "accept", "pay"]
    assert [s["round"] for s in paid["steps"]] == [1, 1, 2, 2, 2]
    # The insured reads it; another insured gets 404, as for a policy that does not exist.
    mine = env.client("insured1").get(f"/api/v1/policies/{pid}/recoveries")
    assert mine.status_code == 200 and mine.json()[0]["status"] == "paid" and mine.json()[0]["may"] == []
    assert env.client("insured2").get(f"/api/v1/policies/{pid}/recoveries").status_code == 404
    assert _act(env, "insured2", pid, rid, "close", reasons="x").status_code == 404
    with env.session() as s:
        events = s.execute(select(AuditEvent.action).where(AuditEvent.entity_id == rid)).scalars().all()
        assert events == [f"recovery.{a}" for a in ("demand", "counter", "demand", "accept", "pay")]
        amounts = [x.amount for x in s.execute(select(RecoveryStep).order_by(RecoveryStep.number)).scalars()]
        assert amounts == [Decimal(a) for a in ("4500.00", "3000.00", "4000.00", "4000.00", "4000.00")]
    assert any("4500.00" in m for m in inbox(env, "underwriter1"))


def test_refused_then_arbitration_and_its_outcome(env) -> None:
    pid = terminated_by_insurer(env)
    rid = _open(env, pid).json()["id"]
    assert _act(env, "underwriter1", pid, rid, "refuse").json()["error"]["fields"]["reasons"]
    assert _act(env, "underwriter1", pid, rid, "refuse", reasons="解除系因被保险人违约").json()["status"] == "refused"
    bad = _act(env, "broker", pid, rid, "escalate", on_date=_today(env).isoformat())
    assert bad.status_code == 422 and "channel" in bad.json()["error"]["fields"]
    future = (_today(env) + dt.timedelta(days=3)).isoformat()
    late = _act(env, "broker", pid, rid, "escalate", channel="arbitration", on_date=future)
    assert late.status_code == 422 and "on_date" in late.json()["error"]["fields"]
    esc = _act(env, "broker", pid, rid, "escalate", channel="arbitration", on_date=_today(env).isoformat(),
               reasons="向上海仲裁委员会申请仲裁")  # fmt: skip
    assert esc.json()["status"] == "escalated" and esc.json()["steps"][-1]["channel"] == "arbitration"
    decided = _act(env, "broker", pid, rid, "decide", amount="3800.00", reasons="仲裁裁决保险人赔付 3800 元",
                   on_date=_today(env).isoformat()).json()  # fmt: skip
    assert (decided["status"], decided["agreed"]) == ("decided", "3800.00")
    assert "pay" in decided["may"]


def test_bad_input_names_the_field_and_only_the_insurers_end_is_recovered(env) -> None:
    pid = policy_id(env, POLICY1)
    assert _open(env, pid).status_code == 409  # in force: nothing to recover
    pid = terminated_by_insurer(env)
    empty = _open(env, pid, [])
    assert empty.status_code == 422 and "heads" in empty.json()["error"]["fields"]
    no_evidence = _open(env, pid, [{"head": "other_costs", "amount": "10.00", "evidence": ""}])
    assert no_evidence.status_code == 422 and "heads" in str(no_evidence.json()["error"]["fields"])
    rid = _open(env, pid).json()["id"]
    no_amount = _act(env, "underwriter1", pid, rid, "counter", reasons="偏高")
    assert no_amount.status_code == 422 and "amount" in no_amount.json()["error"]["fields"]
    with env.session() as s:  # nothing half-written
        assert len(s.execute(select(RecoveryStep)).scalars().all()) == 1


def test_deadlines_remind_the_insurer_and_tell_the_broker_on_a_moved_clock(env) -> None:
    pid = terminated_by_insurer(env)
    rec = _open(env, pid).json()
    due = dt.date.fromisoformat(rec["answer_due"])
    nine = dt.time(9, 0, tzinfo=SHANGHAI)
    run_jobs(env)
    reminded = [m for m in inbox(env, "underwriter1") if due.isoformat() in m]
    assert len(reminded) == 1  # the demand itself names the date; no reminder yet
    env.clock.current = dt.datetime.combine(due - dt.timedelta(days=3), nine).astimezone(dt.UTC) + dt.timedelta(
        minutes=1
    )
    env._clients.clear()
    run_jobs(env)
    assert len([m for m in inbox(env, "underwriter1") if due.isoformat() in m]) == 2
    assert not any(due.isoformat() in m for m in inbox(env, "broker"))  # not overdue yet
    env.clock.current = dt.datetime.combine(due + dt.timedelta(days=1), nine).astimezone(dt.UTC) + dt.timedelta(
        minutes=1
    )
    env._clients.clear()
    run_jobs(env)
    overdue = [m for m in inbox(env, "broker") if due.isoformat() in m]
    assert overdue, inbox(env, "broker")
    # An answered round's timers do nothing: a second recovery round's reminder only once answered again.
    _act(env, "underwriter1", pid, rec["id"], "refuse", reasons="不予赔偿")
    before = len(inbox(env, "broker"))
    run_jobs(env)
    assert len(inbox(env, "broker")) == before
