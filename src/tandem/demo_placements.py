"""Demo placements (演示投保项目): one placement at every stage of R-U1..R-U4 — opened, awaiting the
insured's choice (after a firm declined the letter), letter issued, pre-assessment under way, reported,
the insured deciding on its risk points, gone to market — and one withdrawn, each built through the real
services (so statuses, audit chains, deadlines, letters, reports and the risk register are what users
would have produced). Loaded by ``tandem.demo.load`` after the demo claims."""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem import demo_comparison, demo_staged
from tandem.access.actor import Actor
from tandem.access.models import User
from tandem.config import Settings
from tandem.fees.engine import Basis, FeeTerms, Payer
from tandem.kit.clock import SHANGHAI, local_day
from tandem.party.models import Adjuster, Insured
from tandem.placement import binding, comparison, market, market_docs, prereport, risk, screening, selection, service
from tandem.placement.market_models import ConsentKind
from tandem.placement.models import Placement

# A 1×1 PNG: the demo's survey photo (the bytes are stored content-addressed like any upload).
# The firm's pre-assessment terms: a fixed 60,000 yuan, paid by the insured within 30 days of the invoice.
PRE_ASSESSMENT_TERMS = FeeTerms(Basis.FIXED, Payer.INSURED, 30, amount=Decimal("60000.00"))
PHOTO = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)

XINDA_SITES = [
    {
        "name": "南湖厂区",
        "address": "浙江省嘉兴市南湖区亚中路88号",
        "province": "浙江",
        "occupancy": "电子元器件制造（SMT 贴片、注塑）",
        "construction": "钢筋混凝土框架，彩钢板屋面",
        "sections": [
            {"type": "building", "description": "1-3号厂房及办公楼", "sum_insured": "36000000.00"},
            {"type": "machinery", "description": "SMT 生产线 4 条、注塑机 12 台", "sum_insured": "18500000.00"},
            {"type": "stock", "description": "原材料及成品", "sum_insured": "6000000.00"},
        ],
    },
    {
        "name": "秀洲仓库",
        "address": "浙江省嘉兴市秀洲区康和路12号",
        "province": "浙江",
        "occupancy": "仓储",
        "construction": "钢结构",
        "sections": [{"type": "stock", "description": "成品仓储", "sum_insured": "8000000.00"}],
    },
]
HONGSHENG_SITES = [
    {
        "name": "长安厂区",
        "address": "广东省东莞市长安镇振安中路128号",
        "province": "广东",
        "occupancy": "塑胶制品注塑",
        "construction": "钢结构厂房",
        "sections": [
            {"type": "building", "description": "A、B 栋厂房", "sum_insured": "22000000.00"},
            {"type": "machinery", "description": "注塑机 40 台及模具", "sum_insured": "15800000.00"},
            {"type": "gross_profit", "description": "毛利润（赔偿期 6 个月）", "sum_insured": "9000000.00"},
        ],
    }
]

RISK_POINTS = (
    ("1", "配电房电缆老化", "1号厂房配电房", "高", "1.1500", "S1"),
    ("2", "消防通道堵塞", "秀洲仓库东侧", "中", "1.0500", "S2"),
    ("3", "危化品储存不规范", "注塑车间化学品库", "重大", "1.3000", "S1"),
)


def report_content(sites: list[dict[str, Any]], subject: str) -> dict[str, Any]:
    """A pre-assessment report valuing every section at 95 % of its sum insured, with three risk points."""
    refs = {s["ref"] for s in sites}
    return {
        "subject": subject,
        "sites": [
            {
                "ref": s["ref"],
                "sections": [
                    {
                        "ref": c["ref"],
                        "replacement_value": str(
                            (Decimal(c["sum_insured"]) * Decimal("0.95")).quantize(Decimal("0.01"))
                        ),
                        "basis": "重置成本法，参照同类厂房造价及设备购置发票",
                    }
                    for c in s["sections"]
                ],
            }
            for s in sites
        ],
        "risk_points": [
            {
                "ref": ref,
                "title": title,
                "description": f"{title}，现场查见，存在火灾隐患。",
                "location": where,
                "level": level,
                "coefficient": coefficient,
                "advice": "限期整改，整改后复查。",
                "site_ref": site if site in refs else None,
            }
            for ref, title, where, level, coefficient, site in RISK_POINTS
        ],
        "advice": "建立消防巡查制度，配电房加装温感报警。",
        "environmental": "环评批复齐全，危废暂存间未设防渗。",
        "safety": "安评：电气线路老化，消防通道占用。",
    }


