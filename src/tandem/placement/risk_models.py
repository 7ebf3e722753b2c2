"""The placement's risk register (风险登记册, R-U4): its risk points as the broker's risk evaluators keep
them, every change to them (append-only), and the remediation tasks (整改任务) the insured commits to.

One register per placement (keyed by the case, which has the placement's id). Each risk point keeps
the level and loading coefficient the adjuster proposed beside the register's own, and the insured's
decision: ``remediate`` (with a committed date; a task is opened) or ``premium`` (accept the loading).
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tandem.db import Base, DecimalText, UTCDateTime, new_id
from tandem.kit.limits import REASON_MAX


class RiskChoice(enum.StrEnum):
    """The insured's decision on a risk point (the premium engine's ``choice``)."""

    UNDECIDED = "undecided"
    REMEDIATE = "remediate"  # 整改: fix it by the committed date, no loading
    PREMIUM = "premium"  # 接受加费: pay the loading


class TaskStatus(enum.StrEnum):
    OPEN = "open"
    DONE = "done"  # a later staged report (阶段性风险评价报告) found it remedied
    CANCELLED = "cancelled"  # the insured chose to accept the loading instead


class RiskRegister(Base):
    """风险登记册: one per placement, seeded from the submitted pre-assessment report (or an MoU)."""

    __tablename__ = "risk_register"

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case.id", ondelete="RESTRICT"), primary_key=True)
    source: Mapped[str] = mapped_column(String(20))  # pre_assessment | memorandum
    source_id: Mapped[uuid.UUID | None] = mapped_column()  # the report's or the memorandum's id
    source_number: Mapped[str] = mapped_column(String(48), default="")  # YP-2026-000001, as shown
    advice: Mapped[str] = mapped_column(String(REASON_MAX), default="")  # overall risk-management advice
    seeded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    seeded_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    published_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    version: Mapped[int] = mapped_column(Integer, default=1)


class RegisterPoint(Base):
    """One risk point (风险点) of the register: the adjuster's proposal, the register's figures, the
    evaluators' advice and the insured's decision."""

    __tablename__ = "risk_register_point"
    __table_args__ = (UniqueConstraint("case_id", "ref"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("risk_register.case_id", ondelete="RESTRICT"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    ref: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(REASON_MAX))
    location: Mapped[str] = mapped_column(String(200))
    proposed_level: Mapped[str] = mapped_column(String(8))  # as the adjuster reported it
    proposed_coefficient: Mapped[Decimal] = mapped_column(DecimalText)
    adjuster_advice: Mapped[str] = mapped_column(String(REASON_MAX), default="")
    level: Mapped[str] = mapped_column(String(8))  # 低 | 中 | 高 | 重大
    coefficient: Mapped[Decimal] = mapped_column(DecimalText)  # loading coefficient, 4 places (1.1500 = +15 %)
    advice: Mapped[str] = mapped_column(String(REASON_MAX), default="")  # the evaluators' 风险管理建议
    choice: Mapped[str] = mapped_column(String(12), default=RiskChoice.UNDECIDED.value)
    committed_date: Mapped[dt.date | None] = mapped_column(Date)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)


class RegisterChange(Base):
    """One change of a risk point, kept for good (the table refuses UPDATE and DELETE): what it was,
    what it became, why, by whom and when."""

    __tablename__ = "risk_register_change"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case.id", ondelete="RESTRICT"), index=True)
    point_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("risk_register_point.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # seeded | assessed | advised | decided
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any]] = mapped_column(JSON)
    reason: Mapped[str | None] = mapped_column(String(REASON_MAX))
    by_user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class RemediationTask(Base):
    """整改任务: the insured's commitment to remedy a risk point by a date; later staged reports check it."""

    __tablename__ = "remediation_task"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case.id", ondelete="RESTRICT"), index=True)
    point_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("risk_register_point.id", ondelete="RESTRICT"), unique=True)
    ref: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    due_date: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default=TaskStatus.OPEN.value)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    checked_by_report_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("report.id", ondelete="RESTRICT"))
