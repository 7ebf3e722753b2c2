"""Issue 22 corrections on the pages: each party through its own login, errors beside the field."""

from __future__ import annotations

from tests.claim.test_claim_corrections import accepted_with_team, notice
from tests.claim.test_journey_api import _draft, _ok
from tests.web.test_claim_pages import post, text_of
from tests.web.test_pages import logged_in


def test_survey_form_refuses_a_time_before_the_notice_or_in_the_future_beside_the_field(env):
    cid = notice(env)
    me = accepted_with_team(env, cid)
    firm = logged_in(env, "adjuster1")
    case = f"/claims/{cid}"
    r = post(firm, f"{case}/surveys", {"scheduled_at": "2026-11-25T14:00", "surveyed_at": "2026-11-25T15:00"})
    assert r.status_code == 422
    assert 'id="survey-surveyed_at-error"' in r.text and "查勘时间不能晚于当前时间" in text_of(r)
    r = post(firm, f"{case}/surveys", {"scheduled_at": "2026-11-25T14:00", "surveyed_at": "2026-11-24T23:00"})
    assert r.status_code == 422 and "查勘时间不能早于报案时间" in text_of(r)
    # Scheduled only: the report cannot be signed and submitted yet, and the page says why.
    assert post(firm, f"{case}/surveys", {"scheduled_at": "2026-11-25T14:00"}).status_code == 303
    _ok(env.client("adjuster1").put(f"/api/v1/claims/{cid}/report-draft", json=_draft()))
    r = post(firm, f"{case}/reports", {"signers": [me["王建国"], me["李娜"]]})
    assert r.status_code == 409 and "请先记录现场查勘已完成" in text_of(r)
