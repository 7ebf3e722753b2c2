"""An adjuster firm's filing (备案) and change reports (变更报告) under the current rules (issue 19 item 3).

The rules (shared docs, regulation.md §1.2 and §1.8):

- the name contains "保险公估" (2021 实施办法 Art. 52);
- operating capital at least ¥2m for a national firm (business area 全国), ¥1m for a regional one (its
  province(s)) (Arts. 52 and 57): :data:`CAPITAL_FLOOR`;
- a company has at least 2 shareholders, a partnership at least 2 partners, and at least two-thirds of
  them are 公估师; when there are only two, both (Art. 53; 资产评估法 Art. 15);
- the roster of 公估师 (公估师信息表) and professional-liability insurance or a professional risk fund
  (职业风险基金) (Art. 61; 资产评估法 Art. 21);
- the firm may not take work before the filing is published (Art. 66): publishing sets the firm's
  ``filing_status`` to FILED, which the routing check requires (``party.service.ineligibility``);
- changes of name, address, shareholders or capital are reported within 5 working days (the broker
  pattern, §1.8, assumed for 公估) on the working-day calendar, with a reminder on the working day before
  the due date and a late flag after it.

Every move is a transition of :data:`FILING_RULES` or :data:`CHANGE_RULES` with one audit event (chain
``org:{firm}``) in the same transaction. Who reads: the firm itself, supervision and the platform; anybody
else gets 404. The firm's administrator writes; supervision publishes, returns and acknowledges."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.access import scope
from tandem.access.actor import Actor
from tandem.access.models import Organisation, OrgKind, Role
from tandem.audit import service as audit
from tandem.kit import transition
from tandem.kit.clock import local_day
from tandem.kit.errors import ActionNotAllowed, IllegalTransition, InvalidInput, NotFound
from tandem.kit.i18n import N_
from tandem.kit.limits import reason_text
from tandem.kit.workdays import nth_working_day_after
from tandem.notification.service import org_users, tell
from tandem.party import service as party_service
from tandem.party.filing_models import FirmChangeReport, FirmFiling
from tandem.party.models import AdjusterFirm, FilingStatus, LegalForm
from tandem.sla import calendar

NATIONAL = "全国"
NAME_MARK = "保险公估"
# Operating capital floors (2021 实施办法 Arts. 52 and 57; regulation.md §1.2).
CAPITAL_FLOOR = {"national": Decimal("2000000"), "regional": Decimal("1000000")}
MIN_HOLDERS = 2  # a company's shareholders, a partnership's partners (Art. 53)
HOLDER_KINDS = ("person", "company")
CHANGE_KINDS = ("name", "address", "shareholders", "capital")
CHANGE_WORKING_DAYS = 5  # regulation.md §1.8 (the broker rule, Art. 18; assumed for 公估)
TOPIC = "firm_change.deadline"

FIRM_ADMIN = frozenset({Role.ADJUSTER_FIRM_ADMIN.value})
SUPERVISORS = frozenset({Role.REGULATOR_VIEWER.value, Role.ORG_ADMIN.value})


def _the_firm(actor: Actor, firm_id: uuid.UUID) -> None:
    if actor.org_id != firm_id:
        raise ActionNotAllowed()


def _supervision(actor: Actor, firm_id: uuid.UUID) -> None:
    if actor.org_kind != OrgKind.SUPERVISION:
        raise ActionNotAllowed()


FILING_RULES: transition.Table = {
    ("draft", "submit"): transition.Rule("submitted", FIRM_ADMIN, _the_firm),
    ("returned", "submit"): transition.Rule("submitted", FIRM_ADMIN, _the_firm),
    ("submitted", "publish"): transition.Rule("published", SUPERVISORS, _supervision),
    ("submitted", "return"): transition.Rule("returned", SUPERVISORS, _supervision),
}
FILING_ACTIONS = ("submit", "publish", "return")
EDITABLE = ("draft", "returned")
CHANGE_RULES: transition.Table = {
    ("open", "submit"): transition.Rule("submitted", FIRM_ADMIN, _the_firm),
    ("submitted", "acknowledge"): transition.Rule("acknowledged", SUPERVISORS, _supervision),
}
CHANGE_ACTIONS = ("submit", "acknowledge")

NAME_WITHOUT_MARK = N_("The name must contain 保险公估.")
NAME_NEEDED = N_("Enter the firm's name.")
AREA_NEEDED = N_("Choose the business area: 全国 (national) or the province(s).")
AREA_MIXED = N_("全国 (national) stands alone, without provinces.")
CAPITAL_BELOW = {
    "national": N_("A national firm needs operating capital of at least ¥2,000,000."),
    "regional": N_("A regional firm needs operating capital of at least ¥1,000,000."),
}
HOLDERS_TOO_FEW = {
    LegalForm.COMPANY: N_("A company needs at least 2 shareholders."),
    LegalForm.PARTNERSHIP: N_("A partnership needs at least 2 partners."),
}
QUALIFIED_TOO_FEW = N_("At least two-thirds of the shareholders or partners must be 公估师 (both, when there are two).")
HOLDER_INVALID = N_("Each shareholder or partner needs a name, a kind (person or company) and a share.")
COMPANY_NOT_ADJUSTER = N_("Only a person can be a 公估师.")
SHARES_NOT_WHOLE = N_("The shares must add up to 100%.")
COVER_NEEDED = N_("Give the professional-liability insurance or the risk fund.")
LIABILITY_INVALID = N_(
    "Give the insurer, the policy number, a limit above zero and a period that ends after it starts."
)
RISK_FUND_INVALID = N_("The risk fund must be more than zero.")
ROSTER_EMPTY = N_("Register the firm's 公估师 first: the filing lists them.")
FILING_NO_NEEDED = N_("Enter the filing number.")
FILING_NO_TAKEN = N_("This filing number is another firm's.")
PUBLISHED_ON_INVALID = N_("Enter the date of publication, not after today.")
CHANGE_KIND_NEEDED = N_("Choose what changed: name, address, shareholders or capital.")
CHANGED_ON_INVALID = N_("Enter the date of the change, not after today.")
DETAILS_NEEDED = N_("Describe the change: what it was and what it is now.")

SUBMITTED_SUBJECT = N_("{firm}: a filing (备案) to publish")
PUBLISHED_SUBJECT = N_("Your filing (备案) is published: {filing_no}")
RETURNED_SUBJECT = N_("Your filing (备案) is returned: correct and resubmit")
CHANGE_SUBJECT = N_("{firm}: a change report to acknowledge")
CHANGE_ACK_SUBJECT = N_("{firm}: your change report is acknowledged")
REMIND_SUBJECT = N_("{firm}: a change report is due by {date}")
LATE_SUBJECT = N_("{firm}: a change report is late (due {date})")
BODY = N_("{text}")


@dataclass(frozen=True)
class Liability:
    insurer: str
    policy_no: str
    limit: Decimal
    starts_on: dt.date
    ends_on: dt.date


@dataclass(frozen=True)
class Holder:
    name: str
    kind: str
    share: Decimal
    adjuster: bool


@dataclass(frozen=True)
class FilingData:
    """What the firm files: its name, operating capital, business area, shareholders or partners, and the
    professional-liability insurance or risk fund (the roster is taken from its practitioners)."""

    name: str
    capital: Decimal
    business_area: list[str]
    shareholders: list[Holder]
    liability: Liability | None = None
    risk_fund: Decimal | None = None


# ---- reading -------------------------------------------------------------------------------------


def _uuid(value: object) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        raise NotFound() from None


def firm_of(session: Session, actor: Actor, firm_id: object) -> AdjusterFirm:
    """The firm whose filing the actor may read: its own, or any for supervision and the platform (404
    otherwise, as for no firm)."""
    firm = scope.get_firm(session, actor, firm_id)
    if actor.org_kind not in (OrgKind.SUPERVISION, OrgKind.PLATFORM) and actor.org_id != firm.organisation_id:
        raise NotFound()
    return firm


def filing_of(session: Session, firm_id: uuid.UUID) -> FirmFiling | None:
    return session.execute(select(FirmFiling).where(FirmFiling.firm_id == firm_id)).scalar_one_or_none()


def get_filing(session: Session, actor: Actor, firm_id: object) -> FirmFiling:
    found = filing_of(session, firm_of(session, actor, firm_id).organisation_id)
    if found is None:
        raise NotFound()
    return found


def change_reports(session: Session, actor: Actor, firm_id: object) -> list[FirmChangeReport]:
    firm = firm_of(session, actor, firm_id)
    stmt = select(FirmChangeReport).where(FirmChangeReport.firm_id == firm.organisation_id)
    return list(session.execute(stmt.order_by(FirmChangeReport.changed_on, FirmChangeReport.created_at)).scalars())


def get_change(session: Session, actor: Actor, firm_id: object, change_id: object) -> FirmChangeReport:
    firm = firm_of(session, actor, firm_id)
    row = session.get(FirmChangeReport, _uuid(change_id))
    if row is None or row.firm_id != firm.organisation_id:
        raise NotFound()
    return row


def may(table: transition.Table, actor: Actor, state: str, firm_id: uuid.UUID) -> list[str]:
    roles = frozenset(r.value for r in actor.roles)
    return sorted(transition.permitted(table, state, roles, actor, firm_id))


def may_edit(actor: Actor, firm_id: uuid.UUID, filing: FirmFiling | None) -> bool:
    return (
        actor.org_id == firm_id
        and Role.ADJUSTER_FIRM_ADMIN in actor.roles
        and (filing is None or filing.state in EDITABLE)
    )


def is_late(row: FirmChangeReport, today: dt.date) -> bool:
    """Reported after the due date, or still unreported after it."""
    if row.submitted_at is not None:
        return local_day(row.submitted_at) > row.due_on
    return today > row.due_on


# ---- the filing ----------------------------------------------------------------------------------


def area_kind(area: list[str]) -> str:
    return "national" if NATIONAL in area else "regional"


def _holder_errors(form: LegalForm, holders: list[Holder]) -> str | None:
    if any(not h.name.strip() or h.kind not in HOLDER_KINDS or h.share <= 0 for h in holders):
        return HOLDER_INVALID
    if any(h.kind == "company" and h.adjuster for h in holders):
        return COMPANY_NOT_ADJUSTER
    if len(holders) < MIN_HOLDERS:
        return HOLDERS_TOO_FEW[form]
    qualified = sum(h.adjuster for h in holders)
    if 3 * qualified < 2 * len(holders) or (len(holders) == MIN_HOLDERS and qualified < MIN_HOLDERS):
        return QUALIFIED_TOO_FEW
    if sum(h.share for h in holders) != 100:
        return SHARES_NOT_WHOLE
    return None


def _cover_errors(data: FilingData) -> dict[str, str]:
    if data.liability is None and data.risk_fund is None:
        return {"liability": COVER_NEEDED}
    errors = {}
    c = data.liability
    if c is not None and (not c.insurer.strip() or not c.policy_no.strip() or c.limit <= 0 or c.ends_on <= c.starts_on):
        errors["liability"] = LIABILITY_INVALID
    if data.risk_fund is not None and data.risk_fund <= 0:
        errors["risk_fund"] = RISK_FUND_INVALID
    return errors


def check(form: LegalForm, data: FilingData) -> dict[str, str]:
    """The filing's errors by field (empty: it may be filed)."""
    errors: dict[str, str] = {}
    if not data.name.strip():
        errors["name"] = NAME_NEEDED
    elif NAME_MARK not in data.name:
        errors["name"] = NAME_WITHOUT_MARK
    area = [a.strip() for a in data.business_area if a.strip()]
    if not area:
        errors["business_area"] = AREA_NEEDED
    elif NATIONAL in area and len(area) > 1:
        errors["business_area"] = AREA_MIXED
    elif data.capital < CAPITAL_FLOOR[area_kind(area)]:
        errors["capital"] = CAPITAL_BELOW[area_kind(area)]
    holders = _holder_errors(form, data.shareholders)
    if holders:
        errors["shareholders"] = holders
    errors.update(_cover_errors(data))
    return errors


