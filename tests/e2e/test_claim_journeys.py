"""Browser journeys through the claims pages in zh-CN, one party per browser context, on one server
for the module (its own SQLite database with the demo data; ``tandem worker --once`` renders the PDFs):

1. one claim from the insured's notice to payment and closing, every party doing its part;
2. the dispute: the insurer's own adjuster, the competitive consultation (a proposal accepted, an item
   left to the umpire), the MoU acknowledged by all four, the amount confirmed from it, payment.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tandem.kit.clock import SystemClock

from .conftest import running_app
from .journeys import POLICY, Cast, ClaimServer, _api, _done, _local, _loss_time, _pick, reported_claim

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def claim_server(tmp_path_factory: pytest.TempPathFactory, chromium_path: Path) -> Iterator[ClaimServer]:
    # Nothing here sends mail: a digest job fails fast on port 1 rather than hanging.
    with running_app(tmp_path_factory.mktemp("claims-e2e"), "claims.db", TANDEM_SMTP_PORT="1") as (base, env, _):
        yield ClaimServer(base, env)


@pytest.fixture
def cast(browser: Browser, claim_server: ClaimServer, artifacts: Path) -> Iterator[Cast]:
    c = Cast(browser, claim_server, artifacts)
    yield c
    c.close()


# ---- 1. notice to payment ----------------------------------------------------------------------------


def test_one_claim_from_notice_to_payment_in_zh(cast: Cast) -> None:
    # The insured reports the loss (the form also on a phone).
    insured = cast("insured1")
    insured.get_by_role("link", name="报案").first.click()
    expect(insured.get_by_role("heading", name="报案", exact=True)).to_be_visible()
    expect(insured.locator("#policy_id")).to_contain_text(POLICY)
    cast.phone_shot("insured1", "/claims/new", "c01-report-a-loss-phone")
    insured.locator("#loss_at").fill(_local(_loss_time()))
    insured.locator("#location").fill("浙江省嘉兴市南湖区亚中路88号")
    insured.locator("#description").fill("2号车间夜间起火，屋面坍塌，两台注塑机烧毁。")
    insured.locator("#estimated_loss").fill("850000")
    insured.locator("#reporter_phone").fill("13957312345")
    cast.shot(insured, "c02-report-a-loss")
    insured.get_by_role("button", name="提交报案").click()
    _done(insured, "已报案")
    expect(insured.locator("h1")).to_contain_text("已委托公估")  # the policy designates 王建国
    case_url = insured.url.split("?")[0]
    number = insured.locator("h1 .mono").inner_text()
    cast.shot(insured, "c03-case-insured-notified")

    # The designated firm's administrator (王建国) accepts the letter, adds 李娜, records the survey.
    firm = cast("adjuster1")
    expect(firm.locator("#my-turn")).to_contain_text(number)
    cast.shot(firm, "c04-home-adjuster")
    firm.goto(case_url)
    letter = firm.locator("#act-letter")
    expect(letter).to_contain_text("确认函 QRH-")
    letter.locator("#letter-fee_basis").select_option("rate")
    letter.locator("#letter-fee_rate").fill("1.5")
    letter.locator("#letter-fee_payment_days").fill("30")
    cast.shot(firm, "c05-case-letter")
    letter.get_by_role("button", name="接受委托").click()
    _done(firm, "您已接受确认函")
    expect(firm.locator("#act-survey")).to_contain_text("查勘前请增加第二名公估师")
    _pick(firm, "#team-adjuster_id", "李娜")
    firm.get_by_role("button", name="加入本案").click()
    _done(firm, "公估师已加入本案")
    survey = firm.locator("#act-survey")
    survey.locator("#survey-surveyed_at").fill(_local(SystemClock().now()))
    survey.locator("#survey-participants").fill("王建国、李娜、沈国平")
    survey.locator("#survey-notes").fill("2号车间屋面彩钢瓦整体坍塌约1200平方米；注塑机两台过火。")
    survey.get_by_role("button", name="记录查勘").click()
    _done(firm, "查勘已记录")
    expect(firm.locator("h1")).to_contain_text("查勘中")

    # The report draft, itemised per section (a row added on the server), then signed by both.
    editor = firm.locator("#draft-editor")
    editor.locator("[id='d-building.0.ref']").fill("1")
    editor.locator("[id='d-building.0.description']").fill("2#车间彩钢瓦屋面")
    editor.locator("[id='d-building.0.quantity']").fill("1200")
    editor.locator("[id='d-building.0.unit']").fill("平方米")
    editor.locator("[id='d-building.0.unit_value']").fill("350.00")
    editor.locator("[id='d-building.0.depreciation']").fill("10")
    editor.locator("[id='d-building.0.salvage']").fill("8000")
    editor.get_by_role("button", name="在“机器设备”中增加一项").click()
    editor = firm.locator("#draft-editor")
    expect(editor.locator("[id='d-machinery.0.description']")).to_be_visible()
    expect(editor.locator("[id='d-building.0.description']")).to_have_value("2#车间彩钢瓦屋面")
    editor.locator("[id='d-machinery.0.ref']").fill("2")
    editor.locator("[id='d-machinery.0.description']").fill("注塑机 HX-650")
    editor.locator("[id='d-machinery.0.quantity']").fill("2")
    editor.locator("[id='d-machinery.0.unit']").fill("台")
    editor.locator("[id='d-machinery.0.unit_value']").fill("180000")
    editor.locator("#d-cause").fill("2号车间电气线路短路引燃可燃物。")
    editor.locator("#d-liability").fill("属于企业财产保险责任范围。")
    editor.locator("#d-conclusion").fill("建议按保单约定理算。")
    editor.get_by_role("button", name="保存草稿").click()
    _done(firm, "报告草稿已保存")
    expect(firm.locator("#draft-editor")).to_contain_text("合计损失 ¥738,000.00")
    cast.shot(firm, "c06-report-draft")
    cast.phone_shot("adjuster1", case_url + "#report-draft", "c07-report-draft-phone")
    submit = firm.locator("#act-submit")
    expect(submit.locator("input[name=signers]")).to_have_count(2)
    submit.get_by_role("button", name="签署并提交").click()
    _done(firm, "您已签署报告")
    expect(firm.locator("#act-sign")).to_contain_text("李娜 · 尚未签署")
    # 李娜 signs the same content hash in person, from her own login.
    second = cast("adjuster2")
    second.goto(case_url)
    second.locator("#act-sign").get_by_role("button", name="签署报告").click()
    _done(second, "公估报告已签署提交")
    firm.reload()
    expect(firm.locator("#reports")).to_contain_text("王建国、李娜")
    cast.server.worker_once()  # the confirmation letter and report PDFs
    firm.reload()
    pdf_link = firm.locator("#reports").get_by_role("link", name="下载")
    expect(pdf_link).to_have_count(1)
    pdf = firm.request.get(cast.server.base_url + (pdf_link.get_attribute("href") or ""))
    assert pdf.ok and pdf.body().startswith(b"%PDF")

    # The insured follows the progress.
    insured.goto(case_url)
    expect(insured.locator(".progress li.current")).to_contain_text("公估报告")
    expect(insured.locator("#reports")).to_contain_text("¥738,000.00")

    # The broker's risk evaluator confirms the amount and sees the engine's steps.
    risk = cast("risk")
    risk.goto(case_url)
    risk.get_by_role("button", name="计算并预览").click()
    expect(risk.locator("#amount-preview")).to_contain_text("尚未确认")
    risk.locator("#amount-preview").get_by_role("button").click()
    _done(risk, "理算金额已确认")
    settlement = risk.locator("#settlement")
    for text in ("¥277,500.00", "¥342,000.00", "¥619,500.00", "比例分摊系数", "0.833333", "免赔额", "受限于"):
        expect(settlement).to_contain_text(text)
    settlement.scroll_into_view_if_needed()
    cast.shot(risk, "c08-amount-steps")

    # The broker proposes; the insurer (notified of the new claim) accepts and pays.
    broker = cast("broker")
    broker.goto("/claims")
    expect(broker.locator("#claim-rows")).to_contain_text(number)
    cast.shot(broker, "c09-claims-queue-broker")
    broker.goto(case_url)
    expect(broker.locator("#propose-amount")).to_have_value("619500.00")
    broker.get_by_role("button", name="发送赔付方案").click()
    _done(broker, "赔付方案已发送给保险公司")

    insurer = cast("insurer1")
    # The new claim, the report copied to it and the broker's proposal: three unread notices.
    expect(insurer.locator("a.inbox-link[href='/notifications'] .count")).to_have_text("3")
    insurer.locator("a.inbox-link[href='/notifications']").click()
    expect(insurer.locator("ul.inbox")).to_contain_text(f"【新报案】{number}")
    expect(insurer.locator("ul.inbox")).to_contain_text(f"{number}：经纪人提出赔付金额")
    expect(insurer.locator("ul.inbox")).to_contain_text("金额：¥619,500.00")
    cast.shot(insurer, "c10-notifications")
    insurer.get_by_role("link", name=f"【新报案】{number}").click()
    expect(insurer.locator("#act-answer")).to_contain_text("¥619,500.00")
    cast.shot(insurer, "c11-insurer-answer")
    insurer.get_by_role("button", name="接受 ¥619,500.00").click()
    _done(insurer, "您的答复已记录")
    expect(insurer.locator("#final-amount")).to_have_value("619500.00")
    insurer.locator("#final-reference").fill("PAY-2026-0001")
    insurer.get_by_role("button", name="登记赔款支付").click()
    _done(insurer, "支付已登记")
    expect(insurer.locator("h1")).to_contain_text("已赔付")

    broker.reload()
    broker.locator("#close-confirm").check()
    broker.get_by_role("button", name="结案").click()
    _done(broker, "本案已结案")

    insured.goto(case_url)
    expect(insured.locator("h1")).to_contain_text("已结案")
    expect(insured.locator("#payments")).to_contain_text("PAY-2026-0001")
    expect(insured.locator("#timeline")).to_contain_text("赔款已支付")
    cast.shot(insured, "c12-case-insured-closed")
    cast.phone_shot("insured1", case_url, "c13-case-insured-closed-phone")
    insured.goto("/notifications")
    expect(insured.locator("ul.inbox")).to_contain_text(f"{number}：赔款已支付")

    # An outsider gets the 404 page, the same as for an id that does not exist.
    outsider = cast("insured2")
    response = outsider.goto(case_url)
    assert response is not None and response.status == 404
    expect(outsider.get_by_role("heading", name="未找到")).to_be_visible()
    hidden = outsider.locator("main").inner_text()
    response = outsider.goto(f"/claims/{uuid.uuid4()}")
    assert response is not None and response.status == 404
    assert outsider.locator("main").inner_text() == hidden
    cast.shot(outsider, "c14-outsider-404")

    assert cast.problems() == [], cast.problems()


# ---- 2. the dispute ------------------------------------------------------------------------------------


def _proposed_claim(server: ClaimServer) -> str:
    """A claim reported by 华信 (firm A), confirmed and proposed to the insurer — set up through the API."""
    cid = reported_claim(server)
    risk, broker = _api(server, "risk"), _api(server, "broker")
    risk.post(f"/api/v1/claims/{cid}/amount-confirmation").raise_for_status()
    broker.post(f"/api/v1/claims/{cid}/negotiation", json={"move": "propose"}).raise_for_status()
    for c in (risk, broker):
        c.close()
    return cid


def test_dispute_consultation_umpire_mou_and_payment(cast: Cast) -> None:
    cid = _proposed_claim(cast.server)
    case_url = f"/claims/{cid}"
    cons_url = f"{case_url}/consultation"

    # The insurer disputes the report and appoints its own adjuster, 张伟 of 正衡 (firm B).
    insurer = cast("insurer1")
    insurer.goto(case_url)
    answer = insurer.locator("#act-answer")
    answer.get_by_text("对报告提出异议").first.click()
    answer.locator("#dispute-reason").fill("屋面单价偏高，注塑机应按修复费用核定。")
    answer.get_by_role("button", name="对报告提出异议").click()
    _done(insurer, "您的答复已记录")
    expect(insurer.locator("h1")).to_contain_text("有争议")
    appoint = insurer.locator("#act-appoint")
    expect(appoint).to_contain_text("列入经纪人黑名单")  # 何雪梅: allowed, but flagged
    appoint.locator("label.choice", has_text="张伟").click()
    cast.shot(insurer, "d01-insurer-appoints-own-adjuster")
    appoint.get_by_role("button", name="委托并发出确认函").click()
    _done(insurer, "贵方的公估人已委托")

    # Firm B: told of the letter in its inbox, accepts, adds 陈亮, surveys, drafts and submits its own report.
    firm_b = cast("adjuster3")
    firm_b.goto("/notifications")
    letter = firm_b.locator("ul.inbox li", has_text="保险公司委托自己的公估人")
    expect(letter).to_have_count(1)
    letter.get_by_role("link").click()
    firm_b.wait_for_url(re.compile(f"{case_url}$"))
    firm_b.locator("#letter-fee_basis").select_option("fixed")
    firm_b.locator("#letter-fee_amount").fill("8000")
    firm_b.get_by_role("button", name="接受委托").click()
    _done(firm_b, "您已接受确认函")
    _pick(firm_b, "#team-adjuster_id", "陈亮")
    firm_b.get_by_role("button", name="加入本案").click()
    _done(firm_b, "公估师已加入本案")
    firm_b.locator("#survey-surveyed_at").fill(_local(SystemClock().now()))
    firm_b.get_by_role("button", name="记录查勘").click()
    _done(firm_b, "查勘已记录")
    editor = firm_b.locator("#draft-editor")
    for name, value in (
        ("ref", "B1"),
        ("description", "三号仓库屋顶彩钢板"),
        ("quantity", "1200"),
        ("unit", "㎡"),
        ("unit_value", "300"),
        ("depreciation", "10"),
        ("salvage", "8000"),
    ):
        editor.locator(f"[id='d-building.0.{name}']").fill(value)
    editor.get_by_role("button", name="在“机器设备”中增加一项").click()
    editor = firm_b.locator("#draft-editor")
    for name, value in (
        ("ref", "B2"),
        ("description", "注塑机 HX-650"),
        ("quantity", "2"),
        ("unit", "台"),
        ("unit_value", "170000"),
    ):
        editor.locator(f"[id='d-machinery.0.{name}']").fill(value)
    editor.get_by_role("button", name="保存草稿").click()
    _done(firm_b, "报告草稿已保存")
    firm_b.get_by_role("button", name="签署并提交").click()
    _done(firm_b, "您已签署报告")
    chen = cast("adjuster11")  # 陈亮 signs firm B's report in person
    chen.goto(case_url)
    chen.locator("#act-sign").get_by_role("button", name="签署报告").click()
    _done(chen, "公估报告已签署提交")

    # The broker opens the consultation: both reports side by side, item by item.
    broker = cast("broker")
    broker.goto(case_url)
    broker.get_by_role("button", name="发起竞争性磋商").click()
    expect(broker).to_have_url(re.compile(r"/consultation\?done=opened$"))
    items = broker.locator("#items")
    expect(items).to_contain_text("单价不同")
    # Payable at A's figures, as the API computes it (the policy's sum insured is reduced by what the
    # journey before this one paid on the same policy: 保险金额相应减少).
    at_a = _api(cast.server, "broker").get(f"/api/v1/claims/{cid}/consultation").json()["payable"]["at_a"]
    expect(broker.locator(".payable-band")).to_contain_text(f"¥{Decimal(at_a):,.2f}")
    cast.shot(broker, "d02-consultation-aligned")

    firm_a = cast("adjuster1")
    firm_a.goto(cons_url)
    firm_a.get_by_role("button", name="开始第 1 轮").click()
    _done(firm_a, "第 1 轮磋商已开始")
    roof = firm_a.locator("tr.item-detail").first
    roof.get_by_text("提出数额").click()
    roof.locator("input[name=amount]").fill("342000")
    roof.locator("textarea[name=reason]").fill("按市场询价，单价取两份报告的中间值")
    roof.get_by_role("button", name="提出", exact=True).click()
    _done(firm_a, "您对该项目的意见已记录")

    firm_b.goto(cons_url)
    firm_b.locator("tr.item-detail").first.get_by_role("button", name="接受 ¥342,000.00").click()
    _done(firm_b, "您对该项目的意见已记录")
    expect(firm_b.locator("#items")).to_contain_text("第 1 轮议定")
    firm_b.locator("tr.item-detail").last.get_by_role("button", name="维持我方数额").click()
    _done(firm_b, "您对该项目的意见已记录")
    cast.shot(firm_b, "d03-consultation-round-1")

    # The broker ends the rounds; the machinery item goes to the umpire.
    broker.reload()
    for n in (1, 2, 3):
        broker.locator("#end-round-confirm").check()
        broker.get_by_role("button", name=f"结束第 {n} 轮").click()
        if n < 3:  # the next round's form has replaced this one (its box is unticked again)
            expect(broker.get_by_role("button", name=f"结束第 {n + 1} 轮")).to_be_visible()
        _done(broker, "本轮磋商已结束")
    expect(broker.locator("h1")).to_contain_text("公断中")

    firm_a.goto(cons_url)
    _pick(firm_a, "#umpire-choice", "邓建华")
    firm_a.locator("#umpire").scroll_into_view_if_needed()
    cast.shot(firm_a, "d04-umpire-proposal")
    firm_a.locator("#umpire").get_by_role("button", name="提出").click()
    _done(firm_a, "已提议公断人")
    firm_b.goto(cons_url)
    firm_b.get_by_role("button", name="接受邓建华为公断人").click()
    _done(firm_b, "双方均已接受公断人")

    risk = cast("risk")
    risk.goto(cons_url)
    decision = risk.locator("form.decision")
    decision.locator("input[name=amount]").fill("350000")
    decision.locator("input[name=reason]").fill("注塑机按修复费用与重置价的平均核定")
    cast.shot(risk, "d05-umpire-decision")
    decision.get_by_role("button", name="录入裁定").click()
    _done(risk, "公断人裁定已录入")
    memo = risk.locator("#memorandum")
    expect(memo).to_contain_text("MOU-")
    expect(memo).to_contain_text("¥692,000.00")

    # The MoU: every party acknowledges; the PDFs in Chinese and English.
    for username in ("adjuster1", "adjuster3", "risk", "insurer1"):
        page = cast(username)
        page.goto(cons_url)
        page.locator("#memorandum").get_by_role("button", name=re.compile("^以.*身份确认$")).click()
        _done(page, "您已确认谅解备忘录")
    expect(insurer.locator("#memorandum")).to_contain_text("4 / 4")
    expect(insurer.locator("#memorandum")).to_contain_text("四方均已确认谅解备忘录")
    for label, title in (("PDF（中文）", b"%PDF"), ("PDF (English)", b"%PDF")):
        href = insurer.locator("#memorandum").get_by_role("link", name=label).get_attribute("href")
        got = insurer.request.get(cast.server.base_url + (href or ""))
        assert got.ok and got.body().startswith(title), label
    cast.shot(insurer, "d06-mou-acknowledged")
    cast.phone_shot("insurer1", cons_url, "d07-consultation-phone")

    # The amount from the MoU, the proposal, acceptance, payment.
    risk.goto(case_url)
    expect(risk.locator("#act-amount")).to_contain_text("谅解备忘录")
    risk.get_by_role("button", name="计算并预览").click()
    expect(risk.locator("#amount-preview")).to_contain_text("尚未确认")
    risk.locator("#amount-preview").get_by_role("button").click()
    _done(risk, "理算金额已确认")
    expect(risk.locator("#settlement")).to_contain_text("依据 MOU-")
    broker.goto(case_url)
    broker.get_by_role("button", name="发送赔付方案").click()
    _done(broker, "赔付方案已发送给保险公司")
    insurer.goto(case_url)
    insurer.locator("#act-answer").get_by_role("button", name=re.compile("^接受 ¥")).click()
    _done(insurer, "您的答复已记录")
    insurer.locator("#final-reference").fill("PAY-2026-0002")
    insurer.get_by_role("button", name="登记赔款支付").click()
    _done(insurer, "支付已登记")
    expect(insurer.locator("h1")).to_contain_text("已赔付")
    expect(insurer.locator("#timeline")).to_contain_text("生成谅解备忘录")
    cast.shot(insurer, "d08-case-paid-after-dispute")

    assert cast.problems() == [], cast.problems()
