"""Policies (保单): creation by the broker, status changes, and the JSON shape the API returns."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tandem.access import scope
from tandem.access.actor import Actor
from tandem.access.models import Organisation, OrgKind, Role
from tandem.access.permissions import Perm, roles_with
from tandem.audit import service as audit
from tandem.kit import transition
from tandem.kit.clock import local_day
from tandem.kit.errors import ActionNotAllowed, Conflict, InvalidInput, StateChanged
from tandem.kit.i18n import N_, Phrase
from tandem.party.models import Adjuster, InsurerProduct
from tandem.party.service import ineligibility_words
from tandem.policy.models import Policy, PolicySection, PolicyStatus
from tandem.settlement.basis import check_options


@dataclass(frozen=True)
class SectionInput:
    code: str
    name: str
    sum_insured: Decimal | None = None
    insured_value: Decimal | None = None
    deductible_amount: Decimal | None = None
    deductible_rate: Decimal | None = None
    per_occurrence_limit: Decimal | None = None
    aggregate_limit: Decimal | None = None
    options: dict[str, Any] = field(default_factory=dict)


_MANAGERS = frozenset(r.value for r in roles_with(Perm.MANAGE_POLICIES))
_UNDERWRITER = frozenset({Role.INSURER_UNDERWRITER.value})
_ENDERS = frozenset({Role.INSURER_UNDERWRITER.value, Role.BROKER_ACCOUNT_MANAGER.value})
POLICY_RULES: transition.Table = {
    (PolicyStatus.DRAFT.value, "bind"): transition.Rule(PolicyStatus.IN_FORCE.value, _MANAGERS),
    (PolicyStatus.DRAFT.value, "cancel"): transition.Rule(PolicyStatus.CANCELLED.value, _MANAGERS),
    (PolicyStatus.IN_FORCE.value, "cancel"): transition.Rule(PolicyStatus.CANCELLED.value, _MANAGERS),
    (PolicyStatus.IN_FORCE.value, "expire"): transition.Rule(PolicyStatus.EXPIRED.value, _MANAGERS),
    # Issue 15: the insured's acceptance of a quote binds the policy the platform issued from it.
    (PolicyStatus.DRAFT.value, "accept_quote"): transition.Rule(
        PolicyStatus.IN_FORCE.value, frozenset({Role.INSURED_CONTACT.value})
    ),
    # Issue 16 (R-U10): the insurer suspends (效力中止) and reinstates (复效); the insurer, or the broker for
    # the insured, ends the contract (policy.suspension checks which side may end it how).
    (PolicyStatus.IN_FORCE.value, "suspend"): transition.Rule(PolicyStatus.SUSPENDED.value, _UNDERWRITER),
    (PolicyStatus.SUSPENDED.value, "reinstate"): transition.Rule(PolicyStatus.IN_FORCE.value, _UNDERWRITER),
    (PolicyStatus.IN_FORCE.value, "terminate"): transition.Rule(PolicyStatus.TERMINATED.value, _ENDERS),
    (PolicyStatus.SUSPENDED.value, "terminate"): transition.Rule(PolicyStatus.TERMINATED.value, _ENDERS),
}


def create_policy(session: Session, actor: Actor, **fields: Any) -> Policy:
    """Record a policy placed by the broker (status draft until bound); ``fields`` as ``issue_policy``'s."""
    if not actor.can(Perm.MANAGE_POLICIES) or actor.org_kind not in (OrgKind.BROKER, OrgKind.PLATFORM):
        raise ActionNotAllowed()
    broker_id = actor.org_id if actor.org_kind == OrgKind.BROKER else None
    return issue_policy(session, actor, broker_id=broker_id, **fields)


def designation_refusal(
    session: Session, adj: Adjuster, at: dt.datetime, broker_id: uuid.UUID | None, line: str
) -> Phrase | None:
    """Why ``adj`` cannot be designated for claims on a policy of ``line`` issued at ``at`` (the routing
    checks: a designated adjuster gets each case at once, so it must be able to take it); None when it can."""
    return ineligibility_words(session, adj, local_day(at), broker_id, line)


