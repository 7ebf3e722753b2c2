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

# The report a recovery takes its amount from, known wherever recoveries are.
from tandem.report import models as _report_models  # noqa: F401


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
    # The last day (Asia/Shanghai) for the insurer's answer: the n-th working day after the request.
    answer_due: Mapped[dt.date | None] = mapped_column(Date)
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


class Recovery(Base):
    """追偿 (issue 16 item 5): the broker claims from the insurer, for the insured, the loss the insurer's
    suspension or termination causes. ``status`` moves by ``recovery.RULES``; ``amount`` is the current
    demand (from the signed termination report, or the itemised heads in ``heads``), ``agreed`` what the
    insurer accepted, ``answer_due`` / ``payment_due`` the deadlines the timers remind of. Each step is
    also one immutable :class:`RecoveryStep` row."""

    __tablename__ = "policy_recovery"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    policy_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("policy.id", ondelete="RESTRICT"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    amount: Mapped[Decimal] = mapped_column(Money)
    heads: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    report_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("report.id", ondelete="RESTRICT"))
    round_no: Mapped[int] = mapped_column(Integer)
    agreed: Mapped[Decimal | None] = mapped_column(Money)
    answer_due: Mapped[dt.date | None] = mapped_column(Date)
    payment_due: Mapped[dt.date | None] = mapped_column(Date)
    paid: Mapped[Decimal | None] = mapped_column(Money)
    opened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    opened_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))


class RecoveryStep(Base):
    """One step of a recovery, never updated: the demand, each answer (accept / counter / refuse with the
    reasons), a payment, an escalation (complaint to the regulator, arbitration, litigation) and its
    outcome, with the date it happened."""

    __tablename__ = "policy_recovery_step"
    __table_args__ = (UniqueConstraint("recovery_id", "number"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    recovery_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("policy_recovery.id", ondelete="RESTRICT"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    round_no: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(20))
    amount: Mapped[Decimal | None] = mapped_column(Money)
    reasons: Mapped[str] = mapped_column(Text)
    channel: Mapped[str | None] = mapped_column(String(20))  # escalation: regulator | arbitration | litigation
    on_date: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))


class TerminationAssessment(Base):
    """The broker's instruction to an adjuster firm to assess the loss the insurer's suspension or
    termination causes the insured, by a letter of instruction (purpose ``termination``) on the placement's
    case: ``instructed`` (the letter issued) → ``accepted`` (with its fee terms) → ``reported`` when the
    firm's signed 《保险合同效力中止或终止评估报告》 (kind ``termination``) is in; ``instructed`` →
    ``declined`` sends it back to the broker, who instructs another firm. ``appointment_id`` is the current
    letter (null for assessments instructed before letters, migration 0041: accepted without fee terms)."""

    __tablename__ = "termination_assessment"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    policy_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("policy.id", ondelete="RESTRICT"), unique=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case.id", ondelete="RESTRICT"), index=True)
    firm_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"), index=True)
    appointment_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("appointment.id", ondelete="RESTRICT"))
    status: Mapped[str] = mapped_column(String(12))  # instructed | accepted | declined | reported
    note: Mapped[str] = mapped_column(Text)
    instructed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    instructed_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    report_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("report.id", ondelete="RESTRICT"))
    reported_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
