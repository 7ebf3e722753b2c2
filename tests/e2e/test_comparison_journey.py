"""The insurer comparison (横评, R-U6) in the browser, on the demo with its history (zh-CN, screenshots
c01–c03): the insured reads the comparison of the placement at market — ranks, scores, each component
with its published weight, "not enough data" for the insurer with too few insureds — downloads the PDF,
and confirms the insurer the broker recommended; the account manager sees the choice and its reasons."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from .conftest import running_app
from .journeys import Cast, ClaimServer

ZHONGAN = "中安财产保险股份有限公司"


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory, chromium_path: Path) -> Iterator[ClaimServer]:
    tmp = tmp_path_factory.mktemp("comparison-e2e")
    with running_app(tmp, "comparison.db", demo_claims=True, TANDEM_SMTP_PORT="1") as (base, env, _):
        yield ClaimServer(base, env)


def test_the_insured_reads_the_comparison_and_confirms_the_recommendation(
    browser: Browser, demo_server: ClaimServer, artifacts: Path
):
    cast = Cast(browser, demo_server, artifacts)
    try:
        insured = cast("insured1")
        items = insured.request.get(demo_server.base_url + "/api/v1/placements").json()["items"]
        placement = next(p for p in items if p["status"] == "to_market")
        insured.goto(f"/placements/{placement['id']}#comparison")
        card = insured.locator("#comparison")
        table = card.locator("#comparison-table")
        expect(table.locator("thead th")).to_have_count(5)  # the facts and four insurers
        expect(table.locator("td.rank strong")).to_have_count(3)
        expect(table.locator("td.rank")).to_contain_text(["1", "2", "3", "不排名"])
        expect(table.locator("#component-payment_days th")).to_contain_text("公布权重 15。")
        expect(table.locator("#component-complaints")).to_contain_text("数据不足")
        expect(card.locator("#recommendation")).to_contain_text(ZHONGAN)
        cast.shot(insured, "c01-comparison")

        with insured.expect_download() as download:
            card.get_by_role("link", name="PDF", exact=True).click()
        path = download.value.path()
        assert path is not None and Path(path).read_bytes().startswith(b"%PDF")

        card.get_by_role("button", name=f"确认选择{ZHONGAN}").click()
        expect(insured.locator(".notice, [role=status]").first).to_contain_text("已确认所推荐的保险公司")
        expect(insured.locator("#choice-state")).to_contain_text("已选定")
        expect(insured.locator("#choice-state")).to_contain_text("按经纪人推荐")
        cast.shot(insured, "c02-confirmed")

        broker = cast("broker")
        broker.goto(f"/placements/{placement['id']}#comparison")
        expect(broker.locator("#choice-state")).to_contain_text(ZHONGAN)
        expect(broker.locator("#comparison details#weights summary")).to_contain_text("公布诚信评分的权重")
        cast.shot(broker, "c03-broker-sees-the-choice")
        assert cast.problems() == []
    finally:
        cast.close()
