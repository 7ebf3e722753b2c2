"""Migration 0013 (one case file): a database filled by the previous release — its own code, its demo data
and its own finished dispute (two reports, consultation rounds, umpire, MoU acknowledged by all, paid) —
upgrades, and afterwards every claim is a case, every case-scoped row points at it, reports and MoUs are
byte-for-byte what they were, the audit chains verify, and today's code serves the old dispute.

The previous release is this repository's tree just before 0013 was added (``git archive``), run in a
subprocess so that its modules, migrations and tests are the ones that wrote the data."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tandem import demo, migrate
from tandem.app import create_app
from tandem.audit.service import verify
from tandem.db import make_engine, make_session_factory
from tandem.kit.canonical import canonical_json, sha256_hex
from tandem.kit.clock import FrozenClock
from tests import conftest
from tests.conftest import BACKENDS, PG_URL, RUN_ID, _admin_engine

REPO = Path(__file__).resolve().parents[1]
MIGRATION = "migrations/versions/0013_case.py"
CASE_SCOPED = (
    "case_participation",
    "claim_team_member",
    "appointment",
    "survey",
    "document",
    "case_message",
    "deadline",
    "report_draft",
    "report",
    "consultation",
    "expert_engagement",
)

FILL = r"""
import inspect
import sys
from pathlib import Path

import tandem
assert Path(tandem.__file__).resolve().is_relative_to(Path.cwd().resolve()), tandem.__file__
from tandem import demo, migrate
from tandem.app import create_app
from tandem.db import make_engine, make_session_factory, unit_of_work
from tandem.kit.clock import FrozenClock
from tests import conftest
from tests.claim.test_dispute_api import test_dispute_to_mou_to_payment

url, tmp = sys.argv[1], Path(sys.argv[2])
migrate.upgrade(url)
settings = conftest.test_settings(url, tmp)
engine = make_engine(url)
factory = make_session_factory(engine)
clock = FrozenClock()
with unit_of_work(factory) as s:  # the base demo data; the release's own dispute test adds the claim
    if "claims" in inspect.signature(demo.load).parameters:
        demo.load(s, settings, clock.now(), claims=False)
    else:
        demo.load(s, settings, clock.now())
env = conftest.Env("previous", url, settings, engine, factory, clock, create_app(settings, clock=clock, engine=engine))
test_dispute_to_mou_to_payment(env)
for c in env._clients.values():
    c.close()
