"""Neutrality pages (相对中立, R-C7): the risk evaluators' queue, a finding and its notice, a blacklist
proposal with its decision and appeal, and an adjuster's or firm's whole record.

Every object is read through ``tandem.access.scope``: insurers and insureds get the 404 page (they see
only that a listed adjuster is excluded from routing as ``blacklisted``); supervision reads notices and
decisions without a form."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from tandem.access import scope
from tandem.access.actor import Actor
from tandem.access.models import OrgKind, Role
from tandem.case import documents
from tandem.case.models import Case, CaseKind
from tandem.claim.models import PartyRole
from tandem.config import Settings
from tandem.deps import ClockDep, SessionDep, SettingsDep
from tandem.kit.clock import today_local
from tandem.kit.errors import InvalidInput, NotFound
from tandem.kit.i18n import N_
from tandem.neutrality import common, findings, proposals, views
from tandem.web import bias_chart, data, forms
from tandem.web.claims import read_upload
from tandem.web.forms import FormState, PageState, uuid_or_none
from tandem.web.guards import CheckedActor, PageActor
from tandem.web.render import render

router = APIRouter(include_in_schema=False)
K = OrgKind

CHOOSE_ADJUSTER = N_("Choose an adjuster from the list.")
NO_CASE = N_("No case with this number among your cases.")
WHOLE_NUMBER = N_("Enter a whole number.")
SAVED = N_("Saved.")
DONE = {
    "recorded": N_("The finding is recorded; a second risk evaluator reviews it."),
    "confirm": N_("Confirmed: the notice has gone to the adjuster and its firm."),
    "reject": N_("The finding is rejected."),
    "answer": N_("Your answer is on the record."),
    "uphold": N_("The notice is upheld."),
    "withdraw": N_("The notice is withdrawn."),
    "list": N_("Decided: the adjuster is on the blacklist."),
    "not_list": N_("Decided: no listing."),
    "appeal": N_("Your appeal is on the record; someone who took no part decides it."),
    "grant": N_("Appeal granted: the entry is lifted."),
    "dismiss": N_("Appeal dismissed."),
    "tolerance": SAVED,
}


def _reader(actor: Actor) -> None:
    if actor.org_kind not in views.RECORD_READERS:
        raise NotFound()


@dataclass
class FindingForm:
    adjuster_id: str = ""
    case_number: str = ""
    kind: str = "leans_to_appointer"
    severity: str = "minor"
    text: str = ""


# ---- queue ----------------------------------------------------------------------------------------


def _queue_page(
    request: Request,
    actor: Actor,
    session: SessionDep,
    clock: ClockDep,
    form: FindingForm,
    state: PageState,
    status: int = 200,
) -> Response:
    now = clock.now()
    q = views.queue(session, actor)
    evaluator = actor.org_kind == K.BROKER and Role.BROKER_RISK_EVALUATOR in actor.roles
    manager = actor.org_kind == K.BROKER and Role.BROKER_ACCOUNT_MANAGER in actor.roles
    adjusters = data.adjusters(session, actor, today_local(clock)) if evaluator else []
    tol = proposals.tolerance_of(session, actor.org_id) if actor.org_kind == K.BROKER else None

    def fo(rows: list[Any]) -> list[views.FindingOut]:
        return [views.finding_out(session, actor, f, now) for f in rows]

    def po(rows: list[Any]) -> list[views.ProposalOut]:
        return [views.proposal_out(session, actor, p, now) for p in rows]

    return render(
        request,
        "neutrality/queue.html",
        {
            "broker": actor.org_kind == K.BROKER,
            "evaluator": evaluator,
            "manager": manager,
            "to_review": fo(q.to_review),
            "answered": fo(q.answered),
            "waiting": fo(q.waiting),
            "proposals": po(q.proposals),
            "appeals": po(q.appeals),
            "closed": fo(q.closed),
            "decided": po(q.decided),
            "adjusters": adjusters,
            "kinds": findings.KINDS,
            "severities": findings.SEVERITIES,
            "form": form,
            "state": state,
            "tolerance": tol,
            "suggestions": views.suggestions(session, actor) if evaluator else [],
        },
        status=status,
    )


@router.get("/neutrality")
def queue_page(
    request: Request,
    actor: PageActor,
    session: SessionDep,
    clock: ClockDep,
    done: Annotated[str | None, Query()] = None,
) -> Response:
    """The risk evaluators' queue; for a firm and for supervision, the notices and decisions they may read."""
    _reader(actor)
    return _queue_page(request, actor, session, clock, FindingForm(), PageState(notice=DONE.get(done or "")))


def _case_by_number(session: SessionDep, actor: Actor, number: str) -> Case | None:
    stmt = scope.visible_cases(actor).where(Case.number == number.strip().upper())
    return session.execute(stmt).scalar_one_or_none()


