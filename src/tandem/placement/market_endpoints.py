"""Going to market and binding, API (issue 15 items 3 and 6): the disclosure and the mandate, the
submissions to insurers with their threads and quotes, the side-by-side comparison, and the acceptance
that binds the placement into a policy. Every submission, quote and message is read through
``scope.get_submission``: another insurer's answers 404 like one that does not exist."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, File, Query, Response, UploadFile
from pydantic import BaseModel, Field

from tandem.case import thread
from tandem.deps import ActorDep, ClockDep, SessionDep, SettingsDep
from tandem.kit.errors import ActionNotAllowed
from tandem.kit.limits import REASON_MAX
from tandem.kit.uploads import MAX_UPLOAD
from tandem.placement import binding, market, market_docs
from tandem.placement import service as placement_service
from tandem.placement.market_models import Consent, ConsentKind, Quote, Submission, SubmissionMessage, SubmissionStatus
from tandem.policy.endpoints import PolicyOut, policy_out
from tandem.schemas import Date, MoneyOut, Ref, Strict
from tandem.web.claims import document_response

router = APIRouter(prefix="/api/v1", tags=["placement market"])
NF: dict[int | str, dict[str, Any]] = {404: {"description": "Not found"}}
ACT: dict[int | str, dict[str, Any]] = {
    403: {"description": "Not allowed"},
    409: {"description": "Not in this state, or something is missing (named in fields)"},
    422: {"description": "Bad input (fields named)"},
    **NF,
}
Text = Annotated[str, Field(max_length=REASON_MAX)]


class ConsentOut(BaseModel):
    kind: str
    status: str
    source: str
    document_id: uuid.UUID
    created_at: dt.datetime
    acknowledged_at: dt.datetime | None = None


class ConsentsOut(BaseModel):
    items: list[ConsentOut]
    missing: dict[str, str] = Field(description="what going to market still waits for, by kind")


class DisclosureIn(Strict):
    remuneration: Text = ""
    related_parties: Text = ""
    complaints: Text = ""


class MandateIn(Strict):
    scope: Text = ""


class SubmitIn(Strict):
    insurer_ids: list[uuid.UUID] | None = Field(None, max_length=market.MAX_INSURERS, description="default: shortlist")
    answer_days: Annotated[int, Field(ge=1, le=60)] = market.ANSWER_DAYS


class ReasonIn(Strict):
    reason: Annotated[str, Field(min_length=1, max_length=REASON_MAX)]


class MessageIn(Strict):
    body: Annotated[str, Field(min_length=1, max_length=REASON_MAX)]


class QuoteSectionIn(Strict):
    ref: Annotated[str, Field(min_length=1, max_length=20)]
    rate_permille: Annotated[str, Field(min_length=1, max_length=20)]
    deductible_amount: Annotated[str, Field(max_length=20)] | None = None
    deductible_rate: Annotated[str, Field(max_length=20)] | None = None
    options: dict[str, Any] = Field(default_factory=dict, description="the amount engine's policy options")


class FactorIn(Strict):
    code: Annotated[str, Field(min_length=1, max_length=40)]
    value: Annotated[str, Field(min_length=1, max_length=20)]


class QuoteIn(Strict):
    sections: Annotated[list[QuoteSectionIn], Field(min_length=1, max_length=200)]
    factors: Annotated[list[FactorIn], Field(max_length=50)] = Field(default_factory=list)
    conditions: Text = ""
    valid_until: Date
    minimum_premium: Annotated[str, Field(max_length=20)] | None = None


class AcceptIn(Strict):
    designated_adjuster_id: uuid.UUID | None = None


class QuoteOut(BaseModel):
    id: uuid.UUID
    submission_id: uuid.UUID
    version: int
    sections: list[dict[str, Any]]
    factors: list[dict[str, Any]]
    conditions: str
    valid_until: dt.date
    valid: bool
    currency: str
    premium: MoneyOut
    pricing: dict[str, Any]
    created_at: dt.datetime


class SubmissionOut(BaseModel):
    id: uuid.UUID
    number: str
    placement_id: uuid.UUID
    insurer: Ref
    product_id: uuid.UUID | None = None
    status: SubmissionStatus
    reason: str | None = None
    answer_due: dt.datetime
    programme: dict[str, Any]
    quote: QuoteOut | None = Field(None, description="the latest version")
    created_at: dt.datetime
    updated_at: dt.datetime


class MessageOut(BaseModel):
    id: uuid.UUID
    author_org_id: uuid.UUID
    body: str
    created_at: dt.datetime


class EventOut(BaseModel):
    action: str
    at: dt.datetime
    after: dict[str, Any] | None = None
    reason: str | None = None


class ComparisonRow(BaseModel):
    submission_id: uuid.UUID
    number: str
    insurer: Ref
    status: SubmissionStatus
    reason: str | None = None
    quote: QuoteOut | None = None


class ComparisonOut(BaseModel):
    placement_id: uuid.UUID
    rows: list[ComparisonRow]
    cheapest_valid: uuid.UUID | None = Field(None, description="the valid quote with the lowest premium")


def consent_out(c: Consent) -> ConsentOut:
    return ConsentOut(
        kind=c.kind.value,
        status=c.status.value,
        source=c.source,
        document_id=c.document_id,
        created_at=c.created_at,
        acknowledged_at=c.acknowledged_at,
    )


def quote_out(q: Quote, now: dt.datetime) -> QuoteOut:
    return QuoteOut(
        id=q.id,
        submission_id=q.submission_id,
        version=q.version,
        sections=q.sections,
        factors=q.factors,
        conditions=q.conditions,
        valid_until=q.valid_until,
        valid=market.is_valid(q, now),
        currency=q.currency,
        premium=q.premium,
        pricing=q.pricing,
        created_at=q.created_at,
    )


def submission_out(session: Any, s: Submission, now: dt.datetime) -> SubmissionOut:
    latest = market.latest_quote(session, s)
    return SubmissionOut(
        id=s.id,
        number=s.number,
        placement_id=s.case_id,
        insurer=Ref(id=s.insurer_id, name=s.insurer.name),
        product_id=s.product_id,
        status=s.status,
        reason=s.reason,
        answer_due=s.answer_due,
        programme=s.programme,
        quote=quote_out(latest, now) if latest else None,
        created_at=s.created_at,
        updated_at=s.updated_at,
    )


def _consents(session: Any, placement_id: uuid.UUID) -> ConsentsOut:
    from tandem.placement.market_guard import missing_consents

    items = [consent_out(c) for c in market.consents(session, placement_id).values()]
    return ConsentsOut(items=items, missing=missing_consents(session, placement_id))


# ---- disclosure and mandate ------------------------------------------------------------------------


@router.get("/placements/{placement_id}/consents", response_model=ConsentsOut, responses=NF)
def get_consents(placement_id: str, actor: ActorDep, session: SessionDep) -> ConsentsOut:
    """The disclosure (客户告知书) and the mandate (委托书), and what going to market still waits for."""
    placement = placement_service.get_placement(session, actor, placement_id)
    market.require_client_side(session, actor, placement)
    return _consents(session, placement.id)


@router.post("/placements/{placement_id}/disclosure", response_model=ConsentsOut, status_code=201, responses=ACT)
def give_disclosure(
    placement_id: str, body: DisclosureIn, actor: ActorDep, session: SessionDep, settings: SettingsDep, clock: ClockDep
) -> ConsentsOut:
    """The broker's account manager generates the disclosure PDF and gives it to the insured."""
    data = body.model_dump()
    c = market_docs.generate(session, settings, actor, placement_id, ConsentKind.DISCLOSURE, data, now=clock.now())
    return _consents(session, c.case_id)


