"""The risk register and the insured's choices (R-U4) through the API: drawn up from the submitted
pre-assessment report by the broker's risk evaluator, reviewed with reasons that stay on the record,
published to the insured, decided point by point with each choice's price, frozen once the placement
goes to market; who may see what."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError

from tandem.access.actor import Actor
from tandem.access.models import User
from tandem.audit.models import AuditEvent
from tandem.audit.service import verify
from tandem.case.models import Case
from tandem.claim.models import Deadline
from tandem.kit.errors import Conflict
from tandem.party.models import Adjuster
from tandem.placement import risk, risk_guard
from tandem.placement import service as placement_service
from tandem.placement.models import Placement, PlacementStatus
from tandem.placement.risk_models import RegisterChange, RemediationTask
from tandem.report import service as report_service
from tests.helpers import PRE_ASSESSMENT, _ok, consents_acknowledged, placement_reported


def _actor(session, username: str) -> Actor:
    return Actor.from_user(session.execute(select(User).where(User.username == username)).unique().scalar_one())


def _err(r, status: int) -> dict:
    assert r.status_code == status, r.text
    return r.json()["error"]


def test_register_review_publication_decisions_and_their_prices(env):
    pid = placement_reported(env)
    base = f"/api/v1/placements/{pid}"
    broker, evaluator, insured = env.client("broker"), env.client("risk"), env.client("insured1")

    # Nothing drawn up yet; the account manager does not keep the register, the risk evaluator does.
    assert broker.get(f"{base}/risk-register").status_code == 404
    assert _err(broker.post(f"{base}/risk-register"), 403)
    reg = _ok(evaluator.post(f"{base}/risk-register"), 201)
    assert reg["source"] == "pre_assessment" and reg["source_number"] == "YP-2026-000001"
    assert [(p["ref"], p["level"], p["coefficient"], p["proposed_coefficient"]) for p in reg["points"]] == [
        ("1", "高", "1.1500", "1.1500"),
        ("2", "中", "1.0500", "1.0500"),
        ("3", "重大", "1.3000", "1.3000"),
    ]
    assert all(p["choice"] == "undecided" and p["history"][0]["kind"] == "seeded" for p in reg["points"])
    assert _err(evaluator.post(f"{base}/risk-register"), 409)["code"] == "conflict"
    # Not published: the insured sees no register, no decisions, no prices.
    for path in ("risk-register", "decisions", "prices"):
        assert insured.get(f"{base}/{path}").status_code == 404

    # The evaluator changes the adjuster's loading: a reason is required and kept; a discount is refused.
    assert (
        "reason"
        in _err(evaluator.patch(f"{base}/risk-register/points/2", json={"coefficient": "1.0800"}), 422)["fields"]
    )
    bad = _err(evaluator.patch(f"{base}/risk-register/points/2", json={"coefficient": "0.9000", "reason": "x"}), 422)
    assert "coefficient" in bad["fields"]
    assert (
        "level"
        in _err(evaluator.patch(f"{base}/risk-register/points/2", json={"level": "极高", "reason": "x"}), 422)["fields"]
    )
    assert evaluator.patch(f"{base}/risk-register/points/9", json={"level": "高", "reason": "x"}).status_code == 404
    reg = _ok(
        evaluator.patch(
            f"{base}/risk-register/points/2",
            json={
                "level": "高",
                "coefficient": "1.0800",
                "reason": "通道长期堆货，复查仍未清理",
                "advice": "设专人每日巡查",
            },
        )
    )
    p2 = reg["points"][1]
    assert (p2["level"], p2["coefficient"], p2["proposed_level"], p2["proposed_coefficient"]) == (
        "高",
        "1.0800",
        "中",
        "1.0500",
    )
    assert p2["advice"] == "设专人每日巡查"
    assessed = [h for h in p2["history"] if h["kind"] == "assessed"]
    assert assessed[0]["reason"] == "通道长期堆货，复查仍未清理" and assessed[0]["by"] == "刘静怡"
    assert (assessed[0]["before"]["coefficient"], assessed[0]["after"]["coefficient"]) == ("1.0500", "1.0800")
    assert (
        _ok(evaluator.put(f"{base}/risk-register/advice", json={"advice": "建议年内完成电气改造"}))["advice"]
        == "建议年内完成电气改造"
    )

    # Deciding before publication is refused; so is publishing by the account manager.
    body = {"decisions": [{"ref": "1", "choice": "premium"}]}
    assert _err(insured.put(f"{base}/decisions", json=body), 409)
    assert _err(broker.post(f"{base}/risk-register/publish"), 403)
    reg = _ok(evaluator.post(f"{base}/risk-register/publish"))
    assert reg["status"] == "deciding" and reg["published_at"] is not None
    assert _ok(insured.get(f"{base}/risk-register"))["points"][1]["coefficient"] == "1.0800"

    # The insured's choices: field errors named, the date not in the past (today is 2026-11-25 in Shanghai).
    for decision, field in (
        ({"ref": "1", "choice": "remediate"}, "decisions[0].committed_date"),
        ({"ref": "1", "choice": "remediate", "committed_date": "2026-11-24"}, "decisions[0].committed_date"),
        ({"ref": "1", "choice": "maybe"}, "decisions[0].choice"),
        ({"ref": "7", "choice": "premium"}, "decisions[0].ref"),
        ({"ref": "1", "choice": "premium", "committed_date": "2026-13-01"}, "decisions[0].committed_date"),
    ):
        assert field in _err(insured.put(f"{base}/decisions", json={"decisions": [decision]}), 422)["fields"]
    assert _err(broker.put(f"{base}/decisions", json=body), 403)
    out = _ok(
        insured.put(
            f"{base}/decisions",
            json={
                "decisions": [
                    {"ref": "1", "choice": "remediate", "committed_date": "2026-11-25"},
                    {"ref": "2", "choice": "premium"},
                ]
            },
        )
    )
    assert [(d["ref"], d["choice"], d["committed_date"]) for d in out["decisions"]] == [
        ("1", "remediate", "2026-11-25"),
        ("2", "premium", None),
        ("3", "undecided", None),
    ]
    assert [(t["ref"], t["due_date"], t["status"]) for t in out["tasks"]] == [("1", "2026-11-25", "open")]

    # The prices: each choice priced by the engine, totals ordered, the insured without product detail.
    mine = _ok(insured.get(f"{base}/prices"))
    theirs = _ok(broker.get(f"{base}/prices"))
    assert mine["totals"] == theirs["totals"] and mine["effects"] == theirs["effects"]
    assert all(line["products"] is None for line in mine["lines"])
    assert all(line["products"] and line["chosen"] == line["products"][0]["code"] for line in theirs["lines"])
    t = {k: Decimal(v) for k, v in mine["totals"].items()}
    assert t["all_remediated"] < t["now"] < t["none_remediated"]
    effects = {e["ref"]: e for e in mine["effects"]}
    assert effects["1"]["total_if_remediate"] == effects["2"]["total_if_premium"] == mine["totals"]["now"]
    for e in effects.values():
        assert Decimal(e["premium_effect"]) == Decimal(e["total_if_premium"]) - Decimal(e["total_if_remediate"]) > 0
    assert {line["line"] for line in mine["lines"]} == {"企业财产保险", "机器损坏保险"}

    # Decisions change until the placement goes to market: the task follows (cancelled, then reopened).
    out = _ok(insured.put(f"{base}/decisions", json={"decisions": [{"ref": "1", "choice": "premium"}]}))
    assert [(t["ref"], t["status"]) for t in out["tasks"]] == [("1", "cancelled")]
    later = {"ref": "1", "choice": "remediate", "committed_date": "2027-03-31"}
    out = _ok(
        insured.put(
            f"{base}/decisions",
            json={"decisions": [later, {"ref": "3", "choice": "remediate", "committed_date": "2027-02-28"}]},
        )
    )
    assert [(t["ref"], t["due_date"], t["status"]) for t in out["tasks"]] == [
        ("3", "2027-02-28", "open"),
        ("1", "2027-03-31", "open"),
    ]
    after = _ok(insured.get(f"{base}/prices"))
    assert Decimal(after["totals"]["now"]) < t["now"]  # two remediated now, one accepted

    consents_acknowledged(env, pid)  # issue 15: the disclosure and the mandate come before the market
    with env.session() as s:
        # Every point decided: the insured's clock stopped.
        clock = s.execute(
            select(Deadline).where(Deadline.case_id == uuid.UUID(pid), Deadline.kind == "risk_decisions")
        ).scalar_one()
        assert clock.holder == "insured" and clock.stopped_at is not None
        placement = s.get(Placement, uuid.UUID(pid))
        placement_service.transition(s, _actor(s, "broker"), placement, "go_to_market", env.clock.now())
        s.commit()

    # Gone to market: decisions and the register are frozen; reading goes on.
    assert _err(insured.put(f"{base}/decisions", json=body), 409)
    assert _err(evaluator.patch(f"{base}/risk-register/points/1", json={"coefficient": "1.2000", "reason": "x"}), 409)
    assert _ok(insured.get(f"{base}/decisions"))["open_for_decisions"] is False

    with env.session() as s:
        assert verify(s) == []
        actions = list(
            s.execute(
                text("SELECT action FROM audit_event WHERE chain_key = :k ORDER BY seq"), {"k": f"case:{pid}"}
            ).scalars()
        )
        for action in (
            "risk_register.seeded",
            "risk_register.assessed",
            "risk_register.advised",
            "risk_register.register_advised",
            "placement.publish_register",
            "risk_register.decided",
            "placement.go_to_market",
        ):
            assert action in actions
        assert actions.count("risk_register.decided") == 5
        kinds = [c.kind for c in s.execute(select(RegisterChange).order_by(RegisterChange.at)).scalars()]
        assert kinds.count("decided") == 5 and kinds.count("seeded") == 3
    # The history is append-only in the database itself.
    with env.session() as s, pytest.raises(DBAPIError):
        s.execute(update(RegisterChange).values(reason="rewritten"))
        s.commit()


def test_who_sees_the_register_and_its_prices(env):
    pid = placement_reported(env)
    base = f"/api/v1/placements/{pid}"
    _ok(env.client("risk").post(f"{base}/risk-register"), 201)
    # Before publication only the broker reads it; the instructed firm does not yet.
    assert env.client("adjuster1").get(f"{base}/risk-register").status_code == 404
    _ok(env.client("risk").post(f"{base}/risk-register/publish"))
    # Other insureds and insurers not yet approached: the same 404 as a placement that does not exist.
    missing = f"/api/v1/placements/{uuid.uuid4()}"
    for outsider in ("insured2", "insurer1", "adjuster3"):
        for path in ("risk-register", "decisions", "prices"):
            r = env.client(outsider).get(f"{base}/{path}")
            assert r.status_code == 404 and r.json() == env.client(outsider).get(f"{missing}/{path}").json()
        assert (
            env.client(outsider)
            .put(f"{base}/decisions", json={"decisions": [{"ref": "1", "choice": "premium"}]})
            .status_code
            == 404
        )
    # The instructed firm reads the published register, but not the insurers' prices; it decides nothing.
    assert len(_ok(env.client("adjuster1").get(f"{base}/risk-register"))["points"]) == 3
    assert env.client("adjuster1").get(f"{base}/prices").status_code == 403
    assert (
        env.client("adjuster1")
        .put(f"{base}/decisions", json={"decisions": [{"ref": "1", "choice": "premium"}]})
        .status_code
        == 403
    )


def test_staged_reports_check_the_remediation_tasks(env):
    pid = placement_reported(env)
    base = f"/api/v1/placements/{pid}"
    _ok(env.client("risk").post(f"{base}/risk-register"), 201)
    _ok(env.client("risk").post(f"{base}/risk-register/publish"))
    decisions = [{"ref": r, "choice": "remediate", "committed_date": "2027-01-15"} for r in ("1", "2", "3")]
    _ok(env.client("insured1").put(f"{base}/decisions", json={"decisions": decisions}))
    with env.session() as s:
        case, firm = s.get(Case, uuid.UUID(pid)), _actor(s, "adjuster1")
        signers = [
            a.id for a in s.execute(select(Adjuster).where(Adjuster.name.in_(["王建国", "李娜"]))).unique().scalars()
        ]
        staged = {**PRE_ASSESSMENT, "unremedied": ["2"]}
        report_service.save_draft(s, firm, case, "staged_risk", staged, now=env.clock.now())
        report = report_service.submit(s, firm, case, "staged_risk", signer_ids=signers, now=env.clock.now())
        closed = risk.check_tasks(s, firm, s.get(Placement, uuid.UUID(pid)), report, now=env.clock.now())
        assert sorted(t.ref for t in closed) == ["1", "3"]
        s.commit()
    tasks = {t["ref"]: t["status"] for t in _ok(env.client("insured1").get(f"{base}/decisions"))["tasks"]}
    assert tasks == {"1": "done", "2": "open", "3": "done"}
    with env.session() as s:
        assert s.execute(select(RemediationTask).where(RemediationTask.status == "open")).scalars().one().ref == "2"
        assert s.get(Placement, uuid.UUID(pid)).status == PlacementStatus.DECIDING


def test_a_discount_in_the_report_blocks_publication_until_reviewed(env):
    content = {**PRE_ASSESSMENT, "risk_points": [{**PRE_ASSESSMENT["risk_points"][0], "coefficient": "0.9500"}]}
    pid = placement_reported(env, content)
    base = f"/api/v1/placements/{pid}"
    evaluator = env.client("risk")
    reg = _ok(evaluator.post(f"{base}/risk-register"), 201)
    assert reg["points"][0]["coefficient"] == "0.9500"  # kept as the adjuster reported it
    err = _err(evaluator.post(f"{base}/risk-register/publish"), 422)
    assert err["fields"] == {"points.1.coefficient": risk_guard.BELOW_ONE}
    assert _ok(env.client("broker").get(f"/api/v1/placements/{pid}"))["status"] == "reported"
    # A stale version is refused; the review with a reason lets the register go out.
    stale = {"coefficient": "1.0000", "reason": "按无加费处理", "version": 99}
    assert _err(evaluator.patch(f"{base}/risk-register/points/1", json=stale), 409)["code"] == "state.changed"
    _ok(evaluator.patch(f"{base}/risk-register/points/1", json={**stale, "version": 1}))
    assert _ok(evaluator.post(f"{base}/risk-register/publish"))["status"] == "deciding"


def test_any_source_can_seed_the_register(env):
    """``seed_register`` is the entry point for an MoU's settled risk points (R-U8) as for the report."""
    pid = placement_reported(env)
    with env.session() as s:
        seeds = [risk.SeedPoint("A1", "配电房电缆老化", "双方确认", "1号厂房配电房", "中", Decimal("1.1200"))]
        reg = risk.seed_register(
            s,
            _actor(s, "risk"),
            pid,
            seeds,
            source="memorandum",
            source_id=None,
            source_number="MOU-1",
            now=env.clock.now(),
        )
        assert (reg.source, reg.source_number) == ("memorandum", "MOU-1")
        with pytest.raises(Conflict):
            risk.seed_from_report(s, _actor(s, "risk"), pid, now=env.clock.now())
        s.commit()
    points = _ok(env.client("risk").get(f"/api/v1/placements/{pid}/risk-register"))["points"]
    assert [(p["ref"], p["level"], p["coefficient"]) for p in points] == [("A1", "中", "1.1200")]


