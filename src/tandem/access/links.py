"""One-time links sent by e-mail (一次性链接): invitations to join an organisation and password resets.

A link's token is never stored: it is the HMAC of the link's id under the server key (``secret_key``),
so the database holds only its SHA-256 and the outbox job that mails it carries the id alone. A link is
pending until it is used (once: the state changes in one conditional UPDATE) or replaced; past its
expiry it is refused like an unknown one, with one answer for every case (no way to tell them apart).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
import uuid
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from tandem.access import passwords
from tandem.access.actor import Actor
from tandem.access.models import ROLES_BY_KIND, AccessLink, Organisation, Role, User
from tandem.access.permissions import Perm
from tandem.access.service import create_user, hasher, revoke_user_tokens
from tandem.audit import service as audit
from tandem.config import Settings
from tandem.kit import transition
from tandem.kit.errors import ActionNotAllowed, InvalidInput, NotFound, TandemError
from tandem.kit.i18n import N_
from tandem.notification.outbox import enqueue

INVITE, RESET = "invite", "reset"
MAIL_TOPIC = "access.link_mail"
# A new reset link is mailed at most this often per account (a stranger cannot flood someone's inbox).
RESET_RESEND = dt.timedelta(minutes=5)
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

BAD_EMAIL = N_("Enter an e-mail address such as name@example.com.")
NAME_REQUIRED = N_("Enter the person's name.")
ROLE_REQUIRED = N_("Choose at least one role.")
ROLE_NOT_ALLOWED = N_("This role does not belong to this kind of organisation.")

# A link is used once or replaced by a newer one; either way it is spent.
LINK_RULES: transition.Table = {
    ("pending", "use"): transition.Rule(to="used", by=frozenset()),
    ("pending", "replace"): transition.Rule(to="revoked", by=frozenset()),
}


class LinkInvalid(TandemError):
    status = 410
    code = "link.invalid"
    message = "This link is no longer valid: it has expired, was already used or was replaced by a newer one."


def token_for(settings: Settings, link_id: uuid.UUID) -> str:
    mac = hmac.new(settings.secret_key.encode(), b"access-link:" + link_id.bytes, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def link_url(settings: Settings, link: AccessLink) -> str:
    """The page that takes the link (under /login, where the pre-session CSRF cookie lives)."""
    path = "invitation" if link.purpose == INVITE else "reset"
    return f"{settings.public_url.rstrip('/')}/login/{path}/{token_for(settings, link.id)}"


def _create(
    session: Session,
    settings: Settings,
    *,
    purpose: str,
    organisation_id: uuid.UUID,
    email: str,
    now: dt.datetime,
    ttl: dt.timedelta,
    user_id: uuid.UUID | None = None,
    detail: dict[str, Any] | None = None,
    created_by: uuid.UUID | None = None,
) -> AccessLink:
    """A pending link and the outbox job that mails it, in the caller's transaction."""
    link = AccessLink(
        id=uuid.uuid4(),
        purpose=purpose,
        organisation_id=organisation_id,
        user_id=user_id,
        email=email,
        detail=detail or {},
        state="pending",
        created_by=created_by,
        created_at=now,
        expires_at=now + ttl,
    )
    link.token_hash = _hash(token_for(settings, link.id))
    session.add(link)
    session.flush()
    enqueue(session, MAIL_TOPIC, {"link_id": str(link.id)}, now=now, dedupe_key=f"link:{link.id}")
    return link


def _replace_pending(session: Session, *conditions: Any) -> None:
    rule = transition.resolve(LINK_RULES, "pending", "replace", frozenset())
    session.execute(update(AccessLink).where(AccessLink.state == "pending", *conditions).values(state=rule.to))


def find(session: Session, token: str, purpose: str, *, now: dt.datetime) -> AccessLink:
    """The pending, unexpired link of this token; else LinkInvalid (one answer for every reason)."""
    if not token or len(token) > 100:
        raise LinkInvalid()
    link = session.execute(select(AccessLink).where(AccessLink.token_hash == _hash(token))).scalar_one_or_none()
    if link is None or link.purpose != purpose or link.state != "pending" or link.expires_at <= now:
        raise LinkInvalid()
    return link


