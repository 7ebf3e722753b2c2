"""The second pre-assessment and the MoU on the placement's case file (R-U7, R-U8,
``placements/_second.html``): the insurer appoints its own adjuster, the firm answers the letter, the broker
answers a blacklisted adjuster; the consultation over the two reports' risk points (open, moves, rounds),
the acknowledgements, the merge into the risk register and the premium on the MoU. Each party sees only
what the API gives it (``second_opinion.visible``, ``consult.consultation_of``); every write goes through
the same services as the API.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.access.actor import Actor
from tandem.access.models import Role
from tandem.case import service as case_service
from tandem.claim.models import PartyRole
from tandem.deps import ClockDep, SessionDep, SettingsDep
from tandem.fees.terms import engagement_for
from tandem.kit.errors import TandemError
from tandem.kit.i18n import N_
from tandem.kit.limits import REASON_MAX
from tandem.party.models import Adjuster
from tandem.placement import consult, second_opinion
from tandem.placement.consult_endpoints import view as consultation_view
from tandem.placement.models import Placement
from tandem.placement.service import case_of
from tandem.reconciliation import consultation as engine
from tandem.reconciliation import umpire
from tandem.reconciliation.models import Consultation
from tandem.report.models import Report
from tandem.web import fee_terms, forms, placements
from tandem.web.claims import FormDep
from tandem.web.forms import REASON_TOO_LONG, FormState
from tandem.web.guards import CheckedActor
from tandem.web.placement_selection import read_accept

router = APIRouter(include_in_schema=False)
ANCHOR, CONSULT = "second-opinion", "placement-consultation"
placements.NOTICES.update(
    {
        "second_appointed": N_("Your adjuster's firm received the confirmation letter."),
        "second_answered": N_("Your answer to the insurer's letter is on record."),
        "second_refused": N_("Your answer on the insurer's adjuster is on record, with its reason."),
        "consulted": N_("The consultation is updated."),
        "mou_merged": N_("The memorandum's risk points are in the risk register."),
    }
)
CHOOSE_ONE = N_("Choose an adjuster from the list.")
LEVELS = ("低", "中", "高", "重大")
ALIGN_ROWS = 500  # the most risk points a report holds (report.schemas), the rows the re-pairing form reads


def _candidates(session: Session, placement: Placement) -> list[Adjuster]:
    """Practitioners outside the broker's adjuster's firm, for the insurer's choice (screened on submit)."""
    stmt = select(Adjuster).where(Adjuster.firm_id != placement.adjuster_firm_id).order_by(Adjuster.name)
    return list(session.execute(stmt).unique().scalars())


def _rows(session: Session, actor: Actor, placement: Placement) -> list[dict[str, Any]]:
    broker = actor.org_id == placement.broker_id
    out = []
    for r in second_opinion.visible(session, actor, placement):
        adj = session.get(Adjuster, r.adjuster_id)
        out.append(
            {
                "row": r,
                "adjuster": adj.name if adj else "",
                "firm": adj.firm.organisation.name if adj else "",
                "insurer": second_opinion.org_name(session, r.insurer_id),
                "blacklisted": r.blacklisted and broker,
                "letter": second_opinion.letter_of(session, r),
                "actions": second_opinion.actions(session, actor, placement, r),
            }
        )
    return out


def _consultation(session: Session, actor: Actor, placement: Placement) -> dict[str, Any] | None:
    try:
        _, cons = consult.consultation_of(session, actor, placement.id)
    except TandemError:
        return None
    roles = case_service_roles(session, actor, placement)
    memo = engine.memorandum(session, cons)
    acked = {a.party for a in engine.acks(session, memo)} if memo else set()
    premium = None
    if memo is not None and acked == set(engine.acknowledgers(cons)):
        try:
            premium = consult.premium(session, actor, placement.id)[1].totals
        except TandemError:
            premium = None
    view = consultation_view(session, actor, cons)
    aligning = cons.state == "aligning" and view.my_side is not None
    choosing = cons.state == "umpire" and not cons.umpire_accepted and view.my_side is not None
    return {
        "view": view,
        "umpire_candidates": umpire.candidates(session, actor, case_of(session, placement), cons, cons.created_at)
        if choosing
        else [],
        "may_accept_umpire": choosing and cons.umpire_id is not None and cons.umpire_proposed_by != actor.org_id,
        "deciding": cons.state == "umpire" and cons.umpire_accepted,
        "broker": PartyRole.BROKER in roles,
        "evaluator": PartyRole.BROKER in roles and actor.has_any(frozenset({Role.BROKER_RISK_EVALUATOR})),
        "premium": premium,
        "levels": LEVELS,
        "alignment": _alignment(session, cons, view.items) if aligning else None,
    }


