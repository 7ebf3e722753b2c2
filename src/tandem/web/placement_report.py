"""The pre-assessment report of a placement (预评估报告, R-U3) as pages: the panel of the placement's case
file (``placements/_report.html``: team, survey visits with photos, signing, submitted reports and their
PDFs), the draft editor (replacement value per site and section, risk points added and removed on the
server with the rows editor of ``draft_form``), and the forms behind them. Errors show beside the fields."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from tandem.access.actor import Actor
from tandem.case import audience
from tandem.claim.models import Document
from tandem.config import Settings
from tandem.deps import ClockDep, SessionDep, SettingsDep
from tandem.kit.clock import Clock
from tandem.kit.errors import ActionNotAllowed, Conflict, InvalidInput, NotFound
from tandem.kit.i18n import N_
from tandem.kit.limits import REASON_MAX
from tandem.kit.uploads import MAX_UPLOAD, evidence_type
from tandem.party.cover import SECTION_TYPES
from tandem.party.models import Adjuster
from tandem.placement import prereport
from tandem.placement.models import Placement
from tandem.placement.service import case_of, get_placement
from tandem.report import service as report_service
from tandem.report.schemas import RISK_LEVELS, coefficient
from tandem.web import draft_form, forms, placements
from tandem.web.claims import FormDep, document_response
from tandem.web.forms import FormState
from tandem.web.guards import CheckedActor, PageActor
from tandem.web.render import render

router = APIRouter(include_in_schema=False)

RISK = "risk"
RISK_FIELDS = ("ref", "title", "location", "site_ref", "level", "coefficient", "description", "advice")
RISK_LIMITS = {"ref": 20, "title": 200, "location": 200, "site_ref": 20, "level": 4, "coefficient": 20}
TEXTS = ("subject", "environmental", "safety", "advice")
CHOOSE_LEVEL = N_("Choose a level: 低, 中, 高 or 重大.")
BAD_COEFFICIENT = N_("Enter a coefficient above 0 and at most 10 with at most 4 decimals, such as 1.15.")
NO_POINTS = N_("Add at least one risk point.")
CHOOSE_SITE = N_("Choose a site of this placement.")
CHECK_FIELD = N_("Check this field.")
CHOOSE_PHOTOS = N_("Only photos (JPEG, PNG, HEIC …) of at most 20 MB can be attached.")
CHOOSE_ADJUSTER = N_("Choose an adjuster from the list.")
CHOOSE_SIGNERS = N_("Choose at least two adjusters who worked the case.")
NOTICES = {
    "team": N_("The adjuster was added to the team."),
    "visit": N_("The survey visit is recorded."),
    "draft": N_("The report draft is saved."),
    "signed": N_("You signed the report. It is submitted once a co-signer has signed it too."),
    "report": N_("The report is submitted and signed. It can no longer be changed."),
}


# ---- the draft editor --------------------------------------------------------------------------------


@dataclass
class ValueRow:
    """One section of the subject with the replacement value the adjuster gives it."""

    ref: str
    site: str
    kind: str
    description: str
    sum_insured: Decimal
    replacement_value: str = ""
    basis: str = ""


@dataclass
class PreForm:
    values: list[ValueRow]
    risks: draft_form.SectionForm
    texts: dict[str, str]
    sites: list[tuple[str, str]]
    errors: dict[str, object] = field(default_factory=dict)


def _rows(placement: Placement) -> list[ValueRow]:
    return [
        ValueRow(
            sec["ref"],
            f"{site['ref']} {site['name']}",
            SECTION_TYPES.get(sec["type"], sec["type"]),
            sec.get("description") or "",
            Decimal(sec["sum_insured"]),
        )
        for site in placement.subject.get("sites", [])
        for sec in site["sections"]
    ]


def _sites(placement: Placement) -> list[tuple[str, str]]:
    return [(s["ref"], s["name"]) for s in placement.subject.get("sites", [])]


def from_content(placement: Placement, content: dict[str, Any] | None) -> PreForm:
    """The editor for a saved draft (or an empty one: one empty risk point)."""
    c = content or {}
    valued = {sec["ref"]: sec for site in c.get("sites", []) for sec in site["sections"]}
    values = _rows(placement)
    for row in values:
        row.replacement_value = str(valued.get(row.ref, {}).get("replacement_value", ""))
        row.basis = str(valued.get(row.ref, {}).get("basis", ""))
    risks = [{f: str(p.get(f) or "") for f in RISK_FIELDS} for p in c.get("risk_points", [])]
    if not risks:
        risks = [dict.fromkeys(RISK_FIELDS, "")]
    texts = {k: str(c.get(k) or "") for k in TEXTS}
    return PreForm(values, draft_form.SectionForm(RISK, "", risks, fields=RISK_FIELDS), texts, _sites(placement))


def from_post(placement: Placement, form: Any) -> PreForm:
    """What the editor held when posted."""
    values = _rows(placement)
    for row in values:
        row.replacement_value = forms.text(form, f"values.{row.ref}.replacement_value", 40)
        row.basis = forms.text(form, f"values.{row.ref}.basis", REASON_MAX)
    risks = draft_form.read_rows(form, RISK, RISK_FIELDS, {**dict.fromkeys(RISK_FIELDS, REASON_MAX), **RISK_LIMITS})
    texts = {k: forms.text(form, k, REASON_MAX) for k in TEXTS}
    return PreForm(values, draft_form.SectionForm(RISK, "", risks, fields=RISK_FIELDS), texts, _sites(placement))


def _text(value: str, key: str, limit: int, errors: dict[str, object]) -> str:
    value = value.strip()
    if not value:
        errors[key] = forms.REQUIRED
    elif len(value) > limit:
        errors[key] = forms.TOO_LONG
    return value


def _risk_point(row: dict[str, str], key: str, ref: str, sites: set[str], errors: dict[str, object]) -> dict[str, Any]:
    point: dict[str, Any] = {"ref": ref}
    for name in ("title", "location", "description", "advice"):
        point[name] = _text(row[name], f"{key}.{name}", RISK_LIMITS.get(name, REASON_MAX), errors)
    if row["level"] not in RISK_LEVELS:
        errors[f"{key}.level"] = CHOOSE_LEVEL
    point["level"] = row["level"]
    try:
        point["coefficient"] = format(coefficient(row["coefficient"].strip()), "f")
    except ValueError:
        errors[f"{key}.coefficient"] = BAD_COEFFICIENT
    if row["site_ref"]:
        if row["site_ref"] not in sites:
            errors[f"{key}.site_ref"] = CHOOSE_SITE
        point["site_ref"] = row["site_ref"]
    return point


def to_content(pre: PreForm) -> dict[str, Any] | None:
    """Validate the editor into draft content; field errors go to ``pre.errors`` (then None)."""
    errors = pre.errors
    by_site: dict[str, list[dict[str, str]]] = {}
    for row in pre.values:
        key = f"values.{row.ref}"
        amount = forms.money(row.replacement_value, errors, f"{key}.replacement_value", required=False)
        if len(row.basis) > REASON_MAX:
            errors[f"{key}.basis"] = forms.TOO_LONG
        if amount is not None:
            value = {"ref": row.ref, "replacement_value": f"{amount:.2f}", "basis": row.basis.strip()}
            by_site.setdefault(row.ref.split("-")[0], []).append(value)
    points: list[dict[str, Any]] = []
    refs: set[str] = set()
    sites = {ref for ref, _ in pre.sites}
    for i, risk in enumerate(pre.risks.rows):
        if draft_form.empty(risk):
            continue
        key = f"{RISK}.{i}"
        ref = risk["ref"].strip() or f"R{len(points) + 1}"
        risk["ref"] = ref
        if len(ref) > 20:
            errors[f"{key}.ref"] = forms.TOO_LONG
        elif ref in refs:
            errors[f"{key}.ref"] = draft_form.DUPLICATE_REF
        refs.add(ref)
        points.append(_risk_point(risk, key, ref, sites, errors))
    if not points:
        errors[RISK] = NO_POINTS
    texts = {k: _text(v, k, REASON_MAX, errors) for k, v in pre.texts.items()}
    if errors:
        return None
    return {**texts, "sites": [{"ref": s, "sections": v} for s, v in by_site.items()], "risk_points": points}


# ---- the panel on the placement's page ----------------------------------------------------------------


def _firm(session: Session, actor: Actor, placement: Placement) -> bool:
    """Whether the actor works for a firm writing a pre-assessment of the placement: the instructed one,
    or an insurer's own adjuster whose letter is accepted (R-U7)."""
    return prereport.work_of(session, actor, placement) is not None