def test_a_corrected_report_is_taken_into_the_register(env):
    pid = placement_reported(env)
    base = f"/api/v1/placements/{pid}"
    evaluator = env.client("risk")
    _ok(evaluator.post(f"{base}/risk-register"), 201)
    _ok(evaluator.patch(f"{base}/risk-register/points/2", json={"coefficient": "1.0800", "reason": "复查仍未清理"}))
    assert _err(evaluator.post(f"{base}/risk-register/refresh"), 409)  # nothing corrected yet

    first, second, _third = PRE_ASSESSMENT["risk_points"]
    corrected = {
        **PRE_ASSESSMENT,
        "risk_points": [
            {**first, "title": "配电房电缆老化破损", "coefficient": "1.2000"},
            {**second, "coefficient": "1.0600"},
            {**first, "ref": "4", "title": "屋面彩钢板锈蚀", "level": "低", "coefficient": "1.0200"},
        ],
    }
    with env.session() as s:
        case, firm = s.get(Case, uuid.UUID(pid)), _actor(s, "adjuster1")
        signers = [
            a.id for a in s.execute(select(Adjuster).where(Adjuster.name.in_(["王建国", "李娜"]))).unique().scalars()
        ]
        original = report_service.latest_report(s, case, kind="pre_assessment")
        report_service.save_draft(s, firm, case, "pre_assessment", corrected, now=env.clock.now())
        report_service.submit(
            s,
            firm,
            case,
            "pre_assessment",
            signer_ids=signers,
            now=env.clock.now(),
            correction_of=original.id,
            reason="补充屋面查勘",
        )
        s.commit()

    assert env.client("broker").post(f"{base}/risk-register/refresh").status_code == 403  # the evaluators' task
    reg = _ok(evaluator.post(f"{base}/risk-register/refresh"))
    assert reg["source_number"] == "YP-2026-000001-R1"
    points = {p["ref"]: p for p in reg["points"]}
    # Untouched by the evaluator: follows the correction. Re-rated: keeps the evaluator's figure.
    assert (points["1"]["title"], points["1"]["coefficient"], points["1"]["proposed_coefficient"]) == (
        "配电房电缆老化破损",
        "1.2000",
        "1.2000",
    )
    assert (points["2"]["coefficient"], points["2"]["proposed_coefficient"]) == ("1.0800", "1.0600")
    assert points["4"]["choice"] == "undecided" and list(points) == ["1", "2", "3", "4"]
    assert (
        points["1"]["history"][-1]["kind"] == "refreshed"
        and points["1"]["history"][-1]["reason"] == "YP-2026-000001-R1"
    )
    assert _err(evaluator.post(f"{base}/risk-register/refresh"), 409)
    with env.session() as s:
        event = s.execute(
            select(AuditEvent).where(
                AuditEvent.chain_key == f"case:{pid}", AuditEvent.action == "risk_register.source_corrected"
            )
        ).scalar_one()
        assert event.after["not_in_report"] == ["3"]  # the dropped point stays for the evaluators to review
