"""One report service for every kind (预评估报告, 公估报告, 阶段性风险评价报告, 终止评估报告): drafts, checks
of the signers, numbers per kind, freezing into an immutable hashed report with signatures, copies to
supervision, corrections (-R1), and reading a case's reports."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tandem.access.actor import Actor
from tandem.access.models import Organisation, OrgKind
from tandem.case.models import Case
from tandem.case.service import ALL, adjuster_side, case_id_of, record_event, team
from tandem.claim.models import Claim, Counter, Participation, PartyRole
from tandem.db import insert_or_skip
from tandem.kit.canonical import canonical_json, sha256_hex
from tandem.kit.clock import SHANGHAI
from tandem.kit.errors import ActionNotAllowed, Conflict, InvalidInput, NotFound
from tandem.kit.money import round_cny
from tandem.notification.outbox import enqueue
from tandem.party.models import Adjuster
from tandem.report.models import Report, ReportDraft, ReportSignature
from tandem.report.schemas import assessed_amount, validate_content


def reports(session: Session, claim: Claim | Case, kind: str | None = None) -> list[Report]:
    """The case's submitted reports (of one kind if given), oldest first."""
    stmt = select(Report).where(Report.case_id == case_id_of(claim))
    if kind is not None:
        stmt = stmt.where(Report.kind == kind)
    return list(session.execute(stmt.order_by(Report.submitted_at, Report.version)).scalars())


def latest_report(
    session: Session, claim: Claim | Case, firm_id: uuid.UUID | None = None, kind: str | None = None
) -> Report | None:
    """The newest version of a firm's report chain (a correction supersedes its original); by default
    the broker's adjuster's report, the first one submitted on the case."""
    rows = reports(session, claim, kind)
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


# ---- writing reports of every kind -------------------------------------------------------------------

# Each kind numbers from its own gap-free yearly sequence (issue 22 item 8).
NUMBER_PREFIX = {"adjusting": "GR", "pre_assessment": "YP", "staged_risk": "JP", "termination": "ZP"}


def next_report_number(session: Session, now: dt.datetime, kind: str) -> str:
    """The next number of a report kind this year, without gaps: a counter row locked until commit, on
    PostgreSQL too (a rolled-back submission gives its number back)."""
    prefix = NUMBER_PREFIX[kind]
    year = now.astimezone(SHANGHAI).year
    name = f"{prefix}:{year}"
    session.execute(insert_or_skip(session, Counter, "name").values(name=name, value=0))
    value = session.execute(
        update(Counter).where(Counter.name == name).values(value=Counter.value + 1).returning(Counter.value)
    ).scalar_one()
    return f"{prefix}-{year}-{int(value):06d}"


def draft_of(session: Session, claim: Claim | Case, firm_id: uuid.UUID, kind: str) -> ReportDraft | None:
    return session.execute(
        select(ReportDraft).where(
            ReportDraft.case_id == case_id_of(claim), ReportDraft.firm_id == firm_id, ReportDraft.kind == kind
        )
    ).scalar_one_or_none()


def save_draft(
    session: Session, actor: Actor, claim: Claim | Case, kind: str, content: dict[str, Any], *, now: dt.datetime
) -> ReportDraft:
    """Create or replace the firm's working copy of its report of ``kind`` on the case (an adjuster of a
    firm acting on the case; content validated for the kind)."""
    adjuster_side(session, actor, claim)
    content = validate_content(kind, content)
    draft = draft_of(session, claim, actor.org_id, kind)
    if draft is None:
        draft = ReportDraft(
            case_id=case_id_of(claim),
            claim_id=claim.id if isinstance(claim, Claim) else None,
            kind=kind,
            firm_id=actor.org_id,
            content=content,
            updated_at=now,
            updated_by=actor.user_id,
        )
        session.add(draft)
    else:
        draft.content, draft.updated_at, draft.updated_by = content, now, actor.user_id
    session.flush()
    return draft


def check_signers(session: Session, actor: Actor, claim: Claim | Case, signer_ids: list[uuid.UUID]) -> list[uuid.UUID]:
    """At least two adjusters of the actor's firm who work the case sign, the submitting one among them."""
    members = {m.adjuster_id for m in team(session, claim, actor.org_id)}
    signers = list(dict.fromkeys(signer_ids))
    if len(signers) < 2:
        raise InvalidInput(
            "At least two adjusters who worked the case must sign.", fields={"signer_ids": "at least two"}
        )
    if any(s not in members for s in signers):
        raise InvalidInput(
            "Only adjusters who worked the case may sign.", fields={"signer_ids": "not on the case team"}
        )
    me = session.execute(select(Adjuster).where(Adjuster.user_id == actor.user_id)).scalar_one_or_none()
    if me is None or me.id not in signers:
        raise ActionNotAllowed("You must be one of the signing adjusters.")
    return signers


