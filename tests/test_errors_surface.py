"""Errors surface (issue 12 item 4): only a unique constraint that two requests can race for becomes a
409; any other IntegrityError is a bug and answers 500 with the traceback logged."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from tandem.access.models import User
from tandem.app import RACED_CONSTRAINTS
from tandem.db import violated_constraint


def _copy_of_broker(session) -> None:
    """A second user named ``broker``: what a lost registration race looks like."""
    broker = session.execute(select(User).where(User.username == "broker")).unique().scalar_one()
    session.add(
        User(
            organisation_id=broker.organisation_id,
            username="broker",
            display_name="copy",
            password_hash=broker.password_hash,
            created_at=broker.created_at,
        )
    )
    session.flush()


def _no_username(session) -> None:
    session.execute(text("UPDATE user_account SET username = NULL"))


def test_the_violated_constraint_is_named_on_both_backends(env) -> None:
    with env.session() as s, pytest.raises(IntegrityError) as caught:
        _copy_of_broker(s)
    assert violated_constraint(caught.value) == "uq_user_account_username"
    assert "uq_user_account_username" in RACED_CONSTRAINTS
    with env.session() as s, pytest.raises(IntegrityError) as caught:
        _no_username(s)
    assert violated_constraint(caught.value) not in RACED_CONSTRAINTS


def test_a_raced_unique_constraint_is_409_and_any_other_integrity_error_is_500_logged(env, caplog) -> None:
    @env.app.get("/api/v1/_test/duplicate")
    def duplicate() -> None:
        with env.session() as s:
            _copy_of_broker(s)

    @env.app.get("/api/v1/_test/not-null")
    def not_null() -> None:
        with env.session() as s:
            _no_username(s)

    client = env.client()
    r = client.get("/api/v1/_test/duplicate")
    assert r.status_code == 409 and r.json()["error"]["code"] == "conflict.concurrent"
    with caplog.at_level(logging.ERROR, logger="tandem"):
        r = client.get("/api/v1/_test/not-null")
    assert r.status_code == 500 and r.json()["error"]["code"] == "internal"
    assert any(rec.exc_info and isinstance(rec.exc_info[1], IntegrityError) for rec in caplog.records)


def test_the_cli_fails_loudly_when_a_command_module_does_not_import() -> None:
    import subprocess
    import sys

    code = "import sys; sys.modules['tandem.expert.cli'] = None; import tandem.cli"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode != 0 and "tandem.expert.cli" in r.stderr
    help_ = "import sys; sys.argv = ['tandem', '--help']; from tandem.cli import main; main()"
    ok = subprocess.run([sys.executable, "-c", help_], capture_output=True, text=True)
    for command in ("calc", "reconcile", "experts", "calendar"):
        assert command in ok.stdout, ok.stdout + ok.stderr


def test_a_payable_that_cannot_be_computed_is_none_and_a_bug_surfaces(monkeypatch) -> None:
    from tandem.reconciliation import endpoints
    from tandem.settlement import calculator

    def refuse(doc):
        raise calculator.CalcInputError("sections[0].code", "unknown section")

    def crash(doc):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(endpoints.workflow, "build_calc_input", lambda session, claim, content: {})
    monkeypatch.setattr(endpoints.svc, "items", lambda session, cons: [])
    monkeypatch.setattr(endpoints.svc, "item_salvage", lambda session, cons: {})
    monkeypatch.setattr(calculator, "parse_input", refuse)
    assert endpoints._payable(None, None, None, "a") is None
    monkeypatch.setattr(calculator, "parse_input", crash)
    with pytest.raises(ZeroDivisionError):
        endpoints._payable(None, None, None, "a")
