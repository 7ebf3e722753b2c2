"""Test fixtures: every database test runs on SQLite and, when TANDEM_TEST_DATABASE_URL is set, on
PostgreSQL too. Each test gets its own database copied from a migrated template with the demo data,
so the code's own commits are real and tests never see each other's rows."""

from __future__ import annotations

import base64
import os
import shutil
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from tandem import demo, migrate
from tandem.app import create_app
from tandem.config import Settings
from tandem.db import make_engine, make_session_factory, normalise_url, unit_of_work
from tandem.kit.clock import FrozenClock

# The whole suite runs with a keyed audit chain (every factory, app and CLI subprocess reads it).
os.environ.setdefault("TANDEM_AUDIT_KEY", "test-audit-key")
# And with fixed keys for ID and phone numbers at rest (tandem.kit.pii): 32 bytes each, base64.
os.environ.setdefault("TANDEM_PII_KEYS", "test1:" + base64.b64encode(b"tandem-test-pii-key-32-bytes-000").decode())
os.environ.setdefault("TANDEM_PII_INDEX_KEY", base64.b64encode(b"tandem-test-pii-index-key-32byte").decode())
PG_URL = os.environ.get("TANDEM_TEST_DATABASE_URL")
BACKENDS = ["sqlite", "postgresql"] if PG_URL else ["sqlite"]
RUN_ID = uuid.uuid4().hex[:8]


def pytest_configure(config: pytest.Config) -> None:
    if os.environ.get("CI") == "true" and not PG_URL:
        raise pytest.UsageError("CI=true requires TANDEM_TEST_DATABASE_URL (PostgreSQL)")


def test_settings(url: str, tmp: Path) -> Settings:
    return Settings(
        env="test",
        audit_key=os.environ["TANDEM_AUDIT_KEY"],
        database_url=url,
        var_dir=tmp,
        secret_key="test-secret",
        argon2_time_cost=1,
        argon2_memory_cost=8,
        argon2_parallelism=1,
        expert_index_at_startup=False,  # a test that wants it says so (tests/expert/test_index_startup.py)
    )


def _admin_engine() -> Engine:
    assert PG_URL
    return create_engine(normalise_url(PG_URL), isolation_level="AUTOCOMMIT")


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "gw")


@dataclass
class Template:
    backend: str
    url: str
    name: str = ""


def _seed(url: str, tmp: Path) -> None:
    migrate.upgrade(url)
    engine = make_engine(url)
    with unit_of_work(make_session_factory(engine)) as s:
        demo.load(s, test_settings(url, tmp), FrozenClock().now(), claims=False)  # tests make their own
    engine.dispose()


@pytest.fixture(scope="session")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Template]]:
    out: dict[str, Template] = {}
    tmp = tmp_path_factory.mktemp("tmpl")
    path = tmp / "template.db"
    _seed(f"sqlite:///{path}", tmp)
    out["sqlite"] = Template("sqlite", str(path))
    if PG_URL:
        name = f"tandem_tmpl_{RUN_ID}_{_worker()}"
        admin = _admin_engine()
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            c.execute(text(f'CREATE DATABASE "{name}"'))
        base = normalise_url(PG_URL).rsplit("/", 1)[0]
        _seed(f"{base}/{name}", tmp)
        out["postgresql"] = Template("postgresql", f"{base}/{name}", name)
    yield out
    if PG_URL:
        with _admin_engine().connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{out["postgresql"].name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def runtime_role() -> Iterator[str | None]:
    """PostgreSQL: the role the application under test connects as. It owns no table: each test database
    belongs to the owner of TANDEM_TEST_DATABASE_URL (the migration role), who grants it data rights with
    ``tandem.migrate.grant_runtime``, as in production (docs/security.md). Tests set up and inspect
    through the owner (``env.engine``), the app serves through this role."""
    if not PG_URL:
        yield None
        return
    name = f"tandem_rt_{RUN_ID}_{_worker()}"
    yield name
    with _admin_engine().connect() as c:
        try:
            c.execute(text(f'DROP ROLE IF EXISTS "{name}"'))
        except Exception:  # a database left behind still names it; the next run uses another name
            pass


@dataclass
class Env:
    backend: str
    url: str
    settings: Settings
    engine: Engine
    factory: sessionmaker[Session]
    clock: FrozenClock
    app: FastAPI
    _clients: dict[str, TestClient] = field(default_factory=dict)

    def session(self) -> Session:
        return self.factory()

    def client(self, username: str | None = None) -> TestClient:
        """A TestClient, logged in through the token endpoint when a username is given."""
        key = username or ""
        if key not in self._clients:
            c = TestClient(self.app, base_url="https://testserver", raise_server_exceptions=False)
            if username:
                r = c.post("/api/v1/auth/token", json={"username": username, "password": demo.DEMO_PASSWORD})
                assert r.status_code == 200, r.text
                c.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
            self._clients[key] = c
        return self._clients[key]


@pytest.fixture(params=BACKENDS)
def env(
    request: pytest.FixtureRequest, templates: dict[str, Template], runtime_role: str | None, tmp_path: Path
) -> Iterator[Env]:
    backend: str = request.param
    tmpl = templates[backend]
    dbname = ""
    if backend == "sqlite":
        path = tmp_path / "test.db"
        shutil.copy(tmpl.url, path)
        url = f"sqlite:///{path}"
    else:
        dbname = f"tandem_t_{RUN_ID}_{uuid.uuid4().hex[:10]}"
        with _admin_engine().connect() as c:
            c.execute(text(f'CREATE DATABASE "{dbname}" TEMPLATE "{tmpl.name}"'))
        url = tmpl.url.rsplit("/", 1)[0] + f"/{dbname}"
    settings = test_settings(url, tmp_path)
    engine = make_engine(url)
    app_engine = engine
    if backend == "postgresql" and runtime_role:
        assert migrate.grant_runtime(url, runtime_role, create=True) == []
        app_engine = make_engine(make_url(url).set(username=runtime_role).render_as_string(hide_password=False))
    clock = FrozenClock()
    app = create_app(settings, clock=clock, engine=app_engine)
    e = Env(backend, url, settings, engine, make_session_factory(engine, settings.audit_key), clock, app)
    yield e
    for c in e._clients.values():
        c.close()
    app_engine.dispose()
    engine.dispose()
    if dbname:
        with _admin_engine().connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)'))


class Sink:
    """A real SMTP server's message store (aiosmtpd): what the worker sent, as received."""

    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope)
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Sink, int]]:
    """A real SMTP server on a free local port (set ``env.settings.smtp_port`` to it)."""
    sink = Sink()
    port = _free_port()
    ctl = Controller(sink, hostname="127.0.0.1", port=port)
    ctl.start()
    yield sink, port
    ctl.stop()


@pytest.fixture
def expert_index(env: Env) -> None:
    """The env's expert search index, prepared before the test's requests (the server prepares it at
    start-up; a request never builds it)."""
    from tandem.expert import service

    with env.session() as s:
        service.sync_index(s, env.settings)
