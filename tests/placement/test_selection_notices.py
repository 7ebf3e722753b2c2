"""Whoever gets the ball in the selection (R-U1, R-U2) is told, in its own inbox, with a link to the
placement: the insured when the broker explained and when a firm declined, the broker when the insured
chose, the chosen firm (its administrator and the named adjuster) when the letter is issued."""

from __future__ import annotations

from sqlalchemy import select

from tandem.party.models import Adjuster
from tests.helpers import _ok, open_placement, placement_reported, said

BASE = "/api/v1/placements"


def _inbox(env, user: str, pid: str) -> list[str]:
    return [
        n["subject"] for n in _ok(env.client(user).get("/api/v1/notifications")) if n["link"] == f"/placements/{pid}"
    ]


def test_the_party_holding_the_ball_is_notified(env):
    p = open_placement(env)
    pid, number = p["id"], p["number"]
    with env.session() as s:
        zhang = str(s.execute(select(Adjuster.id).where(Adjuster.name == "张伟")).scalar_one())

    before = len(_inbox(env, "insured1", pid))
    _ok(env.client("broker").post(f"{BASE}/{pid}/explanation", json={}))
    assert len(_inbox(env, "insured1", pid)) == before + 1 and _inbox(env, "insured1", pid)[0].startswith(number)
    assert _inbox(env, "broker", pid) == []  # the one who acted is not told of its own step

    _ok(env.client("insured1").post(f"{BASE}/{pid}/choice", json={"adjuster_id": zhang, "acknowledged": True}))
    assert len(_inbox(env, "broker", pid)) == 1
    assert _inbox(env, "adjuster3", pid) == []  # not instructed yet

    _ok(env.client("broker").post(f"{BASE}/{pid}/letter"), 201)
    assert len(_inbox(env, "adjuster3", pid)) == 1  # 张伟: the named adjuster and 正衡's administrator
    assert _inbox(env, "adjuster1", pid) == []  # another firm hears nothing

    told = len(_inbox(env, "insured1", pid))
    assert env.client("adjuster3").post(f"{BASE}/{pid}/letter/decline", json={"reason": "人手不足"}).status_code == 204
    assert len(_inbox(env, "insured1", pid)) == told + 1  # the insured chooses again
    assert len(_inbox(env, "broker", pid)) == 2


def test_the_broker_hears_of_the_insureds_risk_decisions(env):
    """R-U4: once the register is published the ball is the insured's; each decision it makes is the
    broker's news (its account manager and its risk evaluators), never the insured's own."""
    pid = placement_reported(env)
    base = f"{BASE}/{pid}"
    _ok(env.client("risk").post(f"{base}/risk-register"), 201)
    _ok(env.client("risk").post(f"{base}/risk-register/publish"))
    before = {user: len(_inbox(env, user, pid)) for user in ("broker", "risk", "insured1")}
    body = {"decisions": [{"ref": "1", "choice": "premium"}, {"ref": "2", "choice": "premium"}]}
    _ok(env.client("insured1").put(f"{base}/decisions", json=body))
    assert len(_inbox(env, "broker", pid)) == before["broker"] + 2
    assert len(_inbox(env, "risk", pid)) == before["risk"] + 2
    assert len(_inbox(env, "insured1", pid)) == before["insured1"]
    assert said("risk_register.decided") in _inbox(env, "broker", pid)[0]
