"""The guard of publishing the risk register (R-U4), apart from :mod:`tandem.placement.risk` so the
workflow table can name it without importing the service (which imports the workflow)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.access.actor import Actor
from tandem.kit.errors import Conflict, InvalidInput
from tandem.kit.i18n import N_
from tandem.placement.models import Placement
from tandem.placement.risk_models import RegisterPoint, RiskRegister

NOT_SEEDED = N_("The risk register has not been drawn up yet.")
BELOW_ONE = N_("A loading coefficient below 1 would be a discount: review it before publishing.")
ONE = Decimal(1)


def register_ready(session: Session, placement: Placement, actor: Actor | None) -> None:
    """The register is drawn up (409 else) and no point's loading coefficient is below 1 (422 naming
    each such point's coefficient: the engine prices a loading, never a discount)."""
    if session.get(RiskRegister, placement.id) is None:
        raise Conflict(NOT_SEEDED)
    rows = session.execute(
        select(RegisterPoint.ref, RegisterPoint.coefficient).where(RegisterPoint.case_id == placement.id)
    ).all()
    below = {f"points.{ref}.coefficient": BELOW_ONE for ref, coefficient in rows if coefficient < ONE}
    if below:
        raise InvalidInput(BELOW_ONE, fields=below)
