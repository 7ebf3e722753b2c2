"""Signing in with the second factor, and the login history (登录记录) of each account.

Every attempt on a known account is kept: when, from which address and browser, through the pages or
the API, and what came of it. Attempts on unknown usernames are not (there is no account to show them
to); the throttle counts them all the same.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.access import service, totp
from tandem.access.models import LoginEvent, User
from tandem.config import Settings

SUCCESS = "success"
WRONG_PASSWORD = "wrong_password"  # noqa: S105 - an outcome code, not a password
WRONG_CODE = "wrong_code"
THROTTLED = "throttled"
CODE_NEEDED = "code_needed"  # the password was right; a TOTP code is asked next
ENROLMENT_REQUIRED = "enrolment_required"  # the password was right; the second factor must be set up
HISTORY_LIMIT = 50


@dataclass(frozen=True)
class Attempt:
    """Where an attempt came from, as the login history shows it."""

    channel: str  # web | api
    client: str | None
    agent: str | None


@dataclass(frozen=True)
class SignIn:
    outcome: str
    user: User | None = None
    retry_after: int = 0


def record(session: Session, user_id: uuid.UUID, outcome: str, attempt: Attempt, now: dt.datetime) -> None:
    session.add(
        LoginEvent(
            user_id=user_id,
            at=now,
            outcome=outcome,
            channel=attempt.channel,
            client=(attempt.client or "")[:64] or None,
            user_agent=(attempt.agent or "")[:200] or None,
        )
    )
    session.flush()


def history(session: Session, user_id: uuid.UUID, limit: int = HISTORY_LIMIT) -> list[LoginEvent]:
    stmt = select(LoginEvent).where(LoginEvent.user_id == user_id).order_by(LoginEvent.at.desc(), LoginEvent.id.desc())
    return list(session.execute(stmt.limit(limit)).scalars())


def _known(session: Session, username: str) -> uuid.UUID | None:
    return session.execute(select(User.id).where(User.username == username)).scalar_one_or_none()


def password_step(
    session: Session, settings: Settings, username: str, password: str, attempt: Attempt, now: dt.datetime
) -> SignIn:
    """Check the password: ``success`` when no second factor is on or required, else what comes next."""
    result = service.authenticate(session, settings, username, password, client=attempt.client, now=now)
    if result.throttled:
        known = _known(session, username)
        if known is not None:
            record(session, known, THROTTLED, attempt, now)
        return SignIn(THROTTLED, retry_after=result.retry_after)
    user = result.user
    if user is None:
        if result.attempted is not None:
            record(session, result.attempted, WRONG_PASSWORD, attempt, now)
        return SignIn(WRONG_PASSWORD)
    if totp.enabled(user):
        return SignIn(CODE_NEEDED, user)
    if totp.required(user, settings):
        record(session, user.id, ENROLMENT_REQUIRED, attempt, now)
        return SignIn(ENROLMENT_REQUIRED, user)
    record(session, user.id, SUCCESS, attempt, now)
    return SignIn(SUCCESS, user)


def code_step(
    session: Session, settings: Settings, user: User, code: str, attempt: Attempt, now: dt.datetime
) -> SignIn:
    """Check the TOTP (or recovery) code after a right password; a wrong one counts like a wrong password."""
    wait = service.retry_after(session, settings, user.username, attempt.client, now)
    if wait > 0:
        record(session, user.id, THROTTLED, attempt, now)
        return SignIn(THROTTLED, retry_after=wait)
    if not totp.check(settings, user, code, now):
        service.note_failure(session, settings, user.username, attempt.client, now)
        record(session, user.id, WRONG_CODE, attempt, now)
        return SignIn(WRONG_CODE)
    record(session, user.id, SUCCESS, attempt, now)
    return SignIn(SUCCESS, user)


def sign_in(
    session: Session,
    settings: Settings,
    username: str,
    password: str,
    code: str | None,
    attempt: Attempt,
    now: dt.datetime,
) -> SignIn:
    """Both steps at once (the API): the password, then the code when the account has a second factor."""
    first = password_step(session, settings, username, password, attempt, now)
    if first.outcome != CODE_NEEDED or first.user is None:
        return first
    if not code:
        return first
    return code_step(session, settings, first.user, code, attempt, now)
