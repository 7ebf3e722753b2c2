"""Browser journey of a complaint (issue 20 item 3) in zh-CN, every party in its own browser context: the
insured (insured1) complains about the adjuster firm on its claim from the case's complaints page (an empty
request refused beside its field first) and sees it received and acknowledged with its decision due in 15
days → the firm's user finds it in its complaints list, reads the deadline and decides within the clock →
the insured reads the decision, and, not satisfied, escalates it to supervision → the regulator finds it in
its list of escalated complaints and in the year's figures of the firm (received, decided in time,
escalated). Screenshots complaint-01 … complaint-07."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tandem.kit.clock import SystemClock
from tandem.kit.i18n import format_date

from .conftest import running_app
from .journeys import SHANGHAI, Cast, ClaimServer, reported_claim

pytestmark = pytest.mark.e2e

INSURED = "嘉兴鑫达电子科技有限公司"  # insured1's organisation
FIRM = "华信保险公估有限公司"  # firm A, adjuster1's, reports the claim
REQUEST = "查勘人员两次改约未提前通知，现场等候半天无人到场。"
DECISION = "经核实，两次改约系查勘人员未按规定提前通知，已对其批评教育并调整排班；如有异议可向监管部门投诉。"
ESCALATION = "对处理决定不满意，请求监管部门处理。"


@pytest.fixture(scope="module")
def complaint_server(tmp_path_factory: pytest.TempPathFactory, chromium_path: Path) -> Iterator[ClaimServer]:
    # Nothing here sends mail: a digest job fails fast on port 1 rather than hanging.
    with running_app(tmp_path_factory.mktemp("complaint-e2e"), "complaint.db", TANDEM_SMTP_PORT="1") as (b, env, _):
        yield ClaimServer(b, env)


@pytest.fixture
def cast(browser: Browser, complaint_server: ClaimServer, artifacts: Path) -> Iterator[Cast]:
    c = Cast(browser, complaint_server, artifacts)
    yield c
    c.close()


def _ok(page: Page, text: str) -> None:
    expect(page.locator(".alert.ok")).to_contain_text(text)


def _listed(page: Page) -> Locator:
    """The complaints list reached from the main navigation: the one row about the firm."""
    page.goto("/")
    page.locator("nav.mainnav").get_by_role("link", name="投诉", exact=True).click()
    row = page.locator("#complaint-list tbody tr").filter(has_text=FIRM)
    expect(row).to_have_count(1)
    return row


def test_insured_complains_the_firm_decides_in_time_and_supervision_sees_it_in_zh(cast: Cast) -> None:
    cid = reported_claim(cast.server)
    today = SystemClock().now().astimezone(SHANGHAI).date()
    due = format_date(today + dt.timedelta(days=15), "zh_CN")

    # The insured opens the complaints page from its claim and complains about the firm.
    insured = cast("insured1")
    insured.goto(f"/claims/{cid}")
    insured.locator("#complaints-link").click()
    expect(insured.get_by_role("heading", name="解释与投诉", level=1)).to_be_visible()
    expect(insured.locator("#complaint-file")).to_be_visible()
    cast.shot(insured, "complaint-01-case-page")
    form = insured.locator("#complaint-file")
    form.locator("#complaint-kind").select_option(value="complaint")
    form.locator("#complaint-target").select_option(label=FIRM)
    form.get_by_role(
        "button", name="提交", exact=True
    ).click()  # nothing written yet: the request is refused beside its field
    expect(insured.locator("#complaint-text-error")).to_contain_text("请说明请求的内容")
    expect(insured.locator("#complaint-1")).to_have_count(0)
    form = insured.locator("#complaint-file")
    form.locator("#complaint-kind").select_option(value="complaint")
    form.locator("#complaint-target").select_option(label=FIRM)
    form.locator("#complaint-text").fill(REQUEST)
    cast.shot(insured, "complaint-02-filing")
    form.get_by_role("button", name="提交", exact=True).click()
    _ok(insured, "已受理并确认")
    filed = insured.locator("#complaint-1")
    expect(filed).to_contain_text("已受理，待处理")
    expect(filed).to_contain_text(FIRM)
    expect(filed.locator("#complaint-due")).to_have_text(due)
    expect(filed.locator("#complaint-escalate")).to_have_count(1)  # the complainant may escalate at any time
    cast.shot(insured, "complaint-03-acknowledged")

    # The firm finds it in its complaints list with the deadline, and decides within the clock.
    firm = cast("adjuster1")
    row = _listed(firm)
    expect(row).to_contain_text("已受理，待处理")
    expect(row).to_contain_text(due)
    cast.shot(firm, "complaint-04-firm-list")
    row.get_by_role("link").click()
    mine = firm.locator("#complaint-1")
    expect(mine.locator("#complaint-due")).to_have_text(due)
    expect(mine).to_contain_text(REQUEST)
    mine.locator("#complaint-decide summary").click()
    mine.locator("#decide-text").fill(DECISION)
    mine.locator("#complaint-decide").get_by_role("button", name="作出处理决定").click()
    _ok(firm, "投诉已更新")
    expect(firm.locator("#complaint-1")).to_contain_text("已决定")
    expect(firm.locator("#complaint-decision")).to_have_text(DECISION)
    expect(firm.locator("#complaint-decide")).to_have_count(0)  # decided once
    cast.shot(firm, "complaint-05-decided")

    # The insured reads the decision, and escalates it to supervision.
    insured.reload()
    expect(insured.locator("#complaint-decision")).to_have_text(DECISION)
    expect(insured.locator("#complaint-1")).to_contain_text("已决定")
    escalate = insured.locator("#complaint-escalate")
    escalate.locator("summary").click()
    escalate.locator("#escalate-text").fill(ESCALATION)
    escalate.get_by_role("button", name="提交监管").click()
    _ok(insured, "投诉已更新")
    expect(insured.locator("#complaint-1")).to_contain_text("已提交监管")
    expect(insured.locator("#complaint-1")).to_contain_text(ESCALATION)
    cast.shot(insured, "complaint-06-answered-escalated")

    # Supervision finds it in its list and in the firm's figures for the year: 1 received, decided in time,
    # escalated, none open; it reads only and has no form.
    regulator = cast("regulator")
    listed = _listed(regulator)
    expect(listed).to_contain_text("已提交监管")
    expect(listed).to_contain_text(INSURED)  # the complainant
    figures = regulator.locator("#complaint-figures tbody tr").filter(has_text=FIRM)
    expect(figures.locator("td")).to_have_text([FIRM, "1", "1", "1", "0", "1", "0"])
    expect(regulator.locator("form[action*='/complaints']")).to_have_count(0)
    cast.shot(regulator, "complaint-07-supervision")
    assert cast.problems() == []
