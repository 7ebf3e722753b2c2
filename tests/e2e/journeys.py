"""What the browser journeys share: the signed-in cast of parties (one browser context each, with the
suite's generous, configurable waits), the claim server, and small form helpers."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, expect

from tandem.demo import DEMO_PASSWORD as PASSWORD
from tandem.kit.clock import SystemClock
from tests.helpers import ACCEPT, WAIT_TIMEOUT_MS, _draft

from .conftest import _cli, new_context, running_app

SHANGHAI = ZoneInfo("Asia/Shanghai")
POLICY = "PQC2026330400001"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@dataclass
class ClaimServer:
    base_url: str
    env: dict[str, str]

    def worker_once(self) -> None:
        """Run the due outbox jobs (confirmation letter and report PDFs, the insurer's copy)."""
        _cli(["worker", "--once"], self.env)


@dataclass
class Party:
    """One signed-in user in a browser context of its own."""

    username: str
    context: BrowserContext
    page: Page
    problems: list[str] = field(default_factory=list)


@dataclass
class Cast:
    browser: Browser
    server: ClaimServer
    artifacts: Path
    parties: dict[str, Party] = field(default_factory=dict)

    def __call__(self, username: str) -> Page:
        """The page of ``username``, logged in through the form the first time."""
        if username not in self.parties:
            context = new_context(
                self.browser, base_url=self.server.base_url, locale="zh-CN", viewport=DESKTOP, accept_downloads=True
            )
            page = context.new_page()
            party = Party(username, context, page)
            _watch(page, party.problems)
            page.goto("/login")
            page.get_by_label("用户名").fill(username)
            page.get_by_label("密码").fill(PASSWORD)
            page.locator("form[action='/login'] button[type=submit]").click()
            page.wait_for_url(re.compile(r"/$"))
            self.parties[username] = party
        return self.parties[username].page

    def shot(self, page: Page, name: str) -> None:
        page.screenshot(path=str(self.artifacts / f"{name}.png"), full_page=True)

    def phone_shot(self, username: str, url: str, name: str) -> None:
        page = self.parties[username].context.new_page()
        page.set_viewport_size(PHONE)
        page.goto(url)
        self.shot(page, name)
        page.close()

    def problems(self) -> list[str]:
        return [p for party in self.parties.values() for p in party.problems]

    def close(self) -> None:
        for party in self.parties.values():
            party.context.close()


def _watch(page: Page, problems: list[str]) -> None:
    """Script errors and CSP violations are problems; the 404/409/422 answers provoked on purpose are not."""
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => console.error("
        "'CSP violation: ' + e.violatedDirective + ' ' + (e.sourceFile || '')))"
    )

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and not re.search(r"status of (404|409|422)\b", message.text):
            problems.append(f"{page.url}: {message.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: problems.append(f"{page.url}: {exc}"))


def _local(t: dt.datetime) -> str:
    return t.astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M")


def _loss_time() -> dt.datetime:
    now = SystemClock().now()
    start_of_year = dt.datetime(now.astimezone(SHANGHAI).year, 1, 1, 0, 30, tzinfo=SHANGHAI)
    return max(now - dt.timedelta(hours=3), start_of_year.astimezone(dt.UTC))


def _done(page: Page, text: str) -> None:
    expect(page.locator("#case .alert.ok, #consultation .alert.ok").first).to_contain_text(text)


def papers_to_market(cast: Cast, url: str, shot: str, insured: str = "insured1") -> None:
    """Issue 15: the account manager gives the client disclosure (客户告知书) and generates the written
    mandate (委托书), the insured acknowledges both (screenshot ``shot``), and the account manager takes the
    placement to market, freezing the risk decisions."""
    broker, client = cast("broker"), cast(insured)

    def notice(page: Page, text: str) -> None:
        expect(page.locator("#case .alert.ok", has_text=text).first).to_be_visible()

    broker.goto(url)
    broker.locator("#going-to-market details", has_text="出具客户告知书").locator("summary").click()
    broker.locator("#going-to-market form[action$='/disclosure'] button[type=submit]").click()
    notice(broker, "已向被保险人出具客户告知书")
    broker.locator("#going-to-market details", has_text="记录委托书").locator("summary").click()
    broker.locator("#going-to-market button[name=op][value=generate]").click()
    notice(broker, "委托书已记录")
    client.goto(url)
    for kind in ("disclosure", "mandate"):
        client.locator(f"#consent-{kind} button[type=submit]").click()
        notice(client, "您的确认已记录")
    expect(client.locator("#consent-mandate .badge")).to_contain_text("已确认")
    cast.shot(client, shot)
    broker.goto(url)
    broker.locator("#market button[type=submit]").click()
    notice(broker, "风险决定已锁定")
    expect(broker.locator("h1")).to_contain_text("已进入询价")


@dataclass(frozen=True)
class Draft:
    """What a firm writes into the pre-assessment draft editor after the values: risk points (ref, title,
    location, site ref or "", level, coefficient), the words ending each description, and the environmental,
    safety and advice texts."""

    points: Sequence[tuple[str, str, str, str, str, str]]
    seen: str
    texts: tuple[str, str, str]


def draft_and_sign(
    cast: Cast, firm: Page, url: str, draft: Draft, shot: str, signers: Sequence[str], co_signer: str
) -> None:
    """The firm's lead fills the open draft editor's risk points (a row added for each after the first) and
    texts (screenshot ``shot``), saves, and signs naming ``signers`` (its own name first); the second
    signer then signs in person from its own login ``co_signer``."""
    for n, (ref, title, where, site, level, coefficient) in enumerate(draft.points):
        if n:
            firm.locator('button[name="op"][value="add:risk"]').click()
        row = f"risk.{n}"
        expect(firm.locator(f'[name="{row}.title"]')).to_be_visible()
        firm.locator(f'[name="{row}.ref"]').fill(ref)
        firm.locator(f'[name="{row}.title"]').fill(title)
        firm.locator(f'[name="{row}.location"]').fill(where)
        firm.locator(f'[name="{row}.site_ref"]').select_option(site)
        firm.locator(f'[name="{row}.level"]').select_option(level)
        firm.locator(f'[name="{row}.coefficient"]').fill(coefficient)
        firm.locator(f'[name="{row}.description"]').fill(f"{title}，{draft.seen}。")
        firm.locator(f'[name="{row}.advice"]').fill("限期整改，整改后复查。")
    for name, text in zip(("environmental", "safety", "advice"), draft.texts, strict=True):
        firm.locator(f'[name="{name}"]').fill(text)
    cast.shot(firm, shot)
    firm.locator('button[name="op"][value="save"]').click()
    expect(firm.locator("#case .alert.ok", has_text="报告草稿已保存").first).to_be_visible()
    for name in signers:
        firm.locator("#act-pre_submit label.check", has_text=name).locator("input").check()
    firm.locator("#act-pre_submit button[type=submit]").click()
    expect(firm.locator("#signing")).to_be_visible()
    second = cast(co_signer)
    second.goto(url)
    second.locator("#signing button[type=submit]").click()


def _pick(page: Page, select: str, text: str) -> None:
    """Choose the option of a ``<select>`` whose text contains ``text``."""
    value = page.locator(f"{select} option", has_text=text).first.get_attribute("value")
    assert value, text
    page.locator(select).select_option(value=value)


def _api(server: ClaimServer, username: str) -> httpx.Client:
    client = httpx.Client(base_url=server.base_url, timeout=WAIT_TIMEOUT_MS / 1000)
    r = client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
    r.raise_for_status()
    client.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
    return client


@contextmanager
def bound_demo(tmp: Path, db_name: str) -> Iterator[tuple[ClaimServer, str]]:
    """The whole demo (its placements come with its claims) on a running app: the server and the id of the
    demo's policy bound from a placement and in force (the other one is ended by its insurer)."""
    with running_app(tmp, db_name, demo_claims=True, TANDEM_SMTP_PORT="1") as (base, env, _):
        server = ClaimServer(base, env)
        policies = _api(server, "broker").get("/api/v1/policies?limit=200").json()["items"]
        [bound] = [p for p in policies if p["placement_id"] and p["status"] == "in_force"]
        yield server, bound["id"]


def reported_claim(server: ClaimServer) -> str:
    """A claim of insured1 reported by 华信 (firm A) on the shared draft, signed by both — set up through the
    API; returns its id."""
    insured, firm = _api(server, "insured1"), _api(server, "adjuster1")
    policy = next(p for p in insured.get("/api/v1/policies").json()["items"] if p["number"] == POLICY)
    loss = _loss_time().astimezone(SHANGHAI).isoformat(timespec="minutes")
    cid = insured.post(
        "/api/v1/claims",
        json={
            "policy_id": policy["id"],
            "loss_at": loss,
            "location": "浙江省嘉兴市南湖区亚中路88号3号仓库",
            "description": "3号仓库暴雨进水，屋面及注塑机受损",
            "channel": "app",
        },
    ).json()["id"]
    firm.post(
        f"/api/v1/claims/{cid}/appointment",
        json=ACCEPT,
    ).raise_for_status()
    me = {a["name"]: a["id"] for a in firm.get("/api/v1/adjusters").json()["items"]}
    firm.post(f"/api/v1/claims/{cid}/team", json={"adjuster_id": me["李娜"]}).raise_for_status()
    firm.post(
        f"/api/v1/claims/{cid}/surveys",
        json={"scheduled_at": loss, "surveyed_at": _local(SystemClock().now()) + ":00+08:00"},
    ).raise_for_status()
    # The shared draft report (tests/helpers.py), told of this claim's storm: the roof of warehouse 3, and
    # no replacement value of its own (the policy's declared value stands).
    draft = _draft(cause="暴雨致屋面破损进水。", liability="属于保险责任。")
    draft["sections"][0]["items"][0]["description"] = "3#仓库彩钢瓦屋面"
    del draft["sections"][0]["replacement_value"]
    firm.put(f"/api/v1/claims/{cid}/report-draft", json=draft).raise_for_status()
    firm.post(f"/api/v1/claims/{cid}/reports", json={"signer_ids": [me["王建国"], me["李娜"]]}).raise_for_status()
    second = _api(server, "adjuster2")  # 李娜 signs in person
    signing = second.get(f"/api/v1/claims/{cid}/case").json()["signing"]
    second.post(f"/api/v1/claims/{cid}/reports/sign", json={"content_hash": signing["content_hash"]}).raise_for_status()
    for c in (insured, firm, second):
        c.close()
    return str(cid)
