"""Party registry: adjuster firms, adjusters, insurers' products, insureds, experts, blacklist."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, event, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tandem.access.models import Organisation, _enum
from tandem.db import Base, DecimalText, Money, UTCDateTime, new_id
from tandem.kit.pii import Encrypted, keep_index


class LegalForm(enum.StrEnum):
    COMPANY = "company"
    PARTNERSHIP = "partnership"


class FilingStatus(enum.StrEnum):
    """备案 status of an adjuster firm with the regulator."""

    FILED = "filed"
    PENDING = "pending"
    SUSPENDED = "suspended"
    REVOKED = "revoked"


class AdjusterFirm(Base):
    """Adjuster firm (保险公估机构): a company or partnership with a 备案 filing."""

    __tablename__ = "adjuster_firm"

    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisation.id", ondelete="RESTRICT"), primary_key=True
    )
    legal_form: Mapped[LegalForm] = mapped_column(_enum(LegalForm, "legal_form"))
    filing_no: Mapped[str] = mapped_column(String(40), unique=True)
    filing_status: Mapped[FilingStatus] = mapped_column(_enum(FilingStatus, "filing_status"))
    capital: Mapped[Decimal] = mapped_column(Money)
    business_area: Mapped[list[str]] = mapped_column(JSON, default=list)  # ["全国"] or provinces
    lines: Mapped[list[str]] = mapped_column(JSON, default=list)

    organisation: Mapped[Organisation] = relationship(lazy="joined")
    adjusters: Mapped[list[Adjuster]] = relationship(back_populates="firm", order_by="Adjuster.name")


class Adjuster(Base):
    """Practising adjuster (公估师) with a qualification certificate and practice registration.

    ``firm_id`` and ``registration_no`` are those of the current 执业登记 (:class:`Registration`), kept
    here in the same transaction as every registration change, so whatever reads the firm (routing, the
    register, the blacklist) reads the current one; the history is in ``registrations``."""

    __tablename__ = "adjuster"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    firm_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("adjuster_firm.organisation_id", ondelete="RESTRICT"), index=True
    )
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    # Encrypted at rest (tandem.kit.pii); unique and looked up by its blind index.
    id_number: Mapped[str | None] = mapped_column(Encrypted("id_number"))
    id_number_bidx: Mapped[str | None] = mapped_column(String(64), unique=True)
    certificate_no: Mapped[str] = mapped_column(String(40), unique=True)
    # 执业登记: one firm only, hence unique across the register.
    registration_no: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str | None] = mapped_column(String(60))
    lines: Mapped[list[str]] = mapped_column(JSON, default=list)
    regions: Mapped[list[str]] = mapped_column(JSON, default=list)
    capacity: Mapped[int] = mapped_column(Integer, default=10)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    firm: Mapped[AdjusterFirm] = relationship(back_populates="adjusters", lazy="joined")
    sanctions: Mapped[list[Sanction]] = relationship(lazy="selectin", order_by="Sanction.starts_on")
    registrations: Mapped[list[Registration]] = relationship(
        lazy="selectin", order_by="[Registration.starts_on, Registration.created_at]", viewonly=True
    )
    checks: Mapped[list[RegistrationCheck]] = relationship(
        lazy="selectin", order_by="[RegistrationCheck.checked_on, RegistrationCheck.created_at]", viewonly=True
    )


# The states of a registration in which it is open (the practitioner's current one): at most one.
OPEN_REGISTRATION = ("registered", "leaving")


class Registration(Base):
    """A practice registration (执业登记) of a practitioner through one firm, from ``starts_on`` to
    ``ends_on``: ``registered`` → ``leaving`` (the practitioner left on ``left_on``; the firm must
    deregister within 5 working days, ``deregister_by``) → ``deregistered``; or ``ended`` when another
    firm registers the practitioner (a move). At most one open registration per practitioner."""

    __tablename__ = "registration"
    __table_args__ = (
        Index(
            "uq_registration_open",
            "adjuster_id",
            unique=True,
            sqlite_where=text("state IN ('registered', 'leaving')"),
            postgresql_where=text("state IN ('registered', 'leaving')"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    adjuster_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("adjuster.id", ondelete="RESTRICT"), index=True)
    firm_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("adjuster_firm.organisation_id", ondelete="RESTRICT"), index=True
    )
    registration_no: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(16))
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date | None] = mapped_column(Date)
    left_on: Mapped[dt.date | None] = mapped_column(Date)
    deregister_by: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))

    firm: Mapped[AdjusterFirm] = relationship(lazy="joined")


class RegistrationCheck(Base):
    """A verification record (执业登记核验): who looked the practitioner's registration up where, when, and
    what they found (``passed`` | ``failed`` | ``not_found``). Never changed once written."""

    __tablename__ = "registration_check"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    adjuster_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("adjuster.id", ondelete="RESTRICT"), index=True)
    registration_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("registration.id", ondelete="RESTRICT"))
    source: Mapped[str] = mapped_column(String(30))
    result: Mapped[str] = mapped_column(String(16))
    checked_on: Mapped[dt.date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    checked_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    checked_by_org: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    checker: Mapped[Organisation | None] = relationship(foreign_keys=[checked_by_org], lazy="joined", viewonly=True)


class Sanction(Base):
    """An administrative or criminal sanction that bars practice for a period: ``kind`` is ``suspension``
    (暂停执业), ``ban`` (禁止执业) or ``criminal_penalty`` (刑事处罚: barred until 5 years after the sentence
    is served, ``sentence_ends_on``, 资产评估法 Art. 11), ``other`` before the codes were kept."""

    __tablename__ = "sanction"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    adjuster_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("adjuster.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    authority: Mapped[str] = mapped_column(String(100))
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    decision_no: Mapped[str | None] = mapped_column(String(60))
    sentence_ends_on: Mapped[dt.date | None] = mapped_column(Date)
    recorded_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    recorded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


_EMPTY_LIST = text("'[]'")


class ProductStatus(enum.StrEnum):
    """An insurer's product: prepared (``draft``), offered to the market, or no longer offered."""

    DRAFT = "draft"
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"


