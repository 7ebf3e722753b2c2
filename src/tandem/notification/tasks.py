"""Outbox handlers of the notification module: e-mail through SMTP."""

from __future__ import annotations

import datetime as dt
import hashlib
import smtplib
import uuid
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.access.models import User
from tandem.config import Settings
from tandem.notification.models import Notification
from tandem.worker.registry import task


@task("notification.email")
def send_email(session: Session, payload: dict[str, Any], now: dt.datetime, settings: Settings) -> None:
    """Send one e-mail. The Message-ID is derived from the job so a resend after a crash is recognisable."""
    msg = EmailMessage()
    msg["From"] = settings.mail_from
    msg["To"] = payload["to"]
    msg["Subject"] = payload["subject"]
    msg["Message-ID"] = f"<{payload.get('key', 'tandem')}@tandem>"
    msg.set_content(payload["body"])
    if settings.mail_dir:
        _drop(Path(settings.mail_dir), payload.get("key", "tandem"), msg)
        return
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30) as smtp:
        smtp.send_message(msg)


def _drop(folder: Path, key: str, msg: EmailMessage) -> None:
    """Write the message as ``<key>.eml`` (a resend after a crash replaces the same file), atomically."""
    folder.mkdir(parents=True, exist_ok=True)
    name = hashlib.sha256(key.encode()).hexdigest()[:32]
    tmp = folder / f".{name}.tmp"
    tmp.write_bytes(msg.as_bytes())
    tmp.replace(folder / f"{name}.eml")


@task("notification.digest")
def send_digest(session: Session, payload: dict[str, Any], now: dt.datetime, settings: Settings) -> None:
    """One e-mail with every notification of the window not yet e-mailed; marks them in the same
    transaction, so a crash before commit resends the same digest (same Message-ID), never a partial one."""
    user = session.get(User, uuid.UUID(payload["user_id"]))
    until = dt.datetime.fromisoformat(payload["until"])
    if user is None or not user.email:
        return
    rows = list(
        session.execute(
            select(Notification)
            .where(Notification.user_id == user.id, Notification.emailed_at.is_(None), Notification.created_at < until)
            .order_by(Notification.created_at)
        ).scalars()
    )
    if not rows:
        return
    body = "\n\n".join(f"· {n.subject}\n  {n.body}" for n in rows)
    subject = rows[0].subject if len(rows) == 1 else f"Tandem：{len(rows)} 条新通知"
    send_email(
        session,
        {"to": user.email, "subject": subject, "body": body, "key": f"digest-{user.id}-{until.isoformat()}"},
        now,
        settings,
    )
    for n in rows:
        n.emailed_at = now
