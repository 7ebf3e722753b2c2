"""Outbox handlers of the notification module: e-mail through SMTP."""

from __future__ import annotations

import datetime as dt
import smtplib
from email.message import EmailMessage
from typing import Any

from sqlalchemy.orm import Session

from tandem.config import Settings
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
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30) as smtp:
        smtp.send_message(msg)
