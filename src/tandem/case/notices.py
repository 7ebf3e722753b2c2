"""Who is told of what on a case (通知表): one table from the case's audit events to the parties whose turn
it is. Every state change writes an audit event in its transaction, so the in-app notification (and the
e-mail digest, ``notification.service.notify``) is written in the same transaction as the step itself.

Recipients by party: ``broker`` (account managers), ``risk`` (the broker's risk evaluators), ``insurer``
(claims handlers), ``insured`` (contacts), ``firm_a``/``firm_b`` (the broker's / the insurer's adjuster
firm: its administrators and its adjusters on the case), ``firms`` (both), ``other_firm`` (the firm that
did not act), ``named_firm`` (the firm the event names: the letter's addressee), ``added_adjuster`` (the
adjuster just put on the team), ``holder`` (whoever holds a deadline) and ``everyone``. The acting user
is never told of their own step."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.access.models import Role, User, UserRole
from tandem.audit import service as audit
from tandem.audit.models import AuditEvent
from tandem.case import audience
from tandem.case.models import Case
from tandem.claim.models import Claim, Participation, PartyRole, TeamMember
from tandem.kit.i18n import DEFAULT_LOCALE, N_, format_local, format_money, gettext, translate_message
from tandem.notification.service import notify
from tandem.party.models import Adjuster
from tandem.web.labels import label

NOTICES: dict[str, tuple[str, ...]] = {
    "claim.route": ("named_firm", "insured"),
    "claim.adjuster_proposed": ("insured",),
    "claim.insured_agreed_adjuster": ("broker",),
    "claim.insured_chose_adjuster": ("broker",),
    "claim.insured_left_choice_to_broker": ("broker",),
    "claim.accept_appointment": ("broker", "insured"),
    "claim.decline_appointment": ("broker",),
    "claim.team_member_added": ("added_adjuster",),
    "claim.submit_report": ("broker", "risk", "insurer", "insured"),
    "report.second_submitted": ("broker", "risk", "insurer", "insured", "firm_a"),
    "report.corrected": ("broker", "risk", "insurer", "insured"),
    "claim.confirm_amount": ("broker", "insured"),
    "claim.propose": ("insurer", "insured"),
    "claim.counter": ("broker", "insured"),
    "claim.accept": ("broker", "insured"),
    "claim.dispute": ("broker", "risk", "insured", "firm_a"),
    "claim.refuse": ("broker", "insured"),
    "claim.insurer_adjuster_appointed": ("named_firm", "broker", "insured"),
    "claim.insurer_adjuster_accepted": ("insurer", "broker"),
    "claim.insurer_adjuster_declined": ("insurer", "broker"),
    "claim.insurer_adjuster_refused": ("insurer", "named_firm"),
    "claim.advance_paid": ("insured", "broker"),
    "claim.record_final_payment": ("insured", "broker"),
    "claim.withdraw": ("everyone",),
    "claim.close": ("insured",),
    "consultation.opened": ("firms", "insurer"),
    "consultation.round_started": ("firms",),
    "consultation.round_reminder": ("firms",),
    "consultation.round_closed": ("firms", "broker"),
    "consultation.to_umpire": ("firms", "broker", "risk"),
    "consultation.umpire_proposed": ("other_firm",),
    "consultation.umpire_accepted": ("risk", "other_firm"),
    "consultation.memorandum_generated": ("firms", "risk", "insurer"),
    "routing.escalated_half": ("broker",),
    "routing.escalated_late": ("broker",),
    "routing.escalated_missed": ("broker",),
    "sla.warning": ("holder",),
    "sla.breached": ("holder", "broker"),
    # Placements (投保项目): whoever the ball moves to.
    "placement.opened": ("insured",),
    "placement.explain": ("insured",),
    "placement.choose": ("broker",),
    "placement.issue_letter": ("named_firm", "insured"),
    "placement.accept": ("broker", "insured"),
    "placement.decline": ("broker", "insured"),
    "placement.submit_report": ("broker", "risk", "insured"),
    "placement.publish_register": ("insured",),
    "risk_register.decided": ("broker", "risk"),
    "placement.go_to_market": ("insured", "risk"),
    # The insurer's own adjuster (R-U7): events addressed by organisation (``org:<id>``) reach no other insurer.
    "placement.insurer_adjuster.appointed": ("named_firm", "broker"),
    "placement.insurer_adjuster.accepted": ("broker",),
    "placement.insurer_adjuster.declined": ("broker",),
    "placement.insurer_adjuster.require_another": ("insurer", "named_firm"),
    "placement.insurer_adjuster.withdraw_submission": ("insurer", "named_firm"),
    "placement.insurer_adjuster.reported": ("broker", "risk", "insured", "firm_a"),
    "placement.insurer_pick": ("broker",),
    "placement.insurer_ask": ("broker",),
    "placement.insurer_recommend": ("insured",),
    "placement.insurer_confirm": ("broker",),
    "placement.withdraw": ("everyone",),
}

# Users of a party who act on its behalf on a case.
_ROLES = {
    "broker": Role.BROKER_ACCOUNT_MANAGER,
    "risk": Role.BROKER_RISK_EVALUATOR,
    "insurer": Role.INSURER_CLAIMS_HANDLER,
    "insured": Role.INSURED_CONTACT,
}
_PARTY = {
    "broker": PartyRole.BROKER,
    "risk": PartyRole.BROKER,
    "insurer": PartyRole.INSURER,
    "insured": PartyRole.INSURED,
}
_HOLDERS = {"broker": ("broker",), "insurer": ("insurer",), "insured": ("insured",), "adjuster_firm": ("firms",)}
_AMOUNT_KEYS = ("amount", "agreed", "total_payable", "total_agreed")

SUBJECT = N_("{number}: {event}")
AMOUNT = N_("Amount: {amount}")
REASON = N_("Reason: {reason}")
DUE = N_("{deadline}, due {due}")


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _users_with_role(session: Session, org_ids: set[uuid.UUID], role: Role) -> list[User]:
    if not org_ids:
        return []
    stmt = (
        select(User)
        .join(UserRole)
        .where(User.organisation_id.in_(org_ids), User.active.is_(True), UserRole.role == role)
    )
    return list(session.execute(stmt).unique().scalars())


def _firm_users(session: Session, claim: Claim | Case, firm_ids: set[uuid.UUID]) -> list[User]:
    """A firm's administrators and its adjusters on the case."""
    team = (
        select(User).join(Adjuster, Adjuster.user_id == User.id).join(TeamMember, TeamMember.adjuster_id == Adjuster.id)
    )
    stmt = team.where(TeamMember.case_id == claim.id, Adjuster.firm_id.in_(firm_ids), User.active.is_(True))
    return _users_with_role(session, firm_ids, Role.ADJUSTER_FIRM_ADMIN) + list(
        session.execute(stmt).unique().scalars()
    )


