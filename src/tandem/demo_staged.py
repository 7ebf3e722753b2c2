"""Demo data of in-force monitoring (R-U9): on the bound demo placement's policy the broker and the insured
agreed a re-survey every 4 months (missed commitments shown to the insurer); the insured missed its
commitments at binding; the first re-survey opened on its timer and 华信 (张伟, 陈亮) reported it — point 1
remedied, 2 not remedied, 3 worse, a new point 4 — and the next re-survey is scheduled. Built through the
services, each step at its own time (the timers' handlers run at the time they fell due)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from sqlalchemy.orm import Session

from tandem.access.actor import Actor
from tandem.inforce import staged
from tandem.party.models import Adjuster
from tandem.placement.binding import policy_of
from tandem.placement.models import Placement

INTERVAL_MONTHS = 4
EVIDENCE: dict[str, tuple[str, str, str | None]] = {
    "1": ("remedied", "配电房电缆已全部更换为阻燃电缆，见更换验收单及现场照片。", None),
    "2": ("not_remedied", "秀洲仓库东侧消防通道仍堆放包装物，宽度不足 2 米。", None),
    "3": ("worse", "化学品库新增两桶未登记溶剂，未设防泄漏托盘。", "重大"),
}
NEW_POINT = {
    "ref": "4",
    "title": "屋面彩钢板锈蚀",
    "description": "A 栋屋面彩钢板大面积锈蚀，雨季有漏水浸损设备的风险。",
    "location": "A 栋厂房屋面",
    "level": "中",
    "coefficient": "1.0300",
    "advice": "雨季前更换锈蚀板材并做防水处理。",
}


def load(session: Session, actors: Mapping[str, Actor], placement: Placement, signers: list[Adjuster]) -> None:
    """The staged risk evaluation of ``placement``'s policy, from its binding to one report done."""
    policy = policy_of(session, placement.id)
    assert policy is not None
    at = policy.created_at + dt.timedelta(days=2)
    staged.propose(
        session, actors["broker"], policy.id, interval_months=INTERVAL_MONTHS, lead_days=14,
        insurer_sees_missed=True, now=at,
    )  # fmt: skip
    staged.agree(session, actors["insured1"], policy.id, now=at + dt.timedelta(hours=5))
    for task in staged.tasks_of(session, policy):  # the commitments at binding pass unremedied
        due = staged.day_start(task.due_date + dt.timedelta(days=1))
        staged.check_task(session, task.id, task.due_date.isoformat(), "missed", due)
    [survey] = staged.surveys_of(session, policy)
    staged.open_survey(session, survey.id, survey.opens_at.isoformat(), survey.opens_at)
    earlier: list[dict[str, str]] = []
    for p in staged.stages(session, policy, placement)[-1].open:
        state, evidence, level = EVIDENCE[p.ref]
        earlier.append({"ref": p.ref, "state": state, "evidence": evidence, **({"level": level} if level else {})})
    content = {
        "subject": f"{policy.insured.name}：南湖厂区第 1 次阶段性风险评价",
        "earlier": earlier,
        "risk_points": [NEW_POINT],
        "advice": "消防通道与化学品库须于下次复查前整改完毕；建立化学品出入库台账。",
        "environmental": "危废暂存间已设防渗，台账齐全。",
        "safety": "消防通道仍被占用；化学品储存恶化。",
    }
    firm = actors["adjuster3"]
    staged.save_draft(session, firm, policy.id, content, now=survey.opens_at + dt.timedelta(days=4))
    staged.submit(
        session, firm, policy.id, signer_ids=[a.id for a in signers], now=survey.opens_at + dt.timedelta(days=5)
    )
