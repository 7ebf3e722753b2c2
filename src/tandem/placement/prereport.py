"""The pre-assessment report of a placement (预评估报告, R-U3): the instructed firm's team (lead and
second), its survey visits (现场查勘) with photos, the draft per site and section (replacement value,
重置价值) with the risk points (风险点) and the environmental and safety findings (环评/安评), signing by
two adjusters who did the work, each from their own login, and submission: immutable, hashed, rendered
as a PDF, copied to the insured and to supervision; corrections as ``-R1``. Built on the shared report
service (``tandem.report.service``); the placement moves to ``reported`` through its transition table."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.access.actor import Actor
from tandem.access.models import Organisation, User
from tandem.case import audience, letters
from tandem.case import service as case_service
from tandem.case import team as case_team
from tandem.case.documents import store_document
from tandem.case.models import Case
from tandem.claim.models import Appointment, Document, Survey, TeamMember
from tandem.config import Settings
from tandem.kit.errors import ActionNotAllowed, Conflict, InvalidInput
from tandem.kit.i18n import DEFAULT_LOCALE, N_, translate_message
from tandem.notification.service import notify
from tandem.party.models import Adjuster
from tandem.placement import second_opinion
from tandem.placement.models import Placement, PlacementStatus
from tandem.placement.second_models import InsurerAdjuster
from tandem.placement.service import case_of, get_placement, transition
from tandem.report import service as report_service
from tandem.report.models import Report, ReportDraft, ReportSigning
from tandem.report.schemas import validate_content

KIND = "pre_assessment"
PHOTO = "survey_photo"
# Who sees survey photos: the instructing broker, the firm and the insured whose site it is.
PHOTO_AUDIENCE = [audience.BROKER, audience.FIRM_A, audience.INSURED]
# Corrections (-R1) may be submitted until the placement goes to market.
CORRECTABLE = (PlacementStatus.REPORTED, PlacementStatus.DECIDING)
SKEW = dt.timedelta(minutes=5)

SIGN_NOTICE = report_service.SignNotice(
    subject=N_("Please sign pre-assessment report {report} of placement {case}"),
    body=N_(
        "{name} signed pre-assessment report {report} (content hash {hash}) and named you as co-signer. "
        "Sign it in person."
    ),
    link="/placements/{id}",
)
COPY_SUBJECT = N_("Pre-assessment report {report} of placement {case}")
COPY_BODY = N_("The adjuster firm submitted pre-assessment report {report}; it can no longer be changed.")


# ---- who works the report ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Work:
    """A firm working a pre-assessment on the placement: the broker's adjuster (``second`` is None) or an
    insurer's own adjuster for a second pre-assessment (R-U7, ``second`` its appointment)."""

    case: Case
    second: InsurerAdjuster | None = None

    def audience(self, broker_side: list[str]) -> list[str]:
        """Who reads this firm's work: ``broker_side`` for the broker's adjuster's; for an insurer's
        adjuster's, that insurer's readers (never a competing insurer)."""
        return broker_side if self.second is None else second_opinion.report_audience(self.second)

    def working(self, placement: Placement, correcting: bool) -> bool:
        """Whether the report may be worked now: the broker's adjuster while the placement is surveyed
        (and corrected until it goes to market), an insurer's adjuster once it accepted (and corrected
        after it reported)."""
        if self.second is None:
            return placement.status in (
                (PlacementStatus.SURVEYING, *CORRECTABLE) if correcting else (PlacementStatus.SURVEYING,)
            )
        return self.second.state in (
            (second_opinion.ACCEPTED, second_opinion.REPORTED) if correcting else (second_opinion.ACCEPTED,)
        )


def work_of(session: Session, actor: Actor, placement: Placement) -> Work | None:
    """The firm's work on the placement: the instructed firm on the broker's side, or an insurer's adjuster
    whose letter is accepted; None for anybody else."""
    case = case_of(session, placement)
    try:
        side = case_service.adjuster_side(session, actor, case)
    except ActionNotAllowed:
        return None
    if side == "a" and placement.adjuster_firm_id in (None, actor.org_id):
        return Work(case)
    row = second_opinion.of_firm(session, placement, actor.org_id) if side == "b" else None
    if row is None or row.state == second_opinion.APPOINTED:
        return None
    return Work(case, row)


