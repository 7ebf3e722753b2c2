"""The register page the insured searches (R-U1): in its language, filtered, paged, no personal data;
a filter the page does not know is named beside its field."""

from __future__ import annotations

from tests.helpers import logged_in, text_of


def test_the_insured_searches_the_register_page(env):
    browser = logged_in(env, "insured1")
    home = browser.get("/")
    assert 'href="/adjuster-register"' in home.text  # in the insured's navigation

    r = browser.get("/adjuster-register", params={"line": "货物运输保险"})
    page = text_of(r)
    assert r.status_code == 200 and "公估师名录" in page
    names = ("李娜", "郑晓红", "陈亮", "罗振华")
    assert all(n in page for n in names) and "王建国" not in page
    assert "Sanctioned" not in page and "sanctioned" not in page  # statuses in words, translated
    for personal in ("3101", "GGS", "@demo", "1395"):
        assert personal not in r.text

    first = browser.get("/adjuster-register")
    assert first.text.count('<td class="primary"') == 14  # one row per adjuster, all on the first page
    assert "下一页" not in text_of(first)


def test_english_page_and_errors_beside_fields(env):
    browser = logged_in(env, "insured1", **{"Accept-Language": "en"})
    r = browser.get("/adjuster-register", params={"q": "正衡", "province": "浙江"})
    page = text_of(r)
    assert "Adjuster register" in page and "张伟" in page and "王建国" not in page
    assert "Zhejiang" in page and "Property all risks" in page

    bad = browser.get("/adjuster-register", params={"province": "火星", "q": "x" * 101})
    assert bad.status_code == 200
    assert 'id="province-error"' in bad.text and "Choose a province from the list." in bad.text
    assert 'id="q-error"' in bad.text and 'aria-invalid="true"' in bad.text
