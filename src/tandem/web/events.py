"""Catastrophe events as pages (巨灾事件, issue 21): the list and the declaration form, the event page with
its notices by district and by severity and the bulk assignment of a district to a firm, and the batch
upload of notices (批量报案) from a call centre's CSV or XLSX. Every write goes through
:mod:`tandem.claim.events` or :mod:`tandem.claim.batch`; an event the viewer may not see is a 404."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile

from tandem.access import scope
from tandem.access.actor import Actor
from tandem.access.models import Role
from tandem.claim import batch, events
from tandem.claim.event_models import CatEvent, Peril
from tandem.claim.models import Claim
from tandem.claim.service import INTAKE_ROLES
from tandem.deps import ClockDep, SessionDep, SettingsDep
from tandem.kit import sheets
from tandem.kit.errors import ActionNotAllowed, Conflict, InvalidInput, TandemError
from tandem.kit.i18n import N_
from tandem.kit.limits import REASON_MAX
from tandem.party.models import AdjusterFirm, FilingStatus
from tandem.web import forms
from tandem.web.claims import CHOOSE_FILE, FormDep
from tandem.web.forms import FormBag, FormState
from tandem.web.guards import CheckedActor, PageActor
from tandem.web.labels import LABELS, Message
from tandem.web.render import render

router = APIRouter(include_in_schema=False)

LABELS["event_peril"] = {  # not "peril": that group names the perils a product covers (party.cover)
    "flood": N_("Flood"),
    "typhoon": N_("Typhoon"),
    "earthquake": N_("Earthquake"),
    "hail": N_("Hail"),
    "other": N_("Other peril"),
}
LABELS["loss_band"] = {
    "1m+": N_("1,000,000 and more"),
    "100k-1m": N_("100,000 – 1,000,000"),
    "10k-100k": N_("10,000 – 100,000"),
    "0-10k": N_("Under 10,000"),
    "unknown": N_("Not estimated"),
}
DECLARED = N_("The event is declared: {n} open notices inside its area and period are tagged.")
ASSIGNED = N_("{routed} notices routed to {firm}; {refused} refused (listed below).")
UPLOADED = N_("{created} notices created, {known} already known, {refused} refused.")
NO_SUCH_CLAIM = N_("No claim with this number.")
DONE = {
    "tagged": N_("The notice is tagged with the event."),
    "untagged": N_("The notice is no longer tagged with the event."),
}
MAX_UPLOAD = 20 * 1024 * 1024
TOO_LARGE = N_("The file is larger than 20 MB.")
SHOWN = 300  # notices listed on the event page (the counts cover all)


def may_declare(actor: Actor) -> bool:
    return actor.has_any(events.DECLARE_ROLES)


def may_assign(actor: Actor) -> bool:
    return actor.has_any(frozenset({Role.BROKER_ACCOUNT_MANAGER}))


def _list_page(
    request: Request,
    actor: Actor,
    session: Session,
    *,
    states: Mapping[str, FormState] | None = None,
    alert: object = None,
    status: int = 200,
) -> Response:
    rows = session.execute(scope.visible_events(actor).order_by(CatEvent.declared_at.desc())).scalars()
    ctx: dict[str, Any] = {
        "events": [(e, events.tagged_count(session, actor, e)) for e in rows],
        "may_declare": may_declare(actor),
        "perils": [p.value for p in Peril],
        "fs": FormBag(dict(states or {})),
        "alert": alert,
    }
    return render(request, "events/list.html", ctx, status=status)


@router.get("/events")
def list_page(request: Request, actor: PageActor, session: SessionDep) -> Response:
    return _list_page(request, actor, session)


@router.post("/events")
def declare(request: Request, form: FormDep, actor: CheckedActor, session: SessionDep, clock: ClockDep) -> Response:
    names = ("name", "peril", "areas", "starts_at", "ends_at")
    state = FormState(values={n: forms.text(form, n, REASON_MAX) for n in names})
    v, errors = state.values, state.errors
    name = forms.required_text(v["name"], errors, "name")
    starts = forms.local_datetime(v["starts_at"], errors, "starts_at")
    ends = forms.local_datetime(v["ends_at"], errors, "ends_at")
    if v["peril"] not in {p.value for p in Peril}:
        errors["peril"] = forms.FIELD_REQUIRED
    areas = events.split_areas(v["areas"])
    if not areas:
        errors["areas"] = events.NO_AREA
    if errors or starts is None or ends is None:
        return _list_page(request, actor, session, states={"declare": state}, status=422)
    try:
        event, tagged = events.declare(
            session, actor, events.EventInput(name, Peril(v["peril"]), areas, starts, ends), now=clock.now()
        )
    except TandemError as exc:
        return forms.failed_form(session, exc, "declare", state, partial(_list_page, request, actor, session))
    return RedirectResponse(f"/events/{event.id}?tagged={tagged}", 303)


def _firms(session: Session, actor: Actor) -> list[AdjusterFirm]:
    stmt = scope.visible_firms(actor).where(AdjusterFirm.filing_status == FilingStatus.FILED)
    return sorted(session.execute(stmt).unique().scalars(), key=lambda f: f.organisation.name)


def _event_page(
    request: Request,
    actor: Actor,
    session: Session,
    event_id: str,
    *,
    notice: object = None,
    alert: object = None,
    assigned: list[events.Assigned] | None = None,
    status: int = 200,
) -> Response:
    event = scope.get_event(session, actor, event_id)  # 404 for anybody who may not see it
    claims = events.event_claims(session, actor, event)
    triage = events.triage(claims)
    ctx: dict[str, Any] = {
        "event": event,
        "triage": triage,
        "claims": claims[:SHOWN],
        "first": triage.first[:SHOWN],
        "district_of": events.district_of,
        "band_of": events.band_of,
        "injured": events.injured,
        "firms": (firms := _firms(session, actor) if may_assign(actor) else []),
        "loads": events.firm_loads(session, firms),
        "may_assign": may_assign(actor),
        "may_tag": may_declare(actor),
        "assigned": assigned,
        "notice": notice,
        "alert": alert,
        "shown": SHOWN,
    }
    return render(request, "events/event.html", ctx, status=status)


@router.get("/events/{event_id}")
def event_page(
    event_id: str,
    request: Request,
    actor: PageActor,
    session: SessionDep,
    tagged: int | None = None,
    done: str | None = None,
) -> Response:
    notice = Message(DECLARED, {"n": tagged}) if tagged is not None else DONE.get(done or "")
    return _event_page(request, actor, session, event_id, notice=notice)


@router.post("/events/{event_id}/assign")
def assign(
    event_id: str, request: Request, form: FormDep, actor: CheckedActor, session: SessionDep, clock: ClockDep
) -> Response:
    """A district's notices awaiting an adjuster, to one firm: the routing checks on each, refusals listed."""
    district, firm_id = forms.text(form, "district", 40), forms.text(form, "firm_id", 40)
    try:
        done = events.assign_district(session, actor, event_id, district, firm_id, now=clock.now())
    except (InvalidInput, ActionNotAllowed) as exc:
        session.rollback()
        return _event_page(request, actor, session, event_id, alert=exc, status=exc.status)
    firm = scope.get_firm(session, actor, firm_id)
    routed = sum(1 for a in done if a.error is None)
    notice = Message(ASSIGNED, {"routed": routed, "refused": len(done) - routed, "firm": firm.organisation.name})
    return _event_page(request, actor, session, event_id, notice=notice, assigned=done)


