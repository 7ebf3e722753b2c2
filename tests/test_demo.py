"""The demo a new user starts with (issue 22 item 12): claims at every stage built through the real
services, and ``tandem serve --with-worker`` running the outbox worker beside the server."""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from sqlalchemy import select

from tandem import demo_claims, demo_complaints, demo_history
from tandem.audit import service as audit
from tandem.kit.canonical import canonical_json, sha256_hex
from tandem.report.models import Report
from tandem.worker import runner
from tests.helpers import WAIT_TIMEOUT_MS, _ok, _user_actor, html_table, logged_in


def test_demo_claims_at_every_stage(env):
    started = time.monotonic()
    with env.factory.begin() as s:
        demo_claims.load(s, env.settings, env.clock.now())
    print(f"demo claims loaded in {time.monotonic() - started:.1f} s")  # a figure, not a check: the machine may be busy
    for _ in range(10):  # letters, reports and the MoU as PDFs (and digests), batch after batch until idle
        stats = runner.run_once(env.factory, env.settings, env.clock)
        if stats.done + stats.retried + stats.failed == 0:
            break
    claims = _ok(env.client("broker").get("/api/v1/claims?limit=100"))["items"]
    statuses = {c["status"] for c in claims}
    for status in ("notified", "routed", "surveying", "reported", "negotiating", "agreed", "closed", "withdrawn"):
        assert status in statuses, (status, statuses)
    disputed = next(c for c in claims if "屋面坍塌" in c["description"])
    view = _ok(env.client("insurer1").get(f"/api/v1/claims/{disputed['id']}/consultation"))
    assert view["state"] == "agreed" and view["memorandum"]["final"] is True
    case = _ok(env.client("insured1").get(f"/api/v1/claims/{disputed['id']}/case"))
    assert case["claim"]["status"] == "closed" and case["payments"]
    assert {"report_pdf", "mou_pdf", "confirmation_letter"} <= {d["kind"] for d in case["documents"]}
    # A refusal the insurer withdrew after the broker's complaint, then paid: a refusal later paid.
    reconsidered = next(c for c in claims if "原料仓库起火" in c["description"])
    case = _ok(env.client("insurer1").get(f"/api/v1/claims/{reconsidered['id']}/case"))
    actions = [e["action"] for e in case["timeline"]]
    assert case["claim"]["status"] == "paid" and case["payments"]
    assert actions.index("claim.refuse") < actions.index("claim.reconsider") < actions.index("claim.accept")
    # A claim waits for the insured's say on the broker's proposed adjuster, and the insured holds the ball.
    waiting = next(c for c in claims if "阳台雨水倒灌" in c["description"])
    case = _ok(env.client("insured3").get(f"/api/v1/claims/{waiting['id']}/case"))
    assert case["claim"]["status"] == "notified" and case["proposal"]["state"] == "proposed"
    assert next(d for d in case["deadlines"] if d["kind"] == "routing")["holder"] == "insured"
    # Bias analytics: 王建国 is flagged (a suggestion in the risk evaluators' queue), 张伟 is measured, not flagged.
    suggestions = _ok(env.client("risk").get("/api/v1/neutrality/queue"))["suggestions"]
    assert [s["adjuster"]["name"] for s in suggestions] == ["王建国"]
    assert suggestions[0]["figures"]["n"] == 6 and suggestions[0]["figures"]["flagged"] is True
    register = {a["name"]: a["id"] for a in _ok(env.client("broker").get("/api/v1/adjusters?limit=200"))["items"]}
    zhang = _ok(env.client("broker").get(f"/api/v1/neutrality/adjusters/{register['张伟']}/record"))["figures"]
    assert zhang["n"] == 1 and zhang["flagged"] is False
    for user in ("insured1", "insurer1", "adjuster1", "adjuster3", "risk"):
        assert _ok(env.client(user).get("/api/v1/claims"))["items"], user
        assert _ok(env.client(user).get("/api/v1/notifications")), user
    with env.session() as s:
        assert audit.verify(s) == []


def test_demo_complaints_at_their_stages_and_the_escalated_one_seen_by_supervision(env):
    with env.factory.begin() as s:
        demo_claims.load(s, env.settings, env.clock.now())
        assert demo_complaints.load(s, env.clock.now()) == len(demo_complaints.PLAN)
    mine = {(c["kind"], c["state"]): c for c in _ok(env.client("insured1").get("/api/v1/complaints"))}
    assert set(mine) == {("complaint", "received"), ("explanation", "decided")}
    assert mine[("complaint", "received")]["acknowledged_at"] and not mine[("complaint", "received")]["decision"]
    answered = mine[("explanation", "decided")]
    assert answered["decided_at"][:10] <= answered["due_on"] and answered["decision"]
    [extended] = _ok(env.client("insured3").get("/api/v1/complaints"))
    assert extended["state"] == "extended" and extended["extension_reason"]
    received = dt.date.fromisoformat(extended["received_at"][:10])
    assert (dt.date.fromisoformat(extended["due_on"]) - received).days in (29, 30, 31)  # 30 days, Shanghai dates
    # The target reads it too; supervision reads only the escalated one, and counts every one in its figures.
    assert {c["id"] for c in _ok(env.client("adjuster1").get("/api/v1/complaints"))} == {c["id"] for c in mine.values()}
    assert extended["id"] in {c["id"] for c in _ok(env.client("broker").get("/api/v1/complaints"))}
    [escalated] = _ok(env.client("regulator").get("/api/v1/complaints"))
    assert escalated["state"] == "escalated" and escalated["escalation_reason"] and escalated["may"] == []
    year = env.clock.now().year
    figures = _ok(env.client("regulator").get(f"/api/v1/complaints/statistics?year={year}"))
    assert sum(f["received"] for f in figures) == len(demo_complaints.PLAN)
    with env.session() as s:
        assert audit.verify(s) == []


