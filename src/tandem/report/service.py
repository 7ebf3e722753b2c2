"""Reading reports (公估报告 and the other kinds): a case's reports, the current version of a firm's chain,
the signatures over a report."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.claim.models import Claim
from tandem.report.models import Report, ReportSignature


def reports(session: Session, claim: Claim) -> list[Report]:
    return list(
        session.execute(
            select(Report).where(Report.claim_id == claim.id).order_by(Report.submitted_at, Report.version)
        ).scalars()
    )


def latest_report(session: Session, claim: Claim, firm_id: uuid.UUID | None = None) -> Report | None:
    """The newest version of a firm's report chain (a correction supersedes its original); by default
    the broker's adjuster's report, the first one submitted on the case."""
    rows = reports(session, claim)
    superseded = {r.supersedes_id for r in rows if r.supersedes_id}
    current = [r for r in rows if r.id not in superseded]
    if firm_id is not None:
        current = [r for r in current if r.firm_id == firm_id]
    elif current:
        first_firm = rows[0].firm_id
        current = [r for r in current if r.firm_id == first_firm]
    return current[0] if current else None


def signatures(session: Session, report: Report) -> list[ReportSignature]:
    return list(session.execute(select(ReportSignature).where(ReportSignature.report_id == report.id)).scalars())