def _work(session: Session, actor: Actor, placement: Placement) -> Work:
    """``work_of``; 403 for anybody else."""
    work = work_of(session, actor, placement)
    if work is None:
        raise ActionNotAllowed()
    return work


def _surveying(
    session: Session, actor: Actor, placement_id: object, *, correcting: bool = False
) -> tuple[Placement, Work]:
    placement = get_placement(session, actor, placement_id)
    work = _work(session, actor, placement)
    if not work.working(placement, correcting):
        raise Conflict("The pre-assessment is worked while the placement is being surveyed.")
    return placement, work


def add_second(
    session: Session, actor: Actor, placement_id: object, adjuster_id: object, *, now: dt.datetime
) -> TeamMember:
    """The firm adds one of its adjusters as the second (the lead joined when the letter was accepted),
    after the routing checks that matter for a person (qualification, re-verification, filing, blacklist)."""
    _, work = _surveying(session, actor, placement_id)
    return case_team.add_team_member(session, actor, work.case, adjuster_id, now=now)


def team_view(session: Session, placement: Placement, actor: Actor | None = None) -> list[dict[str, Any]]:
    """The adjusters working the placement: lead first, with their qualification numbers; given the reader,
    without other insurers' adjusters."""
    hidden = second_opinion.hidden_firms(session, actor, placement) if actor is not None else set()
    return [
        {
            "adjuster_id": str(m.adjuster_id),
            "name": m.adjuster.name,
            "firm": m.adjuster.firm.organisation.name,  # two firms' teams when the insurer has its own (R-U7)
            "role": m.role.value,
            "certificate_no": m.adjuster.certificate_no,
            "since": m.since,
        }
        for m in case_service.team(session, case_of(session, placement))
        if m.adjuster.firm_id not in hidden
    ]


# ---- survey visits ---------------------------------------------------------------------------------


def letter_of(session: Session, placement: Placement, work: Work | None = None) -> Appointment | None:
    """The firm's confirmation letter (确认函): the broker's, or the insurer's for its own adjuster."""
    if work is not None and work.second is not None:
        return second_opinion.letter_of(session, work.second)
    return letters.current_letter(session, case_of(session, placement), "broker")


def letter_accepted_at(session: Session, placement: Placement, work: Work | None = None) -> dt.datetime | None:
    """When the firm accepted its confirmation letter (确认函), if it did."""
    letter = letter_of(session, placement, work)
    return letter.answered_at if letter is not None and letter.state == "accepted" else None


def check_visit_time(
    session: Session, placement: Placement, visited_at: dt.datetime, now: dt.datetime, work: Work | None = None
) -> None:
    """A visit took place after the letter was accepted (to the minute: forms give minutes) and not in
    the future (five minutes of clock skew allowed)."""
    accepted = letter_accepted_at(session, placement, work)
    if accepted is not None and visited_at < accepted.replace(second=0, microsecond=0):
        raise InvalidInput(
            "The visit cannot have taken place before the letter was accepted.",
            fields={"visited_at": "before the letter was accepted"},
        )
    if visited_at > now + SKEW:
        raise InvalidInput("The visit time is in the future.", fields={"visited_at": "in the future"})


def upload_photo(
    session: Session,
    settings: Settings,
    actor: Actor,
    placement_id: object,
    *,
    filename: str | None,
    content_type: str,
    data: bytes,
    now: dt.datetime,
) -> Document:
    """A survey photo, stored content-addressed on the case for the broker, the firm and the insured."""
    _, work = _surveying(session, actor, placement_id)
    case = work.case
    doc = store_document(
        session,
        settings,
        case_id=case.id,
        kind=PHOTO,
        filename=(filename or "photo")[:200],
        data=data,
        content_type=content_type,
        audience=work.audience(PHOTO_AUDIENCE),
        now=now,
        uploaded_by=actor.user_id,
    )
    case_service.record_event(
        session,
        actor,
        case,
        "placement.survey_photo_uploaded",
        now=now,
        after={"document_id": str(doc.id), "sha256": doc.sha256, "filename": doc.filename},
        audience=work.audience(PHOTO_AUDIENCE),
    )
    return doc


