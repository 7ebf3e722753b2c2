"""The risk page of a bound policy and the broker's insurer record, server-rendered in zh-CN: the broker
proposes the interval, the insured agrees, the re-survey opens on a moved clock, the firm files the staged
report through the form (a missing field shown beside it, nothing saved), the chart of open points by level
per stage; strangers get 404."""

from __future__ import annotations

import datetime as dt
import re
import uuid

from sqlalchemy import select

from tandem.inforce.models import StagedSurvey
from tests.helpers import logged_in, policy_bound, post, run_jobs, text_of

FORM = {
    "subject": "南湖厂区第一次阶段性复查",
    "ref.0": "1", "state.0": "remedied", "evidence.0": "电缆已更换，见验收单。",
    "ref.1": "2", "state.1": "not_remedied", "evidence.1": "消防通道仍被占用。",
    "ref.2": "3", "state.2": "not_remedied", "evidence.2": "化学品库未整改。",
    "new_ref": "4", "new_title": "屋面彩钢板锈蚀", "new_description": "A 栋屋面锈蚀。", "new_location": "A 栋屋面",
    "new_level": "中", "new_coefficient": "1.0300", "new_advice": "更换锈蚀板材。",
    "advice": "整改未完成项。", "environmental": "危废暂存间已设防渗。", "safety": "消防通道仍被占用。",
}  # fmt: skip


def test_the_risk_page_through_a_staged_report(env):
    pid = policy_bound(env)
    base = f"/policies/{pid}/risk"
    broker = logged_in(env, "broker")
    assert 'id="risk-page-link"' in broker.get(f"/policies/{pid}").text
    r = post(broker, f"{base}/plan", {"interval_months": "0", "lead_days": "14"})
    assert r.status_code == 422 and "请选择 1 至 12 个月的间隔。" in text_of(r)
    r = post(broker, f"{base}/plan", {"interval_months": "6", "lead_days": "14"})
    assert r.status_code == 303
    insured = logged_in(env, "insured1")
    assert 'id="staged-agree"' in insured.get(base).text
    assert post(insured, f"{base}/agree").status_code == 303
    page = text_of(insured.get(base))
    assert "已约定" in page or "已排期" in page
    assert "出单时" in page and "配电房电缆老化" in page

    with env.session() as s:
        survey = s.execute(select(StagedSurvey).where(StagedSurvey.policy_id == uuid.UUID(pid))).scalars().one()
    env.clock.current = survey.opens_at + dt.timedelta(hours=1)
    run_jobs(env)
    firm = logged_in(env, "adjuster3")
    form_page = firm.get(base).text
    assert 'id="staged-report-form"' in form_page
    signers = re.findall(r'name="signer_ids" value="([0-9a-f-]+)"', form_page)
    assert len(signers) == 2
    r = post(firm, f"{base}/report", {**FORM, "evidence.1": "", "signer_ids": signers})
    assert r.status_code == 422 and 'id="evidence.1-error"' in r.text
    r = post(firm, f"{base}/report", {**FORM, "signer_ids": signers})
    assert r.status_code == 303, text_of(r)

    insured = logged_in(env, "insured1")  # the session lapsed with the moved clock
    page = insured.get(base).text
    words = text_of(insured.get(base))
    assert "第 1 阶段" in words and "已整改" in words and "未整改" in words and "新增" in words
    # The chart: stage 0 has 3 open points (中, 高, 重大), stage 1 has 3 (2 中, 1 重大).
    bars = re.findall(r'data-stage="(\d)" data-level="(\S+)" data-count="(\d)"', page)
    at_binding = [("0", "中", "1"), ("0", "重大", "1"), ("0", "高", "1")]
    stage_1 = [("1", "中", "2"), ("1", "重大", "1")]
    assert sorted(bars) == at_binding + stage_1
    assert "remedied" not in words and "staged" not in words  # no codes on the zh-CN page

    # The broker's insurer record; the insured is not the broker (403), a stranger gets 404.
    broker = logged_in(env, "broker")
    record = broker.get(f"/policies/{pid}/insurer-record")
    assert record.status_code == 200 and "报案后30日内核定" in text_of(record)
    assert insured.get(f"/policies/{pid}/insurer-record").status_code == 403
    assert logged_in(env, "insured2").get(base).status_code == 404
    assert broker.get("/insurer-records").status_code == 200
