"""Users, passwords (argon2id), API tokens, browser sessions and login throttling."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import secrets
import uuid
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload

from tandem.access import passwords
from tandem.access.actor import Actor
from tandem.access.models import ROLES_BY_KIND, ApiToken, LoginThrottle, Organisation, Role, User, UserRole
from tandem.access.permissions import Perm
from tandem.audit import service as audit
from tandem.config import Settings
from tandem.kit.errors import ActionNotAllowed, Conflict, InvalidInput, NotFound
from tandem.kit.i18n import N_


def hasher(settings: Settings) -> PasswordHasher:
    return PasswordHasher(
        time_cost=settings.argon2_time_cost,
        memory_cost=settings.argon2_memory_cost,
        parallelism=settings.argon2_parallelism,
    )


_DUMMY: dict[tuple[int, int, int], str] = {}
# Between the password and the second factor: ``mfa`` waits for a TOTP code, ``enrol`` for the set-up a
# required second factor asks for. Neither is a session: no page or endpoint accepts them.
PENDING_KINDS = frozenset({"mfa", "enrol"})
WRONG_CURRENT = N_("The current password is not right.")
SAME_PASSWORD = N_("The new password is the same as the current one.")


def _dummy_hash(ph: PasswordHasher) -> str:
    key = (ph.time_cost, ph.memory_cost, ph.parallelism)
    if key not in _DUMMY:
        _DUMMY[key] = ph.hash(secrets.token_hex(8))
    return _DUMMY[key]


def create_user(
    session: Session,
    settings: Settings,
    *,
    organisation: Organisation,
    username: str,
    display_name: str,
    password: str,
    roles: list[Role],
    at: dt.datetime,
    actor: audit.ActorRef = audit.SYSTEM,
    email: str | None = None,
    phone: str | None = None,
) -> User:
    """Create a user of one organisation with roles that organisation's kind may hold."""
    if not username or len(username) > 64 or not username.replace("_", "").replace(".", "").isalnum():
        raise InvalidInput("Invalid username.", fields={"username": "letters, digits, . and _ only"})
    refused = passwords.problem(password, own=[username, display_name, email])
    if refused:
        raise InvalidInput("Password not accepted.", fields={"password": refused})
    if not roles:
        raise InvalidInput("At least one role is required.", fields={"roles": "at least one role"})
    allowed = ROLES_BY_KIND[organisation.kind]
    bad = [r.value for r in roles if r not in allowed]
    if bad:
        raise InvalidInput(
            "Role not allowed for this organisation.",
            fields={"roles": f"not allowed for {organisation.kind.value}: {', '.join(bad)}"},
        )
    if session.execute(select(User.id).where(User.username == username)).first():
        raise Conflict("Username already taken.", fields={"username": "already taken"})
    user = User(
        organisation_id=organisation.id,
        username=username,
        display_name=display_name,
        password_hash=hasher(settings).hash(password),
        created_at=at,
        email=email,
        phone=phone,
    )
    user.organisation = organisation
    user.role_rows = [UserRole(role=r) for r in sorted(set(roles))]
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor,
        action="user.created",
        entity_type="user",
        entity_id=user.id,
        at=at,
        chain_key=f"org:{organisation.id}",
        after={"username": username, "roles": sorted(r.value for r in roles)},
    )
    return user


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    throttled: bool = False
    retry_after: int = 0  # seconds, when throttled
    attempted: uuid.UUID | None = None  # the account a wrong password was tried on (login history)


def _throttle_keys(username: str, client: str | None) -> list[str]:
    keys = [f"user:{username.lower()}"]
    if client:
        keys.append(f"ip:{client}")
    return keys


def backoff_seconds(settings: Settings, key: str, failures: int) -> int:
    """How long a key waits after its latest failure: nothing within its free attempts (per account, or
    more per address, as many people may share one), then the base doubling per failure, capped."""
    free = settings.login_max_attempts if key.startswith("user:") else settings.login_address_max_attempts
    if failures < free:
        return 0
    doublings = min(failures - free, 30)
    return min(settings.login_backoff_seconds << doublings, settings.login_backoff_max_seconds)


def _forgotten(settings: Settings, row: LoginThrottle, now: dt.datetime) -> bool:
    return row.window_start <= now - dt.timedelta(hours=settings.login_forget_hours)


def _retry_after(session: Session, settings: Settings, keys: list[str], now: dt.datetime) -> int:
    """Seconds until every key may try again (0: now)."""
    wait = 0.0
    for row in session.execute(select(LoginThrottle).where(LoginThrottle.key.in_(keys))).scalars():
        if _forgotten(settings, row, now):
            continue
        until = row.window_start + dt.timedelta(seconds=backoff_seconds(settings, row.key, row.failures))
        wait = max(wait, (until - now).total_seconds())
    return math.ceil(wait)


