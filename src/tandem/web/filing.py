"""An adjuster firm's filing (备案) and change reports (变更报告) as pages (issue 19 item 3): the firm's
administrator fills in and submits the filing and records and submits change reports
(``/adjuster-firms/{id}/filing``); supervision publishes or returns the filing and acknowledges the reports on
the same page, and lists every firm with its warnings (``/supervision/firms``). Every write goes through
:mod:`tandem.party.filing`; errors show beside the fields; anybody else gets 404."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from tandem.access.actor import Actor
from tandem.deps import ClockDep, SessionDep
from tandem.kit.clock import Clock, today_local
from tandem.kit.errors import InvalidInput, TandemError
from tandem.kit.i18n import N_
from tandem.kit.limits import REASON_MAX
from tandem.party import filing as svc
from tandem.party import service as party_service
from tandem.party.filing_models import FirmFiling
from tandem.party.models import AdjusterFirm
from tandem.web import data, forms
from tandem.web.claims import FormDep
from tandem.web.forms import FormState
from tandem.web.guards import CheckedActor, PageActor
from tandem.web.labels import LABELS, TONES
from tandem.web.render import render

router = APIRouter(include_in_schema=False)

LABELS["firm_filing"] = {
    "draft": N_("Prepared, not submitted"),
    "submitted": N_("Submitted, awaiting publication"),
    "returned": N_("Returned for correction"),
    "published": N_("Published"),
}
TONES["firm_filing"] = {"draft": "warn", "submitted": "warn", "returned": "bad", "published": "ok"}
LABELS["filing_action"] = {"submit": N_("Submit the filing"), "publish": N_("Publish"), "return": N_("Return")}
LABELS["change_kind"] = {
    "name": N_("Name"),
    "address": N_("Address"),
    "shareholders": N_("Shareholders"),
    "capital": N_("Capital"),
}
LABELS["firm_change"] = {
    "open": N_("Report due"),
    "submitted": N_("Report submitted"),
    "acknowledged": N_("Acknowledged by supervision"),
}
TONES["firm_change"] = {"open": "warn", "submitted": "ok", "acknowledged": "ok"}
LABELS["change_action"] = {"submit": N_("Submit the report"), "acknowledge": N_("Acknowledge")}
LABELS["holder_kind"] = {"person": N_("Person"), "company": N_("Company")}
NOTICES = {
    "saved": N_("The filing is saved; submit it when it is complete."),
    "moved": N_("The filing is updated."),
    "change": N_("The change report is recorded."),
}
HOLDER_ROWS = 3  # blank rows below the holders already entered
MAX_HOLDERS = 30


def _holder_values(holders: list[dict[str, Any]]) -> dict[str, str]:
    values: dict[str, str] = {}
    for i, h in enumerate(holders):
        values |= {f"h{i}_name": h["name"], f"h{i}_kind": h["kind"], f"h{i}_share": str(h["share"]),
                   f"h{i}_adjuster": "on" if h["adjuster"] else ""}  # fmt: skip
    return values


def _initial(firm: AdjusterFirm, f: FirmFiling | None) -> dict[str, str]:
    """The form's values: the filing's, or for a first filing the firm's own record."""
    if f is None:
        return {"name": firm.organisation.name, "capital": str(firm.capital), "cover": "insurance",
                "business_area": "、".join(firm.business_area)}  # fmt: skip
    c = f.liability or {}
    return {
        "name": f.name, "capital": str(f.capital), "business_area": "、".join(f.business_area),
        "cover": "fund" if f.risk_fund is not None and not c else "insurance",
        "risk_fund": str(f.risk_fund) if f.risk_fund is not None else "",
        **{f"l_{k}": str(v) for k, v in c.items()}, **_holder_values(f.shareholders),
    }  # fmt: skip


