"""Browser journey of a policy in force (issue 16 items 3 to 5) in zh-CN on the demo's policy bound from a
placement, every party in its own browser context: the broker requests a mid-term increase of the first
section's sum insured → the underwriter accepts it (version 3, the additional premium pro rata by day) → the
underwriter terminates the policy (保险人解除) with the refund → the insured's loss notice dated after the
termination is refused beside the loss time, naming the date, and one dated before it is taken → the broker
instructs the placement's adjuster firm to assess the loss (R-U10) by a letter of instruction, 正衡 accepts
it with its fee terms (a fixed fee left empty refused beside its field first) and its adjusters file the
signed 《保险合同效力中止或终止评估报告》 (a head without evidence refused beside its field first) → the broker
claims the assessed loss from the insurer (追偿), the underwriter reads the report, accepts and records the
payment, the insured reads both. Screenshots inforce-01 … inforce-13 (13: the accepted letter). The staged
risk report on the same demo policy is the staged risk journey's."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tandem.kit.clock import SystemClock

from .journeys import SHANGHAI, Cast, ClaimServer, _api, bound_demo

pytestmark = pytest.mark.e2e

RAISE = Decimal("5000000.00")  # the first section's increase
REPLACEMENT = Decimal("4300.00")  # replacement cover for the rest of the period, minus the refund
OTHER = Decimal("800.00")  # the re-survey for the new cover
FEE = Decimal("6000.00")  # 正衡's fixed fee for the termination assessment (the insured pays)


@pytest.fixture(scope="module")
def inforce_server(tmp_path_factory: pytest.TempPathFactory, chromium_path: Path) -> Iterator[tuple[ClaimServer, str]]:
    with bound_demo(tmp_path_factory.mktemp("inforce-e2e"), "inforce.db") as found:
        yield found


@pytest.fixture
def cast(browser: Browser, inforce_server: tuple[ClaimServer, str], artifacts: Path) -> Iterator[Cast]:
    c = Cast(browser, inforce_server[0], artifacts)
    yield c
    c.close()


def _ok(page: Page, text: str) -> None:
    expect(page.locator(".alert.ok")).to_contain_text(text)


def _dates() -> tuple[dt.date, dt.date, dt.date]:
    """The change's date, the termination's and today: after the demo's change (two months back)."""
    today = SystemClock().now().astimezone(SHANGHAI).date()
    return today - dt.timedelta(days=40), today - dt.timedelta(days=10), today


def _sections(page: Page) -> int:
    """The sections of the change form (its last row is blank, for a new section)."""
    return page.locator("#change-sections tbody tr").count() - 1


