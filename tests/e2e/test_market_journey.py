"""Browser journey of a placement through the market to a bound policy and a claim on it (issue 15 items 3
and 6) in zh-CN, on the demo, one app and one browser, each party signed in as itself (screenshots
m01–m12): on the demo placement whose insured is deciding, the insured decides its last risk point; the
account manager gives the client disclosure (客户告知书) and the written mandate (委托书), the insured
acknowledges both and the placement goes to market; the programme is submitted to two insurers;
underwriter2 asks a question and the account manager answers; underwriter2 meets the 404 page at
underwriter1's submission; the broker's adjuster follows underwriter1's underwriting and comments on its
thread; underwriter1 appoints its own adjuster (吴斌 of 华信) for a second pre-assessment, whose firm
accepts the letter, surveys, writes the report in the draft editor and has it signed by two; the insurer
opens the consultation over the risk points, one is disputed, proposed and held in round 1 and accepted
in round 2; the MoU is acknowledged by both adjusters, the broker's risk evaluator, the insurer and the
insured, merged into the register, and the insurer reads the premium rated on it; supervision reads it
(screenshots n00–n08); both underwriters quote; the insured compares the quotes side by side and
accepts one; the policy's page links back to the placement; the insured notifies a loss on the new policy
through the ordinary claim intake and sees the claim."""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tandem.kit.clock import SystemClock

from .conftest import running_app
from .journeys import SHANGHAI, Cast, ClaimServer, Draft, _done, _local, _pick, draft_and_sign, papers_to_market

pytestmark = pytest.mark.e2e

ZHONGAN, TAIHE = "中安财产保险股份有限公司", "太和财产保险股份有限公司"
TITLE = "机器损坏及营业中断项目"  # the demo placement whose insured is still deciding (src/tandem/demo_placements.py)


def _today() -> dt.date:
    today: dt.date = SystemClock().now().astimezone(SHANGHAI).date()
    return today


@pytest.fixture(scope="module")
def market_server(tmp_path_factory: pytest.TempPathFactory, chromium_path: Path) -> Iterator[tuple[ClaimServer, str]]:
    """The whole demo (its placements come with its claims); the deciding placement's period moved to
    begin today, so that a loss can be notified on the policy it is bound into (the demo's periods begin
    two months on). Yields the server and the placement's page."""
    tmp = tmp_path_factory.mktemp("market-e2e")
    with running_app(tmp, "market.db", demo_claims=True, TANDEM_SMTP_PORT="1") as (base, env, _):
        start = _today()
        with sqlite3.connect(tmp / "market.db") as db:
            moved = db.execute(
                "UPDATE placement SET period_start = ?, period_end = ? WHERE title LIKE ? AND status = 'deciding'",
                (start.isoformat(), start.replace(year=start.year + 1).isoformat(), f"%{TITLE}"),
            ).rowcount
            (pid,) = db.execute("SELECT id FROM placement WHERE title LIKE ?", (f"%{TITLE}",)).fetchone()
        assert moved == 1
        yield ClaimServer(base, env), f"/placements/{uuid.UUID(str(pid))}"


@pytest.fixture
def cast(browser: Browser, market_server: tuple[ClaimServer, str], artifacts: Path) -> Iterator[Cast]:
    c = Cast(browser, market_server[0], artifacts)
    yield c
    c.close()


def _notice(page: Page, text: str) -> None:
    expect(page.locator(".alert.ok", has_text=text).first).to_be_visible()


def _to_market(cast: Cast, url: str) -> None:
    """The insured decides its last open risk point; the broker gives both papers, the insured
    acknowledges them, and the broker takes the placement to market."""
    insured = cast("insured1")
    insured.goto(url)
    rows = insured.locator("#risk-decisions tr[id^=risk-point-]")
    expect(rows.first).to_be_visible()
    for n in range(rows.count()):
        if rows.nth(n).locator("input[type=radio]:checked").count() == 0:
            rows.nth(n).locator("input[value=premium]").check()
    insured.locator("#risk-decisions button[type=submit]").last.click()
    expect(insured.locator("#risk-decisions input[value=premium]:checked").first).to_be_visible()

    papers_to_market(cast, url, "m01-papers-acknowledged")


def _quote(page: Page, rates: tuple[str, ...], factor: str) -> None:
    """Fill the quote form: a rate per section (a deductible on the first), one factor, conditions."""
    rows = page.locator("#quote-form input[id$='-rate_permille']")
    expect(rows.first).to_be_visible()
    for n in range(rows.count()):
        page.locator(f"#q-{n}-rate_permille").fill(rates[n % len(rates)])
    page.locator("#q-0-deductible_amount").fill("10000.00")
    page.locator("#f-code-0").fill("sprinkler")
    page.locator("#f-value-0").fill(factor)
    page.locator("#conditions").fill("特别约定：起保前完成配电房电缆更换。")
    page.locator("#valid_until").fill((_today() + dt.timedelta(days=30)).isoformat())
    page.locator("#quote-form button[type=submit]").click()
    _notice(page, "您的报价已作为新版本记录")
    expect(page.locator("#quote-v1")).to_contain_text("¥")