def _check_finding(session: SessionDep, actor: Actor, form: FindingForm, errors: dict[str, object]) -> Case | None:
    if uuid_or_none(form.adjuster_id) is None:
        errors["adjuster_id"] = CHOOSE_ADJUSTER
    case = _case_by_number(session, actor, form.case_number) if form.case_number else None
    if not form.case_number:
        errors["case_number"] = forms.FIELD_REQUIRED
    elif case is None:
        errors["case_number"] = NO_CASE
    if form.kind not in findings.KINDS:
        errors["kind"] = forms.FIELD_REQUIRED
    if form.severity not in findings.SEVERITIES:
        errors["severity"] = forms.FIELD_REQUIRED
    forms.required_text(form.text, errors, "text")
    return case


def _evidence_file(file: UploadFile | None, errors: dict[str, object]) -> tuple[str, bytes, str] | None:
    """The uploaded evidence (name, bytes, detected type), if any; its error beside the field otherwise."""
    if file is None or not file.filename:
        return None
    fs = FormState()
    upload = read_upload({"file": file}, fs)
    errors.update(fs.errors)
    return upload


def _store_evidence(
    session: SessionDep, settings: Settings, actor: Actor, case: Case, upload: tuple[str, bytes, str], at: Any
) -> uuid.UUID:
    """Evidence of a finding: a document of the case only the broker reads (the firm sees its name and hash
    on the notice once confirmed)."""
    filename, content, content_type = upload
    doc = documents.store_document(
        session,
        settings,
        case_id=case.id,
        claim_id=case.id if case.kind == CaseKind.CLAIM else None,
        kind="finding_evidence",
        filename=filename[:200],
        data=content,
        content_type=content_type,
        audience=[PartyRole.BROKER.value],
        now=at,
        uploaded_by=actor.user_id,
    )
    return doc.id


