"""Demo onboarding (开通): the broker's administrator has invited a colleague who has not joined yet (the
invitation waits on 本机构 / My organisation), and the broker's own login history shows an office sign-in
and a mistyped password. Loaded with the demo's claims (``tandem.demo.load``)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.access import links, logins
from tandem.access.actor import Actor
from tandem.access.models import Role, User
from tandem.config import Settings

OFFICE = logins.Attempt("web", "10.20.3.17", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0")


def load(session: Session, settings: Settings, now: dt.datetime) -> None:
    broker = session.execute(select(User).where(User.username == "broker")).scalar_one()
    links.invite(
        session,
        settings,
        Actor.from_user(broker),
        broker.organisation,
        email="sun.yue@hengxin.demo.tandem.local",
        display_name="孙悦",
        roles=[Role.BROKER_RISK_EVALUATOR],
        now=now - dt.timedelta(hours=3),
    )
    logins.record(session, broker.id, logins.WRONG_PASSWORD, OFFICE, now - dt.timedelta(days=1, minutes=2))
    logins.record(session, broker.id, logins.SUCCESS, OFFICE, now - dt.timedelta(days=1))
