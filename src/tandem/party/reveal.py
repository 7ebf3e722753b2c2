"""Showing a full personal identifier on request (regulation.md §2.5, JR/T 0171: C2 data masked for
display). Every view and answer masks ID and phone numbers; a person whose role needs the full value
asks for it explicitly, for one field of one subject, giving a reason, and each such view is written to
the access log (:class:`~tandem.party.models.PiiAccess`: who, what, when, why), which the organisation's
administrator exports as CSV. The log is append-only and nothing deletes it."""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.access import scope
from tandem.access.actor import Actor
from tandem.access.models import Organisation, OrgKind, User
from tandem.access.permissions import Perm
from tandem.kit.clock import SHANGHAI
from tandem.kit.errors import ActionNotAllowed, InvalidInput
from tandem.kit.i18n import N_
from tandem.kit.limits import reason_text
from tandem.party.models import Adjuster, Insured, PiiAccess

# The fields each kind of subject can show in full.
FIELDS: dict[str, tuple[str, ...]] = {"insured": ("id_number", "contact_phone"), "adjuster": ("id_number",)}
NOT_A_FIELD = N_("Choose from the list.")


@dataclass(frozen=True)
class Revealed:
    subject_kind: str
    subject_id: uuid.UUID
    field: str
    value: str | None


def may_reveal_insured(actor: Actor, insured: Insured) -> bool:
    """The insured itself, the platform's administrators, and the broker's and insurer's staff whose
    role needs personal identifiers (Perm.SEE_PERSONAL_IDS)."""
    return (
        actor.is_admin
        or actor.org_id == insured.organisation_id
        or (actor.org_kind in (OrgKind.BROKER, OrgKind.INSURER) and actor.can(Perm.SEE_PERSONAL_IDS))
    )


def may_reveal_adjuster(actor: Actor, adjuster: Adjuster) -> bool:
    """The adjuster's own firm and the platform's administrators."""
    return actor.is_admin or (actor.org_kind == OrgKind.ADJUSTER_FIRM and actor.org_id == adjuster.firm_id)


def _checked(kind: str, field: str, reason: str) -> str:
    if field not in FIELDS[kind]:
        raise InvalidInput(NOT_A_FIELD, fields={"field": "one of " + ", ".join(FIELDS[kind])})
    return reason_text(reason)


def reveal(
    session: Session, actor: Actor, kind: str, subject_id: str | uuid.UUID, field: str, reason: str, at: dt.datetime
) -> Revealed:
    """The full value of ``field`` of the subject, logged. A subject the actor cannot see: NotFound (as
    for a missing one); one it sees without a role that needs the full value: ActionNotAllowed."""
    subject: Insured | Adjuster
    if kind == "insured":
        subject = scope.get_insured(session, actor, subject_id)
        allowed, sid = may_reveal_insured(actor, subject), subject.organisation_id
    else:
        subject = scope.get_adjuster(session, actor, subject_id)
        allowed, sid = may_reveal_adjuster(actor, subject), subject.id
    why = _checked(kind, field, reason)
    if not allowed:
        raise ActionNotAllowed()
    value = getattr(subject, field)
    if value is not None:  # who (user, organisation), what (subject, field), when, why
        entry = PiiAccess(at=at, user_id=actor.user_id, organisation_id=actor.org_id, reason=why)
        entry.subject_kind, entry.subject_id, entry.field = kind, sid, field
        session.add(entry)
    return Revealed(kind, sid, field, value)


def may_export(actor: Actor) -> bool:
    """An organisation's administrators (its own views), the platform's (everyone's)."""
    return actor.can(Perm.MANAGE_USERS)


def entries(session: Session, actor: Actor, limit: int | None = None) -> list[tuple[PiiAccess, str, str]]:
    """The access log the actor may read, newest first, with each viewer's user name and organisation."""
    if not may_export(actor):
        raise ActionNotAllowed()
    stmt = (
        select(PiiAccess, User.username, Organisation.name)
        .join(User, User.id == PiiAccess.user_id)
        .join(Organisation, Organisation.id == PiiAccess.organisation_id)
        .order_by(PiiAccess.at.desc(), PiiAccess.id)
    )
    if not actor.is_admin:
        stmt = stmt.where(PiiAccess.organisation_id == actor.org_id)
    if limit is not None:
        stmt = stmt.limit(limit)
    return [(row[0], row[1], row[2]) for row in session.execute(stmt)]


CSV_HEADER = ("at_utc", "at_shanghai", "user", "organisation", "subject_kind", "subject_id", "field", "reason")


def entries_csv(session: Session, actor: Actor) -> str:
    buf = io.StringIO()
    out = csv.writer(buf)
    out.writerow(CSV_HEADER)
    for e, user, org in entries(session, actor):
        out.writerow(
            [
                e.at.isoformat(),
                e.at.astimezone(SHANGHAI).isoformat(),
                user,
                org,
                e.subject_kind,
                str(e.subject_id),
                e.field,
                _cell(e.reason),
            ]
        )
    return buf.getvalue()


def _cell(text: str) -> str:
    """A spreadsheet does not run a cell that starts like a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