class InsurerProduct(Base):
    """An insurer's product (保险产品): its lines (险种), fund management mode (险资管理模式), scope of
    cover (perils covered and excluded, codes of :mod:`tandem.party.cover`), capacity, and what the
    premium engine needs (``premium.md``): rates per section type in ‰, the factors' ranges and the
    coefficient's bounds, the minimum premium and the short-period method.

    ``rates`` is ``[{"section_type", "rate_permille"}]`` and ``factors`` ``[{"code", "min", "max"}]``,
    the figures as decimal strings (never floats)."""

    __tablename__ = "insurer_product"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    insurer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"), index=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[ProductStatus] = mapped_column(
        _enum(ProductStatus, "product_status"), default=ProductStatus.DRAFT, server_default="published"
    )
    lines: Mapped[list[str]] = mapped_column(JSON, default=list, server_default=_EMPTY_LIST)
    fund_mode: Mapped[str] = mapped_column(String(60))
    # The scope of cover in words (the column's name from before the perils were kept apart).
    summary: Mapped[str] = mapped_column("scope", Text)
    perils_covered: Mapped[list[str]] = mapped_column(JSON, default=list, server_default=_EMPTY_LIST)
    perils_excluded: Mapped[list[str]] = mapped_column(JSON, default=list, server_default=_EMPTY_LIST)
    currency: Mapped[str] = mapped_column(String(3), default="CNY", server_default="CNY")
    capacity: Mapped[Decimal | None] = mapped_column(Money)  # the largest sum insured per risk
    rates: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list, server_default=_EMPTY_LIST)
    factors: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list, server_default=_EMPTY_LIST)
    coefficient_min: Mapped[Decimal | None] = mapped_column(DecimalText)
    coefficient_max: Mapped[Decimal | None] = mapped_column(DecimalText)
    minimum_premium: Mapped[Decimal] = mapped_column(Money, default=Decimal(0), server_default="0")
    short_period: Mapped[str] = mapped_column(String(16), default="table", server_default="table")
    valid_from: Mapped[dt.date | None] = mapped_column(Date)
    valid_until: Mapped[dt.date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    insurer: Mapped[Organisation] = relationship(lazy="joined")


class Insurer(Base):
    """An insurer's record (保险公司): its standing as it discloses it each quarter under C-ROSS (偿二代):
    the comprehensive solvency ratio (综合偿付能力充足率, in %) and the integrated risk rating
    (风险综合评级, A to D), as of a date."""

    __tablename__ = "insurer"

    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisation.id", ondelete="RESTRICT"), primary_key=True
    )
    solvency_ratio: Mapped[Decimal | None] = mapped_column(DecimalText)
    risk_rating: Mapped[str | None] = mapped_column(String(1))
    standing_as_of: Mapped[dt.date | None] = mapped_column(Date)
    # The underwriting process as the insurer declares it (承保流程, R-U6): its steps in order and the
    # turnaround in working days from a complete submission to a quote.
    underwriting_steps: Mapped[list[str]] = mapped_column(JSON, default=list, server_default=_EMPTY_LIST)
    underwriting_days: Mapped[int | None] = mapped_column(Integer)

    organisation: Mapped[Organisation] = relationship(lazy="joined")


class InsuredKind(enum.StrEnum):
    COMPANY = "company"
    PERSON = "person"


