"""Loss notice intake (R-C1) and routing (R-C2): idempotency, routing deadline, timers, recommendations."""

from __future__ import annotations

import datetime as dt
import threading

from sqlalchemy import func, select

from tandem.claim.models import Claim
from tandem.notification.models import Notification, OutboxJob
from tandem.worker import runner
from tests.helpers import _body, _policy


def test_notice_is_created_once_per_idempotency_key(env):
    pol = _policy(env, "insured1", "PQC2026330400001")
    c = env.client("insured1")
    r1 = c.post("/api/v1/claims", json=_body(pol["id"]), headers={"Idempotency-Key": "k-1"})
    assert r1.status_code == 201, r1.text
    r2 = c.post("/api/v1/claims", json=_body(pol["id"]), headers={"Idempotency-Key": "k-1"})
    assert r2.status_code == 200 and r2.json()["id"] == r1.json()["id"]
    r3 = c.post("/api/v1/claims", json=_body(pol["id"], description="另一个描述"), headers={"Idempotency-Key": "k-1"})
    assert r3.status_code == 422 and "Idempotency-Key" in r3.json()["error"]["fields"]
    with env.session() as s:
        assert s.execute(select(func.count()).select_from(Claim)).scalar_one() == 1
    claim = r1.json()
    assert claim["number"].startswith("LP-2026-")
    assert claim["insurer"]["name"] == "中安财产保险股份有限公司"
    # loss 2026-11-24 14:30Z + 48 h
    assert claim["routing_deadline"].startswith("2026-11-26T14:30:00")


def test_concurrent_retries_create_one_claim(env):
    pol = _policy(env, "insured1", "PQC2026330400001")
    c = env.client("insured1")
    results: list[int] = []

    def post():
        r = c.post("/api/v1/claims", json=_body(pol["id"]), headers={"Idempotency-Key": "race"})
        results.append(r.status_code)

    threads = [threading.Thread(target=post) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results).count(201) == 1 and all(s in (200, 201) for s in results), results
    with env.session() as s:
        assert s.execute(select(func.count()).select_from(Claim)).scalar_one() == 1


def test_insurer_sees_the_copy_and_others_get_404(env):
    pol = _policy(env, "insured1", "PQC2026330400001")
    claim = env.client("insured1").post("/api/v1/claims", json=_body(pol["id"])).json()
    ids = [c["id"] for c in env.client("insurer1").get("/api/v1/claims").json()["items"]]
    assert claim["id"] in ids
    missing = env.client("insurer2").get("/api/v1/claims/00000000-0000-4000-8000-000000000000")
    for user in ("insurer2", "insured2", "adjuster3"):
        r = env.client(user).get(f"/api/v1/claims/{claim['id']}")
        assert r.status_code == 404 and r.content == missing.content
    assert env.client("insured2").get("/api/v1/claims").json()["items"] == []


def test_designated_adjuster_gets_the_case_and_timers_are_queued(env):
    pol = _policy(env, "insured1", "PQC2026330400001")
    claim = env.client("insured1").post("/api/v1/claims", json=_body(pol["id"])).json()
    assert claim["status"] == "routed" and claim["adjuster"]["name"] == "王建国"
    ids = [c["id"] for c in env.client("adjuster1").get("/api/v1/claims").json()["items"]]
    assert claim["id"] in ids
    with env.session() as s:
        topics = sorted(j.topic for j in s.execute(select(OutboxJob)).scalars())
    assert topics.count("routing.escalate") == 3 and "claim.copied_to_insurer" in topics