class _Story:
    """One placement told step by step, each step a little after the last (times in UTC)."""

    def __init__(self, session: Session, settings: Settings, actors: Mapping[str, Actor], at: dt.datetime) -> None:
        self.session, self.settings, self.actors, self.at = session, settings, actors, at
        self.placement: Placement | None = None

    def tick(self, hours: float = 1) -> dt.datetime:
        self.at += dt.timedelta(hours=hours)
        return self.at

    @property
    def p(self) -> Placement:
        assert self.placement is not None
        return self.placement

    def open(self, insured_id: object, title: str, lines: list[str], sites: list[dict[str, Any]]) -> _Story:
        start = (local_day(self.at).replace(day=1) + dt.timedelta(days=62)).replace(day=1)
        data = {
            "insured_id": str(insured_id),
            "title": title,
            "lines": lines,
            "period_start": start.isoformat(),
            "period_end": start.replace(year=start.year + 1).isoformat(),
            "sites": sites,
        }
        self.placement = service.open_placement(self.session, self.actors["broker"], data, self.tick(0))
        return self

    def explain(self) -> _Story:
        selection.explain(self.session, self.actors["broker"], self.p, self.tick(2), note="已电话说明预评估的作用")
        return self

    def choose(self, insured: str, adjuster: Adjuster) -> _Story:
        selection.choose(self.session, self.actors[insured], self.p, adjuster.id, acknowledged=True, now=self.tick(5))
        return self

    def letter(self) -> _Story:
        selection.issue_letter(self.session, self.actors["broker"], self.p, self.tick(1))
        return self

    def decline(self, firm: str, reason: str) -> _Story:
        selection.decline_letter(self.session, self.actors[firm], self.p, self.tick(3), reason=reason)
        return self

    def accept(self, firm: str, report_days: int = 20) -> _Story:
        now = self.tick(3)
        due = local_day(now) + dt.timedelta(days=report_days)
        selection.accept_letter(
            self.session,
            self.actors[firm],
            self.p,
            now,
            terms=PRE_ASSESSMENT_TERMS,
            report_due=due,
        )
        return self

    def survey(self, firm: str, second: Adjuster) -> _Story:
        actor, pid = self.actors[firm], self.p.id
        prereport.add_second(self.session, actor, pid, second.id, now=self.tick(2))
        photo = prereport.upload_photo(
            self.session,
            self.settings,
            actor,
            pid,
            filename="配电房.png",
            content_type="image/png",
            data=PHOTO,
            now=self.tick(20),
        )
        prereport.record_visit(
            self.session,
            actor,
            pid,
            visited_at=self.at,
            participants=[actor.display_name, second.name],
            notes="查勘厂房、配电房、仓库及化学品库；现场联系人陪同。",
            photo_hashes=[photo.sha256],
            now=self.tick(1),
        )
        return self

    def report(self, firm: str, signers: list[Adjuster], co_signer: str, subject: str) -> _Story:
        actor, pid = self.actors[firm], self.p.id
        prereport.save_draft(
            self.session, actor, pid, report_content(self.p.subject["sites"], subject), now=self.tick(24)
        )
        signing = prereport.submit(self.session, actor, pid, signer_ids=[a.id for a in signers], now=self.tick(1))
        prereport.sign(self.session, self.actors[co_signer], pid, content_hash=signing.content_hash, now=self.tick(1))
        return self

    def register(self) -> _Story:
        evaluator, pid = self.actors["risk"], self.p.id
        risk.seed_from_report(self.session, evaluator, pid, now=self.tick(4))
        risk.assess(
            self.session,
            evaluator,
            pid,
            "2",
            level="中",
            coefficient="1.0800",
            reason="仓库堆放可燃包装物，加重",
            now=self.tick(1),
        )
        risk.publish(self.session, evaluator, pid, now=self.tick(1))
        return self

    def decide(self, insured: str, remediate: tuple[str, ...] = ("1",), premium: tuple[str, ...] = ("2",)) -> _Story:
        """The insured remediates some points (by a date two months on) and accepts the loading of others."""
        now = self.tick(6)
        today = local_day(now)
        decisions = [risk.Decision(ref, "remediate", today + dt.timedelta(days=60)) for ref in remediate]
        decisions += [risk.Decision(ref, "premium") for ref in premium]
        risk.decide(self.session, self.actors[insured], self.p.id, decisions, today=today, now=now)
        return self

    def market(self, insured: str = "insured1") -> _Story:
        """The broker gives the disclosure and the mandate, the insured acknowledges both, and the
        placement goes to market (issue 15)."""
        broker = self.actors["broker"]
        for kind in ConsentKind:
            market_docs.generate(self.session, self.settings, broker, self.p.id, kind, {}, now=self.tick(10))
        for kind in ConsentKind:
            market.acknowledge(self.session, self.actors[insured], self.p.id, kind.value, now=self.tick(1))
        service.go_to_market(self.session, broker, self.p.id, self.tick(2))
        return self

    def submit(self) -> _Story:
        """The account manager submits the programme to the shortlist's insurers (issue 15)."""
        self.subs = market.submit(self.session, self.actors["broker"], self.p.id, now=self.tick(3))
        return self

    def quote(self, underwriter: str, factor: str = "0.95") -> _Story:
        """The underwriter's insurer quotes: a rate per section by its type, a deductible on buildings."""
        actor = self.actors[underwriter]
        sub = next(s for s in self.subs if s.insurer_id == actor.org_id)
        now = self.tick(30)
        sections = [
            {
                "ref": sec["ref"],
                "rate_permille": DEMO_RATES.get(sec["type"], "1.00"),
                "deductible_amount": "10000.00" if sec["type"] == "building" else None,
            }
            for site in sub.programme["sites"]
            for sec in site["sections"]
        ]
        data = {
            "sections": sections,
            "factors": [{"code": "sprinkler", "value": factor}],
            "conditions": "特别约定：仓库消防通道须于起保前清理完毕；每次事故绝对免赔额人民币一万元（建筑物）。",
            "valid_until": (local_day(now) + dt.timedelta(days=30)).isoformat(),
        }
        self.quotes = {
            **getattr(self, "quotes", {}),
            underwriter: market.quote(self.session, actor, sub.id, data, now=now),
        }
        return self

    def ask(self, underwriter: str, question: str, answer: str) -> _Story:
        sub = next(s for s in self.subs if s.insurer_id == self.actors[underwriter].org_id)
        market.post_message(self.session, self.actors[underwriter], sub.id, question, now=self.tick(20))
        market.post_message(self.session, self.actors["broker"], sub.id, answer, now=self.tick(3))
        return self

    def bind(self, insured: str, underwriter: str, adjuster: Adjuster) -> _Story:
        """The insured accepts the underwriter's quote, designating the adjuster for claims."""
        quote = self.quotes[underwriter]
        binding.accept(
            self.session, self.actors[insured], quote.id, designated_adjuster_id=adjuster.id, now=self.tick(26)
        )
        return self

    def shortlist(self) -> _Story:
        """The account manager screens the insurers' products and saves the shortlist (R-U5)."""
        screening.save_shortlist(self.session, self.actors["broker"], self.p.id, screening.Settings(), now=self.tick(2))
        return self

    def recommended(self) -> _Story:
        """The insured asks the broker to recommend an insurer; the account manager recommends the one
        ranked first with its reasons (R-U6), for the insured to confirm."""
        comparison.choose(self.session, self.actors["insured1"], self.p.id, "ask", now=self.tick(20))
        best = comparison.comparison(self.session, self.actors["broker"], self.p.id, self.tick(1)).columns[0]
        days = best.record["payment_days"]
        why = (
            f"{best.name}在短名单中诚信评价排名第一（{best.integrity.score} 分），"
            f"报案至赔付天数中位数 {days.value} 天；申报承保周期 {best.underwriting_days} 个工作日，可满足起保日期。"
        )
        comparison.choose(
            self.session,
            self.actors["broker"],
            self.p.id,
            "recommend",
            now=self.tick(3),
            insurer_id=best.insurer_id,
            reasons=why,
        )
        return self


