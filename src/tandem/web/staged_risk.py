"""The risk page of a bound policy (``/policies/{id}/risk``, R-U9): the staged risk evaluation plan (the
broker proposes, the insured agrees), the re-surveys, the register over time (a chart of open points by
level per stage and each staged report's view of every point), the insured's tasks and the commitments
missed; the broker's adjuster firm files the staged risk report here while its re-survey is open. And the
broker's record of an insurer (``/policies/{id}/insurer-record``, ``/insurer-records/{id}``). Every write
goes through :mod:`tandem.inforce.staged`; errors show beside the fields."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from tandem.access import scope
from tandem.access.actor import Actor
from tandem.case import service as case_service
from tandem.deps import ClockDep, SessionDep
from tandem.inforce import staged, tracking
from tandem.kit.clock import Clock
from tandem.kit.errors import TandemError
from tandem.kit.i18n import N_
from tandem.kit.limits import REASON_MAX
from tandem.placement.risk import REQUIRED
from tandem.report.schemas import POINT_STATES, RISK_LEVELS
from tandem.web import forms, staged_chart
from tandem.web.claims import FormDep
from tandem.web.forms import FormState
from tandem.web.guards import CheckedActor, PageActor
from tandem.web.labels import LABELS, TONES
from tandem.web.render import render

router = APIRouter(include_in_schema=False)

NOTICES = {
    "plan": N_("The staged risk evaluation was proposed; the insured agrees it next."),
    "agreed": N_("The staged risk evaluation is agreed; the re-surveys are scheduled."),
    "report": N_("The staged risk report was submitted; the insured's tasks follow it."),
}
LABELS["staged_state"] = {
    "open": N_("To remedy"),
    "remedied": N_("Remedied"),
    "not_remedied": N_("Not remedied"),
    "worse": N_("Worse"),
    "new": N_("New"),
}
TONES["staged_state"] = {"open": "warn", "remedied": "ok", "not_remedied": "warn", "worse": "bad", "new": "info"}
LABELS["staged_survey"] = {
    "scheduled": N_("Scheduled"),
    "open": N_("Open for the re-survey"),
    "reported": N_("Reported"),
}
TONES["staged_survey"] = {"scheduled": "neutral", "open": "warn", "reported": "ok"}
LABELS["staged_task"] = {"open": N_("To remedy"), "missed": N_("Commitment missed"), "done": N_("Remedied")}
TONES["staged_task"] = {"open": "warn", "missed": "bad", "done": "ok"}
LABELS["staged_plan"] = {"proposed": N_("Proposed, awaiting the insured"), "agreed": N_("Agreed")}
TONES["staged_plan"] = {"proposed": "warn", "agreed": "ok"}
_EVENTS = (
    ("plan_proposed", N_("The broker proposed the staged risk evaluation")),
    ("plan_agreed", N_("The insured agreed the staged risk evaluation")),
    ("survey_opened", N_("A staged risk re-survey opened")),
    ("report_accepted", N_("A staged risk report was taken into the register")),
    ("task_missed", N_("A remediation commitment was missed")),
)
LABELS["event"].update({f"staged.{code}": words for code, words in _EVENTS})
TEXTS = ("subject", "advice", "environmental", "safety")
NEW = ("ref", "title", "description", "location", "level", "coefficient", "advice")


def risk_page(
    request: Request,
    actor: Actor,
    session: Session,
    policy_id: str,
    *,
    states: Mapping[str, FormState] | None = None,
    alert: object = None,
    notice: object = None,
    status: int = 200,
) -> Response:
    view = staged.overview(session, actor, policy_id)
    open_points = view.stages[-1].open
    team = []
    if "report" in view.may:
        case = case_service.get_subject(session, actor, view.placement.id)
        team = [m.adjuster for m in case_service.team(session, case, actor.org_id)]
    chart = staged_chart.chart([(str(s.number), s.open_by_level()) for s in view.stages])
    ctx: dict[str, Any] = {
        "view": view,
        "policy": view.policy,
        "chart": chart,
        "open_points": open_points,
        "team": team,
        "missed": [t for t in view.tasks or [] if t.missed_at is not None],
        "levels": RISK_LEVELS,
        "point_states": POINT_STATES,
        **forms.page_forms(states, alert, notice),
    }
    return render(request, "policies/risk.html", ctx, status=status)


@router.get("/policies/{policy_id}/risk")
def page(policy_id: str, request: Request, actor: PageActor, session: SessionDep, done: str | None = None) -> Response:
    return risk_page(request, actor, session, policy_id, notice=NOTICES.get(done or ""))


def _done(policy_id: str, what: str) -> Response:
    return RedirectResponse(f"/policies/{policy_id}/risk?done={what}", 303)


@router.post("/policies/{policy_id}/risk/plan")
def propose(
    policy_id: str, request: Request, actor: CheckedActor, session: SessionDep, clock: ClockDep, form: FormDep
) -> Response:
    state = FormState(
        values={n: forms.text(form, n, 10) for n in ("interval_months", "lead_days", "insurer_sees_missed")}
    )
    v = state.values
    try:
        staged.propose(
            session, actor, policy_id,
            interval_months=int(v["interval_months"]) if v["interval_months"].isdigit() else None,
            lead_days=int(v["lead_days"]) if v["lead_days"].isdigit() else None,
            insurer_sees_missed=bool(v["insurer_sees_missed"]), now=clock.now(),
        )  # fmt: skip
    except TandemError as exc:
        return forms.failed_form(session, exc, "plan", state, partial(risk_page, request, actor, session, policy_id))
    return _done(policy_id, "plan")


@router.post("/policies/{policy_id}/risk/agree")
def agree(policy_id: str, request: Request, actor: CheckedActor, session: SessionDep, clock: ClockDep) -> Response:
    try:
        staged.agree(session, actor, policy_id, now=clock.now())
    except TandemError as exc:
        return forms.failed_form(
            session, exc, "agree", FormState(), partial(risk_page, request, actor, session, policy_id)
        )
    return _done(policy_id, "agreed")


def read_report(form: Mapping[str, Any], state: FormState) -> tuple[dict[str, Any], dict[str, str]]:
    """The staged report as typed: the texts, one row per open point (``state.3``, ``evidence.3``,
    ``level.3``) and at most one new point (``new_title`` …); ``rename`` maps the service's field paths
    (``earlier.0.evidence``) back to the form's. Missing required fields are marked in ``state``."""
    v = state.values
    for name in TEXTS:
        v[name] = forms.text(form, name, REASON_MAX)
        if not v[name]:
            state.errors[name] = REQUIRED
    earlier: list[dict[str, str]] = []
    rename: dict[str, str] = {}
    for n in range(500):
        ref = forms.text(form, f"ref.{n}", 20)
        if not ref:
            break
        row = {k: forms.text(form, f"{k}.{n}", REASON_MAX) for k in ("state", "evidence", "level")}
        v.update({f"{k}.{n}": row[k] for k in row})
        for k in ("state", "evidence"):
            if not row[k]:
                state.errors[f"{k}.{n}"] = REQUIRED
        rename.update({f"earlier.{len(earlier)}.{k}": f"{k}.{n}" for k in ("ref", "state", "evidence", "level")})
        earlier.append(
            {
                "ref": ref,
                "state": row["state"],
                "evidence": row["evidence"],
                **({"level": row["level"]} if row["level"] else {}),
            }
        )
    new = {k: forms.text(form, f"new_{k}", REASON_MAX) for k in NEW}
    v.update({f"new_{k}": new[k] for k in NEW})
    points = []
    if any(new[k] for k in ("ref", "title", "description")):
        for k in NEW:
            if not new[k]:
                state.errors[f"new_{k}"] = REQUIRED
        points.append(new)
        rename.update({f"risk_points.0.{k}": f"new_{k}" for k in NEW})
    content = {**{k: v[k] for k in TEXTS}, "earlier": earlier, "risk_points": points}
    return content, rename


