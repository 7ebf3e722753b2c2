"""Browser journey of a fee invoice (issue 18 item 2) in zh-CN, every party in its own browser context: 华信
(firm A) invoices its finished claim from the case's invoices page → insurer1 finds it in its payables and
disputes the expenses line with reasons → the firm reissues it (new number, the link shown) → the insurer pays
part, is refused an amount above what is open (beside the field), pays the rest → the firm's receivables show
nothing open and the insurer's days-to-pay. The server runs on the real clock, so lateness itself is shown by
the unit tests that move the clock (tests/fees/test_invoices.py) and by the demo's late-paid invoice."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from .conftest import running_app
from .journeys import Cast, ClaimServer, reported_claim

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def invoice_server(tmp_path_factory: pytest.TempPathFactory, chromium_path: Path) -> Iterator[ClaimServer]:
    with running_app(tmp_path_factory.mktemp("invoice-e2e"), "invoices.db", TANDEM_SMTP_PORT="1") as (base, env, _):
        yield ClaimServer(base, env)


@pytest.fixture
def cast(browser: Browser, invoice_server: ClaimServer, artifacts: Path) -> Iterator[Cast]:
    c = Cast(browser, invoice_server, artifacts)
    yield c
    c.close()


def _ok(page: Page, text: str) -> None:
    expect(page.locator(".alert.ok")).to_contain_text(text)


def test_invoice_dispute_reissue_and_payment(cast: Cast) -> None:
    cid = reported_claim(cast.server)
    firm = cast("adjuster1")
    firm.goto(f"/claims/{cid}")
    firm.locator("a.invoices-link").first.click()
    expect(firm.locator("h1")).to_contain_text("公估费发票")
    firm.locator("#expenses_incurred").fill("4800")
    cast.shot(firm, "invoice-01-firm-raises")
    firm.get_by_role("button", name="开具发票").click()
    _ok(firm, "发票已开具")
    number = firm.locator("h1").inner_text().split()[-1]
    invoice_url = firm.url.split("?")[0]
    cast.shot(firm, "invoice-02-issued")

    insurer = cast("insurer1")
    insurer.goto("/payables")
    expect(insurer.locator("table.invoices")).to_contain_text(number)
    cast.shot(insurer, "invoice-03-insurer-payables")
    insurer.get_by_role("link", name=number).click()
    dispute = insurer.locator("form[action$='/dispute']")
    dispute.locator("input[value=expenses]").check()
    dispute.locator("textarea").fill("差旅费超出实际票据金额，请按票据核减后重开")
    cast.shot(insurer, "invoice-04-insurer-disputes-a-line")
    dispute.get_by_role("button", name="提出异议").click()
    _ok(insurer, "异议已记录")
    expect(insurer.locator(".page-head .sub")).to_contain_text("有争议")

    firm.goto(invoice_url)
    reissue = firm.locator("form[action$='/reissue']")
    reissue.locator("#expenses_incurred").fill("3260")
    reissue.locator("textarea").fill("按票据核减差旅费")
    reissue.get_by_role("button", name="重开").click()
    _ok(firm, "更正后的发票已开具")
    new_number = firm.locator("h1").inner_text().split()[-1]
    assert new_number != number
    expect(firm.locator(".facts")).to_contain_text(number)  # replaces
    cast.shot(firm, "invoice-05-reissued")

    insurer.goto("/payables")
    expect(insurer.locator("table.invoices")).to_contain_text(new_number)
    insurer.get_by_role("link", name=new_number).click()
    pay = insurer.locator("form[action$='/pay']")
    pay.locator("#amount").fill("10000")
    pay.locator("#reference").fill("ZA-FEE-0001")
    pay.get_by_role("button", name="登记付款").click()
    _ok(insurer, "支付已登记")
    expect(insurer.locator(".page-head .sub")).to_contain_text("部分付款")
    pay = insurer.locator("form[action$='/pay']")
    pay.locator("#amount").fill("999999")
    pay.locator("#reference").fill("ZA-FEE-0002")
    pay.get_by_role("button", name="登记付款").click()
    expect(insurer.locator("#amount-error")).to_be_visible()
    cast.shot(insurer, "invoice-06-overpayment-refused")
    open_amount = insurer.locator("table.lines tr").last.locator("td").inner_text()
    pay = insurer.locator("form[action$='/pay']")
    pay.locator("#amount").fill(open_amount.replace("¥", "").replace(",", ""))
    pay.get_by_role("button", name="登记付款").click()
    _ok(insurer, "支付已登记")
    expect(insurer.locator(".page-head .sub")).to_contain_text("已付清")
    cast.shot(insurer, "invoice-07-paid")

    firm.goto("/receivables")
    expect(firm.locator("h1")).to_contain_text("应收公估费")
    expect(firm.locator("main")).to_contain_text("付款天数")
    cast.shot(firm, "invoice-08-firm-receivables")
    assert not cast.problems(), cast.problems()
