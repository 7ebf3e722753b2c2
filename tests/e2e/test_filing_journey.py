"""Browser journey of an adjuster firm's filing (备案) in zh-CN (issue 19 item 3), on a server of its own: 华信's
administrator fills in the filing from its firm page — a name without 保险公估 and too few 公估师 among the
shareholders are refused beside their fields — saves and submits it; supervision finds it under 公估机构与警示
(where 粤安 is flagged short of 公估师), publishes it with the filing number, and the firm reads it
published; the firm records a change of address and reports it. Screenshots in tests/e2e/artifacts (fb01…)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tandem.kit.clock import SystemClock, today_local

from .conftest import running_app
from .journeys import Cast, ClaimServer

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def filing_server(tmp_path_factory: pytest.TempPathFactory, chromium_path: Path) -> Iterator[ClaimServer]:
    with running_app(tmp_path_factory.mktemp("filing-e2e"), "filing.db", TANDEM_SMTP_PORT="1") as (base, env, _):
        yield ClaimServer(base, env)


@pytest.fixture
def cast(browser: Browser, filing_server: ClaimServer, artifacts: Path) -> Iterator[Cast]:
    c = Cast(browser, filing_server, artifacts)
    yield c
    c.close()


def test_firm_files_and_supervision_publishes(cast: Cast) -> None:
    firm = cast("adjuster1")
    own = firm.get_by_role("link", name="本机构").get_attribute("href") or ""
    firm_id = own.rsplit("/", 1)[-1]
    firm.goto(f"/adjuster-firms/{firm_id}")
    firm.get_by_role("link", name="备案").first.click()
    expect(firm.locator("h1")).to_contain_text("备案")
    form = firm.locator("#filing-form")
    form.locator("#filing-name").fill("华信评估有限公司")
    for i, (name, share, adjuster) in enumerate((("王建国", "40", True), ("上海华信投资有限公司", "60", False))):
        form.locator(f"input[name=h{i}_name]").fill(name)
        form.locator(f"input[name=h{i}_share]").fill(share)
        if adjuster:
            form.locator(f"input[name=h{i}_adjuster]").check()
    form.locator("select[name=h1_kind]").select_option("company")
    form.locator("#filing-cover-kind").select_option("fund")
    form.locator("#filing-fund").fill("300000.00")
    form.get_by_role("button", name="保存备案").click()
    expect(firm.locator("#filing-name-error")).to_contain_text("保险公估")
    expect(firm.locator("#filing-holders-error")).to_contain_text("三分之二")
    cast.shot(firm, "fb01-filing-refused-beside-fields")

    form = firm.locator("#filing-form")
    form.locator("#filing-name").fill("华信保险公估有限公司")
    form.locator("input[name=h1_name]").fill("李娜")
    form.locator("select[name=h1_kind]").select_option("person")
    form.locator("input[name=h1_adjuster]").check()
    form.locator("input[name=h2_name]").fill("上海华信投资有限公司")
    form.locator("select[name=h2_kind]").select_option("company")
    form.locator("input[name=h1_share]").fill("30")
    form.locator("input[name=h2_share]").fill("30")
    form.get_by_role("button", name="保存备案").click()
    expect(firm.locator(".alert.ok")).to_contain_text("备案已保存")
    firm.locator("#filing-submit").get_by_role("button", name="提交备案").click()
    expect(firm.locator("#filing h2")).to_contain_text("已提交，待公布")
    expect(firm.locator("#filing-form")).to_have_count(0)

    regulator = cast("regulator")
    regulator.get_by_role("link", name="公估机构与警示").click()
    standings = regulator.locator("#firm-standings")
    expect(standings.locator("tr", has_text="粤安保险公估有限公司")).to_contain_text("公估师")
    cast.shot(regulator, "fb02-supervision-firms-and-warnings")
    standings.get_by_role("link", name="华信保险公估有限公司").click()
    publish = regulator.locator("#filing-publish")
    publish.locator("summary").click()
    publish.locator("#publish-filing-no").fill("公估备-310001")
    publish.get_by_role("button", name="发布").click()
    expect(regulator.locator("#filing h2")).to_contain_text("已发布")
    expect(regulator.locator("#filing-no")).to_have_text("公估备-310001")

    firm.reload()
    expect(firm.locator("#filing h2")).to_contain_text("已发布")
    changes = firm.locator("#change-form")
    changes.locator("#change-kind").select_option("address")
    changes.locator("#change-date").fill(today_local(SystemClock()).isoformat())
    changes.get_by_role("button", name="登记变更").click()
    expect(firm.locator("#change-1")).to_contain_text("地址")
    row = firm.locator("#change-1")
    row.locator("textarea").fill("住所由浦东新区迁至黄浦区")
    row.get_by_role("button", name="报送报告").click()
    expect(firm.locator("#change-1")).to_contain_text("报告已提交")
    cast.shot(firm, "fb03-filing-published-change-reported")
    assert cast.problems() == []
