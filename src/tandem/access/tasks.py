"""Outbox handler of the access module: the e-mail that carries a one-time link (invitation, reset)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy.orm import Session

from tandem.access import links
from tandem.access.models import AccessLink, Organisation, User
from tandem.config import Settings
from tandem.kit.i18n import N_, format_local, translate_message
from tandem.notification.tasks import send_email
from tandem.worker.registry import task

INVITE_SUBJECT = N_("Invitation to {organisation} on Tandem")
INVITE_BODY = N_(
    "{inviter} invites you to join {organisation} on Tandem as {name}.\n\n"
    "Open this link to choose your username and set your password (it works once, until {expires}):\n"
    "{url}\n\nIf you did not expect this invitation, ignore this e-mail."
)
RESET_SUBJECT = N_("Reset your Tandem password")
RESET_BODY = N_(
    "Someone asked to reset the password of the Tandem account {username}.\n\n"
    "Open this link to set a new one (it works once, until {expires}):\n{url}\n\n"
    "If it was not you, ignore this e-mail: your password stays as it is."
)


@task(links.MAIL_TOPIC)
def send_link(session: Session, payload: dict[str, Any], now: dt.datetime, settings: Settings) -> None:
    """Mail a pending link; one already used, replaced or expired is not sent (nothing to do)."""
    link = session.get(AccessLink, uuid.UUID(payload["link_id"]))
    if link is None or link.state != "pending" or link.expires_at <= now:
        return
    user = session.get(User, link.user_id) if link.user_id else None
    locale = (user.locale if user else None) or settings.default_locale
    params = {
        "url": links.link_url(settings, link),
        "expires": format_local(link.expires_at, locale, "yyyy-MM-dd HH:mm"),
    }
    if link.purpose == links.INVITE:
        org = session.get(Organisation, link.organisation_id)
        inviter = session.get(User, link.created_by) if link.created_by else None
        params |= {
            "organisation": org.name if org else "",
            "inviter": inviter.display_name if inviter else "Tandem",
            "name": str(link.detail.get("display_name", "")),
        }
        subject, body = INVITE_SUBJECT, INVITE_BODY
    else:
        params["username"] = user.username if user else ""
        subject, body = RESET_SUBJECT, RESET_BODY
    mail = {
        "to": link.email,
        "subject": translate_message(subject, params, locale),
        "body": translate_message(body, params, locale),
        "key": f"link-{link.id}",
    }
    send_email(session, mail, now, settings)