def _photos(session: Session, placement: Placement, hashes: list[str], viewer: audience.Viewer) -> list[Document]:
    """A visit's photos the viewer may open (the insurer's adjuster's are its readers', R-U7)."""
    if not hashes:
        return []
    found = session.execute(
        select(Document).where(
            Document.case_id == placement.case_id, Document.kind == prereport.PHOTO, Document.sha256.in_(hashes)
        )
    ).scalars()
    return [d for d in found if viewer.sees(d.audience)]


def _signing(session: Session, actor: Actor, placement: Placement) -> dict[str, Any] | None:
    signing = prereport.open_signing(session, placement, actor.org_id)
    if signing is None:
        return None
    view = report_service.signing_view(session, signing)
    me = prereport.my_adjuster(session, actor)
    mine = next((s for s in view["signers"] if me is not None and s["adjuster_id"] == str(me.id)), None)
    view["i_sign"] = mine is not None and not mine["signed"]
    for s in view["signers"]:
        s["signed_at"] = dt.datetime.fromisoformat(s["signed_at"]) if s["signed_at"] else None
    return view


def panel(session: Session, actor: Actor, placement: Placement, now: dt.datetime, locale: str = "") -> dict[str, Any]:
    """What ``placements/_report.html`` shows (the context key ``pre``) for this actor; registered in the
    case file's ``PANELS``."""
    work = prereport.work_of(session, actor, placement)
    viewer = audience.viewer(session, actor, case_of(session, placement))
    firm = work is not None
    working = work is not None and work.working(placement, correcting=False)
    team = prereport.team_view(session, placement, actor)
    on_team = {m["adjuster_id"] for m in team}
    own = (
        session.execute(select(Adjuster).where(Adjuster.firm_id == actor.org_id).order_by(Adjuster.name))
        .unique()
        .scalars()
        .all()
        if firm
        else []
    )
    candidates = [a for a in own if str(a.id) not in on_team] if working else []
    draft = prereport.draft(session, placement, actor.org_id) if firm else None
    reports = prereport.submitted(session, placement, actor)
    mine = [r for r in reports if r.firm_id == actor.org_id]
    superseded = {r.supersedes_id for r in reports}
    return {
        "pre": {
            "placement": placement,
            "firm": firm,
            "working": working,
            "team": team,
            # Who may sign: the team's adjusters of the actor's own firm (not the other pre-assessment's).
            "signers": [m for m in team if m["adjuster_id"] in {str(a.id) for a in own}],
            "candidates": candidates,
            "visits": [
                (v, _photos(session, placement, v.photo_hashes, viewer))
                for v in prereport.visits(session, placement, actor=actor)
            ],
            "draft": draft,
            "signing": _signing(session, actor, placement) if firm else None,
            "can_submit": working and draft is not None and not mine,
            "correctable": [r for r in mine if r.id not in superseded]
            if work is not None and not working and work.working(placement, correcting=True)
            else [],
            "reports": [(r, prereport.replacement_total(r)) for r in reports],
            "default_visit_at": forms.local_input(now.replace(second=0, microsecond=0)),
        }
    }


