"""In-force monitoring (R-U9): the staged risk evaluation plan of a bound policy (the interval the broker
and the insured agree), its re-surveys (one per stage, opened by a durable timer ahead of its date for the
broker's adjuster firm) and the insured's tasks (整改任务) on the open risk points of each stage."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tandem.db import Base, UTCDateTime, new_id
from tandem.kit.limits import REASON_MAX

# The tables these point at, known wherever these are.
from tandem.policy import models as _policy_models  # noqa: F401
from tandem.report import models as _report_models  # noqa: F401


class StagedPlan(Base):
    """阶段性风险评价安排: every ``interval_months`` from the policy's start the subject is re-surveyed; the
    survey opens ``lead_days`` ahead. The broker proposes, the insured agrees (``proposed`` → ``agreed``)."""

    __tablename__ = "staged_plan"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    policy_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("policy.id", ondelete="RESTRICT"), unique=True)
    status: Mapped[str] = mapped_column(String(12))  # proposed | agreed
    interval_months: Mapped[int] = mapped_column(Integer)
    lead_days: Mapped[int] = mapped_column(Integer)
    # The policy says the insurer is told of missed remediation commitments (missed commitments visible).
    insurer_sees_missed: Mapped[bool] = mapped_column(Boolean, default=False)
    proposed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    proposed_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    agreed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    agreed_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))


class StagedSurvey(Base):
    """One re-survey (复查) of the plan: ``scheduled`` until its timer opens it for the broker's adjuster
    firm (``open``), ``reported`` once the firm's 《阶段性风险评价报告》 is in."""

    __tablename__ = "staged_survey"
    __table_args__ = (UniqueConstraint("policy_id", "stage"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    policy_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("policy.id", ondelete="RESTRICT"), index=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case.id", ondelete="RESTRICT"), index=True)
    firm_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"), index=True)
    stage: Mapped[int] = mapped_column(Integer)  # 1, 2, … (0 is the register at binding)
    due_date: Mapped[dt.date] = mapped_column(Date)  # the date of the re-survey (Asia/Shanghai)
    opens_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(12))  # scheduled | open | reported | cancelled
    opened_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    report_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("report.id", ondelete="RESTRICT"))
    reported_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class StagedTask(Base):
    """The insured's task on one open risk point: remedy it by ``due_date``. ``open`` → ``done`` when a
    staged report finds it remedied, ``open`` → ``missed`` when the date passes (the commitment missed,
    shown to the broker and, where the plan says so, to the insurer) → ``done`` when remedied later."""

    __tablename__ = "staged_task"
    __table_args__ = (UniqueConstraint("policy_id", "ref", "opened_stage"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    policy_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("policy.id", ondelete="RESTRICT"), index=True)
    ref: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(8))
    opened_stage: Mapped[int] = mapped_column(Integer)  # 0: the insured's commitment at binding
    due_date: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10))  # open | missed | done
    note: Mapped[str] = mapped_column(String(REASON_MAX), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    missed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    closed_by_report_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("report.id", ondelete="RESTRICT"))
