"""Append-only, hash-chained audit events (审计日志)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import JSON, BigInteger, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tandem.db import Base, UTCDateTime


class AuditEvent(Base):
    __tablename__ = "audit_event"
    __table_args__ = (UniqueConstraint("chain_key", "seq"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    chain_key: Mapped[str] = mapped_column(String(80), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    actor_user_id: Mapped[uuid.UUID | None] = mapped_column()
    actor_org_id: Mapped[uuid.UUID | None] = mapped_column()
    action: Mapped[str] = mapped_column(String(80))
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(64), index=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    reason: Mapped[str | None] = mapped_column(Text)
    request_id: Mapped[str | None] = mapped_column(String(64))
    audience: Mapped[list[str]] = mapped_column(JSON, default=list)
    # HMAC-SHA256 under TANDEM_AUDIT_KEY of (chain_key, seq, hash); None when written without a key.
    mac: Mapped[str | None] = mapped_column(String(64))


class ChainHead(Base):
    """The latest (seq, hash) per chain: the row lock that serialises appends to one chain."""

    __tablename__ = "audit_chain_head"

    chain_key: Mapped[str] = mapped_column(String(80), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))


class AuditSeal(Base):
    """A signed snapshot of every chain head (``tandem audit seal``): ``heads`` maps chain key to
    ``[seq, hash]``, ``boundary`` is the first event id after it, ``mac`` signs it all with the audit key
    (``key_id`` names the key without revealing it). Append-only."""

    __tablename__ = "audit_seal"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sealed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    key_id: Mapped[str] = mapped_column(String(16))
    boundary: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    heads: Mapped[dict[str, list[Any]]] = mapped_column(JSON)
    mac: Mapped[str] = mapped_column(String(64))
