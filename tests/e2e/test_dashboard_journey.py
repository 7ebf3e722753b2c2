"""Browser tour of the dashboards (issue 18 item 4) in zh-CN on the demo's year of history: each role opens
its own dashboard (broker, adjuster firm, insurer, regulator, insured) and sees its charts drawn by the
server and the table beneath; the broker filters by line and groups by insurer, and downloads the CSV of
what it sees; the insurer is refused the broker's page. Screenshots dash-01 … dash-07."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.helpers import WAIT_TIMEOUT_MS

from .conftest import running_app
from .journeys import Cast, ClaimServer

pytestmark = pytest.mark.e2e

ROLES = (
    ("broker", "broker", "数据看板：经纪业务全貌"),
    ("adjuster1", "firm", "数据看板：本机构业务、公估费与应收账款"),
    ("insurer1", "insurer", "数据看板：本公司理赔、委托公估与应付公估费"),
    ("regulator", "supervision", "数据看板：市场总览"),
    ("insured1", "insured", "数据看板：本单位理赔时效"),
)


@pytest.fixture(scope="module")
def dashboard_server(tmp_path_factory: pytest.TempPathFactory, chromium_path: Path) -> Iterator[ClaimServer]:
    tmp = tmp_path_factory.mktemp("dashboard-e2e")
    with running_app(tmp, "dashboards.db", demo_claims=True, TANDEM_SMTP_PORT="1") as (base, env, _):
        yield ClaimServer(base, env)


@pytest.fixture
def cast(browser: Browser, dashboard_server: ClaimServer, artifacts: Path) -> Iterator[Cast]:
    c = Cast(browser, dashboard_server, artifacts)
    yield c
    c.close()


def test_each_role_opens_its_dashboard_in_zh_cn(cast: Cast) -> None:
    for n, (user, role, title) in enumerate(ROLES, start=1):
        page = cast(user)
        page.get_by_role("link", name="数据看板").first.click()
        page.wait_for_url(f"**/dashboard/{role}", timeout=WAIT_TIMEOUT_MS)
        expect(page.locator("h1")).to_have_text(title)
        expect(page.locator("figure.figure-chart svg").first).to_be_visible(timeout=WAIT_TIMEOUT_MS)
        assert page.locator("figure.figure-chart svg rect.bar").count() >= 6, user  # drawn by the server
        rows = page.locator("#dashboard-table tbody tr")
        expect(rows.first).to_be_visible()
        assert rows.count() >= 6, (user, rows.count())  # months of history
        cast.shot(page, f"dash-{n:02d}-{role}")

    broker = cast("broker")
    broker.goto("/dashboard/broker")
    broker.locator("#f-line").select_option(label="企业财产保险")
    broker.locator("#f-by").select_option(label="保险公司")
    broker.get_by_role("button", name="查看").click()
    expect(broker.locator("#dashboard-table thead th").first).to_have_text("保险公司")
    expect(broker.locator("#dashboard-table tbody")).to_contain_text("中安财产保险股份有限公司")
    cast.shot(broker, "dash-06-broker-by-insurer")
    with broker.expect_download(timeout=WAIT_TIMEOUT_MS) as download:
        broker.locator("#export-csv").click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert text.splitlines()[0].startswith("保险公司,报案数") and "中安财产保险股份有限公司" in text

    insurer = cast("insurer1")
    insurer.goto("/dashboard/broker")
    expect(insurer.locator("h1")).to_have_text("未找到", timeout=WAIT_TIMEOUT_MS)
    cast.shot(insurer, "dash-07-insurer-refused-the-brokers-page")
    assert cast.problems() == []
