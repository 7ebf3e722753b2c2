"""The public adjuster register (公估师公开名录): what an insured, a broker or an insurer may look up when it
names an adjuster (R-U1) — the practitioner's name, its firm and whether the firm is filed, the
qualification status and the lines; never personal data (phone, ID number, e-mail, certificate)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import or_, tuple_
from sqlalchemy.orm import Session

from tandem.access import scope
from tandem.access.actor import Actor
from tandem.access.models import Organisation
from tandem.db import json_list_contains
from tandem.kit.errors import InvalidInput
from tandem.kit.pagination import decode_cursor, encode_cursor
from tandem.party import service
from tandem.party.cover import LINES
from tandem.party.models import Adjuster, AdjusterFirm, FilingStatus
from tandem.routing.service import PROVINCES, RISK_EVALUATION

# The lines one may search by: the lines of insurance and the placement's skill, risk evaluation.
SEARCH_LINES = (RISK_EVALUATION, *LINES)
NATIONWIDE = "全国"
Q_MAX = 100


@dataclass(frozen=True)
class RegisterRow:
    id: uuid.UUID
    name: str
    firm_id: uuid.UUID
    firm: str
    firm_filed: bool
    qualification_status: str
    lines: tuple[str, ...]


@dataclass(frozen=True)
class RegisterPage:
    rows: list[RegisterRow]
    next: str | None


def row(adj: Adjuster, today: dt.date) -> RegisterRow:
    firm = adj.firm
    return RegisterRow(
        id=adj.id,
        name=adj.name,
        firm_id=adj.firm_id,
        firm=firm.organisation.name,
        firm_filed=firm.filing_status == FilingStatus.FILED and firm.organisation.active,
        qualification_status=service.qualification_status(adj, today),
        lines=tuple(adj.lines or ()),
    )


def check_filters(q: str, line: str, province: str) -> tuple[str, str, str]:
    """The filters trimmed, or InvalidInput naming the one that is not understood."""
    q, line, province = q.strip(), line.strip(), province.strip()
    errors = {}
    if len(q) > Q_MAX:
        errors["q"] = f"at most {Q_MAX} characters"
    if line and line not in SEARCH_LINES:
        errors["line"] = "unknown line"
    if province and province not in PROVINCES:
        errors["province"] = "unknown province"
    if errors:
        raise InvalidInput(fields=errors)
    return q, line, province


def search(
    session: Session,
    actor: Actor,
    today: dt.date,
    *,
    q: str = "",
    line: str = "",
    province: str = "",
    cursor: str | None = None,
    limit: int = 50,
) -> RegisterPage:
    """Practitioners by name or firm (``q``), line and province (the adjuster's own regions or the
    firm's business area, nationwide firms included), by name; keyset-paginated."""
    q, line, province = check_filters(q, line, province)
    stmt = (
        scope.register_adjusters(actor)
        .join(AdjusterFirm, AdjusterFirm.organisation_id == Adjuster.firm_id)
        .join(Organisation, Organisation.id == AdjusterFirm.organisation_id)
        .order_by(Adjuster.name, Adjuster.id)
    )
    if q:
        stmt = stmt.where(
            or_(Adjuster.name.contains(q, autoescape=True), Organisation.name.contains(q, autoescape=True))
        )
    if line:
        stmt = stmt.where(json_list_contains(Adjuster.lines, line))
    if province:
        stmt = stmt.where(
            or_(
                json_list_contains(Adjuster.regions, province),
                json_list_contains(AdjusterFirm.business_area, province),
                json_list_contains(AdjusterFirm.business_area, NATIONWIDE),
            )
        )
    after = decode_cursor(cursor)
    if after:
        if len(after) != 2 or not all(isinstance(v, str) for v in after):
            raise InvalidInput("Invalid cursor.", fields={"cursor": "not a cursor from this API"})
        stmt = stmt.where(tuple_(Adjuster.name, Adjuster.id) > tuple_(after[0], _uuid(after[1])))
    found = list(session.execute(stmt.limit(limit + 1)).unique().scalars())
    last = found[limit - 1] if len(found) > limit else None
    return RegisterPage(
        [row(a, today) for a in found[:limit]], encode_cursor([last.name, str(last.id)]) if last else None
    )


def _uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidInput("Invalid cursor.", fields={"cursor": "not a cursor from this API"}) from None