def filing_page(
    request: Request,
    actor: Actor,
    session: Session,
    clock: Clock,
    firm_id: str,
    *,
    states: Mapping[str, FormState] | None = None,
    alert: object = None,
    notice: object = None,
    status: int = 200,
) -> Response:
    today = today_local(clock)
    firm = svc.firm_of(session, actor, firm_id)  # 404 for anybody but the firm, supervision, the platform
    f = svc.filing_of(session, firm.organisation_id)
    ctx = forms.page_forms(states, alert, notice)
    edit = ctx["fs"]["filing"]
    values = edit.values or _initial(firm, f)
    holders = sum(1 for k in values if k.endswith("_name") and k.startswith("h"))
    changes = svc.change_reports(session, actor, firm.organisation_id)
    ctx.update(
        firm=firm,
        row=data.firm_row(session, firm, today),
        filing=f,
        may_edit=svc.may_edit(actor, firm.organisation_id, f),
        may=svc.may(svc.FILING_RULES, actor, f.state, firm.organisation_id) if f else [],
        values=values,
        holder_rows=range(min(holders + HOLDER_ROWS, MAX_HOLDERS)),
        roster=f.roster if f and f.state != "draft" else svc.roster(firm, today),
        changes=[(c, svc.is_late(c, today), svc.may(svc.CHANGE_RULES, actor, c.state, c.firm_id)) for c in changes],
        may_record=svc.may_edit(actor, firm.organisation_id, None),
        minimum=party_service.MIN_ADJUSTERS[firm.legal_form],
        today=today,
        floors=svc.CAPITAL_FLOOR,
    )
    return render(request, "filing/firm.html", ctx, status=status)


@router.get("/adjuster-firms/{firm_id}/filing")
def page(
    firm_id: str, request: Request, actor: PageActor, session: SessionDep, clock: ClockDep, done: str | None = None
) -> Response:
    return filing_page(request, actor, session, clock, firm_id, notice=NOTICES.get(done or ""))


def _holders(form: Mapping[str, Any], errors: dict[str, object]) -> list[svc.Holder]:
    holders = []
    for i in range(MAX_HOLDERS):
        name = forms.text(form, f"h{i}_name", 200).strip()
        share = forms.text(form, f"h{i}_share", 20)
        if not name and not share.strip():
            continue
        amount = forms.number(share, errors, "shareholders") if share.strip() else None
        kind = forms.text(form, f"h{i}_kind", 20)
        adjuster = bool(forms.text(form, f"h{i}_adjuster", 5))
        holders.append(svc.Holder(name, kind, amount if amount is not None else Decimal(0), adjuster))
    return holders


def _cover(form: Mapping[str, Any], errors: dict[str, object]) -> tuple[svc.Liability | None, Decimal | None]:
    if forms.text(form, "cover", 20) == "fund":
        return None, forms.money(forms.text(form, "risk_fund", 30), errors, "risk_fund")
    limit = forms.money(forms.text(form, "l_limit", 30), errors, "liability")
    starts = forms.optional_day(forms.text(form, "l_starts_on", 20))
    ends = forms.optional_day(forms.text(form, "l_ends_on", 20))
    if starts is None or ends is None:
        errors["liability"] = svc.LIABILITY_INVALID
    if "liability" in errors:
        return None, None
    assert limit is not None and starts is not None and ends is not None
    insurer, policy_no = forms.text(form, "l_insurer", 200), forms.text(form, "l_policy_no", 60)
    return svc.Liability(insurer, policy_no, limit, starts, ends), None


def _area(value: str) -> list[str]:
    for sep in (",", "，", ";", " "):
        value = value.replace(sep, "、")
    return [a for a in value.split("、") if a.strip()]