def record_visit(
    session: Session,
    actor: Actor,
    placement_id: object,
    *,
    visited_at: dt.datetime,
    participants: list[str],
    notes: str | None,
    photo_hashes: list[str],
    now: dt.datetime,
) -> Survey:
    """One survey visit (现场查勘) by the firm's team (lead and second): when, who, what was found, and
    the photos taken (uploaded first with :func:`upload_photo`)."""
    placement, work = _surveying(session, actor, placement_id)
    case = work.case
    if len(case_service.team(session, case, actor.org_id)) < 2:
        raise Conflict(
            "At least two adjusters must work the case (lead and second).", fields={"team": "add a second adjuster"}
        )
    check_visit_time(session, placement, visited_at, now, work)
    photos = list(dict.fromkeys(photo_hashes))
    known = set(
        session.execute(
            select(Document.sha256).where(
                Document.case_id == case.id, Document.kind == PHOTO, Document.sha256.in_(photos)
            )
        ).scalars()
    )
    if any(h not in known for h in photos):
        raise InvalidInput("Upload the photos first.", fields={"photo_hashes": "not a photo of this placement"})
    survey = Survey(
        case_id=case.id,
        scheduled_at=visited_at,
        surveyed_at=visited_at,
        participants=participants,
        notes=notes,
        photo_hashes=photos,
        created_by=actor.user_id,
    )
    session.add(survey)
    session.flush()
    case_service.record_event(
        session,
        actor,
        case,
        "placement.survey_recorded",
        now=now,
        after={"visited_at": visited_at.isoformat(), "photos": len(photos), "participants": participants},
        audience=work.audience(case_service.ALL),
    )
    return survey


def visits(
    session: Session, placement: Placement, firm_id: uuid.UUID | None = None, actor: Actor | None = None
) -> list[Survey]:
    """The survey visits recorded on the placement (by one firm's people if given), oldest first; given the
    reader, without those of other insurers' adjusters."""
    stmt = select(Survey).where(Survey.case_id == placement.case_id).order_by(Survey.surveyed_at, Survey.id)
    if firm_id is not None:
        stmt = stmt.join(User, User.id == Survey.created_by).where(User.organisation_id == firm_id)
    hidden = second_opinion.hidden_firms(session, actor, placement) if actor is not None else set()
    if hidden:
        others = select(User.id).where(User.organisation_id.in_(hidden))
        stmt = stmt.where(Survey.created_by.not_in(others))
    return list(session.execute(stmt).scalars())


# ---- the draft ------------------------------------------------------------------------------------


def subject_sections(placement: Placement) -> dict[str, dict[str, Any]]:
    """The placement's sections by ref (``S1-1``), each with its site."""
    return {
        sec["ref"]: {**sec, "site": site} for site in placement.subject.get("sites", []) for sec in site["sections"]
    }


def check_against_subject(placement: Placement, content: dict[str, Any]) -> None:
    """Sites, sections and risk points' sites must be the placement's own (422 naming the field)."""
    sites = {s["ref"]: {sec["ref"] for sec in s["sections"]} for s in placement.subject.get("sites", [])}
    errors: dict[str, str] = {}
    seen: set[str] = set()
    for i, site in enumerate(content.get("sites", [])):
        if site["ref"] not in sites:
            errors[f"sites.{i}.ref"] = "not a site of this placement"
            continue
        for k, sec in enumerate(site["sections"]):
            if sec["ref"] not in sites[site["ref"]]:
                errors[f"sites.{i}.sections.{k}.ref"] = "not a section of this site"
            elif sec["ref"] in seen:
                errors[f"sites.{i}.sections.{k}.ref"] = "valued twice"
            seen.add(sec["ref"])
    for i, point in enumerate(content.get("risk_points", [])):
        if point.get("site_ref") and point["site_ref"] not in sites:
            errors[f"risk_points.{i}.site_ref"] = "not a site of this placement"
    if errors:
        raise InvalidInput("The report content is not valid.", fields=errors)


def missing_values(placement: Placement, content: dict[str, Any]) -> dict[str, str]:
    """Sections of the subject without a replacement value: the report values every one."""
    valued = {sec["ref"] for site in content.get("sites", []) for sec in site["sections"]}
    return {f"values.{ref}": "required" for ref in subject_sections(placement) if ref not in valued}


