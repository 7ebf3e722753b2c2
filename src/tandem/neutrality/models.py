"""The neutrality regime's records (相对中立原则, R-C7): findings and the notices they become, each broker's
tolerance, blacklist proposals, their decisions and appeals.

A finding (不公正认定) and its notice (通报) are one row: the notice is the finding once a second risk
evaluator confirmed it. A proposal (黑名单提议) carries its decision and the appeal against that decision;
the listing itself is a ``blacklist_entry`` that names the proposal, so routing reads one table."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tandem.access.models import Organisation
from tandem.db import Base, UTCDateTime, new_id
from tandem.party.models import Adjuster


class NeutralitySettings(Base):
    """A broker's tolerance (容时容差): more than ``tolerance`` upheld notices within ``window_months``
    opens a blacklist proposal."""

    __tablename__ = "neutrality_settings"

    broker_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"), primary_key=True)
    tolerance: Mapped[int] = mapped_column(Integer)
    window_months: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))


class Finding(Base):
    """A finding of unfairness against one adjuster on one case, and the notice (通报) it becomes.

    States: recorded → rejected | notified; notified → answered | upheld (by default, no answer);
    answered → upheld | withdrawn; notified → upheld | withdrawn."""

    __tablename__ = "neutrality_finding"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    number: Mapped[str] = mapped_column(String(30), unique=True)
    broker_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"), index=True)
    adjuster_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("adjuster.id", ondelete="RESTRICT"), index=True)
    firm_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("adjuster_firm.organisation_id", ondelete="RESTRICT"), index=True
    )
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[str] = mapped_column(
        String(30)
    )  # leans_to_appointer | leans_to_insured | leans_to_insurer | procedure
    severity: Mapped[str] = mapped_column(String(10))  # minor | serious
    text: Mapped[str] = mapped_column(Text)
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    state: Mapped[str] = mapped_column(String(16), index=True)
    recorded_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    reviewed_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    review_reason: Mapped[str | None] = mapped_column(Text)
    notified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)
    answer_due: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    reminded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)
    decision_reason: Mapped[str | None] = mapped_column(Text)
    by_default: Mapped[bool] = mapped_column(Boolean, default=False)
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))

    adjuster: Mapped[Adjuster] = relationship(lazy="joined")


class Proposal(Base):
    """A blacklist proposal (黑名单提议) the platform opens past the tolerance, its decision and its appeal.

    States: open → listed | not_listed; listed → appealed; appealed → lifted | upheld_on_appeal."""

    __tablename__ = "blacklist_proposal"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    broker_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"), index=True)
    adjuster_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("adjuster.id", ondelete="RESTRICT"), index=True)
    firm_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("adjuster_firm.organisation_id", ondelete="RESTRICT"), index=True
    )
    trigger: Mapped[str] = mapped_column(String(16))  # tolerance | serious
    finding_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    state: Mapped[str] = mapped_column(String(20), index=True)
    opened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    decided_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    decision_reason: Mapped[str | None] = mapped_column(Text)
    lines: Mapped[list[str]] = mapped_column(JSON, default=list)  # empty: all lines
    term_months: Mapped[int | None] = mapped_column(Integer)  # None: indefinite
    entry_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("blacklist_entry.id", ondelete="RESTRICT"))
    appeal_due: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    appeal: Mapped[str | None] = mapped_column(Text)
    appealed_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    appealed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    appeal_decided_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    appeal_decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    appeal_reason: Mapped[str | None] = mapped_column(Text)

    adjuster: Mapped[Adjuster] = relationship(lazy="joined")


class InterestDeclaration(Base):
    """An adjuster's declared interest (利害关系申报) in an insurer or insured it might meet: employment
    (counts for 2 years after it ended), a shareholding or a relative (count while they last). Routing
    excludes the adjuster from cases of that organisation with ``conflict_of_interest`` (回避)."""

    __tablename__ = "interest_declaration"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    adjuster_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("adjuster.id", ondelete="RESTRICT"), index=True)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # employment | shareholding | relative
    detail: Mapped[str] = mapped_column(Text)
    ended_on: Mapped[dt.date | None] = mapped_column(Date)  # employment ended / shares sold; None: ongoing
    declared_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    declared_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    organisation: Mapped[Organisation] = relationship(lazy="joined")


class RecusalRequest(Base):
    """A party's request that an adjuster step aside from one case (回避申请), and the broker's decision.

    States: requested → granted | refused. A granted request keeps the adjuster from the case's routing
    (``conflict_of_interest``)."""

    __tablename__ = "recusal_request"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case.id", ondelete="RESTRICT"), index=True)
    adjuster_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("adjuster.id", ondelete="RESTRICT"), index=True)
    requested_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    requesting_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"))
    reason: Mapped[str] = mapped_column(Text)
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(16))
    decided_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    decision_reason: Mapped[str | None] = mapped_column(Text)

    adjuster: Mapped[Adjuster] = relationship(lazy="joined")
