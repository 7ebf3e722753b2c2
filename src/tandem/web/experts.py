"""Expert pools (专家库) in the browser: the pool a user may see with search, profiles with contact data
masked until an engagement is accepted, the owner's sharing and edit forms, JSONL import and export,
the engagements to decide (专家聘请), and the request form of the suggested experts on a case file.

Every expert comes through ``scope.visible_experts`` (seeing) or ``engagement.owned_expert`` (changing),
every engagement through ``engagement.owned_engagement``: a hidden object is the same 404 as a missing one.
"""

from __future__ import annotations

import dataclasses
import re
import uuid
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from tandem.access import scope
from tandem.access.actor import Actor
from tandem.access.models import Organisation, OrgKind
from tandem.access.permissions import Perm
from tandem.audit import service as audit
from tandem.claim.models import Claim
from tandem.db import json_list_contains
from tandem.deps import ClockDep, SessionDep, SettingsDep
from tandem.expert import engagement as svc
from tandem.expert import service
from tandem.kit.clock import today_local
from tandem.kit.errors import ActionNotAllowed, Conflict, InvalidInput
from tandem.kit.i18n import N_
from tandem.kit.limits import REASON_MAX
from tandem.party.models import Expert, Visibility
from tandem.routing.service import PROVINCES
from tandem.web import cases, forms
from tandem.web.claims import CHOOSE_FILE, FormBag, FormDep, case_page
from tandem.web.forms import FormState
from tandem.web.guards import CheckedActor, PageActor
from tandem.web.labels import Message
from tandem.web.render import is_htmx, render

router = APIRouter(include_in_schema=False)

BROWSE_LIMIT = 50
SEARCH_STEP = 20
SEARCH_MAX = 200
MAX_IMPORT = 20 * 1024 * 1024
SPLIT = re.compile(r"[\n,，、;；]+")
PERIOD = re.compile(r"^\s*(\d{4}-\d{2}-\d{2})\s*(?:[–—~至到]|--?|to)?\s*(\d{4}-\d{2}-\d{2})\s*$")

NOTICES = {
    "saved": N_("The profile is saved."),
    "shared": N_("Sharing is saved."),
    "accepted": N_("The engagement is accepted; the expert is now on the case."),
    "declined": N_("The engagement is declined."),
}
IMPORTED = N_("{total} experts imported into your pool: {created} new, {updated} updated, {unchanged} unchanged.")
IMPORT_FAILED = N_("Nothing was imported: {n} lines are invalid. Correct them and upload the whole file again.")
NOT_UTF8 = N_("The file is not UTF-8 text.")
NO_PROFILES = N_("The file holds no profiles.")
FILE_TOO_LARGE = N_("The file is larger than 20 MB.")
CHOOSE_FIRMS = N_("Choose at least one firm.")
FIRMS_ONLY_NAMED = N_("Firms are chosen only when sharing with named firms.")
CHOOSE_SHARING = N_("Choose who may see the expert.")
BAD_PERIOD = N_("One period per line, such as 2026-12-01 2026-12-15.")
CHOOSE_EXPERT = N_("Choose an expert from the list.")
ALREADY_REQUESTED = N_("Your organisation already requested or engaged this expert on this claim.")

TEXT_FIELDS = ("name", "title", "organisation", "bio", "phone", "email", "fee_basis")
LIST_FIELDS = ("specialties", "certificates", "conflicts")
CHOICE_FIELDS = ("lines", "regions")


def can_manage(actor: Actor) -> bool:
    """Import, export, edit, share and decide: the pool's administrators (brokers, firm administrators)."""
    return actor.org_kind in svc.POOL_KINDS and actor.can(Perm.MANAGE_EXPERTS)


def _require_manage(actor: Actor) -> None:
    if not can_manage(actor):
        raise ActionNotAllowed()


def _require_pool_party(actor: Actor) -> None:
    """The pool pages are for the organisations that have pools (and the platform): others are refused,
    as the navigation does not offer them either."""
    if actor.org_kind not in (*svc.POOL_KINDS, OrgKind.PLATFORM):
        raise ActionNotAllowed()