# The insurer's adjuster's report (R-U7): the broker's adjuster's three risk points (demo_placements.RISK_POINTS)
# in its own words; it rates the first one lower, the dispute the consultation settles.
SECOND_POINTS = (
    ("F1", "配电房电缆老化", "1号厂房配电房", "S1", "中", "1.1000"),
    ("F2", "消防通道堵塞", "秀洲仓库东侧", "", "中", "1.0500"),
    ("F3", "危化品储存不规范", "注塑车间化学品库", "S1", "重大", "1.3000"),
)


def _second_report(cast: Cast, url: str) -> None:
    """吴斌's firm (华信, not the broker's adjuster's) answers insurer1's letter, adds 周敏, surveys, writes
    the second 《预评估报告》 in the draft editor and signs it; 周敏 co-signs it in person."""
    firm = cast("adjuster6")  # 吴斌
    firm.goto(url)
    accept = firm.locator("#second-accept")
    accept.locator("#second-fee_basis").select_option("hourly")
    accept.locator("#second-fee_hourly_rate").fill("680")
    accept.locator("#second-report_due").fill((_today() + dt.timedelta(days=15)).isoformat())
    accept.locator("form[action$='/accept'] button[type=submit]").click()
    _notice(firm, "您对保险人确认函的答复已记录")
    _pick(firm, "#team-adjuster", "周敏")
    firm.locator("form[action$='/pre-assessment/team'] button[type=submit]").click()
    _notice(firm, "该公估师已加入团队")
    firm.locator("#visit-who").fill("吴斌, 周敏, 沈国平（厂长）")
    firm.locator("#visit-notes").fill("复核配电房：主干电缆已部分更换，余下线路老化。")
    firm.locator("form[action$='/pre-assessment/visits'] button[type=submit]").click()
    _notice(firm, "现场查勘已记录")
    firm.goto(f"{url}/report-draft")
    firm.locator('[name="subject"]').fill("嘉兴鑫达电子科技有限公司：南湖厂区（保险人委托第二次预评估）")
    values = firm.locator("input[name$='.replacement_value']")
    for n in range(values.count()):
        values.nth(n).fill("9,000,000.00")
    bases = firm.locator("input[name$='.basis']")
    for n in range(bases.count()):
        bases.nth(n).fill("重置成本法")
    texts = ("环评批复齐全。", "安评：配电房主干电缆已部分更换。", "完成余下线路更换后复查。")
    draft = Draft(SECOND_POINTS, "复核查见", texts)
    draft_and_sign(cast, firm, url, draft, "n02-second-report-draft", ("吴斌", "周敏"), "adjuster5")
    second = cast("adjuster5")  # 周敏 signed in person
    _notice(second, "公估报告已签署提交")
    expect(second.locator("#second-rows")).to_contain_text("报告已提交")
    cast.shot(second, "n03-second-report-signed")


def _consult(page: Page, step: str) -> None:
    """A consultation step's button on the placement's page (start, end the round, acknowledge, merge)."""
    page.locator(f"#placement-consultation form:has(input[name=step][value={step}]) button[type=submit]").click()
    _notice(page, "谅解备忘录的风险点已并入风险登记册" if step == "merge" else "磋商已更新")


def _move(page: Page, kind: str, level: str = "", coefficient: str = "", reason: str = "") -> None:
    form = page.locator("#consultation-points form[action*='/consultation/items/']")
    expect(form).to_have_count(1)  # the one disputed risk point
    form.locator("select[name=kind]").select_option(kind)
    if level:
        form.locator("select[name=level]").select_option(level)
        form.locator("input[name=coefficient]").fill(coefficient)
        form.locator("input[name=reason]").fill(reason)
    form.locator("button[type=submit]").click()
    _notice(page, "磋商已更新")


