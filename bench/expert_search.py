"""Expert screening search benchmark (R-C6).

    .venv/bin/python -m bench.expert_search --experts 100000 --queries 200 --json

Replicates the 3,000 profiles of ``tests/data/experts`` to ``--experts`` experts (ids perturbed per
copy), builds the tandem index (``tandem.expert.search``) and a bare bm25s index over all fields
concatenated (``tandem.expert.baseline``), both timed, then runs the same loss notices (the dev
queries, cycled, with their filters) against both and reports p50/p95 latency, the ratio
p95_tandem / p95_bare (target ≤ 2), and the latency of incremental updates (upsert, remove, merge)
and of save/load. The tandem latency includes building the ``matched`` explanations. The last line
of output is a JSON object.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import platform
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.baseline import BaselineIndex
from tandem.expert.search import ExpertDoc, ExpertIndex, load_experts

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "experts"


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    if not values:
        return math.nan
    s = sorted(values)
    return s[min(len(s) - 1, max(0, math.ceil(q / 100 * len(s)) - 1))]


def replicate(docs: list[ExpertDoc], n: int) -> list[ExpertDoc]:
    """``n`` experts: copy k of a profile gets id ``<id>-<k>`` (copy 0 keeps the original id)."""
    out: list[ExpertDoc] = []
    k = 0
    while len(out) < n:
        for d in docs:
            if len(out) >= n:
                break
            out.append(d if k == 0 else dataclasses.replace(d, id=f"{d.id}-{k:03d}"))
        k += 1
    return out


def ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--experts", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--updates", type=int, default=200, help="incremental upserts to time")
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", action="store_true", help="end with a JSON line (always printed last)")
    args = ap.parse_args(argv)
    rng = random.Random(args.seed)

    base_docs = load_experts(args.data / "experts.jsonl")
    with (args.data / "queries-dev.jsonl").open(encoding="utf-8") as fh:
        dev = [json.loads(line) for line in fh if line.strip()]
    docs = replicate(base_docs, args.experts)
    queries = [dev[i % len(dev)] for i in range(args.queries)]
    log(f"{len(docs)} experts, {len(queries)} queries")

    ours = ExpertIndex()
    ours.analyzer.tokenize("预热")  # load jieba's dictionary outside the timings
    t0 = time.perf_counter()
    ours.build(docs)
    build_ours = time.perf_counter() - t0
    log(f"tandem index built in {build_ours:.1f} s")
    t0 = time.perf_counter()
    bare = BaselineIndex(docs)
    build_bare = time.perf_counter() - t0
    log(f"bare bm25s index built in {build_bare:.1f} s")

    def run_ours(q: dict[str, Any]) -> None:
        f = q["filters"]
        ours.search(q["text"], line=f.get("line"), region=f.get("region"), top=10)

    def run_bare(q: dict[str, Any]) -> None:
        f = q["filters"]
        bare.search(q["text"], line=f.get("line"), region=f.get("region"), top=10)

    for q in dev:  # warm-up: filter masks and caches of every filter value used below
        run_ours(q)
        run_bare(q)
    lat_ours: list[float] = []
    lat_bare: list[float] = []
    cpu_ours: list[float] = []
    cpu_bare: list[float] = []
    for q in queries:  # interleaved so that machine noise hits both alike
        t0, c0 = time.perf_counter(), time.process_time()
        run_ours(q)
        lat_ours.append(time.perf_counter() - t0)
        cpu_ours.append(time.process_time() - c0)
        t0, c0 = time.perf_counter(), time.process_time()
        run_bare(q)
        lat_bare.append(time.perf_counter() - t0)
        cpu_bare.append(time.process_time() - c0)

    # Incremental updates: changed profiles (upsert of existing ids), new ones, removals, merge.
    picks = rng.sample(docs, min(args.updates, len(docs)))
    lat_upsert: list[float] = []
    for i, d in enumerate(picks):
        changed = dataclasses.replace(d, regions=(*d.regions[1:], d.regions[0]), years=d.years + 1)
        if i % 2:
            changed = dataclasses.replace(changed, id=f"{d.id}-new")
        t0 = time.perf_counter()
        ours.upsert(changed)
        lat_upsert.append(time.perf_counter() - t0)
    lat_remove: list[float] = []
    for d in rng.sample(docs, min(50, len(docs))):
        t0 = time.perf_counter()
        ours.remove(d.id)
        lat_remove.append(time.perf_counter() - t0)
    delta = ours.delta_size
    lat_with_delta: list[float] = []
    for q in queries[:50]:
        t0 = time.perf_counter()
        run_ours(q)
        lat_with_delta.append(time.perf_counter() - t0)
    ours.wait_for_merge()  # a threshold merge may have started in the background
    t0 = time.perf_counter()
    ours.merge()
    merge_s = time.perf_counter() - t0

    with tempfile.TemporaryDirectory(prefix="expert-index-") as tmp:
        t0 = time.perf_counter()
        ours.save(Path(tmp) / "index")
        save_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        ExpertIndex.load(Path(tmp) / "index", analyzer=ours.analyzer)
        load_s = time.perf_counter() - t0

    result = {
        "bench": "expert_search",
        "experts": len(docs),
        "queries": len(queries),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "build_s": {"tandem": round(build_ours, 2), "bare_bm25s": round(build_bare, 2)},
        "search_ms": {
            "tandem": {"p50": ms(percentile(lat_ours, 50)), "p95": ms(percentile(lat_ours, 95))},
            "bare_bm25s": {"p50": ms(percentile(lat_bare, 50)), "p95": ms(percentile(lat_bare, 95))},
            "tandem_with_delta": {
                "delta_docs": delta,
                "p50": ms(percentile(lat_with_delta, 50)),
                "p95": ms(percentile(lat_with_delta, 95)),
            },
        },
        # CPU time per query: what the search itself costs, whatever else the machine is doing.
        "search_cpu_ms": {
            "tandem": {"p50": ms(percentile(cpu_ours, 50)), "p95": ms(percentile(cpu_ours, 95))},
            "bare_bm25s": {"p50": ms(percentile(cpu_bare, 50)), "p95": ms(percentile(cpu_bare, 95))},
        },
        "p95_ratio_tandem_over_bare": round(percentile(lat_ours, 95) / percentile(lat_bare, 95), 3),
        "p95_cpu_ratio_tandem_over_bare": round(percentile(cpu_ours, 95) / percentile(cpu_bare, 95), 3),
        "incremental_ms": {
            "upsert_p50": ms(percentile(lat_upsert, 50)),
            "upsert_p95": ms(percentile(lat_upsert, 95)),
            "remove_p50": ms(percentile(lat_remove, 50)),
            "merge": ms(merge_s),
        },
        "persistence_s": {"save": round(save_s, 2), "load": round(load_s, 2)},
    }
    s = result["search_ms"]
    print(f"experts {result['experts']}, queries {result['queries']}")
    print(f"build      tandem {build_ours:8.2f} s   bare bm25s {build_bare:8.2f} s")
    print(f"search p50 tandem {s['tandem']['p50']:8.2f} ms  bare bm25s {s['bare_bm25s']['p50']:8.2f} ms")
    print(f"search p95 tandem {s['tandem']['p95']:8.2f} ms  bare bm25s {s['bare_bm25s']['p95']:8.2f} ms")
    c = result["search_cpu_ms"]
    print(f"cpu p50    tandem {c['tandem']['p50']:8.2f} ms  bare bm25s {c['bare_bm25s']['p50']:8.2f} ms")
    print(f"cpu p95    tandem {c['tandem']['p95']:8.2f} ms  bare bm25s {c['bare_bm25s']['p95']:8.2f} ms")
    print(
        f"p95 ratio tandem/bare {result['p95_ratio_tandem_over_bare']:.2f} wall, "
        f"{result['p95_cpu_ratio_tandem_over_bare']:.2f} cpu (target ≤ 2)"
    )
    print(
        f"search with {delta} delta docs: p50 {s['tandem_with_delta']['p50']:.2f} ms, "
        f"p95 {s['tandem_with_delta']['p95']:.2f} ms"
    )
    inc = result["incremental_ms"]
    print(
        f"upsert p50 {inc['upsert_p50']:.2f} ms, p95 {inc['upsert_p95']:.2f} ms; "
        f"remove p50 {inc['remove_p50']:.3f} ms; merge {inc['merge'] / 1000:.2f} s"
    )
    print(f"save {save_s:.2f} s, load {load_s:.2f} s")
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
