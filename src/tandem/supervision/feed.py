"""The records of one day's supervision feed, per kind. The day is an Asia/Shanghai calendar day; every
time in a record is UTC (``…Z``), every amount a decimal string.

- ``reports``: reports submitted that day on cases supervision takes part in (copied to it, 抄送), with
  their content and its hash;
- ``firm_filings``: every adjuster firm's filing (备案) as the export finds it; ``firm_changes``: the audit
  events of that day about a firm or its adjusters (registered, changed, sanctioned…, its filing's and
  change reports' moves);
- ``notices``: findings that are notices (通报) notified, answered or decided that day; ``blacklist``:
  blacklist decisions and appeals of that day (the states supervision reads, ``access.scope``);
- ``figures``: the market figures (``tandem.figures``) of the day's month up to the end of the day, in
  total and per line, region, insurer and firm, hidden behind fewer than 5 insureds as on supervision's
  dashboard;
- ``complaints``: explanation requests and complaints received, extended, decided or escalated that day
  (``tandem.complaint``), with the names of the complainant and the organisation complained about."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from tandem.access.actor import Actor
from tandem.access.models import Organisation, OrgKind
from tandem.access.scope import DECIDED_STATES, NOTICE_STATES
from tandem.audit.models import AuditEvent
from tandem.claim.models import Participation, PartyRole
from tandem.complaint.models import Complaint
from tandem.figures import compute, facts
from tandem.kit.canonical import normalise
from tandem.kit.clock import SHANGHAI, UTC
from tandem.neutrality.models import Finding, Proposal
from tandem.party.models import AdjusterFirm
from tandem.report.models import Report

Window = tuple[dt.datetime, dt.datetime]
# The columns each record copies as they are (beside the names of the organisations it refers to).
REPORT_FIELDS = (
    "id", "display_number", "kind", "version", "supersedes_id", "case_id", "claim_id", "firm_id",
    "submitted_at", "total_loss", "content_hash", "content",
)  # fmt: skip
NOTICE_FIELDS = (
    "case_id", "kind", "severity", "text", "notified_at", "answer_due", "answer", "answered_at", "decided_at",
    "decision_reason", "by_default",
)  # fmt: skip
DECISION_FIELDS = (
    "trigger", "decided_at", "decision_reason", "lines", "term_months", "appealed_at", "appeal",
    "appeal_decided_at", "appeal_reason",
)  # fmt: skip
COMPLAINT_FIELDS = (
    "id", "case_id", "kind", "state", "complainant_id", "target_id", "text", "received_at", "acknowledged_at",
    "due_on", "extension_reason", "extended_at", "decision", "decided_at", "escalation_reason", "escalated_at",
)  # fmt: skip
KINDS = ("reports", "firm_filings", "firm_changes", "notices", "blacklist", "complaints", "figures")
FIRM_ENTITIES = (
    "organisation",
    "adjuster_firm",
    "adjuster",
    "sanction",
    "firm_filing",
    "firm_change_report",
    "registration",  # practice registrations and their checks (tandem.party.practice)
    "registration_check",
)
# The market as supervision reads it (facts and the privacy rule depend on the reader's kind only).
MARKET = Actor(uuid.UUID(int=0), uuid.UUID(int=0), OrgKind.SUPERVISION, "", "", "", frozenset())


def window(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The day's start and end in UTC (Asia/Shanghai midnight to midnight)."""
    start = dt.datetime.combine(day, dt.time(), tzinfo=SHANGHAI).astimezone(UTC)
    return start, start + dt.timedelta(days=1)


def _names(session: Session) -> dict[uuid.UUID, str]:
    return {org_id: name for org_id, name in session.execute(select(Organisation.id, Organisation.name))}