def _by_number(session: Session, actor: Actor, number: str) -> str:
    """The id of the claim with this number the actor may see; NotFound (the page's alert) for any other."""
    found = (
        session.execute(scope.visible_claims(actor).where(Claim.number == number.strip())).unique().scalar_one_or_none()
    )
    if found is None:
        raise InvalidInput(NO_SUCH_CLAIM, fields={"number": "unknown"})
    return str(found.id)


@router.post("/events/{event_id}/tag")
def tag(
    event_id: str, request: Request, form: FormDep, actor: CheckedActor, session: SessionDep, clock: ClockDep
) -> Response:
    """Tag a notice (by its number) with the event by hand; audited on the claim's case."""
    try:
        events.tag(
            session, actor, event_id, _by_number(session, actor, forms.text(form, "number", 40)), now=clock.now()
        )
    except (InvalidInput, Conflict, ActionNotAllowed) as exc:
        session.rollback()
        return _event_page(request, actor, session, event_id, alert=exc, status=exc.status)
    return RedirectResponse(f"/events/{event_id}?done=tagged", 303)


@router.post("/events/{event_id}/untag")
def untag(
    event_id: str, request: Request, form: FormDep, actor: CheckedActor, session: SessionDep, clock: ClockDep
) -> Response:
    """Take a notice out of the event by hand; audited on the claim's case."""
    try:
        events.untag(session, actor, event_id, forms.text(form, "claim_id", 40), now=clock.now())
    except (Conflict, ActionNotAllowed) as exc:
        session.rollback()
        return _event_page(request, actor, session, event_id, alert=exc, status=exc.status)
    return RedirectResponse(f"/events/{event_id}?done=untagged", 303)


