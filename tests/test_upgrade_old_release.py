"""A database made by an earlier release upgrades to head with its data intact.

The release is the commit that added migration 0005 (the work calendar): its own code, taken from git,
creates the schema and loads its demo data; then today's migrations upgrade it, the schema matches
today's models, every row is still there, and today's application logs a demo user in."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import uuid
from io import BytesIO
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, inspect, select, text

from tandem import demo, migrate
from tandem.app import create_app
from tandem.db import make_engine, normalise_url
from tandem.kit.clock import FrozenClock
from tests import conftest
from tests.conftest import BACKENDS, PG_URL

ROOT = Path(__file__).resolve().parents[1]
RELEASE = "0ec9576"  # "Working-day calendar": head was 0005


def _release_tree(dest: Path) -> Path:
    found = subprocess.run(["git", "cat-file", "-e", f"{RELEASE}^{{commit}}"], cwd=ROOT, capture_output=True)
    if found.returncode != 0:
        pytest.skip(f"release {RELEASE} is not in this clone's history (shallow clone)")
    archive = subprocess.run(
        ["git", "archive", RELEASE, "src", "migrations", "alembic.ini"], cwd=ROOT, capture_output=True, check=True
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(dest, filter="data")
    return dest


def _run_release(tree: Path, url: str, *args: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(tree / "src"), "TANDEM_DATABASE_URL": url, "TANDEM_ENV": "test"}
    code = "import sys; from tandem.cli import main; sys.argv = ['tandem', *sys.argv[1:]]; main()"
    r = subprocess.run([sys.executable, "-c", code, *args], cwd=tree, env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def _counts(url: str) -> dict[str, int]:
    engine = create_engine(normalise_url(url))
    try:
        with engine.connect() as c:
            names = [t for t in inspect(c).get_table_names() if t != "alembic_version"]
            return {t: c.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one() for t in names}
    finally:
        engine.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_database_of_an_earlier_release_upgrades_with_its_data(backend: str, tmp_path: Path) -> None:
    tree = _release_tree(tmp_path / "release")
    dbname = ""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.db'}"
    else:
        assert PG_URL
        dbname = f"tandem_old_{uuid.uuid4().hex[:10]}"
        admin = create_engine(normalise_url(PG_URL), isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{dbname}"'))
        url = PG_URL.rsplit("/", 1)[0] + f"/{dbname}"
    try:
        _run_release(tree, url, "db", "upgrade")
        _run_release(tree, url, "demo", "load")
        before = _counts(url)
        assert before["user_account"] > 0 and before["policy"] > 0 and before["calendar_day"] > 0

        migrate.upgrade(url)
        migrate.check(url)  # today's migrations leave exactly today's schema
        after = _counts(url)
        assert {t: n for t, n in after.items() if t in before} == before

        engine = make_engine(url)
        try:
            with engine.connect() as c:
                head = ScriptDirectory.from_config(migrate.alembic_config(url)).get_current_head()
                assert c.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == head
            settings = conftest.test_settings(url, tmp_path)
            app = create_app(settings, clock=FrozenClock(), engine=engine)
            with TestClient(app, base_url="https://testserver") as client:
                r = client.post("/api/v1/auth/token", json={"username": "broker", "password": demo.DEMO_PASSWORD})
                assert r.status_code == 200, r.text
                token = r.json()["access_token"]
                policies = client.get("/api/v1/policies", headers={"Authorization": f"Bearer {token}"})
                assert policies.status_code == 200 and policies.json()["items"]
            with engine.connect() as c:
                from tandem.access.models import User

                assert "broker" in set(c.execute(select(User.username)).scalars())
        finally:
            engine.dispose()
    finally:
        if dbname:
            with admin.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)'))
            admin.dispose()
