"""Organisations, users, roles, API tokens and browser sessions (组织、用户、角色)."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Enum, ForeignKey, Integer, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tandem.db import Base, UTCDateTime, new_id
from tandem.kit.pii import Encrypted, keep_index


class OrgKind(enum.StrEnum):
    BROKER = "broker"
    ADJUSTER_FIRM = "adjuster_firm"
    INSURER = "insurer"
    INSURED = "insured"
    SUPERVISION = "supervision"
    PLATFORM = "platform"


class Role(enum.StrEnum):
    BROKER_ACCOUNT_MANAGER = "broker_account_manager"
    BROKER_RISK_EVALUATOR = "broker_risk_evaluator"
    ADJUSTER = "adjuster"
    ADJUSTER_FIRM_ADMIN = "adjuster_firm_admin"
    INSURER_CLAIMS_HANDLER = "insurer_claims_handler"
    INSURER_UNDERWRITER = "insurer_underwriter"
    INSURED_CONTACT = "insured_contact"
    REGULATOR_VIEWER = "regulator_viewer"
    PLATFORM_ADMIN = "platform_admin"
    # The administrator of a broker, insurer, insured or supervision organisation: invites its people,
    # gives and takes their roles, deactivates them (an adjuster firm's is ADJUSTER_FIRM_ADMIN).
    ORG_ADMIN = "org_admin"


# Which roles an organisation kind may hold.
ROLES_BY_KIND: dict[OrgKind, frozenset[Role]] = {
    OrgKind.BROKER: frozenset({Role.BROKER_ACCOUNT_MANAGER, Role.BROKER_RISK_EVALUATOR, Role.ORG_ADMIN}),
    OrgKind.ADJUSTER_FIRM: frozenset({Role.ADJUSTER, Role.ADJUSTER_FIRM_ADMIN}),
    OrgKind.INSURER: frozenset({Role.INSURER_CLAIMS_HANDLER, Role.INSURER_UNDERWRITER, Role.ORG_ADMIN}),
    OrgKind.INSURED: frozenset({Role.INSURED_CONTACT, Role.ORG_ADMIN}),
    OrgKind.SUPERVISION: frozenset({Role.REGULATOR_VIEWER, Role.ORG_ADMIN}),
    OrgKind.PLATFORM: frozenset({Role.PLATFORM_ADMIN}),
}


def admin_role(kind: OrgKind) -> Role:
    """The role that administers an organisation of this kind (invites and manages its people)."""
    return {OrgKind.PLATFORM: Role.PLATFORM_ADMIN, OrgKind.ADJUSTER_FIRM: Role.ADJUSTER_FIRM_ADMIN}.get(
        kind, Role.ORG_ADMIN
    )


ADMIN_ROLES = frozenset({Role.PLATFORM_ADMIN, Role.ADJUSTER_FIRM_ADMIN, Role.ORG_ADMIN})


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    return Enum(cls, name=name, native_enum=False, length=32, values_callable=lambda e: [m.value for m in e])


class Organisation(Base):
    """A party on the platform: broker, adjuster firm (公估机构), insurer, insured, supervision."""

    __tablename__ = "organisation"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    kind: Mapped[OrgKind] = mapped_column(_enum(OrgKind, "org_kind"), index=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    name_en: Mapped[str | None] = mapped_column(String(200))
    uscc: Mapped[str | None] = mapped_column(String(18), unique=True)
    region: Mapped[str | None] = mapped_column(String(40))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    users: Mapped[list[User]] = relationship(back_populates="organisation", order_by="User.username")


class User(Base):
    __tablename__ = "user_account"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"), index=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(200))
    # Encrypted at rest (tandem.kit.pii); inbound messages are linked by its blind index.
    phone: Mapped[str | None] = mapped_column(Encrypted("phone"))
    phone_bidx: Mapped[str | None] = mapped_column(String(64), index=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    locale: Mapped[str | None] = mapped_column(String(10))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    # TOTP second factor (tandem.access.totp): the secret sealed with the server key, when it was enabled,
    # the last time step used (a code is never accepted twice), the recovery codes' SHA-256 hashes.
    totp_secret: Mapped[str | None] = mapped_column(String(120))
    totp_enabled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    totp_recovery: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    # Demo accounts only (tandem.demo): not made to enrol in TOTP although their role requires it;
    # ignored when TANDEM_ENV=production.
    mfa_exempt: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    organisation: Mapped[Organisation] = relationship(back_populates="users", lazy="joined")
    role_rows: Mapped[list[UserRole]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="UserRole.role"
    )

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(r.role for r in self.role_rows)


class UserRole(Base):
    __tablename__ = "user_role"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[Role] = mapped_column(_enum(Role, "role"), primary_key=True)


class ApiToken(Base):
    """A bearer token; only its SHA-256 is stored."""

    __tablename__ = "api_token"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16), default="api")  # api | web
    csrf_token: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class LoginThrottle(Base):
    """Failed login attempts per key (username or client address): how many since the key was last
    forgiven, and when the latest was (``window_start``, the column's name from before the backoff)."""

    __tablename__ = "login_throttle"
    __table_args__ = (UniqueConstraint("key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(200))
    window_start: Mapped[dt.datetime] = mapped_column(UTCDateTime)  # the latest failure
    failures: Mapped[int] = mapped_column(Integer, default=0)


class AccessLink(Base):
    """A one-time link sent by e-mail: an invitation to join an organisation (``invite``) or a password
    reset (``reset``). Only the SHA-256 of its token is stored; the token itself is an HMAC of the link's
    id under the server key, so the outbox job that mails it carries the id only. Used once, then spent."""

    __tablename__ = "access_link"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    purpose: Mapped[str] = mapped_column(String(16))  # invite | reset
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"), index=True)
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"), index=True)
    email: Mapped[str] = mapped_column(String(200))
    # An invitation's display name and roles.
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(16), default="pending")  # pending | used | revoked
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class LoginEvent(Base):
    """One sign-in attempt on a known account (登录记录): when, from where, how, and what came of it."""

    __tablename__ = "login_event"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"), index=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    # success | wrong_password | wrong_code | throttled | enrolment_required
    outcome: Mapped[str] = mapped_column(String(24))
    channel: Mapped[str] = mapped_column(String(8))  # web | api
    client: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(200))


keep_index(User.phone, "phone_bidx", "phone")
