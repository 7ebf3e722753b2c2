"""Party registry API: adjuster firms, adjusters, insureds, experts, blacklist (products: product_endpoints)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field, model_validator
from sqlalchemy.orm import Session

from tandem.access import scope
from tandem.access.actor import Actor
from tandem.access.models import Organisation
from tandem.deps import ActorDep, ClockDep, SessionDep, SettingsDep
from tandem.kit.clock import Clock, today_local
from tandem.kit.errors import ActionNotAllowed
from tandem.kit.limits import REASON_MAX
from tandem.kit.pagination import decode_cursor, encode_cursor
from tandem.party import practice, reveal, service, views
from tandem.party.models import Adjuster, BlacklistEntry, Expert, Insured
from tandem.routing import register
from tandem.schemas import Date, IdNumber, Ref, Strict

Text40 = Annotated[str, Field(min_length=1, max_length=40)]
Note = Annotated[str, Field(max_length=REASON_MAX)]

router = APIRouter(prefix="/api/v1", tags=["parties"])
NF: dict[int | str, dict[str, Any]] = {404: {"description": "Not found"}}
Limit = Annotated[int, Query(ge=1, le=200)]


class AdjusterPage(BaseModel):
    items: list[views.AdjusterOut]
    next: str | None = None


class ExpertPage(BaseModel):
    items: list[views.ExpertOut]
    next: str | None = None


class RegisterFirm(BaseModel):
    id: uuid.UUID
    name: str
    filed: bool


class RegisterEntry(BaseModel):
    """A practitioner as the public register shows it: no personal data."""

    id: uuid.UUID
    name: str
    firm: RegisterFirm
    qualification_status: str
    lines: list[str]


class RegisterOut(BaseModel):
    items: list[RegisterEntry]
    next: str | None = None


class AdjusterCreate(Strict):
    firm_id: uuid.UUID | None = None
    name: Annotated[str, Field(min_length=1, max_length=100)]
    certificate_no: Annotated[str, Field(min_length=4, max_length=40)]
    registration_no: Annotated[str, Field(min_length=4, max_length=40)]
    id_number: IdNumber | None = None
    title: Annotated[str, Field(max_length=60)] | None = None
    starts_on: Date | None = None  # the 执业登记's first day (default today)
    lines: list[Annotated[str, Field(max_length=60)]] = Field(default_factory=list)
    regions: list[Annotated[str, Field(max_length=20)]] = Field(default_factory=list)
    capacity: Annotated[int, Field(ge=0, le=1000)] = 10


class BlacklistCreate(Strict):
    adjuster_id: uuid.UUID | None = None
    firm_id: uuid.UUID | None = None
    reason: Annotated[str, Field(min_length=1, max_length=REASON_MAX)]
    valid_from: Date
    valid_until: Date | None = None

    @model_validator(mode="after")
    def _one_target(self) -> BlacklistCreate:
        if (self.adjuster_id is None) == (self.firm_id is None):
            raise ValueError("give exactly one of adjuster_id and firm_id")
        if self.valid_until is not None and self.valid_until < self.valid_from:
            raise ValueError("valid_until is before valid_from")
        return self


class ReasonBody(Strict):
    reason: Annotated[str, Field(min_length=1, max_length=REASON_MAX)]


@router.get("/adjuster-firms", response_model=list[views.FirmOut])
def list_firms(actor: ActorDep, session: SessionDep, clock: ClockDep) -> list[views.FirmOut]:
    today = today_local(clock)
    stmt = scope.visible_firms(actor).join(Organisation).order_by(Organisation.name)
    return [views.firm_out(session, f, today) for f in session.execute(stmt).unique().scalars()]


@router.get("/adjuster-firms/{firm_id}", response_model=views.FirmDetailOut, responses=NF)
def get_firm(firm_id: str, actor: ActorDep, session: SessionDep, clock: ClockDep) -> views.FirmDetailOut:
    today = today_local(clock)
    firm = scope.get_firm(session, actor, firm_id)
    staff = [views.adjuster_out(session, actor, a, today) for a in firm.adjusters]
    return views.FirmDetailOut(**views.firm_out(session, firm, today).model_dump(), staff=staff)


@router.get("/adjusters", response_model=AdjusterPage)
def list_adjusters(
    actor: ActorDep,
    session: SessionDep,
    clock: ClockDep,
    firm_id: uuid.UUID | None = None,
    cursor: str | None = None,
    limit: Limit = 100,
) -> AdjusterPage:
    """The adjuster register (公估师名录) with qualification status and assignability."""
    today = today_local(clock)
    stmt = scope.visible_adjusters(actor).order_by(Adjuster.certificate_no)
    if firm_id is not None:
        stmt = stmt.where(Adjuster.firm_id == firm_id)
    after = decode_cursor(cursor)
    if after:
        stmt = stmt.where(Adjuster.certificate_no > str(after[0]))
    rows = list(session.execute(stmt.limit(limit + 1)).unique().scalars())
    nxt = encode_cursor([rows[limit - 1].certificate_no]) if len(rows) > limit else None
    return AdjusterPage(items=[views.adjuster_out(session, actor, a, today) for a in rows[:limit]], next=nxt)


@router.get("/adjuster-register", response_model=RegisterOut)
def adjuster_register(
    actor: ActorDep,
    session: SessionDep,
    clock: ClockDep,
    q: Annotated[str, Query(max_length=register.Q_MAX)] = "",
    line: Annotated[str, Query(max_length=40)] = "",
    province: Annotated[str, Query(max_length=10)] = "",
    cursor: str | None = None,
    limit: Limit = 50,
) -> RegisterOut:
    """The public adjuster register (公估师公开名录) for insureds, brokers and insurers: name, firm (filed
    or not), qualification status (valid, lapsed, sanctioned, inactive) and lines; search by name or
    firm (``q``), line (a line of insurance or 风险评估) and province (where the adjuster or its firm
    works). No personal data."""
    page = register.search(
        session, actor, today_local(clock), q=q, line=line, province=province, cursor=cursor, limit=limit
    )
    return RegisterOut(
        items=[
            RegisterEntry(
                id=r.id,
                name=r.name,
                firm=RegisterFirm(id=r.firm_id, name=r.firm, filed=r.firm_filed),
                qualification_status=r.qualification_status,
                lines=list(r.lines),
            )
            for r in page.rows
        ],
        next=page.next,
    )


@router.get("/adjusters/{adjuster_id}", response_model=views.AdjusterOut, responses=NF)
def get_adjuster(adjuster_id: str, actor: ActorDep, session: SessionDep, clock: ClockDep) -> views.AdjusterOut:
    return views.adjuster_out(session, actor, scope.get_adjuster(session, actor, adjuster_id), today_local(clock))


@router.post(
    "/adjusters",
    response_model=views.AdjusterOut,
    status_code=201,
    responses={403: {"description": "Not allowed"}, 409: {"description": "Already registered"}},
)
def register_adjuster(
    body: AdjusterCreate, actor: ActorDep, session: SessionDep, settings: SettingsDep, clock: ClockDep
) -> views.AdjusterOut:
    adj = service.register_adjuster(
        session,
        settings,
        actor,
        firm_id=body.firm_id or actor.org_id,
        name=body.name,
        certificate_no=body.certificate_no,
        registration_no=body.registration_no,
        id_number=body.id_number,
        title=body.title,
        starts_on=body.starts_on,
        lines=body.lines,
        regions=body.regions,
        capacity=body.capacity,
        at=clock.now(),
    )
    session.refresh(adj)
    return views.adjuster_out(session, actor, adj, today_local(clock))


@router.get("/insureds", response_model=list[views.InsuredOut])
def list_insureds(actor: ActorDep, session: SessionDep) -> list[views.InsuredOut]:
    stmt = scope.visible_insureds(actor).join(Insured.organisation).order_by(Organisation.name)
    return [views.insured_out(actor, i) for i in session.execute(stmt).unique().scalars()]


@router.get("/insureds/{insured_id}", response_model=views.InsuredOut, responses=NF)
def get_insured(insured_id: str, actor: ActorDep, session: SessionDep) -> views.InsuredOut:
    return views.insured_out(actor, scope.get_insured(session, actor, insured_id))


@router.get("/experts", response_model=ExpertPage)
def list_experts(actor: ActorDep, session: SessionDep, cursor: str | None = None, limit: Limit = 50) -> ExpertPage:
    stmt = scope.visible_experts(actor).order_by(Expert.name, Expert.id)
    after = decode_cursor(cursor)
    if after and len(after) == 2:
        stmt = stmt.where(
            (Expert.name > str(after[0])) | ((Expert.name == str(after[0])) & (Expert.id > _uuid_or_nil(after[1])))
        )
    rows = list(session.execute(stmt.limit(limit + 1)).unique().scalars())
    nxt = encode_cursor([rows[limit - 1].name, str(rows[limit - 1].id)]) if len(rows) > limit else None
    return ExpertPage(items=[views.expert_out(e) for e in rows[:limit]], next=nxt)


def _uuid_or_nil(value: object) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return uuid.UUID(int=0)


@router.get("/experts/{expert_id}", response_model=views.ExpertOut, responses=NF)
def get_expert(expert_id: str, actor: ActorDep, session: SessionDep) -> views.ExpertOut:
    return views.expert_out(scope.get_expert(session, actor, expert_id))


@router.get("/blacklist", response_model=list[views.BlacklistOut])
def list_blacklist(actor: ActorDep, session: SessionDep, clock: ClockDep) -> list[views.BlacklistOut]:
    today = today_local(clock)
    stmt = scope.visible_blacklist(actor).order_by(BlacklistEntry.created_at.desc())
    return [views.blacklist_out(e, today) for e in session.execute(stmt).unique().scalars()]


@router.post(
    "/blacklist",
    response_model=views.BlacklistOut,
    status_code=201,
    responses={403: {"description": "Not allowed"}, **NF},
)
def add_blacklist(body: BlacklistCreate, actor: ActorDep, session: SessionDep, clock: ClockDep) -> views.BlacklistOut:
    entry = service.add_to_blacklist(
        session,
        actor,
        at=clock.now(),
        reason=body.reason,
        valid_from=body.valid_from,
        valid_until=body.valid_until,
        adjuster_id=body.adjuster_id,
        firm_id=body.firm_id,
    )
    session.refresh(entry)
    return views.blacklist_out(entry, today_local(clock))


@router.get("/blacklist/{entry_id}", response_model=views.BlacklistOut, responses=NF)
def get_blacklist(entry_id: str, actor: ActorDep, session: SessionDep, clock: ClockDep) -> views.BlacklistOut:
    return views.blacklist_out(scope.get_blacklist_entry(session, actor, entry_id), today_local(clock))


@router.post(
    "/blacklist/{entry_id}/lift",
    response_model=views.BlacklistOut,
    responses={403: {"description": "Not allowed"}, 409: {"description": "Not active"}, **NF},
)
def lift_blacklist(
    entry_id: str, body: ReasonBody, actor: ActorDep, session: SessionDep, clock: ClockDep
) -> views.BlacklistOut:
    entry = service.lift_blacklist_entry(session, actor, entry_id, at=clock.now(), reason=body.reason)
    return views.blacklist_out(entry, today_local(clock))


# ---- practice registrations, verification records, sanctions (tandem.party.practice) --------------


class RegistrationCreate(Strict):
    """Register a practitioner already on the register through a firm (a move): a firm names the
    practitioner by certificate and ID number; supervision and the platform may name ``adjuster_id``."""

    certificate_no: Annotated[str, Field(max_length=40)] = ""
    id_number: IdNumber | None = None
    adjuster_id: uuid.UUID | None = None
    firm_id: uuid.UUID | None = None
    registration_no: Annotated[str, Field(min_length=4, max_length=40)] | None = None
    starts_on: Date

    @model_validator(mode="after")
    def _someone(self) -> RegistrationCreate:
        if not self.certificate_no and self.adjuster_id is None:
            raise ValueError("give certificate_no (or adjuster_id)")
        return self


class LeaveBody(Strict):
    left_on: Date


class DeregisterBody(Strict):
    left_on: Date | None = None


class CheckCreate(Strict):
    source: Annotated[str, Field(min_length=1, max_length=30)]
    result: Annotated[str, Field(min_length=1, max_length=16)]
    checked_on: Date
    note: Note | None = None


class SanctionCreate(Strict):
    kind: Annotated[str, Field(min_length=1, max_length=40)]
    authority: Annotated[str, Field(min_length=1, max_length=100)]
    decision_no: Annotated[str, Field(max_length=60)] | None = None
    starts_on: Date
    ends_on: Date | None = None
    sentence_ends_on: Date | None = None
    note: Note | None = None


class PracticeOut(BaseModel):
    """A practitioner's registration history, verification records and sanctions."""

    registrations: list[views.RegistrationOut]
    checks: list[views.CheckOut]
    sanctions: list[dict[str, str | None]]


WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"description": "Not allowed"},
    409: {"description": "Conflicts with the registration's state"},
    **NF,
}


def _adjuster_view(session: SessionDep, actor: ActorDep, clock: ClockDep, adjuster_id: object) -> views.AdjusterOut:
    adj = scope.get_adjuster(session, actor, adjuster_id)
    session.refresh(adj)
    return views.adjuster_out(session, actor, adj, today_local(clock))


@router.get("/adjusters/{adjuster_id}/practice", response_model=PracticeOut, responses=NF)
def get_practice(adjuster_id: str, actor: ActorDep, session: SessionDep, clock: ClockDep) -> PracticeOut:
    """Registrations through firms (history kept), verification records and sanctions of a practitioner."""
    adj = scope.get_adjuster(session, actor, adjuster_id)
    today = today_local(clock)
    out = views.adjuster_out(session, actor, adj, today)
    return PracticeOut(
        registrations=[views.registration_out(r, today) for r in reversed(adj.registrations)],
        checks=[views.check_out(session, c) for c in reversed(adj.checks)],
        sanctions=out.sanctions,
    )


class LateOut(BaseModel):
    """A registration deregistered late, or left and overdue, with its practitioner."""

    adjuster: Ref
    registration: views.RegistrationOut


@router.get("/registrations/late", response_model=list[LateOut], responses={403: {"description": "Not allowed"}})
def late_registrations(actor: ActorDep, session: SessionDep, clock: ClockDep) -> list[LateOut]:
    """Supervision's list: deregistrations past their 5 working days (late, or still outstanding)."""
    if not (practice.is_supervision(actor) or actor.is_admin):
        raise ActionNotAllowed()
    today = today_local(clock)
    rows = []
    for reg in practice.late_deregistrations(session, today):
        adj = session.get(Adjuster, reg.adjuster_id)
        assert adj is not None
        out = views.registration_out(reg, today)
        rows.append(LateOut(adjuster=Ref(id=adj.id, name=adj.name), registration=out))
    return rows