class Insured(Base):
    """Insured (被保险人): a company (USCC) or a person (resident ID number)."""

    __tablename__ = "insured"
    __table_args__ = (
        CheckConstraint(
            "(kind = 'company' AND uscc IS NOT NULL) OR (kind = 'person' AND id_number IS NOT NULL)", name="identifier"
        ),
    )

    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisation.id", ondelete="RESTRICT"), primary_key=True
    )
    kind: Mapped[InsuredKind] = mapped_column(_enum(InsuredKind, "insured_kind"))
    uscc: Mapped[str | None] = mapped_column(String(18), unique=True)
    # Encrypted at rest (tandem.kit.pii); unique and looked up by their blind indexes.
    id_number: Mapped[str | None] = mapped_column(Encrypted("id_number"))
    id_number_bidx: Mapped[str | None] = mapped_column(String(64), unique=True)
    contact_name: Mapped[str | None] = mapped_column(String(100))
    contact_phone: Mapped[str | None] = mapped_column(Encrypted("phone"))
    contact_phone_bidx: Mapped[str | None] = mapped_column(String(64), index=True)
    address: Mapped[str | None] = mapped_column(String(300))
    broker_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"))

    organisation: Mapped[Organisation] = relationship(foreign_keys=[organisation_id], lazy="joined")


class Visibility(enum.StrEnum):
    PRIVATE = "private"
    PARTNERS = "partners"
    NAMED = "named"


class Expert(Base):
    """An expert (专家) in the broker's or an adjuster firm's pool (专家库)."""

    __tablename__ = "expert"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    external_id: Mapped[str | None] = mapped_column(String(40), unique=True)
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    title: Mapped[str | None] = mapped_column(String(100))
    employer: Mapped[str | None] = mapped_column(String(200))
    specialties: Mapped[list[str]] = mapped_column(JSON, default=list)
    lines: Mapped[list[str]] = mapped_column(JSON, default=list)
    regions: Mapped[list[str]] = mapped_column(JSON, default=list)
    certificates: Mapped[list[str]] = mapped_column(JSON, default=list)
    years: Mapped[int | None] = mapped_column(Integer)
    bio: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(Encrypted("phone"))  # encrypted at rest (tandem.kit.pii)
    email: Mapped[str | None] = mapped_column(String(200))
    fee_basis: Mapped[str | None] = mapped_column(String(200))
    visibility: Mapped[Visibility] = mapped_column(_enum(Visibility, "visibility"), default=Visibility.PARTNERS)
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Bumped on every write: the search index reconciles with the database by (count, max updated_at).
    updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)

    owner: Mapped[Organisation] = relationship(lazy="joined")


class ExpertShare(Base):
    """An expert shared by name with one organisation (visibility ``named``)."""

    __tablename__ = "expert_share"

    expert_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("expert.id", ondelete="CASCADE"), primary_key=True)
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisation.id", ondelete="RESTRICT"), primary_key=True, index=True
    )


class BlacklistEntry(Base):
    """The broker's blacklist (黑名单) entry against an adjuster or a whole adjuster firm."""

    __tablename__ = "blacklist_entry"
    __table_args__ = (CheckConstraint("adjuster_id IS NOT NULL OR firm_id IS NOT NULL", name="target"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    broker_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"), index=True)
    adjuster_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("adjuster.id", ondelete="RESTRICT"), index=True)
    firm_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("adjuster_firm.organisation_id", ondelete="RESTRICT"), index=True
    )
    reason: Mapped[str] = mapped_column(Text)
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_until: Mapped[dt.date | None] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(16), default="active")  # active | lifted | ended
    # The lines (险种) the listing covers; empty: all lines.
    lines: Mapped[list[str]] = mapped_column(JSON, default=list, server_default=text("'[]'"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))

    adjuster: Mapped[Adjuster | None] = relationship(lazy="joined")
    firm: Mapped[AdjusterFirm | None] = relationship(lazy="joined")


keep_index(Adjuster.id_number, "id_number_bidx", "id_number")
keep_index(Insured.id_number, "id_number_bidx", "id_number")
keep_index(Insured.contact_phone, "contact_phone_bidx", "phone")


class PiiAccess(Base):
    """One view of a full personal identifier (an ID or phone number unmasked on an explicit "show"): who
    (``user_id`` of ``organisation_id``), what (``subject_kind`` + ``subject_id`` + ``field``), when
    (``at``), why (``reason``). Append-only (a trigger refuses UPDATE and DELETE) and never deleted by the
    application, so it is kept well past the 6 months of CSL Art. 21 (docs/security.md, "Access log")."""

    __tablename__ = "pii_access"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"), index=True)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"), index=True)
    subject_kind: Mapped[str] = mapped_column(String(16))  # insured | adjuster
    subject_id: Mapped[uuid.UUID] = mapped_column(index=True)
    field: Mapped[str] = mapped_column(String(32))  # id_number | contact_phone
    reason: Mapped[str] = mapped_column(Text)


class AppendOnly(RuntimeError):
    """An UPDATE or DELETE of an append-only record (the database's trigger refuses it too)."""


@event.listens_for(PiiAccess, "before_update")
@event.listens_for(PiiAccess, "before_delete")
def _pii_access_is_append_only(_mapper: Any, _conn: Any, target: PiiAccess) -> None:
    raise AppendOnly(f"the access log is append-only: entry {target.id} cannot be changed or deleted")
