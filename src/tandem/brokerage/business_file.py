"""The business file of a placed policy (业务档案, regulation.md §1.5, 经纪人规定 Art. 44): besides the policy
data the policy holds, the commission and how it is collected, how and when premium is remitted to the
insurer, and the staff member who served. The broker keeps it on the policy page; a policy of the broker's
without a complete file shows what is missing. The insured accepts the quote that binds a placement, so the
file is the broker's step after binding (the policy page flags it until it is complete)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.access import scope
from tandem.access.actor import Actor
from tandem.access.models import OrgKind, Role, User
from tandem.audit import service as audit
from tandem.brokerage.models import BusinessFile
from tandem.kit.errors import ActionNotAllowed, InvalidInput
from tandem.kit.i18n import N_
from tandem.policy.models import Policy

FIELDS = (
    "commission_rate",
    "commission_amount",
    "commission_collection",
    "remittance",
    "remittance_days",
    "served_by",
)
COLLECTIONS = ("deducted", "invoiced")  # deducted from the premium remitted | invoiced to the insurer
REMITTANCES = ("net", "gross")  # premium remitted net of commission | in full
MAX_DAYS = 365
BAD_RATE = N_("Enter a rate between 0 and 1.")
BAD_CHOICE = N_("Choose one of the options.")
BAD_DAYS = N_("Enter a whole number of days between 0 and 365.")
BAD_STAFF = N_("Choose a colleague of your broker.")
NOT_NET = N_("Premium remitted net of commission means the commission is deducted.")


@dataclass(frozen=True)
class FileIn:
    commission_rate: Decimal | None
    commission_amount: Decimal | None
    commission_collection: str
    remittance: str
    remittance_days: int | None
    served_by: uuid.UUID | None


def get(session: Session, policy_id: uuid.UUID) -> BusinessFile | None:
    return session.get(BusinessFile, policy_id)


def missing(file: BusinessFile | None) -> list[str]:
    """The §1.5 fields not on file (all of them without a file)."""
    if file is None:
        return list(FIELDS)
    return [f for f in FIELDS if getattr(file, f) is None]


def applies(policy: Policy) -> bool:
    """A business file is kept for a policy the broker placed."""
    return policy.broker_id is not None


def incomplete(session: Session, actor: Actor) -> list[tuple[Policy, list[str]]]:
    """The broker's policies whose business file is missing or incomplete, the latest period first."""
    if actor.org_kind != OrgKind.BROKER:
        raise ActionNotAllowed()
    stmt = (
        select(Policy, BusinessFile)
        .outerjoin(BusinessFile, BusinessFile.policy_id == Policy.id)
        .where(Policy.broker_id == actor.org_id)
        .order_by(Policy.period_start.desc(), Policy.number)
    )
    out = []
    for policy, file in session.execute(stmt).unique():
        gaps = missing(file)
        if gaps:
            out.append((policy, gaps))
    return out


def staff(session: Session, broker_id: uuid.UUID) -> list[User]:
    stmt = select(User).where(User.organisation_id == broker_id, User.active.is_(True)).order_by(User.display_name)
    return list(session.execute(stmt).scalars())


def _check(session: Session, broker_id: uuid.UUID, data: FileIn) -> dict[str, str]:
    errors: dict[str, str] = {}
    if data.commission_rate is None or not 0 <= data.commission_rate <= 1:
        errors["commission_rate"] = BAD_RATE
    if data.commission_amount is None:
        errors["commission_amount"] = N_("This field is required.")
    if data.commission_collection not in COLLECTIONS:
        errors["commission_collection"] = BAD_CHOICE
    if data.remittance not in REMITTANCES:
        errors["remittance"] = BAD_CHOICE
    elif data.remittance == "net" and data.commission_collection == "invoiced":
        errors["remittance"] = NOT_NET
    if data.remittance_days is None or not 0 <= data.remittance_days <= MAX_DAYS:
        errors["remittance_days"] = BAD_DAYS
    user = session.get(User, data.served_by) if data.served_by else None
    if user is None or user.organisation_id != broker_id or not user.active:
        errors["served_by"] = BAD_STAFF
    return errors


def keeper_of(session: Session, actor: Actor, policy_id: Any) -> Policy:
    """The policy whose business file the actor keeps: 404 for a policy not the actor's, 403 for anyone but
    the placing broker's account managers (checked before anything typed is judged)."""
    policy = scope.get_policy(session, actor, policy_id)
    if actor.org_kind != OrgKind.BROKER or policy.broker_id != actor.org_id:
        raise ActionNotAllowed()
    if not actor.has_any(frozenset({Role.BROKER_ACCOUNT_MANAGER})):
        raise ActionNotAllowed()
    return policy


def save(session: Session, actor: Actor, policy_id: Any, data: FileIn, *, at: dt.datetime) -> BusinessFile:
    """Keep the business file of the broker's policy (404 for a policy not the actor's; 403 for a role that
    does not manage policies; 422 naming every field that is wrong, nothing written then)."""
    policy = keeper_of(session, actor, policy_id)
    errors = _check(session, actor.org_id, data)
    if errors:
        raise InvalidInput(next(iter(errors.values())), fields=errors)
    file = session.get(BusinessFile, policy.id, with_for_update=True)
    before = _doc(file) if file else None
    if file is None:
        file = BusinessFile(policy_id=policy.id)
        session.add(file)
    file.commission_rate = data.commission_rate  # type: ignore[assignment]
    file.commission_amount = data.commission_amount  # type: ignore[assignment]
    file.commission_collection = data.commission_collection
    file.remittance = data.remittance
    file.remittance_days = data.remittance_days  # type: ignore[assignment]
    file.served_by = data.served_by  # type: ignore[assignment]
    file.updated_by = actor.user_id
    file.updated_at = at
    session.flush()
    audit.record(
        session,
        actor.ref,
        action="policy.business_file_saved",
        entity_type="policy",
        entity_id=policy.id,
        at=at,
        chain_key=f"org:{actor.org_id}",
        before=before,
        after=_doc(file),
        request_id=actor.request_id,
    )
    return file


def _doc(file: BusinessFile) -> dict[str, Any]:
    return {
        "commission_rate": str(file.commission_rate),
        "commission_amount": f"{file.commission_amount:.2f}",
        "commission_collection": file.commission_collection,
        "remittance": file.remittance,
        "remittance_days": file.remittance_days,
        "served_by": str(file.served_by),
    }