@router.post("/registrations", response_model=views.AdjusterOut, status_code=201, responses=WRITE_ERRORS)
def register_move(body: RegistrationCreate, actor: ActorDep, session: SessionDep, clock: ClockDep) -> views.AdjusterOut:
    """Register a practitioner through a firm (执业登记): a move ends the open registration the day before."""
    reg = practice.move(
        session,
        actor,
        firm_id=body.firm_id or actor.org_id,
        starts_on=body.starts_on,
        at=clock.now(),
        certificate_no=body.certificate_no,
        id_number=body.id_number,
        adjuster_id=body.adjuster_id,
        registration_no=body.registration_no,
    )
    adj = session.get(Adjuster, reg.adjuster_id)
    assert adj is not None
    session.refresh(adj)
    return views.adjuster_out(session, actor, adj, today_local(clock))


@router.post("/adjusters/{adjuster_id}/registration/leave", response_model=views.AdjusterOut, responses=WRITE_ERRORS)
def leave_firm(
    adjuster_id: str, body: LeaveBody, actor: ActorDep, session: SessionDep, clock: ClockDep
) -> views.AdjusterOut:
    """The practitioner left the firm: no more work; deregistration due within 5 working days."""
    practice.leave(session, actor, adjuster_id, left_on=body.left_on, at=clock.now())
    return _adjuster_view(session, actor, clock, adjuster_id)


