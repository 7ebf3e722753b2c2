"""Demo: the second pre-assessment and the MoU (R-U7, R-U8) on the demo placement that went to market.

The first insurer approached (中安财产保险, underwriter1) appoints its own adjuster, 周敏 of 华信 (never the
broker's adjuster's firm: 张伟's 浙衡), who accepts at the insurer's cost, surveys with 吴斌 and submits a
《预评估报告》 rating the switch-room cables 中/1.10 where 张伟 had 高/1.15. The insurer opens the
consultation; in round 1 张伟 comes down to 中/1.12 with his reason, in round 2 周敏 accepts it. The MoU
is acknowledged by both adjusters, the broker's risk evaluator, the insurer and the insured, and the risk
evaluator merges it into the risk register.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.access.actor import Actor
from tandem.access.models import User
from tandem.case import service as case_service
from tandem.claim.models import PartyRole
from tandem.config import Settings
from tandem.demo_placements import PHOTO, report_content
from tandem.fees.engine import Basis, FeeTerms, Payer
from tandem.kit.clock import local_day
from tandem.party.models import Adjuster
from tandem.placement import consult, prereport, second_opinion
from tandem.placement.models import Placement, PlacementStatus
from tandem.placement.service import case_of
from tandem.reconciliation import consultation as engine

INSURER_TERMS = FeeTerms(Basis.HOURLY, Payer.INSURER, 30, hourly_rate=Decimal("680.00"))


def _second_report(sites: list[dict[str, object]]) -> dict[str, object]:
    content = report_content(sites, "嘉兴鑫达电子：保险人委托第二次预评估")
    points = [dict(p) for p in content["risk_points"]]
    points[0] |= {"title": "配电房电缆老化破损", "level": "中", "coefficient": "1.1000"}
    content["risk_points"] = [{**p, "ref": f"Z{p['ref']}"} for p in points]
    return content


def load(session: Session, settings: Settings, now: dt.datetime) -> None:
    """Called once, inside ``tandem.demo.load`` after the demo placements."""
    placement = (
        session.execute(
            select(Placement).where(Placement.status == PlacementStatus.TO_MARKET).order_by(Placement.created_at)
        )
        .scalars()
        .first()
    )
    if placement is None:
        return
    users = {u.username: u for u in session.execute(select(User)).unique().scalars()}
    actors = {name: Actor.from_user(u) for name, u in users.items()}
    adjusters = {a.name: a for a in session.execute(select(Adjuster)).unique().scalars()}
    zhou, wu = adjusters["周敏"], adjusters["吴斌"]
    lead, second = actors["adjuster5"], actors["adjuster6"]  # 周敏, 吴斌 of 华信
    at = now - dt.timedelta(days=20)

    def tick(hours: float = 1) -> dt.datetime:
        nonlocal at
        at += dt.timedelta(hours=hours)
        return at

    pid, uw = placement.id, actors["underwriter1"]
    # The insurer takes part once approached (a submission makes it so).
    case_service.add_participant(session, case_of(session, placement), uw.org_id, PartyRole.INSURER, now=tick(0))
    row = second_opinion.appoint(session, uw, pid, zhou.id, now=tick(2))
    due = local_day(tick(3)) + dt.timedelta(days=15)
    second_opinion.accept(session, lead, pid, row.id, terms=INSURER_TERMS, report_due=due, now=at)
    prereport.add_second(session, lead, pid, wu.id, now=tick(2))
    photo = prereport.upload_photo(
        session, settings, lead, pid, filename="配电房复核.png", content_type="image/png", data=PHOTO, now=tick(20)
    )
    prereport.record_visit(
        session, lead, pid, visited_at=at, participants=[zhou.name, wu.name], notes="复核配电房电缆及消防通道。",
        photo_hashes=[photo.sha256], now=tick(1),
    )  # fmt: skip
    prereport.save_draft(session, lead, pid, _second_report(placement.subject["sites"]), now=tick(24))
    signing = prereport.submit(session, lead, pid, signer_ids=[zhou.id, wu.id], now=tick(1))
    prereport.sign(session, second, pid, content_hash=signing.content_hash, now=tick(1))

    # The consultation: one risk point disputed, settled in round 2.
    cons = consult.open_consultation(session, uw, pid, now=tick(4), round_working_days=settings.round_working_days)
    firm_a = actors["adjuster3"]  # 张伟, the broker's adjuster
    engine.start_rounds(session, firm_a, pid, now=tick(1))
    disputed = next(i for i in engine.items(session, cons) if i.state == "open")
    engine.item_move(
        session, firm_a, pid, disputed.id, kind="propose", level="中", coefficient=Decimal("1.1200"),
        reason="配电房电缆已部分更换，但仍有老化段", now=tick(20),
    )  # fmt: skip
    engine.item_move(session, lead, pid, disputed.id, kind="hold", now=tick(4))
    engine.end_round(session, actors["broker"], pid, now=tick(2), confirm=True)
    engine.item_move(session, lead, pid, disputed.id, kind="accept", now=tick(20))
    for who in ("adjuster3", "adjuster5", "risk", "underwriter1", "insured1"):
        engine.acknowledge(session, actors[who], pid, now=tick(3))
    consult.merge_memorandum(session, actors["risk"], pid, now=tick(2))
