"""Submission pages (投保方案, issue 15 item 3): an underwriter's list of the submissions addressed to its
insurer, and one submission's page — the programme as submitted, the question thread, the quote form
(rates per section in ‰, deductibles, factors, conditions, validity), every quote version, the decline
and the broker's withdrawal, and the audit trail. Every read goes through ``scope.get_submission`` (another
insurer's submission is the same 404 page as none); every write through :mod:`tandem.placement.market`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.access.actor import Actor
from tandem.access.models import Organisation, OrgKind, Role
from tandem.claim.models import PartyRole
from tandem.deps import ClockDep, SessionDep
from tandem.kit.clock import Clock
from tandem.kit.errors import TandemError
from tandem.kit.i18n import N_
from tandem.kit.limits import REASON_MAX
from tandem.placement import consult, market
from tandem.placement.market_models import Submission
from tandem.reconciliation import consultation as engine
from tandem.web import forms
from tandem.web.claims import FormBag, FormDep
from tandem.web.forms import FormState
from tandem.web.guards import CheckedActor, PageActor
from tandem.web.placement_market import refused
from tandem.web.render import render

router = APIRouter(include_in_schema=False)
FACTOR_ROWS = 3
NOTICES = {
    "message": N_("Your message was posted."),
    "quoted": N_("Your quote is recorded as a new version; the broker and the insured see it now."),
    "declined": N_("You declined to quote; the broker and the insured are told."),
    "withdrawn": N_("The submission is withdrawn; the insurer is told."),
}


@router.get("/submissions")
def submission_list(request: Request, actor: PageActor, session: SessionDep) -> Response:
    """The submissions the actor may see (an underwriter: those addressed to its insurer), newest first."""
    rows = [(s, market.latest_quote(session, s)) for s in market.my_submissions(session, actor)]
    return render(request, "submissions/list.html", {"rows": rows})


def _sections(sub: Submission) -> list[dict[str, Any]]:
    return [{**sec, "site": site["name"]} for site in sub.programme.get("sites", []) for sec in site["sections"]]


def _names(session: Session, ids: set[Any]) -> dict[Any, str]:
    if not ids:
        return {}
    return {o.id: o.name for o in session.execute(select(Organisation).where(Organisation.id.in_(ids))).scalars()}


def _abilities(session: Session, actor: Actor, sub: Submission) -> dict[str, bool]:
    side = market.side_on(session, actor, sub) if not actor.read_only else None
    live = sub.status in market.LIVE
    insurer = side == PartyRole.INSURER.value and Role.INSURER_UNDERWRITER in actor.roles
    return {
        "may_post": side is not None,
        "may_quote": insurer and live,
        "may_withdraw": side == PartyRole.BROKER.value and Role.BROKER_ACCOUNT_MANAGER in actor.roles and live,
    }


def _mou_basis(session: Session, actor: Actor, sub: Submission) -> dict[str, Any] | None:
    """The premium this insurer rated on the placement's acknowledged MoU (R-U8), shown beside its quote
    form; None for anyone else, or before every party acknowledged it."""
    if actor.org_kind != OrgKind.INSURER or sub.insurer_id != actor.org_id:
        return None
    try:
        cons, prices = consult.premium(session, actor, sub.case_id)
    except TandemError:
        return None
    memo = engine.memorandum(session, cons)
    if cons.insurer_id != actor.org_id or prices.totals is None or memo is None:
        return None
    return {"number": memo.number, "premium": prices.totals.now}


def _page(
    request: Request,
    actor: Actor,
    session: Session,
    clock: Clock,
    submission_id: str,
    *,
    states: Mapping[str, FormState] | None = None,
    alert: object = None,
    notice: object = None,
    status: int = 200,
) -> Response:
    sub = market.get_submission(session, actor, submission_id)
    session.refresh(sub)
    now = clock.now()
    quotes = market.quotes_of(session, sub)
    ctx = {
        "sub": sub,
        "sections": _sections(sub),
        "quotes": [(q, market.is_valid(q, now)) for q in quotes],
        "messages": (messages := market.messages(session, sub)),
        "names": _names(session, {m.author_org_id for m in messages}),
        "events": market.events(session, sub),
        "fs": FormBag(dict(states or {})),
        "factor_rows": range(FACTOR_ROWS),
        "alert": alert,
        "notice": notice,
        "is_insurer": actor.org_kind == OrgKind.INSURER,
        "mou": _mou_basis(session, actor, sub),
        **_abilities(session, actor, sub),
    }
    return render(request, "submissions/detail.html", ctx, status=status)


@router.get("/submissions/{submission_id}")
def submission_page(
    submission_id: str,
    request: Request,
    actor: PageActor,
    session: SessionDep,
    clock: ClockDep,
    done: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    return _page(request, actor, session, clock, submission_id, notice=NOTICES.get(done))


def _done(submission_id: str, what: str) -> Response:
    return RedirectResponse(f"/submissions/{submission_id}?done={what}", 303)


def _failed(
    request: Request,
    actor: Actor,
    session: Session,
    clock: Clock,
    sid: str,
    exc: TandemError,
    name: str,
    state: FormState,
    default: str,
) -> Response:
    return _page(request, actor, session, clock, sid, states={name: state}, **refused(session, exc, state, default))


@router.post("/submissions/{submission_id}/messages")
def post_message(
    submission_id: str, request: Request, form: FormDep, actor: CheckedActor, session: SessionDep, clock: ClockDep
) -> Response:
    """A question (the insurer) or an answer (the broker, the insured) on the submission's thread."""
    state = FormState(values={"body": forms.text(form, "body", REASON_MAX)})
    try:
        market.post_message(session, actor, submission_id, state.values["body"], now=clock.now())
    except TandemError as exc:
        return _failed(request, actor, session, clock, submission_id, exc, "message", state, "body")
    return _done(submission_id, "message")


