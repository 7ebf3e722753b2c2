"""The insurer's own adjuster for a second pre-assessment (R-U7), through the API: routing checks, never
the broker's adjuster's firm nor a firm working for another insurer, the letter accepted with fee terms the
insurer pays, and the broker's answers to an adjuster on its blacklist (require another, withdraw the
submission), each with its reason and audit event. An insurer never sees another insurer's appointment."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import select

from tandem.case import thread
from tandem.case.models import Case
from tandem.claim.models import Appointment
from tandem.party.models import Adjuster, BlacklistEntry
from tandem.placement.second_models import InsurerAdjuster
from tests.helpers import _ok, _user_actor, inbox, placement_at_market, said

API = "/api/v1/placements"
INSURER_TERMS: dict[str, Any] = {"basis": "hourly", "hourly_rate": "680.00", "payer": "insurer", "payment_days": 30}


def adjuster_ids(env) -> dict[str, str]:
    with env.session() as s:
        return {a.name: str(a.id) for a in s.execute(select(Adjuster)).unique().scalars()}


def _blacklist(env, name: str) -> None:
    with env.session() as s:
        adj = s.execute(select(Adjuster).where(Adjuster.name == name)).unique().scalar_one()
        broker = _user_actor(s, "broker")
        s.add(
            BlacklistEntry(
                broker_id=broker.org_id,
                adjuster_id=adj.id,
                reason="偏袒委托方",
                valid_from=dt.date(2020, 1, 1),
                state="active",
                created_at=env.clock.now(),
                created_by=broker.user_id,
            )
        )
        s.commit()


def _due(env) -> str:
    return (env.clock.now().date() + dt.timedelta(days=20)).isoformat()


def test_the_insurers_adjuster_is_screened_accepted_and_answered_by_the_broker(env):
    broker, uw1, uw2 = env.client("broker"), env.client("underwriter1"), env.client("underwriter2")
    firm_b, insured = env.client("adjuster3"), env.client("insured1")
    pid, ids = placement_at_market(env), adjuster_ids(env)
    url = f"{API}/{pid}/insurer-adjusters"

    # Never the broker's adjuster's firm; a claims handler is not the underwriter who appoints.
    r = uw1.post(url, json={"adjuster_id": ids["李娜"]})
    assert r.status_code == 422 and r.json()["error"]["fields"] == {"adjuster_id": "broker_adjuster_firm"}, r.text
    assert env.client("insurer1").post(url, json={"adjuster_id": ids["张伟"]}).status_code == 403
    # The routing checks apply: a lapsed certificate is refused.
    r = uw1.post(url, json={"adjuster_id": ids["钱永刚"]})
    assert r.status_code == 422 and "certificate_lapsed" in r.json()["error"]["fields"]["adjuster_id"]
    # The insured and the broker do not appoint the insurer's adjuster.
    assert insured.post(url, json={"adjuster_id": ids["张伟"]}).status_code == 403

    # 何雪梅 is on the broker's blacklist: appointed, flagged to the broker only.
    first = _ok(uw1.post(url, json={"adjuster_id": ids["何雪梅"]}), 201)
    assert first["state"] == "appointed" and first["blacklisted"] is False
    assert first["letter"]["state"] == "issued" and first["actions"] == []
    seen = _ok(broker.get(f"{url}/{first['id']}"))
    assert seen["blacklisted"] is True
    assert seen["actions"] == ["require_another", "withdraw_submission"]
    assert uw1.post(url, json={"adjuster_id": ids["张伟"]}).status_code == 409  # one at a time
    # Told: the firm named in the letter and the broker; the other insurer's people are not.
    appointed = said("placement.insurer_adjuster.appointed")
    assert any(appointed in subject for subject in inbox(env, "adjuster3"))
    assert any(appointed in subject for subject in inbox(env, "broker"))
    assert not any(appointed in subject for subject in inbox(env, "insurer2"))
    r = broker.post(f"{url}/{first['id']}/broker-answer", json={"action": "require_another", "reason": ""})
    assert r.status_code == 422 and "reason" in str(r.json()["error"]), r.text
    replaced = _ok(
        broker.post(
            f"{url}/{first['id']}/broker-answer",
            json={"action": "require_another", "reason": "该公估师在我司黑名单内，请另行委托"},
        )
    )
    assert replaced["state"] == "replaced" and replaced["reason"] == "该公估师在我司黑名单内，请另行委托"
    assert replaced["letter"]["state"] == "refused_by_broker"
    # The insurer is told why (its claims handler), the competing insurer on the same placement is not.
    refused = said("placement.insurer_adjuster.require_another")
    assert any(refused in subject for subject in inbox(env, "insurer1"))
    assert not any(refused in subject for subject in inbox(env, "insurer2"))
    assert firm_b.get(f"{url}/{first['id']}").status_code == 404  # the firm no longer takes part

    # The insurer appoints another of the same firm; not blacklisted, so the broker cannot refuse it.
    second = _ok(uw1.post(url, json={"adjuster_id": ids["张伟"]}), 201)
    r = broker.post(f"{url}/{second['id']}/broker-answer", json={"action": "withdraw_submission", "reason": "不接受"})
    assert r.status_code == 409, r.text
    # A firm working for one insurer does not work for another on the same placement.
    r = uw2.post(url, json={"adjuster_id": ids["何雪梅"]})
    assert r.status_code == 422 and "conflict_of_interest" in r.json()["error"]["fields"]["adjuster_id"]

    # The firm accepts: the insurer pays its own adjuster (the insured does not).
    accept = f"{url}/{second['id']}/accept"
    r = firm_b.post(accept, json={"terms": {**INSURER_TERMS, "payer": "insured"}, "report_due": _due(env)})
    assert r.status_code == 422 and r.json()["error"]["fields"] == {
        "terms.payer": "must be insurer for a pre_assessment instructed by the insurer"
    }, r.text
    assert (
        env.client("adjuster1").post(accept, json={"terms": INSURER_TERMS, "report_due": _due(env)}).status_code == 404
    )
    done = _ok(firm_b.post(accept, json={"terms": INSURER_TERMS, "report_due": _due(env)}))
    assert done["state"] == "accepted" and done["letter"]["fee_terms"]["payer"] == "insurer"
    assert firm_b.post(accept, json={"terms": INSURER_TERMS, "report_due": _due(env)}).status_code == 409

    # The other insurer sees none of it: its list is empty, the appointment answers as a missing one.
    assert _ok(uw2.get(url)) == []
    r, missing = uw2.get(f"{url}/{second['id']}"), uw2.get(f"{url}/{uuid.uuid4()}")
    assert r.status_code == missing.status_code == 404 and r.json() == missing.json()
    assert {a["id"] for a in _ok(uw1.get(url))} == {first["id"], second["id"]}
    assert len(_ok(broker.get(url))) == 2

    # Insurer 2's adjuster's firm declines with a reason (林志伟 administers 粤安); the insurer appoints again.
    lin = env.client("adjuster13")
    declined = _ok(uw2.post(url, json={"adjuster_id": ids["林志伟"]}), 201)
    r = lin.post(f"{url}/{declined['id']}/decline", json={"reason": " "})
    assert r.status_code == 422 and r.json()["error"]["fields"] == {"reason": "required"}, r.text
    gone = _ok(lin.post(f"{url}/{declined['id']}/decline", json={"reason": "档期已满"}))
    assert gone["state"] == "declined" and gone["letter"]["decline_reason"] == "档期已满"
    # Insurer 2's adjuster is now on the broker's blacklist: the broker withdraws the submission to insurer 2.
    _blacklist(env, "林志伟")
    third = _ok(uw2.post(url, json={"adjuster_id": ids["林志伟"]}), 201)
    withdrawn = _ok(
        broker.post(
            f"{url}/{third['id']}/broker-answer",
            json={"action": "withdraw_submission", "reason": "保险人坚持委托黑名单公估人，转投其他保险人"},
        )
    )
    assert withdrawn["state"] == "withdrawn" and withdrawn["letter"]["state"] == "refused_by_broker"

    with env.session() as s:
        case = s.get(Case, uuid.UUID(pid))
        rows = s.execute(select(InsurerAdjuster).where(InsurerAdjuster.case_id == case.id)).scalars().all()
        assert sorted(r.state for r in rows) == ["accepted", "declined", "replaced", "withdrawn"]
        letters = s.execute(select(Appointment).where(Appointment.case_id == case.id, Appointment.side == "insurer"))
        assert sorted(a.state for a in letters.scalars()) == [
            "accepted",
            "declined",
            "refused_by_broker",
            "refused_by_broker",
        ]
        assert {r.insurer_id for r in rows if r.state in ("withdrawn", "declined")} == {
            _user_actor(s, "underwriter2").org_id
        }
        assert {r.insurer_id for r in rows if r.state in ("accepted", "replaced")} == {
            _user_actor(s, "underwriter1").org_id
        }
        # Every step on the case's timeline; each insurer reads only its own.
        actions = [e.action for e in thread.timeline(s, _user_actor(s, "broker"), case)]
        for action in ("appointed", "require_another", "accepted", "withdraw_submission"):
            assert f"placement.insurer_adjuster.{action}" in actions
        own = [
            e.after["appointment"]
            for e in thread.timeline(s, _user_actor(s, "underwriter2"), case)
            if e.after and "appointment" in e.after
        ]
        assert set(own) == {declined["id"], third["id"]}


def test_withdrawing_for_a_blacklisted_adjuster_withdraws_the_submission_to_that_insurer(env):
    from tandem.placement import market
    from tandem.placement.market_models import Submission, SubmissionStatus

    pid, ids = placement_at_market(env), adjuster_ids(env)
    with env.session() as s:
        insurer2 = _user_actor(s, "underwriter2").org_id
        market.submit(s, _user_actor(s, "broker"), pid, insurer_ids=[insurer2], now=env.clock.now())
        s.commit()
    _blacklist(env, "林志伟")
    url = f"{API}/{pid}/insurer-adjusters"
    row = _ok(env.client("underwriter2").post(url, json={"adjuster_id": ids["林志伟"]}), 201)
    reason = "保险人坚持委托黑名单公估人，转投其他保险人"
    body = {"action": "withdraw_submission", "reason": reason}
    assert _ok(env.client("broker").post(f"{url}/{row['id']}/broker-answer", json=body))["state"] == "withdrawn"
    with env.session() as s:
        sub = s.execute(select(Submission).where(Submission.case_id == uuid.UUID(pid))).scalar_one()
        assert sub.status == SubmissionStatus.WITHDRAWN and sub.reason == reason
    # The insurer has nothing live on the placement any more: it no longer sees it.
    assert env.client("underwriter2").get(f"{API}/{pid}").status_code == 404


def test_the_brokers_adjuster_follows_the_insurers_underwriting(env):
    """R-U7: the broker's adjuster reads the insurer's submission, its questions and quotes, and comments on
    its thread; it moves nothing. Another firm sees none of it."""
    from tests.helpers import INSURER1_ORG, org, placement_gone_to_market

    pid = placement_gone_to_market(env)
    sub = _ok(
        env.client("broker").post(f"{API}/{pid}/submissions", json={"insurer_ids": [org(env, INSURER1_ORG)]}), 201
    )[0]
    body = {
        "sections": [{"ref": r, "rate_permille": "1.00"} for r in ("S1-1", "S1-2", "S2-1")],
        "valid_until": "2027-01-31",
    }
    _ok(env.client("underwriter1").post(f"/api/v1/submissions/{sub['id']}/quotes", json=body), 201)
    _ok(
        env.client("underwriter1").post(f"/api/v1/submissions/{sub['id']}/messages", json={"body": "仓库是否有喷淋？"}),
        201,
    )
    follower = env.client("adjuster1")  # 王建国, the broker's adjuster on this placement
    seen = _ok(follower.get(f"/api/v1/submissions/{sub['id']}"))
    assert seen["id"] == sub["id"] and seen["quote"] is not None  # the quote, with its rates
    r = follower.post(f"/api/v1/submissions/{sub['id']}/messages", json={"body": "预评估报告第3项已说明喷淋覆盖。"})
    assert r.status_code == 201, r.text
    thread = _ok(follower.get(f"/api/v1/submissions/{sub['id']}/messages"))
    assert {m["body"] for m in thread} == {"仓库是否有喷淋？", "预评估报告第3项已说明喷淋覆盖。"}
    assert len(_ok(follower.get(f"/api/v1/submissions/{sub['id']}/quotes"))) == 1
    assert follower.post(f"/api/v1/submissions/{sub['id']}/quotes", json=body).status_code == 403
    assert follower.post(f"/api/v1/submissions/{sub['id']}/withdraw", json={"reason": "x"}).status_code == 403
    assert env.client("adjuster3").get(f"/api/v1/submissions/{sub['id']}").status_code == 404