def _raise(errors: dict[str, str]) -> None:
    if errors:
        raise InvalidInput(next(iter(errors.values())), fields=errors)


def _liability_json(c: Liability | None) -> dict[str, Any] | None:
    if c is None:
        return None
    return {"insurer": c.insurer.strip(), "policy_no": c.policy_no.strip(), "limit": str(c.limit),
            "starts_on": c.starts_on.isoformat(), "ends_on": c.ends_on.isoformat()}  # fmt: skip


def _data_values(data: FilingData) -> dict[str, Any]:
    return {
        "name": data.name.strip(),
        "capital": data.capital,
        "business_area": [a.strip() for a in data.business_area if a.strip()],
        "shareholders": [
            {"name": h.name.strip(), "kind": h.kind, "share": str(h.share), "adjuster": h.adjuster}
            for h in data.shareholders
        ],
        "liability": _liability_json(data.liability),
        "risk_fund": data.risk_fund,
    }


def filing_json(f: FirmFiling) -> dict[str, Any]:
    return {
        "state": f.state, "name": f.name, "capital": str(f.capital), "business_area": list(f.business_area),
        "shareholders": list(f.shareholders), "roster": list(f.roster), "liability": f.liability,
        "risk_fund": str(f.risk_fund) if f.risk_fund is not None else None, "filing_no": f.filing_no,
        "published_on": f.published_on.isoformat() if f.published_on else None,
    }  # fmt: skip


