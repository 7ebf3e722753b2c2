"""A policy in force (issue 16): its versions after mid-term changes (批改), the changes requested and
answered, and its suspensions, reinstatements and termination (R-U10). Versions and status changes are
never updated: each is a new row."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tandem.access.models import _enum
from tandem.db import Base, Money, UTCDateTime, new_id


class EndorsementStatus(enum.StrEnum):
    REQUESTED = "requested"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


class Endorsement(Base):
    """A mid-term change (批改) the broker requests for the insured: the new sections from a date, with the
    premium the engine works out for it (``pricing``: the engine documents in and out)."""

    __tablename__ = "policy_endorsement"
    __table_args__ = (UniqueConstraint("policy_id", "number"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    policy_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("policy.id", ondelete="RESTRICT"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[EndorsementStatus] = mapped_column(_enum(EndorsementStatus, "endorsement_status"))
    effective_date: Mapped[dt.date] = mapped_column(Date)
    sections: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    coefficient: Mapped[str] = mapped_column(String(40))
    premium_delta: Mapped[Decimal] = mapped_column(Money)
    pricing: Mapped[dict[str, Any]] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(Text)
    answer: Mapped[str | None] = mapped_column(Text)
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    requested_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    answered_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))


class PolicyVersion(Base):
    """One version of the policy's cover: the sections (with their rates, ‰) from ``effective_date``, the
    premium of the whole period on them and the additional (+) or returned (−) premium of the change."""

    __tablename__ = "policy_version"
    __table_args__ = (UniqueConstraint("policy_id", "number"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    policy_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("policy.id", ondelete="RESTRICT"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    effective_date: Mapped[dt.date] = mapped_column(Date)
    sections: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    coefficient: Mapped[str] = mapped_column(String(40))
    total_premium: Mapped[Decimal | None] = mapped_column(Money)
    premium_delta: Mapped[Decimal] = mapped_column(Money)
    endorsement_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("policy_endorsement.id", ondelete="RESTRICT"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class StatusChange(Base):
    """A suspension (效力中止), reinstatement (复效) or termination (解除/终止) from ``effective_date``, with
    the reason and, for a termination, who ended it and the refund the engine works out."""

    __tablename__ = "policy_status_change"
    __table_args__ = (UniqueConstraint("policy_id", "number"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    policy_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("policy.id", ondelete="RESTRICT"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(20))
    effective_date: Mapped[dt.date] = mapped_column(Date)
    reason_code: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(Text)
    ended_by: Mapped[str | None] = mapped_column(String(20))
    premium_paid: Mapped[Decimal | None] = mapped_column(Money)
    refund: Mapped[Decimal | None] = mapped_column(Money)
    pricing: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