def recipients(session: Session, claim: Claim | Case, ev: AuditEvent) -> list[User]:
    """The users the table names for this event, once each, without the one who acted."""
    tokens = list(NOTICES.get(ev.action, ()))
    after = ev.after or {}
    if "holder" in tokens:
        tokens = [t for t in tokens if t != "holder"] + list(_HOLDERS.get(str(after.get("holder")), ()))
    if "everyone" in tokens:
        tokens = ["broker", "risk", "insurer", "insured", "firms"]
    parties: dict[PartyRole, set[uuid.UUID]] = {}
    for p in session.execute(
        select(Participation).where(Participation.case_id == claim.id, Participation.until.is_(None))
    ).scalars():
        parties.setdefault(p.party_role, set()).add(p.organisation_id)
    firm_a, firm_b = parties.get(PartyRole.ADJUSTER, set()), parties.get(PartyRole.INSURER_ADJUSTER, set())
    users: list[User] = []
    for party in dict.fromkeys(tokens):
        if party in _ROLES:
            users += _users_with_role(session, parties.get(_PARTY[party], set()), _ROLES[party])
        elif party in ("firm_a", "firm_b", "firms", "other_firm"):
            firms = {"firm_a": firm_a, "firm_b": firm_b}.get(party, firm_a | firm_b)
            if party == "other_firm":
                firms = firms - {ev.actor_org_id} if ev.actor_org_id else firms
            users += _firm_users(session, claim, firms)
        elif party == "named_firm" and (firm := _uuid(after.get("firm_id"))):
            users += _users_with_role(session, {firm}, Role.ADJUSTER_FIRM_ADMIN)
            users += _adjuster_users(session, after.get("adjuster_id"))
        elif party == "added_adjuster":
            users += _adjuster_users(session, after.get("adjuster_id"))
    private = _private_to_others(ev, parties.get(PartyRole.INSURER, set()) | firm_b)
    unique = {u.id: u for u in users if u.id != ev.actor_user_id and u.organisation_id not in private}
    return list(unique.values())


