"""What every case kind shares: audiences, participations (参与方) and the adjuster's side."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from tandem.access.actor import Actor
from tandem.case import audience
from tandem.claim.models import Claim, PartyRole
from tandem.kit.errors import ActionNotAllowed

# Audiences of timeline events and messages name sides on the case (tandem.case.audience).
ALL = audience.ALL
AUDIENCES = audience.CHANNELS


def participant_roles(session: Session, claim: Claim, org_id: uuid.UUID) -> set[PartyRole]:
    """The party roles an organisation holds on the case now."""
    return {PartyRole(side) for side in audience.sides_of(session, claim.id, org_id)}


def require_party(session: Session, actor: Actor, claim: Claim, role: PartyRole) -> None:
    if role not in participant_roles(session, claim, actor.org_id):
        raise ActionNotAllowed()


def adjuster_side(session: Session, actor: Actor, claim: Claim) -> str:
    """'a' for the broker's adjuster firm, 'b' for the insurer's own; 403 for anybody else."""
    roles = participant_roles(session, claim, actor.org_id)
    if PartyRole.ADJUSTER in roles:
        return "a"
    if PartyRole.INSURER_ADJUSTER in roles:
        return "b"
    raise ActionNotAllowed()
