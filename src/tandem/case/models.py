"""The case (案件): one row per claim (理赔案件) or placement (投保项目); every case-scoped row hangs off it."""

from __future__ import annotations

import datetime as dt
import enum
import uuid

from sqlalchemy import String
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.orm import Mapped, mapped_column

from tandem.access.models import _enum
from tandem.db import Base, UTCDateTime, new_id


class CaseKind(enum.StrEnum):
    PLACEMENT = "placement"  # 投保项目: a programme being placed for an insured (R-U1..R-U10)
    CLAIM = "claim"  # 理赔案件: one loss (R-C1..R-C7)


# Number prefixes of the case kinds: TB-2026-000001 (投保), LP-2026-000001 (理赔).
CASE_NUMBER_PREFIX = {CaseKind.PLACEMENT: "TB", CaseKind.CLAIM: "LP"}


def claim_case(context: DefaultExecutionContext) -> object:
    """Default ``case_id`` of a row written for a claim without one: the claim's case, which has the
    claim's id (so code that only knows the claim still files the row on its case)."""
    params: dict[str, object] = context.get_current_parameters()  # type: ignore[no-untyped-call]
    return params.get("claim_id")


class Case(Base):
    """The shared file of one loss or one placement. A claim's case has the claim's id (the claim row is
    the case plus the claim's own columns), so its audit chain ``case:<id>`` is the case's chain."""

    __tablename__ = "case"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    kind: Mapped[CaseKind] = mapped_column(_enum(CaseKind, "case_kind"), index=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    @property
    def chain_key(self) -> str:
        """The key of the case's audit hash chain."""
        return f"case:{self.id}"