def _require_firm_admin(actor: Actor, firm: AdjusterFirm) -> None:
    if actor.org_id != firm.organisation_id or Role.ADJUSTER_FIRM_ADMIN not in actor.roles:
        raise ActionNotAllowed()


def save(session: Session, actor: Actor, firm_id: object, data: FilingData, *, now: dt.datetime) -> FirmFiling:
    """The firm's administrator prepares its filing (a new one, or one returned): checked in full, 422
    naming the fields; nothing is written when anything is wrong."""
    firm = firm_of(session, actor, firm_id)
    _require_firm_admin(actor, firm)
    found = filing_of(session, firm.organisation_id)
    if found is not None and found.state not in EDITABLE:
        raise IllegalTransition(action="edit", state=found.state)
    _raise(check(firm.legal_form, data))
    values = _data_values(data)
    before = filing_json(found) if found is not None else None
    if found is None:
        found = FirmFiling(firm_id=firm.organisation_id, state="draft", roster=[], updated_at=now, **values)
        session.add(found)
    else:
        for key, value in values.items():
            setattr(found, key, value)
        found.updated_at = now
    session.flush()
    _audit(session, actor.ref, found, "saved", before, now, None, actor.request_id)
    return found


def roster(firm: AdjusterFirm, today: dt.date) -> list[dict[str, Any]]:
    """The 公估师 the filing lists: the firm's practitioners who may practise today."""
    return [
        {"adjuster_id": str(a.id), "name": a.name, "certificate_no": a.certificate_no,
         "registration_no": a.registration_no}
        for a in firm.adjusters
        if party_service.qualification_status(a, today) == "valid"
    ]  # fmt: skip


