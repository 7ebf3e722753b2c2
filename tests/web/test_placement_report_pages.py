"""The pre-assessment report as pages (R-U3): the firm adds its second, records a visit with a photo,
writes the draft (values per section, risk points added on the server; errors beside the fields), signs
and sends it to the co-signer, who signs in person from their own login; the insured then sees the
submitted report with its PDFs."""

from __future__ import annotations

import datetime as dt
import re

from tandem.kit.clock import SHANGHAI
from tests.helpers import logged_in, placement_surveying, post, text_of

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64


def _local(t: dt.datetime) -> str:
    return t.astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M")


def _draft_form(**changes: str) -> dict[str, str]:
    form = {
        "subject": "南湖厂区及秀洲仓库",
        "values.S1-1.replacement_value": "38,500,000.00",
        "values.S1-1.basis": "重置成本法",
        "values.S1-2.replacement_value": "19200000",
        "values.S2-1.replacement_value": "8000000",
        "risk.rows": "1",
        "risk.0.ref": "",
        "risk.0.title": "配电房电缆老化",
        "risk.0.location": "2号厂房配电房",
        "risk.0.site_ref": "S1",
        "risk.0.level": "高",
        "risk.0.coefficient": "1.15",
        "risk.0.description": "电缆绝缘层开裂。",
        "risk.0.advice": "三个月内更换。",
        "environmental": "环评批复齐全。",
        "safety": "安评：电气线路老化。",
        "advice": "建立每日消防巡查制度。",
        "op": "save",
    }
    form.update(changes)
    return form


def test_the_firm_writes_and_both_adjusters_sign_the_pre_assessment_on_pages(env):
    p = placement_surveying(env)
    base = f"/placements/{p['id']}"
    lead, second = logged_in(env, "adjuster1"), logged_in(env, "adjuster2")

    page = lead.get(base)
    assert page.status_code == 200 and "预评估报告" in text_of(page) and "王建国" in text_of(page)
    ids = dict((n, i) for i, n in re.findall(r'<option value="([0-9a-f-]{36})"[^>]*>([^<]+)</option>', page.text))
    r = post(lead, f"{base}/pre-assessment/team", {"adjuster_id": ""})
    assert r.status_code == 422 and "请从列表中选择" in text_of(r)
    assert post(lead, f"{base}/pre-assessment/team", {"adjuster_id": ids["李娜"]}).status_code == 303

    # A visit in the future is refused beside the field; one with a photo is recorded.
    future = _local(env.clock.now() + dt.timedelta(hours=2))
    r = post(lead, f"{base}/pre-assessment/visits", {"visited_at": future, "participants": "王建国，李娜"})
    assert r.status_code == 422 and "查勘时间不能晚于现在" in text_of(r)
    env.clock.advance(hours=2)
    visited = _local(env.clock.now() - dt.timedelta(hours=1))
    visit = {"visited_at": visited, "participants": "王建国，李娜", "notes": "配电房电缆老化"}
    r = post(lead, f"{base}/pre-assessment/visits", visit, files={"photos": ("cable.png", PNG, "image/png")})
    assert r.status_code == 303, text_of(r)[:1500]
    page = lead.get(base)
    assert "cable.png" in page.text and "王建国、李娜" in text_of(page)
    photo = re.search(rf'href="({base}/survey-photos/[0-9a-f-]+)"', page.text)
    assert photo and lead.get(photo.group(1)).content == PNG

    # The draft editor: a risk point is added on the server; bad fields are marked beside them.
    assert lead.get(f"{base}/report-draft").status_code == 200
    r = post(lead, f"{base}/report-draft", _draft_form(op="add:risk"))
    assert r.status_code == 200 and 'name="risk.rows" value="2"' in r.text
    r = post(lead, f"{base}/report-draft", _draft_form(**{"risk.0.level": "", "risk.0.coefficient": "1.12345"}))
    assert r.status_code == 422
    assert 'id="d-risk.0.level-error"' in r.text and 'id="d-risk.0.coefficient-error"' in r.text
    assert "至多 4 位小数" in text_of(r)
    r = post(lead, f"{base}/report-draft", _draft_form())
    assert r.status_code == 303
    assert 'value="38500000.00"' in lead.get(f"{base}/report-draft").text

    # Sign and send to the co-signer; the second signs in person from their own login.
    page = lead.get(base)
    signers = re.findall(r'name="signers" value="([0-9a-f-]{36})"[^>]*>([^<]+)</label>', page.text)
    ids = {n.strip(): i for i, n in signers}
    r = post(lead, f"{base}/pre-assessment/submit", {"signers": [ids["王建国"]]})
    assert r.status_code == 422
    r = post(lead, f"{base}/pre-assessment/submit", {"signers": [ids["王建国"], ids["李娜"]]})
    assert r.status_code == 303
    page = second.get(base)
    assert "亲自签署报告 YP-2026-000001" in text_of(page)
    content_hash = re.search(r'name="content_hash" value="([0-9a-f]{64})"', page.text)
    assert content_hash
    r = post(second, f"{base}/pre-assessment/sign", {"content_hash": content_hash.group(1)})
    assert r.status_code == 303 and r.headers["location"].endswith("done=report#pre-assessment")

    # The insured sees the submitted report with its PDFs; nobody can edit the draft but the firm.
    insured = logged_in(env, "insured1")
    page = insured.get(base)
    assert "YP-2026-000001" in text_of(page) and "¥65,700,000.00" in text_of(page)
    assert "/pdf?lang=en" in page.text and "report-draft" not in page.text
    assert insured.get(f"{base}/report-draft").status_code == 403
    assert logged_in(env, "insured2").get(base).status_code == 404
