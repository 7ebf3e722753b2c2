"""Products pages: the underwriter's catalogue and form (errors beside the fields, nothing written, the
same checks as the API), publishing, the broker's read-only view, and 404 for another insurer's
product and for those who see no products."""

from __future__ import annotations

import html
import re
import uuid

import pytest
from sqlalchemy import func, select

from tandem.party.models import InsurerProduct, ProductStatus
from tests.helpers import csrf_of, logged_in, one

GOOD = {
    "code": "ZA-WEB-1",
    "name": "企业财产保险（网页）",
    "lines": ["企业财产保险", "营业中断保险"],
    "fund_mode": "traditional",
    "valid_from": "2026-01-01",
    "valid_until": "",
    "summary": "列明风险",
    "peril.fire": "covered",
    "peril.flood": "covered",
    "peril.earthquake": "excluded",
    "capacity": "300,000,000.00",
    "currency": "CNY",
    "rates[0].section_type": "building",
    "rates[0].rate_permille": "0.85",
    "rates[1].section_type": "",
    "rates[1].rate_permille": "",
    "rates[2].section_type": "stock",
    "rates[2].rate_permille": "1.20",
    "factors[0].code": "sprinkler",
    "factors[0].min": "0.80",
    "factors[0].max": "1.00",
    "coefficient_min": "0.70",
    "coefficient_max": "1.30",
    "minimum_premium": "1000",
    "short_period": "table",
}


def product_id(env, code: str) -> str:
    return str(one(env, select(InsurerProduct.id).where(InsurerProduct.code == code)))


def count(env) -> int:
    return one(env, select(func.count()).select_from(InsurerProduct))


def error_beside(page: str, name: str) -> str:
    """The error text shown beside the field ``name`` (its ``…-error`` element)."""
    found = re.search(rf'id="{re.escape(name)}-error">([^<]*)<', page)
    assert found, f"no error beside {name}"
    return html.unescape(found.group(1))


def post_new(client, **changes):
    token = csrf_of(client.get("/products/new").text)
    return client.post("/products/new", data={**GOOD, **changes, "csrf_token": token})


def test_underwriter_sees_own_catalogue_and_standing(env) -> None:
    page = logged_in(env, "underwriter1").get("/products").text
    assert "中安财产保险股份有限公司" in page and "ZA-QC-2024" in page and "215.4" in page
    assert "ZA-QC-2021" in page  # its own withdrawn product
    assert "TH-HW-2026" not in page  # a competitor's draft
    assert 'href="/products/new"' in page
    assert "新建产品" in page and "综合偿付能力充足率" in page


def test_underwriter_creates_a_product_through_the_form_and_publishes_it(env) -> None:
    client = logged_in(env, "underwriter1")
    r = post_new(client)
    assert r.status_code == 303, r.text
    pid = product_id(env, "ZA-WEB-1")
    assert r.headers["location"] == f"/products/{pid}?done=created"
    with env.session() as s:
        p = s.get(InsurerProduct, uuid.UUID(pid))
        assert p is not None
        assert [r["section_type"] for r in p.rates] == ["building", "stock"]  # the blank row left out
        assert (p.capacity, p.status, p.perils_excluded) == (300000000, ProductStatus.DRAFT, ["earthquake"])
    page = client.get(f"/products/{pid}?done=created").text
    assert "产品已保存为草稿" in page and "火灾" in page and "地震" in page and "0.85" in page
    token = csrf_of(page)
    r = client.post(f"/products/{pid}/actions", data={"action": "publish", "csrf_token": token})
    assert r.status_code == 303
    assert one(env, select(InsurerProduct.status).where(InsurerProduct.code == "ZA-WEB-1")) == ProductStatus.PUBLISHED
    assert "ZA-WEB-1" in logged_in(env, "broker").get("/products").text


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"rates[2].rate_permille": "0"}, "rates[1].rate_permille", "须大于0"),
        ({"rates[0].rate_permille": "abc"}, "rates[0].rate_permille", "请输入数字"),
        ({"rates[2].section_type": "building"}, "rates[1].section_type", "重复"),
        ({"factors[0].max": "0.5"}, "factors[0].max", "低于下限"),
        ({"capacity": ""}, "capacity", "必填"),
        ({"valid_until": "2025-01-01"}, "valid_until", "早于有效期起始日"),
        ({"valid_from": "01/01/2026"}, "valid_from", "YYYY-MM-DD"),
        ({"lines": []}, "lines", "至少"),
        ({"peril.fire": "", "peril.flood": ""}, "perils_covered", "至少"),
        ({"code": "ZA-QC-2024"}, "code", "已被使用"),
        ({"minimum_premium": "10.001"}, "minimum_premium", "两位小数"),
    ],
)
def test_form_errors_are_shown_beside_the_fields_and_nothing_is_written(env, changes, field, words) -> None:
    client = logged_in(env, "underwriter1")
    before = count(env)
    r = post_new(client, **changes)
    assert r.status_code in (409, 422), r.text
    assert words in error_beside(r.text, field)
    assert count(env) == before
    # what was typed is kept
    assert 'value="企业财产保险（网页）"' in r.text


