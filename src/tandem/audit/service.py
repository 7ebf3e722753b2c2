"""Write and verify the hash-chained audit log (审计链).

Every state change calls :func:`record` inside the same transaction. Each chain (one per case,
one per organisation for events outside a case) has consecutive ``seq`` numbers; each event stores
the previous event's hash and ``hash = sha256(prev_hash + canonical_json(event))``.

The chain is keyed with ``TANDEM_AUDIT_KEY``, a key outside the database (the session factory carries
it in ``Session.info``): each event written with the key stores ``mac = HMAC-SHA256(key, chain_key |
seq | hash)``, and ``tandem audit seal`` stores a signed snapshot of every chain head. Someone who can
write the database but lacks the key can still rewrite and re-hash a chain, but not forge the MACs of
its events or the seals that cover older, unkeyed events: :func:`verify` with the key finds it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from tandem.audit.models import AuditEvent, AuditSeal, ChainHead
from tandem.db import insert_or_skip, per_transaction
from tandem.kit.canonical import canonical_json, normalise, sha256_hex

GENESIS = "0" * 64

Listener = Callable[[Session, AuditEvent], None]
_LISTENERS: list[Listener] = []


def subscribe(listener: Listener) -> Listener:
    """Have ``listener`` called with every event :func:`record` writes, in the same transaction (the case
    notifications of ``tandem.case.notices``); a decorator, idempotent."""
    if listener not in _LISTENERS:
        _LISTENERS.append(listener)
    return listener


@dataclass(frozen=True)
class ActorRef:
    """Who acted: a user of an organisation, or the system (both None)."""

    user_id: uuid.UUID | None
    org_id: uuid.UUID | None


SYSTEM = ActorRef(None, None)


def _payload(ev: AuditEvent) -> dict[str, Any]:
    return {
        "chain_key": ev.chain_key,
        "seq": ev.seq,
        "prev_hash": ev.prev_hash,
        "occurred_at": ev.occurred_at,
        "actor_user_id": str(ev.actor_user_id) if ev.actor_user_id else None,
        "actor_org_id": str(ev.actor_org_id) if ev.actor_org_id else None,
        "action": ev.action,
        "entity_type": ev.entity_type,
        "entity_id": ev.entity_id,
        "before": ev.before,
        "after": ev.after,
        "reason": ev.reason,
        "request_id": ev.request_id,
        "audience": ev.audience,
    }


def compute_hash(ev: AuditEvent) -> str:
    return sha256_hex(ev.prev_hash.encode("ascii") + canonical_json(_payload(ev)))


AUDIT_KEY = "tandem.audit.key"  # Session.info entry (tandem.db.make_session_factory)


def key_of(session: Session) -> bytes | None:
    key = session.info.get(AUDIT_KEY)
    return key.encode() if isinstance(key, str) and key else None


def key_id(key: bytes) -> str:
    """A name for the key that does not reveal it."""
    return hmac.new(key, b"tandem audit key id", hashlib.sha256).hexdigest()[:16]


def event_mac(key: bytes, chain_key: str, seq: int, digest: str) -> str:
    return hmac.new(key, f"event|{chain_key}|{seq}|{digest}".encode(), hashlib.sha256).hexdigest()


def seal_mac(key: bytes, sealed_at: dt.datetime, boundary: int, heads: dict[str, list[Any]]) -> str:
    body = canonical_json({"at": sealed_at.astimezone(dt.UTC), "boundary": boundary, "heads": heads})
    return hmac.new(key, b"seal|" + body, hashlib.sha256).hexdigest()


_HEADS = "tandem.audit.held_heads"


def _held_heads(session: Session) -> dict[str, tuple[int, str]]:
    """Chain heads this transaction has locked, with their (seq, hash): a second event on the same chain
    in the same transaction (intake writes two on its case) need not ask for the lock again."""
    return per_transaction(session, _HEADS, dict[str, tuple[int, str]])


def record(
    session: Session,
    actor: ActorRef,
    *,
    action: str,
    entity_type: str,
    entity_id: Any,
    at: dt.datetime,
    chain_key: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str | None = None,
    request_id: str | None = None,
    audience: list[str] | None = None,
) -> AuditEvent:
    """Append one event to its chain in the caller's transaction.

    The chain head row is the lock that serialises appends: a new chain is started by inserting its head
    already pointing at the first event; an existing one is locked (SELECT … FOR UPDATE) and advanced.
    Inside a savepoint nothing is remembered, as the savepoint may be rolled back."""
    key = chain_key or (f"org:{actor.org_id}" if actor.org_id else "platform")
    nested = session.in_nested_transaction()
    held = _held_heads(session)
    known = None if nested else held.get(key)
    ev = AuditEvent(
        chain_key=key,
        seq=known[0] + 1 if known else 1,
        prev_hash=known[1] if known else GENESIS,
        occurred_at=at.astimezone(dt.UTC),
        actor_user_id=actor.user_id,
        actor_org_id=actor.org_id,
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id),
        before=normalise(before) if before is not None else None,
        after=normalise(after) if after is not None else None,
        reason=reason,
        request_id=request_id,
        audience=sorted(audience or []),
    )
    ev.hash = compute_hash(ev)
    started = False
    if known is None:
        started = (
            session.execute(
                insert_or_skip(session, ChainHead, "chain_key")
                .values(chain_key=key, seq=1, hash=ev.hash)
                .returning(ChainHead.chain_key)
            ).first()
            is not None
        )
        if not started:
            seq, prev = session.execute(
                select(ChainHead.seq, ChainHead.hash).where(ChainHead.chain_key == key).with_for_update()
            ).one()
            ev.seq, ev.prev_hash = seq + 1, prev
            ev.hash = compute_hash(ev)
    audit_key = key_of(session)
    if audit_key is not None:
        ev.mac = event_mac(audit_key, ev.chain_key, ev.seq, ev.hash)
    session.add(ev)
    session.flush()
    if not started:
        session.execute(update(ChainHead).where(ChainHead.chain_key == key).values(seq=ev.seq, hash=ev.hash))
    if nested:
        held.pop(key, None)
    else:
        held[key] = (ev.seq, ev.hash)
    for listener in _LISTENERS:
        listener(session, ev)
    return ev


@dataclass(frozen=True)
class Break:
    chain_key: str
    event_id: int | None
    seq: int
    problem: str

    def describe(self) -> str:
        where = f"event {self.event_id}" if self.event_id is not None else "chain head"
        return f"{where} (chain {self.chain_key}, seq {self.seq}): {self.problem}"


def _chain_events(session: Session, key: str) -> Iterator[AuditEvent]:
    stmt = select(AuditEvent).where(AuditEvent.chain_key == key).order_by(AuditEvent.seq)
    yield from session.execute(stmt.execution_options(yield_per=1000)).scalars()


def seal(session: Session, now: dt.datetime) -> AuditSeal:
    """Sign a snapshot of every chain head with the audit key (``tandem audit seal``): the events it
    covers, keyed or not, can no longer be rewritten unnoticed by someone without the key."""
    key = key_of(session)
    if key is None:
        raise ValueError("TANDEM_AUDIT_KEY is not set")
    heads = {h.chain_key: [h.seq, h.hash] for h in session.execute(select(ChainHead)).scalars()}
    boundary = (session.execute(select(func.max(AuditEvent.id))).scalar_one() or 0) + 1
    at = now.astimezone(dt.UTC)
    row = AuditSeal(
        sealed_at=at, key_id=key_id(key), boundary=boundary, heads=heads, mac=seal_mac(key, at, boundary, heads)
    )
    session.add(row)
    session.flush()
    return row


def _seals(session: Session, key: bytes | None, breaks: list[Break]) -> tuple[dict[str, dict[int, str]], int]:
    """The chain positions the valid seals vouch for, and the highest boundary (0: none). A seal that
    does not verify under the key is a break of its own."""
    vouched: dict[str, dict[int, str]] = {}
    covered = 0
    if key is None:
        return vouched, covered
    for row in session.execute(select(AuditSeal).order_by(AuditSeal.id)).scalars():
        expected = seal_mac(key, row.sealed_at, row.boundary, row.heads)
        if row.key_id != key_id(key) or not hmac.compare_digest(row.mac, expected):
            breaks.append(Break(f"seal {row.id}", None, 0, "seal signature does not verify with the audit key"))
            continue
        covered = max(covered, row.boundary)
        for chain, (seq, digest) in row.heads.items():
            vouched.setdefault(chain, {})[int(seq)] = str(digest)
    return vouched, covered


UNSEALED = "no MAC and not covered by a seal (stripped, or written before the key: run tandem audit seal)"


def _keyed_problem(key: bytes | None, ev: AuditEvent, covered: int) -> str | None:
    """With the key: an event's MAC must verify, and an event without one must be covered by a seal
    (``covered`` < 0: unkeyed events are let through, as when sealing)."""
    if key is None:
        return None
    if ev.mac is None:
        return None if covered < 0 or ev.id < covered else UNSEALED
    if not hmac.compare_digest(ev.mac, event_mac(key, ev.chain_key, ev.seq, ev.hash)):
        return "MAC does not verify with the audit key (rewritten)"
    return None


def verify(session: Session, chain_key: str | None = None, *, allow_unkeyed: bool = False) -> list[Break]:
    """Recompute every chain; return the first break of each broken chain (empty = intact). With the
    audit key (in the session), every event's MAC and every seal are checked too, and an event without a
    MAC must be covered by a seal (unless ``allow_unkeyed``, for sealing them)."""
    key = key_of(session)
    breaks: list[Break] = []
    vouched, covered = _seals(session, key, breaks)
    if allow_unkeyed:
        covered = -1
    heads = {h.chain_key: h for h in session.execute(select(ChainHead)).scalars()}
    keys = set(heads) | set(session.execute(select(AuditEvent.chain_key).distinct()).scalars())
    if chain_key is not None:
        keys &= {chain_key}
    for key_name in sorted(keys):
        found = _verify_chain(session, key_name, heads.get(key_name), key, vouched.get(key_name, {}), covered)
        if found:
            breaks.append(found)
    return breaks


def _verify_chain(
    session: Session, key: str, head: ChainHead | None, audit_key: bytes | None, vouched: dict[int, str], covered: int
) -> Break | None:
    prev, expected_seq, found = GENESIS, 1, None
    for ev in _chain_events(session, key):
        if ev.seq != expected_seq:
            found = Break(key, ev.id, ev.seq, f"missing event before it (expected seq {expected_seq})")
        elif ev.prev_hash != prev:
            found = Break(key, ev.id, ev.seq, "previous hash does not match the chain")
        elif compute_hash(ev) != ev.hash:
            found = Break(key, ev.id, ev.seq, "content does not match its hash (altered)")
        elif ev.seq in vouched and vouched[ev.seq] != ev.hash:
            found = Break(key, ev.id, ev.seq, "differs from the signed seal (rewritten and re-hashed)")
        elif problem := _keyed_problem(audit_key, ev, covered):
            found = Break(key, ev.id, ev.seq, problem)
        if found:
            return found
        prev, expected_seq = ev.hash, expected_seq + 1
    if vouched and max(vouched) >= expected_seq:
        return Break(key, None, max(vouched), f"sealed events after seq {expected_seq - 1} were removed")
    if head is None:
        return Break(key, None, expected_seq - 1, "chain head missing")
    if head.seq != expected_seq - 1 or head.hash != prev:
        return Break(key, None, head.seq, f"events after seq {expected_seq - 1} were removed")
    return None


def events_for_entity(session: Session, entity_type: str, entity_id: Any) -> list[AuditEvent]:
    stmt = (
        select(AuditEvent)
        .where(AuditEvent.entity_type == entity_type, AuditEvent.entity_id == str(entity_id))
        .order_by(AuditEvent.occurred_at, AuditEvent.id)
    )
    return list(session.execute(stmt).scalars())
