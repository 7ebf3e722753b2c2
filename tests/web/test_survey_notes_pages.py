"""The broker's staff join a site survey from the case page with a note and a photo (issue 22 item 10)."""

from __future__ import annotations

from tests.helpers import POLICY1, _ok, logged_in, notice, post, surveyed, text_of

PHOTO = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64


def test_the_broker_adds_a_note_and_a_photo_to_the_survey_on_the_case_page(env):
    cid = notice(env, "insured1", POLICY1)
    survey_id = surveyed(env, cid)
    case = f"/claims/{cid}"
    broker, insured, firm = logged_in(env, "broker"), logged_in(env, "insured1"), logged_in(env, "adjuster1")
    assert f'id="note-form-{survey_id}"' in broker.get(case).text
    assert f'id="note-form-{survey_id}"' not in insured.get(case).text  # the broker's staff join surveys
    url = f"{case}/surveys/{survey_id}/notes"
    r = post(broker, url, {"body": "", "audience": "all"})
    assert r.status_code == 422 and f'id="note-body-{survey_id}-error"' in r.text
    files = {"file": ("roof.png", PHOTO, "image/png")}
    r = post(broker, url, {"body": "屋面东侧塌落，现场已拍照", "audience": "all"}, files=files)
    assert r.status_code == 303, r.text
    for client in (firm, insured):
        assert "屋面东侧塌落，现场已拍照" in text_of(client.get(case))
    docs = _ok(env.client("adjuster1").get(f"/api/v1/claims/{cid}/case"))["documents"]
    assert any(d["filename"] == "roof.png" for d in docs)  # the photo is evidence of the case
    assert post(broker, url, {"body": "仅经纪人与保险公司可见", "audience": "broker_insurer"}).status_code == 303
    assert "仅经纪人与保险公司可见" in text_of(logged_in(env, "insurer1").get(case))
    assert "仅经纪人与保险公司可见" not in text_of(firm.get(case))
