"""The competitive consultation page (竞争性磋商): both reports side by side, item by item, with running
totals, the payable at each side's figures, per-item moves for each side's adjuster, rounds, the
umpire, and the memorandum of understanding (谅解备忘录) with its acknowledgements and PDFs."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from tandem.access.actor import Actor
from tandem.access.models import Role
from tandem.claim.models import Claim, PartyRole
from tandem.deps import ClockDep, SessionDep, SettingsDep
from tandem.kit.clock import Clock
from tandem.kit.errors import Conflict, InvalidInput, NotFound
from tandem.kit.i18n import N_
from tandem.reconciliation import consultation as svc
from tandem.reconciliation.documents import mou_pdf
from tandem.reconciliation.endpoints import view as consultation_view
from tandem.reconciliation.models import Consultation
from tandem.sla import calendar
from tandem.web import cases, forms
from tandem.web.claims import FormBag, FormDep, case_page, failed_page
from tandem.web.forms import FormState
from tandem.web.guards import CheckedActor, PageActor
from tandem.web.render import render

router = APIRouter(include_in_schema=False)
CONFIRM_END_ROUND = N_("Tick the box to confirm that the round ends now.")

CHOOSE_UMPIRE = N_("Choose an umpire from the list.")
# The umpire's kind and id are one form field (a choice from the list).
UMPIRE_FIELDS = {"umpire_id": "umpire", "kind": "umpire"}
CHOOSE_MOVE = N_("Choose accept, propose or hold.")
NOTICES = {
    "opened": N_("The competitive consultation is open. Check the item pairs, then start the rounds."),
    "started": N_("Round 1 has started."),
    "round": N_("The round has ended."),
    "moved": N_("Your move on the item was recorded."),
    "umpire": N_("The umpire was proposed; the other side accepts or proposes another."),
    "umpire_accepted": N_("Both sides accept the umpire."),
    "decided": N_("The umpire's decision is recorded."),
    "award": N_(
        "Your side's acceptance of the award is recorded; once both sides accept the same figure, the broker's "
        "risk evaluators can record it."
    ),
    "ack": N_("You acknowledged the memorandum."),
}


@dataclass(frozen=True)
class Roles:
    side: str | None  # a | b for the adjuster firms
    broker: bool
    risk: bool
    manager: bool
    insurer: bool
    ack_as: str | None


def _roles(session: Any, actor: Actor, claim: Claim, cons: Consultation) -> Roles:
    party = cases.party_roles(session, claim, actor.org_id)
    broker = PartyRole.BROKER in party
    risk = broker and actor.has_any(frozenset({Role.BROKER_RISK_EVALUATOR}))
    side = "a" if actor.org_id == cons.firm_a_id else "b" if actor.org_id == cons.firm_b_id else None
    if side is not None and not (PartyRole.ADJUSTER in party or PartyRole.INSURER_ADJUSTER in party):
        side = None
    insurer = PartyRole.INSURER in party
    ack_as = (
        "broker"
        if risk
        else "insurer"
        if insurer
        else "adjuster_a"
        if side == "a"
        else "adjuster_b"
        if side == "b"
        else None
    )
    return Roles(
        side, broker, risk, broker and actor.has_any(frozenset({Role.BROKER_ACCOUNT_MANAGER})), insurer, ack_as
    )


def _page(
    request: Request,
    actor: Actor,
    session: SessionDep,
    clock: Clock,
    claim_id: str,
    *,
    states: dict[str, FormState] | None = None,
    alert: object = None,
    notice: object = None,
    status: int = 200,
) -> Response:
    claim, cons = svc.get_consultation(session, actor, claim_id)
    session.refresh(cons)
    view = consultation_view(session, actor, claim, cons)
    roles = _roles(session, actor, claim, cons)
    firms = cases.org_names(session, [cons.firm_a_id, cons.firm_b_id])  # both firms work this case
    experts: list[Any] = []
    umpire_adjusters: list[Any] = []
    if roles.side and cons.state == "umpire" and not cons.umpire_accepted:
        experts, umpire_adjusters = cases.umpire_candidates(session, actor, claim, cons)
    evidence = [d for d in cases.visible_documents(session, actor, claim) if d.kind == "evidence"]
    memo = svc.memorandum(session, cons)
    acked = {a.party: a for a in svc.acks(session, memo)} if memo else {}
    mou_doc = next((d for d in cases.visible_documents(session, actor, claim) if d.kind == "mou_pdf"), None)
    return render(
        request,
        "claims/consultation.html",
        {
            "claim": claim,
            "cons": cons,
            "view": view,
            "roles": roles,
            "firm_a": firms.get(cons.firm_a_id, ""),
            "firm_b": firms.get(cons.firm_b_id, ""),
            "experts": experts,
            "umpire_adjusters": umpire_adjusters,
            "evidence": evidence,
            "memo": memo,
            "acked": acked,
            "parties": svc.PARTIES,
            "mou_doc": mou_doc,
            "fs": FormBag(states or {}),
            "alert": alert,
            "notice": notice,
            "now": clock.now(),
            "section_names": {s.code: s.name for s in claim.policy.sections},
            "calendar_missing": calendar.load(session).missing_years(clock.now(), cons.round_deadline)
            if cons.state == "negotiating" and cons.round_deadline
            else [],
            "payable_gap": _gap(view.payable.get("at_a"), view.payable.get("at_b")),
        },
        status=status,
    )


def _gap(a: str | None, b: str | None) -> Decimal | None:
    if a is None or b is None:
        return None
    return abs(Decimal(a) - Decimal(b))


@router.get("/claims/{claim_id}/consultation")
def consultation_page(
    claim_id: str,
    request: Request,
    actor: PageActor,
    session: SessionDep,
    clock: ClockDep,
    done: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    return _page(request, actor, session, clock, claim_id, notice=NOTICES.get(done))


_failed = partial(failed_page, _page)


def _done(claim_id: str, what: str, anchor: str = "") -> Response:
    return RedirectResponse(f"/claims/{claim_id}/consultation?done={what}" + (f"#{anchor}" if anchor else ""), 303)


@router.post("/claims/{claim_id}/consultation/open")
def open_consultation(
    claim_id: str, request: Request, actor: CheckedActor, session: SessionDep, clock: ClockDep, settings: SettingsDep
) -> Response:
    try:
        svc.open_consultation(session, actor, claim_id, now=clock.now(), round_working_days=settings.round_working_days)
    except (Conflict, InvalidInput) as exc:
        session.rollback()
        return case_page(request, actor, session, clock, claim_id, alert=exc, status=exc.status)
    return _done(claim_id, "opened")


@router.post("/claims/{claim_id}/consultation/start")
def start_rounds(
    claim_id: str, request: Request, actor: CheckedActor, session: SessionDep, clock: ClockDep
) -> Response:
    return _plain(request, actor, session, clock, claim_id, svc.start_rounds, "started")


@router.post("/claims/{claim_id}/consultation/end-round")
def end_round(
    claim_id: str, request: Request, actor: CheckedActor, session: SessionDep, clock: ClockDep, form: FormDep
) -> Response:
    """Ending a round asks for a ticked confirmation: the open items move on (to the umpire after the last)."""
    if forms.text(form, "confirm") != "1":
        svc.get_consultation(session, actor, claim_id)  # a hidden claim stays a 404
        state = FormState({}, {"confirm": CONFIRM_END_ROUND})
        return _page(request, actor, session, clock, claim_id, states={"end_round": state}, status=422)
    return _plain(request, actor, session, clock, claim_id, partial(svc.end_round, confirm=True), "round")


def _plain(
    request: Request,
    actor: Actor,
    session: Session,
    clock: Clock,
    claim_id: str,
    act: Callable[..., Any],
    done: str,
    anchor: str = "",
) -> Response:
    """A button without fields: the refusal is shown on the page."""
    try:
        act(session, actor, claim_id, now=clock.now())
    except (Conflict, InvalidInput) as exc:
        return _failed(request, actor, session, clock, claim_id, exc)
    return _done(claim_id, done, anchor)


@router.post("/claims/{claim_id}/consultation/items/{item_id}/move")
def item_move(
    claim_id: str,
    item_id: str,
    request: Request,
    actor: CheckedActor,
    session: SessionDep,
    clock: ClockDep,
    form: FormDep,
) -> Response:
    """Per item: accept the other side's figure, propose a new one (reason required) or hold."""
    name = f"item-{item_id}"[:60]
    state = FormState({k: forms.text(form, k) for k in ("kind", "amount", "reason", "evidence")})
    v = state.values
    amount = None
    if v["kind"] not in ("accept", "propose", "hold"):
        state.errors["kind"] = CHOOSE_MOVE
    if v["kind"] == "propose":
        amount = forms.money(v["amount"], state.errors, "amount")
        if not v["reason"]:
            state.errors["reason"] = forms.REQUIRED
    if len(v["reason"]) > 5000:
        state.errors["reason"] = forms.TOO_LONG
    evidence = v["evidence"] if re.fullmatch(r"[0-9a-f]{64}", v["evidence"]) else None
    if state.errors:
        svc.get_consultation(session, actor, claim_id)
        return _page(request, actor, session, clock, claim_id, states={name: state}, status=422)
    try:
        svc.item_move(
            session,
            actor,
            claim_id,
            item_id,
            kind=v["kind"],
            now=clock.now(),
            amount=amount,
            reason=v["reason"] or None,
            evidence_sha256=evidence,
        )
    except (Conflict, InvalidInput) as exc:
        return _failed(request, actor, session, clock, claim_id, exc, name, state, "reason")
    return _done(claim_id, "moved", f"item-{item_id}")


