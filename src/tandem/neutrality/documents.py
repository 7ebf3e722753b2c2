"""The notice PDF (通报, Chinese, WeasyPrint + Noto CJK as the other PDFs), stored content-addressed and
named by hash on the notice: the adjuster's firm reads it on its record."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import jinja2
from sqlalchemy.orm import Session

from tandem.access.models import Organisation
from tandem.case.models import Case
from tandem.claim.documents import html_to_pdf, when
from tandem.config import Settings
from tandem.kit.storage import store_for
from tandem.neutrality import proposals
from tandem.neutrality.models import Finding

_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(
        [Path(__file__).parent / "templates", Path(__file__).parent.parent / "claim" / "templates"]
    ),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)
KINDS_ZH = {
    "leans_to_appointer": "偏袒委托方",
    "leans_to_insured": "偏袒被保险人",
    "leans_to_insurer": "偏袒保险人",
    "procedure": "程序不当",
}
SEVERITIES_ZH = {"minor": "一般", "serious": "严重"}
EVIDENCE_ZH = {"document": "文件", "report": "公估报告", "case": "关联案件"}


def notice_html(session: Session, finding: Finding) -> str:
    case = session.get(Case, finding.case_id)
    firm = session.get(Organisation, finding.firm_id)
    broker = session.get(Organisation, finding.broker_id)
    assert case and firm and broker and finding.notified_at and finding.answer_due
    tol = proposals.tolerance_of(session, finding.broker_id)
    return _ENV.get_template("notice.html").render(
        title=f"通报 {finding.number}",
        f=finding,
        case=case,
        adjuster=finding.adjuster,
        firm=firm.name,
        broker=broker.name,
        kind=KINDS_ZH[finding.kind],
        severity=SEVERITIES_ZH[finding.severity],
        evidence_kinds=EVIDENCE_ZH,
        issued=when(finding.notified_at, "zh_CN"),
        due=when(finding.answer_due, "zh_CN"),
        tolerance=tol.tolerance,
        window=tol.window_months,
    )


def render_notice(session: Session, settings: Settings, finding_id: uuid.UUID, now: dt.datetime) -> None:
    """Render and store the notice's PDF once (idempotent: the worker delivers at least once)."""
    finding = session.get(Finding, finding_id)
    if finding is None or finding.pdf_sha256 or finding.notified_at is None:
        return
    finding.pdf_sha256 = store_for(settings.var_dir).put(html_to_pdf(notice_html(session, finding)))


def notice_pdf(settings: Settings, finding: Finding) -> bytes | None:
    if not finding.pdf_sha256:
        return None
    return store_for(settings.var_dir).get(finding.pdf_sha256)