@router.post("/placements/{placement_id}/mandate", response_model=ConsentsOut, status_code=201, responses=ACT)
def generate_mandate(
    placement_id: str, body: MandateIn, actor: ActorDep, session: SessionDep, settings: SettingsDep, clock: ClockDep
) -> ConsentsOut:
    """The broker's account manager generates the written mandate for the insured to acknowledge."""
    data = body.model_dump()
    c = market_docs.generate(session, settings, actor, placement_id, ConsentKind.MANDATE, data, now=clock.now())
    return _consents(session, c.case_id)


@router.post("/placements/{placement_id}/mandate/upload", response_model=ConsentsOut, status_code=201, responses=ACT)
def upload_mandate(
    placement_id: str,
    actor: ActorDep,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    file: Annotated[UploadFile, File()],
) -> ConsentsOut:
    """The broker records a signed mandate (a scan or a PDF)."""
    data = file.file.read(MAX_UPLOAD + 1)
    c = market_docs.upload_mandate(session, settings, actor, placement_id, file.filename, data, now=clock.now())
    return _consents(session, c.case_id)


@router.post("/placements/{placement_id}/consents/{kind}/acknowledge", response_model=ConsentsOut, responses=ACT)
def acknowledge(placement_id: str, kind: str, actor: ActorDep, session: SessionDep, clock: ClockDep) -> ConsentsOut:
    """The insured acknowledges the disclosure (``disclosure``) or the mandate (``mandate``)."""
    c = market.acknowledge(session, actor, placement_id, kind, now=clock.now())
    return _consents(session, c.case_id)


