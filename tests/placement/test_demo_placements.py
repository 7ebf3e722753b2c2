"""The demo placements (issue 14: "Demo data holds a placement at every stage, so a new user sees the whole
flow at once"), built through the real services."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from tandem import demo_placements
from tandem.audit import service as audit
from tandem.claim.models import Claim, ClaimStatus
from tests.helpers import _ok, logged_in, text_of

STAGES = (
    "opened",
    "awaiting_choice",
    "letter_issued",
    "surveying",
    "reported",
    "deciding",
    "to_market",
    "withdrawn",
    "bound",
    "bound",  # demo_placements.ENDED_TITLE: its policy since ended by the insurer (demo_inforce)
)


def test_demo_placements_stand_at_every_stage(env):
    with env.factory.begin() as s:
        demo_placements.load(s, env.settings, env.clock.now())
    items = _ok(env.client("broker").get("/api/v1/placements"))["items"]
    assert sorted(p["status"] for p in items) == sorted(STAGES)
    by_status = {p["status"]: p for p in items if p["title"] != demo_placements.ENDED_TITLE}
    # Each party finds its own in its list: the insureds theirs, the firms the ones they were instructed on.
    for user, name in (("insured1", "嘉兴鑫达电子科技有限公司"), ("insured2", "东莞宏盛塑胶制品有限公司")):
        assert {p["insured"]["name"] for p in _ok(env.client(user).get("/api/v1/placements"))["items"]} == {name}
    firm_sees = {p["status"] for p in _ok(env.client("adjuster3").get("/api/v1/placements"))["items"]}
    assert {"to_market", "deciding", "surveying"} <= firm_sees and "opened" not in firm_sees
    assert _ok(env.client("regulator").get(f"/api/v1/placements/{by_status['reported']['id']}"))
    # The deciding one has prices and a decision pending; the one at market has every point decided.
    decided = _ok(env.client("insured1").get(f"/api/v1/placements/{by_status['deciding']['id']}/decisions"))
    assert {d["choice"] for d in decided["decisions"]} == {"remediate", "premium", "undecided"}
    market = _ok(env.client("insured1").get(f"/api/v1/placements/{by_status['to_market']['id']}/decisions"))
    assert "undecided" not in {d["choice"] for d in market["decisions"]} and not market["open_for_decisions"]
    assert _ok(env.client("insured1").get(f"/api/v1/placements/{by_status['deciding']['id']}/prices"))["totals"]
    # The one at market carries the broker's saved shortlist (R-U5) with insurers kept.
    saved = _ok(env.client("broker").get(f"/api/v1/placements/{by_status['to_market']['id']}/shortlist"))
    assert [v["version"] for v in saved] == [1] and saved[0]["kept"]
    # At market (issue 15): submitted to the shortlist's insurers, one of which asked and quoted; the bound
    # one became a policy with 张伟 designated, which its insurer's underwriter sees.
    market = by_status["to_market"]["id"]
    subs = _ok(env.client("insured1").get(f"/api/v1/placements/{market}/submissions"))
    assert len(subs) >= 2 and {s["status"] for s in subs} >= {"quoted", "submitted"}
    assert _ok(env.client("underwriter1").get("/api/v1/submissions"))
    bound = by_status["bound"]["id"]
    policy = next(p for p in _ok(env.client("insured1").get("/api/v1/policies"))["items"] if p["placement_id"] == bound)
    assert policy["status"] == "in_force" and policy["designated_adjuster"]["name"] == "张伟" and policy["premium"]
    assert _ok(env.client("underwriter1").get(f"/api/v1/policies/{policy['id']}"))["number"] == policy["number"]
    # Every case file renders for the parties on it (the partials of every part included).
    for user in ("broker", "risk", "insured1", "adjuster3", "regulator"):
        browser = logged_in(env, user)
        visible = {p["id"] for p in _ok(env.client(user).get("/api/v1/placements"))["items"]}
        for p in items:
            page = browser.get(f"/placements/{p['id']}")
            assert page.status_code == (200 if p["id"] in visible else 404), (user, p["status"])
            if page.status_code == 200:
                assert p["number"] in text_of(page)
    with env.session() as s:
        assert audit.verify(s) == []


def test_the_demo_comparison_has_real_looking_figures_for_several_insurers(env):
    with env.factory.begin() as s:
        demo_placements.load(s, env.settings, env.clock.now())
    items = _ok(env.client("broker").get("/api/v1/placements"))["items"]
    market = next(p for p in items if p["status"] == "to_market")
    body = _ok(env.client("insured1").get(f"/api/v1/placements/{market['id']}/comparison"))
    ranked = [i for i in body["insurers"] if i["integrity"]["rank"] is not None]
    assert len(body["insurers"]) == 4 and len(ranked) == 3  # one insurer has too few insureds behind it
    for insurer in ranked:
        assert insurer["premium_rates"]["shown"] and insurer["underwriting"]["turnaround_days"]
        assert all(f["shown"] for code, f in insurer["claims_record"].items() if code != "refusals_paid")
        fee = next(p for p in insurer["integrity"]["components"] if p["code"] == "fee_days")
        assert fee["shown"] and Decimal(fee["value"]) > 0
    assert body["choice"]["state"] == "recommended" and body["choice"]["recommended_insurer"] == ranked[0]["name"]
    assert "confirm" in body["actions"]
    page = logged_in(env, "insured1").get(f"/placements/{market['id']}")
    assert 'id="comparison-table"' in page.text and ranked[0]["name"] in text_of(page)
    # The history is past: every generated claim closed, so no work queue shows one.
    with env.session() as s:
        history = s.execute(select(Claim.status).where(Claim.description == "历史赔案")).scalars().all()
    assert len(history) > 38 and set(history) == {ClaimStatus.CLOSED}


def test_the_demo_placement_at_market_has_a_second_pre_assessment_settled_by_mou(env):
    from tandem import demo_mou

    with env.factory.begin() as s:
        demo_placements.load(s, env.settings, env.clock.now())
        demo_mou.load(s, env.settings, env.clock.now())
    items = _ok(env.client("broker").get("/api/v1/placements"))["items"]
    pid = next(p["id"] for p in items if p["status"] == "to_market")
    url = f"/api/v1/placements/{pid}/consultation"
    view = _ok(env.client("underwriter1").get(url))
    memo = view["memorandum"]
    assert view["state"] == "agreed" and memo["final"] is True
    hows = sorted(p["how"] for p in memo["content"]["risk_points"])
    assert hows == ["identical", "identical", "round 2"]
    settled = next(p for p in memo["content"]["risk_points"] if p["how"] == "round 2")
    assert (settled["a_level"], settled["b_level"], settled["level"], settled["coefficient"]) == (
        "高",
        "中",
        "中",
        "1.1200",
    )
    register = _ok(env.client("risk").get(f"/api/v1/placements/{pid}/risk-register"))
    point = next(p for p in register["points"] if p["ref"] == "1")
    assert (point["level"], point["coefficient"]) == ("中", "1.1200")
    assert _ok(env.client("underwriter1").get(f"{url}/premium"))["totals"]
    # The other insurer sees none of it.
    assert env.client("underwriter2").get(url).status_code == 404
