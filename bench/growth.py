"""Growth (数据量增长): ``python -m bench.growth [--sizes 10000,1000000] --json``.

One scratch database: ``tandem db upgrade`` + ``tandem demo load``, plus a synthetic market around the
demo (10 brokers, 8 insurers, 1,000 insureds with one policy each: the demo broker and insurer1 see
about 10 % and 12 % of all claims). Claims are bulk-loaded with COPY (psycopg), not through the API,
with what intake and the workflow would have written: the claim, its participants (insured, insurer,
broker, and the adjuster firm once routed), the routing deadline, and the case's hash-chained audit
events (one per lifecycle step, 1-11 per claim) with their chain head. notified_at is spread over
2024-01-01 .. now, so a bigger table means more business over the same years; the status follows the
claim's age (recent claims are open, old ones mostly closed).

At each size (the table grows from one size to the next; nothing of the app's schema is dropped) the
tables are ANALYZEd, ``tandem serve`` is started, and each endpoint is requested ``--samples`` times
one after the other (after a warm-up), as:

* list_broker / list_insurer: the work queue, GET /api/v1/claims?status=...&limit=50 as broker
  (status=notified) and insurer1 (status=negotiating);
* list_all_broker: the same without a status; list_deep_broker: its 21st page through the cursor;
* case_page: GET /api/v1/claims/{id}/case for random claims the broker sees;
* search: GET /api/v1/claims?q=LP-2026-0001 as broker;
* intake: POST /api/v1/claims as insured1 (policy with a designated adjuster: routing runs);
* baseline_me: GET /api/v1/me, which does not depend on the number of claims: the in-run baseline.
  ratio_normalised = (p95 ratio of the endpoint) / (p95 ratio of baseline_me) removes the part of a
  ratio that is only the machine being busier during one size than during the other.

Requests are interleaved round-robin over the endpoints, one at a time.

ratio = p95@largest / p95@smallest.
EXPLAIN ANALYZE plans of the list queries are saved in the result file.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import time
import uuid
from typing import Any

import httpx
import psycopg

from bench.common import (
    CHANNELS,
    NAMES,
    Server,
    app_env,
    log,
    machine,
    notice_body,
    prepare_database,
    scratch_database,
    summarize,
    utcnow,
    workdir,
    write_result,
)

T0 = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
SHANGHAI = dt.timezone(dt.timedelta(hours=8))
PATH = [
    "route",
    "accept_appointment",
    "start_survey",
    "submit_report",
    "confirm_amount",
    "propose",
    "counter",
    "accept",
    "record_final_payment",
    "close",
]
STEPS = {
    "notified": 0,
    "routed": 1,
    "adjuster_assigned": 2,
    "surveying": 3,
    "reported": 4,
    "amount_confirmed": 5,
    "negotiating": 7,
    "agreed": 8,
    "paid": 9,
    "closed": 10,
}
ALL = ["adjuster_firm", "broker", "insured", "insurer"]


def status_for(rng: random.Random, age_days: float) -> str:
    r = rng.random()
    if age_days < 2:
        table = [("notified", 0.5), ("routed", 0.2), ("adjuster_assigned", 0.15), ("surveying", 0.15)]
    elif age_days < 60:
        table = [
            ("notified", 0.02),
            ("surveying", 0.25),
            ("reported", 0.2),
            ("amount_confirmed", 0.1),
            ("negotiating", 0.2),
            ("agreed", 0.1),
            ("disputed", 0.05),
            ("withdrawn", 0.05),
            ("paid", 0.03),
        ]
    else:
        table = [("closed", 0.85), ("paid", 0.07), ("withdrawn", 0.04), ("refused", 0.02), ("disputed", 0.02)]
    acc = 0.0
    for s, p in table:
        acc += p
        if r < acc:
            return s
    return table[-1][0]


def actions_for(status: str, age_days: float) -> list[str]:
    if status == "withdrawn":
        return ["withdraw", "close"] if age_days >= 60 else ["withdraw"]
    if status == "disputed":
        return [*PATH[:7], "dispute"]
    if status == "refused":
        return [*PATH[:7], "refuse", "close"]
    return PATH[: STEPS[status]]


class Market:
    """The demo organisations plus synthetic brokers, insurers, insureds and policies."""

    def __init__(self, url: str, rng: random.Random) -> None:
        with psycopg.connect(url) as c:
            orgs = c.execute("SELECT id, kind, name FROM organisation").fetchall()
            self.users = dict(c.execute("SELECT username, id FROM user_account").fetchall())
            self.adjusters = c.execute("SELECT id, firm_id FROM adjuster").fetchall()
            kinds: dict[str, list[uuid.UUID]] = {}
            for oid, kind, _ in orgs:
                kinds.setdefault(kind, []).append(oid)
            self.broker = c.execute("SELECT organisation_id FROM user_account WHERE username = 'broker'").fetchone()[0]
            self.insurer1 = c.execute(
                "SELECT organisation_id FROM user_account WHERE username = 'insurer1'"
            ).fetchone()[0]
            now = utcnow()
            if not c.execute("SELECT 1 FROM organisation WHERE name LIKE '合成%' LIMIT 1").fetchone():
                new_orgs = []
                for kind, count in (("broker", 9), ("insurer", 6), ("insured", 997)):
                    label = {
                        "broker": "保险经纪有限公司",
                        "insurer": "财产保险股份有限公司",
                        "insured": "实业有限公司",
                    }[kind]
                    for i in range(count):
                        new_orgs.append((uuid.uuid4(), kind, f"合成{kind}{i:04d}{label}", True, now))
                with c.cursor().copy("COPY organisation (id, kind, name, active, created_at) FROM STDIN") as cp:
                    for row in new_orgs:
                        cp.write_row(row)
                for oid, kind, _, _, _ in new_orgs:
                    kinds.setdefault(kind, []).append(oid)
                brokers = [self.broker] * 1 + [b for b in kinds["broker"] if b != self.broker]
                insurers = kinds["insurer"]
                demo_insureds = set(c.execute("SELECT insured_id FROM policy").fetchall())
                pols = []
                for i, ins in enumerate(o for o in kinds["insured"] if (o,) not in demo_insureds):
                    pols.append(
                        (
                            uuid.uuid4(),
                            f"PSYN2025{i:08d}",
                            ins,
                            rng.choice(insurers),
                            rng.choice(brokers),
                            "企业财产保险",
                            "CNY",
                            dt.date(2024, 1, 1),
                            dt.date(2026, 12, 31),
                            "in_force",
                            now,
                        )
                    )
                with c.cursor().copy(
                    "COPY policy (id, number, insured_id, insurer_id, broker_id, line, currency, "
                    "period_start, period_end, status, created_at) FROM STDIN"
                ) as cp:
                    for row in pols:
                        cp.write_row(row)
            self.policies = c.execute("SELECT id, insured_id, insurer_id, broker_id FROM policy").fetchall()
            self.claim_columns = {
                r[0] for r in c.execute("SELECT column_name FROM information_schema.columns WHERE table_name = 'claim'")
            }
            self.years = dict(c.execute("SELECT name, value FROM counter").fetchall())
            c.commit()


STAGE = """
CREATE UNLOGGED TABLE IF NOT EXISTS bench_stage (
  id uuid, number varchar(40), policy_id uuid, insured_id uuid, insurer_id uuid, broker_id uuid, status varchar(32),
  channel varchar(32), loss_at timestamptz, notified_at timestamptz, routing_deadline timestamptz,
  location varchar(300), description text, estimated_loss bigint, reporter_name varchar(100),
  reporter_phone varchar(20), adjuster_id uuid, firm_id uuid, created_by uuid, routed_at timestamptz,
  breached_at timestamptz, actions text[], step_hours double precision)
