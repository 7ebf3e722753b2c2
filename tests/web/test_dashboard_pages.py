"""Dashboards (issue 18 item 4) on the known set of claims (tests/helpers.figures_known_set, worked out by
hand in tests/figures): each role's page, its exports holding the numbers shown, the hiding of figures
behind fewer than 5 insureds, and the scoping (another role's page, another party's filter: 404)."""

from __future__ import annotations

import csv
import io
import re
import uuid
from decimal import Decimal

import pytest

from tests.helpers import figures_known_set, html_table, logged_in, text_of, xlsx_rows

NOT_ENOUGH = "数据不足"


def _number(text: str) -> str:
    """A shown cell as a plain number (¥, thousands separators and % dropped); hidden and empty as is."""
    if text in (NOT_ENOUGH, "—", ""):
        return "" if text == "—" else text
    return str(Decimal(re.sub(r"[^\d.\-]", "", text)))


def _plain(value: str) -> str:
    return value if value in (NOT_ENOUGH, "") else str(Decimal(value).quantize(Decimal("0.01")).normalize())


def _same(a: list[list[str]], b: list[list[str]]) -> None:
    assert len(a) == len(b) and a[0] == b[0]  # the same headers
    for row_a, row_b in zip(a[1:], b[1:], strict=True):
        assert row_a[0] == row_b[0]
        assert [_plain(x) for x in row_a[1:]] == [_plain(x) for x in row_b[1:]], (row_a, row_b)


def test_the_brokers_dashboard_shows_the_hand_computed_figures_and_exports_the_same(env):
    figures_known_set(env)
    browser = logged_in(env, "broker")
    assert browser.get("/dashboard").headers["location"] == "/dashboard/broker"
    r = browser.get("/dashboard/broker")
    assert r.status_code == 200, r.text
    table = html_table(r.text, "dashboard-table")
    head, *body = table
    assert head[:3] == ["月份", "报案数", "已委托公估"] and "公估供给率 %" in head
    assert [row[0] for row in body] == ["2026-09", "2026-10", "2026-11", "全部"]
    total = dict(zip(head, body[-1], strict=True))
    assert total["报案数"] == "6" and total["委托公估率 %"] == "50.0" and total["公估供给率 %"] == "88.9"
    assert total["已付赔款"] == "¥450,000.00" and total["时限内完成率 %"] == "66.7"
    assert total["报案→委派公估 P90 天数"] == "2.6" and total["赔款协议→支付 中位天数"] == "5.0"
    assert total["公估费逾期额"] == "¥9,540.00" and total["公估费付款中位天数"] == "20.0"
    assert 'class="figure-chart"' in r.text and '<rect class="bar"' in r.text  # drawn by the server
    assert "<script" not in r.text.split("<main", 1)[-1]
    shown = [head] + [[row[0], *(_number(c) for c in row[1:])] for row in body]

    csv_r = browser.get("/dashboard/broker/export.csv")
    assert csv_r.status_code == 200 and csv_r.headers["content-type"].startswith("text/csv")
    assert "attachment" in csv_r.headers["content-disposition"]
    exported = list(csv.reader(io.StringIO(csv_r.content.decode("utf-8-sig"))))
    _same(shown, exported)

    xlsx_r = browser.get("/dashboard/broker/export.xlsx")
    assert xlsx_r.status_code == 200 and xlsx_r.content[:2] == b"PK"
    _same(shown, xlsx_rows(xlsx_r.content))