def _stored_data(f: FirmFiling) -> FilingData:
    c = f.liability
    cover = None
    if c:
        cover = Liability(c["insurer"], c["policy_no"], Decimal(c["limit"]), dt.date.fromisoformat(c["starts_on"]),
                          dt.date.fromisoformat(c["ends_on"]))  # fmt: skip
    holders = [Holder(h["name"], h["kind"], Decimal(h["share"]), bool(h["adjuster"])) for h in f.shareholders]
    return FilingData(f.name, f.capital, list(f.business_area), holders, cover, f.risk_fund)


def act(
    session: Session,
    actor: Actor,
    firm_id: object,
    action: str,
    *,
    now: dt.datetime,
    filing_no: str = "",
    published_on: dt.date | None = None,
    reasons: str = "",
) -> FirmFiling:
    """The firm submits (its roster taken now); supervision publishes (filing number and date) or returns
    (reasons)."""
    if action not in FILING_ACTIONS:
        raise InvalidInput(fields={"action": "one of " + ", ".join(FILING_ACTIONS)})
    filing = get_filing(session, actor, firm_id)
    firm = session.get(AdjusterFirm, filing.firm_id)
    assert firm is not None
    rule = transition.resolve(FILING_RULES, filing.state, action, frozenset(r.value for r in actor.roles))
    transition.check_guard(rule, actor, filing.firm_id)
    today = local_day(now)
    values: dict[str, Any] = {"decided_at": now}
    reason = None
    if action == "submit":
        listed = roster(firm, today)
        errors = check(firm.legal_form, _stored_data(filing))
        if not listed:
            errors["roster"] = ROSTER_EMPTY
        _raise(errors)
        values = {"roster": listed, "submitted_at": now, "return_reasons": None}
    elif action == "publish":
        values.update(_publication(session, firm, filing_no, published_on, today))
    else:
        reason = reason_text(reasons, "reasons")
        values["return_reasons"] = reason
    before, _ = transition.move(session, filing, FILING_RULES, action, frozenset(r.value for r in actor.roles),
                                actor, filing.firm_id, values=values)  # fmt: skip
    if action == "publish":
        _file_firm(session, actor, firm, filing, now)
    _audit(session, actor.ref, filing, {"submit": "submitted", "publish": "published", "return": "returned"}[action],
           {"state": before}, now, reason, actor.request_id)  # fmt: skip
    _tell_filing(session, firm, filing, action, now)
    return filing


