"""Stage 1 screening on the placement's case file (R-U5), in zh-CN: the broker's staff see the products
kept and left out with the reasons in words, save the shortlist (errors beside the fields); the insured
sees no screening card."""

from __future__ import annotations

import re

from tests.helpers import _ok, logged_in, placement_reported, post, text_of


def _section(r) -> str:
    found = re.search(r'<section class="card" id="screening">.*?</section>', r.text, re.S)
    assert found, "no screening on the page"
    return found.group(0)


def test_the_broker_screens_and_saves_the_shortlist_on_the_case_file(env):
    pid = placement_reported(env)
    url = f"/placements/{pid}"
    manager = logged_in(env, "broker", **{"Accept-Language": "zh-CN"})
    insured = logged_in(env, "insured1", **{"Accept-Language": "zh-CN"})
    assert 'id="screening"' not in manager.get(url).text  # not before the insured decides
    risk = env.client("risk")
    _ok(risk.post(f"/api/v1/placements/{pid}/risk-register"), 201)
    _ok(risk.post(f"/api/v1/placements/{pid}/risk-register/publish"))

    section = _section(manager.get(url))
    assert "保险公司初筛" in section and "尚未保存短名单" in section and "火灾" in section

    r = post(manager, f"{url}/shortlist", {"min_solvency": "abc", "ratings": "A", "fund_mode": "traditional"})
    assert r.status_code == 422 and 'id="min_solvency-error"' in _section(r)

    r = post(manager, f"{url}/shortlist", {"min_solvency": "100", "ratings": "A", "fund_mode": "traditional"})
    assert r.status_code == 303 and r.headers["location"] == f"{url}?done=shortlist_saved#screening"
    page = manager.get(r.headers["location"])
    assert "短名单已作为新版本保存到案卷" in text_of(page)
    section = _section(page)
    assert "短名单第 1 版" in section
    excluded = re.search(r'<table id="screening-excluded">.*?</table>', section, re.S)
    assert excluded and "风险综合评级 B 不在 A 之内。" in excluded.group(0)
    assert 'id="screening"' not in insured.get(url).text

    # The broker names the perils: earthquake, which every demo product excludes.
    form = {"min_solvency": "100", "ratings": "A B", "fund_mode": "traditional", "perils": "earthquake"}
    assert post(manager, f"{url}/shortlist", form).status_code == 303
    section = _section(manager.get(url))
    assert "短名单第 2 版" in section and "除外了风险点涉及的风险：地震（-）。" in section
