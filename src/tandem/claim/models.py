"""Claim cases (理赔案件), their participants and idempotent intake keys."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tandem.access.models import Organisation, _enum
from tandem.case.models import claim_case
from tandem.db import Base, Money, UTCDateTime, new_id
from tandem.kit.pii import Encrypted
from tandem.party.models import Adjuster
from tandem.policy.models import Policy


class Channel(enum.StrEnum):
    APP = "app"
    WEB = "web"
    PHONE = "phone"
    WECHAT = "wechat"
    WEIBO = "weibo"
    EMAIL = "email"
    API = "api"


class ClaimStatus(enum.StrEnum):
    NOTIFIED = "notified"
    ROUTED = "routed"
    ADJUSTER_ASSIGNED = "adjuster_assigned"
    SURVEYING = "surveying"
    REPORTED = "reported"
    AMOUNT_CONFIRMED = "amount_confirmed"
    NEGOTIATING = "negotiating"
    AGREED = "agreed"
    PAID = "paid"
    CLOSED = "closed"
    DISPUTED = "disputed"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"


class PartyRole(enum.StrEnum):
    BROKER = "broker"
    INSURED = "insured"
    INSURER = "insurer"
    ADJUSTER = "adjuster"
    INSURER_ADJUSTER = "insurer_adjuster"
    SUPERVISION = "supervision"


class Counter(Base):
    """Named counters for human-readable numbers (案件号), incremented with one UPDATE."""

    __tablename__ = "counter"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class Claim(Base):
    """A claim case: the shared file of one loss (理赔案件)."""

    __tablename__ = "claim"
    __table_args__ = (
        Index("ix_claim_insurer_status", "insurer_id", "status", "notified_at"),
        Index("ix_claim_broker_status", "broker_id", "status", "notified_at"),
        # Work queues (newest first, keyset): walked backwards, each row probed for participation.
        Index("ix_claim_status_notified", "status", "notified_at", "id"),
        Index("ix_claim_notified", "notified_at", "id"),
        # Search by number prefix: LIKE 'LP-2026-0001%' needs pattern ops unless the collation is C.
        Index("ix_claim_number_prefix", "number", postgresql_ops={"number": "varchar_pattern_ops"}),
        # Intake: the designated adjuster's open workload, and possible duplicates on the policy.
        Index("ix_claim_adjuster_status", "adjuster_id", "status"),
        Index("ix_claim_policy_loss", "policy_id", "loss_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    # The claim's case (案件): same id as the claim (the claim row is the case plus its own columns).
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case.id", ondelete="RESTRICT"), unique=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    policy_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("policy.id", ondelete="RESTRICT"))
    insured_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"), index=True)
    insurer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"))
    broker_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"))
    status: Mapped[ClaimStatus] = mapped_column(_enum(ClaimStatus, "claim_status"))
    channel: Mapped[Channel] = mapped_column(_enum(Channel, "channel"))
    loss_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    notified_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    routing_deadline: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    location: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text)
    estimated_loss: Mapped[Decimal | None] = mapped_column(Money)
    reporter_name: Mapped[str | None] = mapped_column(String(100))
    reporter_phone: Mapped[str | None] = mapped_column(Encrypted("phone"))  # encrypted at rest (tandem.kit.pii)
    adjuster_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("adjuster.id", ondelete="RESTRICT"))
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    # Numbers of earlier claims this notice may duplicate: flagged for a person, never merged.
    possible_duplicates: Mapped[list[str]] = mapped_column(JSON, default=list)

    policy: Mapped[Policy] = relationship(lazy="joined")
    insurer: Mapped[Organisation] = relationship(foreign_keys=[insurer_id], lazy="joined")
    adjuster: Mapped[Adjuster | None] = relationship(lazy="joined")


class Participation(Base):
    """An organisation's role in one case (参与方), claim or placement: the basis of access."""

    __tablename__ = "case_participation"
    __table_args__ = (
        UniqueConstraint("case_id", "organisation_id", "party_role"),
        # visible_cases(): "is this case one of my organisation's current cases", index-only.
        Index(
            "ix_case_participation_org_case",
            "organisation_id",
            "case_id",
            postgresql_where=text("until IS NULL"),
            sqlite_where=text("until IS NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("case.id", ondelete="RESTRICT"), index=True, default=claim_case
    )
    claim_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("claim.id", ondelete="RESTRICT"), index=True)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"), index=True)
    party_role: Mapped[PartyRole] = mapped_column(_enum(PartyRole, "party_role"))
    since: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class IdempotencyKey(Base):
    """One row per (user, Idempotency-Key): a retried POST returns the same claim."""

    __tablename__ = "idempotency_key"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    # No foreign key: the key row is written first (it is the lock that stops a concurrent retry),
    # the claim row with this id right after, in the same transaction.
    claim_id: Mapped[uuid.UUID] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class TeamRole(enum.StrEnum):
    LEAD = "lead"
    SECOND = "second"


class TeamMember(Base):
    """An adjuster working the case: the firm's lead and at least one second (资产评估法 Art. 24)."""

    __tablename__ = "claim_team_member"
    __table_args__ = (UniqueConstraint("case_id", "adjuster_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("case.id", ondelete="RESTRICT"), index=True, default=claim_case
    )
    claim_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("claim.id", ondelete="RESTRICT"), index=True)
    adjuster_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("adjuster.id", ondelete="RESTRICT"))
    role: Mapped[TeamRole] = mapped_column(_enum(TeamRole, "team_role"))
    since: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    adjuster: Mapped[Adjuster] = relationship(lazy="joined")


