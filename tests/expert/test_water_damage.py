"""A burst water pipe is water damage, not fire (issue 22 item 20): "水管" does not read as 消防水浸 and
plumbing / water-damage experts rank before fire engineers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tandem.expert.search import ExpertIndex, load_experts
from tandem.expert.textproc import Analyzer
from tests.helpers import POLICY3, _ok, notice

QUERY = "室内水管爆裂，地板和家具浸水"


def _pool(tmp_path: Path) -> Path:
    """A pool like the demo's: fire engineers, a structural engineer, and one water-damage adjuster."""
    rows = [
        ("E1", "邓建华", ["火灾原因调查", "电气火灾鉴定"], ["注册消防工程师（一级）"], "高级工程师"),
        ("E2", "沈国栋", ["厂房火灾原因调查", "火灾损失评估"], ["注册消防工程师（一级）"], "高级工程师"),
        ("E3", "潘志远", ["钢结构厂房损坏评估", "台风损失评估"], ["一级注册结构工程师"], "教授级高工"),
        ("E4", "周海波", ["建筑给排水系统检测", "管道试压"], ["注册公用设备工程师（给水排水）"], "工程师"),
    ]
    path = tmp_path / "pool.jsonl"
    path.write_text(
        "\n".join(
            json.dumps(
                {
                    "id": i,
                    "name": name,
                    "title": title,
                    "organisation": "演示",
                    "owner_type": "broker",
                    "specialties": specs,
                    "lines": ["企业财产保险", "家庭财产保险"],
                    "regions": ["浙江"],
                    "certificates": certs,
                    "years": 10,
                    "bio": f"{name}，{title}。",
                },
                ensure_ascii=False,
            )
            for i, name, specs, certs, title in rows
        ),
        encoding="utf-8",
    )
    return path


def test_a_burst_pipe_is_not_read_as_fire(tmp_path: Path) -> None:
    analyzer = Analyzer(tmp_path / "jieba")
    terms = [e.term for e in analyzer.expand(QUERY)]
    assert "水管爆裂" in terms
    assert not any("消防" in t or "火" in t for t in terms), terms


def test_plumbing_and_water_damage_experts_rank_first_for_a_burst_pipe(tmp_path: Path) -> None:
    index = ExpertIndex.from_docs(load_experts(_pool(tmp_path)), analyzer=Analyzer(tmp_path / "jieba"))
    hits = index.search(QUERY, top=4)
    assert hits and hits[0].id == "E4", [(h.id, h.score) for h in hits]
    fire = [h for h in hits if h.id in ("E1", "E2")]
    assert all(f.score < hits[0].score / 2 for f in fire), [(h.id, h.score) for h in hits]


@pytest.mark.usefixtures("expert_index")
def test_the_demo_pool_no_longer_suggests_fire_engineers_for_a_burst_pipe(env) -> None:
    cid = notice(env, "insured3", POLICY3, location="浙江省杭州市上城区清泰街56号", description="室内水管爆裂")
    found = _ok(env.client("broker").get(f"/api/v1/claims/{cid}/expert-suggestions"))["items"]
    fire = {"邓建华", "沈国栋"}  # the demo pool's fire engineers
    assert not fire & {f["name"] for f in found[:1]}, [(f["name"], f["score"]) for f in found]
    assert all("消防" not in str(f.get("matched")) for f in found), found