def _publication(
    session: Session, firm: AdjusterFirm, filing_no: str, published_on: dt.date | None, today: dt.date
) -> dict[str, Any]:
    errors: dict[str, str] = {}
    number = filing_no.strip()
    if not number or len(number) > 40:
        errors["filing_no"] = FILING_NO_NEEDED
    else:
        holder = session.execute(
            select(AdjusterFirm.organisation_id).where(AdjusterFirm.filing_no == number)
        ).scalar_one_or_none()
        if holder is not None and holder != firm.organisation_id:
            errors["filing_no"] = FILING_NO_TAKEN
    if published_on is None or published_on > today:
        errors["published_on"] = PUBLISHED_ON_INVALID
    _raise(errors)
    return {"filing_no": number, "published_on": published_on}


def _file_firm(session: Session, actor: Actor, firm: AdjusterFirm, filing: FirmFiling, now: dt.datetime) -> None:
    """Published: the firm is filed (it may be routed work) with the filing's number, capital and area."""
    before = {"filing_status": firm.filing_status.value, "filing_no": firm.filing_no}
    firm.filing_status = FilingStatus.FILED
    firm.filing_no = filing.filing_no or firm.filing_no
    firm.capital = filing.capital
    firm.business_area = list(filing.business_area)
    session.flush()
    audit.record(
        session, actor.ref, action="adjuster_firm.filed", entity_type="adjuster_firm", entity_id=firm.organisation_id,
        at=now, chain_key=f"org:{firm.organisation_id}", before=before,
        after={"filing_status": firm.filing_status.value, "filing_no": firm.filing_no}, request_id=actor.request_id,
    )  # fmt: skip


def _audit(session: Session, ref: audit.ActorRef, f: FirmFiling, what: str, before: dict[str, Any] | None,
           now: dt.datetime, reason: str | None, request_id: str | None) -> None:  # fmt: skip
    audit.record(
        session, ref, action=f"firm_filing.{what}", entity_type="firm_filing", entity_id=f.id, at=now,
        chain_key=f"org:{f.firm_id}", before=before, after=filing_json(f), reason=reason, request_id=request_id,
    )  # fmt: skip


