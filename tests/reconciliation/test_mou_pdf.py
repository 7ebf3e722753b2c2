"""The MoU PDF in both languages (issue 22 item 13): section headings, Beijing time, acknowledgers by
name, role and organisation."""

from __future__ import annotations

import io
import os
from pathlib import Path

from pypdf import PdfReader

from tests.helpers import _ok, consultation_opened


def agreed_mou(env) -> str:
    """A disputed claim whose consultation agrees in round 1 (firm A accepts B's roof figure); returns its id."""
    firm_a = env.client("adjuster1")
    cid = consultation_opened(env)
    view = _ok(firm_a.get(f"/api/v1/claims/{cid}/consultation"))
    roof = next(i for i in view["items"] if i["state"] == "open")
    _ok(firm_a.post(f"/api/v1/claims/{cid}/consultation/start"))
    view = _ok(firm_a.post(f"/api/v1/claims/{cid}/consultation/items/{roof['id']}/moves", json={"kind": "accept"}))
    assert view["state"] == "agreed", view["state"]
    return cid


def _text(data: bytes) -> str:
    return "".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)


def test_mou_pdf_names_sections_times_and_acknowledgers_in_both_languages(env):
    cid = agreed_mou(env)
    for user in ("adjuster1", "adjuster3", "risk", "insurer1"):
        _ok(env.client(user).post(f"/api/v1/claims/{cid}/consultation/memorandum/ack"))
    insurer = env.client("insurer1")
    zh_pdf = _ok_pdf(insurer.get(f"/api/v1/claims/{cid}/consultation/memorandum.pdf"))
    en_pdf = _ok_pdf(insurer.get(f"/api/v1/claims/{cid}/consultation/memorandum.pdf?lang=en"))
    if os.environ.get("TANDEM_KEEP_PDF"):
        Path(os.environ["TANDEM_KEEP_PDF"], "mou-zh.pdf").write_bytes(zh_pdf)
        Path(os.environ["TANDEM_KEEP_PDF"], "mou-en.pdf").write_bytes(en_pdf)
    zh, en = "".join(_text(zh_pdf).split()), " ".join(_text(en_pdf).split())
    for text in (zh, en):
        assert "built-in method" not in text and "object at 0x" not in text
    # The clock stands at 2026-11-25 02:00 UTC: 10:00 in Beijing, in both languages.
    assert "2026年11月25日10:00" in zh and "UTC" not in zh
    assert "2026-11-25 10:00" in en and "02:00" not in en and "Beijing time" in en
    assert "二、逐项核定" in zh and "2. Item by item" in en
    assert "建筑物" in zh and "building" not in zh.lower()
    assert "Buildings" in en
    # Acknowledgers: name, role and organisation.
    for name in ("王建国", "张伟", "刘静怡", "马俊"):
        assert name in zh and name in en, name
    orgs = ("华信保险公估有限公司", "正衡保险公估合伙企业（普通合伙）", "恒信保险经纪有限公司")
    for org in orgs:
        assert org in zh, org
    assert "中安财产保险股份有限公司" in zh
    assert "Huaxin Loss Adjusters Co., Ltd." in en and "Zhong'an P&C Insurance Co., Ltd." in en
    assert "风险评估师" in zh and "理赔人员" in zh
    assert "¥684,000.00" in zh and "684,000.00" in en
    assert "Risk evaluator" in en and "Claims handler" in en


def _ok_pdf(r) -> bytes:
    assert r.status_code == 200, r.text
    assert r.content.startswith(b"%PDF")
    return r.content
