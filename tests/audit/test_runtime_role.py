"""PostgreSQL: the application runs as a role that owns no table (docs/security.md). The test databases
are migrated by the owner and the app under test connects as a runtime role granted with
``tandem.migrate.grant_runtime`` (tests/conftest.py), as in production: it serves real requests but
cannot drop or disable the audit triggers, nor update, delete or truncate the append-only tables."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tandem import migrate
from tests.helpers import _body, _policy

ATTACKS = [
    "DROP TRIGGER audit_event_append_only ON audit_event",
    "ALTER TABLE audit_event DISABLE TRIGGER USER",
    "ALTER TABLE audit_event DISABLE TRIGGER ALL",
    "UPDATE audit_event SET reason = 'rewritten'",
    "DELETE FROM audit_event",
    "TRUNCATE audit_event",
    "UPDATE audit_seal SET mac = 'forged'",
    "DROP TABLE audit_event",
    "SET session_replication_role = replica",
    "UPDATE report SET number = 'x'",
]


def test_the_app_runs_as_a_role_that_cannot_touch_the_audit_trail(env) -> None:
    if env.backend != "postgresql":
        pytest.skip("roles are a PostgreSQL matter")
    engine = env.app.state.engine
    r = env.client("insured1").post("/api/v1/claims", json=_body(_policy(env, "insured1", "PQC2026330400001")["id"]))
    assert r.status_code == 201, r.text  # a claim number from a sequence, audit events, timers
    with engine.connect() as conn:
        role = conn.execute(text("SELECT current_user")).scalar_one()
        events = conn.execute(text("SELECT count(*) FROM audit_event")).scalar_one()
    with env.engine.connect() as conn:
        assert conn.execute(text("SELECT current_user")).scalar_one() != role  # the owner migrated it
    assert events > 0
    for attack in ATTACKS:
        with engine.connect() as conn, pytest.raises(DBAPIError) as refused:
            conn.execute(text(attack))
            conn.commit()
        message = str(refused.value.orig).lower()
        assert "permission denied" in message or "must be owner" in message, (attack, message)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM audit_event")).scalar_one() == events
    # the owner could (which is why the application must not run as the owner)
    with env.engine.begin() as conn:
        conn.execute(text("ALTER TABLE audit_event DISABLE TRIGGER USER"))
        conn.execute(text("ALTER TABLE audit_event ENABLE TRIGGER USER"))
    assert migrate.grant_runtime(env.url, role) == []  # granting again is harmless and finds no problem
