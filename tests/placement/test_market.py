"""Going to market and binding (issue 15 items 3 and 6), through the API: the disclosure and the mandate
the insured acknowledges before the placement goes to market; submissions to two insurers, each
underwriter seeing only its own (the competitor's submission and quote answer 404 like none); questions,
quotes priced by the premium engine (a re-quote is a new version), a decline with its reason; the
comparison; the insured's acceptance issuing a policy on which a claim is then notified."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from sqlalchemy import select

from tandem.claim.models import Deadline
from tandem.premium.engine import compute, parse_input
from tandem.worker import runner
from tests.helpers import (
    INSURER1_ORG,
    _ok,
    consents_acknowledged,
    inbox,
    logged_in,
    org,
    placement_deciding,
    placement_gone_to_market,
    post,
    text_of,
)

API = "/api/v1"
INSURER2_ORG = "太和财产保险股份有限公司"
# A period that has begun by the time the claim is notified (the clock starts on 2026-11-25).
PERIOD = {"period_start": "2026-12-01", "period_end": "2027-11-30"}


def _quote_body(valid_until: str, rates=("0.80", "1.20", "1.50"), **over) -> dict:
    body = {
        "sections": [
            {"ref": "S1-1", "rate_permille": rates[0], "deductible_amount": "10000.00",
             "options": {"basis": "average"}},
            {"ref": "S1-2", "rate_permille": rates[1], "deductible_rate": "0.05"},
            {"ref": "S2-1", "rate_permille": rates[2]},
        ],
        "factors": [{"code": "sprinkler", "value": "0.95"}],
        "conditions": "特别约定：仓库消防通道须于起保前清理完毕。",
        "valid_until": valid_until,
    }  # fmt: skip
    body.update(over)
    return body


def _day(env, days: int) -> str:
    return (env.clock.now().date() + dt.timedelta(days=days)).isoformat()


def _advance(env, **delta) -> None:
    """Move the clock; the API tokens issued before may have lapsed, so the clients log in afresh."""
    env.clock.advance(**delta)
    env._clients.clear()


def _same_404(client, path: str, missing: str) -> None:
    r, none = client.get(path), client.get(missing)
    assert r.status_code == none.status_code == 404 and r.json() == none.json(), (path, r.text)


def test_going_to_market_waits_for_the_disclosure_and_the_mandate(env):
    pid = placement_deciding(env)
    broker, insured = env.client("broker"), env.client("insured1")
    r = broker.post(f"{API}/placements/{pid}/go-to-market")
    assert r.status_code == 409 and set(r.json()["error"]["fields"]) == {"disclosure", "mandate"}, r.text

    # The insured neither gives the papers nor does the broker acknowledge them.
    assert insured.post(f"{API}/placements/{pid}/disclosure", json={}).status_code == 403
    given = _ok(broker.post(f"{API}/placements/{pid}/disclosure", json={"remuneration": "佣金由保险人支付"}), 201)
    assert given["missing"] == {
        "disclosure": "Not acknowledged by the insured yet.",
        "mandate": "Not given to the insured yet.",
    }
    assert broker.post(f"{API}/placements/{pid}/consents/disclosure/acknowledge").status_code == 403
    pdf = insured.get(f"{API}/placements/{pid}/consents/disclosure/document")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    _ok(insured.post(f"{API}/placements/{pid}/consents/disclosure/acknowledge"))
    r = broker.post(f"{API}/placements/{pid}/go-to-market")
    assert r.status_code == 409 and set(r.json()["error"]["fields"]) == {"mandate"}, r.text

    # A signed mandate uploaded as a PDF; not a document type is refused beside the field.
    bad = broker.post(
        f"{API}/placements/{pid}/mandate/upload", files={"file": ("m.exe", b"MZ\x90\x00", "application/x")}
    )
    assert bad.status_code == 422 and "file" in bad.json()["error"]["fields"]
    signed = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    _ok(
        broker.post(
            f"{API}/placements/{pid}/mandate/upload", files={"file": ("委托书.pdf", signed, "application/pdf")}
        ),
        201,
    )
    assert insured.get(f"{API}/placements/{pid}/consents/mandate/document").content == signed
    done = _ok(insured.post(f"{API}/placements/{pid}/consents/mandate/acknowledge"))
    assert done["missing"] == {} and {c["status"] for c in done["items"]} == {"acknowledged"}
    # Acknowledged once: a second acknowledgement is refused, and the paper cannot be replaced.
    assert insured.post(f"{API}/placements/{pid}/consents/mandate/acknowledge").status_code == 409
    assert broker.post(f"{API}/placements/{pid}/mandate", json={}).status_code == 409
    # Insurers see nothing of it.
    _same_404(
        env.client("underwriter1"), f"{API}/placements/{pid}/consents", f"{API}/placements/{uuid.uuid4()}/consents"
    )
    assert _ok(broker.post(f"{API}/placements/{pid}/go-to-market"))["status"] == "to_market"


def test_each_insurer_sees_only_its_own_submission_and_quote(env):
    pid = placement_gone_to_market(env)
    broker, insured = env.client("broker"), env.client("insured1")
    uw1, uw2 = env.client("underwriter1"), env.client("underwriter2")
    ins1, ins2 = org(env, INSURER1_ORG), org(env, INSURER2_ORG)
    assert (
        broker.post(f"{API}/placements/{pid}/submissions", json={"insurer_ids": [str(uuid.uuid4())]}).status_code == 422
    )
    subs = _ok(broker.post(f"{API}/placements/{pid}/submissions", json={"insurer_ids": [ins1, ins2]}), 201)
    s1, s2 = (next(s for s in subs if s["insurer"]["id"] == i) for i in (ins1, ins2))
    assert s1["programme"]["report"]["number"].startswith("YP-")
    assert {p["ref"]: p["choice"] for p in s1["programme"]["risk_points"]} == {
        "1": "remediate",
        "2": "premium",
        "3": "remediate",
    }
    again = broker.post(f"{API}/placements/{pid}/submissions", json={"insurer_ids": [ins1]})
    assert again.status_code == 409 and "insurer_ids[0]" in again.json()["error"]["fields"]

    # Each underwriter's inbox holds its own; the other's submission is 404 like a missing one.
    assert [s["id"] for s in _ok(uw1.get(f"{API}/submissions"))] == [s1["id"]]
    assert [s["id"] for s in _ok(uw2.get(f"{API}/submissions"))] == [s2["id"]]
    _same_404(uw2, f"{API}/submissions/{s1['id']}", f"{API}/submissions/{uuid.uuid4()}")
    for tail in ("events", "quotes", "messages"):
        _same_404(uw2, f"{API}/submissions/{s1['id']}/{tail}", f"{API}/submissions/{uuid.uuid4()}/{tail}")
    # Both now take part in the case as insurers: each reads the placement and the published register, and
    # lists only its own submission; the comparison and the papers are the broker's and the insured's.
    for uw, mine in ((uw1, s1), (uw2, s2)):
        assert _ok(uw.get(f"{API}/placements/{pid}"))["status"] == "to_market"
        assert [s["id"] for s in _ok(uw.get(f"{API}/placements/{pid}/submissions"))] == [mine["id"]]
        assert uw.get(f"{API}/placements/{pid}/quotes").status_code == 403
        assert uw.get(f"{API}/placements/{pid}/consents").status_code == 403
    # Nobody talks to the insurers on the case's thread (they would all read it): their own threads serve.
    r = post(logged_in(env, "underwriter1"), f"/placements/{pid}/messages", {"audience": "all", "body": "问题"})
    assert r.status_code == 403
    r = post(logged_in(env, "broker"), f"/placements/{pid}/messages", {"audience": "broker_insurer", "body": "答"})
    assert r.status_code == 422
    # The case file shows an insurer its own submission's event and clock, never the other's.
    said_submitted, answer_clock = "已向保险人提交投保方案", "答复投保方案：报价或拒绝"
    for user, count in (("underwriter2", 1), ("broker", 2)):
        page = text_of(logged_in(env, user).get(f"/placements/{pid}"))
        assert page.count(said_submitted) == count and page.count(answer_clock) == count, user
    assert _ok(uw1.get(f"{API}/submissions/{s1['id']}"))["programme"]["title"]
    assert "submission.submitted" in {e["action"] for e in _ok(uw1.get(f"{API}/submissions/{s1['id']}/events"))}
    assert any("TB-" in n for n in inbox(env, "underwriter1"))

    # Questions on the insurer's own thread; the broker answers; the other insurer cannot post there.
    _ok(uw1.post(f"{API}/submissions/{s1['id']}/messages", json={"body": "仓库是否设有自动喷淋？"}), 201)
    env.clock.advance(minutes=5)
    _ok(broker.post(f"{API}/submissions/{s1['id']}/messages", json={"body": "设有，2025 年验收。"}), 201)
    assert uw2.post(f"{API}/submissions/{s1['id']}/messages", json={"body": "x"}).status_code == 404
    thread = [m["body"] for m in _ok(insured.get(f"{API}/submissions/{s1['id']}/messages"))]
    assert thread == ["仓库是否设有自动喷淋？", "设有，2025 年验收。"]

    # Quotes: bad input named; only the addressed underwriter quotes; versions are kept.
    r = uw1.post(f"{API}/submissions/{s1['id']}/quotes", json=_quote_body(_day(env, 30), rates=("0", "1", "1")))
    assert r.status_code == 422 and "sections[0].rate_permille" in r.json()["error"]["fields"]
    short = _quote_body(_day(env, 30))
    short["sections"] = short["sections"][:2]
    r = uw1.post(f"{API}/submissions/{s1['id']}/quotes", json=short)
    assert r.status_code == 422 and "sections" in r.json()["error"]["fields"]
    r = uw1.post(f"{API}/submissions/{s1['id']}/quotes", json=_quote_body(_day(env, -1)))
    assert r.status_code == 422 and "valid_until" in r.json()["error"]["fields"]
    assert broker.post(f"{API}/submissions/{s1['id']}/quotes", json=_quote_body(_day(env, 30))).status_code == 403
    q1 = _ok(uw1.post(f"{API}/submissions/{s1['id']}/quotes", json=_quote_body(_day(env, 30))), 201)
    q2 = _ok(
        uw1.post(
            f"{API}/submissions/{s1['id']}/quotes", json=_quote_body(_day(env, 30), rates=("0.75", "1.10", "1.40"))
        ),
        201,
    )
    assert (q1["version"], q2["version"]) == (1, 2) and Decimal(q2["premium"]) < Decimal(q1["premium"])
    assert _ok(uw1.get(f"{API}/quotes/{q1['id']}"))["premium"] == q1["premium"]  # never updated
    _same_404(uw2, f"{API}/quotes/{q1['id']}", f"{API}/quotes/{uuid.uuid4()}")

    # The other insurer declines, with its reason (required).
    assert uw2.post(f"{API}/submissions/{s2['id']}/decline", json={"reason": ""}).status_code == 422
    declined = _ok(uw2.post(f"{API}/submissions/{s2['id']}/decline", json={"reason": "危化品储存超出承保偏好"}))
    assert declined["status"] == "declined" and declined["reason"] == "危化品储存超出承保偏好"
    # Having declined, it leaves the case; its own submission stays readable to it.
    _same_404(uw2, f"{API}/placements/{pid}", f"{API}/placements/{uuid.uuid4()}")
    assert _ok(uw2.get(f"{API}/submissions/{s2['id']}"))["status"] == "declined"

    # Side by side for the insured: the quoted one with its latest version, the decline with its reason.
    cmp = _ok(insured.get(f"{API}/placements/{pid}/quotes"))
    rows = {r["insurer"]["id"]: r for r in cmp["rows"]}
    assert rows[ins1]["quote"]["version"] == 2 and rows[ins2]["status"] == "declined"
    assert cmp["cheapest_valid"] == q2["id"]


def test_a_quote_is_priced_by_the_premium_engine(env):
    pid = placement_gone_to_market(env)
    sub = _ok(
        env.client("broker").post(
            f"{API}/placements/{pid}/submissions", json={"insurer_ids": [org(env, INSURER1_ORG)]}
        ),
        201,
    )[0]
    body = _quote_body(_day(env, 30), minimum_premium="5000.00")
    q = _ok(env.client("underwriter1").post(f"{API}/submissions/{sub['id']}/quotes", json=body), 201)
    sums = {s["ref"]: s["sum_insured"] for site in sub["programme"]["sites"] for s in site["sections"]}
    doc = {
        "currency": "CNY",
        "period": {"start": sub["programme"]["period_start"], "end": sub["programme"]["period_end"]},
        "sections": [
            {"code": s["ref"], "sum_insured": sums[s["ref"]], "rate_permille": s["rate_permille"]}
            for s in body["sections"]
        ],
        "factors": body["factors"],
        "risk_points": [
            {"ref": p["ref"], "loading": str(Decimal(p["coefficient"]) - 1), "choice": p["choice"]}
            for p in sub["programme"]["risk_points"]
        ],
        "minimum_premium": "5000.00",
    }
    expected = compute(parse_input(doc)).total_premium
    # By hand: Σ sum insured × rate ‰ × 0.95 × (1 + point 2's loading), a full year.
    loading = 1 + next(Decimal(p["coefficient"]) - 1 for p in sub["programme"]["risk_points"] if p["ref"] == "2")
    by_hand = (
        sum(Decimal(sums[s["ref"]]) * Decimal(s["rate_permille"]) / 1000 for s in body["sections"])
        * Decimal("0.95")
        * loading
    )
    assert Decimal(q["premium"]) == expected and abs(expected - by_hand) < Decimal("0.05")


def test_binding_issues_a_policy_on_which_a_claim_is_notified(env):
    pid = placement_gone_to_market(env, **PERIOD)
    broker, insured, uw1 = env.client("broker"), env.client("insured1"), env.client("underwriter1")
    ins1, ins2 = org(env, INSURER1_ORG), org(env, INSURER2_ORG)
    subs = _ok(
        broker.post(f"{API}/placements/{pid}/submissions", json={"insurer_ids": [ins1, ins2], "answer_days": 5}), 201
    )
    s1, s2 = (next(s for s in subs if s["insurer"]["id"] == i) for i in (ins1, ins2))
    with env.session() as s:
        kinds = {d.kind: d for d in s.execute(select(Deadline).where(Deadline.case_id == uuid.UUID(pid))).scalars()}
    assert kinds[f"answer:{uuid.UUID(s1['id']).hex}"].holder == "insurer"

    # The answer deadline warns the insurer's underwriters (the worker's SLA check).
    _advance(env, days=4, hours=1)
    broker, insured, uw1 = env.client("broker"), env.client("insured1"), env.client("underwriter1")
    runner.run_once(env.factory, env.settings, env.clock)
    assert "TB-2026-000001：时限将至" in inbox(env, "underwriter2")

    q1 = _ok(uw1.post(f"{API}/submissions/{s1['id']}/quotes", json=_quote_body(_day(env, 3))), 201)
    q2 = _ok(
        uw1.post(
            f"{API}/submissions/{s1['id']}/quotes", json=_quote_body(_day(env, 3), rates=("0.70", "1.00", "1.30"))
        ),
        201,
    )
    with env.session() as s:
        running = {
            d.kind
            for d in s.execute(
                select(Deadline).where(Deadline.case_id == uuid.UUID(pid), Deadline.stopped_at.is_(None))
            ).scalars()
        }
    assert {f"quote:{uuid.UUID(s1['id']).hex}", "quote_decision", f"answer:{uuid.UUID(s2['id']).hex}"} <= running
    assert f"answer:{uuid.UUID(s1['id']).hex}" not in running

    # Refusals: the older version, anyone but the insured, an ineligible designated adjuster, a lapsed quote.
    r = insured.post(f"{API}/quotes/{q1['id']}/accept", json={})
    assert r.status_code == 409 and "quote_id" in r.json()["error"]["fields"]
    assert broker.post(f"{API}/quotes/{q2['id']}/accept", json={}).status_code == 403
    assert env.client("underwriter2").post(f"{API}/quotes/{q2['id']}/accept", json={}).status_code == 404
    lapsed = next(a["id"] for a in _ok(broker.get(f"{API}/adjusters?limit=100"))["items"] if a["name"] == "钱永刚")
    r = insured.post(f"{API}/quotes/{q2['id']}/accept", json={"designated_adjuster_id": lapsed})
    assert r.status_code == 422 and "designated_adjuster_id" in r.json()["error"]["fields"], r.text
    _advance(env, days=4)
    r = env.client("insured1").post(f"{API}/quotes/{q2['id']}/accept", json={})
    assert r.status_code == 409 and "valid_until" in r.json()["error"]["fields"]
    _advance(env, days=-4)
    broker, insured, uw1 = env.client("broker"), env.client("insured1"), env.client("underwriter1")

    wang = next(a["id"] for a in _ok(broker.get(f"{API}/adjusters?limit=100"))["items"] if a["name"] == "王建国")
    policy = _ok(insured.post(f"{API}/quotes/{q2['id']}/accept", json={"designated_adjuster_id": wang}), 201)
    assert policy["status"] == "in_force" and policy["premium"] == q2["premium"] and policy["placement_id"] == pid
    assert policy["insurer"]["id"] == ins1 and policy["designated_adjuster"]["name"] == "王建国"
    assert [s["sum_insured"] for s in policy["sections"]] == ["36000000.00", "18500000.50", "8000000.00"]
    assert policy["sections"][0]["deductible_amount"] == "10000.00" and policy["sections"][0]["options"] == {
        "basis": "average"
    }
    assert _ok(broker.get(f"{API}/placements/{pid}"))["status"] == "bound"
    assert {s["status"] for s in _ok(broker.get(f"{API}/placements/{pid}/submissions"))} == {"accepted", "not_taken"}
    assert insured.post(f"{API}/quotes/{q2['id']}/accept", json={}).status_code == 409
    with env.session() as s:
        left = list(
            s.execute(
                select(Deadline.kind).where(Deadline.case_id == uuid.UUID(pid), Deadline.stopped_at.is_(None))
            ).scalars()
        )
    assert left == []
    # The insurer sees the policy; the competitor does not.
    assert _ok(uw1.get(f"{API}/policies/{policy['id']}"))["number"] == policy["number"]
    _same_404(env.client("underwriter2"), f"{API}/policies/{policy['id']}", f"{API}/policies/{uuid.uuid4()}")

    # A claim is notified on the new policy through the ordinary intake.
    _advance(env, days=80)
    claim = {
        "policy_id": policy["id"],
        "loss_at": "2027-02-10T22:30:00+08:00",
        "location": "浙江省嘉兴市南湖区亚中路88号",
        "description": "1号厂房配电房起火",
        "channel": "web",
    }
    made = _ok(env.client("insured1").post(f"{API}/claims", json=claim), 201)
    assert _ok(env.client("broker").get(f"{API}/claims/{made['id']}"))["policy_id"] == policy["id"]


def test_the_broker_withdraws_a_submission_with_its_reason(env):
    pid = placement_gone_to_market(env)
    broker = env.client("broker")
    sub = _ok(broker.post(f"{API}/placements/{pid}/submissions", json={"insurer_ids": [org(env, INSURER1_ORG)]}), 201)[
        0
    ]
    assert (
        env.client("insured1").post(f"{API}/submissions/{sub['id']}/withdraw", json={"reason": "x"}).status_code == 403
    )
    out = _ok(broker.post(f"{API}/submissions/{sub['id']}/withdraw", json={"reason": "保险人指派的公估人在黑名单上"}))
    assert out["status"] == "withdrawn"
    r = env.client("underwriter1").post(f"{API}/submissions/{sub['id']}/quotes", json=_quote_body(_day(env, 30)))
    assert r.status_code == 409
    # The insurer may be approached again once its submission is withdrawn.
    assert _ok(broker.post(f"{API}/placements/{pid}/submissions", json={"insurer_ids": [org(env, INSURER1_ORG)]}), 201)[
        0
    ]["number"].endswith("-S2")


def test_submissions_default_to_the_shortlist(env):
    pid = placement_deciding(env)
    consents_acknowledged(env, pid)
    broker = env.client("broker")
    _ok(broker.post(f"{API}/placements/{pid}/go-to-market"))
    r = broker.post(f"{API}/placements/{pid}/submissions", json={})
    assert r.status_code == 422 and "insurer_ids" in r.json()["error"]["fields"]
    saved = _ok(broker.post(f"{API}/placements/{pid}/shortlist", json={}), 201)
    insurers = {k["insurer_id"] for k in saved["kept"]}
    subs = _ok(broker.post(f"{API}/placements/{pid}/submissions", json={}), 201)
    assert {s["insurer"]["id"] for s in subs} == insurers and insurers