class Appointment(Base):
    """The confirmation letter (确认函) to the chosen firm and the firm's answer, on any case."""

    __tablename__ = "appointment"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("case.id", ondelete="RESTRICT"), index=True, default=claim_case
    )
    claim_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("claim.id", ondelete="RESTRICT"), index=True)
    firm_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"))
    adjuster_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("adjuster.id", ondelete="RESTRICT"))
    letter_no: Mapped[str] = mapped_column(String(40), unique=True)
    side: Mapped[str] = mapped_column(String(16), default="broker")  # broker | insurer (its own adjuster)
    # What the firm is instructed to do (tandem.case.letters.PURPOSES): ``adjusting`` a claim's loss, a
    # placement's ``pre_assessment``, or a bound policy's ``termination`` assessment (on the placement's case).
    purpose: Mapped[str] = mapped_column(String(16), default="adjusting", server_default="adjusting")
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(20))  # issued | accepted | declined | refused_by_broker
    # The fee terms fixed on acceptance (docs/fees.md, canonical form); ``fee_basis`` is the free text of
    # letters accepted before terms were structured, kept as agreed (migration 0023 read what it could).
    fee_terms: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    fee_basis: Mapped[str | None] = mapped_column(String(200))
    fee_payment_days: Mapped[int | None] = mapped_column(Integer)
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    decline_reason: Mapped[str | None] = mapped_column(Text)
    letter_sha256: Mapped[str | None] = mapped_column(String(64))


class AdjusterProposal(Base):
    """The broker's proposal of an adjuster to the insured when the policy designates none, and the
    insured's say (被保险人意见, R-C2): ``proposed`` until the insured agrees (``agreed``), picks another
    eligible adjuster (``other``, ``chosen_adjuster_id``) or leaves the choice to the broker
    (``left_to_broker``); ``replaced`` by a new proposal, ``appointed`` once the broker issues the letter.
    States move only through ``tandem.claim.proposal.PROPOSAL_RULES``."""

    __tablename__ = "adjuster_proposal"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("case.id", ondelete="RESTRICT"), index=True, default=claim_case
    )
    claim_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("claim.id", ondelete="RESTRICT"), index=True)
    adjuster_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("adjuster.id", ondelete="RESTRICT"))
    note: Mapped[str | None] = mapped_column(Text)
    proposed_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    proposed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(20))
    chosen_adjuster_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("adjuster.id", ondelete="RESTRICT"))
    answered_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    adjuster: Mapped[Adjuster] = relationship(foreign_keys=[adjuster_id], lazy="joined")
    chosen_adjuster: Mapped[Adjuster | None] = relationship(foreign_keys=[chosen_adjuster_id], lazy="joined")


