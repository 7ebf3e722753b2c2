"""Browser journey of a catastrophe (巨灾, issue 21), in zh-CN, on a server of its own: the broker declares
a flood over 东莞, uploads an insurer call centre's XLSX of 2,000 notices with 3 bad rows (each listed with
its line and column), sees the notices on the event page by district and by estimated loss, assigns one
district's notices to 粤安 with the routing checks applied to each, and sees them routed; an outsider gets
404 for the event. Screenshots cat-01 … cat-05."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import Browser, expect

from .conftest import running_app
from .journeys import Cast, ClaimServer, _pick

pytestmark = pytest.mark.e2e

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
POLICY = "PCA2026441900002"  # insured2's, with insurer2, 财产一切险, no designated adjuster
TOWNS = ("长安镇", "虎门镇", "厚街镇", "南城区", "东城区", "塘厦镇", "常平镇", "大朗镇")
DISTRICT = "东莞市莞城区"  # the one assigned: six notices, within 林志伟's capacity
UPLOAD_MS = 300_000  # 2,000 notices through the single-notice service on a shared two-core machine


@pytest.fixture(scope="module")
def cat_server(tmp_path_factory: pytest.TempPathFactory, chromium_path: Path) -> Iterator[ClaimServer]:
    with running_app(tmp_path_factory.mktemp("cat-e2e"), "cat.db", TANDEM_SMTP_PORT="1") as (base, env, _):
        yield ClaimServer(base, env)


@pytest.fixture
def cast(browser: Browser, cat_server: ClaimServer, artifacts: Path) -> Iterator[Cast]:
    c = Cast(browser, cat_server, artifacts)
    yield c
    c.close()


def _notices() -> bytes:
    """2,000 rows as a call centre exports them (Chinese headers); lines 11, 501 and 1,999 are bad."""
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["报案流水号", "保单号", "出险时间", "出险地点", "出险经过", "估损金额", "报案人", "报案人电话"])
    for i in range(2000):
        place = f"广东省东莞市莞城区运河东{i}号" if i < 6 else f"广东省东莞市{TOWNS[i % len(TOWNS)]}{i}号"
        hours = i % 48
        ws.append(
            [
                f"DG-20261110-{i:05d}",
                POLICY,
                f"2026-11-{10 + hours // 24:02d} {hours % 24:02d}:15",
                place,
                "暴雨内涝，仓库进水，货物受损" + ("，一名员工受伤" if i % 97 == 0 else ""),
                1000 * (1 + i % 300),
                "陈女士",
                "13800138000",
            ]
        )
    ws.cell(row=11, column=3, value="前天夜里")  # line 11: loss_at
    ws.cell(row=501, column=2, value="PCA0000000000")  # line 501: policy_number
    ws.cell(row=1999, column=4, value="莞")  # line 1,999: location too short
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def test_broker_declares_a_flood_uploads_notices_and_assigns_a_district(cast: Cast) -> None:
    broker = cast("broker")
    broker.goto("/events")
    expect(broker.locator("h1")).to_have_text("巨灾事件")
    broker.locator("#event-name").fill("2026年11月东莞特大暴雨")
    broker.locator("#event-peril").select_option("flood")
    broker.locator("#event-areas").fill("东莞市")
    broker.locator("#event-starts").fill("2026-11-09T00:00")
    broker.locator("#event-ends").fill("2026-11-14T00:00")
    cast.shot(broker, "cat-01-declare")
    broker.locator("#declare").click()
    expect(broker.locator("#event-notice")).to_contain_text("已宣布巨灾事件：已标记 0 条")
    event_url = broker.url.split("?")[0]

    # The call centre's file: 1,997 taken, the 3 bad rows listed with their lines and columns.
    broker.locator("a", has_text="批量报案").first.click()
    expect(broker.locator("h1")).to_have_text("批量报案")
    broker.locator("#notice-file").set_input_files(
        files=[{"name": "东莞报案.xlsx", "mimeType": XLSX, "buffer": _notices()}]
    )
    broker.locator("#upload-notices").click()
    expect(broker.locator("#import-notice")).to_contain_text(
        "1997 条报案已创建，0 条已存在，3 条被拒绝", timeout=UPLOAD_MS
    )
    refused = broker.locator("#import-refused")
    expect(refused.locator("li")).to_have_count(3)
    expect(refused.locator("li[data-line='11']")).to_contain_text("loss_at")
    expect(refused.locator("li[data-line='11']")).to_contain_text("请填写日期和时间")
    expect(refused.locator("li[data-line='501']")).to_contain_text("policy_number")
    expect(refused.locator("li[data-line='501']")).to_contain_text("没有这张保单")
    expect(refused.locator("li[data-line='1999']")).to_contain_text("location")
    expect(refused.locator("li[data-line='1999']")).to_contain_text("太短")
    cast.shot(broker, "cat-02-upload-results")

    # The event page: every notice tagged at intake, by district and by estimated loss, hurt first.
    broker.goto(event_url)
    expect(broker.locator("#event-totals")).to_contain_text("1997")
    district = broker.locator(f"#district-rows tr[data-district='{DISTRICT}']")
    expect(district.locator(".open-count")).to_have_text("6")
    expect(broker.locator("#district-rows tr[data-district='东莞市长安镇']")).to_be_visible()
    expect(broker.locator("#open-rows tbody tr").first).to_contain_text("有人员受伤")
    cast.shot(broker, "cat-03-event-by-district")

    # One district to 粤安: the routing checks applied to each notice; all six go to 林志伟.
    _pick(broker, f"#district-rows tr[data-district='{DISTRICT}'] select", "粤安")
    district.get_by_role("button", name="分派").click()
    expect(broker.locator("#event-notice")).to_contain_text("6 条报案已分派给粤安保险公估有限公司；0 条被拒绝")
    expect(district.locator(".open-count")).to_have_text("0")
    expect(district.locator(".routed-count")).to_have_text("6")
    expect(broker.locator("#event-routed")).to_have_text("6")
    cast.shot(broker, "cat-04-district-assigned")

    # The insured sees the event of its notices.
    insured = cast("insured2")
    insured.goto(event_url)
    expect(insured.locator("#event-totals")).to_contain_text("1997")
    # An outsider: the same page as for no such event.
    outsider = cast("insured1")
    answer = outsider.goto(event_url)
    assert answer is not None and answer.status == 404
    cast.shot(outsider, "cat-05-outsider-404")
    assert cast.problems() == []
