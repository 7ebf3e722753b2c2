"""What the neutrality steps share: who may act, the compare-and-set move of a state, the audit event and
the notification of those concerned (in each recipient's language)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.access.actor import Actor
from tandem.access.models import OrgKind, Role, User, UserRole
from tandem.audit import service as audit
from tandem.kit.errors import ActionNotAllowed
from tandem.kit.i18n import DEFAULT_LOCALE, N_, gettext, translate_message
from tandem.notification.service import notify
from tandem.party.models import Adjuster

SYSTEM_ROLE = "system"  # the worker acting at a deadline
SYSTEM_ROLES = frozenset({SYSTEM_ROLE})
EVALUATORS = frozenset({Role.BROKER_RISK_EVALUATOR.value})
MANAGERS = frozenset({Role.BROKER_ACCOUNT_MANAGER.value})
BROKER_STAFF = EVALUATORS | MANAGERS
ADJUSTER_SIDE = frozenset({Role.ADJUSTER.value, Role.ADJUSTER_FIRM_ADMIN.value})

# What each event is called in a notification (msgids; the audit action is the key).
EVENTS = {
    "neutrality.finding_recorded": N_("A finding of unfairness awaits a second reviewer"),
    "neutrality.finding_rejected": N_("The finding was rejected by the second reviewer"),
    "neutrality.notice_issued": N_("Notice {number} (通报) of unfairness: you may answer by {due}"),
    "neutrality.answer_reminder": N_("Reminder: the answer to notice {number} is due by {due}"),
    "neutrality.notice_answered": N_("The adjuster answered notice {number}"),
    "neutrality.notice_upheld": N_("Notice {number} was upheld"),
    "neutrality.notice_upheld_by_default": N_("Notice {number} was upheld: no answer by the deadline"),
    "neutrality.notice_withdrawn": N_("Notice {number} was withdrawn"),
    "neutrality.proposal_opened": N_("Blacklist proposal for {adjuster}: a decision is needed"),
    "neutrality.listed": N_("{adjuster} is on the blacklist until {until}; you may appeal by {due}"),
    "neutrality.not_listed": N_("Blacklist proposal for {adjuster}: no listing"),
    "neutrality.appealed": N_("{adjuster} appealed against the blacklist decision"),
    "neutrality.appeal_granted": N_("Appeal granted: {adjuster} is no longer on the blacklist"),
    "neutrality.appeal_dismissed": N_("Appeal dismissed: {adjuster} stays on the blacklist"),
    "neutrality.listing_ended": N_("The blacklist entry of {adjuster} has ended"),
    "neutrality.recusal_requested": N_("{case}: a party asks that {adjuster} step aside (回避)"),
    "neutrality.recusal_granted": N_("Recusal granted: {adjuster} steps aside from the case"),
    "neutrality.recusal_refused": N_("Recusal refused: {adjuster} stays on the case"),
}
REASON = N_("Reasons: {reason}")
INDEFINITE = N_("further notice")


def roles_of(actor: Actor) -> frozenset[str]:
    return frozenset(r.value for r in actor.roles)


def require_broker(actor: Actor, roles: frozenset[str]) -> None:
    if actor.org_kind != OrgKind.BROKER or not (roles_of(actor) & roles):
        raise ActionNotAllowed()


def speaks_for(actor: Actor, adjuster: Adjuster) -> bool:
    """The adjuster itself, or an administrator of its firm (answers and appeals)."""
    if actor.org_kind != OrgKind.ADJUSTER_FIRM or actor.org_id != adjuster.firm_id:
        return False
    return adjuster.user_id == actor.user_id or Role.ADJUSTER_FIRM_ADMIN in actor.roles


def record(
    session: Session,
    actor: Actor | None,
    action: str,
    entity: Any,
    *,
    at: dt.datetime,
    broker_id: uuid.UUID,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str | None = None,
) -> None:
    """The audit event of a step, on the broker's chain (every step of the regime is the broker's)."""
    audit.record(
        session,
        actor.ref if actor else audit.SYSTEM,
        action=action,
        entity_type=entity.__tablename__,
        entity_id=entity.id,
        at=at,
        chain_key=f"org:{broker_id}",
        before=before,
        after=after,
        reason=reason,
        request_id=actor.request_id if actor else None,
    )


def users_with_role(session: Session, org_id: uuid.UUID, role: Role) -> list[User]:
    stmt = (
        select(User)
        .join(UserRole)
        .where(User.organisation_id == org_id, User.active.is_(True), UserRole.role == role)
        .order_by(User.username)
    )
    return list(session.execute(stmt).unique().scalars())


def adjuster_side(session: Session, adjuster: Adjuster) -> list[User]:
    """The adjuster's own login and its firm's administrators."""
    users = users_with_role(session, adjuster.firm_id, Role.ADJUSTER_FIRM_ADMIN)
    own = session.get(User, adjuster.user_id) if adjuster.user_id else None
    if own is not None and own.active:
        users.append(own)
    return users


def tell(
    session: Session,
    users: list[User],
    action: str,
    *,
    at: dt.datetime,
    link: str,
    key: str,
    params: dict[str, Any] | None = None,
    reason: str | None = None,
    skip: uuid.UUID | None = None,
) -> None:
    """Notify each user once, in the user's language; never the one who acted (``skip``)."""
    by_locale: dict[str, dict[uuid.UUID, User]] = {}
    for u in users:
        if u.id != skip:
            by_locale.setdefault(u.locale or DEFAULT_LOCALE, {})[u.id] = u
    for locale, group in by_locale.items():
        subject = translate_message(EVENTS[action], _localised(params or {}, locale), locale)
        body = [subject]
        if reason:
            body.append(translate_message(REASON, {"reason": reason}, locale))
        notify(session, list(group.values()), subject=subject[:200], body="\n".join(body), now=at, link=link, key=key)


def _localised(params: dict[str, Any], locale: str) -> dict[str, Any]:
    return {k: gettext(INDEFINITE, locale) if v is None else v for k, v in params.items()}
