"""The placement's confirmation letter (确认函, R-U2) names the project, the insured, the lines, the period and
the sites, asks for an answer within 2 working days, and exists in English on request."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from tandem.claim.documents import letter_html
from tandem.party.models import Adjuster
from tandem.placement import selection
from tandem.placement.models import Placement
from tests.helpers import _ok, open_placement

BASE = "/api/v1/placements"


def test_the_letter_describes_the_placement_in_chinese_and_english(env):
    p = open_placement(env)
    pid = p["id"]
    with env.session() as s:
        zhang = str(s.execute(select(Adjuster.id).where(Adjuster.name == "张伟")).scalar_one())
    _ok(env.client("broker").post(f"{BASE}/{pid}/explanation", json={}))
    _ok(env.client("insured1").post(f"{BASE}/{pid}/choice", json={"adjuster_id": zhang, "acknowledged": True}))
    _ok(env.client("broker").post(f"{BASE}/{pid}/letter"), 201)

    with env.session() as s:
        placement = s.get(Placement, uuid.UUID(pid))
        assert placement is not None
        letter = selection.letter_of(s, placement)
        assert letter is not None
        zh, en = letter_html(s, letter), letter_html(s, letter, "en")
    assert "公估委托确认函" in zh and "2个工作日内" in zh and "24小时" not in zh
    for part in (
        p["title"],
        "嘉兴鑫达电子科技有限公司",
        "南湖厂区",
        "秀洲仓库",
        "企业财产保险、机器损坏保险",
        "2027-01-01",
        p["number"],
    ):
        assert part in zh, part
    assert "Confirmation of Instruction" in en and "within 2 working" in en
    assert "Jiaxing Xinda Electronics Co., Ltd." in en and "南湖厂区" in en and letter.letter_no in en