# ---- the pool --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    expert: Expert
    rank: int | None = None
    score: float | None = None
    explain: list[cases.Matched] = field(default_factory=list)
    meets_filters: bool = True


@router.get("/experts")
def expert_list(
    request: Request,
    actor: PageActor,
    session: SessionDep,
    settings: SettingsDep,
    q: Annotated[str, Query(max_length=500)] = "",
    line: Annotated[str, Query(max_length=40)] = "",
    region: Annotated[str, Query(max_length=10)] = "",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    top: Annotated[int, Query(ge=1, le=SEARCH_MAX)] = SEARCH_STEP,
) -> Response:
    """The pools the user may see: browsed by name, or searched like a loss notice (ranked, explained)."""
    _require_pool_party(actor)
    q, line, region = q.strip(), line.strip(), region.strip()
    visible = scope.visible_experts(actor)
    rows: list[Row] = []
    total: int | None = None
    more: dict[str, Any] | None = None
    preparing = False
    if q:
        allowed = service.keys_of(session, visible)
        try:
            hits = (
                service.search(session, settings, q, line=line or None, region=region or None, top=top, allowed=allowed)
                if allowed
                else []
            )
        except service.IndexPreparing:  # names still match; the ranked search a moment later
            hits, preparing = [], True
        found = service.experts_by_key(session, [h.id for h in hits]) if hits else {}
        # Somebody looked up by name comes first (the ranking reads what experts know, not who they are).
        named = _named(session, visible, q)
        ranked = [
            Row(found[h.id], None, h.score, cases.explain_match(h.matched), h.meets_filters)
            for h in hits
            if h.id in found and found[h.id].id not in {e.id for e in named}
        ]
        rows = [
            dataclasses.replace(r, rank=rank)
            for rank, r in enumerate(
                [Row(e, None, None, cases.explain_match([f"name:{e.name}"])) for e in named] + ranked, start=1
            )
        ]
        if len(hits) == top and top < SEARCH_MAX:
            more = {"q": q, "line": line, "region": region, "top": min(top + SEARCH_STEP, SEARCH_MAX)}
    else:
        stmt = visible
        if line:
            stmt = stmt.where(json_list_contains(Expert.lines, line))
        if region:
            stmt = stmt.where(json_list_contains(Expert.regions, region))
        total = int(session.execute(stmt.with_only_columns(func.count(Expert.id)).order_by(None)).scalar_one())
        found_rows = list(
            session.execute(
                stmt.order_by(Expert.name, Expert.id).offset((page - 1) * BROWSE_LIMIT).limit(BROWSE_LIMIT + 1)
            )
            .unique()
            .scalars()
        )
        rows = [Row(e) for e in found_rows[:BROWSE_LIMIT]]
        if len(found_rows) > BROWSE_LIMIT:
            more = {"line": line, "region": region, "page": page + 1}
    return render(
        request,
        "experts/list.html",
        {
            "rows": rows,
            "preparing": preparing,
            "q": q,
            "line": line,
            "region": region,
            "total": total,
            "page": page,
            "more": {k: v for k, v in more.items() if v} if more else None,
            "lines": service.LINES,
            "back": {k: v for k, v in {"line": line, "region": region, "page": page - 1}.items() if v and v != 1},
            "regions": PROVINCES,
            "manage": can_manage(actor),
            "owner_names": _owner_names(session, rows),
        },
    )


def _named(session: Session, visible: Any, q: str) -> list[Expert]:
    """Visible experts whose name contains a short query (a person's name, not a loss description)."""
    if len(q) > 20 or any(ch.isspace() for ch in q):
        return []
    return list(
        session.execute(
            visible.where(Expert.name.contains(q, autoescape=True)).order_by(Expert.name, Expert.id).limit(10)
        )
        .unique()
        .scalars()
    )


