"""Binding (issue 15 item 6): the insured accepts one valid quote; the platform issues the policy from it
(sections and sums insured of the programme, the period, the quote's premium and deductibles, the amount
engine's policy options the quote names, and the designated adjuster for claims if the insured wants
one — checked like routing), the other submissions are not taken, and the placement closes (``bind``).
The policy then appears in claims intake like any other."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.access import scope
from tandem.access.actor import Actor
from tandem.case import service as case_service
from tandem.kit.errors import Conflict
from tandem.kit.i18n import N_, gettext
from tandem.party.cover import SECTION_TYPES
from tandem.party.models import Adjuster
from tandem.placement import market, prereport
from tandem.placement import service as placement_service
from tandem.placement.market_models import Quote, Submission
from tandem.placement.models import Placement
from tandem.policy import service as policy_service
from tandem.policy.models import Policy
from tandem.reconciliation.models import Consultation, Memorandum

SUPERSEDED = N_("A newer version of this quote exists; accept that one.")
EXPIRED = N_("The quote is no longer valid.")


def _sections(sub: Submission, quote: Quote) -> list[policy_service.SectionInput]:
    """The programme's sections as the policy's, with the quote's deductibles and policy options."""
    quoted = {s["ref"]: s for s in quote.sections}
    out = []
    for site in sub.programme.get("sites", []):
        for sec in site["sections"]:
            q = quoted.get(sec["ref"], {})
            kind = gettext(SECTION_TYPES.get(sec["type"], sec["type"]), "zh_CN")
            out.append(
                policy_service.SectionInput(
                    code=sec["ref"].lower().replace("-", "_"),
                    name=f"{site['name']}·{kind}"[:100],
                    sum_insured=Decimal(sec["sum_insured"]),
                    deductible_amount=Decimal(q["deductible_amount"]) if q.get("deductible_amount") else None,
                    deductible_rate=Decimal(q["deductible_rate"]) if q.get("deductible_rate") else None,
                    options=dict(q.get("options") or {}),
                )
            )
    return out


def _check(session: Session, sub: Submission, quote: Quote, now: dt.datetime) -> None:
    latest = market.latest_quote(session, sub)
    if latest is None or latest.id != quote.id:
        raise Conflict(SUPERSEDED, fields={"quote_id": SUPERSEDED})
    if not market.is_valid(quote, now):
        raise Conflict(EXPIRED, fields={"valid_until": EXPIRED})


def _line(placement: Placement) -> str:
    """The line the bound policy is issued in: the programme's first."""
    return placement.lines[0] if placement.lines else ""


def designatable(session: Session, actor: Actor, placement: Placement, now: dt.datetime) -> list[Adjuster]:
    """The register's practitioners the insured may designate for claims when it accepts a quote: those the
    policy would take (``policy_service.designation_refusal``, the routing checks), by name."""
    listed = session.execute(scope.register_adjusters(actor).order_by(Adjuster.name)).unique().scalars()
    line = _line(placement)
    return [a for a in listed if policy_service.designation_refusal(session, a, now, placement.broker_id, line) is None]


def accept(
    session: Session, actor: Actor, quote_id: object, *, designated_adjuster_id: Any = None, now: dt.datetime
) -> Policy:
    """The insured accepts the quote: the placement is bound and the policy issued, in force."""
    sub, quote = market.get_quote(session, actor, quote_id)
    placement = placement_service.get_placement(session, actor, sub.case_id)
    _check(session, sub, quote, now)
    placement_service.transition(session, actor, placement, "bind", now, after={"submission": sub.number})
    market.move(session, actor, sub, "accept", now, after={"quote_id": str(quote.id), "version": quote.version})
    product = sub.product_id
    line = _line(placement)
    policy = policy_service.issue_policy(
        session,
        actor,
        number=f"{sub.number}-P{quote.version}",
        insured_id=placement.insured_id,
        insurer_id=sub.insurer_id,
        line=line,
        period_start=placement.period_start,
        period_end=placement.period_end,
        sections=_sections(sub, quote),
        at=now,
        broker_id=placement.broker_id,
        product_id=product,
        designated_adjuster_id=uuid.UUID(str(designated_adjuster_id)) if designated_adjuster_id else None,
        extra={"premium": quote.premium, "placement_id": placement.id, "quote_id": quote.id},
    )
    policy_service.apply(session, actor, policy, "accept_quote", at=now)
    case = placement_service.case_of(session, placement)
    case_service.record_event(
        session,
        actor,
        case,
        "placement.policy_issued",
        now=now,
        after={"policy_id": str(policy.id), "number": policy.number, "premium": str(quote.premium)},
        audience=market.MARKET_AUDIENCE,
    )
    _close_market(session, placement.id, now)
    return policy


def _close_market(session: Session, case_id: uuid.UUID, now: dt.datetime) -> None:
    """The other live submissions are not taken; every market clock of the placement stops."""
    others = session.execute(
        select(Submission).where(Submission.case_id == case_id, Submission.status.in_(market.LIVE))
    ).scalars()
    for other in list(others):
        market.move(session, None, other, "not_taken", now)
    for sub in session.execute(select(Submission).where(Submission.case_id == case_id)).scalars():
        market._stop_clocks(session, sub, now)
    case_service.stop_deadline(session, market._case(session, case_id), "quote_decision", now=now)


def policy_of(session: Session, placement_id: uuid.UUID) -> Policy | None:
    """The policy a placement was bound into, if any."""
    return session.execute(select(Policy).where(Policy.placement_id == placement_id)).unique().scalar_one_or_none()


def origin(session: Session, actor: Actor, policy: Policy) -> dict[str, Any] | None:
    """Where a bound policy comes from, for its page: the placement (a link only for the parties to its
    case), its submitted pre-assessment reports and its MoU, if any."""
    if policy.placement_id is None:
        return None
    placement = session.get(Placement, policy.placement_id)
    if placement is None:
        return None
    case = placement_service.case_of(session, placement)
    readable = actor.is_admin or bool(case_service.participant_roles(session, case, actor.org_id))
    reports = prereport.submitted(session, placement) if readable else []
    memo = session.execute(
        select(Memorandum.number).join(Consultation, Consultation.id == Memorandum.consultation_id)
        .where(Consultation.case_id == placement.id)
    ).scalar_one_or_none() if readable else None  # fmt: skip
    return {"placement": placement, "readable": readable, "reports": reports, "memorandum": memo}
