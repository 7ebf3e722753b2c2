"""What the pages show, read through the access chokepoint (``tandem.access.scope``) and the party
read models, so a page never shows more than the JSON API would."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from tandem.access import scope
from tandem.access.actor import Actor
from tandem.access.models import Organisation
from tandem.kit.i18n import N_
from tandem.party import service as party_service
from tandem.party import views
from tandem.party.models import Adjuster, AdjusterFirm, BlacklistEntry, LegalForm
from tandem.policy.models import Policy
from tandem.web.labels import Message

REGISTER_LIMIT = 500

TOO_FEW = {
    LegalForm.COMPANY: N_("Qualified adjusters: {qualified}; a company needs at least {minimum}."),
    LegalForm.PARTNERSHIP: N_("Qualified adjusters: {qualified}; a partnership needs at least {minimum}."),
}
NOT_FILED = N_("Filing status: {status}.")
CHANGES_LATE = N_("Change reports overdue: {count}.")


@dataclass(frozen=True)
class FirmRow:
    firm: AdjusterFirm
    out: views.FirmOut
    warnings: list[Message]


@dataclass(frozen=True)
class BlacklistRow:
    entry: BlacklistEntry
    out: views.BlacklistOut
    display_state: str  # in_force | scheduled | ended | lifted
    target_firm: str | None


@dataclass(frozen=True)
class AdjusterSummary:
    total: int
    by_status: dict[str, int]
    assignable: int


def _count(session: Session, stmt: Select[Any]) -> int:
    return int(session.execute(select(func.count()).select_from(stmt.order_by(None).subquery())).scalar_one())


def policies(
    session: Session, actor: Actor, *, org_id: uuid.UUID | None = None, limit: int | None = None
) -> list[Policy]:
    stmt = scope.visible_policies(actor)
    if org_id is not None:
        stmt = stmt.where(or_(Policy.insured_id == org_id, Policy.insurer_id == org_id, Policy.broker_id == org_id))
    stmt = stmt.order_by(Policy.number)
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.execute(stmt).unique().scalars())


def count_policies(session: Session, actor: Actor) -> int:
    return _count(session, scope.visible_policies(actor))


def total_sum_insured(policy: Policy) -> Decimal | None:
    amounts = [s.sum_insured for s in policy.sections if s.sum_insured is not None]
    return sum(amounts, Decimal("0")) if amounts else None


def firm_warnings(session: Session, firm: AdjusterFirm, out: views.FirmOut, today: dt.date) -> list[Message]:
    """The firm's staffing and filing warnings as translatable messages."""
    messages: list[Message] = []
    for w in out.warnings:
        if w.code == "too_few_adjusters":
            qualified = sum(1 for a in firm.adjusters if party_service.qualification_status(a, today) == "valid")
            messages.append(
                Message(
                    TOO_FEW[firm.legal_form],
                    {"qualified": qualified, "minimum": party_service.MIN_ADJUSTERS[firm.legal_form]},
                )
            )
        elif w.code == "not_filed":
            messages.append(Message(NOT_FILED, {"status": ("filing_status", firm.filing_status.value)}))
        elif w.code == "change_report_late":
            late = party_service.overdue_changes(session, firm, today)
            messages.append(Message(CHANGES_LATE, {"count": late}))
        else:
            messages.append(Message(w.message))
    return messages


def firm_row(session: Session, firm: AdjusterFirm, today: dt.date) -> FirmRow:
    out = views.firm_out(session, firm, today)
    return FirmRow(firm, out, firm_warnings(session, firm, out, today))


def firms(session: Session, actor: Actor, today: dt.date) -> list[FirmRow]:
    stmt = (
        scope.visible_firms(actor)
        .join(Organisation, AdjusterFirm.organisation_id == Organisation.id)
        .order_by(Organisation.name)
    )
    return [firm_row(session, f, today) for f in session.execute(stmt).unique().scalars()]


def adjusters(
    session: Session, actor: Actor, today: dt.date, *, firm_id: uuid.UUID | None = None, limit: int = REGISTER_LIMIT
) -> list[views.AdjusterOut]:
    """The register as the actor may see it, by firm, then in the order of registration."""
    stmt = (
        scope.visible_adjusters(actor)
        .join(Organisation, Adjuster.firm_id == Organisation.id)
        .order_by(Organisation.name, Adjuster.registration_no, Adjuster.id)
    )
    if firm_id is not None:
        stmt = stmt.where(Adjuster.firm_id == firm_id)
    rows = session.execute(stmt.limit(limit)).unique().scalars()
    return [views.adjuster_out(session, actor, a, today) for a in rows]


def staff(session: Session, actor: Actor, firm: AdjusterFirm, today: dt.date) -> list[views.AdjusterOut]:
    """A firm's roster (the firm was fetched through the scope), in the order of registration."""
    return [
        views.adjuster_out(session, actor, a, today)
        for a in sorted(firm.adjusters, key=lambda a: (a.registration_no, str(a.id)))
    ]


def summarise(rows: list[views.AdjusterOut]) -> AdjusterSummary:
    by_status = Counter(r.qualification_status for r in rows)
    return AdjusterSummary(
        total=len(rows),
        by_status={k: by_status.get(k, 0) for k in ("valid", "lapsed", "sanctioned")},
        assignable=sum(1 for r in rows if r.assignable),
    )


def blacklist_state(out: views.BlacklistOut, today: dt.date) -> str:
    if out.state == "ended":  # at its term, by the worker
        return "ended"
    if out.state != "active":
        return "lifted"
    if out.in_force:
        return "in_force"
    return "scheduled" if out.valid_from > today else "ended"


def blacklist(session: Session, actor: Actor, today: dt.date) -> list[BlacklistRow]:
    stmt = scope.visible_blacklist(actor).order_by(BlacklistEntry.created_at.desc(), BlacklistEntry.id)
    rows = []
    for e in session.execute(stmt).unique().scalars():
        out = views.blacklist_out(e, today)
        firm_name = e.adjuster.firm.organisation.name if e.adjuster else None
        rows.append(BlacklistRow(e, out, blacklist_state(out, today), firm_name))
    return rows


def organisations(session: Session, actor: Actor) -> list[Organisation]:
    stmt = scope.visible_organisations(actor).order_by(Organisation.kind, Organisation.name)
    return list(session.execute(stmt).scalars())
