"""The risk register part of the placement's case file (R-U4), in zh-CN: the risk evaluator draws it up,
changes a coefficient (errors beside the fields), publishes it; the insured sees each choice's price and
decides (errors beside the fields); the account manager takes the placement to market."""

from __future__ import annotations

import re

from tests.helpers import consents_acknowledged, logged_in, placement_reported, post, text_of


def _risk_section(r) -> str:
    found = re.search(r'<section class="card" id="risk">.*?</section>', r.text, re.S)
    assert found, "no risk register on the page"
    return found.group(0)


def test_the_register_on_the_case_file_from_draft_to_market(env):
    pid = placement_reported(env)
    url = f"/placements/{pid}"
    evaluator = logged_in(env, "risk", **{"Accept-Language": "zh-CN"})
    insured = logged_in(env, "insured1", **{"Accept-Language": "zh-CN"})
    manager = logged_in(env, "broker", **{"Accept-Language": "zh-CN"})

    page = evaluator.get(url)
    assert page.status_code == 200 and "建立风险登记册" in _risk_section(page)
    assert 'id="risk"' not in insured.get(url).text  # nothing for the insured before it is published
    r = post(evaluator, f"{url}/risk/seed")
    assert r.status_code == 303 and r.headers["location"] == f"{url}?done=risk_seeded#risk"
    section = _risk_section(evaluator.get(url))
    assert "配电房电缆老化" in section and "YP-2026-000001" in section and "尚未向被保险人发布" in section

    # A coefficient below 1 and no reason: both errors beside their fields, nothing saved.
    point = {"ref": "2", "level": "中", "coefficient": "0.9", "reason": "", "advice": ""}
    r = post(evaluator, f"{url}/risk/point", point)
    assert r.status_code == 422
    section = _risk_section(r)
    assert 'id="coefficient-1-error"' in section and "请输入 1 至 10 之间" in section
    r = post(evaluator, f"{url}/risk/point", {**point, "level": "高", "coefficient": "1.08"})
    assert r.status_code == 422 and 'id="reason-1-error"' in _risk_section(r) and "请说明调整公估人意见的理由" in r.text
    r = post(
        evaluator,
        f"{url}/risk/point",
        {"ref": "2", "level": "高", "coefficient": "1.08", "reason": "复查仍未清理", "advice": "设专人每日巡查"},
    )
    assert r.status_code == 303
    text = text_of(evaluator.get(url))
    assert "公估人：中" in text and "公估人：1.0500" in text and "复查仍未清理" in text and "设专人每日巡查" in text
    assert post(evaluator, f"{url}/risk/publish").status_code == 303

    # The insured: totals and each choice's price; a remediation date in the past is refused beside the field.
    page = insured.get(url)
    section = _risk_section(page)
    assert 'id="total-now"' in section and 'id="total-remediated"' in section and 'id="total-none"' in section
    assert "加费：+" in text_of(page) and "按险种和产品" not in section  # no per-product figures for the insured
    assert "按险种和产品" in _risk_section(manager.get(url))  # the broker sees every fitting product
    form = {"ref.0": "1", "choice.0": "remediate", "committed_date.0": "2026-11-01"}
    form |= {"ref.1": "2", "choice.1": "premium"}
    r = post(insured, f"{url}/risk/decisions", {**form, "ref.2": "3"})
    assert r.status_code == 422
    section = _risk_section(r)
    assert 'id="committed_date-0-error"' in section and "承诺整改日期不能早于今天" in section
    r = post(insured, f"{url}/risk/decisions", {**form, "committed_date.0": "2027-03-31", "ref.2": "3"})
    assert r.status_code == 303
    text = text_of(insured.get(url))
    assert re.search(r"整改任务： ?待整改", text)

    # The account manager takes it to market (the disclosure and the mandate acknowledged first, issue 15):
    # the decision form is gone, the choices stay on view.
    consents_acknowledged(env, pid)
    assert post(manager, f"{url}/go-to-market").status_code == 303
    page = insured.get(url)
    assert 'action="/placements/' + pid + '/risk/decisions"' not in page.text
    assert "项目已进入询价" in text_of(page) or "风险选择已冻结" in text_of(page)
    r = post(insured, f"{url}/risk/decisions", {**form, "committed_date.0": "2027-04-30", "ref.2": "3"})
    assert r.status_code == 409
