"""The second factor (双因素认证): time-based one-time passwords (TOTP, RFC 6238) with pyotp.

Every user may enrol; platform administrators and broker administrators must (``required``), so they
get no session until they have. The secret is stored sealed with the server key (an HMAC-SHA256 key
stream under a random nonce), so a copy of the database alone does not give the codes. A code is
accepted once (the time step used is remembered) and within one step either side of now. Ten recovery
codes, shown once at enrolment, each stand in for a code once (only their SHA-256 is kept). Wrong codes
count against the login throttle like wrong passwords.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets

import pyotp
import segno
from sqlalchemy.orm import Session

from tandem.access.actor import Actor
from tandem.access.models import OrgKind, Role, User
from tandem.access.service import revoke_user_tokens
from tandem.audit import service as audit
from tandem.config import Settings
from tandem.kit.errors import Conflict, InvalidInput
from tandem.kit.i18n import N_

ISSUER = "Tandem"
STEP = 30
RECOVERY_CODES = 10
WRONG_CODE = N_("The code is not right; enter the 6 digits your app shows now.")
ALREADY_ON = N_("The second factor is already on.")
NOT_STARTED = N_("Start the set-up first.")
STILL_REQUIRED = N_("Your role requires the second factor; it cannot be turned off.")


def required(user: User, settings: Settings) -> bool:
    """Platform administrators and broker administrators must use a second factor (demo accounts are
    exempt, outside production only)."""
    roles = user.roles
    needs = Role.PLATFORM_ADMIN in roles or (user.organisation.kind == OrgKind.BROKER and Role.ORG_ADMIN in roles)
    return needs and not (user.mfa_exempt and not settings.is_production)


def enabled(user: User) -> bool:
    return user.totp_enabled_at is not None


def _stream(settings: Settings, nonce: bytes, n: int) -> bytes:
    return hmac.new(settings.secret_key.encode(), b"totp-seal:" + nonce, hashlib.sha256).digest()[:n]


def _seal(settings: Settings, secret: str) -> str:
    raw = base64.b32decode(secret)
    nonce = secrets.token_bytes(16)
    sealed = bytes(a ^ b for a, b in zip(raw, _stream(settings, nonce, len(raw)), strict=True))
    return "v1:" + base64.urlsafe_b64encode(nonce + sealed).decode()


def _unseal(settings: Settings, stored: str) -> str:
    blob = base64.urlsafe_b64decode(stored.removeprefix("v1:"))
    nonce, sealed = blob[:16], blob[16:]
    raw = bytes(a ^ b for a, b in zip(sealed, _stream(settings, nonce, len(sealed)), strict=True))
    return base64.b32encode(raw).decode()


def provisioning_uri(settings: Settings, user: User) -> str:
    assert user.totp_secret
    return pyotp.TOTP(_unseal(settings, user.totp_secret)).provisioning_uri(name=user.username, issuer_name=ISSUER)


def qr_data_uri(uri: str) -> str:
    """The enrolment URI as a QR code, a PNG data URI (the pages' CSP allows ``data:`` images)."""
    return str(segno.make(uri, error="m").png_data_uri(scale=5, border=2))


def secret_of(settings: Settings, user: User) -> str:
    assert user.totp_secret
    return _unseal(settings, user.totp_secret)


def start(session: Session, settings: Settings, user: User) -> str:
    """A new secret waiting for its first code (replacing one not yet confirmed); the base32 secret."""
    if enabled(user):
        raise Conflict(ALREADY_ON)
    secret = pyotp.random_base32()
    user.totp_secret = _seal(settings, secret)
    session.flush()
    return secret


def _hash_code(code: str) -> str:
    return hashlib.sha256(code.replace("-", "").lower().encode()).hexdigest()


def _matching_step(secret: str, code: str, now: dt.datetime) -> int | None:
    totp = pyotp.TOTP(secret)
    here = int(now.timestamp()) // STEP
    for step in (here - 1, here, here + 1):
        if hmac.compare_digest(totp.at(step * STEP), code):
            return step
    return None


def check(settings: Settings, user: User, code: str, now: dt.datetime) -> bool:
    """Accept a current code (once) or an unused recovery code (spending it)."""
    code = (code or "").strip().replace(" ", "")
    if not user.totp_secret or not code or len(code) > 20:
        return False
    if code.isdigit() and len(code) == 6:
        step = _matching_step(_unseal(settings, user.totp_secret), code, now)
        if step is None or step <= (user.totp_last_step or -1):
            return False
        user.totp_last_step = step
        return True
    hashed = _hash_code(code)
    if enabled(user) and hashed in (user.totp_recovery or []):
        user.totp_recovery = [h for h in user.totp_recovery if h != hashed]
        return True
    return False


def confirm(session: Session, settings: Settings, user: User, code: str, *, now: dt.datetime) -> list[str]:
    """Turn the second factor on with the first code from the app; the recovery codes, shown once."""
    if enabled(user):
        raise Conflict(ALREADY_ON)
    if not user.totp_secret:
        raise InvalidInput("Start the set-up first.", fields={"code": NOT_STARTED})
    if not check(settings, user, code, now):
        raise InvalidInput("Wrong code.", fields={"code": WRONG_CODE})
    codes = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _ in range(RECOVERY_CODES)]
    user.totp_recovery = [_hash_code(c) for c in codes]
    user.totp_enabled_at = now
    _audit(session, user, None, "user.totp_enabled", now)
    return codes


def disable(session: Session, settings: Settings, user: User, code: str, *, now: dt.datetime) -> None:
    """Turn one's own second factor off with a current code; not when one's role requires it."""
    if required(user, settings):
        raise Conflict(STILL_REQUIRED)
    if not enabled(user) or not check(settings, user, code, now):
        raise InvalidInput("Wrong code.", fields={"code": WRONG_CODE})
    _clear(user)
    _audit(session, user, None, "user.totp_disabled", now)


def reset(session: Session, actor: Actor, user: User, *, now: dt.datetime) -> None:
    """An administrator clears someone's second factor (a lost phone): their sessions and API tokens end,
    and a role that requires it makes them enrol again at their next login."""
    _clear(user)
    revoked = revoke_user_tokens(session, user.id, now=now)
    _audit(session, user, actor, "user.totp_reset", now, sessions_revoked=revoked)


def _clear(user: User) -> None:
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_recovery = []


def _audit(session: Session, user: User, actor: Actor | None, action: str, now: dt.datetime, **after: object) -> None:
    audit.record(
        session,
        actor.ref if actor else audit.ActorRef(user.id, user.organisation_id),
        action=action,
        entity_type="user",
        entity_id=user.id,
        at=now,
        chain_key=f"org:{user.organisation_id}",
        after={"totp": action == "user.totp_enabled", **after},
        request_id=actor.request_id if actor else None,
    )