# ---- batch upload ---------------------------------------------------------------------------------------


async def upload_form(request: Request) -> FormData:
    return await request.form(max_part_size=MAX_UPLOAD + 1024)


UploadForm = Annotated[FormData, Depends(upload_form)]


def _import_page(
    request: Request,
    actor: Actor,
    *,
    results: list[tuple[int, batch.RowResult]] | None = None,
    field_error: object = None,
    notice: object = None,
    status: int = 200,
) -> Response:
    if not actor.has_any(INTAKE_ROLES):
        raise ActionNotAllowed()
    refused = [(line, r) for line, r in results or [] if r.outcome == batch.REFUSED]
    created = [(line, r) for line, r in results or [] if r.outcome != batch.REFUSED]
    ctx: dict[str, Any] = {
        "results": results,
        "refused": refused,
        "created": created[:SHOWN],
        "field_error": field_error,
        "notice": notice,
        "headers": HEADER_HELP,
        "shown": SHOWN,
    }
    return render(request, "claims/import.html", ctx, status=status)


HEADER_HELP = [
    ("报案流水号", "idempotency_key"),
    ("保单号", "policy_number"),
    ("出险时间", "loss_at"),
    ("出险地点", "location"),
    ("出险经过", "description"),
    ("报案渠道", "channel"),
    ("估损金额", "estimated_loss"),
    ("报案人", "reporter.name"),
    ("报案人电话", "reporter.phone"),
]


@router.get("/claims/import")
def import_form(request: Request, actor: PageActor) -> Response:
    return _import_page(request, actor)


@router.post("/claims/import")
def import_file(
    request: Request, form: UploadForm, actor: CheckedActor, session: SessionDep, settings: SettingsDep, clock: ClockDep
) -> Response:
    """Take the file's notices as the batch API does; every row's outcome is shown, refusals first."""
    if not actor.has_any(INTAKE_ROLES):
        raise ActionNotAllowed()
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _import_page(request, actor, field_error=CHOOSE_FILE, status=422)
    raw = upload.file.read(MAX_UPLOAD + 1)
    if len(raw) > MAX_UPLOAD:
        return _import_page(request, actor, field_error=TOO_LARGE, status=422)
    try:
        rows, lines = batch.rows_from_file(raw, upload.filename)
        results = batch.intake(session, settings, actor, rows, now=clock.now())
    except sheets.SheetError as exc:
        return _import_page(request, actor, field_error=str(exc), status=422)
    except InvalidInput as exc:
        return _import_page(request, actor, field_error=exc, status=422)
    counts = batch.summary(results)
    return _import_page(
        request, actor, results=[(lines[r.row - 1], r) for r in results], notice=Message(UPLOADED, dict(counts))
    )