def _owner_names(session: Session, rows: list[Row]) -> dict[uuid.UUID, str]:
    return cases.org_names(session, [r.expert.owner_id for r in rows])


# ---- import and export -----------------------------------------------------------------------------


@dataclass
class ImportView:
    errors: list[service.LineError] = field(default_factory=list)
    field_error: object = None
    alert: object = None
    notice: object = None


def _import_page(request: Request, actor: Actor, view: ImportView, status: int = 200) -> Response:
    _require_manage(actor)
    shown = [(e.line, e.key, line_message(e)) for e in view.errors[:100]]
    return render(request, "experts/import.html", {"view": view, "shown": shown}, status=status)


@router.get("/experts/import")
def import_form(request: Request, actor: PageActor) -> Response:
    return _import_page(request, actor, ImportView())


def line_message(err: service.LineError) -> object:
    """A line error for the page: translated when the service named it."""
    if err.msgid is None:
        return err.message
    return Message(err.msgid, err.params)


@router.post("/experts/import")
def import_upload(
    request: Request, actor: CheckedActor, session: SessionDep, clock: ClockDep, form: FormDep
) -> Response:
    """Import a JSONL file into the user's own pool: the whole file is checked first; any error, and nothing
    is written (422 with the line numbers)."""
    _require_manage(actor)
    upload = form.get("file")
    view = ImportView()
    data = b""
    if not isinstance(upload, UploadFile) or not upload.filename:
        view.field_error = CHOOSE_FILE
    else:
        data = upload.file.read(MAX_IMPORT + 1)
        if len(data) > MAX_IMPORT:
            view.field_error = FILE_TOO_LARGE
    if view.field_error is not None:
        return _import_page(request, actor, view, 422)
    try:
        rows, view.errors = service.read_profiles(data)
    except UnicodeDecodeError:
        view.field_error = NOT_UTF8
        return _import_page(request, actor, view, 422)
    owner = session.get(Organisation, actor.org_id)
    assert owner is not None
    view.errors = sorted([*view.errors, *service.pool_errors(session, rows, owner)], key=lambda e: e.line)
    if not rows and not view.errors:
        view.field_error = NO_PROFILES
    if view.errors or view.field_error is not None:
        if view.errors:
            view.alert = Message(IMPORT_FAILED, {"n": len({e.line for e in view.errors})})
        return _import_page(request, actor, view, 422)
    now = clock.now()
    result = service.import_profiles(session, rows, now, owner=owner)
    audit.record(
        session,
        actor.ref,
        action="expert.imported",
        entity_type="organisation",
        entity_id=owner.id,
        at=now,
        request_id=actor.request_id,
        after={"created": result.created, "updated": result.updated, "unchanged": result.unchanged},
    )
    view.notice = Message(
        IMPORTED,
        {"total": result.total, "created": result.created, "updated": result.updated, "unchanged": result.unchanged},
    )
    return _import_page(request, actor, view)


@router.get("/experts/export")
def export_pool(actor: PageActor, session: SessionDep) -> Response:
    """``experts.jsonl``: the user's own pool in the import schema (import it again: nothing changes)."""
    _require_manage(actor)
    body = "".join(service.export_profiles(session, actor.org_id))
    return Response(
        body.encode("utf-8"),
        media_type="application/jsonl; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="experts.jsonl"', "Cache-Control": "private, no-store"},
    )


# ---- engagements -----------------------------------------------------------------------------------


