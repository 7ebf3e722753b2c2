"""Notify users: an in-app row at once, and one e-mail digest per user per window (批量通知)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from tandem.access.models import User, UserRole
from tandem.db import insert_or_skip
from tandem.kit.i18n import DEFAULT_LOCALE, translate_message
from tandem.notification.models import Notification
from tandem.notification.outbox import enqueue

DIGEST_WINDOW = dt.timedelta(minutes=15)


def _window_end(now: dt.datetime) -> dt.datetime:
    epoch = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    n = (now - epoch) // DIGEST_WINDOW
    return epoch + (n + 1) * DIGEST_WINDOW


def notify(
    session: Session,
    users: list[User],
    *,
    subject: str,
    body: str,
    now: dt.datetime,
    link: str | None = None,
    key: str | None = None,
) -> None:
    """In-app notification for each user (idempotent by ``key``) and a digest e-mail job per window."""
    for u in users:  # without a key there is nothing to conflict on (NULLs are distinct)
        session.execute(
            insert_or_skip(session, Notification, "dedupe_key").values(
                user_id=u.id,
                subject=subject,
                body=body,
                link=link,
                created_at=now,
                dedupe_key=f"{key}:{u.id}" if key else None,
            )
        )
        if u.email:
            end = _window_end(now)
            enqueue(
                session,
                "notification.digest",
                {"user_id": str(u.id), "until": end.isoformat()},
                now=now,
                not_before=end,
                dedupe_key=f"digest:{u.id}:{end.isoformat()}",
            )


def org_users(session: Session, org_id: uuid.UUID | None, roles: Iterable[str]) -> list[User]:
    """The active users of an organisation holding one of ``roles``."""
    if org_id is None:
        return []
    stmt = (
        select(User)
        .join(UserRole, UserRole.user_id == User.id)
        .where(User.organisation_id == org_id, UserRole.role.in_(list(roles)), User.active.is_(True))
    )
    return list(session.execute(stmt).unique().scalars())


def tell(
    session: Session,
    users: Sequence[User],
    subject: str,
    body: str,
    params: dict[str, Any],
    *,
    link: str,
    key: str,
    now: dt.datetime,
) -> None:
    """Notify each user once per ``key``, the msgids ``subject`` and ``body`` in the user's language."""
    groups: dict[str, list[User]] = {}
    for user in users:
        groups.setdefault(user.locale or DEFAULT_LOCALE, []).append(user)
    for lang, group in groups.items():
        text = {k: translate_message(v, params, lang) for k, v in (("subject", subject), ("body", body))}
        notify(session, group, **text, now=now, link=link, key=key)


def inbox(session: Session, user_id: uuid.UUID, limit: int = 50) -> list[Notification]:
    return list(
        session.execute(
            select(Notification)
            .where(Notification.user_id == user_id)
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .limit(limit)
        ).scalars()
    )


def unread_count(session: Session, user_id: object) -> int:
    stmt = (
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
    )
    return int(session.execute(stmt).scalar_one())


def mark_read(session: Session, user_id: uuid.UUID, now: dt.datetime) -> int:
    result = session.execute(
        update(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None)).values(read_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)
