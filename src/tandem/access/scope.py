"""THE access chokepoint (访问控制): every read of a party-scoped object starts here.

``visible_*`` return a ``Select`` already filtered to what the actor may see; ``get_*`` fetch and
check in one step and raise :class:`NotFound` for both "does not exist" and "not yours", so the two
are indistinguishable (same status, same body).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, false, or_, select, true
from sqlalchemy.orm import Session
from sqlalchemy.sql.base import ExecutableOption

from tandem.access.actor import Actor
from tandem.access.models import Organisation, OrgKind, Role
from tandem.case.models import Case
from tandem.claim.event_models import CatEvent, CatEventClaim
from tandem.claim.models import Claim, Participation
from tandem.kit.errors import NotFound
from tandem.neutrality.models import Finding, Proposal
from tandem.party.models import (
    Adjuster,
    AdjusterFirm,
    BlacklistEntry,
    Expert,
    ExpertShare,
    Insured,
    InsurerProduct,
    ProductStatus,
    Visibility,
)
from tandem.placement.market_models import Submission
from tandem.placement.models import Placement
from tandem.policy.models import Policy

K = OrgKind


def _as_uuid(value: Any) -> uuid.UUID | None:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        return None


def visible_policies(actor: Actor) -> Select[Policy]:
    stmt = select(Policy)
    match actor.org_kind:
        case K.PLATFORM:
            cond: Any = true()
        case K.BROKER:
            cond = Policy.broker_id == actor.org_id
        case K.INSURER:
            cond = Policy.insurer_id == actor.org_id
        case K.INSURED:
            cond = Policy.insured_id == actor.org_id
        case K.ADJUSTER_FIRM:
            cond = Policy.designated_adjuster_id.in_(select(Adjuster.id).where(Adjuster.firm_id == actor.org_id))
        case _:
            cond = false()
    return stmt.where(cond)


def visible_organisations(actor: Actor) -> Select[Organisation]:
    if actor.org_kind in (K.PLATFORM, K.BROKER, K.SUPERVISION):
        return select(Organisation)
    if actor.org_kind == K.INSURER:
        # Insurers appoint their own adjusters, so they see the filed firms too.
        return select(Organisation).where(or_(Organisation.id == actor.org_id, Organisation.kind == K.ADJUSTER_FIRM))
    return select(Organisation).where(Organisation.id == actor.org_id)


def visible_adjusters(actor: Actor) -> Select[Adjuster]:
    """The adjuster register: brokers, insurers, supervision and admins see it all; a firm its own."""
    if actor.org_kind in (K.PLATFORM, K.BROKER, K.INSURER, K.SUPERVISION):
        return select(Adjuster)
    if actor.org_kind == K.ADJUSTER_FIRM:
        return select(Adjuster).where(Adjuster.firm_id == actor.org_id)
    return select(Adjuster).where(false())


# Who may look up the public adjuster register (names, firms, qualification status, lines): those who
# choose or check an adjuster — the insured naming its own (R-U1), the broker, the insurer.
REGISTER_READERS = frozenset({K.PLATFORM, K.BROKER, K.INSURER, K.INSURED, K.SUPERVISION})


def register_adjusters(actor: Actor) -> Select[Adjuster]:
    """The public adjuster register (公估师公开名录): every practitioner, for its readers only."""
    return select(Adjuster).where(true() if actor.org_kind in REGISTER_READERS else false())


def visible_firms(actor: Actor) -> Select[AdjusterFirm]:
    if actor.org_kind in (K.PLATFORM, K.BROKER, K.INSURER, K.SUPERVISION):
        return select(AdjusterFirm)
    if actor.org_kind == K.ADJUSTER_FIRM:
        return select(AdjusterFirm).where(AdjusterFirm.organisation_id == actor.org_id)
    return select(AdjusterFirm).where(false())


def visible_blacklist(actor: Actor) -> Select[BlacklistEntry]:
    """A broker sees its own list; a firm sees the entries against itself or its adjusters."""
    stmt = select(BlacklistEntry)
    if actor.org_kind == K.PLATFORM:
        return stmt
    if actor.org_kind == K.BROKER:
        return stmt.where(BlacklistEntry.broker_id == actor.org_id)
    if actor.org_kind == K.ADJUSTER_FIRM:
        return stmt.where(
            or_(
                BlacklistEntry.firm_id == actor.org_id,
                BlacklistEntry.adjuster_id.in_(select(Adjuster.id).where(Adjuster.firm_id == actor.org_id)),
            )
        )
    return stmt.where(false())


# What the adjuster's side and supervision see of the neutrality regime: findings once they are notices
# (通报), proposals once decided; the broker's deliberations before that are its own.
NOTICE_STATES = ("notified", "answered", "upheld", "withdrawn")
DECIDED_STATES = ("listed", "not_listed", "appealed", "lifted", "appeal_dismissed")


def _neutrality_cond(actor: Actor, model: type[Finding] | type[Proposal], shown: tuple[str, ...]) -> Any:
    """Brokers see their own records; supervision the shown states of all; a firm's administrators the
    shown states of the firm's, an adjuster its own; nobody else anything."""
    match actor.org_kind:
        case K.PLATFORM:
            return true()
        case K.BROKER:
            return model.broker_id == actor.org_id
        case K.SUPERVISION:
            return model.state.in_(shown)
        case K.ADJUSTER_FIRM if Role.ADJUSTER_FIRM_ADMIN in actor.roles:
            return (model.firm_id == actor.org_id) & model.state.in_(shown)
        case K.ADJUSTER_FIRM:
            own = select(Adjuster.id).where(Adjuster.user_id == actor.user_id, Adjuster.firm_id == actor.org_id)
            return model.adjuster_id.in_(own) & model.state.in_(shown)
        case _:
            return false()