@router.get("/placements/{placement_id}/consents/{kind}/document", responses=NF, response_class=Response)
def consent_document(
    placement_id: str, kind: str, actor: ActorDep, session: SessionDep, settings: SettingsDep
) -> Response:
    """The disclosure's or the mandate's document, for the broker and the insured."""
    placement = placement_service.get_placement(session, actor, placement_id)
    found = market.consents(session, placement.id).get(kind)
    case = placement_service.case_of(session, placement)
    return document_response(
        settings, thread.visible_document(session, actor, case, found.document_id) if found else None
    )


# ---- submissions -----------------------------------------------------------------------------------


@router.post(
    "/placements/{placement_id}/submissions", response_model=list[SubmissionOut], status_code=201, responses=ACT
)
def submit(placement_id: str, body: SubmitIn, actor: ActorDep, session: SessionDep, clock: ClockDep) -> Any:
    """The broker submits the programme to insurers (``insurer_ids``, default: the saved shortlist's)."""
    now = clock.now()
    subs = market.submit(
        session, actor, placement_id, insurer_ids=body.insurer_ids, answer_days=body.answer_days, now=now
    )
    return [submission_out(session, s, now) for s in subs]


@router.get("/placements/{placement_id}/submissions", response_model=list[SubmissionOut], responses=NF)
def list_placement_submissions(placement_id: str, actor: ActorDep, session: SessionDep, clock: ClockDep) -> Any:
    """A placement's submissions, for the parties to its case."""
    _, subs = market.submissions_of(session, actor, placement_id)
    return [submission_out(session, s, clock.now()) for s in subs]


@router.get("/submissions", response_model=list[SubmissionOut])
def list_submissions(
    actor: ActorDep, session: SessionDep, clock: ClockDep, status: Annotated[SubmissionStatus | None, Query()] = None
) -> Any:
    """The submissions the caller may see (an underwriter: those addressed to its insurer), newest first."""
    return [submission_out(session, s, clock.now()) for s in market.my_submissions(session, actor, status=status)]


@router.get("/submissions/{submission_id}", response_model=SubmissionOut, responses=NF)
def get_submission(submission_id: str, actor: ActorDep, session: SessionDep, clock: ClockDep) -> SubmissionOut:
    """One submission with the programme and its latest quote; 404 for another insurer's."""
    return submission_out(session, market.get_submission(session, actor, submission_id), clock.now())


@router.get("/submissions/{submission_id}/events", response_model=list[EventOut], responses=NF)
def submission_events(submission_id: str, actor: ActorDep, session: SessionDep) -> Any:
    """The submission's audit trail."""
    sub = market.get_submission(session, actor, submission_id)
    return [
        EventOut(action=e.action, at=e.occurred_at, after=e.after, reason=e.reason) for e in market.events(session, sub)
    ]


@router.get("/submissions/{submission_id}/quotes", response_model=list[QuoteOut], responses=NF)
def submission_quotes(submission_id: str, actor: ActorDep, session: SessionDep, clock: ClockDep) -> Any:
    """Every version of the submission's quote, newest first."""
    sub = market.get_submission(session, actor, submission_id)
    return [quote_out(q, clock.now()) for q in market.quotes_of(session, sub)]