@router.post("/policies/{policy_id}/risk/report")
def submit_report(
    policy_id: str, request: Request, actor: CheckedActor, session: SessionDep, clock: ClockDep, form: FormDep
) -> Response:
    """The firm's staged report in one form: saved as its draft and submitted, signed by the adjusters ticked."""
    state = FormState(values={"signer_ids": form.getlist("signer_ids")})
    signers = [u for u in map(forms.uuid_or_none, map(str, state.values["signer_ids"])) if u is not None]
    content, rename = read_report(form, state)
    if state.errors:
        return risk_page(request, actor, session, policy_id, states={"report": state}, status=422)
    try:
        staged.save_draft(session, actor, policy_id, content, now=clock.now())
        staged.submit(session, actor, policy_id, signer_ids=signers, now=clock.now())
    except TandemError as exc:
        return forms.failed_form(
            session,
            exc,
            "report",
            state,
            partial(risk_page, request, actor, session, policy_id),
            lambda path: rename.get(path, path),
        )
    return _done(policy_id, "report")


# ---- the broker's record of an insurer ---------------------------------------------------------------


def _record_page(request: Request, record: tracking.Record, clock: Clock, policy: object = None) -> Response:
    return render(request, "policies/insurer_record.html", {"record": record, "policy": policy, "now": clock.now()})


@router.get("/policies/{policy_id}/insurer-record")
def policy_record(policy_id: str, request: Request, actor: PageActor, session: SessionDep, clock: ClockDep) -> Response:
    record = tracking.policy_record(session, actor, policy_id, clock.now())
    return _record_page(request, record, clock, scope.get_policy(session, actor, policy_id))


@router.get("/insurer-records")
def insurer_list(request: Request, actor: PageActor, session: SessionDep, clock: ClockDep) -> Response:
    now = clock.now()
    records = [tracking.insurer_record(session, actor, o.id, now) for o in tracking.insurers(session, actor)]
    return render(request, "policies/insurer_records.html", {"records": records})


@router.get("/insurer-records/{insurer_id}")
def insurer_record(
    insurer_id: str, request: Request, actor: PageActor, session: SessionDep, clock: ClockDep
) -> Response:
    return _record_page(request, tracking.insurer_record(session, actor, insurer_id, clock.now()), clock)