class Survey(Base):
    """A site survey (现场查勘): appointment, then the record of what was found."""

    __tablename__ = "survey"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("case.id", ondelete="RESTRICT"), index=True, default=claim_case
    )
    claim_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("claim.id", ondelete="RESTRICT"), index=True)
    scheduled_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    surveyed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    participants: Mapped[list[str]] = mapped_column(JSON, default=list)
    notes: Mapped[str | None] = mapped_column(Text)
    photo_hashes: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))


class SurveyNote(Base):
    """A note (and photos) added to a site survey by someone who joined it, e.g. the broker's staff helping
    the adjuster (R-C3), for one audience of the case thread (``tandem.case.audience.CHANNELS``)."""

    __tablename__ = "survey_note"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("case.id", ondelete="RESTRICT"), index=True, default=claim_case
    )
    claim_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("claim.id", ondelete="RESTRICT"))
    survey_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("survey.id", ondelete="RESTRICT"), index=True)
    audience: Mapped[str] = mapped_column(String(30))
    author_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    author_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"))
    author_name: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    photo_hashes: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class Document(Base):
    """Evidence and generated documents, stored content-addressed by SHA-256."""

    __tablename__ = "document"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("case.id", ondelete="RESTRICT"), index=True, default=claim_case
    )
    claim_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("claim.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[str] = mapped_column(String(40))  # evidence | confirmation_letter | report_pdf | mou_pdf
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    audience: Mapped[list[str]] = mapped_column(JSON, default=list)
    uploaded_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class Message(Base):
    """A message on the case thread for one audience (all / broker+adjuster / broker+insurer / internal)."""

    __tablename__ = "case_message"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("case.id", ondelete="RESTRICT"), index=True, default=claim_case
    )
    claim_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("claim.id", ondelete="RESTRICT"), index=True)
    audience: Mapped[str] = mapped_column(String(30))
    author_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    author_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class Deadline(Base):
    """An SLA clock on a case (R-C2 48 h routing, 保险法 Arts. 22-25); ``holder`` has the ball."""

    __tablename__ = "deadline"
    __table_args__ = (UniqueConstraint("case_id", "kind"), Index("ix_deadline_open", "stopped_at", "due_at"))

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case.id", ondelete="RESTRICT"), default=claim_case)
    claim_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("claim.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(String(40))
    holder: Mapped[str] = mapped_column(String(20))  # party kind holding the ball
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    stopped_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    breached_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class Payment(Base):
    """An advance (预付赔款) or final payment recorded by the insurer."""

    __tablename__ = "payment"
    __table_args__ = (CheckConstraint("amount > 0", name="positive"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    claim_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("claim.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # advance | final
    amount: Mapped[Decimal] = mapped_column(Money)
    paid_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    reference: Mapped[str] = mapped_column(String(100))
    recorded_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))


class InboundMessage(Base):
    """A message from WeChat, Weibo or e-mail turned into a draft notice that a person confirms."""

    __tablename__ = "inbound_message"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    channel: Mapped[Channel] = mapped_column(_enum(Channel, "channel"))
    external_id: Mapped[str] = mapped_column(String(200))
    sender_account: Mapped[str | None] = mapped_column(String(200))
    sender_phone: Mapped[str | None] = mapped_column(Encrypted("phone"))  # encrypted at rest (tandem.kit.pii)
    text: Mapped[str] = mapped_column(Text)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    insured_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"), index=True)
    broker_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"), index=True)
    state: Mapped[str] = mapped_column(String(16))  # draft | confirmed | dismissed
    claim_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("claim.id", ondelete="RESTRICT"))


class ChannelAccount(Base):
    """An account on a messaging channel the platform trusts: a broker's own receiving account (its WeChat
    official account, Weibo account, claims mailbox), whose inbound messages belong to that broker, or
    an insured's sender id as the channel verified it (a WeChat openid bound to the insured), which
    links its messages to that insured."""

    __tablename__ = "channel_account"
    __table_args__ = (UniqueConstraint("channel", "account"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    channel: Mapped[str] = mapped_column(String(16))  # wechat | weibo | email
    account: Mapped[str] = mapped_column(String(200))
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
