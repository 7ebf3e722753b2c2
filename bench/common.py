"""Shared plumbing for the benchmarks: scratch databases, the app's own processes, realistic notices,
percentiles, machine description and result files. Nothing here is imported by the app or the tests."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import platform
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import psycopg

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
BIN = Path(sys.executable).parent
TANDEM = str(BIN / "tandem")
# The maintenance database the scratch databases are created from (trust auth on 127.0.0.1).
ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
DEMO_PASSWORD = "tandem-demo"
SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ---- PostgreSQL ----------------------------------------------------------------------------------


def url_for(dbname: str) -> str:
    return ADMIN_URL.rsplit("/", 1)[0] + "/" + dbname


def conninfo(url: str) -> dict[str, str]:
    u = urlsplit(url)
    return {
        "host": u.hostname or "127.0.0.1",
        "port": str(u.port or 5432),
        "user": u.username or "postgres",
        "dbname": u.path.lstrip("/"),
    }


@contextlib.contextmanager
def scratch_database(prefix: str, keep: bool = False) -> Iterator[str]:
    """A fresh database for one run, dropped afterwards (``--keep`` leaves it for inspection)."""
    name = f"bench_{prefix}_{time.strftime('%H%M%S')}_{secrets.token_hex(3)}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    log(f"scratch database {name}")
    try:
        yield url_for(name)
    finally:
        if keep:
            log(f"kept database {name}")
        else:
            with psycopg.connect(ADMIN_URL, autocommit=True) as c:
                c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def app_env(url: str, var_dir: Path, *, production: bool = True, **extra: str) -> dict[str, str]:
    env = os.environ.copy()
    env.update(
        {
            "TANDEM_DATABASE_URL": url,
            "TANDEM_VAR_DIR": str(var_dir),
            "TANDEM_SECRET_KEY": "bench-" + secrets.token_hex(16),
            "TANDEM_ENV": "production" if production else "development",
        }
    )
    env.update(extra)
    return env


def prepare_database(url: str, var_dir: Path) -> None:
    """``tandem db upgrade`` and ``tandem demo load``, exactly as an operator would."""
    env = app_env(url, var_dir, production=False)
    for args in (["db", "upgrade"], ["demo", "load"]):
        subprocess.run([TANDEM, *args], env=env, check=True, stdout=subprocess.DEVNULL)


def pg_scalar(url: str, sql: str, params: Any = None) -> Any:
    with psycopg.connect(url, autocommit=True) as c:
        row = c.execute(sql, params).fetchone()
        return row[0] if row else None


# ---- processes -------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def children(pid: int) -> list[int]:
    out = []
    for p in Path("/proc").iterdir():
        if not p.name.isdigit():
            continue
        try:
            stat = (p / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid:
            out.append(int(p.name))
    return out


def group_alive(pgid: int) -> bool:
    """Whether a process of this process group is still running (zombies do not count)."""
    for p in Path("/proc").iterdir():
        if not p.name.isdigit():
            continue
        try:
            fields = (p / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


class Managed:
    """A child process in its own session, so SIGKILL reaches it and everything it spawned."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log_path: Path) -> None:
        self.name, self.argv, self.env, self.log_path = name, argv, env, log_path
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        logf = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            self.argv,
            env=self.env,
            stdout=logf,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            cwd=ROOT,
        )
        logf.close()
        self.starts += 1

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def signal_group(self, sig: int) -> None:
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, sig)

    def kill(self) -> None:
        """SIGKILL the whole process group: no shutdown handler runs. Returns once every process of
        the group is gone (uvicorn's worker processes hold the listening socket too)."""
        self.signal_group(signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait()
            deadline = time.monotonic() + 15
            while group_alive(self.proc.pid) and time.monotonic() < deadline:
                time.sleep(0.05)

    def stop(self, timeout: float = 20) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.signal_group(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()


class Server(Managed):
    """``tandem serve --workers N``: uvicorn[standard] (uvloop, httptools), as in production."""

    def __init__(self, env: dict[str, str], workers: int, log_path: Path, port: int | None = None) -> None:
        self.port = port or free_port()
        self.workers = workers
        argv = [TANDEM, "serve", "--workers", str(workers), "--host", "127.0.0.1", "--port", str(self.port)]
        super().__init__("api", argv, env, log_path)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 90, restarts: int = 3) -> float:
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            if self.proc is not None and self.proc.poll() is not None:
                if restarts <= 0 or self.proc.returncode == 0:
                    raise RuntimeError(f"server exited with {self.proc.returncode}; see {self.log_path}")
                restarts -= 1  # e.g. the port was not free yet: try again
                time.sleep(1)
                self.start()
                continue
            try:
                if httpx.get(self.base + "/healthz", timeout=2).status_code == 200:
                    # every uvicorn worker must be up, not only the first one
                    if self.workers <= 1 or len(self.worker_pids()) >= self.workers:
                        return time.monotonic() - t0
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"server not ready after {timeout}s; see {self.log_path}")

    def worker_pids(self) -> list[int]:
        """The uvicorn worker processes (the master only supervises)."""
        if self.workers <= 1:
            return [self.pid]
        out = []
        for pid in children(self.pid):
            with contextlib.suppress(OSError):
                cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
                if b"multiprocessing" in cmd and b"resource_tracker" not in cmd:
                    out.append(pid)
        return out