@router.post("/neutrality/findings")
def record_finding(
    request: Request,
    actor: CheckedActor,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    adjuster_id: Annotated[str, Form()] = "",
    case_number: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "",
    severity: Annotated[str, Form()] = "",
    text: Annotated[str, Form()] = "",
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """A risk evaluator records a finding, optionally with a document as evidence (stored on the case for
    the broker, attached by hash); field errors come back next to the fields (422)."""
    _reader(actor)
    common.require_broker(actor, common.EVALUATORS)
    form = FindingForm(adjuster_id.strip(), case_number.strip(), kind, severity, text.strip())
    state = PageState()
    case = _check_finding(session, actor, form, state.errors)
    target = uuid_or_none(form.adjuster_id)
    attached = _evidence_file(file, state.errors)
    if state.errors or case is None or target is None:
        return _queue_page(request, actor, session, clock, form, state, 422)
    docs = [_store_evidence(session, settings, actor, case, attached, clock.now())] if attached else []
    new = findings.NewFinding(target, case.id, form.kind, form.severity, form.text, documents=docs)
    try:
        f = findings.record_finding(session, actor, new, at=clock.now())
    except (InvalidInput, NotFound) as exc:
        session.rollback()
        names = exc.fields if isinstance(exc, InvalidInput) and exc.fields else {"adjuster_id": ""}
        for name in names:
            state.errors[name] = exc
        return _queue_page(request, actor, session, clock, form, state, 422)
    return RedirectResponse(f"/neutrality/findings/{f.id}?done=recorded", 303)


@router.post("/neutrality/tolerance")
def set_tolerance(
    request: Request,
    actor: CheckedActor,
    session: SessionDep,
    clock: ClockDep,
    tolerance: Annotated[str, Form()] = "",
    window_months: Annotated[str, Form()] = "",
) -> Response:
    """A broker account manager sets the tolerance (容时容差) and its window."""
    _reader(actor)
    common.require_broker(actor, common.MANAGERS)
    state = PageState(values={"tolerance": tolerance.strip(), "window_months": window_months.strip()})
    numbers = {name: _int(value, state.errors, name) for name, value in state.values.items()}
    if not state.errors:
        try:
            proposals.set_tolerance(
                session,
                actor,
                tolerance=numbers["tolerance"] or 0,
                window_months=numbers["window_months"] or 0,
                at=clock.now(),
            )
        except InvalidInput as exc:
            session.rollback()
            state.errors.update(dict.fromkeys(exc.fields or {"tolerance": ""}, exc))
    if state.errors:
        return _queue_page(request, actor, session, clock, FindingForm(), state, 422)
    return RedirectResponse("/neutrality?done=tolerance", 303)


def _int(value: str, errors: dict[str, object], name: str) -> int | None:
    if not value.isascii() or not value.isdigit():
        errors[name] = WHOLE_NUMBER
        return None
    return int(value)


# ---- a finding and its notice ---------------------------------------------------------------------


def _finding_page(
    request: Request,
    actor: Actor,
    session: SessionDep,
    clock: ClockDep,
    finding_id: str,
    state: PageState,
    status: int = 200,
) -> Response:
    f = scope.get_finding(session, actor, finding_id)
    out = views.finding_out(session, actor, f, clock.now())
    return render(request, "neutrality/finding.html", {"f": out, "state": state}, status=status)


@router.get("/neutrality/findings/{finding_id}")
def finding_page(
    finding_id: str,
    request: Request,
    actor: PageActor,
    session: SessionDep,
    clock: ClockDep,
    done: Annotated[str | None, Query()] = None,
) -> Response:
    _reader(actor)
    return _finding_page(request, actor, session, clock, finding_id, PageState(notice=DONE.get(done or "")))


def _finding_step(session: SessionDep, actor: Actor, finding_id: str, action: str, text: str, clock: ClockDep) -> None:
    at = clock.now()
    if action in ("confirm", "reject"):
        findings.review(session, actor, finding_id, confirm=action == "confirm", reason=text, at=at)
    elif action == "answer":
        findings.answer(session, actor, finding_id, text=text, at=at)
    elif action in ("uphold", "withdraw"):
        findings.decide(session, actor, finding_id, uphold=action == "uphold", reason=text, at=at)
    else:
        raise NotFound()


@router.post("/neutrality/findings/{finding_id}/{action}")
def finding_step(
    finding_id: str,
    action: str,
    request: Request,
    actor: CheckedActor,
    session: SessionDep,
    clock: ClockDep,
    text: Annotated[str, Form()] = "",
) -> Response:
    """Confirm or reject (second reviewer), answer (the adjuster's side), uphold or withdraw (the broker)."""
    _reader(actor)
    scope.get_finding(session, actor, finding_id)
    state = PageState(values={action: text.strip()})
    body = forms.required_text(text, state.errors, action)
    status = (
        422
        if state.errors
        else forms.perform(session, state, lambda: _finding_step(session, actor, finding_id, action, body, clock))
    )
    if status is None:
        return RedirectResponse(f"/neutrality/findings/{finding_id}?done={action}", 303)
    return _finding_page(request, actor, session, clock, finding_id, state, status)


# ---- a proposal, its decision and its appeal ------------------------------------------------------


def _proposal_page(
    request: Request,
    actor: Actor,
    session: SessionDep,
    clock: ClockDep,
    proposal_id: str,
    state: PageState,
    status: int = 200,
) -> Response:
    p = scope.get_proposal(session, actor, proposal_id)
    out = views.proposal_out(session, actor, p, clock.now())
    notices = [
        views.finding_out(session, actor, scope.get_finding(session, actor, i), clock.now()) for i in out.finding_ids
    ]
    return render(request, "neutrality/proposal.html", {"p": out, "notices": notices, "state": state}, status=status)


@router.get("/neutrality/proposals/{proposal_id}")
def proposal_page(
    proposal_id: str,
    request: Request,
    actor: PageActor,
    session: SessionDep,
    clock: ClockDep,
    done: Annotated[str | None, Query()] = None,
) -> Response:
    _reader(actor)
    return _proposal_page(request, actor, session, clock, proposal_id, PageState(notice=DONE.get(done or "")))


def _proposal_step(
    session: SessionDep, actor: Actor, proposal_id: str, action: str, text: str, lines: str, term: int | None, at: Any
) -> None:
    if action in ("list", "not_list"):
        chosen = tuple(x for x in lines.replace("，", ",").replace("、", ",").split(",") if x.strip())
        decision = proposals.Decision(action == "list", text, chosen, term)
        proposals.decide(session, actor, proposal_id, decision, at=at)
    elif action == "appeal":
        proposals.appeal(session, actor, proposal_id, reason=text, at=at)
    elif action in ("grant", "dismiss"):
        proposals.decide_appeal(session, actor, proposal_id, grant=action == "grant", reason=text, at=at)
    else:
        raise NotFound()


@router.post("/neutrality/proposals/{proposal_id}/{action}")
def proposal_step(
    proposal_id: str,
    action: str,
    request: Request,
    actor: CheckedActor,
    session: SessionDep,
    clock: ClockDep,
    text: Annotated[str, Form()] = "",
    lines: Annotated[str, Form()] = "",
    term_months: Annotated[str, Form()] = "",
) -> Response:
    """Decide (list with lines and term, or not), appeal, decide the appeal."""
    _reader(actor)
    scope.get_proposal(session, actor, proposal_id)
    state = PageState(values={action: text.strip(), "lines": lines.strip(), "term_months": term_months.strip()})
    body = forms.required_text(text, state.errors, action)
    term = _int(term_months.strip(), state.errors, "term_months") if term_months.strip() else None
    status = (
        422
        if state.errors
        else forms.perform(
            session, state, lambda: _proposal_step(session, actor, proposal_id, action, body, lines, term, clock.now())
        )
    )
    if status is None:
        return RedirectResponse(f"/neutrality/proposals/{proposal_id}?done={action}", 303)
    return _proposal_page(request, actor, session, clock, proposal_id, state, status)


# ---- records --------------------------------------------------------------------------------------


def chart_of(record: views.RecordOut) -> bias_chart.Chart | None:
    return bias_chart.chart(record.figures) if record.figures else None


@router.get("/neutrality/firms/{firm_id}")
def firm_record(firm_id: str, request: Request, actor: PageActor, session: SessionDep, clock: ClockDep) -> Response:
    record = views.firm_record(session, actor, firm_id, clock.now())
    return render(
        request,
        "neutrality/record.html",
        {"record": record, "declared": None, "chart": chart_of(record), "state": PageState()},
    )
