"""The signed supervision feed (issue 20 item 5): a day's export holds the report copied to supervision,
the firms' filings, the notices and the market figures; it verifies with the platform's public key, and a
changed byte in any file fails naming that file; the API serves the same export to supervision and the
platform's administrators only (404 for everyone else)."""

from __future__ import annotations

import base64
import datetime as dt
import shutil
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from tandem.config import Settings
from tandem.kit.clock import today_local
from tandem.party.models import AdjusterFirm
from tandem.report.models import Report
from tandem.supervision import feed, signing
from tests.helpers import _ok, _to_reported


def notified(env, cid: str) -> dict:
    """A finding against the claim's adjuster, confirmed by a second risk evaluator: a notice (通报)."""
    claim = _ok(env.client("broker").get(f"/api/v1/claims/{cid}"))
    body = {
        "adjuster_id": claim["adjuster"]["id"],
        "case_id": cid,
        "kind": "procedure",
        "severity": "minor",
        "text": "查勘记录缺少现场照片",
    }
    f = _ok(env.client("risk").post("/api/v1/neutrality/findings", json=body), 201)
    return _ok(env.client("risk2").post(f"/api/v1/neutrality/findings/{f['id']}/confirm", json={"reason": "属实"}))


def write_export(env, folder: Path) -> dict:
    day = today_local(env.clock)
    with env.session() as s:
        records = feed.collect(s, day, env.clock.now())
    signing.write(signing.build(env.settings, day, records, env.clock.now()), folder)
    return records


def flip_one_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def test_export_round_trip_verifies_and_a_changed_byte_fails(env, tmp_path):
    cid = _to_reported(env)
    notice = notified(env, cid)
    records = write_export(env, tmp_path / "day")
    with env.session() as s:
        report = s.execute(select(Report)).scalar_one()
        firms = s.execute(select(AdjusterFirm.filing_no)).scalars().all()
    assert [(r["display_number"], r["content_hash"]) for r in records["reports"]] == [
        (report.display_number, report.content_hash)
    ]
    assert records["reports"][0]["submitted_at"].endswith("Z")
    assert sorted(f["filing_no"] for f in records["firm_filings"]) == sorted(firms)
    assert [(n["number"], n["state"]) for n in records["notices"]] == [(notice["number"], "notified")]
    total = next(r for r in records["figures"] if r["dimension"] == "total")
    assert total["period"] == today_local(env.clock).strftime("%Y-%m")
    assert total["figures"]["claims"]["value"] is None or total["figures"]["claims"]["value"] >= 1

    key = signing.private_key(env.settings).public_key()
    assert signing.verify(tmp_path / "day", key) is None
    lines = (tmp_path / "day" / "reports.jsonl").read_text().splitlines()
    assert len(lines) == 1
    for name in ("reports.jsonl", "firm_filings.jsonl", "manifest.json", "manifest.sig"):
        copy = tmp_path / f"changed-{name}"
        shutil.copytree(tmp_path / "day", copy)
        flip_one_byte(copy / name)
        problem = signing.verify(copy, key)
        assert problem is not None and name in problem.split(" does not match")[0], (name, problem)
    # Another key's signature does not verify; a missing or an added file is named.
    other = Ed25519PrivateKey.generate().public_key()
    wrong = signing.verify(tmp_path / "day", other) or ""
    assert wrong.startswith("manifest.json: the signature in manifest.sig does not match"), wrong
    (tmp_path / "day" / "extra.jsonl").write_text("{}\n")
    assert signing.verify(tmp_path / "day", key) == "extra.jsonl: not in the manifest"
    (tmp_path / "day" / "extra.jsonl").unlink()
    (tmp_path / "day" / "notices.jsonl").unlink()
    assert signing.verify(tmp_path / "day", key) == "notices.jsonl: missing"


def test_an_existing_folder_is_not_overwritten(env, tmp_path):
    (tmp_path / "out" / "day").mkdir(parents=True)
    with pytest.raises(FileExistsError):
        write_export(env, tmp_path / "out" / "day")
    assert list((tmp_path / "out" / "day").iterdir()) == []
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["day"]  # no temporary folder left behind


def test_the_day_is_the_asia_shanghai_day(env):
    start, end = feed.window(dt.date(2026, 11, 25))
    assert (start.isoformat(), end.isoformat()) == ("2026-11-24T16:00:00+00:00", "2026-11-25T16:00:00+00:00")
    _to_reported(env)  # submitted at 10:00 Shanghai on the 25th: not in the 24th's nor the 26th's export
    with env.session() as s:
        assert feed.collect(s, dt.date(2026, 11, 24), env.clock.now())["reports"] == []
        assert len(feed.collect(s, dt.date(2026, 11, 25), env.clock.now())["reports"]) == 1


def test_signing_key_setting():
    seed = bytes(range(32))
    mine = Settings(env="production", supervision_signing_key=base64.b64encode(seed).decode())
    expected = Ed25519PrivateKey.from_private_bytes(seed).public_key()
    assert signing.public_key_text(signing.private_key(mine).public_key()) == signing.public_key_text(expected)
    with pytest.raises(signing.SigningKeyError, match="TANDEM_SUPERVISION_SIGNING_KEY is not set"):
        signing.private_key(Settings(env="production"))
    with pytest.raises(signing.SigningKeyError, match="32 bytes"):
        signing.private_key(Settings(env="production", supervision_signing_key="c2hvcnQ="))
    dev = signing.private_key(Settings(env="development", secret_key="a"))
    assert signing.public_key_text(dev.public_key()) != signing.public_key_text(expected)


def test_api_serves_the_same_export_to_supervision_and_platform_admins_only(env, tmp_path):
    _to_reported(env)
    day = today_local(env.clock).isoformat()
    for user in ("broker", "adjuster1", "insurer1", "insured1", "risk"):
        r = env.client(user).get(f"/api/v1/supervision/feed/{day}")
        assert r.status_code == 404, (user, r.status_code)
    key = signing.private_key(env.settings).public_key()
    for user in ("regulator", "admin"):
        data = _ok(env.client(user).get(f"/api/v1/supervision/feed/{day}"))
        assert len(data["records"]["reports"]) == 1
        folder = tmp_path / user
        folder.mkdir()
        for name, text in data["files"].items():
            (folder / name).write_text(text)  # saved as received, it verifies
        assert signing.verify(folder, key) is None
        assert sorted(data["files"]) == sorted([*(f"{k}.jsonl" for k in feed.KINDS), "manifest.json", "manifest.sig"])
    regulator = env.client("regulator")
    r = regulator.get("/api/v1/supervision/feed/2026-13-01")
    assert r.status_code == 422 and "day" in r.text
    tomorrow = (today_local(env.clock) + dt.timedelta(days=1)).isoformat()
    r = regulator.get(f"/api/v1/supervision/feed/{tomorrow}")
    assert r.status_code == 422 and "day" in r.text