@router.post(
    "/adjusters/{adjuster_id}/registration/deregister", response_model=views.AdjusterOut, responses=WRITE_ERRORS
)
def deregister(
    adjuster_id: str, body: DeregisterBody, actor: ActorDep, session: SessionDep, clock: ClockDep
) -> views.AdjusterOut:
    """Cancel the open registration (注销执业登记) today."""
    practice.deregister(session, actor, adjuster_id, left_on=body.left_on, at=clock.now())
    return _adjuster_view(session, actor, clock, adjuster_id)


@router.post("/adjusters/{adjuster_id}/checks", response_model=views.CheckOut, status_code=201, responses=WRITE_ERRORS)
def record_check(
    adjuster_id: str, body: CheckCreate, actor: ActorDep, session: SessionDep, clock: ClockDep
) -> views.CheckOut:
    """Record a verification of the practitioner's registration (who, where, when, result)."""
    check = practice.record_check(
        session,
        actor,
        adjuster_id,
        source=body.source,
        result=body.result,
        checked_on=body.checked_on,
        note=body.note,
        at=clock.now(),
    )
    return views.check_out(session, check)


@router.post(
    "/adjusters/{adjuster_id}/sanctions", response_model=views.AdjusterOut, status_code=201, responses=WRITE_ERRORS
)
def record_sanction(
    adjuster_id: str, body: SanctionCreate, actor: ActorDep, session: SessionDep, clock: ClockDep
) -> views.AdjusterOut:
    """Supervision records a sanction or a criminal-penalty bar (5 years after the sentence ends)."""
    practice.record_sanction(
        session,
        actor,
        adjuster_id,
        kind=body.kind,
        authority=body.authority,
        decision_no=body.decision_no,
        starts_on=body.starts_on,
        ends_on=body.ends_on,
        sentence_ends_on=body.sentence_ends_on,
        note=body.note,
        at=clock.now(),
    )
    return _adjuster_view(session, actor, clock, adjuster_id)


