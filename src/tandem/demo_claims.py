"""Demo claims (演示案件): one claim at each stage of the claims flow, built through the real services (so
states, audit chains, deadlines, letters, reports and the MoU are what a user would have produced), so that
no list is empty on first login. Loaded by ``tandem demo load`` after the organisations and policies."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.access.actor import Actor
from tandem.access.models import User
from tandem.claim import proposal, service, workflow
from tandem.claim.models import Channel, Claim
from tandem.config import Settings
from tandem.fees.engine import Basis, Expenses, ExpensesPolicy, FeeTerms, Payer
from tandem.kit.clock import SHANGHAI
from tandem.party.models import Adjuster
from tandem.policy.models import Policy
from tandem.reconciliation import consultation

# The demo firm's terms on a claim: 1.5 % of the assessed loss, at least 3,000 yuan, expenses as incurred
# up to 5,000 yuan, VAT 6 %, the insurer pays within 30 days of the invoice.
DEMO_TERMS = FeeTerms(
    basis=Basis.RATE,
    rate=Decimal("0.015"),
    minimum_fee=Decimal("3000.00"),
    expenses=Expenses(ExpensesPolicy.ACTUAL, cap=Decimal("5000.00")),
    payer=Payer.INSURER,
    payment_days=30,
)
FIRE = "浙江省嘉兴市南湖区亚中路88号"


def _report(scale: Decimal = Decimal(1), roof_unit: str = "350.00", ref: str = "") -> dict[str, Any]:
    """An adjusting report on policy PQC2026330400001: the roof (building) and two moulding machines."""
    roof = (Decimal(1200) * Decimal(roof_unit) * Decimal("0.9") * scale).quantize(Decimal("0.01"))
    return {
        "cause": "2号车间电气线路短路引燃可燃物，火势蔓延至屋面。",
        "liability": "火灾属于企业财产保险（2024版）保险责任范围，未见除外责任情形。",
        "conclusion": "建议按保单约定扣除免赔额后理算。",
        "sections": [
            {
                "code": "building",
                "name": "建筑物",
                "replacement_value": "36000000.00",
                "items": [
                    {
                        "ref": f"{ref}1",
                        "description": "2#车间彩钢瓦屋面",
                        "quantity": "1200",
                        "unit": "平方米",
                        "unit_value": roof_unit,
                        "depreciation_rate": "0.10",
                        "loss": str(roof),
                        "salvage": "8000.00",
                    }
                ],
            },
            {
                "code": "machinery",
                "name": "机器设备",
                "items": [
                    {
                        "ref": f"{ref}2",
                        "description": "注塑机 HX-650",
                        "quantity": "2",
                        "unit": "台",
                        "unit_value": "180000.00",
                        "loss": "360000.00",
                    }
                ],
            },
        ],
    }


class _Story:
    """Plays one claim forward in time, each step an hour (or more) after the one before."""

    def __init__(self, session: Session, settings: Settings, actors: dict[str, Actor], at: dt.datetime) -> None:
        self.session, self.settings, self.actors, self.at = session, settings, actors, at
        self.cid: uuid.UUID | None = None

    def tick(self, hours: float = 1) -> dt.datetime:
        self.at += dt.timedelta(hours=hours)
        return self.at

    def notice(self, user: str, policy: Policy, location: str, description: str, loss: Decimal) -> _Story:
        notice = service.NoticeInput(
            policy_id=policy.id,
            loss_at=self.at - dt.timedelta(hours=6),
            location=location,
            description=description,
            channel=Channel.APP,
            estimated_loss=loss,
        )
        claim, _ = service.notify_loss(
            self.session, self.settings, self.actors[user], notice, now=self.at, idempotency_key=None
        )
        self.cid = claim.id
        return self

    def survey(self, firm: str, second: Adjuster) -> _Story:
        actor = self.actors[firm]
        workflow.answer_appointment(
            self.session,
            actor,
            self.cid,
            accept=True,
            now=self.tick(),
            terms=DEMO_TERMS,
        )
        workflow.add_team_member(self.session, actor, self.cid, second.id, now=self.tick(0.5))
        done = self.tick(20)
        workflow.record_survey(
            self.session,
            actor,
            self.cid,
            now=done,
            scheduled_at=done - dt.timedelta(hours=2),
            surveyed_at=done - dt.timedelta(hours=1),
            participants=[],
            notes="屋面整体坍塌，两台注塑机过火。",
            photo_hashes=[],
        )
        return self

    def report(self, firm: str, signers: list[Adjuster], content: dict[str, Any]) -> _Story:
        actor = self.actors[firm]
        workflow.save_draft(self.session, actor, self.cid, content, now=self.tick(24))
        signing = workflow.submit_report(
            self.session, actor, self.cid, signer_ids=[a.id for a in signers], now=self.tick()
        )
        for adj in signers[1:2]:  # the co-signer signs the same hash in person, from their own login
            co_signer = self.session.get(User, adj.user_id)
            assert co_signer is not None
            workflow.sign_report(
                self.session,
                Actor.from_user(co_signer),
                self.cid,
                content_hash=signing.content_hash,
                now=self.tick(0.5),
            )
        return self

    def agreed_below(self, lean: Decimal) -> _Story:
        """The insurer counters the proposed amount at payable / (1 + ``lean``) and the broker accepts: the
        report sits ``lean`` above the agreed amount, toward the insured whose broker appointed the firm."""
        conf = workflow.confirm_amount(self.session, self.actors["risk"], self.cid, now=self.tick(20))
        workflow.negotiate(self.session, self.actors["broker"], self.cid, "propose", now=self.tick(2))
        counter = (conf.total_payable / (1 + lean)).quantize(Decimal("0.01"))
        workflow.negotiate(
            self.session,
            self.actors["insurer1"],
            self.cid,
            "counter",
            now=self.tick(20),
            amount=counter,
            reason="报告屋面单价及机器设备损失偏高，按核定结果还价",
            confirm=True,
        )
        workflow.negotiate(self.session, self.actors["broker"], self.cid, "accept", now=self.tick(4))
        return self

    def pay(self) -> _Story:
        """The insurer pays the agreed amount in full."""
        claim = self.session.get(Claim, self.cid)
        assert claim is not None
        due = workflow.last_offer(self.session, claim)
        assert due is not None
        workflow.record_payment(
            self.session,
            self.actors["insurer1"],
            self.cid,
            kind="final",
            amount=due,
            reference="ZA-PAY-2026-0417",
            now=self.tick(48),
        )
        return self

    def refused_then_paid(self) -> _Story:
        """The insurer refuses the proposed amount, withdraws its refusal after the broker's complaint,
        accepts and pays: a refusal later paid, as the insurers' claims records count them."""
        insurer = self.actors["insurer1"]
        workflow.negotiate(self.session, insurer, self.cid, "refuse", now=self.tick(20), reason="自燃不属于保险责任")
        why = "经纪人投诉后复核：起火系配电箱短路引燃，属于火灾保险责任"
        workflow.negotiate(self.session, insurer, self.cid, "reconsider", now=self.tick(72), reason=why)
        workflow.negotiate(self.session, insurer, self.cid, "accept", now=self.tick(4))
        return self.pay()

    def settle(self, until: str) -> _Story:
        """Confirm, propose, accept, pay and close, stopping after ``until``."""
        workflow.confirm_amount(self.session, self.actors["risk"], self.cid, now=self.tick(20))
        if until == "confirmed":
            return self
        workflow.negotiate(self.session, self.actors["broker"], self.cid, "propose", now=self.tick(2))
        if until == "proposed":
            return self
        workflow.negotiate(self.session, self.actors["insurer1"], self.cid, "accept", now=self.tick(20))
        if until == "agreed":
            return self
        self.pay()
        if until == "paid":
            return self
        workflow.close(self.session, self.actors["broker"], self.cid, now=self.tick(24), confirm=True)
        return self


