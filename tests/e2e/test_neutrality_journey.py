"""Browser journey of the neutrality regime (相对中立, issue 17 "Done when") in zh-CN, on a server of its own,
every party in its own browser context: a finding by one risk evaluator → confirmed by another → the notice
PDF → the adjuster answers → upheld; a second and a third upheld → the blacklist proposal → the account
manager lists him for 12 months → the next claim on his client's policy is not routed to him (the insured
sees why: `blacklisted`, nothing more) → the firm appeals → broker2, who took no part, lifts the entry →
the next claim is routed to him again. Supervision reads the record without a form."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from .conftest import running_app
from .journeys import POLICY, Cast, ClaimServer, _done, _local, _loss_time, _pick

pytestmark = pytest.mark.e2e

WANG = "王建国"  # adjuster1, designated by insured1's policy


@pytest.fixture(scope="module")
def neutrality_server(tmp_path_factory: pytest.TempPathFactory, chromium_path: Path) -> Iterator[ClaimServer]:
    with running_app(tmp_path_factory.mktemp("neutrality-e2e"), "neutrality.db", TANDEM_SMTP_PORT="1") as (
        base,
        env,
        _,
    ):
        yield ClaimServer(base, env)


@pytest.fixture
def cast(browser: Browser, neutrality_server: ClaimServer, artifacts: Path) -> Iterator[Cast]:
    c = Cast(browser, neutrality_server, artifacts)
    yield c
    c.close()


def notice_a_loss(cast: Cast, description: str) -> tuple[str, str]:
    """insured1 reports a loss on its policy; returns the case number and the case page's URL."""
    insured = cast("insured1")
    insured.goto("/claims/new")
    _pick(insured, "#policy_id", POLICY)
    insured.locator("#loss_at").fill(_local(_loss_time()))
    insured.locator("#location").fill("浙江省嘉兴市南湖区亚中路88号")
    insured.locator("#description").fill(description)
    insured.locator("#reporter_phone").fill("13957312345")
    insured.get_by_role("button", name="提交报案").click()
    _done(insured, "已报案")
    return insured.locator("h1 .mono").inner_text(), insured.url.split("?")[0]


def step(page: Page, action: str, text: str) -> None:
    """Fill the reasons of one step form of a finding or proposal page and send it."""
    form = page.locator(f"form[action$='/{action}']")
    form.locator("textarea").fill(text)
    form.locator("button[type=submit]").click()
    expect(page.locator(".alert.ok")).to_be_visible()


def record_finding(cast: Cast, number: str, shots: str | None = None) -> str:
    """risk records a finding against 王建国 on the case; returns the finding page's URL."""
    risk = cast("risk")
    risk.goto("/neutrality")
    form = risk.locator("#new-finding")
    _pick(risk, "#adjuster_id", WANG)
    form.locator("#case_number").fill(number)
    form.locator("#kind").select_option("leans_to_appointer")
    form.locator("#text").fill("报告屋面单价高出市场询价约12%，未说明依据，偏向委托方。")
    if shots:
        cast.shot(risk, shots)
    form.get_by_role("button", name="记录认定").click()
    expect(risk.locator(".alert.ok")).to_be_visible()
    expect(risk.locator(".page-head .sub")).to_contain_text("待第二名风险评估人员复核")
    return risk.url.split("?")[0]


def upheld(cast: Cast, url: str, shots: bool = False) -> None:
    """risk2 confirms (the notice goes out), the firm answers, risk2 upholds."""
    risk2 = cast("risk2")
    risk2.goto(url)
    step(risk2, "confirm", "证据充分，核实无误。")
    expect(risk2.locator(".page-head .sub")).to_contain_text("已通报，答复期内")
    cast.server.worker_once()  # the notice PDF
    firm = cast("adjuster1")
    firm.goto(url)
    pdf = firm.get_by_role("link", name="通报PDF")
    expect(pdf).to_be_visible()
    got = firm.request.get(cast.server.base_url + (pdf.get_attribute("href") or ""))
    assert got.ok and got.body().startswith(b"%PDF")
    if shots:
        cast.shot(firm, "n03-notice-adjuster")
    step(firm, "answer", "屋面单价依据厂家报价单，已附于报告附件。")
    expect(firm.locator(".page-head .sub")).to_contain_text("已答复")
    risk2.goto(url)
    step(risk2, "uphold", "厂家报价单为事后出具，答复不成立。")
    expect(risk2.locator(".page-head .sub")).to_contain_text("已维持")
    if shots:
        cast.shot(risk2, "n04-notice-upheld")