def _private_to_others(ev: AuditEvent, insurer_side: set[uuid.UUID]) -> set[uuid.UUID]:
    """An event naming organisations in its audience (``org:<id>``: one insurer's own dealings on a
    placement) reaches no other organisation of the insurers' side."""
    named = {t for t in (ev.audience or []) if t.startswith(audience.ORG_PREFIX)}
    return {o for o in insurer_side if audience.org(o) not in named} if named else set()


def _adjuster_users(session: Session, adjuster_id: Any) -> list[User]:
    key = _uuid(adjuster_id)
    adj = session.get(Adjuster, key) if key else None
    user = session.get(User, adj.user_id) if adj and adj.user_id else None
    return [user] if user and user.active else []


def _amount(after: dict[str, Any], currency: str, locale: str) -> str | None:
    for key in _AMOUNT_KEYS:
        if after.get(key) not in (None, ""):
            try:
                return format_money(Decimal(str(after[key])), currency, locale)
            except InvalidOperation:
                return None
    return None


def message(claim: Claim | Case, ev: AuditEvent, locale: str) -> tuple[str, str]:
    """Subject and body of the notification in ``locale``."""
    event = gettext(label("event", ev.action), locale)
    subject = translate_message(SUBJECT, {"number": claim.number, "event": event}, locale)
    lines = [event]
    after = ev.after or {}
    policy = claim.policy if isinstance(claim, Claim) else None
    amount = _amount(after, policy.currency if policy else "CNY", locale)
    if amount:
        lines.append(translate_message(AMOUNT, {"amount": amount}, locale))
    kind, due = (after.get("deadline"), after.get("due")) if ev.action.startswith("sla.") else (None, None)
    if ev.action.startswith("routing.escalated"):
        kind, due = "routing", after.get("deadline")
    if kind and due:
        when = format_local(dt.datetime.fromisoformat(str(due)), locale)
        deadline = gettext(label("deadline", kind), locale)
        lines.append(translate_message(DUE, {"deadline": deadline, "due": when}, locale))
    if ev.reason:
        lines.append(translate_message(REASON, {"reason": ev.reason}, locale))
    return subject, "\n".join(lines)


@audit.subscribe
def announce(session: Session, ev: AuditEvent) -> None:
    """Notify the parties the table names for a case event (a no-op for any other event)."""
    if ev.action not in NOTICES or not ev.chain_key.startswith("case:"):
        return
    key = _uuid(ev.chain_key.removeprefix("case:"))
    claim: Claim | Case | None = session.get(Claim, key) or session.get(Case, key)
    if claim is None:
        return
    link = f"/claims/{claim.id}" if isinstance(claim, Claim) else f"/{claim.kind.value}s/{claim.id}"
    by_locale: dict[str, list[User]] = {}
    for user in recipients(session, claim, ev):
        by_locale.setdefault(user.locale or DEFAULT_LOCALE, []).append(user)
    for locale, users in by_locale.items():
        subject, body = message(claim, ev, locale)
        notify(
            session,
            users,
            subject=subject[:200],
            body=body,
            now=ev.occurred_at,
            link=link,
            key=f"event:{ev.chain_key}:{ev.seq}",
        )