def visible_findings(actor: Actor) -> Select[Finding]:
    return select(Finding).where(_neutrality_cond(actor, Finding, NOTICE_STATES))


def visible_proposals(actor: Actor) -> Select[Proposal]:
    return select(Proposal).where(_neutrality_cond(actor, Proposal, DECIDED_STATES))


def get_finding(session: Session, actor: Actor, finding_id: Any) -> Finding:
    result: Finding = _get(session, visible_findings(actor), Finding.id, finding_id)
    return result


def get_proposal(session: Session, actor: Actor, proposal_id: Any) -> Proposal:
    result: Proposal = _get(session, visible_proposals(actor), Proposal.id, proposal_id)
    return result


def visible_insureds(actor: Actor) -> Select[Insured]:
    stmt = select(Insured)
    match actor.org_kind:
        case K.PLATFORM:
            return stmt
        case K.BROKER:
            return stmt.where(Insured.broker_id == actor.org_id)
        case K.INSURED:
            return stmt.where(Insured.organisation_id == actor.org_id)
        case K.INSURER:
            return stmt.where(
                Insured.organisation_id.in_(select(Policy.insured_id).where(Policy.insurer_id == actor.org_id))
            )
        case _:
            return stmt.where(false())


def visible_experts(actor: Actor) -> Select[Expert]:
    """Own pool, plus experts shared with all partners or with this organisation by name."""
    stmt = select(Expert)
    if actor.org_kind == K.PLATFORM:
        return stmt
    if actor.org_kind not in (K.BROKER, K.ADJUSTER_FIRM):
        return stmt.where(false())
    return stmt.where(
        or_(
            Expert.owner_id == actor.org_id,
            Expert.visibility == Visibility.PARTNERS,
            (Expert.visibility == Visibility.NAMED)
            & Expert.id.in_(select(ExpertShare.expert_id).where(ExpertShare.organisation_id == actor.org_id)),
        )
    )


def visible_products(actor: Actor) -> Select[InsurerProduct]:
    """An insurer sees all its own products and the published ones of the others (a competitor's drafts
    and withdrawn products stay its own); brokers and supervision see every product offered now or
    before (not drafts); the platform sees all; insureds and adjuster firms none."""
    stmt = select(InsurerProduct)
    match actor.org_kind:
        case K.PLATFORM:
            return stmt
        case K.INSURER:
            return stmt.where(
                or_(InsurerProduct.insurer_id == actor.org_id, InsurerProduct.status == ProductStatus.PUBLISHED)
            )
        case K.BROKER | K.SUPERVISION:
            return stmt.where(InsurerProduct.status != ProductStatus.DRAFT)
        case _:
            return stmt.where(false())


def _get(session: Session, stmt: Select[Any], pk: Any, ident: Any) -> Any:
    key = _as_uuid(ident)
    if key is None:
        raise NotFound()
    obj = session.execute(stmt.where(pk == key)).unique().scalar_one_or_none()
    if obj is None:
        raise NotFound()
    return obj


def get_policy(session: Session, actor: Actor, policy_id: Any, *options: ExecutableOption) -> Policy:
    """The policy if the actor may see it; ``options`` tune its loading (e.g. leave the sections unread)."""
    result: Policy = _get(session, visible_policies(actor).options(*options), Policy.id, policy_id)
    return result


def get_organisation(session: Session, actor: Actor, org_id: Any) -> Organisation:
    result: Organisation = _get(session, visible_organisations(actor), Organisation.id, org_id)
    return result


