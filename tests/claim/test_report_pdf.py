"""The adjusting report PDF reads like a 《公估报告》 in both languages (issue 22 item 14, regulation.md §3.5):
amounts with separators and currency, depreciation in per cent, insured, policy, loss, survey, replacement
values, itemised loss and the signatures."""

from __future__ import annotations

import io
import os
from pathlib import Path

from pypdf import PdfReader

from tandem.kit.storage import store_for
from tandem.worker import runner
from tests.helpers import _ok, _to_reported


def _text(data: bytes) -> str:
    return "".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)


def _keep(name: str, data: bytes) -> None:
    if os.environ.get("TANDEM_KEEP_PDF"):
        Path(os.environ["TANDEM_KEEP_PDF"], name).write_bytes(data)


def test_report_pdf_in_both_languages(env):
    cid = _to_reported(env)
    runner.run_once(env.factory, env.settings, env.clock)
    broker = env.client("broker")
    case = _ok(broker.get(f"/api/v1/claims/{cid}/case"))
    stored = next(d for d in case["documents"] if d["kind"] == "report_pdf")
    zh_pdf = store_for(env.settings.var_dir).get(stored["sha256"])
    rid = case["reports"][0]["id"]
    r = broker.get(f"/api/v1/claims/{cid}/reports/{rid}/pdf?lang=en")
    assert r.status_code == 200 and r.content.startswith(b"%PDF"), r.text
    en_pdf = r.content
    assert broker.get(f"/api/v1/claims/{cid}/reports/{rid}/pdf").content.startswith(b"%PDF")
    assert env.client("insured2").get(f"/api/v1/claims/{cid}/reports/{rid}/pdf").status_code == 404
    _keep("report-zh.pdf", zh_pdf)
    _keep("report-en.pdf", en_pdf)
    zh, en = "".join(_text(zh_pdf).split()), " ".join(_text(en_pdf).split())

    for want in (
        "公估报告",
        "GR-",
        "嘉兴鑫达电子科技有限公司",  # the insured
        "中安财产保险股份有限公司",  # the insurer
        "PQC2026330400001",
        "浙江省嘉兴市南湖区亚中路88号",  # where
        "2026年11月24日22:30",  # when (Beijing time)
        "2号车间夜间起火",
        "查勘",
        "2026年11月25日10:00",  # the survey
        "重置价值",
        "¥36,000,000.00",
        "2#车间彩钢瓦屋面",
        "¥350.00",
        "10%",
        "¥378,000.00",
        "¥8,000.00",
        "¥738,000.00",  # total
        "王建国",
        "李娜",
        "QRH-",  # the instruction (confirmation letter)
    ):
        assert want in zh, want
    assert "0.10" not in zh and "378000.00" not in zh
    for want in (
        "Adjusting Report",
        "Jiaxing Xinda Electronics Co., Ltd.",
        "PQC2026330400001",
        "2026-11-24 22:30",
        "Beijing time",
        "Replacement value",
        "36,000,000.00",
        "378,000.00",
        "10%",
        "Buildings",
        "Signatures",
        "王建国",
    ):
        assert want in en, want
    assert "公估报告" not in en and "损失合计" not in en
