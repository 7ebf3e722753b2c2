"""A placement from opening to the insured's risk decisions with their prices, through the API alone
(issue 14, "the same journey passes through the API alone"): the broker's account manager opens it and
explains the pre-assessment (R-U1); the insured is refused a lapsed adjuster of its own and picks a
recommended one; the broker issues the confirmation letter and the firm accepts it with fee terms (R-U2);
the firm's lead and second survey, write, sign in person and submit the pre-assessment report, copied to
the insured and supervision (R-U3); the broker's risk evaluator keeps the risk register and publishes
it, and the insured decides per risk point seeing each price (R-U4); then the placement goes to market
and the decisions freeze. Outsiders get 404 all along."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from sqlalchemy import text

from tandem.audit.service import verify
from tandem.demo_placements import PHOTO, report_content
from tandem.kit.clock import SHANGHAI
from tests.helpers import _ok, consents_acknowledged, open_placement

API = "/api/v1/placements"


def _adjusters(env) -> dict[str, str]:
    return {a["name"]: a["id"] for a in _ok(env.client("broker").get("/api/v1/adjusters?limit=100"))["items"]}


def _status(env, pid: str) -> str:
    return _ok(env.client("broker").get(f"{API}/{pid}"))["status"]


def _outsiders_see_nothing(env, pid: str, *users: str) -> None:
    for user in users:
        r, missing = env.client(user).get(f"{API}/{pid}"), env.client(user).get(f"{API}/{uuid.uuid4()}")
        assert r.status_code == missing.status_code == 404 and r.json() == missing.json(), user


def test_a_placement_from_opening_to_the_insureds_risk_decisions_through_the_api(env):
    broker, risk, insured = env.client("broker"), env.client("risk"), env.client("insured1")
    lead, second, regulator = env.client("adjuster3"), env.client("adjuster11"), env.client("regulator")
    ids = _adjusters(env)

    # Opening: the insured sees it at once; nobody else does.
    p = open_placement(env)
    pid = p["id"]
    assert _ok(insured.get(f"{API}/{pid}"))["status"] == "opened"
    _outsiders_see_nothing(env, pid, "insured2", "insurer1", "adjuster3", "regulator")

    # R-U1: explained, recommended; a lapsed own adjuster is refused with the reason; a recommended one chosen.
    _ok(broker.post(f"{API}/{pid}/explanation", json={"note": "已当面说明预评估决定保险方案"}))
    recs = _ok(insured.get(f"{API}/{pid}/recommendations"))
    assert "张伟" in [r["adjuster"]["name"] for r in recs["recommended"]]
    r = insured.post(f"{API}/{pid}/choice", json={"adjuster_id": ids["钱永刚"], "acknowledged": True})
    assert r.status_code == 422 and "certificate_lapsed" in str(r.json()["error"]), r.text
    _ok(insured.post(f"{API}/{pid}/choice", json={"adjuster_id": ids["张伟"], "acknowledged": True}))
    assert _status(env, pid) == "chosen"

    # R-U2: the letter to 张伟's firm, accepted with fee terms and the report's due date.
    _ok(broker.post(f"{API}/{pid}/letter"), 201)
    due = (env.clock.now().astimezone(SHANGHAI).date() + dt.timedelta(days=20)).isoformat()
    terms = {"basis": "fixed", "amount": "60000.00", "payer": "insured", "payment_days": 30}
    accept = {"terms": terms, "report_due": due}
    _ok(lead.post(f"{API}/{pid}/letter/accept", json=accept))
    assert _status(env, pid) == "surveying"
    _outsiders_see_nothing(env, pid, "insured2", "insurer1", "adjuster1")

    # R-U3: the team of two surveys with a photo, drafts, signs in person and submits.
    _ok(lead.post(f"{API}/{pid}/team", json={"adjuster_id": ids["陈亮"]}))
    photo = _ok(lead.post(f"{API}/{pid}/survey-photos", files={"file": ("配电房.png", PHOTO, "image/png")}), 201)
    visit = {
        "visited_at": env.clock.now().isoformat(),
        "participants": ["张伟", "陈亮", "沈国平（厂长）"],
        "notes": "配电房电缆老化；仓库消防通道堵塞。",
        "photo_hashes": [photo["sha256"]],
    }
    _ok(lead.post(f"{API}/{pid}/surveys", json=visit), 201)
    sites = _ok(broker.get(f"{API}/{pid}"))["sites"]
    _ok(lead.put(f"{API}/{pid}/report-draft", json=report_content(sites, "嘉兴鑫达电子：南湖厂区、秀洲仓库")))
    signing = _ok(lead.post(f"{API}/{pid}/reports", json={"signer_ids": [ids["张伟"], ids["陈亮"]]}), 201)["signing"]
    view = _ok(second.post(f"{API}/{pid}/reports/sign", json={"content_hash": signing["content_hash"]}))
    report = view["reports"][0]
    assert report["number"].startswith("YP-") and _status(env, pid) == "reported"
    assert lead.put(f"{API}/{pid}/reports/{report['id']}", json={}).status_code == 409
    # Copied to supervision, which now reads the placement; the insurers not approached still get 404.
    assert _ok(regulator.get(f"{API}/{pid}"))["status"] == "reported"
    _outsiders_see_nothing(env, pid, "insured2", "insurer1", "insurer2")

    # R-U4: the register from the report; the evaluator changes a loading with a reason; published.
    register = _ok(risk.post(f"{API}/{pid}/risk-register"), 201)
    assert [pt["ref"] for pt in register["points"]] == ["1", "2", "3"]
    change = {"level": "中", "coefficient": "1.0800", "reason": "仓库堆放可燃包装物，加重"}
    _ok(risk.patch(f"{API}/{pid}/risk-register/points/2", json=change))
    _ok(risk.post(f"{API}/{pid}/risk-register/publish"))
    assert _status(env, pid) == "deciding"

    # The insured sees each choice's price and the totals: now, all remediated, none remediated.
    prices = _ok(insured.get(f"{API}/{pid}/prices"))
    totals = {k: Decimal(v) for k, v in prices["totals"].items()}
    assert totals["all_remediated"] <= totals["now"] <= totals["none_remediated"]
    assert totals["all_remediated"] < totals["none_remediated"]
    effects = {e["ref"]: Decimal(e["premium_effect"]) for e in prices["effects"]}
    # (a point's effect may be nil where the product's loading bound is reached without it)
    assert set(effects) == {"1", "2", "3"} and min(effects.values()) >= 0 < max(effects.values())
    today = env.clock.now().astimezone(SHANGHAI).date()
    decisions = [
        {"ref": "1", "choice": "remediate", "committed_date": (today + dt.timedelta(days=60)).isoformat()},
        {"ref": "2", "choice": "premium"},
        {"ref": "3", "choice": "remediate", "committed_date": (today + dt.timedelta(days=30)).isoformat()},
    ]
    r = insured.put(f"{API}/{pid}/decisions", json={"decisions": [{**decisions[0], "committed_date": None}]})
    assert r.status_code == 422 and "decisions[0].committed_date" in r.json()["error"]["fields"]
    decided = _ok(insured.put(f"{API}/{pid}/decisions", json={"decisions": decisions}))
    assert {d["ref"]: d["choice"] for d in decided["decisions"]} == {"1": "remediate", "2": "premium", "3": "remediate"}
    priced = _ok(insured.get(f"{API}/{pid}/prices"))
    after = {k: Decimal(v) for k, v in priced["totals"].items()}
    effect_2 = next(Decimal(e["premium_effect"]) for e in priced["effects"] if e["ref"] == "2")
    # Only point 2's loading is borne: the premium now is the all-remediated one plus its effect.
    assert after["now"] == after["all_remediated"] + effect_2 and after["now"] < totals["none_remediated"]

    # To market (issue 15): refused until the insured acknowledged the disclosure and the mandate; then
    # the decisions freeze.
    assert broker.post(f"{API}/{pid}/go-to-market").status_code == 409
    consents_acknowledged(env, pid)
    assert _ok(broker.post(f"{API}/{pid}/go-to-market"))["status"] == "to_market"
    r = insured.put(f"{API}/{pid}/decisions", json={"decisions": decisions[1:2]})
    assert r.status_code == 409

    with env.session() as s:
        assert verify(s) == []
        actions = list(
            s.execute(
                text("SELECT action FROM audit_event WHERE chain_key = :k ORDER BY seq"), {"k": f"case:{pid}"}
            ).scalars()
        )
    moves = [a for a in actions if a.startswith("placement.") and a.split(".")[1] in {
        "opened", "explain", "choose", "issue_letter", "accept", "submit_report", "publish_register", "go_to_market"
    }]  # fmt: skip
    assert moves == [
        "placement.opened",
        "placement.explain",
        "placement.choose",
        "placement.issue_letter",
        "placement.accept",
        "placement.submit_report",
        "placement.publish_register",
        "placement.go_to_market",
    ]