def _spend(session: Session, link: AccessLink, now: dt.datetime) -> None:
    """Mark the link used, once: of two requests racing with the same token only one succeeds."""
    rule = transition.resolve(LINK_RULES, link.state, "use", frozenset())
    done = session.execute(
        update(AccessLink)
        .where(AccessLink.id == link.id, AccessLink.state == "pending")
        .values(state=rule.to, used_at=now)
        .returning(AccessLink.id)
    ).first()
    if done is None:
        raise LinkInvalid()


# ---- invitations ---------------------------------------------------------------------------------


def managed_organisation(session: Session, actor: Actor, org_id: object) -> Organisation:
    """An organisation whose people the actor administers: its own (with the right role) or, for the
    platform admin, any. Someone else's is the same 404 as none; one's own without the role is 403."""
    try:
        oid = org_id if isinstance(org_id, uuid.UUID) else uuid.UUID(str(org_id))
    except ValueError:
        raise NotFound() from None
    if oid != actor.org_id and not actor.is_admin:
        raise NotFound()
    org = session.get(Organisation, oid)
    if org is None:
        raise NotFound()
    if not actor.can(Perm.MANAGE_USERS):
        raise ActionNotAllowed()
    return org


def check_roles(org: Organisation, roles: list[Role], errors: dict[str, str]) -> None:
    if not roles:
        errors["roles"] = ROLE_REQUIRED
    elif any(r not in ROLES_BY_KIND[org.kind] for r in roles):
        errors["roles"] = ROLE_NOT_ALLOWED


def normalise_email(email: str) -> str | None:
    email = (email or "").strip()
    return email if len(email) <= 200 and EMAIL_RE.match(email) else None


def invite(
    session: Session,
    settings: Settings,
    actor: Actor | None,
    org: Organisation,
    *,
    email: str,
    display_name: str,
    roles: list[Role],
    now: dt.datetime,
) -> AccessLink:
    """Invite someone to ``org`` by e-mail with these roles (the caller checked the actor may); a pending
    invitation of the same address to the same organisation is replaced."""
    errors: dict[str, str] = {}
    address = normalise_email(email)
    if address is None:
        errors["email"] = BAD_EMAIL
    name = (display_name or "").strip()
    if not name or len(name) > 100:
        errors["display_name"] = NAME_REQUIRED
    check_roles(org, roles, errors)
    if errors:
        raise InvalidInput("Invitation not accepted.", fields=errors)
    assert address is not None
    _replace_pending(
        session,
        AccessLink.purpose == INVITE,
        AccessLink.organisation_id == org.id,
        func.lower(AccessLink.email) == address.lower(),
    )
    ordered = sorted({r.value for r in roles})
    link = _create(
        session,
        settings,
        purpose=INVITE,
        organisation_id=org.id,
        email=address,
        now=now,
        ttl=dt.timedelta(hours=settings.invite_ttl_hours),
        detail={"display_name": name, "roles": ordered},
        created_by=actor.user_id if actor else None,
    )
    audit.record(
        session,
        actor.ref if actor else audit.SYSTEM,
        action="user.invited",
        entity_type="organisation",
        entity_id=org.id,
        at=now,
        chain_key=f"org:{org.id}",
        after={"invitation_id": str(link.id), "email": address, "roles": ordered},
        request_id=actor.request_id if actor else None,
    )
    return link


def pending_invitations(session: Session, org_id: uuid.UUID, now: dt.datetime) -> list[AccessLink]:
    """An organisation's invitations not yet accepted and still open, newest first."""
    stmt = select(AccessLink).where(
        AccessLink.organisation_id == org_id,
        AccessLink.purpose == INVITE,
        AccessLink.state == "pending",
        AccessLink.expires_at > now,
    )
    return list(session.execute(stmt.order_by(AccessLink.created_at.desc())).scalars())


def invitation(session: Session, token: str, *, now: dt.datetime) -> tuple[AccessLink, Organisation]:
    link = find(session, token, INVITE, now=now)
    org = session.get(Organisation, link.organisation_id)
    if org is None or not org.active:
        raise LinkInvalid()
    return link, org


