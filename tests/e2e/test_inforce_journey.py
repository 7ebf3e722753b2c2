"""Browser journey of a policy in force (issue 16 items 3 and 4) in zh-CN, every party in its own browser
context: the broker requests a mid-term increase of the building's sum insured → the underwriter accepts it
(version 2, the additional premium pro rata by day) → the underwriter terminates the policy (保险人解除) with
the refund → the insured's loss notice dated after the termination is refused beside the loss time, naming
the date, and one dated before it is taken → the broker claims the loss from the insurer (追偿), the underwriter
accepts and records the payment, the insured reads it. Screenshots inforce-01 … inforce-10."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tandem.kit.clock import SystemClock

from .conftest import running_app
from .journeys import POLICY, SHANGHAI, Cast, ClaimServer

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def inforce_server(tmp_path_factory: pytest.TempPathFactory, chromium_path: Path) -> Iterator[ClaimServer]:
    with running_app(tmp_path_factory.mktemp("inforce-e2e"), "inforce.db", TANDEM_SMTP_PORT="1") as (base, env, _):
        yield ClaimServer(base, env)


@pytest.fixture
def cast(browser: Browser, inforce_server: ClaimServer, artifacts: Path) -> Iterator[Cast]:
    c = Cast(browser, inforce_server, artifacts)
    yield c
    c.close()


def _ok(page: Page, text: str) -> None:
    expect(page.locator(".alert.ok")).to_contain_text(text)


def _dates() -> tuple[dt.date, dt.date, dt.date]:
    """The change's date, the termination's and today, within the demo policy's calendar year."""
    today = SystemClock().now().astimezone(SHANGHAI).date()
    start = dt.date(today.year, 1, 1)
    change = max(start + dt.timedelta(days=1), today - dt.timedelta(days=40))
    ended = max(change + dt.timedelta(days=1), today - dt.timedelta(days=10))
    return change, ended, today


