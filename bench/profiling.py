"""Sample the running uvicorn workers with py-spy (optional; ``pip install py-spy`` into the venv) and
say where the time goes: self time by library, inclusive time by Tandem function."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

FRAME = re.compile(r"^(?P<fn>.*?) \((?P<file>[^:()]*)(?::\d+)?\)$")
BUCKETS = [
    ("psycopg (driver, socket wait)", ("psycopg",)),
    ("sqlalchemy", ("sqlalchemy",)),
    ("pydantic", ("pydantic",)),
    ("fastapi/starlette", ("fastapi", "starlette")),
    ("uvicorn/anyio/asyncio", ("uvicorn", "anyio", "asyncio", "uvloop", "httptools", "concurrent")),
    ("json/hashlib/uuid/datetime", ("json", "hashlib", "uuid", "datetime", "zoneinfo", "_strptime")),
    ("tandem", ("tandem",)),
    ("logging", ("logging",)),
]


def py_spy() -> str | None:
    exe = Path(sys.executable).parent / "py-spy"
    return str(exe) if exe.exists() else shutil.which("py-spy")


def record(pids: list[int], seconds: int, out_dir: Path, rate: int = 100) -> list[subprocess.Popen[bytes]]:
    """Two samplers per process: on-CPU stacks (``cpu``) and all threads including waiting ones (``wall``)."""
    exe = py_spy()
    if exe is None:
        raise RuntimeError("py-spy is not installed: .venv/bin/pip install py-spy")
    procs = []
    for pid in pids:
        for kind, extra in (("cpu", []), ("wall", ["--idle"])):
            argv = [
                exe,
                "record",
                "--pid",
                str(pid),
                "--duration",
                str(seconds),
                "--rate",
                str(rate),
                "--format",
                "raw",
                "--nonblocking",
                *extra,
                "--output",
                str(out_dir / f"pyspy-{pid}-{kind}.txt"),
            ]
            procs.append(subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    return procs


def _bucket(file: str) -> str:
    parts = file.replace("\\", "/").split("/")
    for name, keys in BUCKETS:
        if any(k in parts or any(p.startswith(k) for p in parts[-3:]) for k in keys):
            return name
    return "other (stdlib, C extensions)"


def summarize(files: list[Path], top: int = 25, app_only: bool = False) -> dict[str, Any]:
    """``app_only``: count only stacks inside Tandem code (drops idle pool threads and the event loop)."""
    self_by: Counter[str] = Counter()
    incl: Counter[str] = Counter()
    total = 0
    for path in files:
        if not path.exists():
            continue
        for line in path.read_text(errors="replace").splitlines():
            stack, _, n = line.rpartition(" ")
            if not n.isdigit():
                continue
            count = int(n)
            frames = stack.split(";")
            if app_only and not any("tandem/" in fr for fr in frames):
                continue
            total += count
            leaf = FRAME.match(frames[-1])
            self_by[_bucket(leaf.group("file") if leaf else "")] += count
            seen = set()
            for fr in frames:
                m = FRAME.match(fr)
                path = "/" + m.group("file").replace("\\", "/") if m else ""
                if m and "/tandem/" in path:
                    key = f"{m.group('fn')} ({path.split('/tandem/', 1)[1]})"
                    if key not in seen:
                        seen.add(key)
                        incl[key] += count
                elif m and m.group("fn") in ("commit", "flush", "execute", "_execute_context"):
                    key = f"{m.group('fn')} ({m.group('file').rsplit('/', 2)[-2]})"
                    if key not in seen:
                        seen.add(key)
                        incl[key] += count
    pct = (lambda c: round(100 * c / total, 1)) if total else (lambda c: 0.0)
    return {
        "samples": total,
        "self_pct_by_library": {k: pct(v) for k, v in self_by.most_common()},
        "inclusive_pct_top": {k: pct(v) for k, v in incl.most_common(top)},
    }
