"""Browser journey of a placement (投保项目, issue 14) in zh-CN, on a server of its own, each party in its own
browser: the broker's account manager opens the placement through the form (an error shown beside its
field first) and explains the pre-assessment; the insured adds a site contact and a document and chooses
a recommended adjuster; the broker issues the confirmation letter and the firm accepts it with its fee
terms; the firm's lead and second survey, write, sign and submit the pre-assessment report; the broker's
risk evaluator publishes the risk register; the insured decides per risk point beside its price; the
regulator reads the copy. Screenshots go to the test's tmp dir."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tandem.demo_placements import PHOTO
from tandem.kit.clock import SystemClock

from .conftest import running_app
from .journeys import SHANGHAI, Cast, ClaimServer, Draft, _pick, draft_and_sign, papers_to_market

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def placement_server(tmp_path_factory: pytest.TempPathFactory, chromium_path: Path) -> Iterator[ClaimServer]:
    with running_app(tmp_path_factory.mktemp("placement-e2e"), "placement.db", TANDEM_SMTP_PORT="1") as (
        base,
        env,
        _,
    ):
        yield ClaimServer(base, env)


@pytest.fixture
def cast(browser: Browser, placement_server: ClaimServer, tmp_path: Path) -> Iterator[Cast]:
    c = Cast(browser, placement_server, tmp_path)
    yield c
    c.close()


def _notice(page: Page, text: str) -> None:
    expect(page.locator("#case .alert.ok")).to_contain_text(text)


def _open(cast: Cast) -> str:
    """The account manager fills the opening form, adding a section row; the first try shows an error."""
    broker = cast("broker")
    broker.goto("/")
    broker.get_by_role("link", name="投保项目", exact=True).first.click()
    broker.get_by_role("link", name="开立投保项目").first.click()
    _pick(broker, "#insured_id", "嘉兴鑫达电子科技有限公司")
    broker.locator("#title").fill("嘉兴鑫达电子 2027 财产险项目")
    for line in ("企业财产保险", "机器损坏保险"):
        broker.get_by_label(line, exact=True).check()
    start = SystemClock().now().astimezone(SHANGHAI).date() + dt.timedelta(days=40)
    broker.locator("#period_start").fill(start.isoformat())
    broker.locator("#period_end").fill(start.replace(year=start.year + 1).isoformat())
    broker.locator("#s0-name").fill("南湖厂区")
    broker.locator("#s0-province").select_option("浙江")
    broker.locator("#s0-address").fill("浙江省嘉兴市南湖区亚中路88号")
    broker.locator("#s0-occupancy").fill("电子元器件制造")
    broker.locator("#s0-construction").fill("钢筋混凝土框架")
    broker.locator("#s0-c0-type").select_option("building")
    broker.locator("#s0-c0-description").fill("1-3号厂房")
    broker.locator("#s0-c0-sum").fill("36,000,000")
    broker.get_by_role("button", name="添加标的项").click()
    broker.locator("#s0-c1-type").select_option("machinery")
    broker.locator("#s0-c1-description").fill("SMT 生产线")
    broker.locator("#s0-c1-sum").fill("0")
    broker.get_by_role("button", name="开立投保项目").last.click()
    expect(broker.locator("#s0-c1-sum-error")).to_contain_text("金额必须大于零")
    cast.shot(broker, "p01-open-form-error")
    broker.locator("#s0-c1-sum").fill("18,500,000.00")
    broker.get_by_role("button", name="开立投保项目").last.click()
    _notice(broker, "投保项目已开立")
    expect(broker.locator("#subject")).to_contain_text("¥54,500,000.00")
    cast.shot(broker, "p02-opened")
    return broker.url.split("?")[0]


def test_a_placement_from_opening_to_the_insureds_risk_decisions_in_the_browser(cast: Cast, tmp_path: Path) -> None:
    url = _open(cast)
    number = cast("broker").locator("h1 .mono").inner_text()
    assert re.fullmatch(r"TB-\d{4}-\d{6}", number)

    # The insured sees it at once: adds a site contact and a document.
    insured = cast("insured1")
    insured.goto("/placements")
    insured.get_by_role("link", name=number).click()
    insured.locator("#contact-name").fill("沈国平")
    insured.locator("#contact-phone").fill("13957312345")
    insured.locator("#contact-role").fill("厂长")
    insured.get_by_role("button", name="添加联系人").click()
    _notice(insured, "现场联系人已添加")
    plan = tmp_path / "厂区平面图.pdf"
    plan.write_bytes(b"%PDF-1.4\n% site plan of the Nanhu works\n")
    insured.locator("#upload-file").set_input_files(str(plan))
    insured.locator("#documents").get_by_role("button", name="上传").click()
    _notice(insured, "文件已上传")
    expect(insured.locator("#documents")).to_contain_text("厂区平面图.pdf")
    expect(insured.locator("#documents")).to_contain_text("SHA-256")

    # R-U1: the broker explains; the insured chooses a recommended adjuster, acknowledging the explanation.
    broker = cast("broker")
    broker.goto(url)
    broker.locator("#explain-note").fill("已在客户会议上说明预评估决定保险方案")
    broker.get_by_role("button", name="记录说明").click()
    insured.goto(url)
    expect(insured.locator(".whose")).to_contain_text("被保险人")
    insured.locator("#act-choose label.choice", has_text="张伟").click()
    insured.locator("#choose-ack").check()
    cast.shot(insured, "p03-insured-chooses")
    insured.get_by_role("button", name="选择该公估师").click()
    expect(insured.locator("h1")).to_contain_text("已选定公估机构")

    # R-U2: the letter issued; the firm accepts with its fee terms and the report's due date.
    broker.goto(url)
    broker.locator("#act-letter").get_by_role("button", name="出具确认函").click()
    expect(broker.locator("h1")).to_contain_text("已委托公估")
    firm = cast("adjuster3")
    firm.goto("/")
    expect(firm.locator("#placement-turn")).to_contain_text(number)
    firm.goto(url)
    firm.locator("#accept-fee_basis").select_option("fixed")
    firm.locator("#accept-fee_amount").fill("60000")
    firm.locator("#accept-fee_payer").select_option("insured")
    due = SystemClock().now().astimezone(SHANGHAI).date() + dt.timedelta(days=20)
    firm.locator("#accept-report_due").fill(due.isoformat())
    firm.get_by_role("button", name="接受委托").click()
    expect(firm.locator("h1")).to_contain_text("预评估进行中")
    cast.shot(firm, "p04-firm-accepted")

    # Supervision does not see the placement before a report is copied to it.
    regulator = cast("regulator")
    assert regulator.goto(url).status == 404

    # R-U3: the lead adds the second, records a visit with a photo, writes the draft and signs; the second
    # signs in person from their own login.
    _pick(firm, "#team-adjuster", "陈亮")
    firm.locator("form[action$='/pre-assessment/team'] button[type=submit]").click()
    expect(firm.locator("#pre-assessment")).to_contain_text("陈亮")
    firm.locator("#visit-who").fill("张伟, 陈亮, 沈国平（厂长）")
    firm.locator("#visit-notes").fill("配电房电缆老化；仓库消防通道堵塞；化学品库未分区存放。")
    photo = tmp_path / "配电房.png"
    photo.write_bytes(PHOTO)
    firm.locator("#visit-photos").set_input_files(str(photo))
    firm.locator("form[action$='/pre-assessment/visits'] button[type=submit]").click()
    expect(firm.locator("#pre-assessment")).to_contain_text("配电房.png")
    firm.goto(f"{url}/report-draft")
    firm.locator('[name="subject"]').fill("嘉兴鑫达电子科技有限公司：南湖厂区1-3号厂房及SMT生产线")
    for ref, value in (("S1-1", "38,500,000.00"), ("S1-2", "19,200,000.00")):
        firm.locator(f'[name="values.{ref}.replacement_value"]').fill(value)
        firm.locator(f'[name="values.{ref}.basis"]').fill("重置成本法")
    points = (
        ("1", "配电房电缆老化", "1号厂房配电房", "S1", "高", "1.1500"),
        ("2", "化学品库未分区存放", "注塑车间化学品库", "S1", "重大", "1.3000"),
    )
    texts = ("环评批复齐全，危废暂存间未设防渗。", "安评：电气线路老化，消防通道占用。", "建立消防巡查制度。")
    draft_and_sign(
        cast, firm, url, Draft(points, "现场查见", texts), "p05-report-draft", ("张伟", "陈亮"), "adjuster11"
    )
    second = cast("adjuster11")
    expect(second.locator("h1")).to_contain_text("预评估已报告")
    cast.shot(second, "p06-report-submitted")

    # Copied to supervision and to the insured.
    regulator.goto(url)
    expect(regulator.locator("#pre-assessment")).to_contain_text("YP-")
    cast.shot(regulator, "p07-regulator-copy")

    # R-U4: the risk evaluator draws up the register, raises a loading with a reason, publishes it.
    risk = cast("risk")
    risk.goto("/")
    expect(risk.locator("#placement-turn")).to_contain_text(number)
    risk.goto(url)
    risk.locator("#risk form[action$='/seed'] button[type=submit]").click()
    expect(risk.locator("#risk-point-0")).to_be_visible()
    risk.locator("#coefficient-0").locator("xpath=ancestor::details[1]/summary").click()
    risk.locator("#coefficient-0").fill("1.2000")
    risk.locator("#reason-0").fill("电缆老化范围大于报告所述，加重")
    risk.locator("#coefficient-0").locator("xpath=ancestor::form").locator("button[type=submit]").click()
    expect(risk.locator("#risk")).to_contain_text("电缆老化范围大于报告所述")
    risk.locator("#risk form[action$='/publish'] button[type=submit]").click()
    expect(risk.locator("h1")).to_contain_text("被保险人决定风险处理")
    cast.shot(risk, "p08-register-published")

    # The insured decides per risk point, each beside its price; the totals follow.
    insured.goto(url)
    expect(insured.locator("#risk-prices")).to_be_visible()
    expect(insured.locator("#total-now")).to_contain_text("¥")
    cast.shot(insured, "p09-insured-prices")
    remediate_by = SystemClock().now().astimezone(SHANGHAI).date() + dt.timedelta(days=60)
    insured.locator("#risk-point-0 input[value=remediate]").check()
    insured.locator("#committed_date-0").fill(remediate_by.isoformat())
    insured.locator("#risk-point-1 input[value=premium]").check()
    insured.locator("#risk-decisions button[type=submit]").last.click()
    insured.goto(url)
    expect(insured.locator("#risk-point-0 input[value=remediate]")).to_be_checked()
    expect(insured.locator("#risk-point-1 input[value=premium]")).to_be_checked()
    expect(insured.locator("#committed_date-0")).to_have_value(remediate_by.isoformat())
    cast.shot(insured, "p10-insured-decided")

    # Issue 15: the broker gives the client disclosure and the written mandate; the insured acknowledges
    # both; then the broker takes it to market and the decisions freeze.
    papers_to_market(cast, url, "p10b-papers-acknowledged")
    cast.shot(broker, "p11-to-market")
    assert cast.problems() == []
