"""API of an adjuster firm's filing (备案) and change reports (变更报告), issue 19 item 3. The firm itself,
supervision and the platform read (anybody else 404); the firm's administrator writes the filing and the
reports; supervision publishes or returns the filing and acknowledges the reports."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from tandem.deps import ActorDep, ClockDep, SessionDep
from tandem.kit.clock import today_local
from tandem.kit.limits import REASON_MAX
from tandem.party import filing as svc
from tandem.party.filing_models import FirmChangeReport, FirmFiling
from tandem.schemas import Date, MoneyIn, MoneyOut, Strict

router = APIRouter(prefix="/api/v1", tags=["firm filings"])
FIRM = "/adjuster-firms/{firm_id}"
NF: dict[int | str, dict[str, Any]] = {404: {"description": "Not found"}}
WRITE: dict[int | str, dict[str, Any]] = {
    **NF,
    403: {"description": "Not allowed"},
    409: {"description": "Not in this state"},
    422: {"description": "Invalid input (the body names the field)"},
}
Short = Annotated[str, Field(max_length=200)]
Text = Annotated[str, Field(max_length=REASON_MAX)]


class HolderIn(Strict):
    name: Short
    kind: Literal["person", "company"]
    share: Annotated[MoneyIn, Field(description="the share in %, e.g. 40.00")]
    adjuster: bool = Field(description="a 公估师 (persons only)")


class LiabilityIn(Strict):
    insurer: Short
    policy_no: Annotated[str, Field(max_length=60)]
    limit: MoneyIn
    starts_on: Date
    ends_on: Date


class FilingIn(Strict):
    name: Short = Field(description="the firm's name; must contain 保险公估")
    capital: MoneyIn = Field(description="operating capital: ≥ 2,000,000 national, ≥ 1,000,000 regional")
    business_area: list[Annotated[str, Field(max_length=20)]] = Field(
        max_length=40, description='["全国"] or the province(s)'
    )
    shareholders: list[HolderIn] = Field(max_length=200, description="shareholders (company) or partners")
    liability: LiabilityIn | None = Field(None, description="professional-liability insurance")
    risk_fund: MoneyIn | None = Field(None, description="or a professional risk fund (职业风险基金)")


class FilingAction(Strict):
    action: Literal["submit", "publish", "return"]
    filing_no: Annotated[str, Field(max_length=60)] = ""
    published_on: Date | None = None
    reasons: Text = ""


class FilingOut(BaseModel):
    id: uuid.UUID
    firm_id: uuid.UUID
    state: str
    name: str
    capital: MoneyOut
    business_area: list[str]
    shareholders: list[dict[str, Any]]
    roster: list[dict[str, Any]]
    liability: dict[str, Any] | None = None
    risk_fund: MoneyOut | None = None
    filing_no: str | None = None
    published_on: dt.date | None = None
    return_reasons: str | None = None
    submitted_at: dt.datetime | None = None
    decided_at: dt.datetime | None = None
    may: list[str] = Field(description="the moves the caller may make now")


class ChangeIn(Strict):
    kind: Literal["name", "address", "shareholders", "capital"]
    changed_on: Date
    details: Text = ""
    submit: bool = Field(False, description="send the report at once (its details required)")


class ChangeAction(Strict):
    action: Literal["submit", "acknowledge"]
    details: Text = ""


class ChangeOut(BaseModel):
    id: uuid.UUID
    firm_id: uuid.UUID
    kind: str
    state: str
    changed_on: dt.date
    due_on: dt.date
    details: str | None = None
    submitted_at: dt.datetime | None = None
    acknowledged_at: dt.datetime | None = None
    late: bool
    may: list[str]


class StandingOut(BaseModel):
    firm_id: uuid.UUID
    name: str
    filing_status: str
    filing_state: str | None
    warnings: list[str] = Field(description="warning codes: too_few_adjusters, not_filed, change_report_late")
    late_changes: int
    open_changes: int


def filing_out(actor: ActorDep, f: FirmFiling) -> FilingOut:
    fields = {k: getattr(f, k) for k in FilingOut.model_fields if k != "may"}
    return FilingOut(**fields, may=svc.may(svc.FILING_RULES, actor, f.state, f.firm_id))


def change_out(actor: ActorDep, row: FirmChangeReport, today: dt.date) -> ChangeOut:
    fields = {k: getattr(row, k) for k in ChangeOut.model_fields if k not in ("may", "late")}
    may = svc.may(svc.CHANGE_RULES, actor, row.state, row.firm_id)
    return ChangeOut(**fields, late=svc.is_late(row, today), may=may)


def data_of(body: FilingIn) -> svc.FilingData:
    cover = body.liability
    return svc.FilingData(
        name=body.name,
        capital=body.capital,
        business_area=list(body.business_area),
        shareholders=[svc.Holder(h.name, h.kind, h.share, h.adjuster) for h in body.shareholders],
        liability=svc.Liability(cover.insurer, cover.policy_no, cover.limit, cover.starts_on, cover.ends_on)
        if cover
        else None,
        risk_fund=body.risk_fund,
    )


@router.get(FIRM + "/filing", response_model=FilingOut, responses=NF)
def get_filing(firm_id: str, actor: ActorDep, session: SessionDep) -> FilingOut:
    return filing_out(actor, svc.get_filing(session, actor, firm_id))


@router.put(FIRM + "/filing", response_model=FilingOut, responses=WRITE)
def save_filing(firm_id: str, body: FilingIn, actor: ActorDep, session: SessionDep, clock: ClockDep) -> FilingOut:
    """The firm's administrator prepares the filing (new or returned); checked in full, 422 naming fields."""
    return filing_out(actor, svc.save(session, actor, firm_id, data_of(body), now=clock.now()))