def test_errors_in_english(env) -> None:
    client = logged_in(env, "underwriter1", **{"Accept-Language": "en"})
    client.cookies.set("tandem_lang", "en")
    r = post_new(client, **{"rates[0].rate_permille": "2000"})
    assert r.status_code == 422
    assert "at most 1000" in error_beside(r.text, "rates[0].rate_permille")


def test_edit_keeps_the_version_and_a_stale_form_is_refused(env) -> None:
    client = logged_in(env, "underwriter1")
    pid = product_id(env, "ZA-JX-2025")
    form = client.get(f"/products/{pid}/edit").text
    assert 'value="2.50"' in form and "机器损坏保险" in form
    token = csrf_of(form)
    data = {**GOOD, "code": "ZA-JX-2025", "version": "1", "csrf_token": token}
    assert client.post(f"/products/{pid}/edit", data=data).status_code == 303
    stale = client.post(f"/products/{pid}/edit", data=data)
    assert stale.status_code == 409


def test_broker_reads_products_but_cannot_edit(env) -> None:
    broker = logged_in(env, "broker")
    page = broker.get("/products").text
    assert "太和财产保险股份有限公司" in page and "TH-CA-2025" in page and "TH-HW-2026" not in page
    assert 'href="/products/new"' not in page
    pid = product_id(env, "ZA-QC-2024")
    detail = broker.get(f"/products/{pid}").text
    assert "企业财产保险（2024版）" in detail and "/edit" not in detail and 'name="action"' not in detail
    assert broker.get(f"/products/{pid}/edit").status_code == 403
    assert broker.get("/products/new").status_code == 403


def test_another_insurer_gets_404_for_a_product_not_its_own(env) -> None:
    other = logged_in(env, "underwriter2")
    missing = other.get("/products/00000000-0000-0000-0000-000000000000")
    published, withdrawn = product_id(env, "ZA-QC-2024"), product_id(env, "ZA-QC-2021")
    assert other.get(f"/products/{published}").status_code == 200  # published: it may read it
    for path in (f"/products/{published}/edit", f"/products/{withdrawn}", f"/products/{withdrawn}/edit"):
        r = other.get(path)
        assert (r.status_code, r.text) == (404, missing.text)
    token = csrf_of(other.get("/products").text)
    r = other.post(f"/products/{published}/edit", data={**GOOD, "csrf_token": token})
    assert r.status_code == 404
    assert one(env, select(InsurerProduct.name).where(InsurerProduct.code == "ZA-QC-2024")) == "企业财产保险（2024版）"


@pytest.mark.parametrize("user", ["insured1", "adjuster1"])
def test_parties_without_products_get_404(env, user) -> None:
    client = logged_in(env, user)
    assert client.get("/products").status_code == 404
    assert client.get(f"/products/{product_id(env, 'ZA-QC-2024')}").status_code == 404


def test_underwriter_records_the_standing_with_errors_beside_the_fields(env) -> None:
    from tandem.party.models import Insurer

    client = logged_in(env, "underwriter1")
    token = csrf_of(client.get("/products").text)
    bad = {"solvency_ratio": "abc", "risk_rating": "E", "as_of": "2027-01-01", "csrf_token": token}
    r = client.post("/products/standing", data=bad)
    assert r.status_code == 422
    assert "请输入数字" in error_beside(r.text, "solvency_ratio")
    assert "不是列表中的取值" in error_beside(r.text, "risk_rating")
    assert "不能晚于今天" in error_beside(r.text, "as_of")
    good = {"solvency_ratio": "182.5%", "risk_rating": "B", "as_of": "2026-09-30", "csrf_token": token}
    r = client.post("/products/standing", data=good)
    assert (r.status_code, r.headers["location"]) == (303, "/products?done=standing")
    with env.session() as s:
        record = s.execute(select(Insurer).join(Insurer.organisation).where(Insurer.risk_rating == "B")).scalars()
        assert {(str(x.solvency_ratio), x.organisation.name) for x in record} >= {("182.5", "中安财产保险股份有限公司")}
    page = client.get("/products?done=standing").text
    assert "偿付能力信息已保存" in page and "182.5" in page
    # a broker may not: the form is not there and the post is refused
    broker = logged_in(env, "broker")
    assert 'action="/products/standing"' not in broker.get("/products").text
    r = broker.post("/products/standing", data={**good, "csrf_token": csrf_of(broker.get("/products").text)})
    assert r.status_code == 403