engine.dispose()
print("filled")
"""


def _git(*args: str) -> str:
    return subprocess.run(["git", "-C", str(REPO), *args], check=True, capture_output=True, text=True).stdout


def _previous_release(into: Path) -> Path:
    """The tree of the last commit without migration 0013 (HEAD while 0013 is not committed yet)."""
    try:
        added = _git("log", "--diff-filter=A", "--format=%H", "--", MIGRATION).split()
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("needs the git history of this repository")
    rev = f"{added[-1]}^" if added else "HEAD"
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", rev, "src", "tests", "migrations", "alembic.ini"],
        check=True,
        capture_output=True,
    ).stdout
    into.mkdir()
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    assert not (into / MIGRATION).exists()
    return into


def _database(backend: str, tmp: Path) -> tuple[str, str]:
    if backend == "sqlite":
        return f"sqlite:///{tmp / 'previous.db'}", ""
    assert PG_URL
    name = f"tandem_mig_{RUN_ID}_{uuid.uuid4().hex[:8]}"
    with _admin_engine().connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    return PG_URL.rsplit("/", 1)[0] + f"/{name}", name


def _rows(conn: Any, sql: str) -> list[dict[str, Any]]:
    return [dict(r._mapping) for r in conn.execute(text(sql))]


def _snapshot(url: str) -> dict[str, Any]:
    engine = make_engine(url)
    with engine.connect() as conn:
        snap = {
            "claims": _rows(conn, "SELECT id, number, status FROM claim ORDER BY number"),
            "reports": _rows(
                conn, "SELECT id, claim_id, number, version, content, content_hash FROM report ORDER BY display_number"
            ),
            "memoranda": _rows(conn, "SELECT id, number, content, content_hash FROM memorandum ORDER BY number"),
            "acks": _rows(conn, "SELECT memorandum_id, party, content_hash FROM memorandum_ack ORDER BY party"),
            "audit": _rows(conn, "SELECT chain_key, seq, hash FROM audit_event ORDER BY chain_key, seq"),
            "counts": {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in CASE_SCOPED},
        }
    engine.dispose()
    return snap


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_database_of_the_previous_release_with_a_finished_dispute_upgrades_whole(backend, tmp_path):
    previous = _previous_release(tmp_path / "previous")
    url, dbname = _database(backend, tmp_path)
    try:
        env = {**os.environ, "PYTHONPATH": f"{previous / 'src'}{os.pathsep}{previous}"}
        env.pop("TANDEM_DATABASE_URL", None)
        done = subprocess.run(
            [sys.executable, "-c", FILL, url, str(tmp_path)],
            cwd=previous,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert done.returncode == 0 and "filled" in done.stdout, done.stderr[-3000:]
        before = _snapshot(url)
        assert before["memoranda"] and len(before["reports"]) >= 2 and before["claims"]
        assert any(c["status"] == "paid" for c in before["claims"])

        migrate.upgrade(url)  # today's migrations: 0013 and whatever follows
        migrate.check(url)  # the migrated schema is exactly what the models say

        after = _snapshot(url)
        assert after["claims"] == before["claims"]
        assert after["counts"] == before["counts"]
        assert after["audit"] == before["audit"]
        assert [(r["id"], r["number"], r["version"], r["content_hash"]) for r in after["reports"]] == [
            (r["id"], r["number"], r["version"], r["content_hash"]) for r in before["reports"]
        ]
        for r in after["reports"]:
            assert sha256_hex(canonical_json(_json(r["content"]))) == r["content_hash"]
        assert [(m["id"], m["number"], m["content_hash"]) for m in after["memoranda"]] == [
            (m["id"], m["number"], m["content_hash"]) for m in before["memoranda"]
        ]
        for m in after["memoranda"]:
            assert sha256_hex(canonical_json(_json(m["content"]))) == m["content_hash"]
        assert after["acks"] == before["acks"]

        engine = make_engine(url)
        with engine.connect() as conn:
            cases = {r["id"]: r for r in _rows(conn, 'SELECT id, kind, number FROM "case"')}
            claims = _rows(conn, "SELECT id, case_id, number FROM claim")
            assert len(cases) == len(claims)
            for c in claims:
                assert c["case_id"] == c["id"] and cases[c["id"]]["number"] == c["number"]
                assert cases[c["id"]]["kind"] == "claim"
            for table in CASE_SCOPED:
                stray = conn.execute(
                    text(f"SELECT count(*) FROM {table} WHERE case_id IS NULL OR case_id <> claim_id")
                ).scalar_one()
                assert stray == 0, table
            kinds = conn.execute(text("SELECT DISTINCT kind FROM report")).scalars().all()
            assert kinds == ["adjusting"]
        with make_session_factory(engine)() as session:
            assert verify(session) == []
        # Submitted reports are still append-only.
        with pytest.raises(DBAPIError), engine.begin() as conn:
            conn.execute(text("UPDATE report SET number = 'X'"))

        # Today's code serves the old dispute: the case file, the consultation and its acknowledged MoU.
        settings = conftest.test_settings(url, tmp_path)
        app = create_app(settings, clock=FrozenClock(), engine=engine)
        with engine.connect() as conn:
            disputed = conn.execute(text("SELECT claim_id FROM consultation")).scalar_one()
        with TestClient(app, base_url="https://testserver") as client:

            def login(user: str) -> dict[str, str]:
                r = client.post("/api/v1/auth/token", json={"username": user, "password": demo.DEMO_PASSWORD})
                assert r.status_code == 200, r.text
                return {"Authorization": f"Bearer {r.json()['access_token']}"}

            insurer = login("insurer1")
            case = client.get(f"/api/v1/claims/{uuid.UUID(str(disputed))}/case", headers=insurer)
            assert case.status_code == 200 and case.json()["claim"]["status"] == "paid"
            assert "consultation.memorandum_acknowledged" in [e["action"] for e in case.json()["timeline"]]
            view = client.get(f"/api/v1/claims/{uuid.UUID(str(disputed))}/consultation", headers=insurer).json()
            assert view["state"] == "agreed" and view["memorandum"]["final"] is True
            assert view["memorandum"]["number"] == before["memoranda"][0]["number"]
            outsider = client.get(f"/api/v1/claims/{uuid.UUID(str(disputed))}", headers=login("insurer2"))
            assert outsider.status_code == 404
        engine.dispose()
    finally:
        if dbname:
            with _admin_engine().connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)'))
