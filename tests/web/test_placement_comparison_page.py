"""The insurer comparison on the placement's case file (横评, R-U6), in zh-CN: the insured sees the
table with its rank, score, components and published weights, asks the broker to recommend; the
broker's account manager recommends with reasons (errors beside the fields); the insured confirms.
Other parties on the case see no choice forms; the PDF downloads in both languages."""

from __future__ import annotations

import re

from tandem.placement import comparison_stats as stats
from tests.helpers import ZHONGAN, _ok, comparison_ready, logged_in, pdf_text, post, text_of

ZH = {"Accept-Language": "zh-CN"}


def _section(r) -> str:
    found = re.search(r'<section class="card" id="comparison">.*?</section>', r.text, re.S)
    assert found, "no comparison on the page"
    return found.group(0)


def test_the_insured_asks_the_broker_recommends_and_the_insured_confirms(env):
    pid, ids, _names = comparison_ready(env)
    url = f"/placements/{pid}"
    insured, manager = logged_in(env, "insured1", **ZH), logged_in(env, "broker", **ZH)

    section = _section(insured.get(url))
    words = text_of(type("R", (), {"text": section})())
    assert "保险公司横评" in words and "短名单第 1 版" in words and "诚信评分" in words
    assert "报案至赔付天数中位数" in words and "公布权重 15。" in words and "数据不足" in words
    assert "不排名" in words  # the insurer with 4 insureds behind it
    assert 'id="pick-form"' in section and 'id="recommend-form"' not in section
    assert 'id="pick-form"' not in _section(manager.get(url))

    r = post(insured, f"{url}/comparison/choice", {"action": "ask"})
    assert r.status_code == 303 and r.headers["location"] == f"{url}?done=insurer_ask#comparison"
    section = _section(manager.get(url))
    assert 'id="recommend-form"' in section and "被保险人已请经纪人推荐保险公司" in section

    r = post(manager, f"{url}/comparison/choice", {"action": "recommend", "insurer_id": str(ids[ZHONGAN])})
    assert r.status_code == 422 and 'id="reasons-error"' in _section(r) and "请说明推荐理由" in _section(r)
    why = "理赔最快，30日内核定比例最高。"
    r = post(
        manager, f"{url}/comparison/choice", {"action": "recommend", "insurer_id": str(ids[ZHONGAN]), "reasons": why}
    )
    assert r.status_code == 303

    section = _section(insured.get(url))
    assert why in section and f"确认选择{ZHONGAN}" in section
    r = post(insured, f"{url}/comparison/choice", {"action": "confirm"})
    assert r.status_code == 303
    page = insured.get(r.headers["location"])
    assert "已确认所推荐的保险公司" in text_of(page)
    state = re.search(r'<p id="choice-state">.*?</p>', _section(page), re.S)
    assert state and "已选定" in state.group(0) and ZHONGAN in state.group(0) and "按经纪人推荐" in state.group(0)

    # The broker's adjuster reads the comparison without forms; the PDF in either language.
    firm = logged_in(env, "adjuster1", **ZH)
    assert "<form" not in _section(firm.get(url))
    pdf = firm.get(f"{url}/comparison.pdf")
    assert pdf.status_code == 200 and "诚信评分" in pdf_text(pdf.content)
    assert "Integrity score" in pdf_text(firm.get(f"{url}/comparison.pdf?lang=en").content)


def test_outsiders_get_no_comparison_pdf(env):
    pid, _ids, _names = comparison_ready(env)
    other = logged_in(env, "insured2", **ZH)
    assert other.get(f"/placements/{pid}/comparison.pdf").status_code == 404
    r = post(other, f"/placements/{pid}/comparison/choice", {"action": "ask"})
    assert r.status_code == 404


def test_the_underwriter_declares_the_process_on_the_products_page(env):
    uw = logged_in(env, "underwriter1", **ZH)
    r = post(uw, "/products/underwriting", {"steps": "投保资料初审\n核保定价", "turnaround_days": "0"})
    assert r.status_code == 422 and 'id="turnaround_days-error"' in r.text
    r = post(uw, "/products/underwriting", {"steps": "投保资料初审\n\n核保定价\n出具报价", "turnaround_days": "6"})
    assert r.status_code == 303 and r.headers["location"] == "/products?done=underwriting"
    page = text_of(uw.get(r.headers["location"]))
    assert "投保资料初审 → 核保定价 → 出具报价" in page and "6 个工作日内报价" in page
    broker = logged_in(env, "broker", **ZH)
    assert "投保资料初审 → 核保定价 → 出具报价" in text_of(broker.get("/products"))
    assert post(broker, "/products/underwriting", {"steps": "x", "turnaround_days": "5"}).status_code == 403


def test_the_account_manager_publishes_the_weights_from_the_comparison(env):
    pid, _ids, _names = comparison_ready(env)
    url = f"/placements/{pid}"
    manager = logged_in(env, "broker", **ZH)
    assert 'id="weights"' in _section(manager.get(url))
    assert 'id="weights"' not in _section(logged_in(env, "insured1", **ZH).get(url))
    assert 'id="weights"' not in _section(logged_in(env, "risk", **ZH).get(url))
    defaults = {f"w_{code}": str(w) for code, w in stats.DEFAULT_WEIGHTS.items()}
    r = post(manager, f"{url}/comparison/weights", defaults | {"w_refusals": "120", "w_disputes": "x"})
    assert r.status_code == 422 and 'id="w_refusals-error"' in r.text and 'id="w_disputes-error"' in r.text
    r = post(manager, f"{url}/comparison/weights", defaults | {"w_refusals": "30", "w_complaints": "0"})
    assert r.status_code == 303 and r.headers["location"] == f"{url}?done=weights#comparison"
    assert "公布权重 30。" in text_of(manager.get(r.headers["location"]))
    assert _ok(env.client("broker").get("/api/v1/comparison-weights"))["weights"]["refusals"] == 30