def _engagements_page(
    request: Request,
    actor: Actor,
    session: Session,
    *,
    states: dict[str, FormState] | None = None,
    alert: object = None,
    notice: object = None,
    status: int = 200,
) -> Response:
    rows = cases.engagement_rows(session, actor, engaged=svc.mine(session, actor))
    claim_ids = {r.engagement.claim_id for r in rows}
    numbers = (
        {cid: number for cid, number in session.execute(select(Claim.id, Claim.number).where(Claim.id.in_(claim_ids)))}
        if claim_ids
        else {}
    )
    visible = (
        set(
            session.execute(
                scope.visible_claims(actor).where(Claim.id.in_(claim_ids)).with_only_columns(Claim.id)
            ).scalars()
        )
        if claim_ids
        else set()
    )
    return render(
        request,
        "experts/engagements.html",
        {
            "incoming": [r for r in rows if r.engagement.owner_org_id == actor.org_id],
            "outgoing": [
                r
                for r in rows
                if r.engagement.requester_org_id == actor.org_id and r.engagement.owner_org_id != actor.org_id
            ],
            "numbers": numbers,
            "visible_claims": visible,
            "decide": can_manage(actor),
            "fs": FormBag(states or {}),
            "alert": alert,
            "notice": notice,
        },
        status=status,
    )


@router.get("/experts/engagements")
def engagements_page(
    request: Request, actor: PageActor, session: SessionDep, done: Annotated[str, Query(max_length=20)] = ""
) -> Response:
    _require_pool_party(actor)
    return _engagements_page(request, actor, session, notice=NOTICES.get(done))


def _decide(
    request: Request, actor: Actor, session: Session, clock: ClockDep, engagement_id: str, *, accept: bool, reason: str
) -> Response:
    eng = svc.owned_engagement(session, actor, engagement_id)  # others: 404 before anything else
    key = str(eng.id)
    state = FormState({"reason": reason})
    if len(reason) > REASON_MAX:
        state.errors["reason"] = forms.TOO_LONG
        return _engagements_page(request, actor, session, states={key: state}, status=422)
    try:
        svc.decide(session, actor, eng.id, accept=accept, reason=reason or None, now=clock.now())
    except InvalidInput:
        session.rollback()
        state.errors["reason"] = forms.REQUIRED
        return _engagements_page(request, actor, session, states={key: state}, status=422)
    except Conflict as exc:
        session.rollback()
        return _engagements_page(request, actor, session, alert=exc, status=exc.status)
    return RedirectResponse(f"/experts/engagements?done={'accepted' if accept else 'declined'}", 303)


@router.post("/experts/engagements/{engagement_id}/accept")
def accept_engagement(
    engagement_id: str, request: Request, actor: CheckedActor, session: SessionDep, clock: ClockDep
) -> Response:
    return _decide(request, actor, session, clock, engagement_id, accept=True, reason="")


@router.post("/experts/engagements/{engagement_id}/decline")
def decline_engagement(
    engagement_id: str, request: Request, actor: CheckedActor, session: SessionDep, clock: ClockDep, form: FormDep
) -> Response:
    return _decide(
        request, actor, session, clock, engagement_id, accept=False, reason=forms.text(form, "reason", REASON_MAX)
    )


# ---- one expert ------------------------------------------------------------------------------------


def _profile_values(e: Expert) -> dict[str, Any]:
    """The edit form's values for a stored expert."""
    extra = e.extra or {}
    return {
        "name": e.name,
        "title": e.title or "",
        "organisation": e.employer or "",
        "bio": e.bio or "",
        "phone": e.phone or "",
        "email": e.email or "",
        "fee_basis": e.fee_basis or "",
        "years": "" if e.years is None else str(e.years),
        "lines": list(e.lines or []),
        "regions": list(e.regions or []),
        "specialties": "\n".join(e.specialties or []),
        "certificates": "\n".join(e.certificates or []),
        "conflicts": "\n".join(extra.get("conflicts") or []),
        "availability": "\n".join(f"{p['from']} {p['until']}" for p in extra.get("availability") or []),
    }


def _pool_firms(session: Session, actor: Actor) -> list[Organisation]:
    """Who an expert can be shared with by name: the other brokers and adjuster firms."""
    return list(
        session.execute(
            select(Organisation)
            .where(
                Organisation.kind.in_(svc.POOL_KINDS), Organisation.id != actor.org_id, Organisation.active.is_(True)
            )
            .order_by(Organisation.kind, Organisation.name)
        ).scalars()
    )