def issue_policy(
    session: Session,
    actor: Actor,
    *,
    number: str,
    insured_id: uuid.UUID,
    insurer_id: uuid.UUID,
    line: str,
    period_start: dt.date,
    period_end: dt.date,
    sections: list[SectionInput],
    at: dt.datetime,
    broker_id: uuid.UUID | None,
    product_id: uuid.UUID | None = None,
    designated_adjuster_id: uuid.UUID | None = None,
    currency: str = "CNY",
    extra: dict[str, Any] | None = None,
) -> Policy:
    """A draft policy, checked (sections, insured, insurer, product, the designated adjuster by the
    routing checks against ``broker_id``'s blacklist); ``extra`` sets further columns (a bound
    placement's premium, placement and quote). The caller checked who may issue it."""
    insured_org = check_terms(
        session,
        actor,
        number=number,
        insured_id=insured_id,
        insurer_id=insurer_id,
        line=line,
        period_start=period_start,
        period_end=period_end,
        sections=sections,
        at=at,
        broker_id=broker_id,
        product_id=product_id,
        designated_adjuster_id=designated_adjuster_id,
    )
    policy = Policy(
        number=number,
        insured_id=insured_org.id,
        insurer_id=insurer_id,
        broker_id=broker_id,
        product_id=product_id,
        line=line,
        currency=currency,
        period_start=period_start,
        period_end=period_end,
        status=PolicyStatus.DRAFT,
        designated_adjuster_id=designated_adjuster_id,
        created_at=at,
        **(extra or {}),
    )
    policy.sections = [PolicySection(position=i, **vars(s)) for i, s in enumerate(sections)]
    session.add(policy)
    session.flush()
    audit.record(
        session,
        actor.ref,
        action="policy.created",
        entity_type="policy",
        entity_id=policy.id,
        at=at,
        after={"number": number, "status": policy.status.value},
        request_id=actor.request_id,
    )
    return policy


NOT_EDITABLE = N_(
    "Only a draft policy entered by hand can be edited; change the cover of a policy in force by a mid-term change."
)


def editable(actor: Actor, policy: Policy) -> bool:
    """A draft the broker entered by hand (not bound from a placement): its own account managers edit it.
    A policy in force changes only through a mid-term change (批改, ``policy.endorsements``), so the cover
    claims read at a loss time is never rewritten."""
    return (
        policy.status == PolicyStatus.DRAFT
        and policy.placement_id is None
        and policy.broker_id == actor.org_id
        and actor.org_kind == OrgKind.BROKER
        and actor.can(Perm.MANAGE_POLICIES)
    )


def update_draft(
    session: Session,
    actor: Actor,
    policy_id: object,
    *,
    at: dt.datetime,
    sections: list[SectionInput],
    currency: str = "CNY",
    premium: Decimal | None = None,
    **terms: Any,
) -> Policy:
    """Edit a draft policy entered by hand (:func:`editable`): its terms checked as on issue, its sections
    replaced, audited with the terms before and after."""
    policy = scope.get_policy(session, actor, policy_id)
    if not editable(actor, policy):
        raise Conflict(NOT_EDITABLE)
    before = _terms_json(policy)
    check_terms(session, actor, sections=sections, at=at, broker_id=actor.org_id, policy_id=policy.id, **terms)
    for key, value in terms.items():
        setattr(policy, key, value)
    policy.currency, policy.premium = currency, premium
    policy.sections = []
    session.flush()  # the old sections go before new ones of the same codes arrive
    policy.sections = [PolicySection(position=i, **vars(s)) for i, s in enumerate(sections)]
    session.flush()
    event: dict[str, Any] = {
        "entity_type": "policy",
        "entity_id": policy.id,
        "before": before,
        "after": _terms_json(policy),
    }
    audit.record(session, actor.ref, action="policy.updated", at=at, request_id=actor.request_id, **event)
    return policy


def _terms_json(policy: Policy) -> dict[str, Any]:
    return {
        "number": policy.number,
        "line": policy.line,
        "currency": policy.currency,
        "period": [policy.period_start.isoformat(), policy.period_end.isoformat()],
        "premium": None if policy.premium is None else format(policy.premium, "f"),
        "designated_adjuster_id": str(policy.designated_adjuster_id) if policy.designated_adjuster_id else None,
        "sections": [
            {"code": s.code, "sum_insured": None if s.sum_insured is None else format(s.sum_insured, "f")}
            for s in policy.sections
        ],
    }