def _second_opinion(cast: Cast, url: str, zhongan: str) -> None:
    """R-U7 and R-U8 in the browser: the broker's adjuster follows underwriter1's submission and comments on
    its thread; underwriter1 appoints its own adjuster (吴斌, of another firm than the broker's adjuster's);
    the second report is signed by two; the consultation over the risk points settles the disputed one in
    a second round; the MoU is acknowledged by all five, merged into the register by the risk evaluator,
    and the insurer reads the premium rated on it; supervision reads it all."""
    follower = cast("adjuster3")  # 张伟, the broker's adjuster
    follower.goto(zhongan)
    expect(follower.locator("#programme-risks tbody tr").first).to_be_visible()
    expect(follower.locator("#quote-form")).to_have_count(0)
    follower.locator("#message-body").fill("配电房主干电缆已于上月部分更换，更换记录已上传至项目文件。")
    follower.get_by_role("button", name="发送").click()
    _notice(follower, "消息已发送")
    cast.shot(follower, "n00-broker-adjuster-follows-underwriting")

    uw1 = cast("underwriter1")
    uw1.goto(url)
    _pick(uw1, "#appoint-adjuster_id", "吴斌")
    uw1.locator("#second-appoint button[type=submit]").click()
    _notice(uw1, "确认函已发送至贵司委托的公估公司")
    expect(uw1.locator("#second-rows")).to_contain_text("吴斌")
    cast.shot(uw1, "n01-insurer-appoints-its-adjuster")
    _second_report(cast, url)

    # The insurer opens the consultation; one risk point is disputed (高 1.15 against 中 1.10).
    uw1.goto(url)
    uw1.locator("#consultation-open button[type=submit]").click()
    _notice(uw1, "磋商已更新")
    points = uw1.locator("#consultation-points")
    expect(points.locator("tbody tr[id^=point-]")).to_have_count(3)
    expect(points.locator(".badge.warn")).to_have_count(1)
    firm_a, firm_b = cast("adjuster3"), cast("adjuster6")
    firm_a.goto(url)
    _consult(firm_a, "start")
    _move(firm_a, "propose", "中", "1.1200", "主干电缆已部分更换，余下线路仍老化")
    firm_b.goto(url)
    _move(firm_b, "hold")
    cast.shot(firm_b, "n04-round-one")
    broker = cast("broker")
    broker.goto(url)
    _consult(broker, "end_round")
    expect(broker.locator("#placement-consultation .sub").first).to_contain_text("第 2")
    firm_b.goto(url)
    _move(firm_b, "accept")
    memo = firm_b.locator("#memorandum")
    expect(memo).to_contain_text("MOU-")
    expect(firm_b.locator("#consultation-points .badge.warn")).to_have_count(0)
    expect(firm_b.locator("#consultation-points")).to_contain_text("1.1200 第 2 轮议定")
    cast.shot(firm_b, "n05-agreed-in-round-two")

    # Five acknowledgements: both adjusters, the broker's risk evaluator, the insurer and the insured.
    for who in ("adjuster6", "adjuster3", "risk", "underwriter1", "insured1"):
        page = cast(who)
        page.goto(f"{url}#placement-consultation")
        _consult(page, "ack")
    insured = cast("insured1")
    expect(insured.locator("#memorandum")).to_contain_text("各方均已确认")
    cast.shot(insured, "n06-mou-acknowledged-by-all")
    risk = cast("risk")
    risk.goto(url)
    _consult(risk, "merge")
    uw1.goto(f"{url}#placement-consultation")
    expect(uw1.locator("#mou-premium")).to_contain_text("¥")
    cast.shot(uw1, "n07-insurer-rates-on-the-mou")

    # Supervision reads the placement, both pre-assessments and the MoU.
    regulator = cast("regulator")
    regulator.goto(url)
    expect(regulator.locator("#pre-assessment")).to_contain_text("YP-")
    expect(regulator.locator("#memorandum")).to_contain_text("各方均已确认")
    cast.shot(regulator, "n08-supervision-reads-the-mou")