def _expert_page(
    request: Request,
    actor: Actor,
    session: Session,
    expert: Expert,
    *,
    states: dict[str, FormState] | None = None,
    notice: object = None,
    status: int = 200,
) -> Response:
    owner = expert.owner_id == actor.org_id
    manage = owner and can_manage(actor)
    bag = FormBag(states or {})
    shared = svc.shared_with(session, expert) if owner else []
    if manage:
        if "share" not in bag:
            bag["share"] = FormState(
                {"visibility": expert.visibility.value, "organisation_ids": [str(o) for o in shared]}
            )
        if "edit" not in bag:
            bag["edit"] = FormState(_profile_values(expert))
    extra = expert.extra or {}
    lines = [*service.LINES, *(v for v in expert.lines or [] if v not in service.LINES)]
    regions = [*PROVINCES, *(v for v in expert.regions or [] if v not in PROVINCES)]
    return render(
        request,
        "experts/detail.html",
        {
            "e": expert,
            "owner": owner,
            "manage": manage,
            "contact": svc.sees_contact(session, actor, expert),
            "availability": extra.get("availability") or [],
            "conflicts": extra.get("conflicts") or [],
            "shared_names": cases.org_names(session, shared),
            "firms": _pool_firms(session, actor) if manage else [],
            "fs": bag,
            "notice": notice,
            "lines": lines,
            "regions": regions,
        },
        status=status,
    )


