"""Browser journey of a broker bringing its book onto the platform, in zh-CN, on a server of its own
(issue 19 items 2 and 6): the broker uploads a small XLSX book, sees a file with a bad line refused with
the line and column, then the good book's preview, and confirms; it enters a policy by hand (a refusal
beside the field first) and reports a loss on it. Screenshots book-01 … book-06."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tandem.kit.clock import SystemClock
from tests.helpers import BOOK_FIRM, BOOK_POLICY, INSURED1_ORG, INSURER1_ORG, book_sheets, book_xlsx

from .conftest import running_app
from .journeys import SHANGHAI, Cast, ClaimServer, _local, _loss_time, _pick

pytestmark = pytest.mark.e2e

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BY_HAND = "PQC2026330400188"


@pytest.fixture(scope="module")
def book_server(tmp_path_factory: pytest.TempPathFactory, chromium_path: Path) -> Iterator[ClaimServer]:
    with running_app(tmp_path_factory.mktemp("book-e2e"), "book.db", TANDEM_SMTP_PORT="1") as (base, env, _):
        yield ClaimServer(base, env)


@pytest.fixture
def cast(browser: Browser, book_server: ClaimServer, artifacts: Path) -> Iterator[Cast]:
    c = Cast(browser, book_server, artifacts)
    yield c
    c.close()


def _upload(page, name: str, data: bytes) -> None:
    page.locator("#book-file").set_input_files(files=[{"name": name, "mimeType": XLSX, "buffer": data}])
    page.locator("#check-book").click()


def test_broker_imports_its_book_and_enters_a_policy_by_hand(cast: Cast) -> None:
    broker = cast("broker")
    broker.goto("/policies")
    broker.get_by_role("link", name="导入业务").click()
    expect(broker.locator("h1")).to_have_text("导入业务")

    # A book with a wrong check character on the first insured: refused, line and column named.
    bad = book_xlsx(book_sheets(insured={"uscc": "91330500MA2B3C4D5X"}))
    _upload(broker, "book-bad.xlsx", bad)
    errors = broker.locator("#import-errors")
    expect(errors).to_contain_text("未导入任何数据")
    expect(errors).to_contain_text("insured 第 2 行")
    expect(errors).to_contain_text("校验码不符")
    expect(broker.locator("#confirm-import")).to_have_count(0)
    cast.shot(broker, "book-01-refused-lines")

    # The corrected book: the preview lists what it will create; nothing is written until confirmed.
    _upload(broker, "book.xlsx", book_xlsx(book_sheets()))
    preview = broker.locator("#import-preview")
    expect(preview).to_contain_text("预览")
    expect(preview.locator("tr[data-kind=firm]")).to_contain_text(BOOK_FIRM)
    expect(preview.locator("tr[data-kind=policy]")).to_contain_text(BOOK_POLICY)
    cast.shot(broker, "book-02-preview")
    broker.locator("#confirm-import").click()
    expect(broker.locator("#import-notice")).to_contain_text("业务数据已导入")
    cast.shot(broker, "book-03-imported")
    broker.goto("/policies")
    expect(broker.get_by_role("link", name=BOOK_POLICY)).to_be_visible()

    # A policy placed elsewhere, entered by hand: the period the wrong way round is refused beside it.
    broker.locator("#enter-policy").click()
    expect(broker.locator("h1")).to_have_text("手工录入保单")
    today = SystemClock().now().astimezone(SHANGHAI).date()
    broker.locator("#number").fill(BY_HAND)
    broker.locator("#line").fill("企业财产保险")
    _pick(broker, "#insured_id", INSURED1_ORG)
    _pick(broker, "#insurer_id", INSURER1_ORG)
    broker.locator("#period_start").fill((today - dt.timedelta(days=30)).isoformat())
    broker.locator("#period_end").fill((today - dt.timedelta(days=60)).isoformat())
    broker.locator("#premium").fill("28000")
    _pick(broker, "#designated_adjuster_id", "李娜")
    broker.locator('[name="sections[0].code"]').fill("building")
    broker.locator('[name="sections[0].name"]').fill("厂房")
    broker.locator('[name="sections[0].sum_insured"]').fill("8000000")
    broker.locator('[name="sections[0].deductible_rate"]').fill("5%")
    broker.locator('[name="sections[0].basis"]').select_option("average")
    broker.locator('[name="sections[1].code"]').fill("machinery")
    broker.locator('[name="sections[1].name"]').fill("机器设备")
    broker.locator('[name="sections[1].sum_insured"]').fill("3000000")
    broker.locator('[name="sections[1].basis"]').select_option("first_loss")
    broker.locator("#save-policy").click()
    expect(broker.locator("#period_end-error")).to_contain_text("保险期间的终止日须晚于起始日")
    cast.shot(broker, "book-04-policy-refused-beside-field")
    broker.locator("#period_end").fill((today + dt.timedelta(days=334)).isoformat())
    broker.locator("#save-policy").click()
    expect(broker.locator(".alert.ok")).to_contain_text("保单已保存")
    expect(broker.locator("h1")).to_contain_text(BY_HAND)
    cast.shot(broker, "book-05-policy-entered")

    # The policy entered by hand takes a loss notice.
    broker.goto("/claims/new")
    _pick(broker, "#policy_id", BY_HAND)
    broker.locator("#loss_at").fill(_local(_loss_time()))
    broker.locator("#location").fill("浙江省嘉兴市南湖区亚中路88号")
    broker.locator("#description").fill("暴雨导致厂房进水，机器设备受损。")
    broker.locator("#reporter_name").fill("沈国平")
    broker.locator("#reporter_phone").fill("13957312345")
    broker.get_by_role("button", name="提交报案").click()
    expect(broker.locator("#case .alert.ok")).to_contain_text("已报案")
    cast.shot(broker, "book-06-claim-on-policy-entered-by-hand")
    assert cast.problems() == []
