"""Reports of every kind (预评估报告, 公估报告, 阶段性风险评价报告, 终止评估报告): editable drafts, immutable
submitted versions, signatures."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tandem.case.models import claim_case
from tandem.db import Base, Money, UTCDateTime, new_id


class ReportDraft(Base):
    """The working copy an adjuster edits; one per case, author firm and report kind."""

    __tablename__ = "report_draft"
    __table_args__ = (UniqueConstraint("case_id", "firm_id", "kind"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("case.id", ondelete="RESTRICT"), index=True, default=claim_case
    )
    claim_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("claim.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[str] = mapped_column(String(20), default="adjusting", server_default="adjusting")
    firm_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"))
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))


class Report(Base):
    """A submitted report: never updated; a correction is a new row numbered ``…-R1``."""

    __tablename__ = "report"
    __table_args__ = (UniqueConstraint("number", "version"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("case.id", ondelete="RESTRICT"), index=True, default=claim_case
    )
    claim_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("claim.id", ondelete="RESTRICT"), index=True)
    # pre_assessment (预评估报告) | adjusting (公估报告) | staged_risk (阶段性风险评价报告) | termination
    kind: Mapped[str] = mapped_column(String(20), default="adjusting", server_default="adjusting")
    firm_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"))
    number: Mapped[str] = mapped_column(String(40), index=True)
    version: Mapped[int] = mapped_column(Integer)
    display_number: Mapped[str] = mapped_column(String(48), unique=True)
    supersedes_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("report.id", ondelete="RESTRICT"))
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    content_hash: Mapped[str] = mapped_column(String(64))
    total_loss: Mapped[Decimal] = mapped_column(Money)
    submitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    submitted_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))


class ReportSignature(Base):
    """One practitioner's signature over a report's content hash."""

    __tablename__ = "report_signature"
    __table_args__ = (UniqueConstraint("report_id", "adjuster_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    report_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("report.id", ondelete="RESTRICT"), index=True)
    adjuster_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("adjuster.id", ondelete="RESTRICT"))
    content_hash: Mapped[str] = mapped_column(String(64))
    signed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class ReportPdf(Base):
    """The rendered PDF of a report, stored content-addressed (rendered after commit by a job)."""

    __tablename__ = "report_pdf"

    report_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("report.id", ondelete="RESTRICT"), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class ReportSigning(Base):
    """A report frozen for signature: its number and content hash are fixed when the first adjuster signs;
    each named co-signer signs the same hash in person, from their own login. With two signatures the
    report is submitted (a ``Report`` row with its ``ReportSignature`` rows); until then it is not a
    report. A new signing by the same firm of the same kind on the same case replaces an open one (same
    number)."""

    __tablename__ = "report_signing"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("case.id", ondelete="RESTRICT"), index=True, default=claim_case
    )
    claim_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("claim.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[str] = mapped_column(String(20), default="adjusting", server_default="adjusting")
    firm_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"))
    number: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer)
    supersedes_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("report.id", ondelete="RESTRICT"))
    reason: Mapped[str | None] = mapped_column(String(2000))
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    content_hash: Mapped[str] = mapped_column(String(64))
    signer_ids: Mapped[list[str]] = mapped_column(JSON)  # adjusters named to sign, the first signer first
    signatures: Mapped[list[dict[str, str]]] = mapped_column(JSON)  # {adjuster_id, user_id, at}
    state: Mapped[str] = mapped_column(String(16))  # open | submitted | replaced
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