def _note_failure(session: Session, settings: Settings, keys: list[str], now: dt.datetime) -> None:
    for key in keys:
        row = session.execute(select(LoginThrottle).where(LoginThrottle.key == key)).scalar_one_or_none()
        if row is None:
            session.add(LoginThrottle(key=key, window_start=now, failures=1))
        elif _forgotten(settings, row, now):
            row.window_start, row.failures = now, 1
        else:
            row.window_start, row.failures = now, row.failures + 1
    session.flush()


def authenticate(
    session: Session, settings: Settings, username: str, password: str, *, client: str | None, now: dt.datetime
) -> LoginResult:
    """Check a password; failures count against the username and the client address separately, each
    backing off exponentially. An attempt while either waits is refused unchecked and not counted."""
    keys = _throttle_keys(username, client)
    wait = _retry_after(session, settings, keys, now)
    if wait > 0:
        return LoginResult(None, throttled=True, retry_after=wait)
    ph = hasher(settings)
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    ok = False
    if user is not None and user.active and user.organisation.active:
        try:
            ok = ph.verify(user.password_hash, password)
        except (VerificationError, InvalidHashError):
            ok = False
        if ok and ph.check_needs_rehash(user.password_hash):
            user.password_hash = ph.hash(password)
    else:
        try:  # spend the same time for unknown users
            ph.verify(_dummy_hash(ph), password)
        except VerificationError:
            pass
    if not ok:
        _note_failure(session, settings, keys, now)
        return LoginResult(None, attempted=user.id if user is not None else None)
    session.execute(update(LoginThrottle).where(LoginThrottle.key == keys[0]).values(failures=0))
    return LoginResult(user)


def note_failure(session: Session, settings: Settings, username: str, client: str | None, now: dt.datetime) -> None:
    """Count a failed second step (a wrong TOTP code) like a wrong password."""
    _note_failure(session, settings, _throttle_keys(username, client), now)


def retry_after(session: Session, settings: Settings, username: str, client: str | None, now: dt.datetime) -> int:
    return _retry_after(session, settings, _throttle_keys(username, client), now)


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(
    session: Session, settings: Settings, user: User, *, now: dt.datetime, kind: str = "api"
) -> tuple[str, ApiToken]:
    token = secrets.token_urlsafe(32)
    ttl = dt.timedelta(hours=settings.token_ttl_hours if kind == "api" else settings.session_ttl_hours)
    if kind in PENDING_KINDS:
        ttl = dt.timedelta(minutes=settings.mfa_pending_minutes)
    row = ApiToken(
        user_id=user.id,
        token_hash=_hash_token(token),
        kind=kind,
        created_at=now,
        expires_at=now + ttl,
        csrf_token=secrets.token_urlsafe(24) if kind == "web" else None,
    )
    session.add(row)
    session.flush()
    return token, row


def resolve_token(
    session: Session, token: str, *, now: dt.datetime, kind: str | None = None
) -> tuple[User, ApiToken] | None:
    found = (
        session.execute(
            select(ApiToken, User)
            .join(User, User.id == ApiToken.user_id)
            .options(joinedload(User.role_rows))  # one round trip per request
            .where(ApiToken.token_hash == _hash_token(token))
        )
        .unique()
        .first()
    )
    if found is None:
        return None
    row, user = found
    if row.revoked_at is not None or row.expires_at <= now or (kind is not None and row.kind != kind):
        return None
    if not user.active or not user.organisation.active:
        return None
    return user, row


def live_tokens(session: Session, user_id: uuid.UUID, *, now: dt.datetime) -> list[ApiToken]:
    """A user's browser sessions and API tokens that still work, newest first."""
    stmt = (
        select(ApiToken)
        .where(
            ApiToken.user_id == user_id,
            ApiToken.revoked_at.is_(None),
            ApiToken.expires_at > now,
            ApiToken.kind.not_in(PENDING_KINDS),
        )
        .order_by(ApiToken.created_at.desc(), ApiToken.id)
    )
    return list(session.execute(stmt).scalars())


