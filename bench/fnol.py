"""Intake throughput (报案吞吐): ``python -m bench.fnol --seconds S [--concurrency C] --json``.

One run, one scratch database, all figures measured in this run on this machine:

1. ``tandem db upgrade`` + ``tandem demo load``; ``tandem serve --workers N`` (uvicorn[standard]) with
   TANDEM_ENV=production.
2. From a separate process (bench/loadgen.py): warm-up; ``GET /healthz`` alone (idle); then
   ``POST /api/v1/claims`` at fixed concurrency C for S seconds (max load, closed loop: fnol_rps);
   then Poisson arrivals at half that rate for S seconds (half load, open loop), with ``GET /healthz``
   probed throughout. fnol_p50/p99 and healthz_p99 are those of the half-load phase.
3. The server is stopped; pgbench inserts one row per transaction into a scratch table at the same
   concurrency for S seconds: pgbench_insert_tps. ratio = fnol_rps / pgbench_insert_tps.

``--profile`` adds a max-load phase sampled with py-spy and reports where the time goes.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from typing import Any

from bench import profiling
from bench.common import (
    Server,
    app_env,
    log,
    machine,
    pg_scalar,
    pgbench_insert_tps,
    prepare_database,
    reporters,
    run_loadgen,
    scratch_database,
    start_loadgen,
    workdir,
    write_result,
)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=int, default=30, help="length of each measured phase")
    ap.add_argument("--concurrency", type=int, default=16, help="clients at max load and pgbench clients")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="tandem serve --workers")
    ap.add_argument("--probe-rate", type=float, default=10.0, help="GET /healthz per second while loaded")
    ap.add_argument("--profile", action="store_true", help="sample the API workers with py-spy")
    ap.add_argument("--keep", action="store_true", help="keep the scratch database")
    ap.add_argument("--json", action="store_true", help="last line of output: the result as one JSON object")
    args = ap.parse_args()
    S, C = args.seconds, args.concurrency

    with workdir("fnol", args.keep) as wd, scratch_database("fnol", keep=args.keep) as url:
        prepare_database(url, wd)
        server = Server(app_env(url, wd), args.workers, wd / "server.log")
        server.start()
        startup = server.wait_ready()
        log(f"tandem serve --workers {args.workers} ready in {startup:.1f}s on {server.base}")
        try:
            reps = reporters(server.base, url)
            spec: dict[str, Any] = {
                "base": server.base,
                "seed": 1,
                "key_prefix": f"fnol-{int(time.time())}",
                "reporters": reps,
                "phases": [
                    {"name": "warmup", "mode": "closed", "concurrency": C, "seconds": max(3, min(10, S // 3))},
                    {"name": "idle", "mode": "probe", "seconds": max(3, min(10, S // 3)), "probe_rate": 20},
                    {"name": "max", "mode": "closed", "concurrency": C, "seconds": S, "probe_rate": args.probe_rate},
                    {
                        "name": "half",
                        "mode": "open",
                        "rate_from": "max",
                        "rate_factor": 0.5,
                        "seconds": S,
                        "probe_rate": args.probe_rate,
                        "max_connections": 4 * C,
                    },
                ],
            }
            phases = run_loadgen(spec, wd)["phases"]
            profile = None
            if args.profile:
                pids = server.worker_pids()
                log(f"profiling workers {pids} for {S}s at max load")
                pspec = dict(
                    spec,
                    key_prefix=spec["key_prefix"] + "-p",
                    phases=[{"name": "profiled", "mode": "closed", "concurrency": C, "seconds": S}],
                )
                lg, _ = start_loadgen(pspec, wd)
                time.sleep(1)
                spies = profiling.record(pids, S - 2, wd)
                for p in spies:
                    p.wait()
                lg.wait()
                profile = {
                    kind: profiling.summarize([wd / f"pyspy-{pid}-{kind}.txt" for pid in pids], app_only=kind == "wall")
                    for kind in ("cpu", "wall")
                }
        finally:
            server.stop()
        claims = pg_scalar(url, "SELECT count(*) FROM claim")
        jobs = pg_scalar(url, "SELECT count(*) FROM outbox_job")
        log(f"pgbench: {C} clients, {S}s")
        pgb = pgbench_insert_tps(url, C, S, wd)
        mach = machine(url)

    mx, half, idle = phases["max"], phases["half"], phases["idle"]
    fnol_rps = mx["rps"]
    result: dict[str, Any] = {
        "benchmark": "fnol",
        "seconds": S,
        "concurrency": C,
        "workers": args.workers,
        "fnol_rps": fnol_rps,
        "fnol_p50_ms": half["latency_ms"].get("p50"),
        "fnol_p99_ms": half["latency_ms"].get("p99"),
        "healthz_p99_ms": half["healthz_ms"].get("p99"),
        "fnol_max_p50_ms": mx["latency_ms"].get("p50"),
        "fnol_max_p99_ms": mx["latency_ms"].get("p99"),
        "healthz_max_p99_ms": mx["healthz_ms"].get("p99"),
        "healthz_idle_p99_ms": idle["healthz_ms"].get("p99"),
        "half_load_rate": half.get("rate"),
        "half_load_rps": half["rps"],
        "pgbench_insert_tps": pgb["tps"],
        "ratio": round(fnol_rps / pgb["tps"], 4) if pgb["tps"] else None,
        "p99_vs_healthz": (
            round(half["latency_ms"]["p99"] / half["healthz_ms"]["p99"], 2)
            if half["latency_ms"].get("p99") and half["healthz_ms"].get("p99")
            else None
        ),
        "non_2xx": {
            ph: {k: v for k, v in phases[ph]["status"].items() if not k.startswith("2")}
            for ph in ("warmup", "max", "half")
        },
        "claims_created": claims,
        "outbox_jobs": jobs,
        "server_startup_s": round(startup, 2),
        "phases": phases,
        "pgbench": pgb,
        "profile": profile,
        "machine": mach,
        "goals": {"ratio>=0.25": None, "fnol_p99<=5x_healthz_p99@half": None},
    }
    result["goals"] = {
        "ratio>=0.25": bool(result["ratio"] and result["ratio"] >= 0.25),
        "fnol_p99<=5x_healthz_p99@half": bool(result["p99_vs_healthz"] is not None and result["p99_vs_healthz"] <= 5),
    }
    path = write_result("fnol", result)
    log(f"result written to {path.relative_to(path.parents[2])}")
    if profile:
        for kind in ("cpu", "wall"):
            log(
                f"profile {kind} (self time by library): "
                + json.dumps(profile[kind]["self_pct_by_library"], ensure_ascii=False)
            )
    summary = {
        k: result[k]
        for k in (
            "fnol_rps",
            "fnol_p50_ms",
            "fnol_p99_ms",
            "healthz_p99_ms",
            "pgbench_insert_tps",
            "ratio",
            "p99_vs_healthz",
            "fnol_max_p99_ms",
            "healthz_idle_p99_ms",
            "concurrency",
            "workers",
            "seconds",
            "goals",
        )
    }
    summary["result_file"] = str(path.relative_to(path.parents[2]))
    print(json.dumps(summary, ensure_ascii=False) if args.json else json.dumps(summary, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