def _alignment(session: Session, cons: Consultation, items: list[dict[str, Any]]) -> dict[str, Any]:
    """The re-pairing form's rows: each of report A's risk points with the point of report B paired with it
    now, and report B's points to choose from (R-U8: either adjuster corrects the pairs before the rounds)."""
    ra, rb = session.get(Report, cons.report_a_id), session.get(Report, cons.report_b_id)
    assert ra is not None and rb is not None
    paired = {i["a_ref"]: i["b_ref"] for i in items if i["a_ref"] is not None}

    def point(p: dict[str, Any]) -> dict[str, str]:
        return {"ref": p["ref"], "title": f"{p['ref']} {p['title']}（{p['location']}）"}

    return {
        "a": [{**point(p), "b_ref": paired.get(p["ref"]) or ""} for p in ra.content["risk_points"]],
        "b": [point(p) for p in rb.content["risk_points"]],
    }


def case_service_roles(session: Session, actor: Actor, placement: Placement) -> set[PartyRole]:
    return case_service.participant_roles(session, case_of(session, placement), actor.org_id)


def panel(session: Session, actor: Actor, placement: Placement, now: dt.datetime, locale: str) -> dict[str, Any]:
    """The context of ``placements/_second.html`` (registered in the case file's ``PANELS``)."""
    rows = _rows(session, actor, placement)
    roles = case_service_roles(session, actor, placement)
    own = next((r for r in rows if r["row"].insurer_id == actor.org_id), None)
    may_appoint = (
        PartyRole.INSURER in roles
        and actor.has_any(frozenset({Role.INSURER_UNDERWRITER}))
        and placement.status in second_opinion.APPOINTABLE
        and not any(r["row"].state in second_opinion.ACTIVE for r in rows if r["row"].insurer_id == actor.org_id)
    )
    cons = _consultation(session, actor, placement)
    may_open = cons is None and own is not None and own["row"].state == second_opinion.REPORTED
    if not rows and not may_appoint and cons is None:
        return {"second": None}
    return {
        "second": {
            "rows": rows,
            "may_appoint": may_appoint,
            "candidates": _candidates(session, placement) if may_appoint else [],
            "may_open": may_open,
            "consultation": cons,
            "payers": ["insurer"],
            "fee_initial": fee_terms.initial(engagement_for("placement", "insurer")),
        }
    }


placements.PANELS.append(panel)


def _run(
    request: Request,
    actor: Actor,
    session: Session,
    clock: ClockDep,
    placement_id: str,
    state: FormState,
    name: str,
    default_field: str,
    step: Callable[[], object],
    notice: str,
    anchor: str = ANCHOR,
) -> Response:
    """Run one service step: the page again with the error beside the form, or back to the card."""
    if state.errors:
        return placements.page(request, actor, session, clock, placement_id, states={name: state}, status=422)
    try:
        step()
    except TandemError as exc:
        return placements.failed(request, actor, session, clock, placement_id, exc, name, state, default_field)
    return placements.done(placement_id, notice, anchor)


def _reason(form: Any) -> FormState:
    state = FormState({"reason": forms.text(form, "reason", REASON_MAX)})
    if not state.values["reason"]:
        state.errors["reason"] = forms.REQUIRED
    elif len(state.values["reason"]) > REASON_MAX:
        state.errors["reason"] = REASON_TOO_LONG
    return state