def supervision_users(session: Session) -> list[Any]:
    orgs = session.execute(select(Organisation.id).where(Organisation.kind == OrgKind.SUPERVISION)).scalars()
    return [u for org in orgs for u in org_users(session, org, SUPERVISORS)]


def _firm_admins(session: Session, firm_id: uuid.UUID) -> list[Any]:
    return org_users(session, firm_id, FIRM_ADMIN)


def _firm_name(session: Session, firm_id: uuid.UUID) -> str:
    return str(session.execute(select(Organisation.name).where(Organisation.id == firm_id)).scalar_one())


def filing_link(firm_id: uuid.UUID) -> str:
    return f"/adjuster-firms/{firm_id}/filing"


def _tell_filing(session: Session, firm: AdjusterFirm, f: FirmFiling, action: str, now: dt.datetime) -> None:
    params = {"firm": _firm_name(session, f.firm_id), "filing_no": f.filing_no or "", "text": f.return_reasons or ""}
    key = f"firm-filing-{action}:{f.id}:{now.isoformat()}"
    if action == "submit":
        users, subject = supervision_users(session), SUBMITTED_SUBJECT
    else:
        subject = PUBLISHED_SUBJECT if action == "publish" else RETURNED_SUBJECT
        users = _firm_admins(session, f.firm_id)
    tell(session, users, subject, BODY, params, link=filing_link(f.firm_id), key=key, now=now)


# ---- change reports ------------------------------------------------------------------------------


def due_on(session: Session, changed_on: dt.date) -> dt.date:
    """The 5th working day after the change (the day of the change not counted)."""
    return nth_working_day_after(changed_on, CHANGE_WORKING_DAYS, calendar.load(session))


def open_change(
    session: Session,
    actor: Actor,
    firm_id: object,
    *,
    kind: str,
    changed_on: dt.date | None,
    now: dt.datetime,
    details: str = "",
    submit: bool = False,
) -> FirmChangeReport:
    """Record a change (its kind and date): a report is due within 5 working days; ``submit`` sends the
    report at once with its ``details``."""
    firm = firm_of(session, actor, firm_id)
    _require_firm_admin(actor, firm)
    today = local_day(now)
    errors = {}
    if kind not in CHANGE_KINDS:
        errors["kind"] = CHANGE_KIND_NEEDED
    if changed_on is None or changed_on > today:
        errors["changed_on"] = CHANGED_ON_INVALID
    if submit and not details.strip():
        errors["details"] = DETAILS_NEEDED
    _raise(errors)
    assert changed_on is not None
    row = FirmChangeReport(
        firm_id=firm.organisation_id, kind=kind, state="open", changed_on=changed_on,
        due_on=due_on(session, changed_on), created_at=now, created_by=actor.user_id,
    )  # fmt: skip
    session.add(row)
    session.flush()
    _change_audit(session, actor.ref, row, "opened", None, now, actor.request_id)
    if submit:
        change_act(session, actor, firm.organisation_id, row.id, "submit", details=details, now=now)
    else:
        _timers(session, row, now)
    return row


def change_act(session: Session, actor: Actor, firm_id: object, change_id: object, action: str, *,
               now: dt.datetime, details: str = "") -> FirmChangeReport:  # fmt: skip
    """The firm submits the report (its details); supervision acknowledges it."""
    if action not in CHANGE_ACTIONS:
        raise InvalidInput(fields={"action": "one of " + ", ".join(CHANGE_ACTIONS)})
    row = get_change(session, actor, firm_id, change_id)
    roles = frozenset(r.value for r in actor.roles)
    transition.check_guard(transition.resolve(CHANGE_RULES, row.state, action, roles), actor, row.firm_id)
    values: dict[str, Any]
    if action == "submit":
        text = details.strip()
        if not text:
            _raise({"details": DETAILS_NEEDED})
        values = {"details": text, "submitted_at": now}
    else:
        values = {"acknowledged_at": now}
    before, after = transition.move(session, row, CHANGE_RULES, action, roles, actor, row.firm_id, values=values)
    _change_audit(session, actor.ref, row, after, {"state": before}, now, actor.request_id)
    name = _firm_name(session, row.firm_id)
    params = {"firm": name, "text": row.details or "", "date": row.due_on.isoformat()}
    if action == "submit":
        users, subject = supervision_users(session), CHANGE_SUBJECT
    else:
        users, subject = _firm_admins(session, row.firm_id), CHANGE_ACK_SUBJECT
    tell(session, users, subject, BODY, params, link=filing_link(row.firm_id), key=f"firm-change-{action}:{row.id}",
         now=now)  # fmt: skip
    return row