def login(base: str, username: str) -> str:
    r = httpx.post(base + "/api/v1/auth/token", json={"username": username, "password": DEMO_PASSWORD}, timeout=30)
    r.raise_for_status()
    return str(r.json()["access_token"])


def demo_policies(url: str) -> dict[str, str]:
    with psycopg.connect(url) as c:
        return {n: str(i) for n, i in c.execute("SELECT number, id FROM policy")}


def reporters(base: str, url: str) -> list[dict[str, Any]]:
    """Who reports, with what weight: insured1 (policy with a designated adjuster: the routing path runs),
    insured2, and the broker on any of its clients' policies."""
    pol = demo_policies(url)
    return [
        {"username": "insured1", "token": login(base, "insured1"), "policies": [pol["PQC2026330400001"]], "weight": 4},
        {"username": "insured2", "token": login(base, "insured2"), "policies": [pol["PCA2026441900002"]], "weight": 3},
        {"username": "broker", "token": login(base, "broker"), "policies": sorted(pol.values()), "weight": 3},
    ]


# ---- realistic loss notices (报案) ------------------------------------------------------------------

AREAS = [
    ("浙江省嘉兴市南湖区", ["亚中路", "广益路", "中环南路", "昌盛南路"]),
    ("广东省东莞市长安镇", ["振安中路", "长青南路", "乌沙环路"]),
    ("上海市浦东新区", ["张江路", "金海路", "川沙路", "秀浦路"]),
    ("江苏省苏州市工业园区", ["星湖街", "苏虹中路", "金鸡湖大道"]),
    ("浙江省杭州市上城区", ["清泰街", "江城路", "望江东路"]),
    ("浙江省宁波市北仑区", ["明州路", "新碶街道大港路"]),
]
SITES = ["一号厂房", "原料仓库", "成品仓库", "办公楼一层", "注塑车间", "装配车间", "露天堆场"]
OBJECTS = [
    "注塑机",
    "电子元器件存货",
    "成品纸箱",
    "生产线控制柜",
    "空压机",
    "原材料（ABS颗粒）",
    "办公设备",
    "叉车及货架",
    "冷库制冷机组",
]
TYPHOONS = ["梅花", "烟花", "杜苏芮", "海葵", "贝碧嘉", "康妮"]
STORIES = [
    "受台风“{typhoon}”影响，{site}遭遇强降雨和大风，{obj}进水受损，初步估计损失约{amt}万元。现场已拍照留存，"
    "请尽快安排查勘。",
    "{site}突发火情，消防部门到场扑救后明火已扑灭，{obj}部分烧毁，无人员伤亡。起火原因待消防出具认定书。",
    "连续暴雨导致{site}积水深约{cm}厘米，{obj}被水浸泡，部分原材料及产成品受损，已组织排水和转移。",
    "{site}屋顶彩钢板被大风掀开，雨水进入导致{obj}受潮，现场已临时遮盖，请公估人尽快到场。",
    "运输途中车辆侧翻，所载{obj}部分损毁，收货人已出具货损证明，事故已向交警报案。",
    "{site}配电柜短路引发停电，{obj}停机并有烧损痕迹，设备厂家已到场初步检测。",
]
NAMES = ["沈国平", "梁志明", "陈晓东", "王芳", "李强", "张丽", "刘洋", "周建华", "吴敏", "郑海涛"]
CHANNELS = ["app", "web", "phone", "wechat", "email", "api"]