def correction_base(
    session: Session, actor: Actor, claim: Claim | Case, correction_of: uuid.UUID | None, reason: str | None
) -> Report | None:
    """The report a correction supersedes (the firm's own, on this case, not corrected yet), or None."""
    if correction_of is None:
        return None
    previous = session.get(Report, correction_of)
    if previous is None or previous.case_id != case_id_of(claim) or previous.firm_id != actor.org_id:
        raise NotFound()
    if not reason:
        raise InvalidInput("Say why the report is corrected.", fields={"reason": "required"})
    if session.execute(select(Report.id).where(Report.supersedes_id == previous.id)).first():
        raise Conflict("That report was already corrected; correct the latest version.")
    return previous


def freeze(
    session: Session,
    actor: Actor,
    claim: Claim | Case,
    draft: ReportDraft,
    *,
    signers: list[uuid.UUID],
    previous: Report | None,
    header: dict[str, Any],
    now: dt.datetime,
) -> Report:
    """Freeze the draft into an immutable report numbered per kind (``-R1`` for a correction), hashed over
    its canonical content, signed over that hash; its PDF is rendered after commit."""
    kind = draft.kind
    number = previous.number if previous else next_report_number(session, now, kind)
    version = (previous.version + 1) if previous else 0
    content = {
        **draft.content,
        **header,
        "report_number": number if version == 0 else f"{number}-R{version}",
        "signers": [str(s) for s in signers],
    }
    digest = sha256_hex(canonical_json(content))
    report = Report(
        case_id=case_id_of(claim),
        claim_id=claim.id if isinstance(claim, Claim) else None,
        kind=kind,
        firm_id=actor.org_id,
        number=number,
        version=version,
        display_number=content["report_number"],
        supersedes_id=previous.id if previous else None,
        content=content,
        content_hash=digest,
        total_loss=round_cny(assessed_amount(kind, content)),
        submitted_at=now,
        submitted_by=actor.user_id,
    )
    session.add(report)
    session.flush()
    for s in signers:
        session.add(ReportSignature(report_id=report.id, adjuster_id=s, content_hash=digest, signed_at=now))
    enqueue(session, "report.render_pdf", {"report_id": str(report.id)}, now=now, dedupe_key=f"pdf:{report.id}")
    return report


def copy_to_supervision(session: Session, claim: Claim | Case, *, now: dt.datetime) -> None:
    """Supervision (中介业务监管) takes a read-only part in the case: the report is copied to it (抄送)."""
    taking_part = set(
        session.execute(
            select(Participation.organisation_id).where(
                Participation.case_id == case_id_of(claim), Participation.party_role == PartyRole.SUPERVISION
            )
        ).scalars()
    )
    for org in session.execute(select(Organisation).where(Organisation.kind == OrgKind.SUPERVISION)).scalars():
        if org.id in taking_part:
            continue
        session.add(
            Participation(
                case_id=case_id_of(claim),
                claim_id=claim.id if isinstance(claim, Claim) else None,
                organisation_id=org.id,
                party_role=PartyRole.SUPERVISION,
                since=now,
            )
        )


def submit(
    session: Session,
    actor: Actor,
    case: Case,
    kind: str,
    *,
    signer_ids: list[uuid.UUID],
    now: dt.datetime,
    correction_of: uuid.UUID | None = None,
    reason: str | None = None,
) -> Report:
    """Submit the firm's report of ``kind`` on a case whose own workflow has no state for it (a placement's
    pre-assessment, staged or termination report): checks, freeze, one audit event, copy to supervision.
    A claim's adjusting report goes through ``claim.workflow.submit_report``, which adds the claim's
    transitions around the same steps."""
    adjuster_side(session, actor, case)
    draft = draft_of(session, case, actor.org_id, kind)
    if draft is None:
        raise InvalidInput("The report has no content yet.", fields={"content": "required"})
    signers = check_signers(session, actor, case, signer_ids)
    previous = correction_base(session, actor, case, correction_of, reason)
    if previous is None and any(r.firm_id == actor.org_id for r in reports(session, case, kind)):
        raise Conflict("Your report is already submitted; submit a correction instead.")
    report = freeze(
        session, actor, case, draft, signers=signers, previous=previous, header={"case_number": case.number}, now=now
    )
    record_event(
        session,
        actor,
        case,
        "report.corrected" if previous else "report.submitted",
        now=now,
        after={"report": report.display_number, "kind": kind, "content_hash": report.content_hash},
        reason=reason,
        audience=[*ALL, "supervision"],
    )
    if previous is None:
        copy_to_supervision(session, case, now=now)
    return report
