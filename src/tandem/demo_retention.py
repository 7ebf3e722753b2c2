"""Demo retention (issue 20 item 2): an old one-year policy the broker placed for 杨慧敏 (a natural person),
with its business file, ended 2020-06-30 and so due for anonymisation since 2025-06-30. The broker's
administrator sees it on the Retention / 保存期限 page and may propose it; the platform admin approves. 杨慧敏
still holds a policy in force, so an approved run keeps her data (its item lists no field replaced)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.access.actor import Actor
from tandem.access.models import User
from tandem.brokerage import business_file
from tandem.party.models import Insured, InsuredKind
from tandem.policy.models import Policy, PolicyStatus

OLD_POLICY = "PQC2019330400901"


def load(session: Session, now: dt.datetime) -> None:
    placed(
        session, OLD_POLICY, dt.date(2019, 7, 1), dt.date(2020, 6, 30), dt.datetime(2019, 6, 25, 2, 0, tzinfo=dt.UTC)
    )


def placed(session: Session, number: str, start: dt.date, end: dt.date, at: dt.datetime) -> Policy:
    """A policy the broker placed for 杨慧敏 (a natural person) from ``start`` to ``end``, its business file
    kept at ``at`` (the tests' record past its retention date too)."""
    broker = session.execute(select(User).where(User.username == "broker")).scalar_one()
    actor = Actor.from_user(broker)
    person = (
        session.execute(select(Insured).where(Insured.kind == InsuredKind.PERSON, Insured.contact_name == "杨慧敏"))
        .unique()
        .scalar_one()
    )
    model = session.execute(select(Policy).where(Policy.broker_id == actor.org_id).limit(1)).unique().scalar_one()
    policy = Policy(
        number=number,
        insured_id=person.organisation_id,
        insurer_id=model.insurer_id,
        broker_id=actor.org_id,
        line=model.line,
        period_start=start,
        period_end=end,
        status=PolicyStatus.EXPIRED,
        created_at=at,
    )
    session.add(policy)
    session.flush()
    terms = business_file.FileIn(Decimal("0.12"), Decimal("360.00"), "deducted", "net", 10, broker.id)
    business_file.save(session, actor, policy.id, terms, at=at)
    return policy