def test_finding_notice_blacklist_appeal_and_routing_again_in_zh(cast: Cast) -> None:
    # A claim routed to 王建国, the policy's designated adjuster.
    number, _ = notice_a_loss(cast, "2号车间夜间起火，屋面坍塌。")
    first = record_finding(cast, number, shots="n01-record-finding")
    cast.shot(cast("risk"), "n02-finding-recorded")
    # The firm does not see a finding before the second reviewer confirms it.
    firm = cast("adjuster1")
    assert firm.request.get(first).status == 404
    upheld(cast, first, shots=True)

    # A second and a third upheld notice: past the tolerance (2 within 12 months) a proposal opens.
    for description in ("3号仓库暴雨进水，原料受潮。", "配电房雷击起火。"):
        n, _ = notice_a_loss(cast, description)
        upheld(cast, record_finding(cast, n))
    broker = cast("broker")
    broker.goto("/neutrality")
    proposals = broker.locator("#proposals")
    expect(proposals).to_contain_text(WANG)
    cast.shot(broker, "n05-queue-proposal")
    proposals.get_by_role("link", name=WANG).click()
    expect(broker.locator(".page-head .sub")).to_contain_text("待决定")

    # The account manager lists him for 12 months, with reasons.
    form = broker.locator("form[action$='/list']")
    form.locator("textarea").fill("三次通报均维持，超过容时容差。")
    form.locator("#term_months").fill("12")
    form.locator("button[type=submit]").click()
    expect(broker.locator(".alert.ok")).to_be_visible()
    expect(broker.locator(".page-head .sub")).to_contain_text("已列入黑名单")
    proposal_url = broker.url.split("?")[0]
    cast.shot(broker, "n06-listed")

    # The next claim on the client's policy is not routed to him; the insured sees only `blacklisted`.
    number, case_url = notice_a_loss(cast, "成品仓库货架倒塌。")
    insured = cast("insured1")
    expect(insured.locator("h1")).not_to_contain_text("已委托公估")
    passed = insured.locator("#timeline li", has_text="保单指定的公估人不符合承接条件")
    expect(passed).to_contain_text("列入经纪人黑名单")
    expect(insured.locator("body")).not_to_contain_text("三次通报")
    cast.shot(insured, "n07-insured-sees-blacklisted")
    assert insured.request.get(proposal_url).status == 404
    insurer = cast("insurer1")
    insurer.goto(case_url)
    expect(insurer.locator("#timeline li", has_text="保单指定的公估人不符合承接条件")).to_contain_text(
        "列入经纪人黑名单"
    )
    expect(insurer.locator("body")).not_to_contain_text("三次通报")
    cast.shot(insurer, "n07b-insurer-sees-blacklisted")
    assert insurer.request.get(proposal_url).status == 404
    broker.goto(case_url)
    excluded = broker.locator("details.excluded")
    excluded.locator("summary").click()
    expect(excluded.locator("li", has_text=WANG)).to_contain_text("列入经纪人黑名单")
    cast.shot(broker, "n08-broker-routing-excludes")

    # The firm appeals on the proposal page; broker2, who took no part, grants it and lifts the entry.
    firm.goto(proposal_url)
    step(firm, "appeal", "三份报告均附有厂家报价依据，请求复核。")
    expect(firm.locator(".page-head .sub")).to_contain_text("已申诉")
    cast.shot(firm, "n09-appealed")
    broker.goto(proposal_url)
    expect(broker.locator("form[action$='/grant']")).to_have_count(0)  # the decider may not decide it
    broker2 = cast("broker2")
    broker2.goto(proposal_url)
    step(broker2, "grant", "复核后证据不足以列入黑名单。")
    expect(broker2.locator(".page-head .sub")).to_contain_text("经申诉解除")
    cast.shot(broker2, "n10-appeal-granted")

    # Routed again: the next claim goes to him at once.
    notice_a_loss(cast, "空压机房起火冒烟。")
    expect(insured.locator("h1")).to_contain_text("已委托公估")
    cast.shot(insured, "n11-routed-again")

    # The whole record on one page for the firm; supervision reads it without a form.
    firm.goto(proposal_url)
    firm.get_by_role("link", name="该公估师的记录").click()
    expect(firm.locator("#notices tbody tr")).to_have_count(3)
    expect(firm.locator("#decisions")).to_contain_text("经申诉解除")
    cast.shot(firm, "n12-record-adjuster")
    regulator = cast("regulator")
    regulator.goto(firm.url)
    expect(regulator.locator("#notices tbody tr")).to_have_count(3)
    expect(regulator.locator("form[method=post]:not([action='/logout'])")).to_have_count(0)
    cast.shot(regulator, "n13-record-supervision")
    assert cast.problems() == []


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory, chromium_path: Path) -> Iterator[ClaimServer]:
    tmp = tmp_path_factory.mktemp("bias-e2e")
    with running_app(tmp, "bias.db", demo_claims=True, TANDEM_SMTP_PORT="1") as (base, env, _):
        yield ClaimServer(base, env)


def test_a_new_user_sees_the_bias_analytics_of_the_demo(browser: Browser, demo_server: ClaimServer, artifacts: Path):
    cast = Cast(browser, demo_server, artifacts)
    try:
        # The risk evaluator's queue suggests a review of 王建国, with the cases behind the figure.
        risk = cast("risk")
        risk.goto("/neutrality")
        suggested = risk.locator("#suggestions")
        expect(suggested.locator("tbody tr")).to_have_count(1)
        expect(suggested).to_contain_text(WANG)
        expect(suggested.locator("tbody tr a[href^='/claims/']")).to_have_count(6)
        cast.shot(risk, "b01-queue-suggestion")
        # His record: n, mean, bound, flagged, and the chart drawn in the page (one dot per case).
        suggested.get_by_role("link", name=WANG).click()
        figures = risk.locator("#figures")
        expect(figures.locator("#bias-n")).to_have_text("6")
        expect(figures.locator("#bias-flagged")).to_contain_text("建议审查")
        expect(figures.locator("#bias-chart circle.point")).to_have_count(6)
        expect(figures.locator("#bias-chart line.rule.lower")).to_have_count(1)
        cast.shot(risk, "b02-record-chart")
        # 张伟 is measured and not flagged; his firm's page shows the pooled figures.
        firm = cast("adjuster3")
        firm.goto("/neutrality")
        adjusters = demo_server.base_url + "/neutrality/adjusters/"
        zhang = firm.request.get(demo_server.base_url + "/api/v1/adjusters?limit=200").json()["items"]
        zid = next(a["id"] for a in zhang if a["name"] == "张伟")
        firm.goto(adjusters + zid)
        expect(firm.locator("#bias-n")).to_have_text("1")
        expect(firm.locator("#bias-flagged")).not_to_contain_text("建议审查")
        cast.shot(firm, "b03-record-not-flagged")
        assert cast.problems() == []
    finally:
        cast.close()
