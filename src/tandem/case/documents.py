"""Documents on a case (evidence, letters, reports, MoUs): bytes stored content-addressed by SHA-256."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.claim.models import Document
from tandem.config import Settings
from tandem.kit.storage import store_for


def store_document(
    session: Session,
    settings: Settings,
    *,
    case_id: uuid.UUID,
    claim_id: uuid.UUID | None = None,
    kind: str,
    filename: str,
    data: bytes,
    content_type: str,
    audience: list[str],
    now: dt.datetime,
    uploaded_by: uuid.UUID | None = None,
) -> Document:
    """Store bytes content-addressed and register them on the case (idempotent per hash and kind);
    ``claim_id`` repeats the case for a claim's documents."""
    digest = store_for(settings.var_dir).put(data)
    existing = session.execute(
        select(Document).where(Document.case_id == case_id, Document.sha256 == digest, Document.kind == kind)
    ).scalar_one_or_none()
    if existing:
        return existing
    doc = Document(
        case_id=case_id,
        claim_id=claim_id,
        kind=kind,
        filename=filename,
        content_type=content_type,
        size=len(data),
        sha256=digest,
        audience=audience,
        uploaded_by=uploaded_by,
        created_at=now,
    )
    session.add(doc)
    session.flush()
    return doc