def load(session: Session, settings: Settings, now: dt.datetime) -> None:
    """The demo claims; called once, inside ``tandem.demo.load`` (whose guard makes it idempotent)."""
    users = {u.username: u for u in session.execute(select(User)).unique().scalars()}
    actors = {name: Actor.from_user(u) for name, u in users.items()}
    policies = {p.number: p for p in session.execute(select(Policy)).scalars()}
    adjusters = {a.name: a for a in session.execute(select(Adjuster)).unique().scalars()}
    p1, p2, p3 = policies["PQC2026330400001"], policies["PCA2026441900002"], policies["PQC2026330100003"]
    wang, li, zhang, chen = adjusters["王建国"], adjusters["李娜"], adjusters["张伟"], adjusters["陈亮"]
    year_start = dt.datetime(now.astimezone(SHANGHAI).year, 1, 2, tzinfo=SHANGHAI).astimezone(dt.UTC)

    def story(days_ago: float) -> _Story:
        return _Story(session, settings, actors, max(now - dt.timedelta(days=days_ago), year_start))

    # Finished dispute: two reports, consultation agreed in round 1, MoU acknowledged by all four, paid.
    s = story(30).notice("insured1", p1, FIRE, "2号车间夜间起火，屋面坍塌，两台注塑机烧毁", Decimal("850000"))
    s.survey("adjuster1", li).report("adjuster1", [wang, li], _report())
    s.settle("proposed")
    workflow.negotiate(session, actors["insurer1"], s.cid, "dispute", now=s.tick(20), reason="屋面单价偏高")
    workflow.appoint_insurer_adjuster(session, actors["insurer1"], s.cid, zhang.id, now=s.tick(2))
    s.survey("adjuster3", chen).report("adjuster3", [zhang, chen], _report(roof_unit="300.00", ref="B"))
    consultation.open_consultation(
        session, actors["broker"], s.cid, now=s.tick(4), round_working_days=settings.round_working_days
    )
    consultation.start_rounds(session, actors["adjuster1"], s.cid, now=s.tick())
    _, cons = consultation.get_consultation(session, actors["adjuster1"], s.cid)
    for item in consultation.items(session, cons):
        if item.state == "open":
            consultation.item_move(session, actors["adjuster1"], s.cid, item.id, kind="accept", now=s.tick(4))
    for user in ("adjuster1", "adjuster3", "risk", "insurer1"):
        consultation.acknowledge(session, actors[user], s.cid, now=s.tick(3))
    s.settle("closed")

    # Bias analytics (偏向分析): five more of 王建国's reports agreed with the insurer 7–12 % lower, so the
    # analytics flag him (the risk evaluators' queue suggests a review); 张伟's report B met the MoU exactly.
    for days, lean, scale in ((95, "0.10", "0.7"), (85, "0.12", "0.9"), (75, "0.08", "0.5"), (65, "0.11", "0.6")):
        story(days).notice("insured1", p1, FIRE, "厂房屋面渗漏，车间设备受损", Decimal("400000")).survey(
            "adjuster1", li
        ).report("adjuster1", [wang, li], _report(Decimal(scale))).agreed_below(Decimal(lean))
    story(55).notice("insured1", p1, FIRE, "仓库雷击起火，屋面及设备受损", Decimal("450000")).survey(
        "adjuster1", li
    ).report("adjuster1", [wang, li], _report(Decimal("0.8"))).agreed_below(Decimal("0.07"))

    # A paid and closed claim; one awaiting payment; one in negotiation; one reported; one being surveyed.
    story(20).notice("insured1", p1, FIRE, "3号仓库暴雨进水，原料受潮", Decimal("300000")).survey(
        "adjuster1", li
    ).report("adjuster1", [wang, li], _report(Decimal("0.5"))).settle("closed")
    story(12).notice("insured1", p1, FIRE, "配电房雷击起火", Decimal("500000")).survey("adjuster1", li).report(
        "adjuster1", [wang, li], _report(Decimal("0.8"))
    ).settle("agreed")
    story(8).notice("insured1", p1, FIRE, "车间屋面被台风掀翻", Decimal("400000")).survey("adjuster1", li).report(
        "adjuster1", [wang, li], _report(Decimal("0.6"))
    ).settle("proposed")
    story(5).notice("insured1", p1, FIRE, "注塑车间电线短路起火", Decimal("380000")).survey("adjuster1", li).report(
        "adjuster1", [wang, li], _report(Decimal("0.4"))
    )
    story(3).notice("insured1", p1, FIRE, "成品仓库货架倒塌", Decimal("120000")).survey("adjuster1", li)
    # Refused, then the refusal withdrawn after the broker's complaint, agreed and paid (reported after the
    # claims above that carry the demo's fee invoices, so those stay as they are).
    story(10).notice("insured1", p1, FIRE, "原料仓库起火，部分原料烧毁", Decimal("200000")).survey(
        "adjuster1", li
    ).report("adjuster1", [wang, li], _report(Decimal("0.3"))).settle("proposed").refused_then_paid()
    # The designated firm has a letter to answer; the broker has an adjuster to choose; one was withdrawn.
    story(0.5).notice("insured1", p1, FIRE, "空压机房起火冒烟", Decimal("60000"))
    story(0.2).notice("insured3", p3, "浙江省杭州市上城区清泰街56号", "室内水管爆裂，地板和家具浸水", Decimal("30000"))
    # The broker proposed an adjuster to insured3; the insured's say is awaited (R-C2).
    say = story(1.3).notice(
        "insured3", p3, "浙江省杭州市上城区清泰街56号", "阳台雨水倒灌，木地板起拱", Decimal("15000")
    )
    claim = session.get(Claim, say.cid)
    assert claim is not None
    best = max((r for r in service.recommendations(session, claim, say.at) if not r.reasons), key=lambda r: r.score)
    proposal.propose_adjuster(
        session, actors["broker"], say.cid, best.adjuster.id, now=say.tick(1), reason="熟悉家财险水损案件，可当日查勘"
    )
    withdrawn = story(2).notice("insured2", p2, "广东省东莞市长安镇振安中路128号", "厂房外墙瓷砖脱落", Decimal("20000"))
    workflow.withdraw(
        session, actors["insured2"], withdrawn.cid, now=withdrawn.tick(3), reason="损失低于免赔额，自行修复"
    )
