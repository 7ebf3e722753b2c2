"""Dashboards (数据看板, issue 18): ``python -m bench.dashboards [--samples 30] --json``.

One scratch PostgreSQL database with ``tandem db upgrade`` + ``tandem demo load`` (the demo's year of the
broker's history: hundreds of claims across insurers, firms, lines and regions, ``tandem.demo_history``),
``tandem serve`` with production settings, then each role's dashboard page and the broker's exports are
requested ``--samples`` times one after the other (after a warm-up), interleaved round-robin with the
in-run baseline ``GET /api/v1/me`` (independent of the figures):

* dashboard_broker / _firm / _insurer / _supervision / _insured: GET /dashboard/{role} as broker2,
  adjuster1, insurer1, regulator and insured1 (figures, charts and table rendered);
* dashboard_broker_by_insurer: the same with ``?by=insurer`` (one more grouping pass);
* export_csv / export_xlsx: the broker's exports of the table.

Goal (issue 18): each dashboard answers within a second (p95 < 1000 ms) on that data;
``ratio_to_baseline`` = p95 of the page / p95 of ``/api/v1/me`` in the same run says how much of it is the
figures rather than the machine. The last line of output is a JSON object.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import httpx

from bench.common import (
    Server,
    app_env,
    log,
    login,
    machine,
    pg_scalar,
    prepare_database,
    scratch_database,
    summarize,
    workdir,
    write_result,
)

ROLES = {
    "broker": "broker2",  # an account manager: `broker` administers its organisation (TOTP in production)
    "firm": "adjuster1",
    "insurer": "insurer1",
    "supervision": "regulator",
    "insured": "insured1",
}
GOAL_MS = 1000.0


def endpoints() -> dict[str, tuple[str, str]]:
    """name → (user, path)."""
    out = {f"dashboard_{role}": (user, f"/dashboard/{role}") for role, user in ROLES.items()}
    out["dashboard_broker_by_insurer"] = ("broker2", "/dashboard/broker?by=insurer")
    out["export_csv"] = ("broker2", "/dashboard/broker/export.csv")
    out["export_xlsx"] = ("broker2", "/dashboard/broker/export.xlsx")
    out["baseline_me"] = ("broker2", "/api/v1/me")
    return out


def measure(server: Server, samples: int, warmup: int = 3) -> dict[str, Any]:
    tokens = {user: login(server.base, user) for user in {*ROLES.values()}}
    client = httpx.Client(base_url=server.base, timeout=60)
    lat: dict[str, list[float]] = {name: [] for name in endpoints()}
    for i in range(warmup + samples):
        for name, (user, path) in endpoints().items():
            t = time.perf_counter()
            r = client.get(path, headers={"Authorization": f"Bearer {tokens[user]}"})
            ms = (time.perf_counter() - t) * 1000
            if r.status_code != 200:
                raise RuntimeError(f"{name}: {r.status_code} {r.text[:300]}")
            if i >= warmup:
                lat[name].append(ms)
    client.close()
    return {name: summarize(v) for name, v in lat.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--samples", type=int, default=30, help="requests per endpoint")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    with workdir("dashboards", args.keep) as wd, scratch_database("dashboards", keep=args.keep) as url:
        t = time.monotonic()
        prepare_database(url, wd)
        loaded = {
            "seconds": round(time.monotonic() - t, 1),
            "claims": pg_scalar(url, "SELECT count(*) FROM claim"),
            "deadlines": pg_scalar(url, "SELECT count(*) FROM deadline"),
            "fee_invoices": pg_scalar(url, "SELECT count(*) FROM fee_invoice"),
        }
        log(f"demo loaded: {loaded}")
        server = Server(app_env(url, wd), args.workers, wd / "server.log")
        server.start()
        server.wait_ready()
        try:
            stats = measure(server, args.samples)
        finally:
            server.stop()
        mach = machine(url)
    base = stats["baseline_me"]["p95"]
    pages = [n for n in stats if n != "baseline_me"]
    result = {
        "benchmark": "dashboards",
        "samples": args.samples,
        "workers": args.workers,
        "data": loaded,
        "latency_ms": stats,
        "ratio_to_baseline": {n: round(stats[n]["p95"] / base, 2) for n in pages},
        "goals": {f"{n}_p95<{GOAL_MS:.0f}ms": stats[n]["p95"] < GOAL_MS for n in pages},
        "machine": mach,
    }
    path = write_result("dashboards", result)
    log(f"result written to {path.relative_to(path.parents[2])}")
    summary = {
        "p95_ms": {n: stats[n]["p95"] for n in stats},
        "ratio_to_baseline": result["ratio_to_baseline"],
        "goals": result["goals"],
        "result_file": str(path.relative_to(path.parents[2])),
    }
    print(json.dumps(summary, ensure_ascii=False) if args.json else json.dumps(summary, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