def notice_body(rng: random.Random, policy_id: str, now: dt.datetime, ref: str | None = None) -> dict[str, Any]:
    area, roads = rng.choice(AREAS)
    site = rng.choice(SITES)
    story = rng.choice(STORIES).format(
        typhoon=rng.choice(TYPHOONS),
        site=site,
        obj=rng.choice(OBJECTS),
        amt=rng.randint(5, 800),
        cm=rng.randint(20, 120),
    )
    loss_at = now - dt.timedelta(minutes=rng.randint(30, 36 * 60))
    year_start = dt.datetime(now.astimezone(SHANGHAI).year, 1, 1, tzinfo=SHANGHAI)
    loss_at = max(loss_at, year_start + dt.timedelta(hours=1))
    description = f"{loss_at.astimezone(SHANGHAI):%m月%d日%H时}，{story}"
    if ref:
        description += f"（客户报案参考号：{ref}）"
    return {
        "policy_id": policy_id,
        "loss_at": loss_at.astimezone(SHANGHAI).isoformat(timespec="seconds"),
        "location": f"{area}{rng.choice(roads)}{rng.randint(1, 999)}号{site}",
        "description": description,
        "channel": rng.choice(CHANNELS),
        "estimated_loss": f"{rng.randint(5_000, 5_000_000)}.00",
        "reporter": {"name": rng.choice(NAMES), "phone": f"13{rng.randint(0, 9)}{rng.randint(0, 99_999_999):08d}"},
    }


REF_RE = re.compile(r"客户报案参考号：([A-Za-z0-9-]+)）")


# ---- statistics --------------------------------------------------------------------------------------


