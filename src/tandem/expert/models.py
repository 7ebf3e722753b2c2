"""Expert engagements (专家聘请): a request on a claim for an expert of a (shared) pool."""

from __future__ import annotations

import datetime as dt
import enum
import uuid

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tandem.access.models import _enum
from tandem.case.models import claim_case
from tandem.db import Base, UTCDateTime, new_id
from tandem.party.models import Expert


class EngagementStatus(enum.StrEnum):
    REQUESTED = "requested"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class Engagement(Base):
    """A participant's request to engage an expert on a claim; the expert's owner decides."""

    __tablename__ = "expert_engagement"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("case.id", ondelete="RESTRICT"), index=True, default=claim_case
    )
    claim_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("claim.id", ondelete="RESTRICT"), index=True)
    expert_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("expert.id", ondelete="RESTRICT"), index=True)
    requester_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"), index=True)
    owner_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"), index=True)
    requested_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    status: Mapped[EngagementStatus] = mapped_column(_enum(EngagementStatus, "engagement_status"))
    fee_basis: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))

    expert: Mapped[Expert] = relationship(lazy="joined")
