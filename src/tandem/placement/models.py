"""The placement (投保项目): a case plus its own columns, like a claim — same id as its case."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tandem.access.models import Organisation, _enum
from tandem.db import Base, UTCDateTime


class PlacementStatus(enum.StrEnum):
    """Where a placement stands (R-U1..R-U4); issue 15 continues from ``to_market``."""

    OPENED = "opened"
    AWAITING_CHOICE = "awaiting_choice"
    CHOSEN = "chosen"
    LETTER_ISSUED = "letter_issued"
    SURVEYING = "surveying"
    REPORTED = "reported"
    DECIDING = "deciding"
    TO_MARKET = "to_market"
    BOUND = "bound"  # the insured accepted a quote and the policy was issued (closed)
    WITHDRAWN = "withdrawn"


class Placement(Base):
    """A placement: the insured's subject (标的: sites, sections and sums insured), the lines wanted and
    the desired period. ``subject`` keeps money as strings of Decimal."""

    __tablename__ = "placement"
    __table_args__ = (
        Index("ix_placement_broker_status", "broker_id", "status", "created_at"),
        Index("ix_placement_status_created", "status", "created_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case.id", ondelete="RESTRICT"), primary_key=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case.id", ondelete="RESTRICT"), unique=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    broker_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"))
    insured_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"), index=True)
    account_manager_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    lines: Mapped[list[str]] = mapped_column(JSON, default=list)
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    subject: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[PlacementStatus] = mapped_column(_enum(PlacementStatus, "placement_status"))
    adjuster_firm_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"))
    # The insured's choice (R-U1): the practitioner and whether recommended or its own (placement.selection).
    chosen_adjuster_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("adjuster.id", ondelete="RESTRICT"))
    choice: Mapped[str | None] = mapped_column(String(20))
    explained_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    insured: Mapped[Organisation] = relationship(foreign_keys=[insured_id], lazy="joined")
    broker: Mapped[Organisation] = relationship(foreign_keys=[broker_id], lazy="joined")