def percentile(sorted_values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (q in 0..100)."""
    if not sorted_values:
        return float("nan")
    k = (len(sorted_values) - 1) * q / 100
    lo = int(k)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (k - lo)


def summarize(values_ms: list[float]) -> dict[str, float]:
    v = sorted(values_ms)
    if not v:
        return {"n": 0}
    return {
        "n": len(v),
        "mean": round(sum(v) / len(v), 2),
        "p50": round(percentile(v, 50), 2),
        "p90": round(percentile(v, 90), 2),
        "p95": round(percentile(v, 95), 2),
        "p99": round(percentile(v, 99), 2),
        "max": round(v[-1], 2),
    }


# ---- load generator in its own process ---------------------------------------------------------------


def start_loadgen(spec: dict[str, Any], workdir: Path) -> tuple[subprocess.Popen[bytes], Path]:
    spec_path = workdir / f"loadgen-{secrets.token_hex(3)}.json"
    out_path = spec_path.with_suffix(".out.json")
    spec_path.write_text(json.dumps(spec, ensure_ascii=False))
    proc = subprocess.Popen([sys.executable, "-m", "bench.loadgen", str(spec_path), str(out_path)], cwd=ROOT)
    return proc, out_path


def run_loadgen(spec: dict[str, Any], workdir: Path) -> dict[str, Any]:
    proc, out = start_loadgen(spec, workdir)
    if proc.wait() != 0:
        raise RuntimeError(f"load generator failed ({proc.returncode})")
    result: dict[str, Any] = json.loads(out.read_text())
    return result


# ---- pgbench baseline ---------------------------------------------------------------------------------

PGBENCH_BODY = (
    "受台风影响，一号厂房遭遇强降雨和大风，注塑机进水受损，初步估计损失约120万元。现场已拍照留存，请尽快安排查勘。"
)


def pgbench_insert_tps(url: str, clients: int, seconds: int, workdir: Path) -> dict[str, Any]:
    """TPS of a custom pgbench script inserting one row (about the size of a claim row) into a scratch
    table, one transaction per row, at ``clients`` connections over TCP like the app."""
    with psycopg.connect(url, autocommit=True) as c:
        c.execute("DROP TABLE IF EXISTS bench_pgbench_insert")
        c.execute(
            "CREATE TABLE bench_pgbench_insert (id bigserial PRIMARY KEY, k bigint NOT NULL, "
            "body text NOT NULL, at timestamptz NOT NULL DEFAULT now())"
        )
    script = workdir / "insert.sql"
    script.write_text(
        f"\\set k random(1, 1000000000)\nINSERT INTO bench_pgbench_insert (k, body) VALUES (:k, '{PGBENCH_BODY}');\n"
    )
    ci = conninfo(url)
    argv = [
        "pgbench",
        "-n",
        "-h",
        ci["host"],
        "-p",
        ci["port"],
        "-U",
        ci["user"],
        "-c",
        str(clients),
        "-j",
        str(min(clients, os.cpu_count() or 1)),
        "-T",
        str(seconds),
        "-M",
        "prepared",
        "-f",
        str(script),
        ci["dbname"],
    ]
    out = subprocess.run(argv, check=True, capture_output=True, text=True).stdout
    m = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", out)
    lat = re.search(r"latency average = ([0-9.]+) ms", out)
    rows = pg_scalar(url, "SELECT count(*) FROM bench_pgbench_insert")
    with psycopg.connect(url, autocommit=True) as c:
        c.execute("DROP TABLE bench_pgbench_insert")
    return {
        "tps": float(m.group(1)) if m else float("nan"),
        "latency_avg_ms": float(lat.group(1)) if lat else None,
        "rows": rows,
        "clients": clients,
        "seconds": seconds,
        "argv": " ".join([*argv[:-1], "<scratch db>"]),
    }


# ---- machine and results ------------------------------------------------------------------------------


def machine(url: str | None = None) -> dict[str, Any]:
    mem = next(
        (ln.split()[1] for ln in Path("/proc/meminfo").read_text().splitlines() if ln.startswith("MemTotal")), "0"
    )
    cpu = next(
        (
            ln.split(":", 1)[1].strip()
            for ln in Path("/proc/cpuinfo").read_text().splitlines()
            if ln.startswith("model name")
        ),
        platform.processor(),
    )
    info: dict[str, Any] = {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu": cpu,
        "mem_gib": round(int(mem) / 1024 / 1024, 1),
        "python": platform.python_version(),
        "kernel": platform.release(),
        "loadavg_at_end": os.getloadavg(),
        "git": git_state(),
    }
    if url:
        with psycopg.connect(url) as c:
            info["postgresql"] = c.execute("SHOW server_version").fetchone()[0]  # type: ignore[index]
            info["pg_settings"] = dict(
                c.execute(
                    "SELECT name, current_setting(name) FROM pg_settings WHERE name IN "
                    "('shared_buffers','synchronous_commit','fsync','max_connections','work_mem','lc_collate',"
                    "'effective_cache_size','random_page_cost')"
                ).fetchall()
            )
    return info


def git_state() -> dict[str, Any]:
    """The tree measured: other engineers edit src/ while benchmarks run."""

    def git(*a: str) -> str:
        return subprocess.run(["git", *a], cwd=ROOT, capture_output=True, text=True).stdout

    return {
        "commit": git("rev-parse", "--short", "HEAD").strip(),
        "dirty_src": [ln[3:] for ln in git("status", "--porcelain", "--", "src", "migrations").splitlines()],
    }


WORKER_ARGV = [TANDEM, "worker"]


def write_result(name: str, data: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.json"
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n")
    return path


@contextlib.contextmanager
def workdir(prefix: str, keep: bool = False) -> Iterator[Path]:
    """Logs, specs and profiles of one run; kept (and named on stderr) with ``--keep``."""
    if keep:
        d = tempfile.mkdtemp(prefix=f"tandem-bench-{prefix}-")
        log(f"work directory {d} (kept)")
        yield Path(d)
        return
    with tempfile.TemporaryDirectory(prefix=f"tandem-bench-{prefix}-") as d:
        yield Path(d)


def utcnow() -> dt.datetime:
    return dt.datetime.fromtimestamp(time.time(), dt.UTC)
