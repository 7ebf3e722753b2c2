"""Opening a placement (投保项目, issue 14 item 1): the broker's account manager opens it for an insured it
serves; the insured sees it at once; other insureds and insurers not yet approached get 404; bad input
answers 422 naming the field."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm.attributes import set_committed_value

from tandem.access.actor import Actor
from tandem.access.models import User
from tandem.audit.service import verify
from tandem.claim.models import Participation, PartyRole
from tandem.kit.errors import ActionNotAllowed, IllegalTransition, NotFound, StateChanged
from tandem.placement import service
from tandem.placement.models import Placement, PlacementStatus
from tests.helpers import _ok, open_placement, placement_body


def _actor(session, username: str) -> Actor:
    return Actor.from_user(session.execute(select(User).where(User.username == username)).unique().scalar_one())


def test_the_broker_opens_a_placement_and_the_insured_sees_it_at_once(env):
    p = open_placement(env)
    assert p["number"] == "TB-2026-000001" and p["status"] == "opened"
    assert p["insured"]["name"] == "嘉兴鑫达电子科技有限公司" and p["lines"] == ["企业财产保险", "机器损坏保险"]
    s1, s2 = p["sites"]
    assert (s1["ref"], [s["ref"] for s in s1["sections"]], s2["sections"][0]["ref"]) == ("S1", ["S1-1", "S1-2"], "S2-1")
    assert s1["sections"][1]["sum_insured"] == "18500000.50" and s2["sections"][0]["sum_insured"] == "8000000.00"
    assert p["total_sum_insured"] == "62500000.50"
    assert p["contacts"] == [{"site_ref": "S1", "name": "沈国平", "phone": "13957312345", "role": "厂长"}]

    seen = _ok(env.client("insured1").get(f"/api/v1/placements/{p['id']}"))
    assert seen["number"] == p["number"] and seen["sites"] == p["sites"]
    assert [x["id"] for x in _ok(env.client("insured1").get("/api/v1/placements"))["items"]] == [p["id"]]
    assert _ok(env.client("broker").get("/api/v1/placements?status=opened"))["items"][0]["id"] == p["id"]
    assert _ok(env.client("broker").get("/api/v1/placements?status=deciding"))["items"] == []

    # Not yours == does not exist: another insured, an insurer not approached, a firm not instructed.
    for outsider in ("insured2", "insurer1", "adjuster1", "regulator"):
        r = env.client(outsider).get(f"/api/v1/placements/{p['id']}")
        missing = env.client(outsider).get(f"/api/v1/placements/{uuid.uuid4()}")
        assert r.status_code == missing.status_code == 404 and r.json() == missing.json()
        assert _ok(env.client(outsider).get("/api/v1/placements"))["items"] == []

    with env.session() as s:
        row = s.get(Placement, uuid.UUID(p["id"]))
        assert row is not None and row.case_id == row.id and row.status == PlacementStatus.OPENED
        parties = s.execute(select(Participation.party_role).where(Participation.case_id == row.id)).scalars()
        assert set(parties) == {PartyRole.BROKER, PartyRole.INSURED}
        events = s.execute(
            text("SELECT action FROM audit_event WHERE chain_key = :k ORDER BY seq"), {"k": f"case:{row.id}"}
        ).scalars()
        assert list(events) == ["placement.opened"]
        assert verify(s) == []


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"lines": ["企业财产险"]}, "lines"),
        ({"lines": []}, "lines"),
        ({"period_end": "2026-12-31"}, "period_end"),
        ({"insured_id": str(uuid.uuid4())}, "insured_id"),
        ({"title": ""}, "title"),
        ({"sites": []}, "sites"),
    ],
)
def test_bad_input_answers_422_naming_the_field(env, changes, field):
    r = env.client("broker").post("/api/v1/placements", json=placement_body(env, **changes))
    assert r.status_code == 422, r.text
    assert field in r.json()["error"]["fields"]
    assert _ok(env.client("broker").get("/api/v1/placements"))["items"] == []


def test_sites_and_sections_are_checked_field_by_field(env):
    body = placement_body(env)
    body["sites"][1]["sections"][0]["sum_insured"] = "0"
    body["sites"][0]["sections"][1]["type"] = "spaceship"
    body["sites"][0]["province"] = "Atlantis"
    body["contacts"][0]["site_ref"] = "S9"
    fields = env.client("broker").post("/api/v1/placements", json=body).json()["error"]["fields"]
    assert set(fields) == {
        "sites[1].sections[0].sum_insured",
        "sites[0].sections[1].type",
        "sites[0].province",
        "contacts[0].site_ref",
    }
    body = placement_body(env)
    body["sites"][0]["sections"] = []
    r = env.client("broker").post("/api/v1/placements", json=body)
    assert r.status_code == 422 and any(k == "sites[0].sections" for k in r.json()["error"]["fields"])


def test_only_a_broker_account_manager_opens_placements(env):
    for user in ("risk", "insured1", "insurer1", "adjuster1"):
        assert env.client(user).post("/api/v1/placements", json=placement_body(env)).status_code in (403, 422)
    with env.session() as s:
        assert s.execute(select(Placement)).first() is None


def test_transitions_follow_the_table_with_sides_and_audit(env):
    p = open_placement(env)
    now = env.clock.now()
    with env.session() as s:
        broker, insured, risk = _actor(s, "broker"), _actor(s, "insured1"), _actor(s, "risk")
        placement = service.get_placement(s, broker, p["id"])
        assert service.allowed(s, broker, placement) == {"explain", "withdraw"}
        assert service.allowed(s, insured, placement) == set()
        with pytest.raises(IllegalTransition):
            service.transition(s, broker, placement, "issue_letter", now)
        with pytest.raises(ActionNotAllowed):
            service.transition(s, risk, placement, "explain", now)  # the account manager's step
        service.transition(s, broker, placement, "explain", now, values={"explained_at": now})
        assert placement.status == PlacementStatus.AWAITING_CHOICE and placement.explained_at == now
        assert service.allowed(s, insured, placement) == {"choose"}
        s.commit()

    # Another session that still holds the old state loses: one winner.
    with env.session() as s:
        broker = _actor(s, "broker")
        old = s.get(Placement, uuid.UUID(p["id"]))
        assert old is not None
        set_committed_value(old, "status", PlacementStatus.OPENED)  # what a concurrent reader saw before
        with pytest.raises(StateChanged):
            service.transition(s, broker, old, "explain", now)
        s.rollback()

    with env.session() as s:
        events = list(
            s.execute(
                text("SELECT action FROM audit_event WHERE chain_key = :k ORDER BY seq"), {"k": f"case:{p['id']}"}
            ).scalars()
        )
        assert events == ["placement.opened", "placement.explain"]


def test_a_broker_that_is_not_on_the_case_cannot_move_it(env):
    """A user whose organisation holds no side on the case gets 404 before any transition: the chokepoint."""
    p = open_placement(env)
    with env.session() as s:
        other = _actor(s, "adjuster1")
        with pytest.raises(NotFound):
            service.get_placement(s, other, p["id"])


def test_going_to_market_is_the_account_managers_step_once_the_insured_decides(env):
    p = open_placement(env)
    url = f"/api/v1/placements/{p['id']}/go-to-market"
    r = env.client("broker").post(url)
    assert r.status_code == 409 and r.json()["error"]["code"] == "state.illegal_transition"
    assert env.client("insured2").post(url).status_code == 404
    with env.session() as s:
        placement = s.get(Placement, uuid.UUID(p["id"]))
        assert placement is not None and placement.status == PlacementStatus.OPENED
