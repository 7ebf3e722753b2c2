"""Declared catastrophe events (巨灾事件) and the notices tagged with them (issue 21)."""

from __future__ import annotations

import datetime as dt
import enum
import uuid

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tandem.access.models import _enum
from tandem.db import Base, UTCDateTime, new_id


class Peril(enum.StrEnum):
    FLOOD = "flood"
    TYPHOON = "typhoon"
    EARTHQUAKE = "earthquake"
    HAIL = "hail"
    OTHER = "other"


class CatEvent(Base):
    """A catastrophe declared by a broker or an insurer: a peril over an area (names of provinces, cities,
    districts as the loss places spell them) and a period; notices inside both are tagged with it."""

    __tablename__ = "cat_event"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(120))
    peril: Mapped[Peril] = mapped_column(_enum(Peril, "peril"))
    areas: Mapped[list[str]] = mapped_column(JSON, default=list)
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    declared_by_org: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"), index=True)
    declared_by_user: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    declared_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class CatEventClaim(Base):
    """A notice tagged with an event: at intake, on declaring, or by hand (``how``); untagging deletes the
    row, and the case's audit chain keeps both acts."""

    __tablename__ = "cat_event_claim"
    __table_args__ = (
        UniqueConstraint("event_id", "claim_id"),
        Index("ix_cat_event_claim_claim", "claim_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cat_event.id", ondelete="RESTRICT"))
    claim_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("claim.id", ondelete="RESTRICT"))
    how: Mapped[str] = mapped_column(String(10))  # intake | declared | hand
    tagged_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
