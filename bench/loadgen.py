"""The load generator: its own process (``python -m bench.loadgen SPEC OUT``), asyncio + httpx.AsyncClient.

Phases (``spec["phases"]``):

* ``closed``: ``concurrency`` clients, each sending its next request as soon as the previous answers,
  for ``seconds``. Throughput = 2xx answers completed in the window / window.
* ``open``: requests arrive as a Poisson process at ``rate`` per second (or ``rate_factor`` × the rps
  of phase ``rate_from``), whatever the server does; latency counts from the *intended* send time, so
  queueing in the client is charged to the server (no coordinated omission).
* ``probe`` only: ``GET /healthz`` at ``probe_rate`` per second on its own connection.

Every phase may run the health probe alongside (``probe_rate`` > 0).

``spec["surge"]`` instead replays N loss notices on a front-loaded arrival curve, retrying each one
with the same Idempotency-Key and body until it is acknowledged (2xx); see bench/surge.py.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
from collections import Counter
from typing import Any

import httpx

from bench.common import notice_body, summarize, utcnow


class Notices:
    """Valid, unique loss notices from the weighted reporters."""

    def __init__(self, reporters: list[dict[str, Any]], seed: int, key_prefix: str) -> None:
        self.reporters = reporters
        self.weights = [r["weight"] for r in reporters]
        self.rng = random.Random(seed)
        self.prefix = key_prefix
        self.n = 0

    def next(self, ref: str | None = None) -> tuple[dict[str, str], dict[str, Any]]:
        rep = self.rng.choices(self.reporters, self.weights)[0]
        self.n += 1
        headers = {
            "Authorization": f"Bearer {rep['token']}",
            "Idempotency-Key": f"{self.prefix}-{self.n:07d}",
            "Content-Type": "application/json",
        }
        return headers, notice_body(self.rng, self.rng.choice(rep["policies"]), utcnow(), ref)


class Recorder:
    def __init__(self) -> None:
        self.lat: list[float] = []
        self.status: Counter[str] = Counter()
        self.ok_done: list[float] = []
        self.errors: list[str] = []

    def add(self, start: float, end: float, status: str, detail: str = "") -> None:
        self.status[status] += 1
        if status.startswith("2"):
            self.lat.append((end - start) * 1000)
            self.ok_done.append(end)
        elif len(self.errors) < 5:
            self.errors.append(f"{status} {detail[:300]}")


async def _post(client: httpx.AsyncClient, notices: Notices) -> tuple[str, str]:
    headers, body = notices.next()
    try:
        r = await client.post("/api/v1/claims", headers=headers, content=json.dumps(body, ensure_ascii=False).encode())
        return str(r.status_code), "" if r.status_code < 300 else r.text
    except Exception as exc:
        return type(exc).__name__, str(exc)


async def _probe(base: str, rate: float, stop: asyncio.Event, rec: Recorder) -> None:
    if rate <= 0:
        return
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        nxt = time.perf_counter()
        while not stop.is_set():
            nxt += 1 / rate
            t = time.perf_counter()
            try:
                r = await client.get("/healthz")
                rec.add(t, time.perf_counter(), str(r.status_code))
            except httpx.HTTPError as exc:
                rec.add(t, time.perf_counter(), type(exc).__name__, str(exc))
            await asyncio.sleep(max(0.0, nxt - time.perf_counter()))


async def run_phase(base: str, phase: dict[str, Any], notices: Notices, done: dict[str, Any]) -> dict[str, Any]:
    seconds = float(phase["seconds"])
    rec, probe = Recorder(), Recorder()
    stop = asyncio.Event()
    probe_task = asyncio.create_task(_probe(base, float(phase.get("probe_rate", 0)), stop, probe))
    mode = phase["mode"]
    out: dict[str, Any] = {"name": phase["name"], "mode": mode, "seconds": seconds}
    t0 = time.perf_counter()
    end = t0 + seconds
    if mode == "closed":
        conc = int(phase["concurrency"])
        out["concurrency"] = conc
        limits = httpx.Limits(max_connections=conc, max_keepalive_connections=conc)
        async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:

            async def worker() -> None:
                while time.perf_counter() < end:
                    t = time.perf_counter()
                    status, detail = await _post(client, notices)
                    rec.add(t, time.perf_counter(), status, detail)

            await asyncio.gather(*(worker() for _ in range(conc)))
    elif mode == "open":
        rate = max(0.5, float(phase.get("rate") or done[phase["rate_from"]]["rps"] * float(phase["rate_factor"])))
        out["rate"] = round(rate, 2)
        max_conn = int(phase.get("max_connections", 64))
        limits = httpx.Limits(max_connections=max_conn, max_keepalive_connections=max_conn)
        rng = random.Random(int(phase.get("seed", 7)))
        async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:

            async def one(intended: float) -> None:
                status, detail = await _post(client, notices)
                rec.add(intended, time.perf_counter(), status, detail)

            tasks = []
            intended = t0
            while True:
                intended += rng.expovariate(rate)
                if intended >= end:
                    break
                await asyncio.sleep(max(0.0, intended - time.perf_counter()))
                tasks.append(asyncio.create_task(one(intended)))
            await asyncio.gather(*tasks)
    elif mode == "probe":
        await asyncio.sleep(seconds)
    else:
        raise ValueError(mode)
    stop.set()
    await probe_task
    ok_in_window = sum(1 for t in rec.ok_done if t <= end)
    out.update(
        {
            "completed": sum(rec.status.values()),
            "ok": len(rec.lat),
            "rps": round(ok_in_window / seconds, 2),
            "status": dict(rec.status),
            "latency_ms": summarize(rec.lat),
            "errors": rec.errors,
            "healthz_ms": summarize(probe.lat),
            "healthz_status": dict(probe.status),
        }
    )
    return out


# ---- surge: front-loaded replay with retries ---------------------------------------------------------


async def surge(spec: dict[str, Any]) -> dict[str, Any]:
    s = spec["surge"]
    n, run = int(s["notices"]), s["run"]
    rng = random.Random(int(s["seed"]))
    notices = Notices(spec["reporters"], int(s["seed"]), f"surge-{run}")
    # Arrival offsets (hours into the event): gamma(k=2, theta=peak) = a peak early, a long tail.
    hours = []
    while len(hours) < n:
        h = rng.gammavariate(2.0, float(s["peak_hours"]))
        if h <= float(s["window_hours"]):
            hours.append(h)
    hours.sort()
    scale = 3600.0 / float(s["speedup"])
    items = []
    for i, h in enumerate(hours):
        ref = f"S{run}-{i:06d}"
        headers, body = notices.next(ref)
        headers["Idempotency-Key"] = f"surge-{run}-{i:06d}"
        items.append((h * scale, headers, json.dumps(body, ensure_ascii=False).encode()))
    max_inflight, timeout = int(s["max_inflight"]), float(s["timeout"])
    sem = asyncio.Semaphore(max_inflight)
    acks: dict[str, dict[str, Any]] = {}
    errors: Counter[str] = Counter()
    rejected: list[str] = []
    attempts_total = 0
    t0 = time.perf_counter()
    limits = httpx.Limits(max_connections=max_inflight, max_keepalive_connections=max_inflight)
    tmo = httpx.Timeout(timeout, connect=5.0)

    async with httpx.AsyncClient(base_url=spec["base"], limits=limits, timeout=tmo) as client:

        async def one(offset: float, headers: dict[str, str], body: bytes) -> None:
            nonlocal attempts_total
            await asyncio.sleep(max(0.0, t0 + offset - time.perf_counter()))
            attempt = 0
            while True:
                attempt += 1
                attempts_total += 1
                async with sem:
                    try:
                        r = await client.post("/api/v1/claims", headers=headers, content=body)
                        status = r.status_code
                    except Exception as exc:  # httpx.HTTPError, and what a server killed mid-connect leaves
                        status, r = 0, None
                        errors[type(exc).__name__] += 1
                if r is not None and 200 <= status < 300:
                    acks[headers["Idempotency-Key"]] = {
                        "claim_id": r.json()["id"],
                        "status": status,
                        "attempts": attempt,
                        "arrival": round(offset, 3),
                        "ack": round(time.perf_counter() - t0, 3),
                    }
                    return
                if r is not None:
                    errors[f"http_{status}"] += 1
                    if status < 500 and status not in (408, 409, 429):
                        rejected.append(f"{headers['Idempotency-Key']}: {status} {r.text[:300]}")
                        return
                # back off with jitter, then the same key and the same body again
                await asyncio.sleep(min(5.0, 0.2 * 2 ** min(attempt, 5)) * rng.uniform(0.5, 1.5))

        async def progress() -> None:
            while True:
                await asyncio.sleep(5)
                print(
                    f"[surge] t={time.perf_counter() - t0:6.1f}s acked {len(acks)}/{n} "
                    f"attempts {attempts_total} errors {sum(errors.values())}",
                    file=sys.stderr,
                    flush=True,
                )

        prog = asyncio.create_task(progress())
        await asyncio.gather(*(one(*it) for it in items))
        prog.cancel()
    last_ack = max((a["ack"] for a in acks.values()), default=0.0)
    lat = [(a["ack"] - a["arrival"]) * 1000 for a in acks.values()]
    return {
        "notices": n,
        "acknowledged": len(acks),
        "acks": {k: v["claim_id"] for k, v in acks.items()},
        "replays_200": sum(1 for a in acks.values() if a["status"] == 200),
        "retried_notices": sum(1 for a in acks.values() if a["attempts"] > 1),
        "attempts_total": attempts_total,
        "errors": dict(errors),
        "rejected": rejected[:20],
        "rejected_count": len(rejected),
        "ingest_seconds": round(last_ack, 3),
        "arrival_window_seconds": round(items[-1][0], 3) if items else 0.0,
        "ack_latency_ms": summarize(lat),
    }


async def main(spec: dict[str, Any]) -> dict[str, Any]:
    if "surge" in spec:
        return await surge(spec)
    notices = Notices(spec["reporters"], int(spec.get("seed", 1)), spec["key_prefix"])
    done: dict[str, Any] = {}
    for phase in spec["phases"]:
        print(f"[loadgen] phase {phase['name']} ({phase['mode']}, {phase['seconds']}s)", file=sys.stderr, flush=True)
        done[phase["name"]] = await run_phase(spec["base"], phase, notices, done)
    return {"phases": done}


if __name__ == "__main__":
    spec_in = json.loads(open(sys.argv[1], encoding="utf-8").read())
    try:
        import uvloop
    except ImportError:  # pragma: no cover
        result = asyncio.run(main(spec_in))
    else:
        result = uvloop.run(main(spec_in))
    with open(sys.argv[2], "w", encoding="utf-8") as f:
        json.dump(result, f, ensure_ascii=False)