@router.post(FIRM + "/filing/actions", response_model=FilingOut, responses=WRITE)
def act_on_filing(firm_id: str, body: FilingAction, actor: ActorDep, session: SessionDep, clock: ClockDep) -> FilingOut:
    """The firm submits; supervision publishes (filing number and date: the firm is filed and may be routed
    work) or returns it with reasons."""
    row = svc.act(session, actor, firm_id, body.action, now=clock.now(), filing_no=body.filing_no,
                  published_on=body.published_on, reasons=body.reasons)  # fmt: skip
    return filing_out(actor, row)


@router.get(FIRM + "/change-reports", response_model=list[ChangeOut], responses=NF)
def list_changes(firm_id: str, actor: ActorDep, session: SessionDep, clock: ClockDep) -> list[ChangeOut]:
    today = today_local(clock)
    return [change_out(actor, r, today) for r in svc.change_reports(session, actor, firm_id)]


@router.post(FIRM + "/change-reports", response_model=ChangeOut, status_code=201, responses=WRITE)
def open_change(firm_id: str, body: ChangeIn, actor: ActorDep, session: SessionDep, clock: ClockDep) -> ChangeOut:
    """Record a change of name, address, shareholders or capital: its report is due within 5 working days."""
    row = svc.open_change(session, actor, firm_id, kind=body.kind, changed_on=body.changed_on, now=clock.now(),
                          details=body.details, submit=body.submit)  # fmt: skip
    return change_out(actor, row, today_local(clock))


@router.post(FIRM + "/change-reports/{change_id}/actions", response_model=ChangeOut, responses=WRITE)
def act_on_change(
    firm_id: str, change_id: str, body: ChangeAction, actor: ActorDep, session: SessionDep, clock: ClockDep
) -> ChangeOut:
    """The firm submits the report; supervision acknowledges it."""
    row = svc.change_act(session, actor, firm_id, change_id, body.action, now=clock.now(), details=body.details)
    return change_out(actor, row, today_local(clock))


@router.get("/supervision/firms", response_model=list[StandingOut], responses=NF)
def firm_standings(actor: ActorDep, session: SessionDep, clock: ClockDep) -> list[StandingOut]:
    """Every firm's filing, warnings and late change reports (supervision and the platform)."""
    return [
        StandingOut(
            firm_id=s.firm.organisation_id,
            name=s.firm.organisation.name,
            filing_status=s.firm.filing_status.value,
            filing_state=s.filing.state if s.filing else None,
            warnings=[w.code for w in s.warnings],
            late_changes=s.late_changes,
            open_changes=s.open_changes,
        )
        for s in svc.standings(session, actor, today_local(clock))
    ]