class RevealIn(Strict):
    field: Annotated[str, Field(max_length=32)]
    reason: Annotated[str, Field(max_length=REASON_MAX)]


class RevealOut(BaseModel):
    subject_id: uuid.UUID
    field: str
    value: str | None = None


_REVEAL_RESPONSES: dict[int | str, dict[str, Any]] = {**NF, 403: {"description": "Your role does not need it"}}


@router.post("/insureds/{insured_id}/reveal", response_model=RevealOut, responses=_REVEAL_RESPONSES)
def reveal_insured(insured_id: str, body: RevealIn, actor: ActorDep, session: SessionDep, clock: ClockDep) -> RevealOut:
    """The full ID or contact phone number (``field``: ``id_number`` | ``contact_phone``) of an insured,
    for a role that needs it, with the reason; logged in the access log (every other answer masks it)."""
    r = reveal.reveal(session, actor, "insured", insured_id, body.field, body.reason, clock.now())
    return RevealOut(subject_id=r.subject_id, field=r.field, value=r.value)


@router.post("/adjusters/{adjuster_id}/reveal", response_model=RevealOut, responses=_REVEAL_RESPONSES)
def reveal_adjuster(
    adjuster_id: str, body: RevealIn, actor: ActorDep, session: SessionDep, clock: ClockDep
) -> RevealOut:
    """An adjuster's full ID number (``field``: ``id_number``), for its own firm, with the reason; logged."""
    r = reveal.reveal(session, actor, "adjuster", adjuster_id, body.field, body.reason, clock.now())
    return RevealOut(subject_id=r.subject_id, field=r.field, value=r.value)


@router.get("/pii-access.csv", response_class=Response, responses={403: {"description": "Administrators only"}})
def pii_access_csv(actor: ActorDep, session: SessionDep, clock: ClockDep) -> Response:
    """The access log of full views (who, what, when, why) of the caller's organisation, as CSV."""
    return access_log_csv_response(session, actor, clock)


def access_log_csv_response(session: Session, actor: Actor, clock: Clock) -> Response:
    """The access log as a CSV download (the API's and the page's)."""
    day = today_local(clock).isoformat()
    return Response(
        reveal.entries_csv(session, actor),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="pii-access-{day}.csv"'},
    )