def test_a_placement_through_the_market_to_a_policy_and_a_claim(
    cast: Cast, market_server: tuple[ClaimServer, str], artifacts: Path
) -> None:
    url = market_server[1]
    _to_market(cast, url)
    number = cast("broker").locator("h1 .mono").inner_text()

    # The account manager submits the programme to two insurers.
    broker = cast("broker")
    submit = broker.locator("#market-submit")
    for name in (ZHONGAN, TAIHE):
        submit.locator("label.check", has_text=name).locator("input").check()
    cast.shot(broker, "m02-submit-to-two-insurers")
    submit.locator("button[type=submit]").click()
    table = broker.locator("#market-quotes")
    expect(table.locator("thead th a")).to_have_count(2)
    links = {name: table.locator("thead th a", has_text=name).get_attribute("href") for name in (ZHONGAN, TAIHE)}
    assert all(links.values()), links

    # underwriter2 lists only its own submission and asks a question in its thread.
    uw2 = cast("underwriter2")
    uw2.goto("/submissions")
    expect(uw2.locator("main")).to_contain_text(number)
    uw2.goto(str(links[TAIHE]))
    expect(uw2.locator("h1")).to_contain_text("-S")
    expect(uw2.locator("#programme-risks tbody tr").first).to_be_visible()
    uw2.locator("#message-body").fill("机器设备是否有年度维保合同？营业中断的赔偿期是几个月？")
    uw2.get_by_role("button", name="发送").click()
    _notice(uw2, "消息已发送")
    cast.shot(uw2, "m03-underwriter2-asks")

    # A competing insurer gets the same 404 page at the other's submission.
    other = uw2.goto(str(links[ZHONGAN]))
    assert other is not None and other.status == 404
    expect(uw2.locator("main")).not_to_contain_text(ZHONGAN)
    cast.shot(uw2, "m04-underwriter2-404-at-the-others-submission")

    # The account manager answers in underwriter2's thread.
    broker.goto(str(links[TAIHE]))
    expect(broker.locator("#thread")).to_contain_text("年度维保合同")
    broker.locator("#message-body").fill("设有原厂年度维保合同（已上传）；营业中断赔偿期 6 个月。")
    broker.get_by_role("button", name="发送").click()
    _notice(broker, "消息已发送")
    expect(broker.locator("#thread li.msg")).to_have_count(2)
    cast.shot(broker, "m05-broker-answers")

    # The broker's adjuster follows the underwriting; the insurer's own adjuster, the consultation, the MoU.
    _second_opinion(cast, url, str(links[ZHONGAN]))

    # Both underwriters quote, each through its own submission's page.
    uw2.goto(str(links[TAIHE]))
    expect(uw2.locator("#thread")).to_contain_text("营业中断赔偿期 6 个月")
    _quote(uw2, ("0.85", "1.30", "1.60"), "0.95")
    cast.shot(uw2, "m06-underwriter2-quoted")
    uw1 = cast("underwriter1")
    uw1.goto("/submissions")
    uw1.get_by_role("link", name=re.compile(re.escape(number))).first.click()
    expect(uw1.locator("h1")).to_contain_text("-S")
    expect(uw1.locator("#mou-basis")).to_contain_text("按谅解备忘录 MOU-")  # it rates on the MoU
    _quote(uw1, ("0.80", "1.20", "1.50"), "0.90")
    cast.shot(uw1, "m07-underwriter1-quoted")

    # The insured compares the two quotes side by side and accepts underwriter1's (no adjuster designated).
    insured = cast("insured1")
    insured.goto(f"{url}#going-to-market")
    quotes = insured.locator("#market-quotes")
    expect(quotes.locator("td.num strong")).to_have_count(2)
    expect(quotes).to_contain_text("有效报价中最低")
    quotes.scroll_into_view_if_needed()
    insured.screenshot(path=str(artifacts / "m08-insured-compares-quotes.png"))
    column = quotes.locator("thead th").filter(has_text=ZHONGAN)
    expect(column).to_have_count(1)
    forms = quotes.locator("form[action*='/quotes/']")
    expect(forms).to_have_count(2)
    # The accept forms follow the columns' order; underwriter1's column is the one whose link is ZHONGAN.
    heads = quotes.locator("thead th a").all_inner_texts()
    accept = forms.nth(heads.index(ZHONGAN))
    accept.locator("button[type=submit]").click()
    _notice(insured, "已接受报价：保单已出具")
    expect(insured.locator("h1")).to_contain_text("已承保")
    cast.shot(insured, "m09-bound")

    # The policy's page links back to the placement.
    insured.locator("#going-to-market h2 a[href^='/policies/']").click()
    expect(insured.locator("main")).to_contain_text("来自投保项目")
    back = insured.locator("main a[href^='/placements/']")
    expect(back.first).to_contain_text(number)
    policy_number = insured.locator("h1 .mono").first.inner_text()
    cast.shot(insured, "m10-policy-from-the-placement")

    # The insured notifies a loss on the new policy through the ordinary intake and sees the claim.
    insured.goto("/claims/new")
    _pick(insured, "#policy_id", policy_number)
    now = SystemClock().now()
    midnight = dt.datetime.combine(_today(), dt.time(0, 1), tzinfo=SHANGHAI)
    insured.locator("#loss_at").fill(_local(min(now, max(now - dt.timedelta(hours=1), midnight))))
    insured.locator("#location").fill("浙江省嘉兴市南湖区亚中路88号 SMT 车间")
    insured.locator("#description").fill("SMT 生产线回流焊炉控制柜短路起火，生产线停机。")
    insured.locator("#estimated_loss").fill("420000")
    insured.locator("#reporter_phone").fill("13957312345")
    cast.shot(insured, "m11-notify-a-loss")
    insured.get_by_role("button", name="提交报案").click()
    _done(insured, "已报案")
    expect(insured.locator("main")).to_contain_text(policy_number)
    cast.shot(insured, "m12-claim-on-the-new-policy")
    assert cast.problems() == []
