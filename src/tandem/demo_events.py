"""The demo's catastrophe (巨灾事件, issue 21): the broker declared a flood over 杭州 and 嘉兴 two days ago.
The open notices there were tagged on declaring, new ones at intake; 杭州市西湖区 was assigned to 正衡 in
one go (the routing checks on each notice), the other districts still wait; the fires tagged on
declaring were untagged by hand. Built through the services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.access.actor import Actor
from tandem.access.models import Organisation, User
from tandem.claim import events, service
from tandem.claim.event_models import CatEvent, Peril
from tandem.claim.models import Channel
from tandem.config import Settings
from tandem.policy.models import Policy

NAME = "杭嘉湖暴雨洪涝"
#: (hours before now the notice came in, user, policy, place, what happened, estimated loss)
NOTICES = (
    (40, "insured3", "PQC2026330100003", "浙江省杭州市西湖区文三路90号", "一楼商铺进水，货架及存货浸泡", "86000"),
    (36, "insured3", "PQC2026330100003", "浙江省杭州市西湖区天目山路18号", "地下车库进水，配电设备受损", "240000"),
    (30, "insured3", "PQC2026330100003", "浙江省杭州市拱墅区湖墅南路88号", "仓库进水，纸制品受潮", "52000"),
    (20, "insured3", "PQC2026330100003", "浙江省杭州市拱墅区莫干山路100号", "围墙倒塌，一名保安受伤送医", "35000"),
    (12, "insured3", "PQC2026330100003", "浙江省杭州市余杭区良渚街道", "厂房进水，原料受潮", "128000"),
    (8, "insured1", "PQC2026330400001", "浙江省嘉兴市南湖区亚中路88号", "暴雨倒灌，原料仓库进水", "310000"),
)


def load(session: Session, settings: Settings, now: dt.datetime) -> None:
    """Declare the event, take its notices, assign one district; called once from ``tandem.demo.load``."""
    users = {u.username: u for u in session.execute(select(User)).unique().scalars()}
    actors = {name: Actor.from_user(u) for name, u in users.items()}
    policies = {p.number: p for p in session.execute(select(Policy)).scalars()}
    broker = actors["broker"]
    declared = now - dt.timedelta(hours=44)
    events.declare(
        session,
        broker,
        events.EventInput(NAME, Peril.FLOOD, ("杭州市", "嘉兴市"), declared - dt.timedelta(days=2), now),
        now=declared,
    )
    for hours, user, number, place, what, loss in NOTICES:
        at = now - dt.timedelta(hours=hours)
        notice = service.NoticeInput(
            policy_id=policies[number].id,
            loss_at=at - dt.timedelta(hours=3),
            location=place,
            description=what,
            channel=Channel.PHONE,
            estimated_loss=Decimal(loss),
        )
        service.notify_loss(session, settings, actors[user], notice, now=at, idempotency_key=None)
    event = session.execute(select(CatEvent).where(CatEvent.name == NAME)).scalar_one()
    # The demo's own 正衡 (with its users): an expert pool loaded before may hold a firm of the same name.
    own = select(User.organisation_id).where(User.username.in_(actors))
    firm = session.execute(
        select(Organisation.id).where(Organisation.name.like("正衡%"), Organisation.id.in_(own))
    ).scalar_one()
    events.assign_district(session, broker, event.id, "杭州市西湖区", firm, now=now - dt.timedelta(hours=6))
    # Fires inside the area and period were tagged on declaring; the broker took them out by hand.
    for claim in events.event_claims(session, broker, event):
        if "起火" in claim.description:
            events.untag(session, broker, event.id, claim.id, now=now - dt.timedelta(hours=5))
