"""Competitive consultation (竞争性磋商) over two reports on one subject, and the MoU (谅解备忘录)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tandem.case.models import claim_case
from tandem.db import Base, Money, UTCDateTime, new_id


class Consultation(Base):
    """Two reports of the same kind on one case (loss items of adjusting reports, risk points of
    pre-assessments) negotiated item by item."""

    __tablename__ = "consultation"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    subject_kind: Mapped[str] = mapped_column(String(20))  # claim | placement (the case kind)
    case_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("case.id", ondelete="RESTRICT"), index=True, default=claim_case
    )
    claim_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("claim.id", ondelete="RESTRICT"), index=True)
    # The kind of the two reports: adjusting (loss items) or pre_assessment / staged_risk (risk points).
    kind: Mapped[str] = mapped_column(String(20), default="adjusting", server_default="adjusting")
    report_a_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("report.id", ondelete="RESTRICT"))
    report_b_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("report.id", ondelete="RESTRICT"))
    firm_a_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"))
    firm_b_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"))
    # A placement's: the insurer whose own adjuster wrote report B (R-U8). Other insurers approached with the
    # same placement never read it (``consultation.case_consultation``).
    insurer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"))
    state: Mapped[str] = mapped_column(String(20))  # aligning | negotiating | umpire | agreed
    round: Mapped[int] = mapped_column(Integer, default=0)
    max_rounds: Mapped[int] = mapped_column(Integer, default=3)
    # Working days per round (TANDEM_ROUND_WORKING_DAYS when the consultation opened; tandem.kit.workdays).
    round_working_days: Mapped[int] = mapped_column(Integer, default=5, server_default="5")
    round_deadline: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    umpire_kind: Mapped[str | None] = mapped_column(String(16))  # adjuster | expert
    umpire_id: Mapped[uuid.UUID | None] = mapped_column()
    umpire_name: Mapped[str | None] = mapped_column(String(100))
    umpire_proposed_by: Mapped[uuid.UUID | None] = mapped_column()
    umpire_accepted: Mapped[bool] = mapped_column(default=False)
    notes: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class ConsultationItem(Base):
    """One aligned line: both sides' original figures, current positions and the agreed figure."""

    __tablename__ = "consultation_item"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    consultation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("consultation.id", ondelete="RESTRICT"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    section: Mapped[str] = mapped_column(String(40))
    a_ref: Mapped[str | None] = mapped_column(String(20))
    b_ref: Mapped[str | None] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(Text)
    a_loss: Mapped[Decimal | None] = mapped_column(Money)
    b_loss: Mapped[Decimal | None] = mapped_column(Money)
    a_position: Mapped[Decimal | None] = mapped_column(Money)
    b_position: Mapped[Decimal | None] = mapped_column(Money)
    confidence: Mapped[float | None] = mapped_column(Float)
    fields_differ: Mapped[list[str]] = mapped_column(JSON, default=list)
    state: Mapped[str] = mapped_column(String(16))  # open | agreed
    agreed_loss: Mapped[Decimal | None] = mapped_column(Money)
    how: Mapped[str | None] = mapped_column(String(30))  # identical | round 2 | umpire
    # Risk points (pre-assessments): each side's level (低/中/高/重大) and loading coefficient, and the
    # agreed ones. Coefficients are exact decimals with 4 places, kept as text ("1.2500").
    a_level: Mapped[str | None] = mapped_column(String(4))
    b_level: Mapped[str | None] = mapped_column(String(4))
    a_coefficient: Mapped[str | None] = mapped_column(String(12))
    b_coefficient: Mapped[str | None] = mapped_column(String(12))
    agreed_level: Mapped[str | None] = mapped_column(String(4))
    agreed_coefficient: Mapped[str | None] = mapped_column(String(12))


class ConsultationMove(Base):
    """One side's move on one item in one round: accept, propose (with reason/evidence) or hold."""

    __tablename__ = "consultation_move"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("consultation_item.id", ondelete="RESTRICT"), index=True)
    round: Mapped[int] = mapped_column(Integer)
    side: Mapped[str] = mapped_column(String(8))  # a | b | umpire
    kind: Mapped[str] = mapped_column(String(16))
    amount: Mapped[Decimal | None] = mapped_column(Money)
    level: Mapped[str | None] = mapped_column(String(4))  # risk points: the level and coefficient moved to
    coefficient: Mapped[str | None] = mapped_column(String(12))
    reason: Mapped[str | None] = mapped_column(Text)
    evidence_sha256: Mapped[str | None] = mapped_column(String(64))
    by_user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class Memorandum(Base):
    """The MoU: generated when nothing is open; its content never changes; acknowledgements are rows."""

    __tablename__ = "memorandum"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    consultation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("consultation.id", ondelete="RESTRICT"), unique=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class MemorandumAck(Base):
    """One party's acknowledgement of the MoU (both adjusters, the broker, the insurer)."""

    __tablename__ = "memorandum_ack"
    __table_args__ = (UniqueConstraint("memorandum_id", "party"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    memorandum_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("memorandum.id", ondelete="RESTRICT"), index=True)
    # adjuster_a | adjuster_b | broker | insurer; for a placement also insured (the broker acknowledges
    # through its risk evaluators)
    party: Mapped[str] = mapped_column(String(20))
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    content_hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