@router.post("/claims/{claim_id}/consultation/umpire")
def propose_umpire(
    claim_id: str, request: Request, actor: CheckedActor, session: SessionDep, clock: ClockDep, form: FormDep
) -> Response:
    state, kind, umpire_id = forms.umpire_choice(form, CHOOSE_UMPIRE)
    if state.errors or umpire_id is None:
        svc.get_consultation(session, actor, claim_id)
        return _page(request, actor, session, clock, claim_id, states={"umpire": state}, status=422)
    try:
        svc.propose_umpire(session, actor, claim_id, kind=kind, umpire_id=umpire_id, now=clock.now())
    except NotFound:
        svc.get_consultation(session, actor, claim_id)
        session.rollback()
        state.errors["umpire"] = CHOOSE_UMPIRE
        return _page(request, actor, session, clock, claim_id, states={"umpire": state}, status=422)
    except (Conflict, InvalidInput) as exc:
        return _failed(request, actor, session, clock, claim_id, exc, "umpire", state, "umpire", rename=UMPIRE_FIELDS)
    return _done(claim_id, "umpire", "umpire")


@router.post("/claims/{claim_id}/consultation/umpire/accept")
def accept_umpire(
    claim_id: str, request: Request, actor: CheckedActor, session: SessionDep, clock: ClockDep
) -> Response:
    return _plain(request, actor, session, clock, claim_id, svc.accept_umpire, "umpire_accepted", "umpire")


