"""The keyed audit chain (issue 11 item 11): someone who can write the database (and drop its triggers)
but lacks TANDEM_AUDIT_KEY can rewrite an event and recompute every hash after it; the MACs and signed
seals made with the key still tell. Chains written before the key verify once sealed."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, text

from tandem.audit import service as audit
from tandem.audit.models import AuditEvent, AuditSeal, ChainHead
from tandem.db import make_session_factory, unit_of_work
from tests.helpers import ACTOR, _middle_of_longest_chain, _tamper

AT = dt.datetime(2026, 11, 25, 3, 0, tzinfo=dt.UTC)


def _rewrite_from(env, victim: AuditEvent, reason: str) -> None:
    """The attack: change one event, then recompute its hash and every later hash of its chain and the
    chain head, as someone with write access to the database (but not the key) can."""
    with env.session() as s:
        chain = list(
            s.execute(
                select(AuditEvent).where(AuditEvent.chain_key == victim.chain_key).order_by(AuditEvent.seq)
            ).scalars()
        )
        for ev in chain:
            s.expunge(ev)
    prev = None
    for ev in chain:
        if ev.seq < victim.seq:
            prev = ev.hash
            continue
        if ev.id == victim.id:
            ev.reason = reason
        ev.prev_hash = prev or audit.GENESIS
        ev.hash = audit.compute_hash(ev)
        prev = ev.hash
        _tamper(
            env,
            "UPDATE audit_event SET reason = :r, prev_hash = :p, hash = :h WHERE id = :id",
            r=ev.reason,
            p=ev.prev_hash,
            h=ev.hash,
            id=ev.id,
        )
    with env.engine.begin() as conn:
        conn.execute(
            text("UPDATE audit_chain_head SET hash = :h WHERE chain_key = :k"), {"h": prev, "k": victim.chain_key}
        )


def _unkeyed(env):
    return make_session_factory(env.engine, audit_key=None)


def test_every_event_carries_a_mac_made_with_the_key(env) -> None:
    with env.session() as s:
        events = list(s.execute(select(AuditEvent)).scalars())
        key = audit.key_of(s)
    assert key == env.settings.audit_key.encode()
    assert events and all(e.mac == audit.event_mac(key, e.chain_key, e.seq, e.hash) for e in events)


def test_a_rewritten_and_rehashed_chain_is_caught_by_its_macs(env) -> None:
    victim = _middle_of_longest_chain(env)
    _rewrite_from(env, victim, "nothing happened here")
    with _unkeyed(env)() as s:  # without the key the forgery is a perfect chain
        assert audit.verify(s) == []
    with env.session() as s:
        (b,) = audit.verify(s)
        assert (b.chain_key, b.event_id, b.seq) == (victim.chain_key, victim.id, victim.seq)
        assert "MAC does not verify" in b.problem


def test_stripping_the_macs_as_well_is_caught(env) -> None:
    victim = _middle_of_longest_chain(env)
    _rewrite_from(env, victim, "nothing happened here")
    _tamper(env, "UPDATE audit_event SET mac = NULL WHERE chain_key = :k", k=victim.chain_key)
    with env.session() as s:
        (b,) = audit.verify(s)
        assert b.event_id is not None and b.chain_key == victim.chain_key
        assert "no MAC and not covered by a seal" in b.problem


def test_chains_written_before_the_key_verify_once_sealed_and_the_seal_protects_them(env) -> None:
    """A database migrated from before the key: its events have no MAC. Verify asks for a seal; the
    seal signs the heads, after which rewriting a sealed event (even re-hashed) is caught."""
    with unit_of_work(_unkeyed(env)) as s:
        for i in range(3):
            audit.record(s, ACTOR, action="test.legacy", entity_type="test", entity_id=i, at=AT, chain_key="test:old")
    with env.session() as s:
        (b,) = audit.verify(s, "test:old")
        assert "run tandem audit seal" in b.problem
    with unit_of_work(env.factory) as s:
        sealed = audit.seal(s, AT)
        assert sealed.heads["test:old"][0] == 3
    with unit_of_work(env.factory) as s:  # events after the seal are keyed and continue the chain
        audit.record(s, ACTOR, action="test.keyed", entity_type="test", entity_id=9, at=AT, chain_key="test:old")
    with env.session() as s:
        assert audit.verify(s) == []
        legacy = s.execute(
            select(AuditEvent).where(AuditEvent.chain_key == "test:old", AuditEvent.seq == 2)
        ).scalar_one()
        s.expunge(legacy)
    _rewrite_from(env, legacy, "rewritten after the seal")
    with env.session() as s:
        (b,) = audit.verify(s, "test:old")
        assert b.seq == 3 and "signed seal" in b.problem  # the sealed head no longer matches


def test_a_forged_or_removed_seal_is_caught(env) -> None:
    with unit_of_work(_unkeyed(env)) as s:
        audit.record(s, ACTOR, action="test.legacy", entity_type="test", entity_id=1, at=AT, chain_key="test:old")
    with unit_of_work(env.factory) as s:
        audit.seal(s, AT)
    with env.session() as s:
        assert audit.verify(s) == []
        seal_id = s.execute(select(AuditSeal.id)).scalar_one()
    with env.engine.begin() as conn:  # the seal table is append-only as well
        if env.backend == "postgresql":
            conn.execute(text("ALTER TABLE audit_seal DISABLE TRIGGER USER"))
        else:
            conn.execute(text("DROP TRIGGER audit_seal_no_update"))
            conn.execute(text("DROP TRIGGER audit_seal_no_delete"))
        conn.execute(text("UPDATE audit_seal SET boundary = boundary + 1000 WHERE id = :id"), {"id": seal_id})
    with env.session() as s:
        problems = {b.problem for b in audit.verify(s)}
        assert "seal signature does not verify with the audit key" in problems
    with env.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_seal"))
    with env.session() as s:
        (b,) = audit.verify(s)
        assert b.chain_key == "test:old" and "not covered by a seal" in b.problem


def test_sealing_needs_the_key(env) -> None:
    import pytest

    with unit_of_work(_unkeyed(env)) as s, pytest.raises(ValueError, match="TANDEM_AUDIT_KEY"):
        audit.seal(s, AT)
    with env.session() as s:
        assert s.execute(select(ChainHead)).first() is not None
