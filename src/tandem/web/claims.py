"""Claims pages: the work queue, the loss notice form, inbound drafts, and the case file with a form
for every move the signed-in user may make. Pages call the claim services directly; every claim is
fetched through ``tandem.access.scope``, so an outsider gets the same 404 page as for a missing id."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import uuid
from collections.abc import Callable, Mapping
from functools import partial
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile

from tandem.access import scope
from tandem.access.actor import Actor
from tandem.access.models import Organisation, OrgKind, Role
from tandem.case import letters
from tandem.claim import inbound, proposal, service, survey_notes, workflow
from tandem.claim.models import Channel, Document, InboundMessage
from tandem.config import Settings
from tandem.deps import ClockDep, SessionDep, SettingsDep
from tandem.kit.clock import Clock, local_day, today_local
from tandem.kit.errors import ActionNotAllowed, Conflict, InvalidInput, NotFound, TandemError
from tandem.kit.i18n import N_
from tandem.kit.limits import REASON_MAX
from tandem.kit.storage import store_for
from tandem.kit.uploads import MAX_UPLOAD, evidence_type
from tandem.policy import versions as policy_versions
from tandem.web import cases, draft_form, fee_terms, forms
from tandem.web.forms import FormBag as FormBag  # re-exported: the pages import it from here
from tandem.web.forms import FormState
from tandem.web.guards import CheckedActor, PageActor
from tandem.web.labels import Message as Msg
from tandem.web.render import render, request_locale

router = APIRouter(include_in_schema=False)
K = OrgKind

PHONE = re.compile(r"^\+?[0-9\- ]{5,20}$")
CHOOSE_POLICY = N_("Choose a policy from the list.")
CHOOSE_CHANNEL = N_("Choose how the loss was reported.")
TOO_SHORT = N_("At least two characters.")
LOSS_IN_FUTURE = N_("The loss time is in the future.")  # the same msgids as the intake service's
LOSS_OUTSIDE_PERIOD = N_("The loss is outside the policy period.")
BAD_PHONE = N_("Enter a phone number (digits, spaces and dashes).")
SHORT_PHONE = N_("The number is too short (at least 5 digits).")
REPORTER_BOTH = N_("Give both the name and the phone number of the caller.")
FORM_USED = N_("This form was already sent. Please check the claims list before reporting again.")
CHOOSE_ADJUSTER = N_("Choose an adjuster from the list.")
CHOOSE_SIGNERS = N_("Choose at least two adjusters who worked the case.")
CHOOSE_ANSWER = N_("Agree, choose another adjuster, or leave the choice to the broker.")
CHOOSE_FILE = N_("Choose a file to upload.")
FILE_TOO_LARGE = N_("The file is larger than 20 MB.")
NOT_EVIDENCE = N_("Only photos (JPEG, PNG, HEIC …), PDF or office documents can be uploaded.")
CHOOSE_AUDIENCE = N_("Choose who may see it.")
MESSAGE_EMPTY = N_("Write a message.")
NEED_SECOND = N_("Add a second adjuster before the survey: at least two adjusters work every case.")
CHECK_FIELDS = N_("Nothing was saved. Please correct the fields marked below.")
CONFIRM_CLOSE = N_("Tick the box to confirm that the case is closed.")
OFFER_CHECK = {
    "zero": N_("The offer is zero. Tick the box below to send it anyway."),
    "sum_insured": N_("The offer is more than the sum insured ({limit}). Tick the box below to send it anyway."),
    "multiple": N_(
        "The offer is more than ten times the confirmed amount ({limit}). Tick the box below to send it anyway."
    ),
}

NOTICES = {
    "notified": N_("The loss is reported. Everyone on the case has been informed."),
    "adjuster": N_("The adjuster is appointed and the confirmation letter has been issued."),
    "adjuster_proposed": N_("Your proposal is with the insured; its answer will show here and in your to-do list."),
    "survey_note": N_("Your note is on the survey; you are named among its participants."),
    "say_answered": N_("Your answer is with the broker, who now appoints the adjuster."),
    "withdrawn": N_("The claim is withdrawn."),
    "accepted": N_("You accepted the confirmation letter. The case is yours."),
    "declined": N_("You declined the confirmation letter."),
    "team": N_("The adjuster was added to the case."),
    "survey": N_("The survey is recorded."),
    "draft": N_("The report draft is saved."),
    "report": N_("The report is submitted and signed. It can no longer be changed."),
    "signed": N_("You signed the report. It is submitted once a co-signer has signed it too."),
    "amount": N_("The amount payable is confirmed."),
    "proposed": N_("Your proposal was sent to the insurer."),
    "answered": N_("Your answer was recorded."),
    "paid": N_("The payment is recorded."),
    "closed": N_("The case is closed."),
    "message": N_("Your message was posted."),
    "uploaded": N_("The file was uploaded."),
    "appointed": N_("Your adjuster is appointed; the confirmation letter has been issued."),
    "refused": N_("The insurer's adjuster was refused."),
    "consultation": N_("The competitive consultation is open."),
    "confirmed": N_("The message was turned into a loss notice."),
    "dismissed": N_("The message was dismissed."),
    "expert": N_("The request was sent to the expert's owner, who accepts or declines it."),
}

INSURED_CHANNELS = ("web", "app")
BROKER_CHANNELS = ("phone", "email", "wechat", "weibo", "web")


async def form_data(request: Request) -> FormData:
    return await request.form(max_part_size=64 * 1024)


FormDep = Annotated[FormData, Depends(form_data)]


def _values(form: Mapping[str, Any], *names: str) -> dict[str, Any]:
    return {n: forms.text(form, n) for n in names}


# ---- the work queue ------------------------------------------------------------------------------


@router.get("/claims")
def claim_queue(
    request: Request,
    actor: PageActor,
    session: SessionDep,
    clock: ClockDep,
    status: Annotated[str, Query(max_length=20)] = cases.DEFAULT_TAB,
    q: Annotated[str, Query(max_length=40)] = "",
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    tab = status if status in cases.TABS else cases.DEFAULT_TAB
    view = cases.queue(session, actor, clock.now(), tab=tab, q=q, cursor=cursor)
    more = None
    if view.next_cursor:
        params = {"status": tab, **({"q": view.q} if view.q else {}), "cursor": view.next_cursor}
        more = "/claims?" + urlencode(params)
    return render(
        request,
        "claims/list.html",
        {
            "view": view,
            "tabs": list(cases.TABS),
            "more": more,
            "can_report": cases.can_report(actor),
            "now": clock.now(),
            "paged": bool(cursor),
        },
    )


# ---- report a loss -------------------------------------------------------------------------------


def _channels(actor: Actor) -> tuple[str, ...]:
    return BROKER_CHANNELS if actor.org_kind == K.BROKER else INSURED_CHANNELS


def _notice_page(
    request: Request,
    actor: Actor,
    session: SessionDep,
    clock: Clock,
    state: FormState,
    alert: object = None,
    status: int = 200,
) -> Response:
    if not cases.can_report(actor):
        raise ActionNotAllowed()
    policies = cases.notice_policies(session, actor)
    if "key" not in state.values:
        state.values["key"] = uuid.uuid4().hex
    return render(
        request,
        "claims/new.html",
        {
            "policies": policies,
            "channels": _channels(actor),
            "f": state,
            "alert": alert,
            "max_loss_at": forms.local_input(clock.now()),
        },
        status=status,
    )


@router.get("/claims/new")
def notice_form(
    request: Request,
    actor: PageActor,
    session: SessionDep,
    clock: ClockDep,
    policy: Annotated[str, Query(max_length=40)] = "",
) -> Response:
    channel = _channels(actor)[0]
    values: dict[str, Any] = {"policy_id": policy, "channel": channel}
    if actor.org_kind == K.INSURED:
        values["reporter_name"] = actor.display_name
    return _notice_page(request, actor, session, clock, FormState(values))


def _read_notice(
    form: Mapping[str, Any],
    actor: Actor,
    policies: list[Any],
    state: FormState,
    now: dt.datetime,
    channel_fixed: str | None = None,
) -> service.NoticeInput | None:
    errors = state.errors
    state.values.update(
        _values(
            form,
            "policy_id",
            "loss_at",
            "location",
            "description",
            "channel",
            "estimated_loss",
            "reporter_name",
            "reporter_phone",
            "key",
        )
    )
    v = state.values
    policy_id = forms.uuid_or_none(v["policy_id"])
    if policy_id is None or policy_id not in {p.id for p in policies}:
        errors["policy_id"] = CHOOSE_POLICY
    loss_at = forms.local_datetime(v["loss_at"], errors, "loss_at")
    # Checked here as well as at intake, so that the field's error shows beside the others at once.
    chosen = next((p for p in policies if p.id == policy_id), None)
    if loss_at is not None and loss_at > now + dt.timedelta(minutes=5):
        errors["loss_at"] = LOSS_IN_FUTURE
    elif (
        loss_at is not None
        and chosen is not None
        and not (chosen.period_start <= local_day(loss_at) <= chosen.period_end)
    ):
        errors["loss_at"] = LOSS_OUTSIDE_PERIOD
    for name, limit in (("location", 300), ("description", 5000)):
        if not v[name]:
            errors[name] = forms.REQUIRED
        elif len(v[name]) < 2:
            errors[name] = TOO_SHORT
        elif len(v[name]) > limit:
            errors[name] = forms.TOO_LONG
    channel = channel_fixed or v["channel"]
    if channel_fixed is None and channel not in _channels(actor):
        errors["channel"] = CHOOSE_CHANNEL
    estimated = forms.money(v["estimated_loss"], errors, "estimated_loss", required=False)
    name, phone = v["reporter_name"], v["reporter_phone"]
    if len(name) > 100:
        errors["reporter_name"] = forms.TOO_LONG
    if phone and not PHONE.match(phone):
        digits = re.sub(r"[\- ]", "", phone.removeprefix("+"))
        errors["reporter_phone"] = (
            SHORT_PHONE if digits.isascii() and digits.isdigit() and len(digits) < 5 else BAD_PHONE
        )
    if channel == "phone" and channel_fixed is None:  # a call the broker logs: who called, on which number
        if not name and "reporter_name" not in errors:
            errors["reporter_name"] = REPORTER_BOTH
        if not phone and "reporter_phone" not in errors:
            errors["reporter_phone"] = REPORTER_BOTH
    if errors or policy_id is None or loss_at is None:
        return None
    return service.NoticeInput(
        policy_id=policy_id,
        loss_at=loss_at,
        location=v["location"],
        description=v["description"],
        channel=Channel(channel),
        estimated_loss=estimated,
        reporter_name=name or None,
        reporter_phone=phone or None,
    )


@router.post("/claims/new")
def notice_submit(
    request: Request, actor: CheckedActor, session: SessionDep, settings: SettingsDep, clock: ClockDep, form: FormDep
) -> Response:
    """Report a loss (报案): field errors come back beside the fields (422); a resent form is the same claim."""
    if not cases.can_report(actor):
        raise ActionNotAllowed()
    state = FormState()
    notice = _read_notice(form, actor, cases.notice_policies(session, actor), state, clock.now())
    if notice is None:
        return _notice_page(request, actor, session, clock, state, CHECK_FIELDS, 422)
    key = state.values["key"][:64] or None
    try:
        claim, _created = service.notify_loss(
            session, settings, actor, notice, now=clock.now(), idempotency_key=f"web:{key}" if key else None
        )
    except InvalidInput as exc:
        session.rollback()
        if exc.code == service.IdempotencyMismatch.code:
            state.values.pop("key", None)
            return _notice_page(request, actor, session, clock, state, FORM_USED, 422)
        forms.service_errors(exc, state.errors, "description")
        return _notice_page(request, actor, session, clock, state, CHECK_FIELDS, 422)
    return RedirectResponse(f"/claims/{claim.id}?done=notified", 303)


# ---- inbound drafts (WeChat, Weibo, e-mail) ------------------------------------------------------


def _drafts_page(
    request: Request,
    actor: Actor,
    session: SessionDep,
    clock: Clock,
    states: dict[str, FormState] | None = None,
    alert: object = None,
    notice: object = None,
    status: int = 200,
) -> Response:
    if actor.org_kind != K.BROKER and not actor.is_admin:
        raise ActionNotAllowed()
    stmt = inbound._visible(actor).where(InboundMessage.state == "draft").order_by(InboundMessage.received_at)
    drafts = list(session.execute(stmt).scalars())
    policies = cases.notice_policies(session, actor)
    bag = FormBag(states or {})
    for d in drafts:
        key = str(d.id)
        if key not in bag:
            own = [p for p in policies if p.insured_id == d.insured_id]
            bag[key] = FormState(
                {
                    "policy_id": str(own[0].id) if len(own) == 1 else "",
                    "loss_at": forms.local_input(d.received_at),
                    "description": d.text[:5000],
                    "location": "",
                    "estimated_loss": "",
                    "reporter_name": "",
                    "reporter_phone": d.sender_phone or "",
                }
            )
    insureds = (
        {
            o.id: o.name
            for o in session.execute(
                scope.visible_organisations(actor).where(
                    Organisation.id.in_([d.insured_id for d in drafts if d.insured_id])
                )
            ).scalars()
        }
        if drafts
        else {}
    )
    return render(
        request,
        "claims/drafts.html",
        {
            "drafts": drafts,
            "policies": policies,
            "fs": bag,
            "insureds": insureds,
            "alert": alert,
            "notice": notice,
            "max_loss_at": forms.local_input(clock.now()),
        },
        status=status,
    )


@router.get("/intake/drafts")
def drafts_page(
    request: Request,
    actor: PageActor,
    session: SessionDep,
    clock: ClockDep,
    done: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    return _drafts_page(
        request, actor, session, clock, notice=NOTICES.get(done) if done in ("confirmed", "dismissed") else None
    )


@router.post("/intake/drafts/{draft_id}/confirm")
def draft_confirm(
    draft_id: str,
    request: Request,
    actor: CheckedActor,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    form: FormDep,
) -> Response:
    msg = inbound._get(session, actor, draft_id)
    if not actor.has_any(frozenset({Role.BROKER_ACCOUNT_MANAGER, Role.PLATFORM_ADMIN})):
        raise ActionNotAllowed()
    key = str(msg.id)
    if msg.state != "draft":
        return _drafts_page(
            request, actor, session, clock, alert=Conflict("This message was already handled."), status=409
        )
    state = FormState()
    notice = _read_notice(
        form, actor, cases.notice_policies(session, actor), state, clock.now(), channel_fixed=msg.channel.value
    )
    if notice is None:
        return _drafts_page(request, actor, session, clock, {key: state}, CHECK_FIELDS, status=422)
    if notice.reporter_phone is None and msg.sender_phone:
        notice = dataclasses.replace(notice, reporter_phone=msg.sender_phone)
    try:
        claim, _ = service.notify_loss(
            session, settings, actor, notice, now=clock.now(), idempotency_key=f"inbound:{msg.id}"
        )
    except InvalidInput as exc:
        session.rollback()
        forms.service_errors(exc, state.errors, "description")
        return _drafts_page(request, actor, session, clock, {key: state}, CHECK_FIELDS, status=422)
    msg.state, msg.claim_id = "confirmed", claim.id
    return RedirectResponse(f"/claims/{claim.id}?done=notified", 303)


@router.post("/intake/drafts/{draft_id}/dismiss")
def draft_dismiss(
    draft_id: str, request: Request, actor: CheckedActor, session: SessionDep, clock: ClockDep
) -> Response:
    msg = inbound._get(session, actor, draft_id)
    if actor.org_kind != K.BROKER and not actor.is_admin:
        raise ActionNotAllowed()
    if msg.state != "draft":
        return _drafts_page(
            request, actor, session, clock, alert=Conflict("This message was already handled."), status=409
        )
    msg.state = "dismissed"
    return RedirectResponse("/intake/drafts?done=dismissed", 303)


# ---- the case file -------------------------------------------------------------------------------


def case_page(
    request: Request,
    actor: Actor,
    session: SessionDep,
    clock: Clock,
    claim_id: str,
    *,
    states: dict[str, FormState] | None = None,
    alert: object = None,
    notice: object = None,
    draft: draft_form.DraftForm | None = None,
    status: int = 200,
    experts: bool = False,
    experts_alert: object = None,
    preview: cases.ConfirmationView | None = None,
) -> Response:
    """The case file. ``experts``: the suggested experts inline (else the page loads them with htmx);
    ``preview``: the amount the risk evaluators are about to confirm, not yet stored."""
    claim = scope.get_claim(session, actor, claim_id)
    session.refresh(claim)
    locale = request_locale(request, actor)
    case = cases.case_view(session, actor, claim, clock.now(), locale)
    if draft is None and case.actions.draft:
        draft = draft_form.from_content(case.draft, case.policy_sections)
    suggested = (
        cases.claim_experts(session, request.app.state.settings, actor, claim, today_local(clock))
        if experts and case.suggest_experts
        else None
    )
    return render(
        request,
        "claims/case.html",
        {
            "case": case,
            "claim": claim,
            "fs": FormBag(states or {}),
            "alert": alert,
            "notice": notice,
            "progress": cases.PROGRESS,
            "experts": suggested,
            "experts_alert": experts_alert,
            "preview": preview,
            "draft": draft,
            "now": clock.now(),
            "local_input": forms.local_input,
            "default_survey_at": forms.local_input(clock.now().replace(minute=0, second=0, microsecond=0)),
        },
        status=status,
    )


@router.get("/claims/{claim_id}")
def case_file(
    claim_id: str,
    request: Request,
    actor: PageActor,
    session: SessionDep,
    clock: ClockDep,
    done: Annotated[str, Query(max_length=20)] = "",
    experts: Annotated[str, Query(max_length=1)] = "",
) -> Response:
    return case_page(request, actor, session, clock, claim_id, notice=NOTICES.get(done), experts=experts == "1")


def _done(claim_id: str, what: str, anchor: str = "") -> Response:
    return RedirectResponse(f"/claims/{claim_id}?done={what}" + (f"#{anchor}" if anchor else ""), 303)


def failed_page(
    page: Callable[..., Response],
    request: Request,
    actor: Actor,
    session: SessionDep,
    clock: Clock,
    claim_id: str,
    exc: TandemError,
    name: str = "",
    state: FormState | None = None,
    default_field: str = "",
    rename: Mapping[str, str] | None = None,
    **kw: Any,
) -> Response:
    """A service refused: roll back, then show the ``page`` again with the message beside the form ``name``
    (or, without a form, as the page's alert)."""
    state = state or FormState()
    if name:
        alert = refused(session, exc, state, default_field, rename)
    else:
        session.rollback()
        alert = exc
    states = {name: state} if name else None
    return page(request, actor, session, clock, claim_id, states=states, alert=alert, status=exc.status, **kw)


_failed = partial(failed_page, case_page)


def refused(
    session: Session, exc: TandemError, state: FormState, default_field: str, rename: Mapping[str, str] | None
) -> object:
    """A service refused a form: roll back; its field errors go beside the form (``state``), anything else is
    returned as the page's alert."""
    session.rollback()
    if isinstance(exc, InvalidInput) or exc.fields:
        forms.service_errors(exc, state.errors, default_field, rename)
        return None
    return exc


# The report's signers are one form field on the page.
SIGNER_FIELDS = {"signer_ids": "signers", "sections": "signers"}


def _invalid(
    request: Request,
    actor: Actor,
    session: SessionDep,
    clock: Clock,
    claim_id: str,
    name: str,
    state: FormState,
    **kw: Any,
) -> Response:
    return case_page(request, actor, session, clock, claim_id, states={name: state}, status=422, **kw)


@router.post("/claims/{claim_id}/adjuster")
def choose_adjuster(
    claim_id: str, request: Request, actor: CheckedActor, session: SessionDep, clock: ClockDep, form: FormDep
) -> Response:
    """Appoint the adjuster chosen in the list, or (the button ``intent=propose``) propose it to the insured
    first (R-C2: the insured agrees, picks another, or leaves the choice to the broker)."""
    propose = forms.text(form, "intent") == "propose"
    act: Callable[..., Any] = proposal.propose_adjuster if propose else workflow.choose_adjuster
    done = "adjuster_proposed" if propose else "adjuster"
    return _with_adjuster(request, actor, session, clock, claim_id, form, "choose", act, done, with_reason=True)


@router.post("/claims/{claim_id}/withdraw")
def withdraw(
    claim_id: str, request: Request, actor: CheckedActor, session: SessionDep, clock: ClockDep, form: FormDep
) -> Response:
    state = FormState(_values(form, "reason"))
    if not state.values["reason"]:
        state.errors["reason"] = forms.REQUIRED
    elif len(state.values["reason"]) > REASON_MAX:
        state.errors["reason"] = forms.TOO_LONG
    if state.errors:
        return _invalid(request, actor, session, clock, claim_id, "withdraw", state)
    try:
        workflow.withdraw(session, actor, claim_id, now=clock.now(), reason=state.values["reason"])
    except (Conflict, InvalidInput) as exc:
        return _failed(request, actor, session, clock, claim_id, exc, "withdraw", state, "reason")
    return _done(claim_id, "withdrawn")


@router.post("/claims/{claim_id}/letter")
def answer_letter(
    claim_id: str, request: Request, actor: CheckedActor, session: SessionDep, clock: ClockDep, form: FormDep
) -> Response:
    """The firm accepts the confirmation letter with its fee terms or declines with a reason."""
    accept = forms.text(form, "answer") != "decline"
    terms = None
    if accept:
        claim = scope.get_claim(session, actor, claim_id)
        side = "broker" if workflow.adjuster_side(session, actor, claim) == "a" else "insurer"
        terms, state = fee_terms.terms_from_form(form, letters.engagement_of(claim, side))
        name = "letter"
    else:
        state = FormState(_values(form, "reason"))
        name = "decline"
        if not state.values["reason"]:
            state.errors["reason"] = forms.REQUIRED
        elif len(state.values["reason"]) > REASON_MAX:
            state.errors["reason"] = forms.TOO_LONG
    if state.errors:
        return _invalid(request, actor, session, clock, claim_id, name, state)
    try:
        workflow.answer_appointment(
            session,
            actor,
            claim_id,
            accept=accept,
            now=clock.now(),
            terms=terms,
            reason=state.values.get("reason") or None,
        )
    except (Conflict, InvalidInput) as exc:
        return _failed(request, actor, session, clock, claim_id, exc, name, state, "fee_basis" if accept else "reason")
    return _done(claim_id, "accepted" if accept else "declined")


def _with_adjuster(
    request: Request,
    actor: Actor,
    session: Session,
    clock: Clock,
    claim_id: str,
    form: Any,
    section: str,
    act: Callable[..., Any],
    done: str,
    *,
    with_reason: bool = False,
) -> Response:
    """A form that names one adjuster (and, ``with_reason``, an optional reason): an unknown or invisible
    adjuster is the field's error, not a 404."""
    state = FormState(_values(form, "adjuster_id", *(("reason",) if with_reason else ())))
    adjuster_id = forms.uuid_or_none(state.values["adjuster_id"])
    if adjuster_id is None:
        state.errors["adjuster_id"] = CHOOSE_ADJUSTER
    if with_reason and len(state.values["reason"]) > REASON_MAX:
        state.errors["reason"] = forms.TOO_LONG
    if state.errors:
        return _invalid(request, actor, session, clock, claim_id, section, state)
    extra = {"reason": state.values["reason"] or None} if with_reason else {}
    try:
        act(session, actor, claim_id, adjuster_id, now=clock.now(), **extra)
    except NotFound:
        scope.get_claim(session, actor, claim_id)  # a hidden claim stays a 404
        session.rollback()
        state.errors["adjuster_id"] = CHOOSE_ADJUSTER
        return _invalid(request, actor, session, clock, claim_id, section, state)
    except (Conflict, InvalidInput) as exc:
        return _failed(request, actor, session, clock, claim_id, exc, section, state, "adjuster_id")
    return _done(claim_id, done)


@router.post("/claims/{claim_id}/adjuster/answer")
def answer_proposal(
    claim_id: str, request: Request, actor: CheckedActor, session: SessionDep, clock: ClockDep, form: FormDep
) -> Response:
    """The insured's say: agree, pick another eligible adjuster (required then), or leave it to the broker."""
    state = FormState(_values(form, "answer", "adjuster_id"))
    answer, adjuster_id = state.values["answer"], forms.uuid_or_none(state.values["adjuster_id"])
    if answer not in proposal.ANSWERS:
        state.errors["answer"] = CHOOSE_ANSWER
    elif answer == "other" and adjuster_id is None:
        state.errors["adjuster_id"] = CHOOSE_ADJUSTER
    if state.errors:
        scope.get_claim(session, actor, claim_id)  # a hidden claim stays a 404
        return _invalid(request, actor, session, clock, claim_id, "answer", state)
    try:
        proposal.answer_proposal(session, actor, claim_id, answer, now=clock.now(), adjuster_id=adjuster_id)
    except (Conflict, InvalidInput) as exc:
        return _failed(request, actor, session, clock, claim_id, exc, "answer", state, "answer")
    return _done(claim_id, "say_answered")


@router.post("/claims/{claim_id}/team")
def add_team_member(
    claim_id: str, request: Request, actor: CheckedActor, session: SessionDep, clock: ClockDep, form: FormDep
) -> Response:
    return _with_adjuster(request, actor, session, clock, claim_id, form, "team", workflow.add_team_member, "team")


def _split_names(value: str) -> list[str]:
    return [p.strip() for p in re.split(r"[,，、;；\n]+", value) if p.strip()][:20]


@router.post("/claims/{claim_id}/surveys")
def record_survey(
    claim_id: str, request: Request, actor: CheckedActor, session: SessionDep, clock: ClockDep, form: FormDep
) -> Response:
    state = FormState(_values(form, "scheduled_at", "surveyed_at", "participants", "notes"))
    v = state.values
    photos = [p for p in form.getlist("photos") if isinstance(p, str) and re.fullmatch(r"[0-9a-f]{64}", p)]
    state.values["photos"] = photos
    scheduled = forms.local_datetime(v["scheduled_at"], state.errors, "scheduled_at")
    surveyed = forms.local_datetime(v["surveyed_at"], state.errors, "surveyed_at", required=False)
    participants = _split_names(v["participants"])
    if any(len(p) > 100 for p in participants):
        state.errors["participants"] = forms.TOO_LONG
    if len(v["notes"]) > 20000:
        state.errors["notes"] = forms.TOO_LONG
    if state.errors or scheduled is None:
        return _invalid(request, actor, session, clock, claim_id, "survey", state)
    try:
        workflow.record_survey(
            session,
            actor,
            claim_id,
            now=clock.now(),
            scheduled_at=scheduled,
            surveyed_at=surveyed,
            participants=participants,
            notes=v["notes"] or None,
            photo_hashes=photos,
        )
    except (Conflict, InvalidInput) as exc:
        if exc.fields and "team" in exc.fields:
            session.rollback()
            state.errors["scheduled_at"] = NEED_SECOND
            return _invalid(request, actor, session, clock, claim_id, "survey", state)
        return _failed(request, actor, session, clock, claim_id, exc, "survey", state, "scheduled_at")
    return _done(claim_id, "survey")


@router.post("/claims/{claim_id}/draft")
def save_draft(
    claim_id: str, request: Request, actor: CheckedActor, session: SessionDep, clock: ClockDep, form: FormDep
) -> Response:
    """The draft editor: ``op=add:<section>`` / ``remove:<section>:<row>`` edit the rows, ``save`` saves."""
    claim = scope.get_claim(session, actor, claim_id)
    sections = [(s.code, s.name) for s in policy_versions.sections_at(session, claim.policy, claim.loss_at)]
    draft = draft_form.from_post(form, sections)
    op = forms.text(form, "op", 60) or "save"
    if op != "save":
        draft_form.apply_op(draft, op)
        return case_page(request, actor, session, clock, claim_id, draft=draft)
    content = draft_form.to_content(draft)
    if content is None:
        return case_page(request, actor, session, clock, claim_id, draft=draft, status=422)
    try:
        workflow.save_draft(session, actor, claim_id, content, now=clock.now())
    except (Conflict, InvalidInput) as exc:
        session.rollback()
        return case_page(request, actor, session, clock, claim_id, draft=draft, alert=exc, status=exc.status)
    return _done(claim_id, "draft", "report-draft")


@router.post("/claims/{claim_id}/reports")
def submit_report(
    claim_id: str, request: Request, actor: CheckedActor, session: SessionDep, clock: ClockDep, form: FormDep
) -> Response:
    signers = [forms.uuid_or_none(s) for s in form.getlist("signers") if isinstance(s, str)]
    state = FormState({"signers": [str(s) for s in signers if s]})
    chosen = [s for s in signers if s is not None]
    if len(set(chosen)) < 2:
        state.errors["signers"] = CHOOSE_SIGNERS
        return _invalid(request, actor, session, clock, claim_id, "submit", state)
    try:
        workflow.submit_report(session, actor, claim_id, signer_ids=chosen, now=clock.now())
    except ActionNotAllowed as exc:
        if exc.message == ActionNotAllowed.message:
            raise
        session.rollback()  # "You must be one of the signing adjusters."
        state.errors["signers"] = exc
        return _invalid(request, actor, session, clock, claim_id, "submit", state)
    except (Conflict, InvalidInput) as exc:
        return _failed(request, actor, session, clock, claim_id, exc, "submit", state, "signers", rename=SIGNER_FIELDS)
    return _done(claim_id, "signed", "act-sign")


@router.post("/claims/{claim_id}/reports/sign")
def sign_report(
    claim_id: str, request: Request, actor: CheckedActor, session: SessionDep, clock: ClockDep, form: FormDep
) -> Response:
    """A named co-signer signs the frozen report's content hash (shown on the page) in person."""
    try:
        claim = workflow.sign_report(
            session, actor, claim_id, content_hash=forms.text(form, "content_hash"), now=clock.now()
        )
    except (Conflict, InvalidInput, ActionNotAllowed) as exc:
        session.rollback()
        return case_page(request, actor, session, clock, claim_id, alert=exc, status=exc.status)
    return _done(claim_id, "report" if workflow.reports(session, claim) else "signed")


@router.post("/claims/{claim_id}/amount")
def confirm_amount(
    claim_id: str, request: Request, actor: CheckedActor, session: SessionDep, clock: ClockDep, form: FormDep
) -> Response:
    """The first press shows a preview of every step; ``confirm=1`` (the preview's button) confirms."""
    try:
        if forms.text(form, "confirm") != "1":
            claim, conf, number = workflow.amount_preview(session, actor, claim_id, now=clock.now())
            view = cases.confirmation_view(session, claim, conf, request_locale(request, actor), number=number)
            session.rollback()
            return case_page(request, actor, session, clock, claim_id, preview=view)
        workflow.confirm_amount(session, actor, claim_id, now=clock.now())
    except (Conflict, InvalidInput) as exc:
        return _failed(request, actor, session, clock, claim_id, exc, "amount", FormState(), "amount")
    return _done(claim_id, "amount", "settlement")


@router.post("/claims/{claim_id}/negotiation")
def negotiate(
    claim_id: str, request: Request, actor: CheckedActor, session: SessionDep, clock: ClockDep, form: FormDep
) -> Response:
    """Broker proposes; the insurer accepts, counters, disputes the report or refuses, with reasons, and may
    reconsider its refusal."""
    state = FormState(_values(form, "move", "amount", "reason"))
    v = state.values
    move = v["move"]
    if move not in workflow.MOVES:
        raise InvalidInput("Unknown move.", fields={"move": ", ".join(workflow.MOVES)})
    name = f"neg_{move}"
    amount = None
    if move in ("propose", "counter"):
        amount = forms.money(v["amount"], state.errors, "amount", required=move == "counter")
    if move in ("counter", "dispute", "refuse", "reconsider") and not v["reason"]:
        state.errors["reason"] = forms.REQUIRED
    elif len(v["reason"]) > 5000:
        state.errors["reason"] = forms.TOO_LONG
    if state.errors:
        return _invalid(request, actor, session, clock, claim_id, name, state)
    try:
        workflow.negotiate(
            session,
            actor,
            claim_id,
            move,
            now=clock.now(),
            amount=amount,
            reason=v["reason"] or None,
            confirm=forms.text(form, "confirm") == "1",
        )
    except workflow.OfferNeedsConfirmation as exc:
        session.rollback()
        state.values["needs_confirm"] = "1"
        state.errors["amount"] = Msg(OFFER_CHECK[exc.params["kind"]], {"limit": exc.params["limit"]})
        return _invalid(request, actor, session, clock, claim_id, name, state)
    except (Conflict, InvalidInput) as exc:
        return _failed(request, actor, session, clock, claim_id, exc, name, state, "reason")
    return _done(claim_id, "proposed" if move == "propose" else "answered", "negotiation")


@router.post("/claims/{claim_id}/payments")
def record_payment(
    claim_id: str, request: Request, actor: CheckedActor, session: SessionDep, clock: ClockDep, form: FormDep
) -> Response:
    state = FormState(_values(form, "kind", "amount", "reference"))
    v = state.values
    kind = v["kind"] if v["kind"] in ("advance", "final") else "final"
    name = f"pay_{kind}"
    amount = forms.money(v["amount"], state.errors, "amount", positive=True)
    if not v["reference"]:
        state.errors["reference"] = forms.REQUIRED
    elif len(v["reference"]) > 100:
        state.errors["reference"] = forms.TOO_LONG
    if state.errors or amount is None:
        return _invalid(request, actor, session, clock, claim_id, name, state)
    try:
        workflow.record_payment(
            session, actor, claim_id, kind=kind, amount=amount, reference=v["reference"], now=clock.now()
        )
    except (Conflict, InvalidInput) as exc:
        return _failed(request, actor, session, clock, claim_id, exc, name, state, "amount")
    return _done(claim_id, "paid", "payments")


@router.post("/claims/{claim_id}/close")
def close(
    claim_id: str, request: Request, actor: CheckedActor, session: SessionDep, clock: ClockDep, form: FormDep
) -> Response:
    if forms.text(form, "confirm") != "1":
        scope.get_claim(session, actor, claim_id)
        return _invalid(request, actor, session, clock, claim_id, "close", FormState({}, {"confirm": CONFIRM_CLOSE}))
    try:
        workflow.close(session, actor, claim_id, now=clock.now(), confirm=True)
    except (Conflict, InvalidInput) as exc:
        return _failed(request, actor, session, clock, claim_id, exc, "close", FormState(), "close")
    return _done(claim_id, "closed")


def read_message(form: Mapping[str, Any]) -> FormState:
    """A posted message (audience, body) with the body's errors: the one check of every case page."""
    state = FormState(_values(form, "audience", "body"))
    body = state.values["body"]
    if not body:
        state.errors["body"] = MESSAGE_EMPTY
    elif len(body) > 5000:
        state.errors["body"] = forms.TOO_LONG
    return state


def read_upload(form: Mapping[str, Any], state: FormState) -> tuple[str, bytes, str] | None:
    """The uploaded file (name, bytes, detected type), or None with the file's error in ``state``."""
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        state.errors["file"] = CHOOSE_FILE
        return None
    data = upload.file.read(MAX_UPLOAD + 1)
    content_type = evidence_type(data) if data and len(data) <= MAX_UPLOAD else None
    if not data:
        state.errors["file"] = CHOOSE_FILE
    elif len(data) > MAX_UPLOAD:
        state.errors["file"] = FILE_TOO_LARGE
    elif content_type is None:
        state.errors["file"] = NOT_EVIDENCE
    if state.errors or content_type is None:
        return None
    return upload.filename, data, content_type


@router.post("/claims/{claim_id}/messages")
def post_message(
    claim_id: str, request: Request, actor: CheckedActor, session: SessionDep, clock: ClockDep, form: FormDep
) -> Response:
    state = read_message(form)
    v = state.values
    if state.errors:
        return _invalid(request, actor, session, clock, claim_id, "message", state)
    try:
        workflow.post_message(session, actor, claim_id, audience=v["audience"], body=v["body"], now=clock.now())
    except (Conflict, InvalidInput) as exc:
        return _failed(request, actor, session, clock, claim_id, exc, "message", state, "body")
    return _done(claim_id, "message", "messages")


@router.post("/claims/{claim_id}/documents")
def upload_document(
    claim_id: str,
    request: Request,
    actor: CheckedActor,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    form: FormDep,
) -> Response:
    """Upload evidence (photos, PDFs); stored content-addressed by SHA-256, shown to the chosen audience."""
    claim = scope.get_claim(session, actor, claim_id)
    state = FormState(_values(form, "audience"))
    audience = state.values["audience"]
    upload = read_upload(form, state)
    if upload is None:
        return _invalid(request, actor, session, clock, claim_id, "upload", state)
    filename, data, content_type = upload
    try:
        workflow.upload_evidence(
            session, settings, actor, claim.id, audience, filename, content_type, data, now=clock.now()
        )
    except InvalidInput as exc:
        return _failed(request, actor, session, clock, claim_id, exc, "upload", state, "audience")
    return _done(claim_id, "uploaded", "documents")


@router.post("/claims/{claim_id}/surveys/{survey_id}/notes")
def add_survey_note(
    claim_id: str,
    survey_id: str,
    request: Request,
    actor: CheckedActor,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    form: FormDep,
) -> Response:
    """The broker's staff join a survey: a note for one audience, optionally with a photo (stored as evidence
    for the same audience and attached to the note), in one transaction."""
    claim = scope.get_claim(session, actor, claim_id)
    name = f"note-{survey_id}"[:60]
    state = FormState(_values(form, "body", "audience"))
    if not state.values["body"]:
        state.errors["body"] = forms.REQUIRED
    elif len(state.values["body"]) > survey_notes.NOTE_MAX:
        state.errors["body"] = forms.TOO_LONG
    photo = form.get("file")
    upload = read_upload(form, state) if isinstance(photo, UploadFile) and photo.filename else None
    if state.errors:
        return _invalid(request, actor, session, clock, claim_id, name, state)
    audience, now = state.values["audience"], clock.now()
    try:
        hashes = []
        if upload is not None:
            filename, data, content_type = upload
            doc = workflow.upload_evidence(
                session, settings, actor, claim.id, audience, filename, content_type, data, now=now
            )
            hashes = [doc.sha256]
        survey_notes.add_survey_note(
            session,
            actor,
            claim.id,
            survey_id,
            audience=audience,
            body=state.values["body"],
            photo_hashes=hashes,
            now=now,
        )
    except (Conflict, InvalidInput) as exc:
        return _failed(request, actor, session, clock, claim_id, exc, name, state, "body")
    return _done(claim_id, "survey_note", "surveys")


@router.get("/claims/{claim_id}/documents/{document_id}")
def download_document(
    claim_id: str, document_id: str, actor: PageActor, session: SessionDep, settings: SettingsDep
) -> Response:
    claim = scope.get_claim(session, actor, claim_id)
    return document_response(settings, cases.visible_document(session, actor, claim, document_id))


def document_response(settings: Settings, doc: Document | None) -> Response:
    """A case document as a download (404 when the viewer may not see it), its hash in a header."""
    if doc is None:
        raise NotFound()
    data = store_for(settings.var_dir).get(doc.sha256)
    return Response(
        data,
        media_type=doc.content_type,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(doc.filename)}",
            "X-Content-SHA256": doc.sha256,
            "Cache-Control": "private, no-store",
        },
    )


