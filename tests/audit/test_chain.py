"""The hash-chained audit log (审计链) on both backends: written in the caller's transaction, append-only
in the database, tampering detected, and hashes that do not depend on the backend."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from tandem.audit import service as audit
from tandem.audit.models import AuditEvent, ChainHead
from tandem.db import make_session_factory, unit_of_work
from tandem.kit.canonical import canonical_json, sha256_hex
from tandem.party.models import BlacklistEntry
from tests.helpers import ACTOR, _middle_of_longest_chain, _tamper

AT = dt.datetime(2026, 11, 25, 3, 4, 5, 123456, tzinfo=dt.UTC)
FIXED = dict(
    action="test.fixed",
    entity_type="policy",
    entity_id="ab12",
    at=AT,
    chain_key="test:fixed",
    before={"status": "draft"},
    after={"sum": Decimal("1234.50"), "名称": "厂房", "at": AT},
    reason="同一内容 same content",
    request_id="req-1",
    audience=["insurer", "broker"],
)
# hash of the first event on chain "test:fixed" with the content above; the same on every backend.
FIXED_HASH = "5365501d6820e750044e4d1bef27518a93e9a2411aaac66b4f97584db1ce4579"


def count(s: Session, model: type) -> int:
    return int(s.execute(select(func.count()).select_from(model)).scalar_one())


def head(s: Session, key: str) -> tuple[int, str] | None:
    row = s.execute(select(ChainHead.seq, ChainHead.hash).where(ChainHead.chain_key == key)).first()
    return None if row is None else (row[0], row[1])


def test_a_rolled_back_transaction_leaves_no_event_and_no_head_change(env) -> None:
    with env.session() as s:
        key = s.execute(select(AuditEvent.chain_key).where(AuditEvent.action == "policy.created")).scalars().first()
        events, head_before = count(s, AuditEvent), head(s, key)
    assert head_before is not None

    with pytest.raises(RuntimeError), unit_of_work(env.factory) as s:
        ev = audit.record(
            s, ACTOR, action="test.rolled_back", entity_type="policy", entity_id="x", at=AT, chain_key=key
        )
        assert ev.seq == head_before[0] + 1
        assert head(s, key) == (ev.seq, ev.hash)  # visible inside the transaction
        raise RuntimeError("the change failed after the event was written")
    # a brand-new chain in a rolled-back transaction leaves no head row either
    with pytest.raises(RuntimeError), unit_of_work(env.factory) as s:
        audit.record(
            s, ACTOR, action="test.rolled_back", entity_type="policy", entity_id="x", at=AT, chain_key="test:new-chain"
        )
        raise RuntimeError

    with env.session() as s:
        assert count(s, AuditEvent) == events
        assert head(s, key) == head_before
        assert head(s, "test:new-chain") is None
        assert s.execute(select(AuditEvent).where(AuditEvent.action == "test.rolled_back")).first() is None
        assert audit.verify(s) == []


def test_the_event_commits_with_the_change_it_records(env) -> None:
    """A failed request (409) leaves neither its change nor an event; a good one leaves both."""
    c = env.client("broker")
    with env.session() as s:
        entry_id = s.execute(select(BlacklistEntry.id)).scalar_one()
        events = count(s, AuditEvent)
    r = c.post(f"/api/v1/blacklist/{entry_id}/lift", json={"reason": "申诉成立"})
    assert r.status_code == 200, r.text
    r2 = c.post(f"/api/v1/blacklist/{entry_id}/lift", json={"reason": "again"})
    assert r2.status_code == 409
    with env.session() as s:
        assert count(s, AuditEvent) == events + 1
        ev = s.execute(select(AuditEvent).order_by(AuditEvent.id.desc())).scalars().first()
        assert (ev.action, ev.entity_id, ev.reason) == ("blacklist.lifted", str(entry_id), "申诉成立")
        assert (ev.before, ev.after) == ({"state": "active"}, {"state": "lifted"})
        assert s.get(BlacklistEntry, entry_id).state == "lifted"
        assert audit.verify(s) == []


def test_demo_chains_are_intact_and_appends_continue_a_chain(env) -> None:
    with env.session() as s:
        assert count(s, AuditEvent) > 20
        assert audit.verify(s) == []
    with unit_of_work(env.factory) as s:
        a = audit.record(s, ACTOR, action="test.a", entity_type="x", entity_id=1, at=AT, chain_key="test:c")
        b = audit.record(s, ACTOR, action="test.b", entity_type="x", entity_id=2, at=AT, chain_key="test:c")
        pairs = [(a.seq, a.prev_hash, a.hash), (b.seq, b.prev_hash, b.hash)]
    assert pairs[0][:2] == (1, audit.GENESIS)
    assert pairs[1][:2] == (2, pairs[0][2])
    with env.session() as s:
        assert head(s, "test:c") == (2, pairs[1][2])
        assert audit.verify(s, "test:c") == []


def test_savepoints_and_later_transactions_continue_the_chain(env) -> None:
    """A head remembered within one transaction is never trusted across a savepoint or a commit."""

    def rec(s: Session, n: int) -> AuditEvent:
        return audit.record(s, ACTOR, action=f"test.{n}", entity_type="x", entity_id=n, at=AT, chain_key="test:sp")

    with unit_of_work(env.factory) as s:
        rec(s, 1)
        try:
            with s.begin_nested():
                rec(s, 2)
                raise RuntimeError("roll the savepoint back")
        except RuntimeError:
            pass
        with s.begin_nested():
            kept = rec(s, 3)
        last = rec(s, 4)
    assert (kept.seq, last.seq, last.prev_hash) == (2, 3, kept.hash)
    with unit_of_work(env.factory) as s:
        nxt = rec(s, 5)
    assert (nxt.seq, nxt.prev_hash) == (4, last.hash)
    with env.session() as s:
        assert [
            e.action
            for e in s.execute(
                select(AuditEvent).where(AuditEvent.chain_key == "test:sp").order_by(AuditEvent.seq)
            ).scalars()
        ] == ["test.1", "test.3", "test.4", "test.5"]
        assert head(s, "test:sp") == (4, nxt.hash)
        assert audit.verify(s, "test:sp") == []


# ---- the database refuses changes -------------------------------------------------------------------

REFUSED = [
    "UPDATE audit_event SET reason = 'rewritten' WHERE id = (SELECT min(id) FROM audit_event)",
    "UPDATE audit_event SET hash = hash",
    "DELETE FROM audit_event WHERE id = (SELECT max(id) FROM audit_event)",
    "DELETE FROM audit_event",
]


def test_the_database_refuses_update_and_delete(env) -> None:
    with env.session() as s:
        before = [(e.id, e.hash, e.reason) for e in s.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars()]
    for statement in REFUSED:
        with pytest.raises(DBAPIError) as exc, env.engine.begin() as conn:
            conn.execute(text(statement))
        assert "append-only" in str(exc.value.orig), statement
    if env.backend == "postgresql":
        with pytest.raises(DBAPIError) as exc, env.engine.begin() as conn:
            conn.execute(text("TRUNCATE audit_event CASCADE"))
        assert "append-only" in str(exc.value.orig)
    with pytest.raises(DBAPIError), unit_of_work(env.factory) as s:  # nor through the ORM
        ev = s.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars().first()
        ev.reason = "edited through the ORM"
        s.flush()
    with env.session() as s:
        after = [(e.id, e.hash, e.reason) for e in s.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars()]
    assert after == before


# ---- tampering is detected --------------------------------------------------------------------------


def test_an_altered_event_is_named_by_verify(env) -> None:
    victim = _middle_of_longest_chain(env)
    with env.engine.connect() as conn:
        original = (
            conn.execute(text("SELECT reason, occurred_at, action FROM audit_event WHERE id = :id"), {"id": victim.id})
            .one()
            ._asdict()
        )
    forged_time: object = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    if env.backend == "sqlite":
        forged_time = "2020-01-01 00:00:00.000000"
    for column, value in (("reason", "nothing to see"), ("occurred_at", forged_time), ("action", "policy.viewed")):
        _tamper(env, f"UPDATE audit_event SET {column} = :v WHERE id = :id", v=value, id=victim.id)
        with env.session() as s:
            breaks = audit.verify(s)
            assert [(b.event_id, b.chain_key, b.seq) for b in breaks] == [(victim.id, victim.chain_key, victim.seq)], (
                column
            )
            assert "altered" in breaks[0].problem
            assert f"event {victim.id} " in breaks[0].describe()
            assert audit.verify(s, victim.chain_key) == breaks
            assert audit.verify(s, "platform") == []
        _tamper(env, f"UPDATE audit_event SET {column} = :v WHERE id = :id", v=original[column], id=victim.id)
        with env.session() as s:
            assert audit.verify(s) == [], f"restoring {column} restores the chain"


def test_an_altered_json_value_is_detected(env) -> None:
    with env.session() as s:
        victim = (
            s.execute(select(AuditEvent).where(AuditEvent.action == "policy.created").order_by(AuditEvent.seq))
            .scalars()
            .first()
        )
    _tamper(
        env,
        "UPDATE audit_event SET after = :v WHERE id = :id",
        v='{"number": "PQC2026330400001", "status": "cancelled"}',
        id=victim.id,
    )
    with env.session() as s:
        assert [b.event_id for b in audit.verify(s)] == [victim.id]


def test_a_deleted_middle_event_and_a_deleted_last_event_are_detected(env) -> None:
    victim = _middle_of_longest_chain(env)
    with env.session() as s:
        chain = (
            s.execute(select(AuditEvent).where(AuditEvent.chain_key == victim.chain_key).order_by(AuditEvent.seq))
            .scalars()
            .all()
        )
    follower, last = chain[[e.id for e in chain].index(victim.id) + 1], chain[-1]
    _tamper(env, "DELETE FROM audit_event WHERE id = :id", id=victim.id)
    with env.session() as s:
        (b,) = audit.verify(s)
        assert (b.event_id, b.seq) == (follower.id, follower.seq)
        assert f"expected seq {victim.seq}" in b.problem
    _tamper(env, "DELETE FROM audit_event WHERE id IN (:a, :b)", a=last.id, b=victim.id)
    with env.session() as s:
        (b,) = audit.verify(s, victim.chain_key)  # the middle gap is still the first break
        assert b.event_id == follower.id


def test_a_deleted_last_event_is_detected_through_the_chain_head(env) -> None:
    victim = _middle_of_longest_chain(env)
    with env.session() as s:
        last = (
            s.execute(
                select(AuditEvent).where(AuditEvent.chain_key == victim.chain_key).order_by(AuditEvent.seq.desc())
            )
            .scalars()
            .first()
        )
    _tamper(env, "DELETE FROM audit_event WHERE id = :id", id=last.id)
    with env.session() as s:
        (b,) = audit.verify(s)
        assert (b.chain_key, b.event_id) == (last.chain_key, None)
        assert f"events after seq {last.seq - 1} were removed" in b.problem


def test_a_rewritten_chain_with_recomputed_hashes_still_breaks_at_the_head(env) -> None:
    """Recomputing the altered event's own hash is not enough: the next event's prev_hash disagrees."""
    victim = _middle_of_longest_chain(env)
    with env.session() as s:
        ev = s.get(AuditEvent, victim.id)
        s.expunge(ev)
    ev.reason = "forged"
    forged = audit.compute_hash(ev)
    _tamper(env, "UPDATE audit_event SET reason = 'forged', hash = :h WHERE id = :id", h=forged, id=victim.id)
    with make_session_factory(env.engine, audit_key=None)() as s:  # hashes alone: the next event tells
        (b,) = audit.verify(s)
        assert b.seq == victim.seq + 1
        assert "previous hash" in b.problem
    with env.session() as s:  # with the audit key the forged event's own MAC tells at once
        (b,) = audit.verify(s)
        assert b.seq == victim.seq and "MAC" in b.problem


# ---- the same content hashes the same on every backend ------------------------------------------------


def test_hashes_do_not_depend_on_the_backend(env) -> None:
    with unit_of_work(env.factory) as s:
        written = audit.record(s, ACTOR, **FIXED)  # type: ignore[arg-type]
        event_id = written.id
    with env.session() as s:
        stored = s.get(AuditEvent, event_id)
        assert stored.occurred_at == AT
        # recomputed from what the backend gives back
        assert audit.compute_hash(stored) == stored.hash
        # an equal event built by hand, without any database
        equal = AuditEvent(
            chain_key="test:fixed",
            seq=1,
            prev_hash=audit.GENESIS,
            occurred_at=AT,
            actor_user_id=ACTOR.user_id,
            actor_org_id=ACTOR.org_id,
            action="test.fixed",
            entity_type="policy",
            entity_id="ab12",
            before={"status": "draft"},
            after={"at": "2026-11-25T03:04:05.123456Z", "sum": "1234.50", "名称": "厂房"},
            reason="同一内容 same content",
            request_id="req-1",
            audience=["broker", "insurer"],
        )
        assert audit.compute_hash(equal) == stored.hash
    expected = sha256_hex(
        audit.GENESIS.encode()
        + canonical_json(
            {
                "action": "test.fixed",
                "actor_org_id": str(ACTOR.org_id),
                "actor_user_id": str(ACTOR.user_id),
                "after": {"at": "2026-11-25T03:04:05.123456Z", "sum": "1234.50", "名称": "厂房"},
                "audience": ["broker", "insurer"],
                "before": {"status": "draft"},
                "chain_key": "test:fixed",
                "entity_id": "ab12",
                "entity_type": "policy",
                "occurred_at": "2026-11-25T03:04:05.123456Z",
                "prev_hash": audit.GENESIS,
                "reason": "同一内容 same content",
                "request_id": "req-1",
                "seq": 1,
            }
        )
    )
    assert stored.hash == expected == FIXED_HASH