"""
# Fan-out of one staged batch: what intake and the workflow would have written for each claim.
FAN_OUT = [
    """INSERT INTO claim ({claim_cols}) SELECT {stage_cols} FROM bench_stage""",
    """INSERT INTO case_participation (id, claim_id, organisation_id, party_role, since)
       SELECT gen_random_uuid(), id, insured_id, 'insured', notified_at FROM bench_stage
       UNION ALL SELECT gen_random_uuid(), id, insurer_id, 'insurer', notified_at FROM bench_stage
       UNION ALL SELECT gen_random_uuid(), id, broker_id, 'broker', notified_at FROM bench_stage
                 WHERE broker_id IS NOT NULL
       UNION ALL SELECT gen_random_uuid(), id, firm_id, 'adjuster', routed_at FROM bench_stage
                 WHERE firm_id IS NOT NULL""",
    """INSERT INTO deadline (id, claim_id, kind, holder, started_at, due_at, stopped_at, breached_at)
       SELECT gen_random_uuid(), id, 'routing', 'broker', notified_at, routing_deadline, routed_at, breached_at
       FROM bench_stage""",
    """INSERT INTO audit_event (chain_key, seq, prev_hash, hash, occurred_at, actor_user_id, action, entity_type,
                                entity_id, after, audience)
       SELECT 'case:' || s.id, g.seq,
              CASE WHEN g.seq = 1 THEN repeat('0', 64)
                   ELSE md5(s.id::text || (g.seq - 1)) || md5((g.seq - 1) || s.id::text) END,
              md5(s.id::text || g.seq) || md5(g.seq || s.id::text),
              s.notified_at + (g.seq - 1) * s.step_hours * interval '1 hour',
              CASE WHEN g.seq = 1 THEN s.created_by END, 'claim.' || s.actions[g.seq], 'claim', s.id::text,
              json_build_object('status', CASE WHEN g.seq = 1 THEN 'notified' ELSE s.status END),
              '["adjuster_firm", "broker", "insured", "insurer"]'::json
       FROM bench_stage s, generate_series(1, cardinality(s.actions)) AS g(seq)""",
    """INSERT INTO audit_chain_head (chain_key, seq, hash)
       SELECT 'case:' || id, cardinality(actions),
              md5(id::text || cardinality(actions)) || md5(cardinality(actions) || id::text) FROM bench_stage""",
    "TRUNCATE bench_stage",
]


def load_claims(url: str, market: Market, start: int, count: int, seed: int, now: dt.datetime) -> dict[str, Any]:
    """COPY ``count`` more claims (psycopg, into an unlogged staging table), then fan each batch out with
    set-based INSERT … SELECT into claim, case_participation, deadline, audit_event and audit_chain_head."""
    rng = random.Random(seed)
    span = (now - dt.timedelta(hours=1) - T0).total_seconds()
    broker_user = market.users["broker"]
    base_cols = (
        "id, number, policy_id, insured_id, insurer_id, broker_id, status, channel, loss_at, notified_at, "
        "routing_deadline, location, description, estimated_loss, reporter_name, reporter_phone, "
        "adjuster_id, created_by"
    )
    extra = {"possible_duplicates": "'[]'::json"}
    extra_cols = [c for c in extra if c in market.claim_columns]
    claim_cols = base_cols + "".join(f", {c}" for c in extra_cols)
    stage_cols = base_cols + "".join(f", {extra[c]}" for c in extra_cols)
    counters: dict[int, int] = {}
    with psycopg.connect(url) as c:  # intake during the previous measurement moved the counters on
        market.years = dict(c.execute("SELECT name, value FROM counter").fetchall())
    for name, value in market.years.items():
        if name.startswith(("claim:", "LP:")):
            counters[int(name.split(":")[1])] = max(counters.get(int(name.split(":")[1]), 0), int(value))
    t_start = time.monotonic()
    events = 0
    batch = 25_000
    timings = {"python_copy": 0.0, "fan_out": 0.0}
    with psycopg.connect(url) as conn:
        conn.execute(STAGE)
        conn.commit()
        done = 0
        while done < count:
            n = min(batch, count - done)
            t1 = time.monotonic()
            times = sorted(T0 + dt.timedelta(seconds=rng.random() * span) for _ in range(n))
            with (
                conn.cursor() as cur,
                cur.copy(
                    f"COPY bench_stage ({base_cols}, firm_id, routed_at, breached_at, actions, step_hours) FROM STDIN"
                ) as cp,
            ):
                for notified in times:
                    year = notified.astimezone(SHANGHAI).year
                    counters[year] = counters.get(year, 0) + 1
                    pid, insured, insurer, broker = rng.choice(market.policies)
                    age = (now - notified).total_seconds() / 86400
                    status = status_for(rng, age)
                    acts = ["notified", *actions_for(status, age)]
                    loss = notified - dt.timedelta(minutes=rng.randint(30, 48 * 60))
                    deadline = max(loss + dt.timedelta(hours=48), notified + dt.timedelta(hours=24))
                    adj, firm = rng.choice(market.adjusters) if "route" in acts else (None, None)
                    routed = notified + dt.timedelta(hours=rng.uniform(1, 20)) if adj else None
                    if status == "withdrawn" and routed is None:
                        routed = notified + dt.timedelta(hours=3)
                    breached = deadline if routed is None and deadline < now else None
                    body = notice_body(rng, "", notified)
                    cp.write_row(
                        (
                            uuid.uuid4(),
                            f"LP-{year}-{counters[year]:06d}",
                            pid,
                            insured,
                            insurer,
                            broker,
                            status,
                            rng.choice(CHANNELS),
                            loss,
                            notified,
                            deadline,
                            body["location"],
                            body["description"],
                            rng.randint(500_000, 500_000_000),
                            rng.choice(NAMES),
                            body["reporter"]["phone"],
                            adj,
                            broker_user,
                            firm,
                            routed,
                            breached,
                            acts,
                            rng.uniform(2, 72),
                        )
                    )
                    events += len(acts)
            t2 = time.monotonic()
            for sql in FAN_OUT:
                conn.execute(sql.format(claim_cols=claim_cols, stage_cols=stage_cols))  # type: ignore[arg-type]
            for year, value in counters.items():
                for name in (f"claim:{year}", f"LP:{year}"):  # the counter's name before and after b0fff3a
                    conn.execute(
                        "INSERT INTO counter (name, value) VALUES (%s, %s) ON CONFLICT (name) "
                        "DO UPDATE SET value = EXCLUDED.value",
                        (name, value),
                    )
            conn.commit()
            timings["python_copy"] += t2 - t1
            timings["fan_out"] += time.monotonic() - t2
            done += n
            el = time.monotonic() - t_start
            log(
                f"loaded {start + done:,} claims ({done / el:,.0f} claims/s, {events:,} audit events; "
                f"copy {timings['python_copy']:.0f}s, fan-out {timings['fan_out']:.0f}s)"
            )
        conn.execute("DROP TABLE bench_stage")
        conn.commit()
    market.years = {f"claim:{y}": v for y, v in counters.items()}
    return {
        "claims_added": count,
        "audit_events_added": events,
        "seconds": round(time.monotonic() - t_start, 1),
        **{f"{k}_seconds": round(v, 1) for k, v in timings.items()},
    }


def analyze(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as c:
        for t in (
            "claim",
            "case_participation",
            "deadline",
            "audit_event",
            "audit_chain_head",
            "policy",
            "organisation",
            "counter",
        ):
            c.execute(f"VACUUM (ANALYZE) {t}")


def table_sizes(url: str) -> dict[str, Any]:
    with psycopg.connect(url) as c:
        return {
            t: {
                "rows": c.execute(f"SELECT count(*) FROM {t}").fetchone()[0],  # type: ignore[index]
                "size": c.execute("SELECT pg_size_pretty(pg_total_relation_size(%s))", (t,)).fetchone()[0],
            }  # type: ignore[index]
            for t in ("claim", "case_participation", "audit_event", "deadline")
        }


def explain(url: str, market: Market, cursor_at: tuple[str, str] | None) -> dict[str, str]:
    """EXPLAIN ANALYZE of the app's own list query (built by the app's code) for the broker."""
    from sqlalchemy import bindparam
    from sqlalchemy.dialects import postgresql

    from tandem.access import scope
    from tandem.access.actor import Actor
    from tandem.access.models import OrgKind
    from tandem.claim.models import Claim, ClaimStatus

    actor = Actor(uuid.uuid4(), market.broker, OrgKind.BROKER, "broker", "broker", "broker", frozenset())
    base = scope.visible_claims(actor).order_by(Claim.notified_at.desc(), Claim.id.desc())
    stmts = {
        "list_broker": base.where(Claim.status == ClaimStatus.NOTIFIED).limit(51),
        "list_all_broker": base.limit(51),
        # the search as the app runs it: the escaped prefix rendered as a literal
        "search": base.where(
            Claim.number.like(bindparam("number_prefix", "LP-2026-0001%", literal_execute=True), escape="/")
        ).limit(51),
    }
    if cursor_at:
        at, cid = dt.datetime.fromisoformat(cursor_at[0]), uuid.UUID(cursor_at[1])
        from sqlalchemy import tuple_

        stmts["list_deep_broker"] = base.where(tuple_(Claim.notified_at, Claim.id) < tuple_(at, cid)).limit(51)
    out = {}
    dialect = postgresql.psycopg.dialect()  # type: ignore[attr-defined]
    with psycopg.connect(url) as c:
        for name, stmt in stmts.items():
            compiled = stmt.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
            params = {k: (v.value if hasattr(v, "value") else v) for k, v in compiled.params.items()}
            rows = c.execute("EXPLAIN (ANALYZE, BUFFERS) " + str(compiled), params).fetchall()  # type: ignore[arg-type]
            out[name] = "\n".join(r[0] for r in rows)
    return out


ENDPOINTS = (
    "list_broker",
    "list_insurer",
    "list_all_broker",
    "list_deep_broker",
    "case_page",
    "search",
    "intake",
    "baseline_me",
)


def measure(server: Server, url: str, market: Market, samples: int, seed: int) -> dict[str, Any]:
    """Each endpoint ``samples`` times after a warm-up, interleaved round-robin so that whatever else
    the machine does weighs on every endpoint alike. ``baseline_me`` (GET /api/v1/me: authenticated,
    independent of the number of claims) is the in-run baseline for the size-normalised ratios."""
    from bench.common import login

    rng = random.Random(seed)
    tokens = {u: login(server.base, u) for u in ("broker", "insurer1", "insured1")}
    with psycopg.connect(url) as c:
        ids = [
            str(r[0])
            for r in c.execute(
                "SELECT claim_id FROM case_participation WHERE organisation_id = %s ORDER BY random() LIMIT %s",
                (market.broker, samples + 20),
            )
        ]
        policy = c.execute("SELECT id FROM policy WHERE number = 'PQC2026330400001'").fetchone()[0]  # type: ignore[index]
    client = httpx.Client(base_url=server.base, timeout=120)
    auth = {u: {"Authorization": f"Bearer {t}"} for u, t in tokens.items()}
    # the 21st page of the broker's whole list, through the cursors
    cur = None
    for _ in range(20):
        nxt = client.get("/api/v1/claims?limit=50" + (f"&cursor={cur}" if cur else ""), headers=auth["broker"]).json()
        if nxt["next"] is None:
            break
        cur = nxt["next"]
    it = iter(ids)
    reqs: dict[str, Any] = {
        "list_broker": lambda: ("GET", "/api/v1/claims?status=notified&limit=50", "broker", None),
        "list_insurer": lambda: ("GET", "/api/v1/claims?status=negotiating&limit=50", "insurer1", None),
        "list_all_broker": lambda: ("GET", "/api/v1/claims?limit=50", "broker", None),
        "list_deep_broker": lambda: (
            "GET",
            "/api/v1/claims?limit=50" + (f"&cursor={cur}" if cur else ""),
            "broker",
            None,
        ),
        "case_page": lambda: ("GET", f"/api/v1/claims/{next(it)}/case", "broker", None),
        "search": lambda: ("GET", "/api/v1/claims?q=LP-2026-0001", "broker", None),
        "intake": lambda: ("POST", "/api/v1/claims", "insured1", notice_body(rng, str(policy), utcnow())),
        "baseline_me": lambda: ("GET", "/api/v1/me", "broker", None),
    }
    lat: dict[str, list[float]] = {k: [] for k in reqs}
    rows: dict[str, int] = {}
    warmup = 3
    for i in range(warmup + samples):
        for name, make in reqs.items():
            method, path, who, body = make()
            headers = dict(auth[who])
            if method == "POST":
                headers["Idempotency-Key"] = f"growth-{uuid.uuid4()}"
            t = time.perf_counter()
            r = client.request(method, path, headers=headers, json=body)
            ms = (time.perf_counter() - t) * 1000
            if r.status_code >= 400:
                raise RuntimeError(f"{name}: {r.status_code} {r.text[:300]}")
            if i >= warmup:
                lat[name].append(ms)
            if name.startswith(("list", "search")):
                rows[name] = len(r.json()["items"])
    client.close()
    out: dict[str, Any] = {name: summarize(v) for name, v in lat.items()}
    out["_rows_returned"] = rows
    out["_cursor"] = cur
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10000,1000000", help="claim counts, ascending")
    ap.add_argument("--samples", type=int, default=100, help="requests per endpoint and size")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    rng = random.Random(args.seed)
    now = utcnow()
    results: dict[str, Any] = {}
    with workdir("growth", args.keep) as wd, scratch_database("growth", keep=args.keep) as url:
        prepare_database(url, wd)
        market = Market(url, rng)
        loaded = 0
        for size in sizes:
            info = load_claims(url, market, loaded, size - loaded, args.seed + size, now)
            loaded = size
            t = time.monotonic()
            analyze(url)
            info["analyze_seconds"] = round(time.monotonic() - t, 1)
            info["tables"] = table_sizes(url)
            server = Server(app_env(url, wd), args.workers, wd / f"server-{size}.log")
            server.start()
            server.wait_ready()
            try:
                log(f"measuring at {size:,} claims (as-is)")
                as_is = measure(server, url, market, args.samples, args.seed)
                cur = as_is.pop("_cursor")
                plan = explain(url, market, _cursor_values(cur))
            finally:
                server.stop()
            results[str(size)] = {"load": info, "p95": as_is, "plans": plan}
        mach = machine(url)

    small, large = str(sizes[0]), str(sizes[-1])
    lg, sm = results[large]["p95"], results[small]["p95"]
    ratios = {ep: round(lg[ep]["p95"] / sm[ep]["p95"], 2) for ep in ENDPOINTS}
    base = lg["baseline_me"]["p95"] / sm["baseline_me"]["p95"]
    normalised = {ep: round(ratios[ep] / base, 2) for ep in ENDPOINTS}
    p95 = {ep: {size: results[size]["p95"][ep]["p95"] for size in results} for ep in ENDPOINTS}
    goal_eps = ("list_broker", "list_insurer", "case_page", "search")
    result = {
        "benchmark": "growth",
        "sizes": sizes,
        "samples": args.samples,
        "workers": args.workers,
        "p95_ms": p95,
        "ratio_p95_large_over_small": ratios,
        "ratio_normalised_by_baseline_me": normalised,
        "runs": results,
        "machine": mach,
        "goals": {f"{ep}<=2": ratios[ep] <= 2 for ep in goal_eps},
    }
    path = write_result("growth", result)
    log(f"result written to {path.relative_to(path.parents[2])}")
    summary = {
        "sizes": sizes,
        "p95_ms": p95,
        "ratio": ratios,
        "ratio_normalised": normalised,
        "goals": result["goals"],
        "result_file": str(path.relative_to(path.parents[2])),
    }
    print(json.dumps(summary, ensure_ascii=False) if args.json else json.dumps(summary, indent=2, ensure_ascii=False))


def _cursor_values(cursor: str | None) -> tuple[str, str] | None:
    if not cursor:
        return None
    from tandem.kit.pagination import decode_cursor

    values = decode_cursor(cursor)
    return (str(values[0]), str(values[1])) if values and len(values) == 2 else None


if __name__ == "__main__":
    main()