def save_draft(
    session: Session, actor: Actor, placement_id: object, content: dict[str, Any], *, now: dt.datetime
) -> ReportDraft:
    """Create or replace the firm's draft (while surveying, and after submission as the working copy of a
    correction): validated for the report kind, then against the placement's sites and sections. The
    submitted report itself never changes."""
    placement, work = _surveying(session, actor, placement_id, correcting=True)
    check_against_subject(placement, validate_content(KIND, content))
    draft = report_service.save_draft(session, actor, work.case, KIND, content, now=now)
    case_service.record_event(
        session,
        actor,
        work.case,
        "placement.report_draft_saved",
        now=now,
        after={"risk_points": len(draft.content["risk_points"])},
        audience=[audience.FIRM_A] if work.second is None else [audience.org(actor.org_id)],
    )
    return draft


def draft(session: Session, placement: Placement, firm_id: uuid.UUID) -> ReportDraft | None:
    return report_service.draft_of(session, case_of(session, placement), firm_id, KIND)


# ---- freezing for signature, signing, submitting ----------------------------------------------------


def _org_name(session: Session, org_id: uuid.UUID | None) -> dict[str, str]:
    org = session.get(Organisation, org_id) if org_id else None
    return {"name": org.name, "name_en": org.name_en or org.name} if org else {"name": "", "name_en": ""}


def frozen_header(
    session: Session, placement: Placement, firm_id: uuid.UUID, work: Work | None = None
) -> dict[str, Any]:
    """What the report states about the placement, frozen with it (the report reads alone): the parties,
    the subject with sums insured, the letter and its fee terms, and the survey visits; for an insurer's
    adjuster also the insurer that instructed it."""
    letter = letter_of(session, placement, work)
    instructed = {"insurer": _org_name(session, work.second.insurer_id)} if work and work.second else {}
    return {
        **instructed,
        "case_number": placement.number,
        "placement": {
            "title": placement.title,
            "lines": placement.lines,
            "period_start": placement.period_start.isoformat(),
            "period_end": placement.period_end.isoformat(),
            "insured": _org_name(session, placement.insured_id),
            "broker": _org_name(session, placement.broker_id),
            "firm": _org_name(session, firm_id),
            "sites": placement.subject.get("sites", []),
        },
        "letter": {
            "number": letter.letter_no,
            "fee_terms": letter.fee_terms,
            "fee_basis": letter.fee_basis,
            "fee_payment_days": letter.fee_payment_days,
            "accepted_at": letter.answered_at.isoformat() if letter.answered_at else None,
        }
        if letter is not None
        else None,
        "visits": [
            {
                "at": s.surveyed_at.isoformat() if s.surveyed_at else None,
                "participants": s.participants,
                "notes": s.notes or "",
                "photos": s.photo_hashes,
            }
            for s in visits(session, placement, firm_id)
        ],
    }


def _base(
    session: Session,
    actor: Actor,
    placement: Placement,
    work: Work,
    correction_of: uuid.UUID | None,
    reason: str | None,
) -> Report | None:
    """The report a submission corrects (None for a first one), after checking it may be made now."""
    first = work.working(placement, correcting=False)
    if correction_of is not None:
        if first or not work.working(placement, correcting=True):
            raise Conflict("A report is corrected after it was submitted, until the placement goes to market.")
        return report_service.correction_base(session, actor, work.case, correction_of, reason)
    if not first:
        raise Conflict("Your report is already submitted; submit a correction instead.")
    if not visits(session, placement, actor.org_id):
        raise Conflict("Record a survey visit before submitting the report.", fields={"visits": "required"})
    return None


def submit(
    session: Session,
    actor: Actor,
    placement_id: object,
    *,
    signer_ids: list[uuid.UUID],
    now: dt.datetime,
    correction_of: uuid.UUID | None = None,
    reason: str | None = None,
) -> ReportSigning:
    """Freeze the draft for signature: numbered ``YP-…`` (``-R1`` for a correction, with its reason),
    hashed, signed by the acting adjuster; the other named signer (≥ 2 adjusters of the team) is told to
    sign in person (:func:`sign`)."""
    placement = get_placement(session, actor, placement_id)
    work = _work(session, actor, placement)
    case = work.case
    found = report_service.draft_of(session, case, actor.org_id, KIND)
    if found is None:
        raise InvalidInput("The report has no content yet.", fields={"content": "required"})
    missing = missing_values(placement, found.content)
    if missing:
        raise InvalidInput("Give the replacement value of every section.", fields=missing)
    signers, me = report_service.check_signers(session, actor, case, signer_ids)
    previous = _base(session, actor, placement, work, correction_of, reason)
    content = {**found.content, **frozen_header(session, placement, actor.org_id, work)}
    return report_service.start_signing(
        session,
        actor,
        case,
        KIND,
        content,
        signers=signers,
        me=me,
        previous=previous,
        reason=reason,
        notice=SIGN_NOTICE,
        now=now,
    )