@router.post("/placements/{placement_id}/insurer-adjuster")
def appoint(
    placement_id: str, request: Request, actor: CheckedActor, session: SessionDep, clock: ClockDep, form: FormDep
) -> Response:
    state = FormState({"adjuster_id": forms.text(form, "adjuster_id")})
    adjuster_id = forms.uuid_or_none(state.values["adjuster_id"])
    if adjuster_id is None:
        state.errors["adjuster_id"] = CHOOSE_ONE
    return _run(
        request, actor, session, clock, placement_id, state, "appoint", "adjuster_id",
        lambda: second_opinion.appoint(session, actor, placement_id, adjuster_id, now=clock.now()),
        "second_appointed",
    )  # fmt: skip


@router.post("/placements/{placement_id}/insurer-adjuster/{appointment_id}/accept")
def accept(
    placement_id: str,
    appointment_id: str,
    request: Request,
    actor: CheckedActor,
    session: SessionDep,
    clock: ClockDep,
    form: FormDep,
) -> Response:
    """The firm accepts the insurer's letter: fee terms (the insurer pays) and the report's due date."""
    second_opinion.get_appointment(session, actor, placement_id, appointment_id)
    state, due, terms = read_accept(form, clock.now(), "insurer")
    return _run(
        request, actor, session, clock, placement_id, state, "second_accept", "fee_basis",
        lambda: second_opinion.accept(
            session, actor, placement_id, appointment_id, terms=terms, report_due=due, now=clock.now()
        ),
        "second_answered",
    )  # fmt: skip


@router.post("/placements/{placement_id}/insurer-adjuster/{appointment_id}/decline")
def decline(
    placement_id: str,
    appointment_id: str,
    request: Request,
    actor: CheckedActor,
    session: SessionDep,
    clock: ClockDep,
    form: FormDep,
) -> Response:
    second_opinion.get_appointment(session, actor, placement_id, appointment_id)
    state = _reason(form)
    return _run(
        request, actor, session, clock, placement_id, state, "second_decline", "reason",
        lambda: second_opinion.decline(
            session, actor, placement_id, appointment_id, reason=state.values["reason"], now=clock.now()
        ),
        "second_answered",
    )  # fmt: skip


@router.post("/placements/{placement_id}/insurer-adjuster/{appointment_id}/broker-answer")
def broker_answer(
    placement_id: str,
    appointment_id: str,
    request: Request,
    actor: CheckedActor,
    session: SessionDep,
    clock: ClockDep,
    form: FormDep,
) -> Response:
    """The broker requires another adjuster or withdraws the submission, with its reason."""
    second_opinion.get_appointment(session, actor, placement_id, appointment_id)
    state = _reason(form)
    action = forms.text(form, "action", 30)
    return _run(
        request, actor, session, clock, placement_id, state, "broker_answer", "reason",
        lambda: second_opinion.answer_blacklisted(
            session, actor, placement_id, appointment_id, action=action, reason=state.values["reason"],
            now=clock.now(),
        ),
        "second_refused",
    )  # fmt: skip


@router.post("/placements/{placement_id}/consultation")
def consultation_step(
    placement_id: str,
    request: Request,
    actor: CheckedActor,
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
    form: FormDep,
) -> Response:
    """One step of the consultation on the page: ``open``, ``start``, ``end_round`` (the broker confirms),
    ``ack``, or ``merge`` (the risk evaluator takes the MoU into the register)."""
    step = forms.text(form, "step", 20)
    now = clock.now()

    def on_placement(step: Callable[..., object], **kw: object) -> Callable[[], object]:
        """An engine step on this placement's consultation (read through the placement's access check)."""
        return lambda: (consult.consultation_of(session, actor, placement_id), step(session, actor, placement_id, **kw))

    steps: dict[str, Callable[[], object]] = {
        "open": lambda: consult.open_consultation(
            session, actor, placement_id, now=now, round_working_days=settings.round_working_days
        ),
        "start": on_placement(engine.start_rounds, now=now),
        "end_round": on_placement(engine.end_round, now=now, confirm=True),
        "ack": on_placement(engine.acknowledge, now=now),
        "umpire_accept": on_placement(engine.accept_umpire, now=now),
        "merge": lambda: consult.merge_memorandum(session, actor, placement_id, now=now),
    }
    state = FormState({"step": step})
    if step not in steps:
        state.errors["step"] = forms.REQUIRED
    notice = "mou_merged" if step == "merge" else "consulted"
    return _run(
        request, actor, session, clock, placement_id, state, "consultation", "step",
        steps.get(step, lambda: None), notice, CONSULT,
    )  # fmt: skip