@router.post("/claims/{claim_id}/consultation/items/{item_id}/decision")
def umpire_decision(
    claim_id: str,
    item_id: str,
    request: Request,
    actor: CheckedActor,
    session: SessionDep,
    clock: ClockDep,
    form: FormDep,
) -> Response:
    """The broker's risk evaluation department records the accepted umpire's figure for an open item."""
    name = f"decide-{item_id}"[:60]
    state = FormState({k: forms.text(form, k) for k in ("amount", "reason")})
    amount = forms.money(state.values["amount"], state.errors, "amount")
    if not state.values["reason"]:
        state.errors["reason"] = forms.REQUIRED
    elif len(state.values["reason"]) > 5000:
        state.errors["reason"] = forms.TOO_LONG
    if state.errors or amount is None:
        svc.get_consultation(session, actor, claim_id)
        return _page(request, actor, session, clock, claim_id, states={name: state}, status=422)
    try:
        svc.umpire_decision(
            session, actor, claim_id, item_id, amount=amount, reason=state.values["reason"], now=clock.now()
        )
    except (Conflict, InvalidInput) as exc:
        return _failed(request, actor, session, clock, claim_id, exc, name, state, "reason")
    return _done(claim_id, "decided", f"item-{item_id}")


@router.post("/claims/{claim_id}/consultation/items/{item_id}/award")
def accept_award(
    claim_id: str,
    item_id: str,
    request: Request,
    actor: CheckedActor,
    session: SessionDep,
    clock: ClockDep,
    form: FormDep,
) -> Response:
    """One side accepts explicitly an umpire's figure outside the range of the two positions; the award is
    recorded only when both sides accepted the same figure."""
    name = f"award-{item_id}"[:60]
    state = FormState({"amount": forms.text(form, "amount")})
    amount = forms.money(state.values["amount"], state.errors, "amount")
    if state.errors or amount is None:
        svc.get_consultation(session, actor, claim_id)
        return _page(request, actor, session, clock, claim_id, states={name: state}, status=422)
    try:
        svc.accept_award(session, actor, claim_id, item_id, amount=amount, now=clock.now())
    except (Conflict, InvalidInput) as exc:
        return _failed(request, actor, session, clock, claim_id, exc, name, state, "amount")
    return _done(claim_id, "award", f"item-{item_id}")


@router.post("/claims/{claim_id}/consultation/memorandum/ack")
def acknowledge(claim_id: str, request: Request, actor: CheckedActor, session: SessionDep, clock: ClockDep) -> Response:
    return _plain(request, actor, session, clock, claim_id, svc.acknowledge, "ack", "memorandum")


@router.get("/claims/{claim_id}/consultation/memorandum.pdf")
def memorandum_pdf(
    claim_id: str, actor: PageActor, session: SessionDep, lang: Annotated[str, Query(max_length=10)] = "zh_CN"
) -> Response:
    """The MoU as a PDF: Chinese by default, English with ``?lang=en``."""
    _claim, cons = svc.get_consultation(session, actor, claim_id)
    memo = svc.memorandum(session, cons)
    if memo is None or lang not in ("zh_CN", "en"):
        raise NotFound()
    name = f"{memo.number}{'-EN' if lang == 'en' else ''}.pdf"
    return Response(
        mou_pdf(session, memo, lang),
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "X-Content-SHA256": memo.content_hash,
            "Cache-Control": "private, no-store",
        },
    )