def get_adjuster(session: Session, actor: Actor, adjuster_id: Any) -> Adjuster:
    result: Adjuster = _get(session, visible_adjusters(actor), Adjuster.id, adjuster_id)
    return result


def get_listed_adjuster(session: Session, actor: Actor, adjuster_id: Any) -> Adjuster:
    """A practitioner of the public register (``register_adjusters``)."""
    result: Adjuster = _get(session, register_adjusters(actor), Adjuster.id, adjuster_id)
    return result


def get_firm(session: Session, actor: Actor, firm_id: Any) -> AdjusterFirm:
    result: AdjusterFirm = _get(session, visible_firms(actor), AdjusterFirm.organisation_id, firm_id)
    return result


def get_blacklist_entry(session: Session, actor: Actor, entry_id: Any) -> BlacklistEntry:
    result: BlacklistEntry = _get(session, visible_blacklist(actor), BlacklistEntry.id, entry_id)
    return result


def get_product(session: Session, actor: Actor, product_id: Any) -> InsurerProduct:
    result: InsurerProduct = _get(session, visible_products(actor), InsurerProduct.id, product_id)
    return result


def get_insured(session: Session, actor: Actor, org_id: Any) -> Insured:
    result: Insured = _get(session, visible_insureds(actor), Insured.organisation_id, org_id)
    return result


def get_expert(session: Session, actor: Actor, expert_id: Any) -> Expert:
    result: Expert = _get(session, visible_experts(actor), Expert.id, expert_id)
    return result


def _my_cases(actor: Actor) -> Select[Any]:
    """Ids of the cases the actor's organisation takes part in now (参与方), of any kind."""
    return select(Participation.case_id).where(
        Participation.organisation_id == actor.org_id, Participation.until.is_(None)
    )


def visible_cases(actor: Actor) -> Select[Case]:
    """Cases of every kind (placements and claims) the actor's organisation takes part in."""
    if actor.org_kind == K.PLATFORM:
        return select(Case)
    return select(Case).where(Case.id.in_(_my_cases(actor)))


def get_case(session: Session, actor: Actor, case_id: Any) -> Case:
    """The case if the actor's organisation takes part in it; else NotFound, the same as for no case."""
    result: Case = _get(session, visible_cases(actor), Case.id, case_id)
    return result


def visible_claims(actor: Actor) -> Select[Claim]:
    """Claims of cases the actor's organisation takes part in (参与方)."""
    if actor.org_kind == K.PLATFORM:
        return select(Claim)
    return select(Claim).where(Claim.case_id.in_(_my_cases(actor)))


def get_claim(session: Session, actor: Actor, claim_id: Any) -> Claim:
    result: Claim = _get(session, visible_claims(actor), Claim.id, claim_id)
    return result


def visible_events(actor: Actor) -> Select[CatEvent]:
    """Declared catastrophe events (巨灾事件, issue 21): the declaring organisation's, and those tagged on a
    claim the actor's organisation takes part in."""
    if actor.org_kind == K.PLATFORM:
        return select(CatEvent)
    tagged = select(CatEventClaim.event_id).where(
        CatEventClaim.claim_id.in_(visible_claims(actor).with_only_columns(Claim.id))
    )
    return select(CatEvent).where(or_(CatEvent.declared_by_org == actor.org_id, CatEvent.id.in_(tagged)))


def get_event(session: Session, actor: Actor, event_id: Any) -> CatEvent:
    """One event through :func:`visible_events`: another's is NotFound, like none."""
    result: CatEvent = _get(session, visible_events(actor), CatEvent.id, event_id)
    return result


def visible_submissions(actor: Actor) -> Select[Submission]:
    """A placement's submissions to insurers (issue 15): an insurer sees only those addressed to it (it is
    not a party to the placement's case, so nothing else of the placement); the parties to the case
    (the broker, the insured, supervision) see them all; of adjuster firms only the broker's adjuster on
    that placement, which follows the insurer's underwriting (R-U7)."""
    match actor.org_kind:
        case K.PLATFORM:
            cond: Any = true()
        case K.INSURER:
            cond = Submission.insurer_id == actor.org_id
        case K.ADJUSTER_FIRM:  # the broker's adjuster follows the insurer's underwriting (R-U7)
            cond = Submission.case_id.in_(select(Placement.id).where(Placement.adjuster_firm_id == actor.org_id))
        case _:
            cond = Submission.case_id.in_(_my_cases(actor))
    return select(Submission).where(cond)


def get_submission(session: Session, actor: Actor, submission_id: Any) -> Submission:
    """One submission through :func:`visible_submissions`: another insurer's is NotFound, like none."""
    result: Submission = _get(session, visible_submissions(actor), Submission.id, submission_id)
    return result