def _copy_to_insured(session: Session, placement: Placement, report: Report, now: dt.datetime) -> None:
    """The insured's contacts are told (抄送); the report and its PDF are on the case file they read."""
    users = session.execute(
        select(User).where(User.organisation_id == placement.insured_id, User.active.is_(True))
    ).scalars()
    for user in users:
        locale = user.locale or DEFAULT_LOCALE
        params = {"report": report.display_number, "case": placement.number}
        notify(
            session,
            [user],
            subject=translate_message(COPY_SUBJECT, params, locale),
            body=translate_message(COPY_BODY, params, locale),
            now=now,
            link=f"/placements/{placement.id}",
            key=f"report-copy:{report.id}",
        )


def sign(session: Session, actor: Actor, placement_id: object, *, content_hash: str, now: dt.datetime) -> Report | None:
    """A named co-signer signs the frozen report's content hash from their own login. With two signatures
    the report is submitted exactly as frozen: the placement moves to ``reported`` (a first report), the
    report is copied to supervision and the insured. Returns the report once submitted."""
    placement = get_placement(session, actor, placement_id)
    work = _work(session, actor, placement)
    case = work.case
    signing = report_service.countersign(session, actor, case, KIND, content_hash=content_hash, now=now)
    if len(signing.signatures) < 2:
        return None
    previous = session.get(Report, signing.supersedes_id) if signing.supersedes_id else None
    if previous is None and not work.working(placement, correcting=False):
        raise Conflict("The placement is no longer being surveyed.")
    report = report_service.submit_signed(session, actor, case, signing, now=now)
    facts = {"report": report.display_number, "content_hash": report.content_hash}
    if previous is None:
        _first_submitted(session, actor, placement, work, facts, now)
    else:
        case_service.record_event(
            session,
            actor,
            case,
            "report.corrected",
            now=now,
            reason=signing.reason,
            after={**facts, "supersedes": previous.display_number},
            audience=work.audience([*case_service.ALL, audience.SUPERVISION]),
        )
    _copy_to_insured(session, placement, report, now)
    return report


def _first_submitted(
    session: Session, actor: Actor, placement: Placement, work: Work, facts: dict[str, Any], now: dt.datetime
) -> None:
    """A firm's first report is in: the placement moves to ``reported`` (the broker's adjuster's) or the
    insurer's appointment does (its own adjuster's); copied to supervision."""
    if work.second is None:
        transition(session, actor, placement, "submit_report", now, after=facts)
        case_service.stop_deadline(session, work.case, "pre_assessment_report", now=now)
    else:
        second_opinion.reported(session, actor, placement, work.second, facts, now)
    report_service.copy_to_supervision(session, work.case, now=now)


def open_signing(session: Session, placement: Placement, firm_id: uuid.UUID) -> ReportSigning | None:
    return report_service.open_signing(session, case_of(session, placement), firm_id, KIND)


def submitted(session: Session, placement: Placement, actor: Actor | None = None) -> list[Report]:
    """The placement's submitted pre-assessment reports, oldest first (corrections after their original);
    given the reader, without those of other insurers' adjusters (``second_opinion.hidden_firms``)."""
    rows = report_service.reports(session, case_of(session, placement), KIND)
    hidden = second_opinion.hidden_firms(session, actor, placement) if actor is not None else set()
    return [r for r in rows if r.firm_id not in hidden]


def current_report(session: Session, placement: Placement) -> Report | None:
    """The latest version of the instructed firm's report (what the risk register starts from)."""
    return report_service.latest_report(session, case_of(session, placement), placement.adjuster_firm_id, KIND)


def replacement_total(report: Report) -> Decimal:
    """The sum of the replacement values the report gives."""
    return sum(
        (Decimal(sec["replacement_value"]) for site in report.content.get("sites", []) for sec in site["sections"]),
        Decimal(0),
    )


def my_adjuster(session: Session, actor: Actor) -> Adjuster | None:
    return report_service.acting_adjuster(session, actor)