def _columns(row: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    return {f: getattr(row, f) for f in fields}


def _within(column: Any, start: dt.datetime, end: dt.datetime) -> Any:
    return (column >= start) & (column < end)


def reports(session: Session, start: dt.datetime, end: dt.datetime) -> list[dict[str, Any]]:
    copied = select(Participation.case_id).where(Participation.party_role == PartyRole.SUPERVISION)
    rows = session.execute(
        select(Report)
        .where(_within(Report.submitted_at, start, end), Report.case_id.in_(copied))
        .order_by(Report.submitted_at, Report.display_number)
    ).scalars()
    names = _names(session)
    return [{**_columns(r, REPORT_FIELDS), "firm": names.get(r.firm_id)} for r in rows]


def firm_filings(session: Session) -> list[dict[str, Any]]:
    rows = session.execute(select(AdjusterFirm).order_by(AdjusterFirm.filing_no)).scalars()
    return [
        {
            "firm_id": f.organisation_id,
            "name": f.organisation.name,
            "uscc": f.organisation.uscc,
            "region": f.organisation.region,
            "active": f.organisation.active,
            "filing_no": f.filing_no,
            "filing_status": f.filing_status.value,
            "legal_form": f.legal_form.value,
            "capital": f.capital,
            "business_area": f.business_area,
            "lines": f.lines,
            "adjusters": len(f.adjusters),
        }
        for f in rows
    ]


def firm_changes(session: Session, start: dt.datetime, end: dt.datetime) -> list[dict[str, Any]]:
    firms = session.execute(select(AdjusterFirm.organisation_id)).scalars().all()
    chains = [f"org:{f}" for f in firms]
    rows = session.execute(
        select(AuditEvent)
        .where(
            _within(AuditEvent.occurred_at, start, end),
            AuditEvent.chain_key.in_(chains),
            AuditEvent.entity_type.in_(FIRM_ENTITIES),
        )
        .order_by(AuditEvent.id)
    ).scalars()
    return [
        {
            "event_id": e.id,
            "firm_id": e.chain_key.removeprefix("org:"),
            "occurred_at": e.occurred_at,
            "action": e.action,
            "entity_type": e.entity_type,
            "entity_id": e.entity_id,
            "before": e.before,
            "after": e.after,
            "reason": e.reason,
            "hash": e.hash,
        }
        for e in rows
    ]


def _touched(session: Session, model: Any, states: tuple[str, ...], times: tuple[Any, ...], day: Window) -> list[Any]:
    """The records in a state supervision reads that one of ``times`` puts within the day."""
    within = or_(*(_within(t, *day) for t in times))
    return list(session.execute(select(model).where(model.state.in_(states), within)).scalars())


def _parties(row: Finding | Proposal, names: dict[uuid.UUID, str]) -> dict[str, Any]:
    return {
        "state": row.state,
        "broker_id": row.broker_id,
        "broker": names.get(row.broker_id),
        "firm_id": row.firm_id,
        "firm": names.get(row.firm_id),
        "adjuster_id": row.adjuster_id,
        "adjuster": row.adjuster.name,
    }


def notices(session: Session, start: dt.datetime, end: dt.datetime) -> list[dict[str, Any]]:
    times = (Finding.notified_at, Finding.answered_at, Finding.decided_at)
    rows = sorted(_touched(session, Finding, NOTICE_STATES, times, (start, end)), key=lambda f: f.number)
    names = _names(session)
    return [{"number": f.number, **_parties(f, names), **_columns(f, NOTICE_FIELDS)} for f in rows]


def blacklist(session: Session, start: dt.datetime, end: dt.datetime) -> list[dict[str, Any]]:
    times = (Proposal.decided_at, Proposal.appealed_at, Proposal.appeal_decided_at)
    found = _touched(session, Proposal, DECIDED_STATES, times, (start, end))
    names = _names(session)
    rows = sorted(found, key=lambda p: (p.opened_at, str(p.id)))
    return [
        {"id": p.id, **_parties(p, names), "findings": len(p.finding_ids), **_columns(p, DECISION_FIELDS)} for p in rows
    ]


def complaints(session: Session, start: dt.datetime, end: dt.datetime) -> list[dict[str, Any]]:
    times = (Complaint.received_at, Complaint.extended_at, Complaint.decided_at, Complaint.escalated_at)
    rows = session.execute(
        select(Complaint).where(or_(*(_within(t, start, end) for t in times))).order_by(Complaint.received_at)
    ).scalars()
    names = _names(session)
    return [
        {**_columns(c, COMPLAINT_FIELDS), "complainant": names.get(c.complainant_id), "target": names.get(c.target_id)}
        for c in rows
    ]


def figures(session: Session, day: dt.date, end: dt.datetime) -> list[dict[str, Any]]:
    period = facts.month(day)
    rows = facts.read(session, MARKET, end)
    selection = compute.Filters(period_from=period, period_to=period)
    out: list[dict[str, Any]] = []
    for dimension in ("line", "region", "insurer", "firm"):
        table = compute.table(rows, selection, dimension, private=True)
        if dimension == "line":
            out.append(_figures_row(period, "total", None, table.total))
        out.extend(_figures_row(period, dimension, g.key, g) for g in table.groups)
    return out


def _figures_row(period: str, dimension: str, key: Any, group: compute.Group) -> dict[str, Any]:
    return {
        "period": period,
        "dimension": dimension,
        "key": key,
        "figures": {m: {"value": f.value, "insureds": f.insureds} for m, f in group.figures.items()},
    }


def collect(session: Session, day: dt.date, now: dt.datetime) -> dict[str, list[dict[str, Any]]]:
    """Every kind's records of ``day`` (JSON-ready: UUIDs, times and Decimals as the canonical strings)."""
    start, end = window(day)
    until = min(end, now)
    out = {
        "reports": reports(session, start, end),
        "firm_filings": firm_filings(session),
        "firm_changes": firm_changes(session, start, end),
        "notices": notices(session, start, end),
        "blacklist": blacklist(session, start, end),
        "complaints": complaints(session, start, end),
        "figures": figures(session, day, until),
    }
    return {kind: normalise(records) for kind, records in out.items()}
