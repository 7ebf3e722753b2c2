"""Chinese PDFs (WeasyPrint + Noto CJK): the confirmation letter (确认函) and the adjusting report."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import jinja2
from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.access.models import Organisation
from tandem.case.audience import ALL, LETTER_READERS, SUPERVISION
from tandem.claim.models import Appointment, Claim, Document
from tandem.config import Settings
from tandem.kit.clock import local
from tandem.kit.storage import store_for
from tandem.party.models import Adjuster
from tandem.report.models import Report, ReportPdf, ReportSignature

_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)


def _fmt(t: dt.datetime) -> str:
    lt = local(t)
    assert lt is not None
    return lt.strftime("%Y年%m月%d日 %H:%M")


def html_to_pdf(html: str) -> bytes:
    from weasyprint import HTML

    pdf: bytes = HTML(string=html).write_pdf()
    return pdf


def letter_html(session: Session, letter: Appointment) -> str:
    claim = session.get(Claim, letter.claim_id)
    adj = session.get(Adjuster, letter.adjuster_id)
    firm = session.get(Organisation, letter.firm_id)
    assert claim and adj and firm
    broker = session.get(Organisation, claim.broker_id) if claim.broker_id else None
    return _ENV.get_template("letter.html").render(
        title="公估委托确认函",
        letter=letter,
        claim=claim,
        adjuster=adj,
        firm=firm.name,
        broker=broker.name if broker else "",
        issued=_fmt(letter.issued_at),
        loss_at=_fmt(claim.loss_at),
        notified_at=_fmt(claim.notified_at),
    )


def report_html(session: Session, report: Report) -> str:
    firm = session.get(Organisation, report.firm_id)
    sigs = session.execute(select(ReportSignature).where(ReportSignature.report_id == report.id)).scalars()
    signers = [session.get(Adjuster, s.adjuster_id) for s in sigs]
    return _ENV.get_template("report.html").render(
        title=report.display_number,
        report=report,
        c=report.content,
        firm=firm.name if firm else "",
        submitted=_fmt(report.submitted_at),
        total=f"{report.total_loss:,.2f}",
        signers=signers,
    )


def store_document(
    session: Session,
    settings: Settings,
    *,
    claim_id: uuid.UUID,
    kind: str,
    filename: str,
    data: bytes,
    content_type: str,
    audience: list[str],
    now: dt.datetime,
    uploaded_by: uuid.UUID | None = None,
) -> Document:
    """Store bytes content-addressed and register them on the case (idempotent per hash and kind)."""
    digest = store_for(settings.var_dir).put(data)
    existing = session.execute(
        select(Document).where(Document.claim_id == claim_id, Document.sha256 == digest, Document.kind == kind)
    ).scalar_one_or_none()
    if existing:
        return existing
    doc = Document(
        claim_id=claim_id,
        kind=kind,
        filename=filename,
        content_type=content_type,
        size=len(data),
        sha256=digest,
        audience=audience,
        uploaded_by=uploaded_by,
        created_at=now,
    )
    session.add(doc)
    session.flush()
    return doc


def render_letter(session: Session, settings: Settings, appointment_id: uuid.UUID, now: dt.datetime) -> None:
    letter = session.get(Appointment, appointment_id)
    if letter is None or letter.letter_sha256:
        return
    pdf = html_to_pdf(letter_html(session, letter))
    doc = store_document(
        session,
        settings,
        claim_id=letter.claim_id,
        kind="confirmation_letter",
        filename=f"{letter.letter_no}.pdf",
        data=pdf,
        content_type="application/pdf",
        audience=list(LETTER_READERS[letter.side]),
        now=now,
    )
    letter.letter_sha256 = doc.sha256


def render_report(session: Session, settings: Settings, report_id: uuid.UUID, now: dt.datetime) -> None:
    report = session.get(Report, report_id)
    if report is None or session.get(ReportPdf, report.id) is not None:
        return
    pdf = html_to_pdf(report_html(session, report))
    doc = store_document(
        session,
        settings,
        claim_id=report.claim_id,
        kind="report_pdf",
        filename=f"{report.display_number}.pdf",
        data=pdf,
        content_type="application/pdf",
        audience=[*ALL, SUPERVISION],
        now=now,
    )
    session.add(ReportPdf(report_id=report.id, sha256=doc.sha256, size=doc.size, created_at=now))