placements.PANELS.append(panel)
placements.NOTICES.update(NOTICES)


def _page(
    request: Request, actor: Actor, session: Session, clock: Clock, placement_id: str, name: str, state: FormState
) -> Response:
    return placements.page(request, actor, session, clock, placement_id, states={name: state}, status=422)


@router.post("/placements/{placement_id}/pre-assessment/team")
def add_second(
    placement_id: str, request: Request, actor: CheckedActor, session: SessionDep, clock: ClockDep, form: FormDep
) -> Response:
    state = FormState({"adjuster_id": forms.text(form, "adjuster_id", 40)})
    adjuster_id = forms.uuid_or_none(state.values["adjuster_id"])
    if adjuster_id is None:
        state.errors["adjuster_id"] = CHOOSE_ADJUSTER
        return _page(request, actor, session, clock, placement_id, "pre_team", state)
    try:
        prereport.add_second(session, actor, placement_id, adjuster_id, now=clock.now())
    except NotFound:
        get_placement(session, actor, placement_id)  # a hidden placement stays a 404
        session.rollback()
        state.errors["adjuster_id"] = CHOOSE_ADJUSTER
        return _page(request, actor, session, clock, placement_id, "pre_team", state)
    except (Conflict, InvalidInput) as exc:
        return placements.failed(request, actor, session, clock, placement_id, exc, "pre_team", state, "adjuster_id")
    return placements.done(placement_id, "team", "pre-assessment")


