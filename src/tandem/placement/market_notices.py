"""Who on the insurers' side is told of a submission's events (issue 15): the underwriters of the insurer
it is addressed to, who are not parties to the placement's case (so ``tandem.case.notices``, which tells
the case's parties, does not reach them). Their link is the submission's page."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.access.models import Role, User, UserRole
from tandem.audit import service as audit
from tandem.audit.models import AuditEvent
from tandem.case import notices
from tandem.case.models import Case
from tandem.kit.i18n import DEFAULT_LOCALE
from tandem.notification.service import notify
from tandem.placement.market_models import Submission

#: Submission events the insurer's underwriters are told of (the others are its own steps).
INSURER_NOTICES = frozenset(
    {
        "submission.submitted",
        "submission.withdraw",
        "submission.accept",
        "submission.not_taken",
        "submission.message_posted",
    }
)
# The broker and the insured learn of the market's steps through the case's own table.
notices.NOTICES.update(
    {
        "placement.disclosure_given": ("insured",),
        "placement.mandate_given": ("insured",),
        "placement.disclosure_acknowledged": ("broker",),
        "placement.mandate_acknowledged": ("broker",),
        "submission.quote": ("broker", "insured"),
        "submission.decline": ("broker", "insured"),
        "submission.message_posted": ("broker",),
        "placement.bind": ("broker", "risk", "insured"),
    }
)


def _submission(session: Session, ev: AuditEvent) -> Submission | None:
    after: dict[str, Any] = ev.after or {}
    if ev.entity_type == "submission" and ev.action in INSURER_NOTICES:
        return session.get(Submission, uuid.UUID(ev.entity_id))
    deadline = str(after.get("deadline") or "")
    if ev.action.startswith("sla.") and deadline.startswith("answer:"):
        try:
            return session.get(Submission, uuid.UUID(hex=deadline.removeprefix("answer:")))
        except ValueError:
            return None
    return None


def underwriters(session: Session, insurer_id: uuid.UUID) -> list[User]:
    stmt = (
        select(User)
        .join(UserRole)
        .where(User.organisation_id == insurer_id, User.active.is_(True), UserRole.role == Role.INSURER_UNDERWRITER)
    )
    return list(session.execute(stmt).unique().scalars())


@audit.subscribe
def tell_insurer(session: Session, ev: AuditEvent) -> None:
    """Notify the addressed insurer's underwriters of a submission's event or its answer deadline."""
    if not ev.chain_key.startswith("case:"):
        return
    sub = _submission(session, ev)
    if sub is None:
        return
    case = session.get(Case, sub.case_id)
    users = [u for u in underwriters(session, sub.insurer_id) if u.id != ev.actor_user_id]
    if case is None or not users:
        return
    by_locale: dict[str, list[User]] = {}
    for user in users:
        by_locale.setdefault(user.locale or DEFAULT_LOCALE, []).append(user)
    for locale, group in by_locale.items():
        subject, body = notices.message(case, ev, locale)
        notify(
            session,
            group,
            subject=subject[:200],
            body=body,
            now=ev.occurred_at,
            link=f"/submissions/{sub.id}",
            key=f"event:{ev.chain_key}:{ev.seq}:insurer",
        )
