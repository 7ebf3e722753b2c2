"""Staged risk evaluation of a bound policy (R-U9, issue 16 item 1), through the API: the broker proposes
the interval, the insured agrees, a durable timer opens the re-survey for the broker's adjuster firm ahead
of its date (on a moved clock, and after a restart of the worker), the firm's 《阶段性风险评价报告》 lists
every earlier point with its state and evidence and a new one, the insured's tasks follow, reminders and
missed commitments (the insurer told only where the plan says so); strangers get 404."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select

from tandem.audit.models import AuditEvent
from tandem.db import make_engine, make_session_factory, unit_of_work
from tandem.inforce.models import StagedSurvey
from tandem.notification.models import OutboxJob
from tandem.premium.engine import add_months
from tandem.worker import runner
from tests.helpers import _ok, inbox, pdf_text, policy_bound

API = "/api/v1/policies"


def _advance_to(env, when: dt.datetime) -> None:
    env.clock.current = when
    env._clients.clear()  # tokens lapse with a moved clock


def _run(env, factory=None) -> None:
    """The worker until nothing more is due now (the story left PDFs and mails in the queue too)."""
    for _ in range(50):
        stats = runner.run_once(factory or env.factory, env.settings, env.clock)
        if stats.done + stats.retried + stats.failed == 0:
            return


def _adjuster_ids(env) -> list[str]:
    items = _ok(env.client("broker").get("/api/v1/adjusters?limit=100"))["items"]
    return [next(a["id"] for a in items if a["name"] == n) for n in ("张伟", "陈亮")]


STAGED = {
    "subject": "嘉兴鑫达电子科技有限公司：南湖厂区（第一次阶段性复查）",
    "earlier": [
        {"ref": "1", "state": "remedied", "evidence": "配电房电缆已全部更换，见更换验收单及现场照片。"},
        {"ref": "2", "state": "not_remedied", "evidence": "消防通道仍堆放包装物。"},
        {"ref": "3", "state": "worse", "evidence": "化学品库新增两桶未登记溶剂。", "level": "重大"},
    ],
    "risk_points": [
        {
            "ref": "4",
            "title": "屋面彩钢板锈蚀",
            "description": "A 栋屋面彩钢板锈蚀，雨季有漏水风险。",
            "location": "A 栋屋面",
            "level": "中",
            "coefficient": "1.0300",
            "advice": "更换锈蚀板材。",
        }
    ],
    "advice": "整改未完成项，建立化学品台账。",
    "environmental": "危废暂存间已设防渗。",
    "safety": "消防通道仍被占用。",
}


def _agreed(env, pid: str, **plan) -> dict:
    body = {"interval_months": 6, "lead_days": 14, **plan}
    _ok(env.client("broker").post(f"{API}/{pid}/staged-risk/plan", json=body))
    return _ok(env.client("insured1").post(f"{API}/{pid}/staged-risk/plan/agree"))


def test_the_plan_is_proposed_by_the_broker_and_agreed_by_the_insured(env):
    pid = policy_bound(env)
    broker, insured = env.client("broker"), env.client("insured1")
    r = broker.post(f"{API}/{pid}/staged-risk/plan", json={"interval_months": 13, "lead_days": 0})
    assert r.status_code == 422 and set(r.json()["error"]["fields"]) == {"interval_months", "lead_days"}, r.text
    assert insured.post(f"{API}/{pid}/staged-risk/plan", json={"interval_months": 6}).status_code == 403
    assert insured.post(f"{API}/{pid}/staged-risk/plan/agree").status_code == 409  # nothing proposed yet
    view = _ok(broker.post(f"{API}/{pid}/staged-risk/plan", json={"interval_months": 6, "lead_days": 14}))
    assert view["plan"]["status"] == "proposed" and view["surveys"] == []
    assert broker.post(f"{API}/{pid}/staged-risk/plan/agree").status_code == 403
    assert any("阶段性风险评价" in s for s in inbox(env, "insured1"))
    view = _ok(insured.post(f"{API}/{pid}/staged-risk/plan/agree"))
    assert view["plan"]["status"] == "agreed"
    policy = _ok(insured.get(f"{API}/{pid}"))
    start = dt.date.fromisoformat(policy["period_start"])
    [survey] = view["surveys"]
    assert survey["stage"] == 1 and survey["status"] == "scheduled"
    assert survey["due_date"] == dt.date(*add_months(start, 6)).isoformat()
    # The insured's commitments at binding (points 1 and 3) are its tasks; the register at binding is stage 0.
    assert sorted(t["ref"] for t in view["tasks"]) == ["1", "3"] and view["missed"] == []
    assert view["stages"][0]["open_by_level"] == {"低": 0, "中": 1, "高": 1, "重大": 1}
    assert insured.post(f"{API}/{pid}/staged-risk/plan/agree").status_code == 409  # agreed already
    with env.session() as s:
        actions = set(s.execute(select(AuditEvent.action).where(AuditEvent.action.like("staged.%"))).scalars())
    assert {"staged.plan_proposed", "staged.plan_agreed"} <= actions


def test_strangers_get_404_and_the_insurer_sees_tasks_only_where_the_plan_says_so(env):
    pid = policy_bound(env)
    _agreed(env, pid)
    missing = f"{API}/{uuid.uuid4()}/staged-risk"
    for user in ("insured2", "underwriter2", "adjuster1"):
        c = env.client(user)
        r, none = c.get(f"{API}/{pid}/staged-risk"), c.get(missing)
        assert r.status_code == none.status_code == 404 and r.json() == none.json(), (user, r.text)
    assert _ok(env.client("underwriter1").get(f"{API}/{pid}/staged-risk"))["tasks"] is None
    assert _ok(env.client("adjuster3").get(f"{API}/{pid}/staged-risk"))["tasks"] is not None
    plan = {"interval_months": 6, "insurer_sees_missed": True}
    _ok(env.client("broker").post(f"{API}/{pid}/staged-risk/plan", json=plan))
    _ok(env.client("insured1").post(f"{API}/{pid}/staged-risk/plan/agree"))
    assert _ok(env.client("underwriter1").get(f"{API}/{pid}/staged-risk"))["tasks"] is not None


def _survey(env, pid: str) -> StagedSurvey:
    with env.session() as s:
        return s.execute(select(StagedSurvey).where(StagedSurvey.policy_id == uuid.UUID(pid))).scalars().one()


def test_the_timer_opens_the_re_survey_on_a_moved_clock_and_after_a_restart(env):
    pid = policy_bound(env)
    _agreed(env, pid)
    survey = _survey(env, pid)
    with env.session() as s:
        job = s.execute(select(OutboxJob).where(OutboxJob.topic == "staged.open_survey")).scalars().one()
        assert job.not_before == survey.opens_at
    # A day before the opening time: the worker runs, the survey stays scheduled.
    _advance_to(env, survey.opens_at - dt.timedelta(days=1))
    _run(env)
    assert _survey(env, pid).status == "scheduled"
    assert _ok(env.client("adjuster3").get(f"{API}/{pid}/staged-risk"))["may"] == []
    # The process restarts (a new engine and session factory, nothing kept in memory) and the clock moves on.
    engine = make_engine(env.url)
    try:
        factory = make_session_factory(engine, env.settings.audit_key)
        _advance_to(env, survey.opens_at + dt.timedelta(minutes=1))
        _run(env, factory)
    finally:
        engine.dispose()
    opened = _survey(env, pid)
    assert opened.status == "open" and opened.opened_at == env.clock.now()
    assert _ok(env.client("adjuster3").get(f"{API}/{pid}/staged-risk"))["may"] == ["report"]
    assert any("复查" in s or "re-survey" in s.lower() for s in inbox(env, "adjuster3"))
    _run(env)  # the timer again: nothing changes
    assert _survey(env, pid).opened_at == opened.opened_at


def test_the_staged_report_states_each_point_and_the_tasks_follow(env):
    pid = policy_bound(env)
    _agreed(env, pid)
    survey = _survey(env, pid)
    _advance_to(env, survey.opens_at + dt.timedelta(hours=1))
    _run(env)
    firm = env.client("adjuster3")
    # The commitments at binding fell due long before: they are missed, shown to the broker, not the insurer.
    view = _ok(env.client("broker").get(f"{API}/{pid}/staged-risk"))
    assert sorted(t["ref"] for t in view["missed"]) == ["1", "3"]
    assert any("未按期整改" in s or "missed" in s for s in inbox(env, "broker"))
    assert not any("1" in s and "missed" in s for s in inbox(env, "underwriter1"))

    # Every open point must be listed, once, with its state; a new point takes a new ref.
    bad = {**STAGED, "earlier": [*STAGED["earlier"][:2], {"ref": "3", "state": "worse", "evidence": "x"}]}
    bad["risk_points"] = [{**STAGED["risk_points"][0], "ref": "2"}]
    r = firm.put(f"{API}/{pid}/staged-risk/draft", json={"content": bad})
    assert r.status_code == 422 and set(r.json()["error"]["fields"]) == {"earlier.2.level", "risk_points.0.ref"}, r.text
    r = firm.put(f"{API}/{pid}/staged-risk/draft", json={"content": {**STAGED, "earlier": STAGED["earlier"][:2]}})
    assert r.status_code == 422 and "earlier" in r.json()["error"]["fields"]
    assert env.client("broker").put(f"{API}/{pid}/staged-risk/draft", json={"content": STAGED}).status_code == 403
    draft = _ok(firm.put(f"{API}/{pid}/staged-risk/draft", json={"content": STAGED}))
    assert draft["content"]["unremedied"] == ["2", "3"]
    zhang, chen = _adjuster_ids(env)
    r = firm.post(f"{API}/{pid}/staged-risk/reports", json={"signer_ids": [zhang, str(uuid.uuid4())]})
    assert r.status_code == 422 and "signer_ids" in r.json()["error"]["fields"]
    report = _ok(firm.post(f"{API}/{pid}/staged-risk/reports", json={"signer_ids": [zhang, chen]}), 201)
    assert report["number"].startswith("JP-")

    view = _ok(env.client("insured1").get(f"{API}/{pid}/staged-risk"))
    stage = view["stages"][-1]
    assert stage["number"] == 1 and stage["report"]["number"] == report["number"]
    assert {p["ref"]: p["state"] for p in stage["points"]} == {
        "1": "remedied", "2": "not_remedied", "3": "worse", "4": "new"
    }  # fmt: skip
    assert stage["open_by_level"] == {"低": 0, "中": 2, "高": 0, "重大": 1}
    tasks = {t["ref"]: t for t in view["tasks"]}
    assert tasks["1"]["status"] == "done" and tasks["1"]["missed_at"]  # remedied late: the miss stays on record
    assert tasks["3"]["status"] == "missed"
    [nxt] = [s for s in view["surveys"] if s["status"] == "scheduled"]
    assert nxt["stage"] == 2 and nxt["due_date"] > env.clock.now().date().isoformat()
    assert tasks["2"]["status"] == tasks["4"]["status"] == "open" and tasks["4"]["due_date"] == nxt["due_date"]
    assert [s["status"] for s in view["surveys"]] == ["reported", "scheduled"]
    pdf = env.client("insured1").get(f"{API}/{pid}/staged-risk/reports/{report['id']}/pdf")
    assert pdf.headers["X-Content-SHA256"] == report["content_hash"]
    text = pdf_text(pdf.content)
    assert "此前风险点复查情况" in text and "已整改" in text and "屋面彩钢板锈蚀" in text
    assert env.client("insured2").get(f"{API}/{pid}/staged-risk/reports/{report['id']}/pdf").status_code == 404
    # The report is immutable and the survey reported: a second report on it is refused.
    assert firm.post(f"{API}/{pid}/staged-risk/reports", json={"signer_ids": [zhang, chen]}).status_code == 409

    # A week before task 4 falls due the insured is reminded; after its date it is missed.
    due = dt.date.fromisoformat(tasks["4"]["due_date"])
    _advance_to(env, dt.datetime.combine(due - dt.timedelta(days=6), dt.time(8), tzinfo=dt.UTC))
    _run(env)
    assert any("4" in s and tasks["4"]["due_date"] in s for s in inbox(env, "insured1"))
    _advance_to(env, dt.datetime.combine(due + dt.timedelta(days=1), dt.time(8), tzinfo=dt.UTC))
    _run(env)
    view = _ok(env.client("broker").get(f"{API}/{pid}/staged-risk"))
    assert {t["ref"] for t in view["missed"]} >= {"2", "4"}


def test_the_demo_policy_has_a_staged_report_done_and_the_next_survey_scheduled(env):
    from tandem import demo_placements

    with unit_of_work(env.factory) as s:
        demo_placements.load(s, env.settings, env.clock.now())
    placements = _ok(env.client("broker").get("/api/v1/placements?limit=100"))["items"]
    bound = next(p["id"] for p in placements if p["status"] == "bound" and p["title"] != demo_placements.ENDED_TITLE)
    policy = next(p for p in _ok(env.client("broker").get(f"{API}?limit=200"))["items"] if p["placement_id"] == bound)
    view = _ok(env.client("broker").get(f"{API}/{policy['id']}/staged-risk"))
    assert view["plan"]["status"] == "agreed" and view["plan"]["insurer_sees_missed"] is True
    assert [s["status"] for s in view["surveys"]] == ["reported", "scheduled"]
    assert view["surveys"][1]["due_date"] > env.clock.now().date().isoformat()
    stage = view["stages"][-1]
    assert stage["report"]["number"].startswith("JP-")
    assert sorted(p["state"] for p in stage["points"]) == ["new", "not_remedied", "remedied", "worse"]
    assert sorted(t["ref"] for t in view["missed"]) == ["1", "3"]
    # The insurer sees the missed commitments on this policy: its plan says so.
    assert _ok(env.client("underwriter1").get(f"{API}/{policy['id']}/staged-risk"))["missed"]
