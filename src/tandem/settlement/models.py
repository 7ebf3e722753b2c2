"""Amount confirmation (理算确认, R-C4) and the negotiation with the insurer."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tandem.db import Base, Money, UTCDateTime, new_id


class AmountConfirmation(Base):
    """The risk evaluators' confirmed amount: the engine's input and output, kept as computed."""

    __tablename__ = "amount_confirmation"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    claim_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("claim.id", ondelete="RESTRICT"), index=True)
    basis_kind: Mapped[str] = mapped_column(String(16))  # report | mou
    basis_id: Mapped[uuid.UUID] = mapped_column()
    calc_input: Mapped[dict[str, Any]] = mapped_column(JSON)
    calc_result: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Per section: where the figures came from (``tandem.settlement.basis.Sources``); None before 0007.
    sources: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    total_payable: Mapped[Decimal] = mapped_column(Money)
    due: Mapped[Decimal] = mapped_column(Money)
    confirmed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    confirmed_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))


class NegotiationStep(Base):
    """One move in the broker–insurer negotiation: propose, accept, counter, dispute or refuse."""

    __tablename__ = "negotiation_step"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    claim_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("claim.id", ondelete="RESTRICT"), index=True)
    move: Mapped[str] = mapped_column(String(16))
    amount: Mapped[Decimal | None] = mapped_column(Money)
    reason: Mapped[str | None] = mapped_column(Text)
    by_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"))
    by_user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    # A proposal or counter-offer withdrawn by its maker before it was answered (a ``withdraw`` step
    # records the withdrawal; this marks the offer that no longer stands).
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