def test_filters_and_grouping_and_their_export(env):
    ids = figures_known_set(env)
    browser = logged_in(env, "broker")
    zhongan = ids["中安财产保险股份有限公司"]
    r = browser.get(f"/dashboard/broker?insurer={zhongan}&by=region")
    assert r.status_code == 200, r.text
    head, *body = html_table(r.text, "dashboard-table")
    rows = {row[0]: dict(zip(head, row, strict=True)) for row in body}
    assert {k: v["报案数"] for k, v in rows.items()} == {"上海": "3", "浙江": "1", "全部": "4"}  # A C F; B
    exported = list(
        csv.reader(
            io.StringIO(browser.get(f"/dashboard/broker/export.csv?insurer={zhongan}&by=region").text.lstrip("\ufeff"))
        )
    )
    assert [row[0] for row in exported] == ["地区", "上海", "浙江", "全部"]
    one_month = html_table(browser.get("/dashboard/broker?from=2026-10&to=2026-10").text, "dashboard-table")
    assert [row[0] for row in one_month[1:]] == ["2026-10", "全部"] and one_month[-1][1] == "3"
    # By default the last twelve months (now is 2026-11-25): the form says from which.
    default = browser.get("/dashboard/broker").text
    assert 'id="f-from" name="from" value="2025-12"' in default and ">清除</a>" not in default
    assert ">清除</a>" in browser.get("/dashboard/broker?from=2026-10").text
    bad = browser.get("/dashboard/broker?from=2026-13")
    assert bad.status_code == 422 and "请输入月份，例如 2026-03。" in text_of(bad)


def test_figures_behind_fewer_than_five_insureds_are_hidden_outside_the_broker(env):
    figures_known_set(env)
    insurer = logged_in(env, "insurer1")  # 中安: A, B, C, F, four insureds
    r = insurer.get("/dashboard/insurer")
    assert r.status_code == 200, r.text
    cells = [c for row in html_table(r.text, "dashboard-table")[1:] for c in row[1:]]
    assert cells and set(cells) == {NOT_ENOUGH}
    exported = list(csv.reader(io.StringIO(insurer.get("/dashboard/insurer/export.csv").content.decode("utf-8-sig"))))
    assert {c for row in exported[1:] for c in row[1:]} == {NOT_ENOUGH}
    regulator = logged_in(env, "regulator")  # the market: six insureds behind the claims
    head, *body = html_table(regulator.get("/dashboard/supervision").text, "dashboard-table")
    total = dict(zip(head, body[-1], strict=True))
    assert total["报案数"] == "6" and total["委托公估率 %"] == "50.0" and total["时限内完成率 %"] == "66.7"
    assert total["公估供给率 %"] == NOT_ENOUGH and total["报案→委派公估 中位天数"] == NOT_ENOUGH
    assert 'href="/payables"' in r.text  # what the insurer acts on: its payables
    own = logged_in(env, "insured1")  # its own claim A only: shown
    head, *body = html_table(own.get("/dashboard/insured").text, "dashboard-table")
    total = dict(zip(head, body[-1], strict=True))
    assert total["报案数"] == "1" and total["报案→公估报告 中位天数"] == "11.0"


@pytest.mark.parametrize(
    ("user", "path"),
    [
        ("insurer1", "/dashboard/broker"),
        ("adjuster1", "/dashboard/insurer"),
        ("insured1", "/dashboard/supervision"),
        ("broker", "/dashboard/firm/export.csv"),
        ("broker", "/dashboard/nobody"),
    ],
)
def test_another_roles_dashboard_is_not_found(env, user, path):
    assert logged_in(env, user).get(path).status_code == 404


def test_a_filter_on_another_partys_organisation_is_not_found(env):
    ids = figures_known_set(env)
    insurer = logged_in(env, "insurer1")
    assert insurer.get(f"/dashboard/insurer?insurer={ids['中安财产保险股份有限公司']}").status_code == 200
    assert insurer.get(f"/dashboard/insurer?insurer={ids['太和财产保险股份有限公司']}").status_code == 404
    assert insurer.get(f"/dashboard/insurer?insurer={uuid.uuid4()}").status_code == 404
    firm = logged_in(env, "adjuster1")  # 华信 works A only
    assert firm.get(f"/dashboard/firm?firm={ids['王建国']}").status_code == 200
    assert firm.get(f"/dashboard/firm/export.xlsx?firm={ids['张伟']}").status_code == 404
    assert logged_in(env, "broker").get("/dashboard/broker").status_code == 200