def _message_out(m: SubmissionMessage) -> MessageOut:
    return MessageOut(id=m.id, author_org_id=m.author_org_id, body=m.body, created_at=m.created_at)


@router.get("/submissions/{submission_id}/messages", response_model=list[MessageOut], responses=NF)
def submission_messages(submission_id: str, actor: ActorDep, session: SessionDep) -> Any:
    """The submission's own thread: the insurer's questions and the answers."""
    return [_message_out(m) for m in market.messages(session, market.get_submission(session, actor, submission_id))]


@router.post("/submissions/{submission_id}/messages", response_model=MessageOut, status_code=201, responses=ACT)
def post_message(submission_id: str, body: MessageIn, actor: ActorDep, session: SessionDep, clock: ClockDep) -> Any:
    """A question (the insurer) or an answer (the broker, the insured) on the submission's thread."""
    return _message_out(market.post_message(session, actor, submission_id, body.body, now=clock.now()))


@router.post("/submissions/{submission_id}/quotes", response_model=QuoteOut, status_code=201, responses=ACT)
def quote(submission_id: str, body: QuoteIn, actor: ActorDep, session: SessionDep, clock: ClockDep) -> QuoteOut:
    """The insurer's underwriter quotes (a re-quote is the next version), priced by the premium engine."""
    now = clock.now()
    return quote_out(market.quote(session, actor, submission_id, body.model_dump(), now=now), now)


def _closing(action: str, doc: str) -> Any:
    def endpoint(submission_id: str, body: ReasonIn, actor: ActorDep, session: SessionDep, clock: ClockDep) -> Any:
        now = clock.now()
        return submission_out(session, market.close(session, actor, submission_id, action, body.reason, now=now), now)

    endpoint.__doc__ = doc
    endpoint.__name__ = f"{action}_submission"
    return endpoint


for _action, _doc in (
    ("decline", "The insurer's underwriter declines to quote, with its reason."),
    ("withdraw", "The broker withdraws the submission, with its reason."),
):
    router.add_api_route(
        f"/submissions/{{submission_id}}/{_action}",
        _closing(_action, _doc),
        methods=["POST"],
        response_model=SubmissionOut,
        responses=ACT,
    )


@router.get("/quotes/{quote_id}", response_model=QuoteOut, responses=NF)
def get_quote(quote_id: str, actor: ActorDep, session: SessionDep, clock: ClockDep) -> QuoteOut:
    """One version of a quote; 404 for another insurer's."""
    return quote_out(market.get_quote(session, actor, quote_id)[1], clock.now())


# ---- comparison and binding ------------------------------------------------------------------------


def comparison(session: Any, actor: Any, placement_id: str, now: dt.datetime) -> ComparisonOut:
    """The quotes side by side for the insured and the broker (supervision reads too)."""
    placement, rows, cheapest = market.comparison(session, actor, placement_id, now)
    return ComparisonOut(
        placement_id=placement.id,
        rows=[
            ComparisonRow(
                submission_id=s.id,
                number=s.number,
                insurer=Ref(id=s.insurer_id, name=s.insurer.name),
                status=s.status,
                reason=s.reason,
                quote=quote_out(q, now) if q else None,
            )
            for s, q in rows
        ],
        cheapest_valid=cheapest,
    )


@router.get("/placements/{placement_id}/quotes", response_model=ComparisonOut, responses=NF)
def compare(placement_id: str, actor: ActorDep, session: SessionDep, clock: ClockDep) -> ComparisonOut:
    """The insurers' quotes side by side (premium, rates, deductibles, conditions, validity)."""
    return comparison(session, actor, placement_id, clock.now())


@router.post("/quotes/{quote_id}/accept", response_model=PolicyOut, status_code=201, responses=ACT)
def accept(quote_id: str, body: AcceptIn, actor: ActorDep, session: SessionDep, clock: ClockDep) -> PolicyOut:
    """The insured accepts a valid quote: the policy is issued and the placement is bound."""
    if not actor.roles:
        raise ActionNotAllowed()
    policy = binding.accept(
        session, actor, quote_id, designated_adjuster_id=body.designated_adjuster_id, now=clock.now()
    )
    return policy_out(policy)
