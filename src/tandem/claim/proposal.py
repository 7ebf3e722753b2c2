"""The insured's say on the adjuster (被保险人意见, R-C2). When the policy designates no adjuster, the broker
proposes one from the recommendations and the insured agrees, picks another eligible adjuster, or leaves
the choice to the broker. The proposal's states move only through ``PROPOSAL_RULES``, each step with its
audit event; the 48-hour routing clock passes to the insured while the proposal waits for its answer and
back to the broker once answered. The broker then appoints the adjuster the answer names
(:func:`check_appointment`)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import case, select, update
from sqlalchemy.orm import Session

from tandem.access import scope
from tandem.access.actor import Actor
from tandem.audit import service as audit
from tandem.case import audience as _audience
from tandem.case.service import require_party
from tandem.claim.lifecycle import BAM, CLAIM_RULES, INS
from tandem.claim.models import AdjusterProposal, Claim, ClaimStatus, Deadline, PartyRole
from tandem.kit import transition
from tandem.kit.errors import Conflict, InvalidInput, StateChanged
from tandem.party.models import Adjuster
from tandem.routing.service import evaluate

OPEN = ("proposed", "agreed", "other", "left_to_broker")

# The proposal's states (被保险人意见状态表): (state, action) -> rule. No other code assigns its state.
PROPOSAL_RULES: transition.Table = {
    ("new", "propose"): transition.Rule("proposed", frozenset({BAM})),
    ("proposed", "agree"): transition.Rule("agreed", frozenset({INS})),
    ("proposed", "choose_other"): transition.Rule("other", frozenset({INS})),
    ("proposed", "leave_to_broker"): transition.Rule("left_to_broker", frozenset({INS})),
    **{(s, "replace"): transition.Rule("replaced", frozenset({BAM})) for s in OPEN},
    **{(s, "appoint"): transition.Rule("appointed", frozenset({BAM})) for s in OPEN},
}

# The insured's three answers (API and page) and the rule each takes.
ANSWERS = {"agree": "agree", "other": "choose_other", "leave_to_broker": "leave_to_broker"}

EVENTS = {
    "propose": "claim.adjuster_proposed",
    "agree": "claim.insured_agreed_adjuster",
    "choose_other": "claim.insured_chose_adjuster",
    "leave_to_broker": "claim.insured_left_choice_to_broker",
    "replace": "claim.adjuster_proposal_replaced",
    "appoint": "claim.adjuster_proposal_appointed",
}
SAY = [_audience.BROKER, _audience.INSURED]  # the broker and the insured agree the adjuster


class ProposalPending(Conflict):
    code = "claim.proposal_pending"
    message = "The insured has not answered the proposal yet."


class NotTheInsuredsChoice(Conflict):
    code = "claim.not_the_insureds_choice"
    message = "The insured chose {name}; appoint that adjuster or propose again."


def check_eligible(session: Session, claim: Claim, adj: Adjuster, now: dt.datetime) -> None:
    """The routing checks: an adjuster who cannot take the case is refused, naming the reasons."""
    rec = evaluate(session, claim, adj, now)
    if rec.reasons:
        raise Conflict(
            "This adjuster cannot take the case: {reasons}.",
            reasons=", ".join(rec.reasons),
            fields={"adjuster_id": ", ".join(rec.reasons)},
        )


def current_proposal(session: Session, claim: Claim) -> AdjusterProposal | None:
    """The proposal still standing on the claim (waiting for the insured, or answered and not yet used)."""
    return session.execute(
        select(AdjusterProposal)
        .where(AdjusterProposal.claim_id == claim.id, AdjusterProposal.state.in_(OPEN))
        .order_by(AdjusterProposal.proposed_at.desc())
        .limit(1)
    ).scalar_one_or_none()


def latest_proposal(session: Session, claim: Claim) -> AdjusterProposal | None:
    """The latest proposal on the claim, in whatever state (what the case file shows); of two made at the
    same moment, the one that replaced the other."""
    replaced = case((AdjusterProposal.state == "replaced", 1), else_=0)
    return session.execute(
        select(AdjusterProposal)
        .where(AdjusterProposal.claim_id == claim.id)
        .order_by(AdjusterProposal.proposed_at.desc(), replaced)
        .limit(1)
    ).scalar_one_or_none()


def routing_holder(session: Session, claim: Claim) -> str:
    """Who holds the ball on the running 48-hour routing clock: the broker, or the insured while a
    proposal waits for its answer."""
    held = session.execute(
        select(Deadline.holder).where(
            Deadline.case_id == claim.case_id, Deadline.kind == "routing", Deadline.stopped_at.is_(None)
        )
    ).scalar_one_or_none()
    return held or "broker"


def _hand_routing(session: Session, claim: Claim, holder: str) -> None:
    session.execute(
        update(Deadline)
        .where(Deadline.case_id == claim.case_id, Deadline.kind == "routing", Deadline.stopped_at.is_(None))
        .values(holder=holder)
    )


def _step(
    session: Session,
    actor: Actor | None,
    claim: Claim,
    prop: AdjusterProposal,
    action: str,
    *,
    now: dt.datetime,
    after: dict[str, Any] | None = None,
    values: dict[str, Any] | None = None,
) -> None:
    """One transition of the proposal: table lookup, role check, conditional UPDATE (one winner), audit."""
    roles = frozenset(r.value for r in actor.roles) if actor else frozenset({"system"})
    rule = transition.resolve(PROPOSAL_RULES, prop.state, action, roles)
    before = prop.state
    changes = {"state": rule.to, **(values or {})}
    done = session.execute(
        update(AdjusterProposal)
        .where(AdjusterProposal.id == prop.id, AdjusterProposal.state == before)
        .values(**changes)
        .returning(AdjusterProposal.id)
        .execution_options(synchronize_session=False)
    ).first()
    if done is None:
        raise StateChanged()
    for key, value in changes.items():
        setattr(prop, key, value)
    _event(session, actor, claim, action, now, {"state": before}, {"state": rule.to, **(after or {})})


def _event(
    session: Session,
    actor: Actor | None,
    claim: Claim,
    action: str,
    now: dt.datetime,
    before: dict[str, Any] | None,
    after: dict[str, Any],
) -> None:
    audit.record(
        session,
        actor.ref if actor else audit.SYSTEM,
        action=EVENTS[action],
        entity_type="claim",
        entity_id=claim.id,
        at=now,
        chain_key=f"case:{claim.id}",
        before=before,
        after=after,
        request_id=actor.request_id if actor else None,
        audience=SAY if action not in ("replace", "appoint") else [_audience.BROKER],
    )


def _named(adj: Adjuster) -> dict[str, str]:
    return {"adjuster_id": str(adj.id), "name": adj.name, "firm_id": str(adj.firm_id)}


def propose_adjuster(
    session: Session,
    actor: Actor,
    claim_id: object,
    adjuster_id: object,
    *,
    now: dt.datetime,
    reason: str | None = None,
) -> AdjusterProposal:
    """The broker proposes an eligible adjuster to the insured (a new proposal replaces the standing one);
    the routing clock passes to the insured until it answers."""
    claim = scope.get_claim(session, actor, claim_id)
    require_party(session, actor, claim, PartyRole.BROKER)
    transition.resolve(CLAIM_RULES, claim.status.value, "route", frozenset(r.value for r in actor.roles))
    adj = scope.get_adjuster(session, actor, adjuster_id)
    check_eligible(session, claim, adj, now)
    transition.resolve(PROPOSAL_RULES, "new", "propose", frozenset(r.value for r in actor.roles))
    old = current_proposal(session, claim)
    if old is not None:
        _step(session, actor, claim, old, "replace", now=now)
    prop = AdjusterProposal(
        case_id=claim.case_id,
        claim_id=claim.id,
        adjuster_id=adj.id,
        note=(reason or "").strip() or None,
        proposed_by=actor.user_id,
        proposed_at=now,
        state="proposed",
    )
    session.add(prop)
    session.flush()
    _event(session, actor, claim, "propose", now, None, {"state": "proposed", **_named(adj), "note": prop.note})
    _hand_routing(session, claim, "insured")
    return prop


def answer_proposal(
    session: Session,
    actor: Actor,
    claim_id: object,
    answer: str,
    *,
    now: dt.datetime,
    adjuster_id: object = None,
) -> AdjusterProposal:
    """The insured agrees to the proposed adjuster, picks another eligible one (the same routing checks),
    or leaves the choice to the broker; the routing clock passes back to the broker."""
    claim = scope.get_claim(session, actor, claim_id)
    require_party(session, actor, claim, PartyRole.INSURED)
    action = ANSWERS.get(answer)
    if action is None:
        raise InvalidInput("Unknown answer.", fields={"answer": "agree, other or leave_to_broker"})
    prop = current_proposal(session, claim)
    if claim.status != ClaimStatus.NOTIFIED or prop is None or prop.state != "proposed":
        raise Conflict("No adjuster proposal waits for your answer.")
    chosen: Adjuster | None = prop.adjuster if action == "agree" else None
    if action == "choose_other":
        chosen = _eligible_pick(session, claim, adjuster_id, now)
    _step(
        session,
        actor,
        claim,
        prop,
        action,
        now=now,
        after=_named(chosen) if chosen else {},
        values={"chosen_adjuster_id": chosen.id if chosen else None, "answered_by": actor.user_id, "answered_at": now},
    )
    _hand_routing(session, claim, "broker")
    return prop


def _eligible_pick(session: Session, claim: Claim, adjuster_id: object, now: dt.datetime) -> Adjuster:
    """The insured's own pick: an adjuster of the claim's recommendations who passes the routing checks."""
    try:
        key = uuid.UUID(str(adjuster_id))
    except ValueError:
        raise InvalidInput("Choose an adjuster from the recommendations.", fields={"adjuster_id": "required"}) from None
    adj = session.get(Adjuster, key)
    if adj is None:
        raise InvalidInput("Choose an adjuster from the recommendations.", fields={"adjuster_id": "unknown adjuster"})
    check_eligible(session, claim, adj, now)
    return adj


def check_appointment(session: Session, claim: Claim, adj: Adjuster) -> AdjusterProposal | None:
    """Before the broker appoints: not while the insured's answer is awaited, and the adjuster the insured
    agreed to or picked (any eligible one when the insured left the choice to the broker, or without a
    proposal). Returns the standing proposal, which the appointment then uses up (:func:`appointed`)."""
    prop = current_proposal(session, claim)
    if prop is None:
        return None
    if prop.state == "proposed":
        raise ProposalPending(fields={"adjuster_id": "the insured has not answered the proposal yet"})
    if prop.chosen_adjuster is not None and prop.chosen_adjuster_id != adj.id:
        name = prop.chosen_adjuster.name
        raise NotTheInsuredsChoice(name=name, fields={"adjuster_id": f"the insured chose {name}"})
    return prop


def appointed(
    session: Session, actor: Actor | None, claim: Claim, prop: AdjusterProposal | None, *, now: dt.datetime
) -> None:
    """The letter is issued: the standing proposal is used up."""
    if prop is not None:
        _step(session, actor, claim, prop, "appoint", now=now)