@router.get("/experts/{expert_id}")
def expert_page(
    expert_id: str,
    request: Request,
    actor: PageActor,
    session: SessionDep,
    done: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    expert = scope.get_expert(session, actor, expert_id)
    return _expert_page(request, actor, session, expert, notice=NOTICES.get(done))


@router.post("/experts/{expert_id}/sharing")
def set_sharing(
    expert_id: str, request: Request, actor: CheckedActor, session: SessionDep, clock: ClockDep, form: FormDep
) -> Response:
    """Private, every partner, or named firms (owner only)."""
    expert = svc.owned_expert(session, actor, expert_id)
    _require_manage(actor)
    picked = [v for v in form.getlist("organisation_ids") if isinstance(v, str)]
    state = FormState({"visibility": forms.text(form, "visibility", 20), "organisation_ids": picked})
    org_ids = [u for u in (forms.uuid_or_none(v) for v in picked) if u is not None]
    try:
        visibility = Visibility(state.values["visibility"])
    except ValueError:
        state.errors["visibility"] = CHOOSE_SHARING
        visibility = Visibility.PRIVATE
    if visibility is Visibility.NAMED and not org_ids:
        state.errors["organisation_ids"] = CHOOSE_FIRMS
    elif visibility is not Visibility.NAMED and picked:
        state.errors["organisation_ids"] = FIRMS_ONLY_NAMED
    if len(org_ids) != len(picked):
        state.errors["organisation_ids"] = CHOOSE_FIRMS
    if not state.errors:
        try:
            svc.set_sharing(session, actor, expert.id, visibility=visibility, organisation_ids=org_ids, now=clock.now())
        except InvalidInput as exc:
            session.rollback()
            forms.service_errors(exc, state.errors, "organisation_ids")
    if state.errors:
        expert = svc.owned_expert(session, actor, expert_id)
        return _expert_page(request, actor, session, expert, states={"share": state}, status=422)
    return RedirectResponse(f"/experts/{expert.id}?done=shared#sharing", 303)


def _split(value: str) -> list[str]:
    return [p.strip() for p in SPLIT.split(value) if p.strip()]


def read_profile_form(form: Any, state: FormState) -> dict[str, Any]:
    """The edit form as a profile in the JSONL schema; errors the schema cannot name (years, periods)
    go to ``state.errors``."""
    v = state.values
    v.update({n: forms.text(form, n, 5000) for n in (*TEXT_FIELDS, "years", "availability", *LIST_FIELDS)})
    v.update({n: [x for x in form.getlist(n) if isinstance(x, str) and x.strip()][:50] for n in CHOICE_FIELDS})
    profile: dict[str, Any] = {n: v[n] for n in TEXT_FIELDS}
    profile.update({n: _split(v[n]) for n in LIST_FIELDS})
    profile.update({n: v[n] for n in CHOICE_FIELDS})
    profile["years"] = forms.whole(v["years"], state.errors, "years", 0, 80, required=False)
    periods = []
    for text in v["availability"].splitlines():
        if not text.strip():
            continue
        found = PERIOD.match(text)
        if found is None:
            state.errors["availability"] = BAD_PERIOD
            break
        periods.append({"from": found.group(1), "until": found.group(2)})
    profile["availability"] = periods
    return profile


@router.post("/experts/{expert_id}/profile")
def edit_profile(
    expert_id: str, request: Request, actor: CheckedActor, session: SessionDep, clock: ClockDep, form: FormDep
) -> Response:
    """The owner edits the profile; the search index follows by ``updated_at`` (as after an import)."""
    expert = svc.owned_expert(session, actor, expert_id)
    _require_manage(actor)
    state = FormState()
    profile = read_profile_form(form, state)
    _values, problems = service.check_profile({**profile, "id": "-", "owner_type": expert.owner.kind.value})
    for p in problems:
        state.errors.setdefault(p.field or "name", Message(p.msgid, p.params))
    if not state.errors:
        svc.update_profile(session, actor, expert.id, profile, clock.now())
        return RedirectResponse(f"/experts/{expert.id}?done=saved", 303)
    return _expert_page(request, actor, session, expert, states={"edit": state}, status=422)


# ---- on the case file ------------------------------------------------------------------------------


@router.get("/claims/{claim_id}/experts")
def claim_experts(
    claim_id: str, request: Request, actor: PageActor, session: SessionDep, settings: SettingsDep, clock: ClockDep
) -> Response:
    """The suggested experts of a case file (loaded by htmx after the page; without it, the page inline)."""
    claim = scope.get_claim(session, actor, claim_id)
    if not is_htmx(request):
        return RedirectResponse(f"/claims/{claim.id}?experts=1#experts", 303)
    roles = cases.party_roles(session, claim, actor.org_id)
    if not cases.suggests_experts(actor, claim, roles):
        return Response(status_code=204)
    view = cases.claim_experts(session, settings, actor, claim, today_local(clock))
    return render(
        request, "claims/_experts.html", {"claim": claim, "experts": view, "fs": FormBag(), "experts_alert": None}
    )


@router.post("/claims/{claim_id}/experts")
def request_expert(
    claim_id: str, request: Request, actor: CheckedActor, session: SessionDep, clock: ClockDep, form: FormDep
) -> Response:
    """Ask the owner of a suggested (visible) expert to engage the expert on this claim."""
    claim = scope.get_claim(session, actor, claim_id)
    state = FormState({n: forms.text(form, n, REASON_MAX) for n in ("expert_id", "fee_basis", "note")})
    expert_id = forms.uuid_or_none(state.values["expert_id"])
    if expert_id is None:
        state.errors["expert_id"] = CHOOSE_EXPERT
    if len(state.values["fee_basis"]) > 200:
        state.errors["fee_basis"] = forms.TOO_LONG
    if len(state.values["note"]) > REASON_MAX:
        state.errors["note"] = forms.TOO_LONG
    alert: object = None
    if not state.errors:
        try:
            svc.request(
                session,
                actor,
                claim.id,
                expert_id=expert_id,
                fee_basis=state.values["fee_basis"] or None,
                note=state.values["note"] or None,
                now=clock.now(),
            )
        except InvalidInput:
            session.rollback()
            state.errors["expert_id"] = CHOOSE_EXPERT
        except Conflict:
            session.rollback()
            alert = Conflict(ALREADY_REQUESTED)
        else:
            return RedirectResponse(f"/claims/{claim.id}?done=expert#case-experts", 303)
    return case_page(
        request,
        actor,
        session,
        clock,
        str(claim.id),
        states={"expert": state},
        experts=True,
        experts_alert=alert,
        status=409 if alert else 422,
    )
