"""Inbound WeChat / Weibo / e-mail messages (R-C1): a signed webhook stores each message once, links it to
the insured by account or phone, and shows it to the broker as a draft notice that a person confirms."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from tandem.access.actor import Actor
from tandem.access.models import Organisation, OrgKind, Role, User
from tandem.claim import service
from tandem.claim.endpoints import ClaimOut, claim_out
from tandem.claim.models import Channel, ChannelAccount, InboundMessage
from tandem.claim.schemas import NoticeIn
from tandem.db import insert_or_skip
from tandem.deps import ActorDep, ClockDep, SessionDep, SettingsDep
from tandem.kit import pii
from tandem.kit.errors import ActionNotAllowed, Conflict, NotFound, TandemError
from tandem.party.models import Insured
from tandem.schemas import Strict, UtcDateTime

router = APIRouter(prefix="/api/v1/intake", tags=["intake"])


class BadSignature(TandemError):
    status = 401
    code = "intake.bad_signature"
    message = "The message signature does not match."


class Sender(Strict):
    account: Annotated[str, Field(max_length=200)] | None = None
    phone: Annotated[str, Field(max_length=30)] | None = None


class InboundIn(Strict):
    channel: Literal["wechat", "weibo", "email"]
    message_id: Annotated[str, Field(min_length=1, max_length=200)]
    # The channel account that received the message (the broker's official account or claims mailbox).
    recipient: Annotated[str, Field(min_length=1, max_length=200)]
    sender: Sender
    text: Annotated[str, Field(min_length=1, max_length=10000)]
    received_at: UtcDateTime


class DraftOut(BaseModel):
    id: uuid.UUID
    channel: str
    text: str
    sender_account: str | None = None
    sender_phone: str | None = None
    received_at: dt.datetime
    insured_id: uuid.UUID | None = None
    state: str
    claim_id: uuid.UUID | None = None


class ConfirmIn(NoticeIn):
    pass


def _channel_owner(session: Session, channel: str, account: str | None, kind: OrgKind) -> uuid.UUID | None:
    """The organisation of that kind the channel account belongs to (a broker's inbox, an insured's
    verified sender id)."""
    if not account:
        return None
    return session.execute(
        select(ChannelAccount.organisation_id)
        .join(Organisation, Organisation.id == ChannelAccount.organisation_id)
        .where(ChannelAccount.channel == channel, ChannelAccount.account == account, Organisation.kind == kind)
    ).scalar_one_or_none()


def _link(session: Session, body: InboundIn, broker_id: uuid.UUID | None) -> Insured | None:
    """The broker's client who sent the message: by the sender id the channel verified, else by a whole
    phone number that exactly one client has. Anything else stays unlinked for a person to decide."""
    if broker_id is None:
        return None
    owner = _channel_owner(session, body.channel, body.sender.account, OrgKind.INSURED)
    if owner is not None:
        found = session.get(Insured, owner)
        return found if found is not None and found.broker_id == broker_id else None
    probe = pii.ring().blind(body.sender.phone, "phone")  # the normalised number's blind index
    if probe is None:
        return None
    clients = select(Insured.organisation_id).where(Insured.broker_id == broker_id)
    by_contact = select(Insured.organisation_id).where(
        Insured.broker_id == broker_id, Insured.contact_phone_bidx == probe
    )
    by_user = select(User.organisation_id).where(User.organisation_id.in_(clients), User.phone_bidx == probe)
    matches = set(session.execute(by_contact).scalars()) | set(session.execute(by_user).scalars())
    if len(matches) != 1:
        return None
    return session.get(Insured, matches.pop())


@router.post("/messages", status_code=202, response_model=DraftOut, responses={401: {"description": "Bad signature"}})
async def inbound_message(
    request: Request, settings: SettingsDep, x_tandem_signature: Annotated[str, Header()] = ""
) -> DraftOut:
    """Gateway webhook. Header ``X-Tandem-Signature: sha256=<hex HMAC of the body>``. Idempotent by
    (channel, message_id)."""
    raw = await request.body()
    want = hmac.new(settings.webhook_secret.encode(), raw, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(x_tandem_signature.removeprefix("sha256="), want):
        raise BadSignature()
    try:
        body = InboundIn.model_validate_json(raw)
    except ValidationError as exc:  # signed, but not a message: the gateway's fault, named like any 422
        raise RequestValidationError(exc.errors(include_url=False), body=raw) from None
    factory = request.app.state.session_factory
    with factory.begin() as session:
        return _store(session, body)


def _store(session: Session, body: InboundIn) -> DraftOut:
    broker_id = _channel_owner(session, body.channel, body.recipient, OrgKind.BROKER)
    insured = _link(session, body, broker_id)
    session.execute(
        insert_or_skip(session, InboundMessage, "channel", "external_id").values(
            id=uuid.uuid4(),
            channel=Channel(body.channel),
            external_id=body.message_id,
            sender_account=body.sender.account,
            sender_phone=body.sender.phone,
            text=body.text,
            received_at=body.received_at,
            insured_id=insured.organisation_id if insured else None,
            broker_id=broker_id,
            state="draft",
        )
    )
    msg = session.execute(
        select(InboundMessage).where(
            InboundMessage.channel == Channel(body.channel), InboundMessage.external_id == body.message_id
        )
    ).scalar_one()
    return _out(msg)


def _out(m: InboundMessage) -> DraftOut:
    return DraftOut(
        id=m.id,
        channel=m.channel.value,
        text=m.text,
        sender_account=m.sender_account,
        sender_phone=m.sender_phone,
        received_at=m.received_at,
        insured_id=m.insured_id,
        state=m.state,
        claim_id=m.claim_id,
    )


def _visible(actor: Actor) -> Select[InboundMessage]:
    stmt = select(InboundMessage)
    if actor.is_admin:
        return stmt
    if actor.org_kind == OrgKind.BROKER:  # the messages its own channels received
        return stmt.where(InboundMessage.broker_id == actor.org_id)
    if actor.org_kind == OrgKind.INSURED:
        return stmt.where(InboundMessage.insured_id == actor.org_id)
    return stmt.where(InboundMessage.id.is_(None))


def _get(session: Session, actor: Actor, draft_id: str) -> InboundMessage:
    try:
        key = uuid.UUID(draft_id)
    except ValueError:
        raise NotFound() from None
    msg = session.execute(_visible(actor).where(InboundMessage.id == key)).scalar_one_or_none()
    if msg is None:
        raise NotFound()
    return msg


@router.get("/drafts", response_model=list[DraftOut])
def list_drafts(actor: ActorDep, session: SessionDep) -> list[DraftOut]:
    """Messages waiting for a person to turn them into loss notices: those the broker's channels received."""
    stmt = _visible(actor).where(InboundMessage.state == "draft").order_by(InboundMessage.received_at)
    return [_out(m) for m in session.execute(stmt).scalars()]


