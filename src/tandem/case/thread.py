"""The case file's thread, for a claim or a placement alike: messages per audience, evidence uploads,
the documents and the timeline each side may read (tandem.case.audience decides who reads what)."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.access.actor import Actor
from tandem.access.models import OrgKind
from tandem.audit.models import AuditEvent
from tandem.case import audience as _audience
from tandem.case import documents
from tandem.case.models import Case
from tandem.case.service import case_id_of, record_event
from tandem.claim.models import Claim, Document, Message
from tandem.config import Settings
from tandem.kit.errors import InvalidInput


def message_event_audience(channel: str) -> list[str]:
    """An internal note is seen by its author's organisation only: its event goes to nobody's timeline."""
    return [] if channel == "internal" else list(_audience.CHANNELS[channel])


def post_message(
    session: Session, actor: Actor, subject: Claim | Case, *, audience: str, body: str, now: dt.datetime, action: str
) -> Message:
    """A message on the case thread to a channel the author belongs to (the one rule for API and pages);
    ``action`` names its audit event (``claim.message_posted``, ``placement.message_posted``)."""
    _audience.check_channel(session, actor, subject, audience)
    if not body.strip():
        raise InvalidInput("The message is empty.", fields={"body": "required"})
    msg = Message(
        case_id=case_id_of(subject),
        claim_id=subject.id if isinstance(subject, Claim) else None,
        audience=audience,
        author_id=actor.user_id,
        author_org_id=actor.org_id,
        body=body.strip(),
        created_at=now,
    )
    session.add(msg)
    session.flush()
    record_event(
        session,
        actor,
        subject,
        action,
        now=now,
        after={"message_id": str(msg.id), "channel": audience},
        audience=message_event_audience(audience),
    )
    return msg


def upload_evidence(
    session: Session,
    settings: Settings,
    actor: Actor,
    subject: Claim | Case,
    channel: str,
    filename: str | None,
    content_type: str,
    data: bytes,
    *,
    now: dt.datetime,
    action: str,
    kind: str = "evidence",
) -> Document:
    """A file for a channel the uploader belongs to, stored content-addressed (SHA-256), audited."""
    _audience.check_channel(session, actor, subject, channel, uploads=True)
    doc = documents.store_document(
        session,
        settings,
        case_id=case_id_of(subject),
        claim_id=subject.id if isinstance(subject, Claim) else None,
        kind=kind,
        filename=(filename or "upload")[:200],
        data=data,
        content_type=content_type,
        audience=_audience.upload_audience(channel),
        now=now,
        uploaded_by=actor.user_id,
    )
    record_event(
        session,
        actor,
        subject,
        action,
        now=now,
        after={"document_id": str(doc.id), "sha256": doc.sha256, "channel": channel},
        audience=_audience.upload_audience(channel),
    )
    return doc


def visible_messages(session: Session, actor: Actor, subject: Claim | Case) -> list[Message]:
    rows = session.execute(
        select(Message).where(Message.case_id == case_id_of(subject)).order_by(Message.created_at)
    ).scalars()
    v = _audience.viewer(session, actor, subject)
    return [m for m in rows if v.sees_message(m)]


def visible_documents(session: Session, actor: Actor, subject: Claim | Case) -> list[Document]:
    docs = session.execute(
        select(Document).where(Document.case_id == case_id_of(subject)).order_by(Document.created_at, Document.filename)
    ).scalars()
    v = _audience.viewer(session, actor, subject)
    return [d for d in docs if v.sees(d.audience)]


def visible_document(session: Session, actor: Actor, subject: Claim | Case, document_id: object) -> Document | None:
    """One document of the case if the actor's side is in its audience (else None: the caller 404s)."""
    try:
        key = uuid.UUID(str(document_id))
    except ValueError:
        return None
    doc = session.get(Document, key)
    if (
        doc is None
        or doc.case_id != case_id_of(subject)
        or not _audience.viewer(session, actor, subject).sees(doc.audience)
    ):
        return None
    return doc


def timeline(session: Session, actor: Actor, subject: Claim | Case) -> list[AuditEvent]:
    """The case timeline: the case's audit events whose audience names one of the actor's sides."""
    rows = session.execute(
        select(AuditEvent).where(AuditEvent.chain_key == f"case:{case_id_of(subject)}").order_by(AuditEvent.seq)
    ).scalars()
    v = _audience.viewer(session, actor, subject)
    if actor.org_kind == OrgKind.SUPERVISION:  # reads the whole record, fee terms excepted (event_after)
        return list(rows)
    return [e for e in rows if v.sees(e.audience or [])]