def check_terms(
    session: Session,
    actor: Actor,
    *,
    sections: list[SectionInput],
    at: dt.datetime,
    broker_id: uuid.UUID | None,
    policy_id: uuid.UUID | None = None,
    **terms: Any,
) -> Organisation:
    """A policy's terms checked (sections, insured, insurer, product, the designated adjuster by the
    routing checks, the number free but for ``policy_id``'s own); the insured's organisation. ``terms``:
    number, insured_id, insurer_id, line, period_start, period_end, product_id, designated_adjuster_id."""
    number, line, insured_id, insurer_id = (terms[k] for k in ("number", "line", "insured_id", "insurer_id"))
    period_start, period_end = terms["period_start"], terms["period_end"]
    product_id, designated_adjuster_id = terms.get("product_id"), terms.get("designated_adjuster_id")
    if period_end <= period_start:
        raise InvalidInput("The period ends before it starts.", fields={"period_end": "after period_start"})
    if not sections:
        raise InvalidInput("At least one section is required.", fields={"sections": "at least one"})
    codes = [s.code for s in sections]
    if len(set(codes)) != len(codes):
        raise InvalidInput("Section codes must be unique.", fields={"sections": "duplicate code"})
    insured = scope.get_insured(session, actor, insured_id) if actor.org_kind == OrgKind.BROKER else None
    insured_org = insured.organisation if insured else session.get(Organisation, insured_id)
    if insured_org is None or insured_org.kind != OrgKind.INSURED:
        raise InvalidInput("Unknown insured.", fields={"insured_id": "not an insured you serve"})
    insurer = session.get(Organisation, insurer_id)
    if insurer is None or insurer.kind != OrgKind.INSURER:
        raise InvalidInput("Unknown insurer.", fields={"insurer_id": "not an insurer"})
    if product_id is not None:
        product = session.get(InsurerProduct, product_id)
        if product is None or product.insurer_id != insurer.id:
            raise InvalidInput("Unknown product.", fields={"product_id": "not a product of this insurer"})
    if designated_adjuster_id is not None:
        adj = scope.get_listed_adjuster(session, actor, designated_adjuster_id)
        # The routing checks: a designated adjuster gets the case at once, so it must be able to take it.
        why = designation_refusal(session, adj, at, broker_id, line)
        if why:
            raise InvalidInput(
                "This adjuster cannot be designated: {why}.", why=why, fields={"designated_adjuster_id": str(why)}
            )
    taken = select(Policy.id).where(Policy.number == number, Policy.id != policy_id) if policy_id else None
    if session.execute(taken if taken is not None else select(Policy.id).where(Policy.number == number)).first():
        raise Conflict("Policy number already exists.", fields={"number": "already exists"})
    for i, sec in enumerate(sections):
        check_options(PolicySection(**vars(sec)), sec.options, f"sections[{i}]")
    return insured_org


def change_status(
    session: Session, actor: Actor, policy_id: object, action: str, *, at: dt.datetime, reason: str | None = None
) -> Policy:
    return apply(session, actor, scope.get_policy(session, actor, policy_id), action, at=at, reason=reason)


def apply(
    session: Session,
    actor: Actor,
    policy: Policy,
    action: str,
    *,
    at: dt.datetime,
    reason: str | None = None,
    detail: dict[str, Any] | None = None,
) -> Policy:
    """One transition of ``POLICY_RULES`` on a policy the caller may act on, audited."""
    rule = transition.resolve(POLICY_RULES, policy.status.value, action, frozenset(r.value for r in actor.roles))
    before = policy.status.value
    moved = session.execute(
        update(Policy)
        .where(Policy.id == policy.id, Policy.status == policy.status)
        .values(status=PolicyStatus(rule.to))
        .returning(Policy.id)
    ).first()
    if moved is None:
        raise StateChanged()
    session.refresh(policy)
    audit.record(
        session,
        actor.ref,
        action=f"policy.{action}",
        entity_type="policy",
        entity_id=policy.id,
        at=at,
        before={"status": before},
        after={"status": rule.to, **(detail or {})},
        reason=reason,
        request_id=actor.request_id,
    )
    return policy