def test_mid_term_increase_termination_assessment_and_recovery_in_zh(
    cast: Cast, inforce_server: tuple[ClaimServer, str]
) -> None:
    pid = inforce_server[1]
    url = f"/policies/{pid}"
    change, ended, today = _dates()
    broker = cast("broker")
    broker.goto(url)
    expect(broker.locator("#versions")).to_contain_text("版本 2")  # the demo's accepted change
    cast.shot(broker, "inforce-01-policy-broker")

    # The broker raises the first section by 5 000 000 from the change's date (the rates as they are).
    form = broker.locator("#change-request")
    form.locator("summary").click()
    form.locator("#change-effective_date").fill(change.isoformat())
    sums = [Decimal(form.locator(f"#sum_insured_{i}").input_value()) for i in range(_sections(broker))]
    form.locator("#sum_insured_0").fill(f"{sums[0] + RAISE:.2f}")
    form.locator("#change-reason").fill("新厂房投入使用，首个分项保险金额增加 500 万元")
    cast.shot(broker, "inforce-02-change-request")
    form.get_by_role("button", name="向保险人提交批改申请").click()
    _ok(broker, "批改申请已提交")
    row = broker.locator("#change-2")
    expect(row).to_contain_text("等待保险人答复")
    expect(row).to_contain_text("+")

    # The underwriter accepts: version 3 applies from the change's date.
    underwriter = cast("underwriter1")
    underwriter.goto(url)
    underwriter.get_by_role("button", name="接受第 2 号批改").click()
    _ok(underwriter, "批改已接受")
    expect(underwriter.locator("#version-rows")).to_contain_text("版本 3")
    expect(underwriter.locator("#version-rows")).to_contain_text(f"{sum(sums) + RAISE:,.2f}")
    cast.shot(underwriter, "inforce-03-version-3")

    # The underwriter ends the contract from the termination's date; the refund is worked out pro rata from
    # the premium bound (no premium paid to type).
    form = underwriter.locator("#terminate-form")
    form.locator("summary").click()
    form.locator("#terminate-effective_date").fill(ended.isoformat())
    form.locator("#terminate-reason_code").select_option("risk_increased")
    form.locator("#terminate-reason").fill("投保人未按约定整改消防隐患，危险程度显著增加")
    cast.shot(underwriter, "inforce-04-terminate")
    form.get_by_role("button", name="解除保险合同").click()
    _ok(underwriter, "保险合同已解除")
    expect(underwriter.locator(".head-actions")).to_contain_text("已终止")
    expect(underwriter.locator("#status-1")).to_contain_text("保险人解除")
    expect(underwriter.locator("#status-1")).to_contain_text("按日比例")
    cast.shot(underwriter, "inforce-05-terminated")
    refund = Decimal(_api(cast.server, "broker").get(f"/api/v1/policies/{pid}/status-changes").json()[-1]["refund"])

    # The insured reports a loss after the termination: refused beside the loss time, naming the date.
    insured = cast("insured1")
    insured.goto(f"/claims/new?policy={pid}")
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

    # The termination assessment (R-U10): the broker instructs the placement's adjuster firm from the
    # recovery page; 正衡's adjusters file the signed report, a head without evidence refused first.
    broker.goto(url + "/recovery")
    broker.locator("#assessment-link").click()
    broker.locator("#instruct-note").fill("请评估保险人解除合同给被保险人造成的损失")
    broker.get_by_role("button", name="委托公估机构评估损失").click()
    _ok(broker, "已委托公估机构评估损失")
    expect(broker.locator("#assessment-status")).to_contain_text("委托函待公估机构答复")
    cast.shot(broker, "inforce-08-assessment-instructed")
    # 正衡 answers the letter of instruction in its browser: a fixed fee, the insured pays in 30 days.
    firm = cast("adjuster3")
    firm.goto(url + "/termination-assessment")
    expect(firm.locator("#assessment-report")).to_have_count(0)  # no report before the letter is accepted
    answer = firm.locator("#letter-accept")
    answer.locator("#accept-fee_basis").select_option("fixed")
    answer.locator("#accept-fee_payer").select_option("insured")
    answer.get_by_role("button", name="接受委托").click()
    expect(firm.locator("#accept-fee_amount-error")).to_contain_text("必填")
    firm.locator("#accept-fee_amount").fill(f"{FEE:.2f}")
    firm.locator("#letter-accept").get_by_role("button", name="接受委托").click()
    _ok(firm, "已按贵机构的收费条款接受委托函")
    expect(firm.locator(".termination-letter")).to_contain_text(f"{FEE:,.2f}")
    cast.shot(firm, "inforce-13-assessment-letter-accepted")
    form = firm.locator("#assessment-report")
    form.locator("#cause").fill("保险人以危险程度显著增加为由解除保险合同")
    form.locator("#basis").fill("解除通知书、原保单及批单、三家保险公司对剩余期间的报价")
    form.locator("#refund_due_amount").fill(f"{refund:.2f}")
    form.locator("#refund_due_evidence").fill("解除通知书载明的应退保费")
    form.locator("#replacement_cost_amount").fill(f"{REPLACEMENT:.2f}")
    form.locator("#other_costs_amount").fill(f"{OTHER:.2f}")
    form.locator("#other_costs_evidence").fill("重新验标费用发票")
    form.get_by_label("张伟").check()
    form.get_by_label("陈亮").check()
    form.get_by_role("button", name="签署并提交公估报告").click()
    expect(firm.locator("#replacement_cost_evidence-error")).to_contain_text("必填")
    firm.locator("#replacement_cost_evidence").fill(f"剩余期间新保单报价减应退保费 {refund:.2f} 元")
    firm.get_by_role("button", name="签署并提交公估报告").click()
    _ok(firm, "评估报告已提交")
    assessed = refund + REPLACEMENT + OTHER
    expect(firm.locator("#assessed-loss")).to_contain_text(f"{assessed:,.2f}")
    expect(firm.locator("#assessment")).to_contain_text("保险合同效力中止或终止评估报告")
    cast.shot(firm, "inforce-09-assessment-report")

    # Recovery (追偿): the broker claims the assessed loss; the underwriter reads the report, accepts and
    # records the payment; the insured reads both.
    broker.goto(url + "/recovery")
    expect(broker.locator("#recovery-from-report")).to_contain_text(f"{assessed:,.2f}")
    broker.locator("#open-reasons").fill("依据公估机构的评估报告，追偿保险人解除合同给被保险人造成的损失")
    cast.shot(broker, "inforce-10-recovery-claim")
    broker.get_by_role("button", name="向保险人发出追偿").click()
    _ok(broker, "追偿已发给保险人")
    expect(broker.locator("#recovery-amount")).to_contain_text(f"{assessed:,.2f}")
    underwriter.goto(url + "/termination-assessment")
    expect(underwriter.locator("#assessed-loss")).to_contain_text(f"{assessed:,.2f}")
    underwriter.goto(url + "/recovery")
    underwriter.locator("#recovery-accept summary").click()
    underwriter.locator("#recovery-accept").get_by_role("button", name="接受").click()
    _ok(underwriter, "追偿已更新")
    pay = underwriter.locator("#recovery-pay")
    pay.locator("summary").click()
    pay.locator("#pay-amount").fill(f"{assessed:.2f}")
    pay.locator("#pay-on_date").fill(today.isoformat())
    pay.get_by_role("button", name="登记追偿款支付").click()
    _ok(underwriter, "追偿已更新")
    cast.shot(underwriter, "inforce-11-recovery-paid")
    insured.goto(url + "/termination-assessment")
    expect(insured.locator("#assessed-loss")).to_contain_text(f"{assessed:,.2f}")
    insured.goto(url + "/recovery")
    expect(insured.locator("#recovery-1")).to_contain_text("追偿款已支付")
    expect(insured.locator("#recovery-paid")).to_contain_text(f"{assessed:,.2f}")
    cast.shot(insured, "inforce-12-recovery-insured")
    assert cast.problems() == []
