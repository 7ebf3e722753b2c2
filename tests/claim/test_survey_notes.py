"""The broker's help at the site survey (issue 22 item 10, R-C3): the broker's staff join a survey as
participants and add notes and photos, each for one audience of the case; the adjuster, the insured and
the insurer see what their channel carries and nothing else."""

from __future__ import annotations

from sqlalchemy import select

from tandem.access.models import User
from tests.helpers import POLICY1, _ok, notice, surveyed

PHOTO = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64


def _notes(env, user: str, cid: str) -> list[dict]:
    case = _ok(env.client(user).get(f"/api/v1/claims/{cid}/case"))
    return case["surveys"][0]["notes_added"]


def test_the_brokers_staff_join_the_survey_with_notes_and_photos_for_their_audience(env):
    cid = notice(env, "insured1", POLICY1)
    survey_id = surveyed(env, cid)
    broker = env.client("broker")
    files = {"file": ("roof.png", PHOTO, "image/png")}
    doc = _ok(broker.post(f"/api/v1/claims/{cid}/documents", files=files, data={"audience": "all"}), 201)
    photo = next(d["sha256"] for d in doc["documents"] if d["filename"] == "roof.png")
    url = f"/api/v1/claims/{cid}/surveys/{survey_id}/notes"

    case = _ok(broker.post(url, json={"body": "屋面东侧塌落约200平方米，已拍照", "photo_hashes": [photo]}), 201)
    with env.session() as s:
        me = s.execute(select(User.display_name).where(User.username == "broker")).scalar_one()
    survey = case["surveys"][0]
    assert me in survey["participants"]  # joined as a participant
    assert survey["notes_added"][0]["by"] == me and survey["notes_added"][0]["photo_hashes"] == [photo]
    _ok(broker.post(url, json={"body": "仅供公估师：业主对损失金额预期偏高", "audience": "broker_adjuster"}), 201)
    assert [n["audience"] for n in _notes(env, "adjuster1", cid)] == ["all", "broker_adjuster"]
    for user in ("insured1", "insurer1"):
        assert [n["audience"] for n in _notes(env, user, cid)] == ["all"], user
        timeline = _ok(env.client(user).get(f"/api/v1/claims/{cid}/case"))["timeline"]
        assert [e["action"] for e in timeline].count("claim.survey_note_added") == 1, user

    # Photos are the case's evidence; notes need words; only the broker's staff add them; others' ids 404.
    r = broker.post(url, json={"body": "x", "photo_hashes": ["0" * 64]})
    assert r.status_code == 422 and list(r.json()["error"]["fields"]) == ["photo_hashes"], r.text
    r = broker.post(url, json={"body": "   "})
    assert r.status_code == 422 and "body" in r.json()["error"]["fields"], r.text
    assert env.client("insurer1").post(url, json={"body": "保险公司备注"}).status_code == 403
    assert broker.post(f"/api/v1/claims/{cid}/surveys/{cid}/notes", json={"body": "x"}).status_code == 404
    assert len(_notes(env, "broker", cid)) == 2  # nothing half-written