@router.post("/adjuster-firms/{firm_id}/filing")
def save(
    firm_id: str, request: Request, form: FormDep, actor: CheckedActor, session: SessionDep, clock: ClockDep
) -> Response:
    state = FormState(values={k: forms.text(form, k, REASON_MAX) for k in form if k != "csrf_token"})
    show = partial(filing_page, request, actor, session, clock, firm_id)
    errors: dict[str, object] = {}
    capital = forms.money(forms.text(form, "capital", 30), errors, "capital")
    holders = _holders(form, errors)
    liability, fund = _cover(form, errors)
    try:
        if errors:
            svc.firm_of(session, actor, firm_id)  # 404 first for anybody else
            raise InvalidInput(fields={k: str(v) for k, v in errors.items()})
        data_ = svc.FilingData(forms.text(form, "name", 200), capital or Decimal(0),
                               _area(forms.text(form, "business_area", 400)), holders, liability, fund)  # fmt: skip
        svc.save(session, actor, firm_id, data_, now=clock.now())
    except TandemError as exc:
        return forms.failed_form(session, exc, "filing", state, show)
    return RedirectResponse(f"/adjuster-firms/{firm_id}/filing?done=saved", 303)


@router.post("/adjuster-firms/{firm_id}/filing/{action}")
def act(
    firm_id: str,
    action: str,
    request: Request,
    form: FormDep,
    actor: CheckedActor,
    session: SessionDep,
    clock: ClockDep,
) -> Response:
    """Submit (the firm), publish or return (supervision): one form per action."""
    names = ("filing_no", "published_on", "reasons")
    state = FormState(values={n: forms.text(form, n, REASON_MAX) for n in names})
    v = state.values
    published_on = forms.optional_day(v["published_on"]) if v["published_on"].strip() else None
    try:
        svc.act(session, actor, firm_id, action, now=clock.now(), filing_no=v["filing_no"], published_on=published_on,
                reasons=v["reasons"])  # fmt: skip
    except TandemError as exc:
        return forms.failed_form(
            session, exc, action, state, partial(filing_page, request, actor, session, clock, firm_id)
        )
    return RedirectResponse(f"/adjuster-firms/{firm_id}/filing?done=moved", 303)


@router.post("/adjuster-firms/{firm_id}/change-reports")
def record_change(
    firm_id: str, request: Request, form: FormDep, actor: CheckedActor, session: SessionDep, clock: ClockDep
) -> Response:
    state = FormState(values={n: forms.text(form, n, REASON_MAX) for n in ("kind", "changed_on", "details", "submit")})
    v = state.values
    try:
        svc.open_change(session, actor, firm_id, kind=v["kind"], changed_on=forms.optional_day(v["changed_on"]),
                        now=clock.now(), details=v["details"], submit=bool(v["submit"]))  # fmt: skip
    except TandemError as exc:
        return forms.failed_form(
            session, exc, "change", state, partial(filing_page, request, actor, session, clock, firm_id)
        )
    return RedirectResponse(f"/adjuster-firms/{firm_id}/filing?done=change#changes", 303)


@router.post("/adjuster-firms/{firm_id}/change-reports/{change_id}/{action}")
def act_on_change(
    firm_id: str,
    change_id: str,
    action: str,
    request: Request,
    form: FormDep,
    actor: CheckedActor,
    session: SessionDep,
    clock: ClockDep,
) -> Response:
    state = FormState(values={"details": forms.text(form, "details", REASON_MAX)})
    try:
        svc.change_act(session, actor, firm_id, change_id, action, now=clock.now(), details=state.values["details"])
    except TandemError as exc:
        return forms.failed_form(
            session, exc, f"{action}-{change_id}", state, partial(filing_page, request, actor, session, clock, firm_id)
        )
    return RedirectResponse(f"/adjuster-firms/{firm_id}/filing?done=moved#changes", 303)


@router.get("/supervision/firms")
def supervision_firms(request: Request, actor: PageActor, session: SessionDep, clock: ClockDep) -> Response:
    """Every firm: its filing's state, warnings (staffing below the minimum, not filed, reports late)."""
    today = today_local(clock)
    rows = [(s, data.firm_row(session, s.firm, today)) for s in svc.standings(session, actor, today)]
    return render(request, "filing/supervision.html", {"rows": rows, "today": today})