def change_json(row: FirmChangeReport) -> dict[str, Any]:
    return {"kind": row.kind, "state": row.state, "changed_on": row.changed_on.isoformat(),
            "due_on": row.due_on.isoformat(), "details": row.details}  # fmt: skip


def _change_audit(session: Session, ref: audit.ActorRef, row: FirmChangeReport, what: str,
                  before: dict[str, Any] | None, now: dt.datetime, request_id: str | None) -> None:  # fmt: skip
    audit.record(
        session, ref, action=f"firm_change.{what}", entity_type="firm_change_report", entity_id=row.id, at=now,
        chain_key=f"org:{row.firm_id}", before=before, after=change_json(row), request_id=request_id,
    )  # fmt: skip


def _timers(session: Session, row: FirmChangeReport, now: dt.datetime) -> None:
    """A reminder at 09:00 on the working day before the due date, and the late notice the morning after."""
    calendar.remind_and_late(session, TOPIC, {"change_id": str(row.id)}, f"firm-change:{row.id}", row.due_on, now)


def deadline(session: Session, payload: dict[str, Any], now: dt.datetime) -> bool:
    """The timer: remind the firm ahead of the due date; once it has passed unreported, tell the firm and
        supervision the report is late. A report already submitted makes both do nothing, and a change recorded
    after its due date is told late only."""
    row = session.get(FirmChangeReport, _uuid(payload["change_id"]))
    if row is None or row.state != "open":
        return False
    late = payload["kind"] == "late"
    if not late and local_day(now) > row.due_on:
        return False  # recorded after its due date: the late notice says it, not a reminder
    params = {"firm": _firm_name(session, row.firm_id), "date": row.due_on.isoformat(), "text": ""}
    users = _firm_admins(session, row.firm_id) + (supervision_users(session) if late else [])
    tell(session, users, LATE_SUBJECT if late else REMIND_SUBJECT, BODY, params, link=filing_link(row.firm_id),
         key=f"firm-change-{payload['kind']}:{row.id}", now=now)  # fmt: skip
    return True


# ---- supervision's view --------------------------------------------------------------------------


@dataclass(frozen=True)
class FirmStanding:
    """One firm as supervision's list shows it: its filing's state, warnings and late change reports."""

    firm: AdjusterFirm
    filing: FirmFiling | None
    warnings: list[party_service.FirmWarning]
    late_changes: int
    open_changes: int


def standings(session: Session, actor: Actor, today: dt.date) -> list[FirmStanding]:
    """Every firm (supervision and the platform only; 404 for anybody else)."""
    if actor.org_kind not in (OrgKind.SUPERVISION, OrgKind.PLATFORM):
        raise NotFound()
    firms = session.execute(select(AdjusterFirm).join(Organisation).order_by(Organisation.name)).unique().scalars()
    filings = {f.firm_id: f for f in session.execute(select(FirmFiling)).scalars()}
    changes: dict[uuid.UUID, list[FirmChangeReport]] = {}
    for c in session.execute(select(FirmChangeReport)).scalars():
        changes.setdefault(c.firm_id, []).append(c)
    out = []
    for firm in firms:
        mine = changes.get(firm.organisation_id, [])
        warnings = party_service.firm_warnings(session, firm, today)
        late = sum(is_late(c, today) for c in mine)
        pending = sum(c.state != "acknowledged" for c in mine)
        out.append(FirmStanding(firm, filings.get(firm.organisation_id), warnings, late, pending))
    return out
