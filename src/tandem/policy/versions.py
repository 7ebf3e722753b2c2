"""The versions of a policy's cover (issue 16 item 3): which sections, sums insured and rates applied on a
given day. A policy without a mid-term change has one implicit version, its sections as issued; the first
accepted change records that one as version 1 and itself as version 2. Claims read the version in force at
the loss time (:func:`sections_at`), so the amount engine applies the cover the insured had that day."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.kit.clock import local_day
from tandem.placement.market_models import Quote
from tandem.policy.inforce_models import PolicyVersion
from tandem.policy.models import Policy, PolicySection

#: The money and rate columns a section snapshot keeps (decimal strings or null), besides code and name.
MONEY_KEYS = ("sum_insured", "insured_value", "deductible_amount", "per_occurrence_limit", "aggregate_limit")
NO_COEFFICIENT = "1"


@dataclass(frozen=True)
class Snapshot:
    """A version's cover: its number (0 = the implicit one as issued), the first day it applies, the
    sections as dicts (with ``rate_permille`` when known) and the rate adjustment coefficient."""

    number: int
    effective_date: dt.date
    sections: list[dict[str, Any]]
    coefficient: str
    total_premium: Decimal | None = None
    premium_delta: Decimal = Decimal("0.00")


def _text(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def _quoted(session: Session, policy: Policy) -> tuple[dict[str, str], str]:
    """The rates (‰) by section code and the coefficient of the quote a bound policy was issued from."""
    quote = session.get(Quote, policy.quote_id) if policy.quote_id else None
    if quote is None:
        return {}, NO_COEFFICIENT
    rates = {str(s["ref"]).lower().replace("-", "_"): str(s["rate_permille"]) for s in quote.sections}
    return rates, str((quote.pricing or {}).get("coefficient") or NO_COEFFICIENT)


def section_dict(s: PolicySection, rate: str | None) -> dict[str, Any]:
    doc: dict[str, Any] = {"code": s.code, "name": s.name}
    doc.update({k: _text(getattr(s, k)) for k in MONEY_KEYS})
    doc["deductible_rate"] = _text(s.deductible_rate)
    doc["options"] = dict(s.options or {})
    doc["rate_permille"] = rate
    return doc


def versions(session: Session, policy: Policy) -> list[PolicyVersion]:
    return list(
        session.execute(
            select(PolicyVersion).where(PolicyVersion.policy_id == policy.id).order_by(PolicyVersion.number)
        ).scalars()
    )


def as_issued(session: Session, policy: Policy) -> Snapshot:
    """The implicit first version: the policy's sections with the quote's rates, from the period start."""
    rates, coefficient = _quoted(session, policy)
    sections = [section_dict(s, rates.get(s.code)) for s in policy.sections]
    return Snapshot(0, policy.period_start, sections, coefficient)


def _snapshot(v: PolicyVersion) -> Snapshot:
    return Snapshot(v.number, v.effective_date, list(v.sections), v.coefficient, v.total_premium, v.premium_delta)


def history(session: Session, policy: Policy) -> list[Snapshot]:
    """The versions oldest first; the policy as issued (number 0, its premium) when none is recorded."""
    recorded = versions(session, policy)
    if recorded:
        return [_snapshot(v) for v in recorded]
    first = as_issued(session, policy)
    return [Snapshot(0, first.effective_date, first.sections, first.coefficient, policy.premium)]


def current(session: Session, policy: Policy) -> Snapshot:
    """The latest agreed version (the one a new change starts from)."""
    found = versions(session, policy)
    if not found:
        return as_issued(session, policy)
    return _snapshot(found[-1])


def version_at(session: Session, policy: Policy, day: dt.date) -> PolicyVersion | None:
    """The recorded version in force on ``day`` (None: the policy as issued applies)."""
    found = [v for v in versions(session, policy) if v.effective_date <= day]
    return found[-1] if found else None


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def sections_at(session: Session, policy: Policy, when: dt.datetime) -> list[PolicySection]:
    """The sections in force at ``when`` (a loss time): the policy's own rows, or detached copies of a
    recorded version's snapshot (never added to the session)."""
    version = version_at(session, policy, local_day(when))
    if version is None:
        return list(policy.sections)
    return [
        PolicySection(
            policy_id=policy.id,
            position=i,
            code=s["code"],
            name=s["name"],
            deductible_rate=_decimal(s.get("deductible_rate")),
            options=dict(s.get("options") or {}),
            **{k: _decimal(s.get(k)) for k in MONEY_KEYS},
        )
        for i, s in enumerate(version.sections)
    ]
