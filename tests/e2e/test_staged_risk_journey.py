"""Browser journey of staged risk evaluation (阶段性风险评价, issue 16 item 1) in zh-CN on the demo's bound
policy, each party in its own browser: the broker reads the register over time (stage 1 found point 3
worse) and shortens the interval; the insured agrees; the re-survey opens on its timer (the worker); the
firm files the staged report through the form — a missing evidence shown beside its field first — with
point 2 remedied, 3 and 4 not, and a new point 5; the insured sees its tasks and the chart; the insurer,
whom the plan tells, sees the missed commitments; the broker reads the insurer's record; a stranger gets
404. Screenshots s01-s08."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tandem.kit.clock import SystemClock

from .journeys import SHANGHAI, Cast, ClaimServer, _api, bound_demo

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def staged_server(tmp_path_factory: pytest.TempPathFactory, chromium_path: Path) -> Iterator[tuple[ClaimServer, str]]:
    with bound_demo(tmp_path_factory.mktemp("staged-e2e"), "staged.db") as found:
        yield found


@pytest.fixture
def cast(browser: Browser, staged_server: tuple[ClaimServer, str], artifacts: Path) -> Iterator[Cast]:
    c = Cast(browser, staged_server[0], artifacts)
    yield c
    c.close()


def _notice(page: Page, text: str) -> None:
    expect(page.locator(".alert.ok", has_text=text).first).to_be_visible()


def _survey_opens(cast: Cast, pid: str) -> None:
    """Run the worker's due jobs until the re-survey's timer has opened it (the demo queued many jobs)."""
    api = _api(cast.server, "broker")
    for _ in range(30):
        cast.server.worker_once()
        surveys = api.get(f"/api/v1/policies/{pid}/staged-risk").json()["surveys"]
        if any(s["status"] == "open" for s in surveys):
            return
    raise AssertionError(f"the re-survey did not open: {surveys}")


def test_a_staged_report_on_the_demo_policy(cast: Cast, staged_server: tuple[ClaimServer, str]) -> None:
    pid = staged_server[1]
    risk = f"/policies/{pid}/risk"

    # The broker reads the register over time from the policy page and shortens the interval.
    broker = cast("broker")
    broker.goto(f"/policies/{pid}")
    broker.locator("#risk-page-link").click()
    expect(broker.locator("#stage-1")).to_contain_text("恶化")
    expect(broker.locator("#staged-chart rect")).to_have_count(5)  # 高, 中, 重大 at binding; 中, 重大 at stage 1
    cast.shot(broker, "s01-risk-page-broker")
    broker.locator("#staged-plan details summary").click()
    broker.locator("#interval_months").fill("1")
    broker.get_by_role("button", name="向被保险人建议").click()
    _notice(broker, "已提议阶段性风险评价")
    cast.shot(broker, "s02-interval-proposed")

    # The insured agrees; the overdue re-survey opens on its timer.
    insured = cast("insured1")
    insured.goto(risk)
    insured.get_by_role("button", name="确认阶段性风险评价安排").click()
    _notice(insured, "阶段性风险评价已约定")
    _survey_opens(cast, pid)

    # The firm files the staged report: first without one evidence (shown beside it), then complete.
    firm = cast("adjuster3")
    firm.goto(risk)
    form = firm.locator("#staged-report-form")
    form.locator("#subject").fill("南湖厂区第 2 次阶段性风险评价")
    for n, state, evidence in (
        (0, "remedied", "消防通道已清空，划设黄线并设置禁止堆放标识。"),
        (1, "not_remedied", ""),
        (2, "not_remedied", "屋面锈蚀板材尚未更换。"),
    ):
        form.locator(f"[id='state.{n}']").select_option(state)
        form.locator(f"[id='evidence.{n}']").fill(evidence)
    form.locator("#new_ref").fill("5")
    form.locator("#new_title").fill("叉车充电区无防护")
    form.locator("#new_location").fill("秀洲仓库西侧")
    form.locator("#new_level").select_option("高")
    form.locator("#new_coefficient").fill("1.0500")
    form.locator("#new_description").fill("叉车充电区紧邻可燃包装物，未设隔离。")
    form.locator("#new_advice").fill("设置防火隔离并配备灭火器。")
    form.locator("#advice").fill("化学品库须于下次复查前整改完毕。")
    form.locator("#environmental").fill("危废暂存间防渗完好。")
    form.locator("#safety").fill("消防通道已清空；化学品库仍未整改。")
    for box in form.locator("input[name=signer_ids]").all():
        box.check()
    form.get_by_role("button", name="签署并提交阶段性风险评价报告").click()
    expect(firm.locator("[id='evidence.1-error']")).to_contain_text("必填")
    cast.shot(firm, "s03-report-form-error")
    form = firm.locator("#staged-report-form")
    form.locator("[id='evidence.1']").fill("化学品库仍存放未登记溶剂。")
    for box in form.locator("input[name=signer_ids]").all():
        box.check()
    form.get_by_role("button", name="签署并提交阶段性风险评价报告").click()
    _notice(firm, "阶段性风险评价报告已提交")
    expect(firm.locator("#stage-2")).to_contain_text("已整改")
    cast.shot(firm, "s04-report-submitted")

    # The insured: stage 2 with one remedied, the others not, a new one; its tasks; the chart.
    insured.goto(risk)
    stage = insured.locator("#stage-2")
    expect(stage.locator("tr[data-ref='2']")).to_contain_text("已整改")
    expect(stage.locator("tr[data-ref='3']")).to_contain_text("未整改")
    expect(stage.locator("tr[data-ref='5']")).to_contain_text("新增")
    expect(insured.locator("#staged-tasks tr[data-ref='5']")).to_contain_text("叉车充电区无防护")
    expect(insured.locator("#staged-chart rect[data-stage='2']")).to_have_count(3)  # 中, 高, 重大
    cast.shot(insured, "s05-insured-tasks")
    surveys = _api(cast.server, "insured1").get(f"/api/v1/policies/{pid}/staged-risk").json()["surveys"]
    assert [s["status"] for s in surveys] == ["reported", "reported", "scheduled"]
    today = SystemClock().now().astimezone(SHANGHAI).date()
    assert surveys[-1]["due_date"] > today.isoformat()  # never due in the past

    # The insurer, whom the plan tells, sees the missed commitments.
    underwriter = cast("underwriter1")
    underwriter.goto(risk)
    expect(underwriter.locator("#staged-missed")).to_be_visible()
    cast.shot(underwriter, "s06-insurer-missed")

    # The broker's record of the insurer; a stranger's 404.
    broker.goto(f"/policies/{pid}")
    broker.locator("#insurer-record-link").click()
    expect(broker.locator("#record-summary")).to_contain_text("报案后30日内核定")
    cast.shot(broker, "s07-insurer-record")
    stranger = cast("insured2")
    response = stranger.goto(risk)
    assert response is not None and response.status == 404
    cast.shot(stranger, "s08-stranger-404")
    assert cast.problems() == []