def quote_data(form: Mapping[str, Any], refs: list[str]) -> dict[str, Any]:
    """The quote form as the service reads it: one row per section of the programme, the factors filled."""
    sections = [
        {
            "ref": ref,
            "rate_permille": forms.text(form, f"sections[{n}].rate_permille", 20),
            "deductible_amount": forms.text(form, f"sections[{n}].deductible_amount", 20) or None,
            "deductible_rate": forms.text(form, f"sections[{n}].deductible_rate", 20) or None,
        }
        for n, ref in enumerate(refs)
    ]
    factors = [
        {"code": forms.text(form, f"factors[{n}].code", 40), "value": forms.text(form, f"factors[{n}].value", 20)}
        for n in range(FACTOR_ROWS)
    ]
    return {
        "sections": sections,
        "factors": [f for f in factors if f["code"] or f["value"]],
        "conditions": forms.text(form, "conditions", REASON_MAX),
        "valid_until": forms.text(form, "valid_until", 10),
        "minimum_premium": forms.text(form, "minimum_premium", 20) or None,
    }


@router.post("/submissions/{submission_id}/quotes")
def quote(
    submission_id: str, request: Request, form: FormDep, actor: CheckedActor, session: SessionDep, clock: ClockDep
) -> Response:
    """The insurer's underwriter quotes (a re-quote is the next version)."""
    sub = market.get_submission(session, actor, submission_id)
    state = FormState(values={k: forms.text(form, k, REASON_MAX) for k in form if isinstance(k, str)})
    try:
        market.quote(session, actor, sub.id, quote_data(form, [s["ref"] for s in _sections(sub)]), now=clock.now())
    except TandemError as exc:
        return _failed(request, actor, session, clock, submission_id, exc, "quote", state, "valid_until")
    return _done(submission_id, "quoted")


@router.post("/submissions/{submission_id}/{action}")
def close(
    submission_id: str,
    action: str,
    request: Request,
    form: FormDep,
    actor: CheckedActor,
    session: SessionDep,
    clock: ClockDep,
) -> Response:
    """The insurer declines to quote (``decline``) or the broker withdraws the submission (``withdraw``)."""
    state = FormState(values={"reason": forms.text(form, "reason", REASON_MAX)})
    try:
        market.close(session, actor, submission_id, action, state.values["reason"], now=clock.now())
    except TandemError as exc:
        return _failed(request, actor, session, clock, submission_id, exc, action, state, "reason")
    return _done(submission_id, "declined" if action == "decline" else "withdrawn")
