"""The guard of going to market (issue 15 item 3), apart from :mod:`tandem.placement.market` so the
workflow table can name it without importing the service (which imports the workflow)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.access.actor import Actor
from tandem.kit.errors import Conflict
from tandem.kit.i18n import N_
from tandem.placement.market_models import Consent, ConsentKind, ConsentStatus
from tandem.placement.models import Placement

NOT_GIVEN = N_("Not given to the insured yet.")
NOT_ACKNOWLEDGED = N_("Not acknowledged by the insured yet.")
MISSING = N_("Before going to market the insured must acknowledge the disclosure and the mandate.")


class NotReadyForMarket(Conflict):
    code = "placement.market_not_ready"


def missing_consents(session: Session, case_id: object) -> dict[str, str]:
    """What is missing of the disclosure (客户告知书) and the mandate (委托书): kind -> problem."""
    rows = {c.kind: c for c in session.execute(select(Consent).where(Consent.case_id == case_id)).scalars()}
    out: dict[str, str] = {}
    for kind in ConsentKind:
        found = rows.get(kind)
        if found is None:
            out[kind.value] = NOT_GIVEN
        elif found.status != ConsentStatus.ACKNOWLEDGED:
            out[kind.value] = NOT_ACKNOWLEDGED
    return out


def consents_acknowledged(session: Session, placement: Placement, actor: Actor | None) -> None:
    """409 naming what is missing (``fields``: ``disclosure``, ``mandate``) unless both are acknowledged."""
    missing = missing_consents(session, placement.id)
    if missing:
        raise NotReadyForMarket(MISSING, fields=missing)
