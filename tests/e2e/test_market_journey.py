"""Browser journey of a placement through the market to a bound policy and a claim on it (issue 15 items 3
and 6) in zh-CN, on the demo, one app and one browser, each party signed in as itself (screenshots
m01–m12): on the demo placement whose insured is deciding, the insured decides its last risk point; the
account manager gives the client disclosure (客户告知书) and the written mandate (委托书), the insured
acknowledges both and the placement goes to market; the programme is submitted to two insurers;
underwriter2 asks a question and the account manager answers; underwriter2 meets the 404 page at
underwriter1's submission; both underwriters quote; the insured compares the quotes side by side and
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
from .journeys import SHANGHAI, Cast, ClaimServer, _done, _local, _pick, papers_to_market

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

    # Both underwriters quote, each through its own submission's page.
    uw2.goto(str(links[TAIHE]))
    expect(uw2.locator("#thread")).to_contain_text("营业中断赔偿期 6 个月")
    _quote(uw2, ("0.85", "1.30", "1.60"), "0.95")
    cast.shot(uw2, "m06-underwriter2-quoted")
    uw1 = cast("underwriter1")
    uw1.goto("/submissions")
    uw1.get_by_role("link", name=re.compile(re.escape(number))).first.click()
    expect(uw1.locator("h1")).to_contain_text("-S")
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
