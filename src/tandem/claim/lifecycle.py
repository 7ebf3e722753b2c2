"""The claim lifecycle (理赔案件状态表): (state, action) -> rule. No other code assigns ``Claim.status``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlalchemy import select

from tandem.kit import transition
from tandem.kit.errors import Conflict
from tandem.notification.outbox import Job
from tandem.settlement.models import NegotiationStep

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from tandem.access.actor import Actor
    from tandem.claim.models import Claim

# 保险法 clocks the insurer holds from the claim: Art. 23 decide within 30 days of the complete documents,
# Art. 25 pay what can be determined after 60 days from the claim and its documents. Restarted when
# requested documents are declared complete.
STATUTORY_CLOCKS = (("decision_30d", 30), ("advance_60d", 60))

# A running deadline's holder is warned when this share of its time has passed.
WARN_AT = 0.8


def deadline_jobs(claim_id: object, kind: str, started: dt.datetime, due: dt.datetime) -> list[Job]:
    """The timers of a deadline: the warning to its holder and the check when it falls due."""
    cid, at = str(claim_id), due.isoformat()
    check, warn = {"claim_id": cid, "kind": kind, "due": at}, started + (due - started) * WARN_AT
    return [
        Job("sla.check", check, f"sla:{cid}:{kind}:{at}", due),
        Job("sla.check", {**check, "stage": "warning"}, f"sla-warn:{cid}:{kind}:{at}", warn),
    ]


BAM, BRE, ADJ, FADM = "broker_account_manager", "broker_risk_evaluator", "adjuster", "adjuster_firm_admin"
ICH, INS = "insurer_claims_handler", "insured_contact"


def _r(to: str, *roles: str, guard: Callable[..., None] | None = None) -> transition.Rule:
    return transition.Rule(to, frozenset(roles), guard)


class NotYourTurn(Conflict):
    code = "claim.not_your_turn"
    message = "Only the other side may answer this offer."


def last_offer_step(session: Session, claim: Claim) -> NegotiationStep | None:
    """The standing proposal or counter-offer (the latest of either)."""
    return session.execute(
        select(NegotiationStep)
        .where(
            NegotiationStep.claim_id == claim.id,
            NegotiationStep.move.in_(["propose", "counter"]),
            NegotiationStep.withdrawn_at.is_(None),
        )
        .order_by(NegotiationStep.at.desc(), NegotiationStep.id)
        .limit(1)
    ).scalar_one_or_none()


def _other_side(session: Session, claim: Claim, actor: Actor | None) -> None:
    """Guard: only the side that did not make the standing offer may accept it or answer it with its own."""
    last = last_offer_step(session, claim)
    if actor is None or last is None or last.by_org_id == actor.org_id:
        raise NotYourTurn()


# The insured (or the broker for it) may withdraw the claim, with a reason, until an amount is agreed.
WITHDRAWABLE = (
    "notified",
    "routed",
    "adjuster_assigned",
    "surveying",
    "reported",
    "amount_confirmed",
    "negotiating",
    "disputed",
)


def _own_offer(session: Session, claim: Claim, actor: Actor | None) -> None:
    """Guard: only the side that made the standing offer may withdraw it (until it is answered)."""
    last = last_offer_step(session, claim)
    if actor is None or last is None or last.by_org_id != actor.org_id:
        raise NotYourOffer()


class NotYourOffer(Conflict):
    code = "claim.not_your_offer"
    message = "Only the side that made the standing offer may withdraw it, until it is answered."


# The claim lifecycle (理赔案件状态表): (state, action) -> rule. No other code assigns Claim.status.
CLAIM_RULES: transition.Table = {
    ("notified", "route"): _r("routed", BAM, "system"),
    ("routed", "accept_appointment"): _r("adjuster_assigned", FADM),
    ("routed", "decline_appointment"): _r("notified", FADM),
    ("adjuster_assigned", "start_survey"): _r("surveying", ADJ, FADM),
    ("surveying", "submit_report"): _r("reported", ADJ),
    ("reported", "confirm_amount"): _r("amount_confirmed", BRE),
    ("amount_confirmed", "confirm_amount"): _r("amount_confirmed", BRE),
    ("amount_confirmed", "propose"): _r("negotiating", BAM),
    ("negotiating", "propose"): _r("negotiating", BAM, guard=_other_side),
    ("negotiating", "counter"): _r("negotiating", ICH, guard=_other_side),
    ("negotiating", "accept"): _r("agreed", ICH, BAM, guard=_other_side),
    # Withdrawing the standing offer: back to the earlier offer, or (the broker's only one) to the amount.
    ("negotiating", "withdraw_offer"): _r("negotiating", BAM, ICH, guard=_own_offer),
    ("negotiating", "withdraw_proposal"): _r("amount_confirmed", BAM, guard=_own_offer),
    ("negotiating", "dispute"): _r("disputed", ICH),
    ("negotiating", "refuse"): _r("refused", ICH),
    ("disputed", "confirm_amount"): _r("amount_confirmed", BRE),
    ("agreed", "record_final_payment"): _r("paid", ICH),
    ("paid", "close"): _r("closed", BAM),
    # The insurer withdraws its refusal (after the broker's complaint, say): the negotiation resumes on the
    # standing offer; a payment after it is a "refusal later paid" of the insurer's claims record.
    ("refused", "reconsider"): _r("negotiating", ICH),
    ("refused", "close"): _r("closed", BAM),
    ("withdrawn", "close"): _r("closed", BAM),
    **{(state, "withdraw"): _r("withdrawn", INS, BAM) for state in WITHDRAWABLE},
}