# ---- the dispute: the insurer's own adjuster -------------------------------------------------------


@router.post("/claims/{claim_id}/insurer-adjuster")
def appoint_insurer_adjuster(
    claim_id: str, request: Request, actor: CheckedActor, session: SessionDep, clock: ClockDep, form: FormDep
) -> Response:
    return _with_adjuster(
        request, actor, session, clock, claim_id, form, "appoint", workflow.appoint_insurer_adjuster, "appointed"
    )


@router.post("/claims/{claim_id}/insurer-adjuster/refuse")
def refuse_insurer_adjuster(
    claim_id: str, request: Request, actor: CheckedActor, session: SessionDep, clock: ClockDep, form: FormDep
) -> Response:
    state = FormState(_values(form, "reason"))
    if not state.values["reason"]:
        state.errors["reason"] = forms.REQUIRED
    elif len(state.values["reason"]) > REASON_MAX:
        state.errors["reason"] = forms.TOO_LONG
    if state.errors:
        return _invalid(request, actor, session, clock, claim_id, "refuse", state)
    try:
        workflow.require_other_insurer_adjuster(
            session, actor, claim_id, now=clock.now(), reason=state.values["reason"]
        )
    except (Conflict, InvalidInput) as exc:
        return _failed(request, actor, session, clock, claim_id, exc, "refuse", state, "reason")
    return _done(claim_id, "refused")
