"""Claim cases (理赔案件), their participants and idempotent intake keys."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tandem.access.models import Organisation, _enum
from tandem.db import Base, Money, UTCDateTime, new_id
from tandem.party.models import Adjuster
from tandem.policy.models import Policy


class Channel(enum.StrEnum):
    APP = "app"
    WEB = "web"
    PHONE = "phone"
    WECHAT = "wechat"
    WEIBO = "weibo"
    EMAIL = "email"
    API = "api"


class ClaimStatus(enum.StrEnum):
    NOTIFIED = "notified"
    ROUTED = "routed"
    ADJUSTER_ASSIGNED = "adjuster_assigned"
    SURVEYING = "surveying"
    REPORTED = "reported"
    AMOUNT_CONFIRMED = "amount_confirmed"
    NEGOTIATING = "negotiating"
    AGREED = "agreed"
    PAID = "paid"
    CLOSED = "closed"
    DISPUTED = "disputed"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"


class PartyRole(enum.StrEnum):
    BROKER = "broker"
    INSURED = "insured"
    INSURER = "insurer"
    ADJUSTER = "adjuster"
    SUPERVISION = "supervision"


class Counter(Base):
    """Named counters for human-readable numbers (案件号), incremented with one UPDATE."""

    __tablename__ = "counter"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class Claim(Base):
    """A claim case: the shared file of one loss (理赔案件)."""

    __tablename__ = "claim"
    __table_args__ = (
        Index("ix_claim_insurer_status", "insurer_id", "status", "notified_at"),
        Index("ix_claim_broker_status", "broker_id", "status", "notified_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    policy_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("policy.id", ondelete="RESTRICT"), index=True)
    insured_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"),
                                                  index=True)
    insurer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"))
    broker_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"))
    status: Mapped[ClaimStatus] = mapped_column(_enum(ClaimStatus, "claim_status"))
    channel: Mapped[Channel] = mapped_column(_enum(Channel, "channel"))
    loss_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    notified_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    routing_deadline: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    location: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text)
    estimated_loss: Mapped[Decimal | None] = mapped_column(Money)
    reporter_name: Mapped[str | None] = mapped_column(String(100))
    reporter_phone: Mapped[str | None] = mapped_column(String(20))
    adjuster_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("adjuster.id", ondelete="RESTRICT"))
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))

    policy: Mapped[Policy] = relationship(lazy="joined")
    insurer: Mapped[Organisation] = relationship(foreign_keys=[insurer_id], lazy="joined")
    adjuster: Mapped[Adjuster | None] = relationship(lazy="joined")


class Participation(Base):
    """An organisation's role in one claim case (参与方): the basis of access."""

    __tablename__ = "case_participation"
    __table_args__ = (UniqueConstraint("claim_id", "organisation_id", "party_role"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    claim_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("claim.id", ondelete="RESTRICT"), index=True)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"),
                                                       index=True)
    party_role: Mapped[PartyRole] = mapped_column(_enum(PartyRole, "party_role"))
    since: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class IdempotencyKey(Base):
    """One row per (user, Idempotency-Key): a retried POST returns the same claim."""

    __tablename__ = "idempotency_key"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    # No foreign key: the key row is written first (it is the lock that stops a concurrent retry),
    # the claim row with this id right after, in the same transaction.
    claim_id: Mapped[uuid.UUID] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
