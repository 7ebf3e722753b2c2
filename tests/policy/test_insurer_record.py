"""Tracking the insurer (issue 16 item 2), through the API: per policy and per insurer, the broker sees the
claims against the 保险法 clocks, the adjusters' fee invoices paid on time or late, and the disputes — the
integrity record's own facts (``comparison.claim_facts``), claim by claim; the policy's other parties get
403, anybody else 404."""

from __future__ import annotations

import datetime as dt
import uuid

from tandem.placement import comparison
from tandem.placement import comparison_stats as stats
from tests.helpers import POLICY1, XINDA, _ok, _to_reported, notice_to_payment, org, policy_id

API = "/api/v1"
INSURER1 = "中安财产保险股份有限公司"


def _advance(env, **delta) -> None:
    env.clock.advance(**delta)
    env._clients.clear()


def test_the_broker_tracks_the_insurer_per_policy_and_per_insurer(env):
    paid = notice_to_payment(env)
    late = _to_reported(env)
    firm, insurer = env.client("adjuster1"), env.client("insurer1")
    inv = _ok(firm.post(f"{API}/cases/{late}/invoices", json={"work": {"expenses_incurred": "800.00"}}), 201)
    _ok(insurer.post(f"{API}/invoices/{inv['id']}/accept"))
    # Forty days on: the second claim is still undecided (Art. 23: 30 days), the fee is paid five days late.
    _advance(env, days=40)
    due = dt.date.fromisoformat(inv["due_date"])
    pay = {"amount": inv["total"], "paid_on": (due + dt.timedelta(days=5)).isoformat(), "reference": "HX-9"}
    _ok(env.client("insurer1").post(f"{API}/invoices/{inv['id']}/payments", json=pay))

    pid = policy_id(env, POLICY1)
    record = _ok(env.client("broker").get(f"{API}/policies/{pid}/insurer-record"))
    assert record["insurer"]["name"] == INSURER1 and record["policies"] == [POLICY1]
    claims = {c["claim_id"]: c for c in record["claims"]}
    assert claims[paid]["decided_on_time"] is True and claims[paid]["paid_on_time"] is True
    assert claims[late]["decided_on_time"] is False and claims[late]["paid_on_time"] is None
    assert record["decided"] == {"on_time": 1, "late": 1, "pending": 0}
    assert record["paid"] == {"on_time": 1, "late": 0, "pending": 1}
    [fee] = record["fees"]
    assert fee["number"] == inv["number"] and fee["on_time"] is False and fee["days_to_pay"] == 35
    assert record["fees_paid"] == {"on_time": 0, "late": 1, "pending": 0}
    assert (
        record["disputes"] == 0 and record["platform_fee_days"] is None
    )  # one insured behind it: hidden (fewer than 5)

    # The same facts as the integrity record reads for the comparison (no insured left out here).
    insurer_id = uuid.UUID(org(env, INSURER1))
    with env.session() as s:
        facts = comparison.claim_facts(s, [insurer_id], uuid.uuid4())[insurer_id]
        now = env.clock.now()
        expected = sorted((f.notified_at, stats.decided_in_time(f, now), stats.paid_in_time(f, now)) for f in facts)
    got = sorted(
        (dt.datetime.fromisoformat(c["notified_at"]), c["decided_on_time"], c["paid_on_time"]) for c in record["claims"]
    )
    assert got == expected

    # Per insurer, over the broker's policies with it.
    listed = _ok(env.client("broker").get(f"{API}/insurer-records"))
    assert INSURER1 in [i["name"] for i in listed]
    per_insurer = _ok(env.client("broker").get(f"{API}/insurer-records/{org(env, INSURER1)}"))
    assert POLICY1 in per_insurer["policies"] and {paid, late} <= {c["claim_id"] for c in per_insurer["claims"]}

    # The policy's other parties: 403; anybody else, or an unknown id: 404; the records are the broker's.
    for user in ("insured1", "insurer1"):
        assert env.client(user).get(f"{API}/policies/{pid}/insurer-record").status_code == 403
    for user in ("insured2", "insurer2"):
        r = env.client(user).get(f"{API}/policies/{pid}/insurer-record")
        none = env.client(user).get(f"{API}/policies/{uuid.uuid4()}/insurer-record")
        assert r.status_code == none.status_code == 404 and r.json() == none.json()
    for user in ("insurer1", "insured1", "adjuster1"):
        assert env.client(user).get(f"{API}/insurer-records/{org(env, INSURER1)}").status_code == 404
    assert env.client("broker").get(f"{API}/insurer-records/{org(env, XINDA)}").status_code == 404