def revoke_own_token(session: Session, actor: Actor, token_id: str, *, now: dt.datetime) -> None:
    """Revoke one of the actor's own sessions or tokens; anybody else's (or no such) is 404."""
    try:
        tid = uuid.UUID(token_id)
    except ValueError:
        raise NotFound() from None
    done = session.execute(
        update(ApiToken)
        .where(ApiToken.id == tid, ApiToken.user_id == actor.user_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
        .returning(ApiToken.kind)
    ).first()
    if done is None:
        raise NotFound()
    audit.record(
        session,
        actor.ref,
        action="user.token_revoked",
        entity_type="user",
        entity_id=actor.user_id,
        at=now,
        after={"token_id": str(tid), "kind": done.kind},
        request_id=actor.request_id,
    )


def revoke_user_tokens(session: Session, user_id: uuid.UUID, *, now: dt.datetime, keep: uuid.UUID | None = None) -> int:
    """Revoke every live session and API token of a user (but ``keep``); how many were revoked."""
    stmt = update(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
    if keep is not None:
        stmt = stmt.where(ApiToken.id != keep)
    return len(session.execute(stmt.values(revoked_at=now).returning(ApiToken.id)).all())


@dataclass(frozen=True)
class PasswordChangeResult:
    """What became of a password change: done, throttled (``retry_after`` seconds), or refused with a
    message per field. Returned, not raised, so a wrong current password's failure is committed."""

    retry_after: int = 0
    fields: dict[str, str] | None = None

    @property
    def done(self) -> bool:
        return not self.retry_after and not self.fields


def change_password(
    session: Session,
    settings: Settings,
    actor: Actor,
    *,
    current: str,
    new: str,
    client: str | None,
    now: dt.datetime,
    keep: uuid.UUID | None,
) -> PasswordChangeResult:
    """Change the actor's own password after checking the current one (a wrong one counts against the
    login throttle, so this is no way round it); every other session and API token is revoked."""
    checked = authenticate(session, settings, actor.username, current, client=client, now=now)
    if checked.throttled:
        return PasswordChangeResult(retry_after=checked.retry_after)
    user = checked.user
    if user is None or user.id != actor.user_id:
        return PasswordChangeResult(fields={"current_password": WRONG_CURRENT})
    refused = passwords.problem(new, own=[user.username, user.display_name, user.email])
    if refused is None and new == current:
        refused = SAME_PASSWORD
    if refused:
        return PasswordChangeResult(fields={"new_password": refused})
    user.password_hash = hasher(settings).hash(new)
    revoked = revoke_user_tokens(session, user.id, now=now, keep=keep)
    audit.record(
        session,
        actor.ref,
        action="user.password_changed",
        entity_type="user",
        entity_id=user.id,
        at=now,
        after={"sessions_revoked": revoked},
        request_id=actor.request_id,
    )
    return PasswordChangeResult()


def deactivate_user(session: Session, actor: Actor, user_id: str, *, now: dt.datetime) -> User:
    """Deactivate a person of the actor's organisation (the admin: any); their sessions and API tokens
    are revoked in the same transaction. Oneself cannot be deactivated (409)."""
    if not actor.can(Perm.MANAGE_USERS):
        raise ActionNotAllowed()
    try:
        uid = uuid.UUID(user_id)
    except ValueError:
        raise NotFound() from None
    user = session.get(User, uid)
    if user is None or (user.organisation_id != actor.org_id and not actor.is_admin):
        raise NotFound()
    if user.id == actor.user_id:
        raise Conflict("You cannot deactivate yourself.")
    revoked = 0
    if user.active:
        user.active = False
        revoked = revoke_user_tokens(session, user.id, now=now)
        audit.record(
            session,
            actor.ref,
            action="user.deactivated",
            entity_type="user",
            entity_id=user.id,
            at=now,
            chain_key=f"org:{user.organisation_id}",
            after={"active": False, "sessions_revoked": revoked},
            request_id=actor.request_id,
        )
    return user


def revoke_token(session: Session, token: str, *, now: dt.datetime) -> None:
    session.execute(
        update(ApiToken)
        .where(ApiToken.token_hash == _hash_token(token), ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def users_of(session: Session, actor: Actor, org_id: uuid.UUID) -> list[User]:
    """People of an organisation: own organisation, or any for the platform admin."""
    if org_id != actor.org_id and not actor.is_admin:
        raise NotFound()
    return list(session.execute(select(User).where(User.organisation_id == org_id).order_by(User.username)).scalars())


def create_user_as(
    session: Session,
    settings: Settings,
    actor: Actor,
    *,
    organisation_id: uuid.UUID,
    username: str,
    display_name: str,
    password: str,
    roles: list[Role],
    at: dt.datetime,
    email: str | None = None,
    phone: str | None = None,
) -> User:
    if not actor.can(Perm.MANAGE_USERS):
        raise ActionNotAllowed()
    if organisation_id != actor.org_id and not actor.is_admin:
        raise NotFound()
    org = session.get(Organisation, organisation_id)
    if org is None:
        raise NotFound()
    return create_user(
        session,
        settings,
        organisation=org,
        username=username,
        display_name=display_name,
        password=password,
        roles=roles,
        at=at,
        actor=actor.ref,
        email=email,
        phone=phone,
    )


def set_locale(session: Session, actor: Actor, locale: str | None) -> None:
    """The user's language preference (zh_CN or en); None falls back to cookie and browser."""
    session.execute(update(User).where(User.id == actor.user_id).values(locale=locale))