def test_demo_history_is_a_year_of_claims_across_insurers_firms_lines_and_regions(env):
    from tandem.figures import compute, facts

    started = time.monotonic()
    with env.factory.begin() as s:
        assert demo_history.load(s, env.clock.now()) == demo_history.CLAIMS
    print(f"demo history loaded in {time.monotonic() - started:.1f} s")  # a figure, not a check
    with env.session() as s:
        rows = facts.read(s, _user_actor(s, "broker"), env.clock.now())
    dims = [c.dims for c in rows.claims]
    assert len(rows.claims) == demo_history.CLAIMS
    assert len({d.period for d in dims}) >= 12 and len({d.line for d in dims}) == len(demo_history.LINES)
    assert len({d.insurer for d in dims}) >= 2 and len({d.firm for d in dims if d.firm}) == 3
    assert {d.region for d in dims} == {"上海", "浙江", "江苏", "广东"}
    months = compute.table(rows, compute.Filters(), "period", private=False).groups
    # Every month has claims, delegated ones and money settled, so the trends are real-looking.
    for g in months[1:-1]:  # the first and the current month are partial
        assert g.figures["claims"].value > 5 and g.figures["delegation"].value > 0, g.key
    assert any(f.overdue for f in rows.fees) and any(f.days_to_pay for f in rows.fees)
    # Every role's dashboard has figures to show on it (none hidden in the total for the firm and the insurer).
    for user, role in (("broker", "broker"), ("adjuster1", "firm"), ("insurer1", "insurer"), ("insured1", "insured")):
        page = logged_in(env, user).get(f"/dashboard/{role}")
        assert page.status_code == 200, (user, page.text)
        total = html_table(page.text, "dashboard-table")[-1]
        assert "数据不足" not in total and total[1] not in ("0", "—"), (user, total)
    # A past claim's report is a report like any other: its content hashes to its hash, its page shows it.
    with env.session() as s:
        report = s.scalars(select(Report).order_by(Report.number).limit(1)).one()
        assert report.content_hash == sha256_hex(canonical_json(report.content))
        claim_id = report.claim_id
    page = logged_in(env, "broker").get(f"/claims/{claim_id}")
    assert page.status_code == 200 and report.display_number in page.text and "受损财产" in page.text


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(x) for x in path.read_text().split()] if path.exists() else []


def test_serve_with_worker_runs_both_and_one_interrupt_stops_both(tmp_path):
    port = _free_port()
    environ = {k: v for k, v in os.environ.items() if not k.startswith("TANDEM_")}
    environ.update(
        TANDEM_ENV="test",
        TANDEM_DATABASE_URL=f"sqlite:///{tmp_path / 'demo.db'}",
        TANDEM_VAR_DIR=str(tmp_path),
        TANDEM_SECRET_KEY="demo-test",
        TANDEM_SMTP_PORT="1",
    )
    cli = [sys.executable, "-c", "from tandem.cli import main; main()"]
    subprocess.run([*cli, "db", "upgrade"], env=environ, check=True, capture_output=True, timeout=300)
    server = subprocess.Popen(
        [*cli, "serve", "--with-worker", "--port", str(port)],
        env=environ,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + max(90, 2 * WAIT_TIMEOUT_MS / 1000)  # a state: /healthz answers
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, "the server did not come up"
            time.sleep(0.3)
        workers = [c for c in _children(server.pid) if b"worker" in Path(f"/proc/{c}/cmdline").read_bytes()]
        assert len(workers) == 1, _children(server.pid)
        os.killpg(server.pid, signal.SIGINT)  # what Ctrl-C in the terminal does
        assert server.wait(timeout=WAIT_TIMEOUT_MS / 1000) is not None
        deadline = time.monotonic() + WAIT_TIMEOUT_MS / 1000
        while Path(f"/proc/{workers[0]}").exists() and b"Z" not in Path(f"/proc/{workers[0]}/stat").read_bytes():
            assert time.monotonic() < deadline, "the worker outlived the server"
            time.sleep(0.2)
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
