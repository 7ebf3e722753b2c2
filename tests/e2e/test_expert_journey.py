"""Browser journey through the shared expert pools in zh-CN, on a server of its own: the broker reports a
fire, sees the suggested experts of its own and the partner pools with why each was chosen, requests firm
B's fire investigator; firm B's administrator accepts on the engagements page; the broker finds the expert,
the fee and the contact data on the case file."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from .conftest import running_app
from .journeys import POLICY, Cast, ClaimServer, _local, _loss_time, _pick

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def expert_server(tmp_path_factory: pytest.TempPathFactory, chromium_path: Path) -> Iterator[ClaimServer]:
    with running_app(tmp_path_factory.mktemp("experts-e2e"), "experts.db", TANDEM_SMTP_PORT="1") as (base, env, _):
        yield ClaimServer(base, env)


@pytest.fixture
def cast(browser: Browser, expert_server: ClaimServer, artifacts: Path) -> Iterator[Cast]:
    c = Cast(browser, expert_server, artifacts)
    yield c
    c.close()


def test_broker_engages_a_partner_firms_expert_on_a_new_fire_claim(cast: Cast) -> None:
    # The broker logs a phoned-in fire on the client's policy.
    broker = cast("broker")
    broker.goto("/claims/new")
    _pick(broker, "#policy_id", POLICY)
    broker.locator("#loss_at").fill(_local(_loss_time()))
    broker.locator("#location").fill("浙江省嘉兴市南湖区亚中路88号")
    broker.locator("#description").fill("3号仓库夜间起火，火势蔓延到相邻厂房，需要查明起火原因并评估损失。")
    broker.locator("#reporter_name").fill("沈国平")
    broker.locator("#reporter_phone").fill("13957312345")
    broker.get_by_role("button", name="提交报案").click()
    expect(broker.locator("#case .alert.ok")).to_contain_text("已报案")
    number = broker.locator("h1 .mono").inner_text()
    case_url = broker.url.split("?")[0]

    # Suggested experts load after the page: ranked, explained, the private pools of others never shown.
    experts = broker.locator("#experts")
    expect(experts.locator("h2")).to_contain_text("推荐专家")
    shen = experts.locator("li", has_text="沈国栋")
    expect(shen).to_contain_text("专长：")
    expect(shen).to_contain_text("正衡保险公估合伙企业")
    expect(experts).to_contain_text("邓建华")  # the broker's own fire investigator
    expect(experts).not_to_contain_text("袁丽华")  # firm C's private pool
    expect(experts).not_to_contain_text("13700000000")
    cast.shot(broker, "x01-case-suggested-experts")

    # The broker asks firm B for 沈国栋, with a fee basis and a note.
    shen.locator("summary", has_text="申请聘请该专家").click()
    shen.get_by_label("收费依据").fill("按日 3000 元")
    shen.get_by_label("给所属机构的备注").fill("请明早到现场")
    shen.get_by_role("button", name="申请聘请沈国栋").click()
    expect(broker.locator("#case .alert.ok")).to_contain_text("请求已发给专家所属机构")
    on_case = broker.locator("#case-experts")
    expect(on_case).to_contain_text("沈国栋")
    expect(on_case).to_contain_text("等待所属机构决定")
    expect(broker.locator("#experts li", has_text="沈国栋")).to_contain_text("等待所属机构决定")

    # Firm B's administrator accepts on the engagements page.
    owner = cast("adjuster3")
    owner.get_by_role("link", name="专家", exact=True).click()
    owner.get_by_role("link", name="专家聘请").click()
    request = owner.locator("#incoming li", has_text=number)
    expect(request).to_contain_text("沈国栋")
    expect(request).to_contain_text("请明早到现场")
    cast.shot(owner, "x02-engagements-owner")
    request.get_by_role("button", name="接受聘请：沈国栋").click()
    expect(owner.locator(".alert.ok")).to_contain_text("聘请已接受")
    expect(owner.locator("#incoming li", has_text=number)).to_contain_text("已接受")
    # On its expert's profile the owner narrows the list of firms to share with by typing part of a name.
    owner.goto(case_url.split("/claims/")[0] + "/experts?q=沈国栋")
    owner.get_by_role("link", name="沈国栋", exact=True).first.click()
    firms = owner.locator("#share-organisation_ids option")
    total = firms.count()
    owner.get_by_label("筛选机构").fill("华信")
    expect(owner.locator("#share-organisation_ids option:not([hidden])")).to_have_count(1)
    assert total > 1

    # The broker sees the expert on the case file: fee basis, contact data, the timeline entry.
    broker.goto(case_url)
    on_case = broker.locator("#case-experts")
    expect(on_case).to_contain_text("已接受")
    expect(on_case).to_contain_text("按日 3000 元")
    expect(on_case).to_contain_text("13700000000")
    expect(broker.locator("#timeline")).to_contain_text("专家已受聘参与本案")
    cast.shot(broker, "x03-case-expert-engaged")
    # and on the profile the contact data are no longer masked
    broker.locator("#case-experts a, #experts a", has_text="沈国栋").first.click()
    expect(broker.locator("#expert-contact")).to_contain_text("13700000000")
    expect(broker).to_have_url(re.compile(r"/experts/[0-9a-f-]{36}$"))
    assert cast.problems() == []