@router.post("/placements/{placement_id}/consultation/alignment")
def realign(
    placement_id: str, request: Request, actor: CheckedActor, session: SessionDep, clock: ClockDep, form: FormDep
) -> Response:
    """Either adjuster corrects the pairs of risk points before the rounds start: row ``n`` pairs report A's
    point ``a-n`` with report B's ``b-n`` (empty: unpaired)."""
    consult.consultation_of(session, actor, placement_id)
    rows = [(forms.text(form, f"a-{n}", 20), forms.text(form, f"b-{n}", 20)) for n in range(ALIGN_ROWS)]
    pairs = [(a, b) for a, b in rows if a and b]
    state = FormState({f"b-{n}": b for n, (_, b) in enumerate(rows) if b})
    return _run(
        request, actor, session, clock, placement_id, state, "alignment", "pairs",
        lambda: engine.realign(session, actor, placement_id, pairs, now=clock.now()),
        "consulted", CONSULT,
    )  # fmt: skip


@router.post("/placements/{placement_id}/consultation/items/{item_id}")
def move(
    placement_id: str,
    item_id: str,
    request: Request,
    actor: CheckedActor,
    session: SessionDep,
    clock: ClockDep,
    form: FormDep,
) -> Response:
    """An adjuster's move on a risk point: accept, propose (level, coefficient, reason) or hold."""
    consult.consultation_of(session, actor, placement_id)
    state, value = _position(form)
    return _run(
        request, actor, session, clock, placement_id, state, f"move-{item_id}", "kind",
        lambda: engine.item_move(
            session, actor, placement_id, item_id, kind=state.values["kind"], now=clock.now(),
            level=state.values["level"] or None, coefficient=value, reason=state.values["reason"] or None,
        ),
        "consulted", CONSULT,
    )  # fmt: skip


@router.post("/placements/{placement_id}/consultation/umpire")
def propose_umpire(
    placement_id: str, request: Request, actor: CheckedActor, session: SessionDep, clock: ClockDep, form: FormDep
) -> Response:
    """One adjuster proposes an umpire from the screened list (``kind:id``)."""
    consult.consultation_of(session, actor, placement_id)
    state, kind, umpire_id = forms.umpire_choice(form, CHOOSE_ONE)

    def step() -> object:
        assert umpire_id is not None  # checked above: _run does not step with errors
        return engine.propose_umpire(session, actor, placement_id, kind=kind, umpire_id=umpire_id, now=clock.now())

    return _run(request, actor, session, clock, placement_id, state, "umpire", "umpire", step, "consulted", CONSULT)


@router.post("/placements/{placement_id}/consultation/items/{item_id}/decision")
def umpire_decision(
    placement_id: str,
    item_id: str,
    request: Request,
    actor: CheckedActor,
    session: SessionDep,
    clock: ClockDep,
    form: FormDep,
) -> Response:
    """The accepted umpire's level and coefficient for a risk point, entered by the risk evaluators."""
    consult.consultation_of(session, actor, placement_id)
    state, value = _position(form)
    if not state.values["reason"]:
        state.errors["reason"] = forms.REQUIRED
    return _run(
        request, actor, session, clock, placement_id, state, f"decide-{item_id}", "level",
        lambda: engine.umpire_decision(
            session, actor, placement_id, item_id, reason=state.values["reason"], now=clock.now(),
            level=state.values["level"] or None, coefficient=value,
        ),
        "consulted", CONSULT,
    )  # fmt: skip


def _position(form: Any) -> tuple[FormState, Decimal | None]:
    """A risk point's level, coefficient and reason as typed."""
    state = FormState({n: forms.text(form, n, 5000) for n in ("kind", "level", "coefficient", "reason")})
    return state, forms.number(state.values["coefficient"], state.errors, "coefficient")