def accept_invitation(
    session: Session, settings: Settings, token: str, *, username: str, password: str, now: dt.datetime
) -> User:
    """The invited person picks a username and sets a password: the account exists from now on, with the
    invitation's name, e-mail and roles. Bad input leaves the link unused."""
    link, org = invitation(session, token, now=now)
    user = create_user(
        session,
        settings,
        organisation=org,
        username=username.strip(),
        display_name=str(link.detail.get("display_name") or username),
        password=password,
        roles=[Role(r) for r in link.detail.get("roles", [])],
        at=now,
        actor=audit.ActorRef(link.created_by, org.id) if link.created_by else audit.SYSTEM,
        email=link.email,
    )
    _spend(session, link, now)
    link.user_id = user.id
    audit.record(
        session,
        audit.ActorRef(user.id, org.id),
        action="user.invitation_accepted",
        entity_type="user",
        entity_id=user.id,
        at=now,
        chain_key=f"org:{org.id}",
        after={"invitation_id": str(link.id), "username": user.username},
    )
    return user


# ---- password reset ------------------------------------------------------------------------------


def request_reset(session: Session, settings: Settings, login: str, *, now: dt.datetime) -> int:
    """Mail a reset link to each active account whose username or e-mail address is ``login``; how many
    were sent is for tests and logs only: the caller answers the same whatever it is."""
    login = (login or "").strip()
    if not login or len(login) > 200:
        return 0
    users = session.execute(
        select(User).where(
            User.active.is_(True),
            User.email.is_not(None),
            or_(User.username == login, func.lower(User.email) == login.lower()),
        )
    ).scalars()
    sent = 0
    for user in users:
        if not user.organisation.active or _recently_sent(session, user.id, now):
            continue
        assert user.email is not None
        link = _create(
            session,
            settings,
            purpose=RESET,
            organisation_id=user.organisation_id,
            email=user.email,
            now=now,
            ttl=dt.timedelta(minutes=settings.reset_ttl_minutes),
            user_id=user.id,
        )
        audit.record(
            session,
            audit.SYSTEM,
            action="user.password_reset_requested",
            entity_type="user",
            entity_id=user.id,
            at=now,
            chain_key=f"org:{user.organisation_id}",
            after={"link_id": str(link.id)},
        )
        sent += 1
    return sent


def _recently_sent(session: Session, user_id: uuid.UUID, now: dt.datetime) -> bool:
    stmt = select(AccessLink.id).where(
        AccessLink.user_id == user_id,
        AccessLink.purpose == RESET,
        AccessLink.state == "pending",
        AccessLink.created_at > now - RESET_RESEND,
    )
    return session.execute(stmt).first() is not None


def reset_user(session: Session, token: str, *, now: dt.datetime) -> tuple[AccessLink, User]:
    link = find(session, token, RESET, now=now)
    user = session.get(User, link.user_id) if link.user_id else None
    if user is None or not user.active or not user.organisation.active:
        raise LinkInvalid()
    return link, user


def reset_password(session: Session, settings: Settings, token: str, *, new_password: str, now: dt.datetime) -> User:
    """Set a new password through a reset link: every session and API token of the account ends, and
    every other reset link of it is spent. The second factor is untouched (it is still asked at login)."""
    link, user = reset_user(session, token, now=now)
    refused = passwords.problem(new_password, own=[user.username, user.display_name, user.email])
    if refused:
        raise InvalidInput("Password not accepted.", fields={"new_password": refused})
    _spend(session, link, now)
    _replace_pending(session, AccessLink.purpose == RESET, AccessLink.user_id == user.id)
    user.password_hash = hasher(settings).hash(new_password)
    revoked = revoke_user_tokens(session, user.id, now=now)
    audit.record(
        session,
        audit.ActorRef(user.id, user.organisation_id),
        action="user.password_reset",
        entity_type="user",
        entity_id=user.id,
        at=now,
        chain_key=f"org:{user.organisation_id}",
        after={"link_id": str(link.id), "sessions_revoked": revoked},
    )
    return user
