"""Mid-term changes (批改, issue 16 item 3): the broker's account manager requests a change of the sums
insured or the sections from a date for the insured; the insurer's underwriter accepts it (a new version
of the policy, with the additional or returned premium pro rata by day) or declines it with a reason.
Every state change goes through ``ENDORSEMENT_RULES`` and is audited in the same transaction."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from tandem.access import scope
from tandem.access.actor import Actor
from tandem.access.models import Role
from tandem.audit import service as audit
from tandem.kit import transition
from tandem.kit.clock import local_day
from tandem.kit.errors import ActionNotAllowed, Conflict, InvalidInput, NotFound, StateChanged
from tandem.kit.i18n import N_
from tandem.kit.workdays import nth_working_day_after
from tandem.policy import notices, pricing
from tandem.policy import versions as policy_versions
from tandem.policy.inforce_models import Endorsement, EndorsementStatus, PolicyVersion
from tandem.policy.models import Policy, PolicySection, PolicyStatus
from tandem.sla import calendar

S = EndorsementStatus
ENDORSEMENT_RULES: transition.Table = {
    (S.REQUESTED.value, "accept"): transition.Rule(S.ACCEPTED.value, frozenset({Role.INSURER_UNDERWRITER.value})),
    (S.REQUESTED.value, "decline"): transition.Rule(S.DECLINED.value, frozenset({Role.INSURER_UNDERWRITER.value})),
    (S.REQUESTED.value, "withdraw"): transition.Rule(S.WITHDRAWN.value, frozenset({Role.BROKER_ACCOUNT_MANAGER.value})),
}

TOPIC = "policy_change.deadline"

NOT_IN_FORCE = N_("Only a policy in force can be changed.")
PENDING = N_("A change of this policy is already awaiting the insurer's answer.")
OUTSIDE = N_("The change must take effect after the first day of the period and by its last day.")
BEFORE_LATEST = N_("The change cannot take effect before the latest change ({date}).")
NO_CHANGE = N_("The sections are the same as now.")
DUPLICATE = N_("Section codes must be unique.")
NO_SECTIONS = N_("At least one section is required.")
RATE_UNKNOWN = N_("The rate of section {code} is not known; keep it with its rate.")
REASON_NEEDED = N_("Give the reason.")


@dataclass(frozen=True)
class SectionChange:
    """A section of the new version: its code, name, sum insured and rate (‰)."""

    code: str
    name: str
    sum_insured: Decimal
    rate_permille: Decimal


def get(session: Session, actor: Actor, policy_id: object, endorsement_id: object) -> tuple[Policy, Endorsement]:
    """The change of a policy the actor may see (404 for anyone else, and for a change of another policy)."""
    policy = scope.get_policy(session, actor, policy_id)
    found = session.get(Endorsement, _uuid(endorsement_id))
    if found is None or found.policy_id != policy.id:
        raise NotFound()
    return policy, found


def _uuid(value: object) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise NotFound() from None


def of_policy(session: Session, policy: Policy) -> list[Endorsement]:
    return list(
        session.execute(
            select(Endorsement).where(Endorsement.policy_id == policy.id).order_by(Endorsement.number.desc())
        ).scalars()
    )


def _check_dates(session: Session, policy: Policy, effective: dt.date) -> policy_versions.Snapshot:
    if not policy.period_start < effective <= policy.period_end:
        raise InvalidInput(OUTSIDE, fields={"effective_date": OUTSIDE})
    now = policy_versions.current(session, policy)
    if effective < now.effective_date:
        day = now.effective_date.isoformat()
        raise InvalidInput(BEFORE_LATEST, date=day, fields={"effective_date": BEFORE_LATEST.format(date=day)})
    return now


def _new_sections(old: list[dict[str, Any]], changes: list[SectionChange]) -> list[dict[str, Any]]:
    """The new version's sections: each change over the old section's other terms (a new one has none)."""
    if not changes:
        raise InvalidInput(NO_SECTIONS, fields={"sections": NO_SECTIONS})
    codes = [c.code for c in changes]
    if len(set(codes)) != len(codes):
        raise InvalidInput(DUPLICATE, fields={"sections": DUPLICATE})
    by_code = {s["code"]: s for s in old}
    out = []
    for c in changes:
        base = dict(by_code.get(c.code) or {"code": c.code, "options": {}})
        base.update(name=c.name, sum_insured=f"{c.sum_insured:.2f}", rate_permille=format(c.rate_permille, "f"))
        out.append(base)
    return out


def _old_with_rates(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The old sections priced at their own rates, else at the rate the change gives the same section."""
    rates = {s["code"]: s["rate_permille"] for s in new}
    out = []
    for s in old:
        rate = s.get("rate_permille") or rates.get(s["code"])
        if not rate:
            raise InvalidInput(RATE_UNKNOWN, code=s["code"], fields={"sections": RATE_UNKNOWN.format(code=s["code"])})
        out.append({**s, "rate_permille": rate})
    return out