#: The placement bound and since ended by its insurer (the demo's termination assessment, demo_inforce).
ENDED_TITLE = "嘉兴鑫达电子 秀洲仓库财产险项目"
# The demo insurers' rates (‰) by section type.
DEMO_RATES = {"building": "0.45", "machinery": "0.80", "stock": "0.60", "electronic_equipment": "1.10"}


def load(session: Session, settings: Settings, now: dt.datetime) -> None:
    """The demo placements; called once, inside ``tandem.demo.load`` (whose guard makes it idempotent)."""
    users = {u.username: u for u in session.execute(select(User)).unique().scalars()}
    actors = {name: Actor.from_user(u) for name, u in users.items()}
    adjusters = {a.name: a for a in session.execute(select(Adjuster)).unique().scalars()}
    insureds = {i.organisation.name: i.organisation_id for i in session.execute(select(Insured)).unique().scalars()}
    xinda, hongsheng = insureds["嘉兴鑫达电子科技有限公司"], insureds["东莞宏盛塑胶制品有限公司"]
    # 张伟 (good at risk evaluation) leads and 陈亮 seconds for the insured's choice; 林志伟 (粤安, 广东) is
    # the firm the second insured's latest letter went to.
    zhang, chen, lin = (adjusters[n] for n in ("张伟", "陈亮", "林志伟"))
    year = (now.astimezone(SHANGHAI) + dt.timedelta(days=62)).year
    demo_comparison.load(session, now)  # insurers and the platform's history the comparison reads (R-U6)
    property_lines = ["企业财产保险", "机器损坏保险"]

    def story(days_ago: float) -> _Story:
        return _Story(session, settings, actors, now - dt.timedelta(days=days_ago))

    def xinda_to_report(days_ago: float, title: str, lines: list[str], sites: list[dict[str, Any]]) -> _Story:
        s = story(days_ago).open(xinda, title, lines, sites).explain().choose("insured1", zhang).letter()
        s.accept("adjuster3").survey("adjuster3", chen)
        return s.report(
            "adjuster3", [zhang, chen], "adjuster11", f"嘉兴鑫达电子：{'、'.join(x['name'] for x in sites)}"
        )

    # Gone to market: the whole of R-U1..R-U4, decisions frozen; the programme submitted to the shortlist's
    # insurers (issue 15), one has asked a question and quoted, the others have yet to answer.
    xinda_to_report(30, f"嘉兴鑫达电子 {year} 财产险项目", property_lines, XINDA_SITES).register().decide(
        "insured1", remediate=("1", "3")
    ).market().shortlist().recommended().submit().ask(
        "underwriter1", "秀洲仓库是否设有自动喷淋系统？", "设有，2025 年消防验收合格，验收意见已上传。"
    ).quote("underwriter1")
    # Bound: the insured accepted a quote; the policy is issued with 张伟 designated for claims. It has been in
    # force some months: a staged re-survey is reported and the next one scheduled (demo_staged, R-U9).
    bound = xinda_to_report(200, f"嘉兴鑫达电子 {year} 南湖厂区财产险项目", ["企业财产保险"], XINDA_SITES[:1])
    bound.register().decide("insured1", remediate=("1", "3")).market().shortlist().submit().quote("underwriter1")
    bound.bind("insured1", "underwriter1", zhang)
    demo_staged.load(session, actors, bound.p, [zhang, chen])
    # The insured deciding on its risk points (two decided, one still open).
    xinda_to_report(
        16, f"嘉兴鑫达电子 {year} 机器损坏及营业中断项目", [*property_lines[1:], "营业中断保险"], XINDA_SITES[:1]
    ).register().decide("insured1")
    # Reported: the broker's risk evaluators have the report to review.
    hs = story(9).open(hongsheng, f"东莞宏盛塑胶 {year} 财产险项目", property_lines, HONGSHENG_SITES).explain()
    hs.choose("insured2", zhang).letter().accept("adjuster3").survey("adjuster3", chen).report(
        "adjuster3", [zhang, chen], "adjuster11", "东莞宏盛塑胶：长安厂区"
    )
    # The pre-assessment under way: the team surveyed once, the report is due.
    story(4).open(xinda, f"嘉兴鑫达电子 秀洲仓库扩建 {year} 项目", ["企业财产保险"], XINDA_SITES[1:]).explain().choose(
        "insured1", zhang
    ).letter().accept("adjuster3").survey("adjuster3", chen)
    # The letter issued: the firm has two working days to answer.
    story(1.5).open(
        hongsheng, f"东莞宏盛塑胶 模具及设备 {year} 项目", ["机器损坏保险"], HONGSHENG_SITES
    ).explain().choose("insured2", lin).letter()
    # Awaiting the insured's choice again: the firm it chose declined the letter.
    story(3).open(
        xinda, f"嘉兴鑫达电子 新厂房 {year} 建筑工程项目", ["建筑工程一切险"], XINDA_SITES[:1]
    ).explain().choose("insured1", zhang).letter().decline("adjuster3", "该时段现场人手不足，无法按期完成预评估")
    # Just opened: the account manager explains next.
    story(0.2).open(xinda, f"嘉兴鑫达电子 {year + 1} 续保项目", property_lines, XINDA_SITES)
    # Withdrawn before the pre-assessment.
    withdrawn = story(6).open(hongsheng, f"东莞宏盛塑胶 仓库 {year} 项目", ["企业财产保险"], HONGSHENG_SITES).explain()
    service.transition(
        session, actors["broker"], withdrawn.p, "withdraw", withdrawn.tick(20), reason="投保人决定推迟至明年投保"
    )
    # Bound earlier and since ended by its insurer: demo_inforce files its termination assessment (R-U10) and
    # the recovery paid from it.
    ended = xinda_to_report(230, ENDED_TITLE, ["企业财产保险"], XINDA_SITES[1:])
    ended.register().decide("insured1", remediate=("1", "3")).market().shortlist().submit().quote("underwriter1")
    ended.bind("insured1", "underwriter1", zhang)
