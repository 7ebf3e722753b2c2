"""Surge replay with faults (巨灾报案洪峰): ``python -m bench.surge --notices N [--speedup X] [--kill] --json``.

N loss notices arrive on a front-loaded catastrophe curve: arrival times (hours into the event) follow
gamma(k=2, θ=--peak-hours) truncated at --window-hours, so the rate peaks θ hours in (about 4× the
average rate) and tails off. The curve is replayed --speedup times faster than real time (default:
the whole window in N/100 s, at least 20 s). Each notice is posted from a separate process
(bench/loadgen.py) with its own Idempotency-Key; on a connection error, a timeout or a 5xx the client
backs off and retries with the same key and the same body until it gets a 2xx (= acknowledged).

Alongside run ``tandem serve --workers N`` and --job-workers ``tandem worker`` processes, with an SMTP
sink for the e-mails they send. With --kill, at random moments (after --kill-every 3-12 s of normal
running, while notices are being ingested) either the API server (its whole process group) or one job
worker is SIGKILLed and started again.

Afterwards the database is checked:

* acknowledged: notices the client got a 2xx for; stored: notices present as a claim (matched by the
  reference in the description); lost: acknowledged but not stored (or stored under another id);
  duplicated: extra claims for one notice.
* timers_missing: claims without all three ``routing.escalate`` jobs (dedupe keys
  ``routing:{claim_id}:half|late|missed``) or without the ``deadline`` row of kind ``routing``.
* drained: no outbox job that is due (``not_before <= now()``) is still pending, and none is waiting
  for a retry after an error. The escalations are due hours later: they are *scheduled*, not pending.
  ingest_seconds = first arrival to last acknowledgement; drain_seconds = last acknowledgement to
  drained (0 when the workers had kept up).
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import threading
import time
from collections import Counter
from typing import Any

import psycopg

from bench.common import (
    REF_RE,
    TANDEM,
    WORKER_ARGV,
    Managed,
    Server,
    app_env,
    free_port,
    log,
    machine,
    prepare_database,
    reporters,
    scratch_database,
    start_loadgen,
    workdir,
    write_result,
)

PENDING_SQL = """
SELECT count(*) FILTER (WHERE not_before <= now()) AS due,
       count(*) FILTER (WHERE not_before <= now() AND claimed_until > now()) AS due_leased,
       count(*) FILTER (WHERE last_error IS NOT NULL) AS retrying,
       count(*) FILTER (WHERE not_before > now() AND last_error IS NULL) AS scheduled
FROM outbox_job WHERE done_at IS NULL AND failed_at IS NULL
"""


class SmtpSink:
    """Accepts and counts every message (aiosmtpd, a test dependency)."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.count = 0
        sink = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                sink.count += 1
                return "250 OK"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> SmtpSink:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()


def pending(url: str) -> dict[str, int]:
    with psycopg.connect(url, autocommit=True) as c:
        row = c.execute(PENDING_SQL).fetchone()
    assert row is not None
    return {"due": row[0], "due_leased": row[1], "retrying": row[2], "scheduled": row[3]}