@router.post(
    "/drafts/{draft_id}/confirm",
    response_model=ClaimOut,
    status_code=201,
    responses={404: {"description": "Not found"}, 409: {"description": "Already handled"}},
)
def confirm_draft(
    draft_id: str, body: ConfirmIn, actor: ActorDep, session: SessionDep, settings: SettingsDep, clock: ClockDep
) -> ClaimOut:
    msg = _get(session, actor, draft_id)
    if not actor.has_any(frozenset({Role.BROKER_ACCOUNT_MANAGER, Role.INSURED_CONTACT, Role.PLATFORM_ADMIN})):
        raise ActionNotAllowed()
    if msg.state != "draft":
        raise Conflict("This message was already handled.")
    notice = service.NoticeInput(
        policy_id=body.policy_id,
        loss_at=body.loss_at,
        location=body.location.strip(),
        description=body.description.strip(),
        channel=msg.channel,
        estimated_loss=body.estimated_loss,
        reporter_name=body.reporter.name if body.reporter else None,
        reporter_phone=(body.reporter.phone if body.reporter else msg.sender_phone),
    )
    claim, _ = service.notify_loss(
        session, settings, actor, notice, now=clock.now(), idempotency_key=f"inbound:{msg.id}"
    )
    msg.state, msg.claim_id = "confirmed", claim.id
    return claim_out(claim)


@router.post("/drafts/{draft_id}/dismiss", response_model=DraftOut, responses={404: {"description": "Not found"}})
def dismiss_draft(draft_id: str, actor: ActorDep, session: SessionDep) -> DraftOut:
    msg = _get(session, actor, draft_id)
    if actor.org_kind != OrgKind.BROKER and not actor.is_admin:
        raise ActionNotAllowed()
    if msg.state != "draft":
        raise Conflict("This message was already handled.")
    msg.state = "dismissed"
    return _out(msg)
