"""The demo's explanations and complaints (issue 20 item 3) at their stages, built through
:mod:`tandem.complaint.service` with the demo's clock: insured1's complaint about an adjuster firm received
and acknowledged, awaiting the decision; its request for an explanation the firm answered within the 15 days;
insured3's complaint about the broker, extended to 30 days with a reason; the broker's complaint about an insurer
escalated to supervision (the regulator reads it). Only the demo's own users and their cases are used."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.access.actor import Actor
from tandem.access.models import User
from tandem.case.models import Case
from tandem.claim.models import Participation, PartyRole
from tandem.complaint import service


def _cases(session: Session, org: uuid.UUID, role: PartyRole) -> list[tuple[uuid.UUID, uuid.UUID, dt.datetime]]:
    """(case, organisation in ``role`` on it, case created) for the cases ``org`` takes part in now, oldest first."""
    mine = select(Participation.case_id).where(Participation.organisation_id == org, Participation.until.is_(None))
    stmt = (
        select(Case.id, Participation.organisation_id, Case.created_at)
        .join(Participation, Participation.case_id == Case.id)
        .where(Case.id.in_(mine), Participation.party_role == role, Participation.until.is_(None))
        .order_by(Case.created_at, Case.id)
    )
    return [(c, o, at) for c, o, at in session.execute(stmt)]


def load(session: Session, now: dt.datetime) -> int:
    """File and move the demo's complaints; returns how many were filed (none when the cases are missing)."""
    users = {u.username: u for u in session.execute(select(User).where(User.username.in_(USERS))).unique().scalars()}
    if set(users) != set(USERS):
        return 0
    actors = {name: Actor.from_user(u) for name, u in users.items()}
    filed = 0
    # (complainant, role complained about, case pick, kind, days ago filed, text, then: (who, action, days ago, text))
    for username, role, pick, kind, days, text, moves in PLAN:
        actor = actors[username]
        cases = _cases(session, actor.org_id, role)
        if len(cases) <= pick:
            continue
        case_id, target, created = cases[pick]
        at = max(now - dt.timedelta(days=days), created + dt.timedelta(hours=1))
        row = service.file(session, actor, case_id, kind=kind, target_id=target, text=text, now=at)
        filed += 1
        for who, action, later, reason in moves:
            step = max(now - dt.timedelta(days=later), at + dt.timedelta(hours=2))
            mover = actors[who] if who != "target" else _target_actor(session, row.target_id)
            if mover is None:
                break
            service.act(session, mover, row.id, action, text=reason, now=min(step, now))
    session.flush()
    return filed


def _target_actor(session: Session, org: uuid.UUID) -> Actor | None:
    """A user of the organisation complained about who may act for it (the first by username)."""
    stmt = select(User).where(User.organisation_id == org).order_by(User.username)
    for user in session.execute(stmt).unique().scalars():
        actor = Actor.from_user(user)
        if not actor.read_only:
            return actor
    return None


USERS = ("insured1", "insured3", "broker")
PLAN: tuple[tuple[str, PartyRole, int, str, int, str, tuple[tuple[str, str, int, str], ...]], ...] = (
    (
        "insured1", PartyRole.ADJUSTER, 0, "complaint", 2,
        "查勘人员两次改约未提前通知，现场等候半天无人到场。",
        (),
    ),
    (
        "insured1", PartyRole.ADJUSTER, 1, "explanation", 12,
        "请说明公估报告中存货损失按八折折旧的依据。",
        (("target", "decide", 6,
          "经复核，存货为季节性商品，依据保险单第十二条按市价折旧八折；如有异议可向保险人申请复核或向监管部门投诉。"),),
    ),
    (
        "insured3", PartyRole.BROKER, 0, "complaint", 9,
        "经纪人推荐公估机构前未说明其收费标准。",
        (("target", "extend", 4, "需调取推荐当日的通话录音并核实公估机构的收费协议，延长至三十日内作出处理决定。"),),
    ),
    (
        "broker", PartyRole.INSURER, 0, "complaint", 20,
        "保险人收到完整索赔材料后逾期未核定赔偿。",
        (("broker", "escalate", 3, "保险人未在规定期限内作出处理决定，提交监管部门。"),),
    ),
)  # fmt: skip
