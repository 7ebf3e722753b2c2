"""Organisations, users, roles, API tokens and browser sessions (组织、用户、角色)."""

from __future__ import annotations

import datetime as dt
import enum
import uuid

from sqlalchemy import Boolean, Enum, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tandem.db import Base, UTCDateTime, new_id


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


# Which roles an organisation kind may hold.
ROLES_BY_KIND: dict[OrgKind, frozenset[Role]] = {
    OrgKind.BROKER: frozenset({Role.BROKER_ACCOUNT_MANAGER, Role.BROKER_RISK_EVALUATOR}),
    OrgKind.ADJUSTER_FIRM: frozenset({Role.ADJUSTER, Role.ADJUSTER_FIRM_ADMIN}),
    OrgKind.INSURER: frozenset({Role.INSURER_CLAIMS_HANDLER, Role.INSURER_UNDERWRITER}),
    OrgKind.INSURED: frozenset({Role.INSURED_CONTACT}),
    OrgKind.SUPERVISION: frozenset({Role.REGULATOR_VIEWER}),
    OrgKind.PLATFORM: frozenset({Role.PLATFORM_ADMIN}),
}


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
    phone: Mapped[str | None] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(200))
    locale: Mapped[str | None] = mapped_column(String(10))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

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