def check(url: str, run: str, acks: dict[str, str], notices: int) -> dict[str, Any]:
    with psycopg.connect(url, autocommit=True) as c:
        claims = c.execute("SELECT id::text, description FROM claim").fetchall()
        by_ref: dict[str, list[str]] = {}
        for cid, desc in claims:
            m = REF_RE.search(desc)
            if m and m.group(1).startswith(f"S{run}-"):
                by_ref.setdefault(m.group(1), []).append(cid)
        ids = {cid for ids_ in by_ref.values() for cid in ids_}
        lost = []
        for key, cid in acks.items():
            ref = "S" + key.removeprefix("surge-")
            if cid not in by_ref.get(ref, []):
                lost.append(key)
        timers = {
            cid: n
            for cid, n in c.execute(
                "SELECT payload->>'claim_id', count(*) FROM outbox_job WHERE topic = 'routing.escalate' "
                "AND dedupe_key IN ('routing:' || (payload->>'claim_id') || ':half', "
                "'routing:' || (payload->>'claim_id') || ':late', 'routing:' || (payload->>'claim_id') || ':missed') "
                "GROUP BY 1"
            ).fetchall()
        }
        deadlines = {cid for (cid,) in c.execute("SELECT claim_id::text FROM deadline WHERE kind = 'routing'")}
        copies = {
            cid
            for (cid,) in c.execute(
                "SELECT payload->>'claim_id' FROM outbox_job WHERE topic = 'claim.copied_to_insurer'"
            )
        }
        jobs = {
            f"{t}/{s}": n
            for t, s, n in c.execute(
                "SELECT topic, CASE WHEN done_at IS NOT NULL THEN 'done' WHEN failed_at IS NOT NULL THEN 'failed' "
                "WHEN not_before > now() AND last_error IS NULL THEN 'scheduled' "
                "WHEN last_error IS NOT NULL THEN 'retrying' ELSE 'due_pending' END, count(*) "
                "FROM outbox_job GROUP BY 1, 2 ORDER BY 1, 2"
            ).fetchall()
        }
        reruns = c.execute("SELECT count(*) FROM outbox_job WHERE done_at IS NOT NULL AND attempts > 1").fetchone()
    timers_missing = sum(1 for cid in ids if timers.get(cid, 0) != 3 or cid not in deadlines)
    states = Counter()
    for k, n in jobs.items():
        states[k.split("/")[1]] += n
    return {
        "acknowledged": len(acks),
        "unacknowledged": notices - len(acks),
        "stored": len(by_ref),
        "lost": len(lost),
        "lost_sample": lost[:10],
        "duplicated": sum(len(v) - 1 for v in by_ref.values()),
        "timers_missing": timers_missing,
        "copies_missing": sum(1 for cid in ids if cid not in copies),
        "jobs": jobs,
        "job_states": dict(states),
        "jobs_rerun_after_lease_or_error": reruns[0] if reruns else 0,
        "stuck": states.get("due_pending", 0) + states.get("retrying", 0) + states.get("failed", 0),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--notices", type=int, default=2000)
    ap.add_argument("--speedup", type=float, default=None, help="replay speed (default: window in N/100 s)")
    ap.add_argument("--window-hours", type=float, default=24.0)
    ap.add_argument("--peak-hours", type=float, default=2.0)
    ap.add_argument("--kill", action="store_true", help="SIGKILL the API server and job workers at random")
    ap.add_argument("--kill-every", default="3,12", help="seconds of normal running between kills: MIN,MAX")
    ap.add_argument("--workers", type=int, default=2, help="tandem serve --workers")
    ap.add_argument("--job-workers", type=int, default=2, help="tandem worker processes")
    ap.add_argument("--max-inflight", type=int, default=32, help="client connections")
    ap.add_argument("--timeout", type=float, default=10.0, help="client timeout per attempt (s)")
    ap.add_argument("--seed", type=int, default=20260915)
    ap.add_argument("--drain-timeout", type=float, default=None, help="give up draining after (s)")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    n = args.notices
    speedup = args.speedup or args.window_hours * 3600 / max(20.0, n / 100)
    run = f"{random.Random().randrange(16**6):06x}"
    rng = random.Random(args.seed)

    with workdir("surge", args.keep) as wd, scratch_database("surge", keep=args.keep) as url, SmtpSink() as smtp:
        prepare_database(url, wd)
        env = app_env(url, wd, TANDEM_SMTP_HOST="127.0.0.1", TANDEM_SMTP_PORT=str(smtp.port))
        server = Server(env, args.workers, wd / "server.log")
        server.start()
        server.wait_ready()
        workers = [Managed(f"worker{i}", WORKER_ARGV, env, wd / f"worker{i}.log") for i in range(args.job_workers)]
        for w in workers:
            w.start()
        kills: list[dict[str, Any]] = []
        stop = threading.Event()
        try:
            spec = {
                "base": server.base,
                "reporters": reporters(server.base, url),
                "surge": {
                    "notices": n,
                    "run": run,
                    "seed": args.seed,
                    "peak_hours": args.peak_hours,
                    "window_hours": args.window_hours,
                    "speedup": speedup,
                    "max_inflight": args.max_inflight,
                    "timeout": args.timeout,
                },
            }
            log(f"surge {run}: {n} notices, speedup {speedup:.0f}, kill={args.kill}")
            t_start = time.monotonic()
            lg, out = start_loadgen(spec, wd)

            def chaos() -> None:
                # After MIN-MAX s of normal running, SIGKILL the API server or one job worker, restart it.
                lo, hi = (float(x) for x in args.kill_every.split(","))
                while not stop.wait(rng.uniform(lo, hi)):
                    target = rng.choice(["api"] + [w.name for w in workers])
                    t = round(time.monotonic() - t_start, 2)
                    if target == "api":
                        server.kill()
                        server.start()
                        server.wait_ready()
                    else:
                        w = next(w for w in workers if w.name == target)
                        w.kill()
                        w.start()
                    kills.append({"t": t, "target": target})
                    log(f"SIGKILL {target} at t={t}s")

            chaos_thread = threading.Thread(target=chaos, daemon=True)
            if args.kill:
                chaos_thread.start()
            if lg.wait() != 0:
                raise RuntimeError("load generator failed")
            stop.set()
            if args.kill:
                chaos_thread.join()
                server.wait_ready()
            t_ingested = time.monotonic()
            gen = json.loads(out.read_text())
            ingest = float(gen["ingest_seconds"])
            # Drain: wait until no due job is pending (see the module docstring).
            limit = args.drain_timeout or max(600.0, 3 * ingest)
            samples = []
            while True:
                p = pending(url)
                samples.append({"t": round(time.monotonic() - t_ingested, 1), **p})
                if p["due"] == 0 and p["retrying"] == 0:
                    break
                if time.monotonic() - t_ingested > limit:
                    log(f"not drained after {limit:.0f}s: {p}")
                    break
                time.sleep(0.5)
            drained = samples[-1]["due"] == 0 and samples[-1]["retrying"] == 0
            drain = 0.0 if len(samples) == 1 else time.monotonic() - t_ingested
            log(f"drained={drained} in {drain:.1f}s after ingest; checking the database")
            result_db = check(url, run, gen["acks"], n)
            audit = subprocess.run([TANDEM, "audit", "verify"], env=env, capture_output=True, text=True)
        finally:
            stop.set()
            server.stop()
            for w in workers:
                w.stop()
        mach = machine(url)
        mails = smtp.count

    result: dict[str, Any] = {
        "benchmark": "surge",
        "notices": n,
        "speedup": round(speedup, 1),
        "kill": args.kill,
        "kill_every": args.kill_every,
        "kills": len(kills),
        "kill_log": kills,
        "kills_api": sum(1 for k in kills if k["target"] == "api"),
        **{
            k: result_db[k]
            for k in (
                "acknowledged",
                "unacknowledged",
                "stored",
                "lost",
                "duplicated",
                "timers_missing",
                "copies_missing",
                "stuck",
                "job_states",
            )
        },
        "ingest_seconds": round(ingest, 2),
        "drain_seconds": round(drain, 2),
        "drained": drained,
        "drain_ratio": round(drain / ingest, 3) if ingest else None,
        "arrival_window_seconds": gen["arrival_window_seconds"],
        "replays_200": gen["replays_200"],
        "retried_notices": gen["retried_notices"],
        "attempts_total": gen["attempts_total"],
        "client_errors": gen["errors"],
        "rejected": gen["rejected"],
        "ack_latency_ms": gen["ack_latency_ms"],
        "jobs": result_db["jobs"],
        "jobs_rerun": result_db["jobs_rerun_after_lease_or_error"],
        "lost_sample": result_db["lost_sample"],
        "emails_received": mails,
        "audit_verify": (audit.stdout + audit.stderr).strip()[-300:],
        "audit_ok": audit.returncode == 0,
        "drain_samples": samples[:: max(1, len(samples) // 40)],
        "machine": mach,
    }
    result["ok"] = (
        result["lost"] == 0
        and result["duplicated"] == 0
        and result["timers_missing"] == 0
        and result["unacknowledged"] == 0
        and drained
    )
    result["goals"] = {
        "lost==0": result["lost"] == 0,
        "duplicated==0": result["duplicated"] == 0,
        "timers_missing==0": result["timers_missing"] == 0,
        "drain<=1.5x_ingest": bool(drained and drain <= 1.5 * ingest),
    }
    name = "surge-kill" if args.kill else "surge"
    path = write_result(name, result)
    log(f"result written to {path.relative_to(path.parents[2])}")
    summary = {
        k: result[k]
        for k in (
            "acknowledged",
            "stored",
            "lost",
            "duplicated",
            "timers_missing",
            "ingest_seconds",
            "drain_seconds",
            "kills",
            "drained",
            "stuck",
            "unacknowledged",
            "replays_200",
            "notices",
            "kill",
            "goals",
        )
    }
    summary["result_file"] = str(path.relative_to(path.parents[2]))
    print(json.dumps(summary, ensure_ascii=False) if args.json else json.dumps(summary, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
