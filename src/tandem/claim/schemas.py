"""The loss notice as the API and the batch intake take it (报案): one schema, one conversion."""

from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import Field

from tandem.claim.models import Channel
from tandem.claim.service import NoticeInput
from tandem.schemas import MoneyIn, Strict, UtcDateTime


class Reporter(Strict):
    name: Annotated[str, Field(min_length=1, max_length=100)]
    phone: Annotated[str, Field(pattern=r"^\+?[0-9\- ]{5,20}$")]


class NoticeIn(Strict):
    policy_id: uuid.UUID
    loss_at: UtcDateTime
    location: Annotated[str, Field(min_length=2, max_length=300)]
    description: Annotated[str, Field(min_length=2, max_length=5000)]
    channel: Channel
    estimated_loss: MoneyIn | None = None
    reporter: Reporter | None = None

    def notice(self) -> NoticeInput:
        return NoticeInput(
            policy_id=self.policy_id,
            loss_at=self.loss_at,
            location=self.location.strip(),
            description=self.description.strip(),
            channel=self.channel,
            estimated_loss=self.estimated_loss,
            reporter_name=self.reporter.name if self.reporter else None,
            reporter_phone=self.reporter.phone if self.reporter else None,
        )
