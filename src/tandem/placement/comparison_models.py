"""Stage 2 comparison (横评, R-U6): the broker's published weights of the integrity score and the
insured's choice of insurer on a placement."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tandem.db import Base, UTCDateTime


class ComparisonSettings(Base):
    """A broker's published weights of the integrity score (诚信评价), component code -> whole number."""

    __tablename__ = "comparison_settings"

    broker_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"), primary_key=True)
    weights: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))


class InsurerChoice(Base):
    """The insured's choice of insurer on a placement (one row per placement, moved only through
    ``comparison.CHOICE_RULES``): picked directly, or recommended by the broker with its reasons and
    confirmed by the insured."""

    __tablename__ = "placement_insurer_choice"

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case.id", ondelete="RESTRICT"), primary_key=True)
    state: Mapped[str] = mapped_column(String(20))  # requested | recommended | chosen
    shortlist_version: Mapped[int] = mapped_column(Integer)
    insurer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"))
    how: Mapped[str | None] = mapped_column(String(20))  # picked | recommended
    recommended_insurer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"))
    recommendation_reasons: Mapped[str | None] = mapped_column(Text)
    recommended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    recommended_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    chosen_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    chosen_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
