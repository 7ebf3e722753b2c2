"""The insurer's own adjuster for a second pre-assessment (第二次预评估, R-U7), one row per appointment."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tandem.db import Base, UTCDateTime, new_id


class InsurerAdjuster(Base):
    """An insurer's appointment of its own adjuster on a placement, keyed by placement and insurer: the
    letter (确认函) it issued, and where the appointment stands (``SECOND_RULES`` in
    ``tandem.placement.second_opinion``). A replaced or withdrawn appointment keeps its row and reason;
    the insurer's next appointment is a new row."""

    __tablename__ = "placement_insurer_adjuster"
    __table_args__ = (Index("ix_placement_insurer_adjuster_key", "case_id", "insurer_id", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case.id", ondelete="RESTRICT"))
    insurer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"))
    appointment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("appointment.id", ondelete="RESTRICT"))
    firm_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"))
    adjuster_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("adjuster.id", ondelete="RESTRICT"))
    # appointed | accepted | declined | replaced (the broker required another) | withdrawn (the broker
    # withdrew the submission to this insurer)
    state: Mapped[str] = mapped_column(String(20))
    blacklisted: Mapped[bool] = mapped_column(default=False)  # on the broker's blacklist when appointed
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