def _store_photos(
    session: Session, settings: Settings, actor: Actor, placement_id: str, form: Any, now: dt.datetime
) -> list[str] | None:
    """The photos attached to a visit form, stored; None when one is not a photo or too large."""
    uploads = [u for u in form.getlist("photos") if isinstance(u, UploadFile) and u.filename]
    hashes = []
    for upload in uploads[:50]:
        data = upload.file.read(MAX_UPLOAD + 1)
        kind = evidence_type(data) if data and len(data) <= MAX_UPLOAD else None
        if kind is None or not kind.startswith("image/"):
            return None
        doc = prereport.upload_photo(
            session, settings, actor, placement_id, filename=upload.filename, content_type=kind, data=data, now=now
        )
        hashes.append(doc.sha256)
    return hashes


@router.post("/placements/{placement_id}/pre-assessment/visits")
def record_visit(
    placement_id: str,
    request: Request,
    actor: CheckedActor,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    form: FormDep,
) -> Response:
    state = FormState({n: forms.text(form, n, 20000) for n in ("visited_at", "participants", "notes")})
    v = state.values
    visited = forms.local_datetime(v["visited_at"], state.errors, "visited_at")
    participants = [p.strip() for p in v["participants"].replace("，", ",").replace("、", ",").split(",") if p.strip()]
    if any(len(p) > 100 for p in participants) or len(participants) > 30:
        state.errors["participants"] = forms.TOO_LONG
    if len(v["notes"]) > 20000:
        state.errors["notes"] = forms.TOO_LONG
    if state.errors or visited is None:
        return _page(request, actor, session, clock, placement_id, "pre_visit", state)
    try:
        photos = _store_photos(session, settings, actor, placement_id, form, clock.now())
        if photos is None:
            session.rollback()
            state.errors["photos"] = CHOOSE_PHOTOS
            return _page(request, actor, session, clock, placement_id, "pre_visit", state)
        prereport.record_visit(
            session, actor, placement_id, visited_at=visited, participants=participants, notes=v["notes"] or None,
            photo_hashes=photos, now=clock.now(),
        )  # fmt: skip
    except (Conflict, InvalidInput) as exc:
        return placements.failed(
            request, actor, session, clock, placement_id, exc, "pre_visit", state, "visited_at",
            {"team": "visited_at", "photo_hashes": "photos"},
        )  # fmt: skip
    return placements.done(placement_id, "visit", "pre-assessment")


def _draft_page(
    request: Request,
    actor: Actor,
    session: Session,
    placement: Placement,
    pre: PreForm,
    *,
    alert: object = None,
    status: int = 200,
) -> Response:
    saved = prereport.draft(session, placement, actor.org_id)
    return render(
        request,
        "placements/report_draft.html",
        {"placement": placement, "pre": pre, "saved": saved, "alert": alert},
        status=status,
    )


@router.get("/placements/{placement_id}/report-draft")
def draft_page(placement_id: str, request: Request, actor: PageActor, session: SessionDep) -> Response:
    """The draft editor of the instructed firm (others: 404 when they cannot see the placement, else 403)."""
    placement = get_placement(session, actor, placement_id)
    if not _firm(session, actor, placement):
        raise ActionNotAllowed()
    saved = prereport.draft(session, placement, actor.org_id)
    return _draft_page(request, actor, session, placement, from_content(placement, saved.content if saved else None))