def test_mid_term_increase_and_termination_in_zh(cast: Cast) -> None:
    change, ended, today = _dates()
    broker = cast("broker")
    broker.goto("/policies")
    broker.get_by_role("link", name=POLICY).first.click()
    expect(broker.locator("#versions")).to_contain_text("原始签发")
    url = broker.url.split("?")[0]
    cast.shot(broker, "inforce-01-policy-broker")

    # The broker asks for 35 000 000 on the building from the change's date, every section with its rate.
    form = broker.locator("#change-request")
    form.locator("summary").click()
    form.locator("#change-effective_date").fill(change.isoformat())
    form.locator("#sum_insured_0").fill("35000000.00")
    for i, rate in enumerate(("0.85", "1.20", "1.50")):
        form.locator(f"#rate_{i}").fill(rate)
    form.locator("#change-reason").fill("新厂房投入使用，建筑物保险金额增至 3500 万元")
    cast.shot(broker, "inforce-02-change-request")
    form.get_by_role("button", name="向保险人提交批改申请").click()
    _ok(broker, "批改申请已提交")
    row = broker.locator("#change-1")
    expect(row).to_contain_text("等待保险人答复")
    expect(row).to_contain_text("+")

    # The underwriter accepts: version 2 applies from the change's date.
    underwriter = cast("underwriter1")
    underwriter.goto(url)
    underwriter.get_by_role("button", name="接受第 1 号批改").click()
    _ok(underwriter, "批改已接受")
    expect(underwriter.locator("#version-rows")).to_contain_text("版本 2")
    expect(underwriter.locator("#version-rows")).to_contain_text("63,000,000.00")
    cast.shot(underwriter, "inforce-03-version-2")

    # The underwriter ends the contract from the termination's date; the refund is worked out pro rata.
    form = underwriter.locator("#terminate-form")
    form.locator("summary").click()
    form.locator("#terminate-effective_date").fill(ended.isoformat())
    form.locator("#terminate-reason_code").select_option("risk_increased")
    form.locator("#terminate-reason").fill("投保人未按约定整改消防隐患，危险程度显著增加")
    form.locator("#terminate-premium_paid").fill("66000.00")
    cast.shot(underwriter, "inforce-04-terminate")
    form.get_by_role("button", name="解除保险合同").click()
    _ok(underwriter, "保险合同已解除")
    expect(underwriter.locator(".head-actions")).to_contain_text("已终止")
    expect(underwriter.locator("#status-1")).to_contain_text("保险人解除")
    expect(underwriter.locator("#status-1")).to_contain_text("按日比例")
    cast.shot(underwriter, "inforce-05-terminated")

    # The insured reports a loss after the termination: refused beside the loss time, naming the date.
    insured = cast("insured1")
    insured.goto(f"/claims/new?policy={url.rsplit('/', 1)[1]}")
    loss_after = dt.datetime.combine(today - dt.timedelta(days=1), dt.time(9, 30))
    insured.locator("#loss_at").fill(loss_after.strftime("%Y-%m-%dT%H:%M"))
    insured.locator("#location").fill("浙江省嘉兴市南湖区亚中路88号")
    insured.locator("#description").fill("仓库屋顶漏水，部分原材料受潮。")
    insured.get_by_role("button", name="提交报案").click()
    expect(insured.locator("#loss_at-error")).to_contain_text(f"保单自 {ended.isoformat()} 起终止")
    cast.shot(insured, "inforce-06-notice-refused")
    loss_before = dt.datetime.combine(ended - dt.timedelta(days=1), dt.time(9, 30))
    insured.locator("#loss_at").fill(loss_before.strftime("%Y-%m-%dT%H:%M"))
    insured.get_by_role("button", name="提交报案").click()
    expect(insured.locator(".alert.ok").first).to_contain_text("已报案")
    cast.shot(insured, "inforce-07-notice-before-taken")

    # Recovery (追偿): the broker claims the itemised loss from the insurer; a head without evidence is
    # refused beside its field; the underwriter accepts and records the payment; the insured reads it.
    broker.goto(url)
    broker.locator("#recovery-link").click()
    form = broker.locator("#recovery-open")
    form.locator("#refund_due_amount").fill("1200.00")
    form.locator("#refund_due_evidence").fill("解除通知书载明的退费")
    form.locator("#replacement_cost_amount").fill("4300.00")
    form.locator("#open-reasons").fill("保险人解除合同给被保险人造成的损失")
    form.get_by_role("button", name="向保险人发出追偿").click()
    expect(broker.locator("#replacement_cost_evidence-error")).to_contain_text("必填")
    broker.locator("#replacement_cost_evidence").fill("新保单报价 5500.00 元减退费 1200.00 元")
    cast.shot(broker, "inforce-08-recovery-claim")
    broker.get_by_role("button", name="向保险人发出追偿").click()
    _ok(broker, "追偿已发给保险人")
    expect(broker.locator("#recovery-amount")).to_contain_text("5,500.00")
    underwriter.goto(url + "/recovery")
    underwriter.locator("#recovery-accept summary").click()
    underwriter.locator("#recovery-accept").get_by_role("button", name="接受").click()
    _ok(underwriter, "追偿已更新")
    pay = underwriter.locator("#recovery-pay")
    pay.locator("summary").click()
    pay.locator("#pay-amount").fill("5500.00")
    pay.locator("#pay-on_date").fill(today.isoformat())
    pay.get_by_role("button", name="登记追偿款支付").click()
    _ok(underwriter, "追偿已更新")
    cast.shot(underwriter, "inforce-09-recovery-paid")
    insured.goto(url + "/recovery")
    expect(insured.locator("#recovery-1")).to_contain_text("追偿款已支付")
    expect(insured.locator("#recovery-paid")).to_contain_text("5,500.00")
    cast.shot(insured, "inforce-10-recovery-insured")
    assert cast.problems() == []
