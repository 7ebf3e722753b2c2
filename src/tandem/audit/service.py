"""Write and verify the hash-chained audit log (审计链).

Every state change calls :func:`record` inside the same transaction. Each chain (one per case,
one per organisation for events outside a case) has consecutive ``seq`` numbers; each event stores
the previous event's hash and ``hash = sha256(prev_hash + canonical_json(event))``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from tandem.audit.models import AuditEvent, ChainHead
from tandem.kit.canonical import canonical_json, normalise, sha256_hex

GENESIS = "0" * 64


@dataclass(frozen=True)
class ActorRef:
    """Who acted: a user of an organisation, or the system (both None)."""

    user_id: uuid.UUID | None
    org_id: uuid.UUID | None


SYSTEM = ActorRef(None, None)


def _payload(ev: AuditEvent) -> dict[str, Any]:
    return {
        "chain_key": ev.chain_key, "seq": ev.seq, "prev_hash": ev.prev_hash,
        "occurred_at": ev.occurred_at,
        "actor_user_id": str(ev.actor_user_id) if ev.actor_user_id else None,
        "actor_org_id": str(ev.actor_org_id) if ev.actor_org_id else None,
        "action": ev.action, "entity_type": ev.entity_type, "entity_id": ev.entity_id,
        "before": ev.before, "after": ev.after, "reason": ev.reason,
        "request_id": ev.request_id, "audience": ev.audience,
    }


def compute_hash(ev: AuditEvent) -> str:
    return sha256_hex(ev.prev_hash.encode("ascii") + canonical_json(_payload(ev)))


def _lock_head(session: Session, chain_key: str) -> ChainHead:
    bind = session.get_bind()
    ins = pg_insert if bind.dialect.name == "postgresql" else sqlite_insert
    session.execute(ins(ChainHead).values(chain_key=chain_key, seq=0, hash=GENESIS)
                    .on_conflict_do_nothing(index_elements=["chain_key"]))
    head = session.execute(
        select(ChainHead).where(ChainHead.chain_key == chain_key).with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()
    return head


def record(session: Session, actor: ActorRef, *, action: str, entity_type: str, entity_id: Any,
           at: dt.datetime, chain_key: str | None = None, before: dict[str, Any] | None = None,
           after: dict[str, Any] | None = None, reason: str | None = None,
           request_id: str | None = None, audience: list[str] | None = None) -> AuditEvent:
    """Append one event to its chain in the caller's transaction."""
    key = chain_key or (f"org:{actor.org_id}" if actor.org_id else "platform")
    head = _lock_head(session, key)
    ev = AuditEvent(
        chain_key=key, seq=head.seq + 1, prev_hash=head.hash, occurred_at=at.astimezone(dt.UTC),
        actor_user_id=actor.user_id, actor_org_id=actor.org_id, action=action,
        entity_type=entity_type, entity_id=str(entity_id),
        before=normalise(before) if before is not None else None,
        after=normalise(after) if after is not None else None,
        reason=reason, request_id=request_id, audience=sorted(audience or []),
    )
    ev.hash = compute_hash(ev)
    session.add(ev)
    head.seq, head.hash = ev.seq, ev.hash
    session.flush()
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


def verify(session: Session, chain_key: str | None = None) -> list[Break]:
    """Recompute every chain; return the first break of each broken chain (empty = intact)."""
    heads = {h.chain_key: h for h in session.execute(select(ChainHead)).scalars()}
    keys = set(heads) | set(session.execute(select(AuditEvent.chain_key).distinct()).scalars())
    if chain_key is not None:
        keys &= {chain_key}
    breaks: list[Break] = []
    for key in sorted(keys):
        prev, expected_seq, found = GENESIS, 1, None
        for ev in _chain_events(session, key):
            if ev.seq != expected_seq:
                found = Break(key, ev.id, ev.seq, f"missing event before it (expected seq {expected_seq})")
            elif ev.prev_hash != prev:
                found = Break(key, ev.id, ev.seq, "previous hash does not match the chain")
            elif compute_hash(ev) != ev.hash:
                found = Break(key, ev.id, ev.seq, "content does not match its hash (altered)")
            if found:
                break
            prev, expected_seq = ev.hash, expected_seq + 1
        if found is None:
            head = heads.get(key)
            if head is None:
                found = Break(key, None, expected_seq - 1, "chain head missing")
            elif head.seq != expected_seq - 1 or head.hash != prev:
                found = Break(key, None, head.seq,
                              f"events after seq {expected_seq - 1} were removed")
        if found:
            breaks.append(found)
    return breaks


def events_for_entity(session: Session, entity_type: str, entity_id: Any) -> list[AuditEvent]:
    stmt = (select(AuditEvent).where(AuditEvent.entity_type == entity_type,
                                     AuditEvent.entity_id == str(entity_id))
            .order_by(AuditEvent.occurred_at, AuditEvent.id))
    return list(session.execute(stmt).scalars())
