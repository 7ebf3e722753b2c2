"""Going to market (issue 15 item 3, binding item 6): the broker's disclosure (客户告知书) and the written
mandate (委托书) the insured acknowledges, the submissions (投保方案提交) to insurers, their question
threads and the insurers' quotes (报价), each quote an immutable version.

A submission is read only through ``tandem.access.scope.visible_submissions``: an insurer sees its own
and nothing else of the placement (it is not a party to the placement's case until it is bound)."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tandem.access.models import Organisation, _enum
from tandem.db import Base, Money, UTCDateTime, new_id


class ConsentKind(enum.StrEnum):
    DISCLOSURE = "disclosure"  # 客户告知书: the broker's details and duties
    MANDATE = "mandate"  # 委托书: the insured's written mandate to the broker


class ConsentStatus(enum.StrEnum):
    GIVEN = "given"
    ACKNOWLEDGED = "acknowledged"


class Consent(Base):
    """The disclosure or the mandate of a placement, as a document on the case, and the insured's
    acknowledgement. One of each kind per placement; never replaced once acknowledged."""

    __tablename__ = "placement_consent"
    __table_args__ = (UniqueConstraint("case_id", "kind"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[ConsentKind] = mapped_column(_enum(ConsentKind, "consent_kind"))
    status: Mapped[ConsentStatus] = mapped_column(_enum(ConsentStatus, "consent_status"))
    source: Mapped[str] = mapped_column(String(20))  # generated | uploaded
    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("document.id", ondelete="RESTRICT"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))


class SubmissionStatus(enum.StrEnum):
    """Where one insurer's submission stands (``SUBMISSION_RULES`` in placement.market)."""

    SUBMITTED = "submitted"  # with the insurer, no answer yet
    QUOTED = "quoted"  # at least one quote; a re-quote keeps it here
    DECLINED = "declined"  # the insurer declined, with its reason
    WITHDRAWN = "withdrawn"  # the broker withdrew it, with its reason
    ACCEPTED = "accepted"  # the insured accepted its quote: bound
    NOT_TAKEN = "not_taken"  # another insurer's quote was accepted


class Submission(Base):
    """The programme submitted to one insurer: a frozen copy (``programme``) of the subject, the lines,
    the period, the pre-assessment report's reference and the risk register with the insured's
    decisions as they stood when it was sent."""

    __tablename__ = "placement_submission"
    __table_args__ = (
        Index("ix_placement_submission_insurer_status", "insurer_id", "status"),
        UniqueConstraint("number"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case.id", ondelete="RESTRICT"), index=True)
    number: Mapped[str] = mapped_column(String(48))  # the placement's number + "-S" + n
    insurer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"))
    product_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("insurer_product.id", ondelete="RESTRICT"))
    status: Mapped[SubmissionStatus] = mapped_column(_enum(SubmissionStatus, "submission_status"))
    programme: Mapped[dict[str, Any]] = mapped_column(JSON)
    answer_due: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str | None] = mapped_column(Text)  # the decline's or the withdrawal's
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    insurer: Mapped[Organisation] = relationship(foreign_keys=[insurer_id], lazy="joined")


class SubmissionMessage(Base):
    """A question or an answer on one submission's own thread (the insurer, the broker, the insured)."""

    __tablename__ = "placement_submission_message"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    submission_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("placement_submission.id", ondelete="RESTRICT"), index=True
    )
    author_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    author_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class Quote(Base):
    """One version of an insurer's quote: per section its rate in ‰ and deductible, the rating factors,
    conditions, the last day it is valid, and the premium the engine computed (``pricing`` keeps the
    engine's result). Never updated: a re-quote is the next version."""

    __tablename__ = "placement_quote"
    __table_args__ = (UniqueConstraint("submission_id", "version"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    submission_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("placement_submission.id", ondelete="RESTRICT"), index=True
    )
    version: Mapped[int] = mapped_column(Integer)
    sections: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    factors: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    conditions: Mapped[str] = mapped_column(Text, default="")
    valid_until: Mapped[dt.date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
    premium: Mapped[Decimal] = mapped_column(Money)
    pricing: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