def test_escalations_fire_when_nobody_routes_in_time(env):
    pol = _policy(env, "insured2", "PCA2026441900002")
    claim = (
        env.client("insured2")
        .post("/api/v1/claims", json=_body(pol["id"], location="广东省东莞市长安镇振安中路128号"))
        .json()
    )
    assert claim["status"] == "notified"
    env.settings.smtp_port = 1  # e-mails stay queued; the escalation itself is what we check
    runner.run_once(env.factory, env.settings, env.clock)
    env.clock.advance(hours=49)
    runner.run_once(env.factory, env.settings, env.clock)
    events = env.client("admin").get("/api/v1/claims").json()
    assert events["items"][0]["id"] == claim["id"]
    from tandem.audit.models import AuditEvent

    with env.session() as s:
        actions = set(s.execute(select(AuditEvent.action).where(AuditEvent.entity_id == claim["id"])).scalars())
        notes = s.execute(
            select(func.count()).select_from(Notification).where(Notification.subject.contains(claim["number"]))
        ).scalar_one()
        digests = s.execute(
            select(func.count()).select_from(OutboxJob).where(OutboxJob.topic == "notification.digest")
        ).scalar_one()
    assert {"routing.escalated_half", "routing.escalated_late", "routing.escalated_missed"} <= actions
    assert notes >= 3 and digests >= 1


def test_recommendations_exclude_blacklisted_and_lapsed(env):
    pol = _policy(env, "insured2", "PCA2026441900002")
    claim = env.client("insured2").post("/api/v1/claims", json=_body(pol["id"], location="浙江省杭州市")).json()
    r = env.client("broker").get(f"/api/v1/claims/{claim['id']}/adjuster-recommendations")
    assert r.status_code == 200, r.text
    data = r.json()
    excluded = {e["adjuster"]["name"]: e["reasons"] for e in data["excluded"]}
    recommended = [x["adjuster"]["name"] for x in data["recommended"]]
    assert "certificate_lapsed" in excluded["钱永刚"]
    assert "blacklisted" in excluded["何雪梅"]
    assert "钱永刚" not in recommended and "何雪梅" not in recommended
    assert recommended and all(x["score"] > 0 for x in data["recommended"])


def test_bad_notice_names_the_field(env):
    pol = _policy(env, "insured1", "PQC2026330400001")
    c = env.client("insured1")
    r = c.post("/api/v1/claims", json=_body(pol["id"], loss_at="2026-11-24T22:30:00"))
    assert r.status_code == 422 and "loss_at" in r.json()["error"]["fields"]
    r = c.post("/api/v1/claims", json=_body(pol["id"], channel="fax"))
    assert r.status_code == 422 and "channel" in r.json()["error"]["fields"]
    r = c.post("/api/v1/claims", json=_body(pol["id"], loss_at=(dt.datetime(2026, 12, 30, tzinfo=dt.UTC)).isoformat()))
    assert r.status_code == 422 and "loss_at" in r.json()["error"]["fields"]
    with env.session() as s:
        assert s.execute(select(func.count()).select_from(Claim)).scalar_one() == 0


def test_routing_timers_survive_a_restart(env):
    """The timers are rows: a new engine and worker (a restarted process) fire them on its first pass."""
    from tandem.audit.models import AuditEvent
    from tandem.db import make_engine, make_session_factory

    pol = _policy(env, "insured2", "PCA2026441900002")
    claim = env.client("insured2").post("/api/v1/claims", json=_body(pol["id"], location="广东省东莞市长安镇")).json()
    env.app.state.engine.dispose()  # the API process goes away
    engine = make_engine(env.url)
    try:
        factory = make_session_factory(engine)
        env.clock.advance(hours=60)
        runner.run_once(factory, env.settings, env.clock)
        with factory() as s:
            actions = set(s.execute(select(AuditEvent.action).where(AuditEvent.entity_id == claim["id"])).scalars())
        assert "routing.escalated_missed" in actions
    finally:
        engine.dispose()


def test_numbers_are_unique_when_a_new_year_starts_under_load(env):
    """The first numbers of a year, taken at once by several sessions, are distinct and without holes
    (nothing rolled back); later ones continue the same series."""
    from tandem.claim.service import next_number
    from tandem.db import unit_of_work

    new_year = dt.datetime(2031, 1, 1, 0, 0, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    got: list[str] = []
    errors: list[BaseException] = []

    def take() -> None:
        try:
            for _ in range(5):
                with unit_of_work(env.factory) as s:
                    got.append(next_number(s, new_year, "QRH"))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=take) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(got) == [f"QRH-2031-{i:06d}" for i in range(1, 21)]
    with unit_of_work(env.factory) as s:
        assert next_number(s, new_year, "QRH") == "QRH-2031-000021"
        assert next_number(s, new_year, "GR") == "GR-2031-000001"