@router.post("/placements/{placement_id}/report-draft")
def save_draft(
    placement_id: str, request: Request, actor: CheckedActor, session: SessionDep, clock: ClockDep, form: FormDep
) -> Response:
    """``op=add:risk`` / ``remove:risk:<row>`` edit the risk points, ``save`` saves."""
    placement = get_placement(session, actor, placement_id)
    if not _firm(session, actor, placement):
        raise ActionNotAllowed()
    pre = from_post(placement, form)
    op = forms.text(form, "op", 60) or "save"
    if op != "save":
        draft_form.apply_op([pre.risks], op)
        return _draft_page(request, actor, session, placement, pre)
    content = to_content(pre)
    if content is None:
        return _draft_page(request, actor, session, placement, pre, status=422)
    try:
        prereport.save_draft(session, actor, placement_id, content, now=clock.now())
    except (Conflict, InvalidInput) as exc:
        session.rollback()
        for name in exc.fields or {}:
            pre.errors[name.replace("risk_points.", f"{RISK}.")] = CHECK_FIELD
        return _draft_page(request, actor, session, placement, pre, alert=exc, status=exc.status)
    return placements.done(placement_id, "draft", "pre-assessment")


@router.post("/placements/{placement_id}/pre-assessment/submit")
def submit(
    placement_id: str, request: Request, actor: CheckedActor, session: SessionDep, clock: ClockDep, form: FormDep
) -> Response:
    """Freeze the draft for signature (or a correction, with its reason) and sign it as the first signer."""
    signers = [forms.uuid_or_none(s) for s in form.getlist("signers") if isinstance(s, str)]
    chosen = [s for s in signers if s is not None]
    correction_of = forms.uuid_or_none(forms.text(form, "correction_of", 40))
    name = "pre_correct" if correction_of else "pre_submit"
    state = FormState({"signers": [str(s) for s in chosen], "reason": forms.text(form, "reason", REASON_MAX)})
    if len(set(chosen)) < 2:
        state.errors["signers"] = CHOOSE_SIGNERS
        return _page(request, actor, session, clock, placement_id, name, state)
    try:
        prereport.submit(
            session, actor, placement_id, signer_ids=chosen, now=clock.now(), correction_of=correction_of,
            reason=state.values["reason"] or None,
        )  # fmt: skip
    except ActionNotAllowed as exc:
        if exc.message == ActionNotAllowed.message:
            raise
        session.rollback()  # "You must be one of the signing adjusters."
        state.errors["signers"] = exc
        return placements.page(request, actor, session, clock, placement_id, states={name: state}, status=403)
    except (Conflict, InvalidInput) as exc:
        rename = {"signer_ids": "signers", "content": "signers", "visits": "signers"}
        rename.update({f: "signers" for f in exc.fields or {} if f.startswith("values.")})
        return placements.failed(request, actor, session, clock, placement_id, exc, name, state, "signers", rename)
    return placements.done(placement_id, "signed", "pre-assessment")


@router.post("/placements/{placement_id}/pre-assessment/sign")
def sign(
    placement_id: str, request: Request, actor: CheckedActor, session: SessionDep, clock: ClockDep, form: FormDep
) -> Response:
    """A named co-signer signs the frozen report's content hash (shown on the page) in person."""
    try:
        report = prereport.sign(
            session, actor, placement_id, content_hash=forms.text(form, "content_hash", 64), now=clock.now()
        )
    except (Conflict, InvalidInput, ActionNotAllowed) as exc:
        session.rollback()
        return placements.page(request, actor, session, clock, placement_id, alert=exc, status=exc.status)
    return placements.done(placement_id, "report" if report is not None else "signed", "pre-assessment")


@router.get("/placements/{placement_id}/survey-photos/{document_id}")
def photo(
    placement_id: str, document_id: str, actor: PageActor, session: SessionDep, settings: SettingsDep
) -> Response:
    """A survey photo, for the sides that see survey photos (broker, the firm, the insured)."""
    placement = get_placement(session, actor, placement_id)
    viewer = audience.viewer(session, actor, case_of(session, placement))
    doc_id = forms.uuid_or_none(document_id)
    doc = session.get(Document, doc_id) if doc_id else None
    if doc is None or doc.case_id != placement.case_id or doc.kind != prereport.PHOTO:
        raise NotFound()
    return document_response(settings, doc if viewer.sees(doc.audience) else None)