def _same(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> bool:
    """Nothing a change is about differs (the sections, their names and sums insured; rates only price it)."""

    def key(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        return [(s["code"], s["name"], Decimal(s["sum_insured"] or 0)) for s in rows]

    return key(old) == key(new)


def request(
    session: Session,
    actor: Actor,
    policy_id: object,
    *,
    effective_date: dt.date,
    sections: list[SectionChange],
    reason: str,
    now: dt.datetime,
    answer_working_days: int,
) -> Endorsement:
    """The broker's account manager asks the insurer for a change; it is priced at once. The insurer answers
    by the ``answer_working_days``-th working day after the request (setting
    ``endorsement_answer_working_days``): reminded the working day before, late after (:func:`deadline`)."""
    policy = scope.get_policy(session, actor, policy_id)
    if Role.BROKER_ACCOUNT_MANAGER not in actor.roles or actor.org_id != policy.broker_id or actor.read_only:
        raise ActionNotAllowed()
    if policy.status != PolicyStatus.IN_FORCE:
        raise Conflict(NOT_IN_FORCE, fields={"policy_id": NOT_IN_FORCE})
    if not reason.strip():
        raise InvalidInput(REASON_NEEDED, fields={"reason": REASON_NEEDED})
    pending = session.execute(
        select(Endorsement.id).where(Endorsement.policy_id == policy.id, Endorsement.status == S.REQUESTED)
    ).first()
    if pending:
        raise Conflict(PENDING, fields={"policy_id": PENDING})
    now_version = _check_dates(session, policy, effective_date)
    new = _new_sections(now_version.sections, sections)
    if _same(now_version.sections, new):
        raise InvalidInput(NO_CHANGE, fields={"sections": NO_CHANGE})
    old = _old_with_rates(now_version.sections, new)
    delta, priced = pricing.mid_term(policy, old, new, now_version.coefficient, effective_date)
    last = session.execute(select(func.max(Endorsement.number)).where(Endorsement.policy_id == policy.id)).scalar()
    number = (last or 0) + 1
    row = Endorsement(
        policy_id=policy.id,
        number=number,
        status=S.REQUESTED,
        effective_date=effective_date,
        sections=new,
        coefficient=now_version.coefficient,
        premium_delta=delta,
        pricing={"base_version": now_version.number, "old_sections": old, **priced},
        reason=reason.strip(),
        answer_due=nth_working_day_after(local_day(now), answer_working_days, calendar.load(session)),
        requested_at=now,
        requested_by=actor.user_id,
    )
    session.add(row)
    session.flush()
    _audit(session, actor, policy, row, "requested", now, before=None)
    notices.change_requested(session, policy, row, now)
    assert row.answer_due is not None
    key = f"policy-change:{row.id}"
    calendar.remind_and_late(session, TOPIC, {"endorsement_id": str(row.id)}, key, row.answer_due, now)
    return row


def is_late(row: Endorsement, today: dt.date) -> bool:
    """Still awaiting the insurer's answer after its last day."""
    return row.status == S.REQUESTED and row.answer_due is not None and today > row.answer_due


def deadline(session: Session, payload: dict[str, Any], now: dt.datetime) -> bool:
    """The timer: remind the insurer's underwriters ahead of the last day; once it has passed unanswered, tell
    them and the broker the answer is late. An answered or withdrawn request makes both do nothing."""
    row = session.get(Endorsement, _uuid(payload["endorsement_id"]))
    if row is None or row.status != S.REQUESTED:
        return False
    policy = session.get(Policy, row.policy_id)
    assert policy is not None
    notices.change_deadline(session, policy, row, late=payload["kind"] == "late", now=now)
    return True


def _audit(
    session: Session, actor: Actor, policy: Policy, row: Endorsement, what: str, now: dt.datetime, *, before: str | None
) -> None:
    audit.record(
        session,
        actor.ref,
        action=f"policy.endorsement.{what}",
        entity_type="policy",
        entity_id=policy.id,
        at=now,
        before={"endorsement": row.number, "status": before} if before else None,
        after={
            "endorsement": row.number,
            "status": row.status.value,
            "effective_date": row.effective_date.isoformat(),
            "premium_delta": f"{row.premium_delta:.2f}",
        },
        reason=row.answer or row.reason,
        request_id=actor.request_id,
    )


def answer(
    session: Session,
    actor: Actor,
    policy_id: object,
    endorsement_id: object,
    action: str,
    *,
    reason: str | None,
    now: dt.datetime,
) -> Endorsement:
    """The insurer accepts or declines (with a reason), or the broker withdraws, a requested change."""
    policy, row = get(session, actor, policy_id, endorsement_id)
    rule = transition.resolve(ENDORSEMENT_RULES, row.status.value, action, frozenset(r.value for r in actor.roles))
    side = policy.insurer_id if action in ("accept", "decline") else policy.broker_id
    if actor.org_id != side or actor.read_only:
        raise ActionNotAllowed()
    if action == "decline" and not (reason or "").strip():
        raise InvalidInput(REASON_NEEDED, fields={"reason": REASON_NEEDED})
    if action == "accept":
        if policy.status != PolicyStatus.IN_FORCE:
            raise Conflict(NOT_IN_FORCE, fields={"policy_id": NOT_IN_FORCE})
        if policy_versions.current(session, policy).number != row.pricing.get("base_version"):
            raise StateChanged()
    before = row.status.value
    moved = session.execute(
        update(Endorsement)
        .where(Endorsement.id == row.id, Endorsement.status == row.status)
        .values(
            status=EndorsementStatus(rule.to),
            answer=(reason or "").strip() or None,
            answered_at=now,
            answered_by=actor.user_id,
        )
        .returning(Endorsement.id)
    ).first()
    if moved is None:
        raise StateChanged()
    session.refresh(row)
    if action == "accept":
        _new_version(session, policy, row, now)
    _audit(session, actor, policy, row, rule.to, now, before=before)
    notices.change_answered(session, policy, row, now)
    return row


def _new_version(session: Session, policy: Policy, row: Endorsement, now: dt.datetime) -> PolicyVersion:
    """Record the accepted change as the policy's next version (the policy as issued first, if it has none)
    and bring the policy's own sections to it."""
    recorded = policy_versions.versions(session, policy)
    if not recorded:
        first = policy_versions.as_issued(session, policy)
        # The premium written when the policy has one on record; else the engine's price of the cover as issued.
        total = policy.premium if policy.premium is not None else row.pricing["old"]["output"]["total_premium"]
        session.add(
            PolicyVersion(
                policy_id=policy.id,
                number=1,
                effective_date=first.effective_date,
                sections=first.sections,
                coefficient=first.coefficient,
                total_premium=Decimal(total),
                premium_delta=Decimal("0.00"),
                created_at=now,
            )
        )
    version = PolicyVersion(
        policy_id=policy.id,
        number=(recorded[-1].number if recorded else 1) + 1,
        effective_date=row.effective_date,
        sections=row.sections,
        coefficient=row.coefficient,
        total_premium=Decimal(row.pricing["new"]["output"]["total_premium"]),
        premium_delta=row.premium_delta,
        endorsement_id=row.id,
        created_at=now,
    )
    session.add(version)
    _apply_sections(policy, row.sections)
    session.flush()
    return version


def _apply_sections(policy: Policy, sections: list[dict[str, Any]]) -> None:
    """Update the policy's section rows in place (kept codes), add the new ones, drop the removed ones."""
    rows = {s.code: s for s in policy.sections}
    kept = []
    for i, s in enumerate(sections):
        ps = rows.pop(s["code"], None) or PolicySection(code=s["code"], options=dict(s.get("options") or {}))
        ps.position = i
        ps.name = s["name"]
        ps.sum_insured = Decimal(s["sum_insured"])
        kept.append(ps)
    policy.sections = kept
