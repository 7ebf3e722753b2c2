"""Browser journeys: the app in uvicorn on a free loopback port with its own migrated SQLite database
and the demo data, driven by Playwright through Debian's Chromium (never ``playwright install``)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, expect, sync_playwright

from tests.helpers import WAIT_TIMEOUT_MS

CHROMIUM = Path(os.environ.get("TANDEM_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
ARTIFACTS = Path(__file__).parent / "artifacts"

# Every wait of the browser tests (an element, a navigation, an assertion) waits for a state, up to the
# suite's one wait budget (tests/helpers.py, TANDEM_E2E_TIMEOUT_MS).
E2E_TIMEOUT_MS = WAIT_TIMEOUT_MS
expect.set_options(timeout=E2E_TIMEOUT_MS)


def new_context(browser: Browser, **kwargs: Any) -> BrowserContext:
    """A browser context whose actions and navigations wait up to ``E2E_TIMEOUT_MS``."""
    context = browser.new_context(**kwargs)
    context.set_default_timeout(E2E_TIMEOUT_MS)
    context.set_default_navigation_timeout(E2E_TIMEOUT_MS)
    return context


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing; CI needs Debian's chromium package (scripts/system_deps.sh)")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    return CHROMIUM


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cli(args: list[str], env: dict[str, str]) -> None:
    cmd = [sys.executable, "-c", "from tandem.cli import main; main()", *args]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"tandem {' '.join(args)} failed: {done.stderr.strip()}")


@dataclass(frozen=True)
class Server:
    base_url: str
    log: Path


@contextmanager
def running_app(
    tmp: Path, db_name: str, demo_claims: bool = False, demo: bool = True, **extra_env: str
) -> Iterator[tuple[str, dict[str, str], Path]]:
    """``tandem db upgrade`` and ``tandem demo load`` (without the demo claims unless ``demo_claims``; no demo
    at all without ``demo``: an empty database) into a fresh SQLite file under ``tmp``, then uvicorn on a free
    loopback port; yields (base URL, environment, server log) and stops the server after."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TANDEM_")}
    env.update(
        {
            "TANDEM_ENV": "test",
            "TANDEM_DATABASE_URL": f"sqlite:///{tmp / db_name}",
            "TANDEM_VAR_DIR": str(tmp),
            "TANDEM_SECRET_KEY": "e2e-secret",
            "TANDEM_ARGON2_TIME_COST": "1",
            "TANDEM_ARGON2_MEMORY_COST": "8",
            "TANDEM_ARGON2_PARALLELISM": "1",
            # Plain http on loopback: the session cookie cannot be Secure here.
            "TANDEM_COOKIE_SECURE": "false",
            "PYTHONUNBUFFERED": "1",
            **extra_env,
        }
    )
    _cli(["db", "upgrade"], env)
    # The journeys count their own claims and notices; a tour of the demo asks for its claims.
    if demo:
        _cli(["demo", "load"] if demo_claims else ["demo", "load", "--no-claims"], env)
    port = _free_port()
    log = tmp / "uvicorn.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "tandem.asgi:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=tmp,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + max(60, 2 * E2E_TIMEOUT_MS / 1000)
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"uvicorn exited: {log.read_text(errors='replace')[-2000:]}")
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2) as r:
                    if r.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not answer /healthz in time")
            time.sleep(0.2)
        yield base, env, log
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory, chromium_path: Path) -> Iterator[Server]:
    with running_app(tmp_path_factory.mktemp("e2e"), "e2e.db") as (base, _env, log):
        yield Server(base, log)


@pytest.fixture(scope="session")
def browser(chromium_path: Path) -> Iterator[Browser]:
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(chromium_path), args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
