"""The saved shortlists of Stage 1 screening (初筛, R-U5): one row per save, never updated in place."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tandem.db import Base, UTCDateTime, new_id


class Shortlist(Base):
    """One version of a placement's shortlist: the criteria used, the products kept and those left out
    with their reason codes. A re-screen saves the next version."""

    __tablename__ = "placement_shortlist"
    __table_args__ = (UniqueConstraint("case_id", "version"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case.id", ondelete="RESTRICT"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    criteria: Mapped[dict[str, Any]] = mapped_column(JSON)
    kept: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    excluded: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
