"""The pre-assessment report of a placement (预评估报告, R-U3) through the API: the team, survey visits
and photos, the draft, freezing for signature, signing in person, the submitted reports and their PDFs.
A submitted report answers 409 to any change."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Query, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from tandem.access.actor import Actor
from tandem.case import service as case_service
from tandem.claim import documents
from tandem.claim.models import PartyRole
from tandem.deps import ActorDep, ClockDep, SessionDep, SettingsDep
from tandem.kit.errors import InvalidInput, NotFound
from tandem.kit.limits import REASON_MAX
from tandem.kit.uploads import MAX_UPLOAD, evidence_type
from tandem.placement import prereport
from tandem.placement.models import Placement
from tandem.placement.service import case_of, get_placement
from tandem.report import service as report_service
from tandem.report.models import Report
from tandem.schemas import Strict, UtcDateTime

router = APIRouter(prefix="/api/v1/placements", tags=["pre-assessment report"])
NF: dict[int | str, dict[str, Any]] = {404: {"description": "Not found"}}
ERR: dict[int | str, dict[str, Any]] = {403: {"description": "Not allowed"}, 409: {"description": "Conflict"}, **NF}
PHOTO_TYPES = ("image/",)


class TeamIn(Strict):
    adjuster_id: uuid.UUID


class VisitIn(Strict):
    visited_at: UtcDateTime
    participants: Annotated[list[Annotated[str, Field(min_length=1, max_length=100)]], Field(max_length=30)] = Field(
        default_factory=list
    )
    notes: Annotated[str, Field(max_length=20000)] | None = None
    photo_hashes: Annotated[list[Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]], Field(max_length=200)] = Field(
        default_factory=list
    )


class SubmitIn(Strict):
    signer_ids: Annotated[list[uuid.UUID], Field(min_length=1, max_length=10)]
    correction_of: uuid.UUID | None = None
    reason: Annotated[str, Field(max_length=REASON_MAX)] | None = None


class SignIn(Strict):
    content_hash: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class PhotoOut(BaseModel):
    document_id: uuid.UUID
    sha256: str
    filename: str


class PreAssessment(BaseModel):
    """The pre-assessment as the caller may see it: the team, visits, the firm's own draft and open
    signing (the firm only), and the submitted reports."""

    placement_id: uuid.UUID
    status: str
    team: list[dict[str, Any]]
    visits: list[dict[str, Any]]
    draft: dict[str, Any] | None
    signing: dict[str, Any] | None
    reports: list[dict[str, Any]]


def report_out(report: Report) -> dict[str, Any]:
    return {
        "id": str(report.id),
        "number": report.display_number,
        "version": report.version,
        "supersedes_id": str(report.supersedes_id) if report.supersedes_id else None,
        "submitted_at": report.submitted_at,
        "content_hash": report.content_hash,
        "replacement_total": str(prereport.replacement_total(report)),
        "content": report.content,
    }


def pre_assessment(session: Session, actor: Actor, placement: Placement) -> PreAssessment:
    case = case_of(session, placement)
    firm = bool(
        {PartyRole.ADJUSTER, PartyRole.INSURER_ADJUSTER} & case_service.participant_roles(session, case, actor.org_id)
    )
    draft = prereport.draft(session, placement, actor.org_id) if firm else None
    signing = prereport.open_signing(session, placement, actor.org_id) if firm else None
    return PreAssessment(
        placement_id=placement.id,
        status=placement.status.value,
        team=prereport.team_view(session, placement, actor),
        visits=[
            {
                "id": str(v.id),
                "visited_at": v.surveyed_at,
                "participants": v.participants,
                "notes": v.notes,
                "photo_hashes": v.photo_hashes,
            }
            for v in prereport.visits(session, placement, actor=actor)
        ],
        draft=draft.content if draft else None,
        signing=report_service.signing_view(session, signing) if signing else None,
        reports=[report_out(r) for r in prereport.submitted(session, placement, actor)],
    )


def _view(session: Session, actor: Actor, placement_id: str) -> PreAssessment:
    return pre_assessment(session, actor, get_placement(session, actor, placement_id))


@router.get("/{placement_id}/pre-assessment", response_model=PreAssessment, responses=NF)
def read(placement_id: str, actor: ActorDep, session: SessionDep) -> PreAssessment:
    return _view(session, actor, placement_id)


@router.post("/{placement_id}/team", response_model=PreAssessment, responses=ERR)
def add_second(placement_id: str, body: TeamIn, actor: ActorDep, session: SessionDep, clock: ClockDep) -> PreAssessment:
    """The firm adds its second adjuster (the lead joined with the accepted letter)."""
    prereport.add_second(session, actor, placement_id, body.adjuster_id, now=clock.now())
    return _view(session, actor, placement_id)


@router.post("/{placement_id}/survey-photos", response_model=PhotoOut, status_code=201, responses=ERR)
def upload_photo(
    placement_id: str,
    actor: ActorDep,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    file: Annotated[UploadFile, File()],
) -> PhotoOut:
    """A survey photo (recognised by its content), stored content-addressed; name it in a visit."""
    data = file.file.read(MAX_UPLOAD + 1)
    if not data:
        raise InvalidInput("The file is empty.", fields={"file": "empty"})
    if len(data) > MAX_UPLOAD:
        raise InvalidInput("The file is too large.", fields={"file": "at most 20 MB"})
    content_type = evidence_type(data)
    if content_type is None or not content_type.startswith(PHOTO_TYPES):
        raise InvalidInput("Not a photo.", fields={"file": "photos only (JPEG, PNG, HEIC …)"})
    doc = prereport.upload_photo(
        session, settings, actor, placement_id, filename=file.filename, content_type=content_type, data=data,
        now=clock.now(),
    )  # fmt: skip
    return PhotoOut(document_id=doc.id, sha256=doc.sha256, filename=doc.filename)


@router.post("/{placement_id}/surveys", response_model=PreAssessment, status_code=201, responses=ERR)
def record_visit(
    placement_id: str, body: VisitIn, actor: ActorDep, session: SessionDep, clock: ClockDep
) -> PreAssessment:
    """A survey visit: when (not in the future, not before the letter was accepted), who, notes, photos."""
    prereport.record_visit(
        session, actor, placement_id, visited_at=body.visited_at, participants=body.participants,
        notes=body.notes, photo_hashes=body.photo_hashes, now=clock.now(),
    )  # fmt: skip
    return _view(session, actor, placement_id)


@router.put("/{placement_id}/report-draft", response_model=PreAssessment, responses=ERR)
def save_draft(
    placement_id: str, body: dict[str, Any], actor: ActorDep, session: SessionDep, clock: ClockDep
) -> PreAssessment:
    """The firm's draft (``report/schemas.py`` RiskReport): subject, ``sites`` with each section's
    replacement value, risk points (title, description, location, level 低/中/高/重大, coefficient,
    advice, site_ref), 环评 ``environmental``, 安评 ``safety``, ``advice``; 422 names the field."""
    prereport.save_draft(session, actor, placement_id, body, now=clock.now())
    return _view(session, actor, placement_id)


@router.post("/{placement_id}/reports", response_model=PreAssessment, status_code=201, responses=ERR)
def submit(placement_id: str, body: SubmitIn, actor: ActorDep, session: SessionDep, clock: ClockDep) -> PreAssessment:
    """Freeze the draft for signature (numbered, hashed, signed by you); the named co-signer is told and
    signs in person (``/reports/sign``). ``correction_of`` with a ``reason`` submits a correction (-R1)."""
    prereport.submit(
        session, actor, placement_id, signer_ids=body.signer_ids, now=clock.now(),
        correction_of=body.correction_of, reason=body.reason,
    )  # fmt: skip
    return _view(session, actor, placement_id)


@router.post("/{placement_id}/reports/sign", response_model=PreAssessment, responses=ERR)
def sign(placement_id: str, body: SignIn, actor: ActorDep, session: SessionDep, clock: ClockDep) -> PreAssessment:
    """A named co-signer signs the frozen content hash; two signatures submit the report (immutable)."""
    prereport.sign(session, actor, placement_id, content_hash=body.content_hash, now=clock.now())
    return _view(session, actor, placement_id)


def _report(session: Session, actor: Actor, placement_id: str, report_id: str) -> Report:
    placement = get_placement(session, actor, placement_id)
    found = next((r for r in prereport.submitted(session, placement, actor) if str(r.id) == report_id), None)
    if found is None:
        raise NotFound()
    return found


@router.get("/{placement_id}/reports/{report_id}/pdf", responses=NF, response_class=Response)
def report_pdf(
    placement_id: str,
    report_id: str,
    actor: ActorDep,
    session: SessionDep,
    lang: Annotated[Literal["zh_CN", "en"], Query()] = "zh_CN",
) -> Response:
    """The submitted report as a 《预评估报告》 PDF: Chinese (as filed) by default, English with ``?lang=en``."""
    report = _report(session, actor, placement_id, report_id)
    return Response(
        documents.report_pdf(session, report, lang),
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{report.display_number}.pdf"',
            "X-Content-SHA256": report.content_hash,
        },
    )


def _refuse(session: Session, actor: Actor, placement_id: str, report_id: str) -> Response:
    _report(session, actor, placement_id, report_id)
    raise report_service.ReportImmutable()


@router.put("/{placement_id}/reports/{report_id}", responses=ERR, response_model=None)
def replace_report(placement_id: str, report_id: str, actor: ActorDep, session: SessionDep) -> Response:
    """Refused: a submitted report is never changed (409)."""
    return _refuse(session, actor, placement_id, report_id)


@router.patch("/{placement_id}/reports/{report_id}", responses=ERR, response_model=None)
def patch_report(placement_id: str, report_id: str, actor: ActorDep, session: SessionDep) -> Response:
    """Refused: a submitted report is never changed (409)."""
    return _refuse(session, actor, placement_id, report_id)


@router.delete("/{placement_id}/reports/{report_id}", responses=ERR, response_model=None)
def delete_report(placement_id: str, report_id: str, actor: ActorDep, session: SessionDep) -> Response:
    """Refused: a submitted report is never deleted (409)."""
    return _refuse(session, actor, placement_id, report_id)
