"""Who may decide what the consultation leaves open (公估人/专家): candidates from outside both sides, their
affiliation shown, conflicts screened. An expert of a party of the case (e.g. the broker's own pool) is not
neutral: such a named person may be proposed, shown with its affiliation, and stands only when the other
side accepts it. Either side's own experts and firms never decide."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.access import scope
from tandem.access.actor import Actor
from tandem.access.models import Organisation
from tandem.case.models import Case
from tandem.case.service import case_id_of
from tandem.claim.models import Claim, Participation, PartyRole
from tandem.kit.clock import local_day
from tandem.kit.errors import Conflict, NotFound
from tandem.kit.i18n import N_, Phrase, phrase_text
from tandem.party.models import Adjuster, Expert
from tandem.reconciliation.models import Consultation
from tandem.routing.service import case_subject, evaluate

# Routing reasons that do not matter for deciding one disputed item.
NOT_BLOCKING = ("over_capacity", "not_qualified_for_line", "outside_area")


@dataclass(frozen=True)
class Candidate:
    kind: str  # expert | adjuster
    id: uuid.UUID
    name: str
    affiliation: str  # the organisation (and employer) the person belongs to
    neutral: bool  # outside every party of the case
    conflicts: list[Phrase] = field(default_factory=list)  # why the person may not decide (in words)


Subject = Claim | Case


def parties(session: Session, claim: Subject) -> dict[uuid.UUID, str]:
    """The organisations taking part in the case now, by id, with their names."""
    ids = set(
        session.execute(
            select(Participation.organisation_id).where(
                Participation.case_id == case_id_of(claim), Participation.until.is_(None)
            )
        ).scalars()
    )
    if not ids:
        return {}
    return {o.id: o.name for o in session.execute(select(Organisation).where(Organisation.id.in_(ids))).scalars()}


def _names(text: str, names: list[str]) -> list[str]:
    return [n for n in names if text and (text in n or n in text)]


def _principals(session: Session, claim: Subject) -> set[uuid.UUID]:
    """The insured and the insurer(s) of the case: an umpire employed by one of them is conflicted."""
    if isinstance(claim, Claim):
        return {claim.insured_id, claim.insurer_id}
    return {
        o
        for o, r in session.execute(
            select(Participation.organisation_id, Participation.party_role).where(
                Participation.case_id == claim.id, Participation.until.is_(None)
            )
        ).all()
        if r in (PartyRole.INSURED, PartyRole.INSURER)
    }


def expert_standing(session: Session, claim: Subject, cons: Consultation, expert: Expert) -> Candidate:
    on_case = parties(session, claim)
    owner = session.get(Organisation, expert.owner_id)
    owner_name = owner.name if owner else ""
    affiliation = (
        owner_name if not expert.employer or expert.employer == owner_name else f"{owner_name} · {expert.employer}"
    )
    conflicts = []
    if expert.owner_id in (cons.firm_a_id, cons.firm_b_id):
        conflicts.append(
            Phrase(N_("{name}: an expert of {owner}, which acts for one side"), name=expert.name, owner=owner_name)
        )
    declared = [c for c in (expert.extra or {}).get("conflicts") or [] if isinstance(c, str) and c]
    for party in sorted(on_case.values()):
        if any(c in party or party in c for c in declared):
            conflicts.append(
                Phrase(N_("{name}: declared a conflict of interest with {party}"), name=expert.name, party=party)
            )
    principals = _principals(session, claim)
    employed = _names(expert.employer or "", [n for o, n in on_case.items() if o in principals])
    conflicts += [Phrase(N_("{name}: employed by {employer}"), name=expert.name, employer=n) for n in employed]
    neutral = expert.owner_id not in on_case and not _names(expert.employer or "", list(on_case.values()))
    return Candidate("expert", expert.id, expert.name, affiliation, neutral, conflicts)


def adjuster_standing(session: Session, claim: Subject, adj: Adjuster, now: dt.datetime) -> Candidate:
    from tandem.party.service import ineligibility_words

    on_case = parties(session, claim)
    firm = adj.firm.organisation.name
    conflicts = []
    if adj.firm_id in on_case:
        conflicts.append(Phrase(N_("{name}: {firm} takes part in this case"), name=adj.name, firm=firm))
    subject = claim if isinstance(claim, Claim) else case_subject(session, claim)
    if [r for r in evaluate(session, subject, adj, now).reasons if r not in (*NOT_BLOCKING, "conflict_of_interest")]:
        conflicts.append(ineligibility_words(session, adj, local_day(now), subject.broker_id) or Phrase(adj.name))
    return Candidate("adjuster", adj.id, adj.name, firm, adj.firm_id not in on_case, conflicts)


def candidates(session: Session, actor: Actor, claim: Subject, cons: Consultation, now: dt.datetime) -> list[Candidate]:
    """Experts and third adjusters the actor may propose, outsiders first; conflicted ones are left out."""
    found = [
        expert_standing(session, claim, cons, e)
        for e in session.execute(scope.visible_experts(actor).order_by(Expert.name).limit(200)).unique().scalars()
    ]
    # An adjuster firm sees only its own staff in the register; as umpire it may name any third adjuster.
    register = select(Adjuster) if actor.org_kind.value == "adjuster_firm" else scope.visible_adjusters(actor)
    found += [
        adjuster_standing(session, claim, a, now)
        for a in session.execute(register.order_by(Adjuster.certificate_no).limit(500)).unique().scalars()
    ]
    return sorted((c for c in found if not c.conflicts), key=lambda c: (not c.neutral, c.kind, c.name))


def screen(
    session: Session,
    actor: Actor,
    claim: Subject,
    cons: Consultation,
    kind: str,
    umpire_id: uuid.UUID,
    now: dt.datetime,
) -> Candidate:
    """The proposed person's standing; 409 naming the conflict in words beside ``umpire_id``."""
    if kind == "adjuster":
        adj = (
            scope.get_adjuster(session, actor, umpire_id)
            if actor.org_kind.value != "adjuster_firm"
            else session.get(Adjuster, umpire_id)
        )
        if adj is None:
            raise NotFound()
        found = adjuster_standing(session, claim, adj, now)
    else:
        found = expert_standing(session, claim, cons, scope.get_expert(session, actor, umpire_id))
    if found.conflicts:
        why = tuple(found.conflicts)
        raise Conflict(
            "This umpire is not acceptable: {why}.", why=why, fields={"umpire_id": str(phrase_text(why, None))}
        )
    return found
