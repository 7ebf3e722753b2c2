"""Opening, reading and moving placements (投保项目): the subject (标的) validated once here for the API,
the pages and the demo; every read through the access chokepoint; every state change through
``PLACEMENT_RULES`` with an audit event on the case's chain in the same transaction."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from tandem.access import scope
from tandem.access.actor import Actor
from tandem.access.models import OrgKind, Role
from tandem.case import service as case_service
from tandem.case import thread
from tandem.case.models import Case, CaseKind
from tandem.claim.models import Document, Message, PartyRole
from tandem.config import Settings
from tandem.kit import transition as _transition
from tandem.kit.errors import ActionNotAllowed, Conflict, InvalidInput, NotFound
from tandem.kit.i18n import N_
from tandem.kit.money import DecimalInputError, fmt, parse_decimal
from tandem.party.cover import LINES, SECTION_TYPES
from tandem.placement.models import Placement, PlacementStatus
from tandem.placement.workflow import ADDABLE_STATES, BY_SIDE, PLACEMENT_RULES
from tandem.routing.service import PROVINCES

MAX_SITES, MAX_SECTIONS, MAX_CONTACTS = 50, 30, 100
# What is wrong with a field: msgids, so the form shows them translated and the API in English.
REQUIRED = N_("Required.")
UNKNOWN = N_("Choose from the list.")
TOO_LONG = N_("Too long.")
NOT_TEXT = N_("Must be text.")
BAD_DATE = N_("Enter a date (YYYY-MM-DD).")
END_BEFORE_START = N_("The end must be after the start.")
NO_LINE = N_("Choose at least one line of insurance.")
LINE_TWICE = N_("Each line once.")
NO_SITE = N_("Add at least one site.")
NO_SECTION = N_("Add at least one section with its sum insured.")
TOO_MANY = N_("Too many rows.")
BAD_AMOUNT = N_("Enter an amount such as 12500.00.")
NOT_POSITIVE = N_("The amount must be more than zero.")
TOO_MANY_DECIMALS = N_("At most two decimals.")
NO_INSURED = N_("Choose an insured from the list.")
BAD_PHONE = N_("Enter a phone number (digits, spaces and dashes).")
INSURER_CHANNEL = N_("Insurers are reached on their own submission's thread.")
NOT_OPEN = N_("The placement has gone to market or was withdrawn; nothing can be added.")
# Text fields of a site and their longest length; the first two must be given.
SITE_TEXT = (("name", 200, True), ("address", 300, True), ("occupancy", 200, False), ("construction", 200, False))
CONTACT_TEXT = (("name", 100, True), ("phone", 20, True), ("role", 100, False))


def _text(value: object, limit: int, required: bool) -> tuple[str, str | None]:
    """The trimmed text and the problem with it, if any."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        return "", NOT_TEXT
    text = value.strip()
    if required and not text:
        return text, REQUIRED
    if len(text) > limit:
        return text, TOO_LONG
    return text, None


def _date(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return None
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _sum_insured(value: object) -> tuple[Decimal | None, str | None]:
    if value in (None, ""):
        return None, REQUIRED
    try:
        amount = parse_decimal(value, exponent=False, grouping=isinstance(value, str), digits=15, places=None)
    except DecimalInputError:
        return None, BAD_AMOUNT
    if amount <= 0:
        return None, NOT_POSITIVE
    if amount.as_tuple().exponent < -2:  # type: ignore[operator]
        return None, TOO_MANY_DECIMALS
    return amount, None


def _section(raw: object, ref: str, at: str, errors: dict[str, str]) -> dict[str, str]:
    data: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    kind = data.get("type")
    if kind not in SECTION_TYPES:
        errors[f"{at}.type"] = REQUIRED if not kind else UNKNOWN
    description, problem = _text(data.get("description"), 500, False)
    if problem:
        errors[f"{at}.description"] = problem
    amount, problem = _sum_insured(data.get("sum_insured"))
    if problem:
        errors[f"{at}.sum_insured"] = problem
    return {
        "ref": ref,
        "type": str(kind or ""),
        "description": description,
        "sum_insured": fmt(amount) if amount is not None else "",
    }


def _site(raw: object, n: int, errors: dict[str, str]) -> dict[str, Any]:
    data: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    ref, at = f"S{n + 1}", f"sites[{n}]"
    site: dict[str, Any] = {"ref": ref}
    for key, limit, required in SITE_TEXT:
        site[key], problem = _text(data.get(key), limit, required)
        if problem:
            errors[f"{at}.{key}"] = problem
    province = data.get("province")
    if province not in PROVINCES:
        errors[f"{at}.province"] = REQUIRED if not province else UNKNOWN
    site["province"] = str(province or "")
    sections = data.get("sections")
    if not isinstance(sections, Sequence) or isinstance(sections, str) or not sections:
        errors[f"{at}.sections"] = NO_SECTION
        sections = []
    elif len(sections) > MAX_SECTIONS:
        errors[f"{at}.sections"] = TOO_MANY
    site["sections"] = [_section(s, f"{ref}-{k + 1}", f"{at}.sections[{k}]", errors) for k, s in enumerate(sections)]
    return site


def contact(raw: object, at: str, site_refs: set[str], errors: dict[str, str]) -> dict[str, str]:
    """One site contact (现场联系人), checked: the site it belongs to, name, phone and role."""
    data: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    out = {"site_ref": str(data.get("site_ref") or "")}
    if out["site_ref"] not in site_refs:
        errors[f"{at}.site_ref"] = REQUIRED if not out["site_ref"] else UNKNOWN
    for key, limit, required in CONTACT_TEXT:
        out[key], problem = _text(data.get(key), limit, required)
        if problem:
            errors[f"{at}.{key}"] = problem
    phone = out["phone"]
    if phone and not all(c.isdigit() or c in "+- " for c in phone):
        errors[f"{at}.phone"] = BAD_PHONE
    return out


def _lines(raw: object, errors: dict[str, str]) -> list[str]:
    if not isinstance(raw, Sequence) or isinstance(raw, str) or not raw:
        errors["lines"] = NO_LINE
        return []
    lines = [str(x) for x in raw]
    unknown = [x for x in lines if x not in LINES]
    if unknown:
        errors["lines"] = UNKNOWN
    elif len(set(lines)) != len(lines):
        errors["lines"] = LINE_TWICE
    return lines


def _period(data: Mapping[str, Any], errors: dict[str, str]) -> tuple[dt.date, dt.date]:
    start, end = _date(data.get("period_start")), _date(data.get("period_end"))
    for key, value in (("period_start", start), ("period_end", end)):
        if value is None:
            errors[key] = REQUIRED if not data.get(key) else BAD_DATE
        elif not 1900 <= value.year <= 2199:
            errors[key] = BAD_DATE
    if start and end and "period_end" not in errors and end <= start:
        errors["period_end"] = END_BEFORE_START
    return start or dt.date.min, end or dt.date.min


def _insured(session: Session, actor: Actor, raw: object, errors: dict[str, str]) -> uuid.UUID | None:
    if not raw:
        errors["insured_id"] = REQUIRED
        return None
    try:
        insured = scope.get_insured(session, actor, raw)
    except NotFound:
        errors["insured_id"] = NO_INSURED
        return None
    if insured.organisation.kind != OrgKind.INSURED:
        errors["insured_id"] = NO_INSURED
        return None
    return insured.organisation_id


def validate(session: Session, actor: Actor, data: Mapping[str, Any]) -> dict[str, Any]:
    """The placement as it will be stored, or InvalidInput naming every field in error
    (``sites[0].sections[1].sum_insured``, as the API names fields)."""
    errors: dict[str, str] = {}
    insured_id = _insured(session, actor, data.get("insured_id"), errors)
    title, problem = _text(data.get("title"), 200, True)
    if problem:
        errors["title"] = problem
    lines = _lines(data.get("lines"), errors)
    start, end = _period(data, errors)
    raw_sites = data.get("sites")
    if not isinstance(raw_sites, Sequence) or isinstance(raw_sites, str) or not raw_sites:
        errors["sites"] = NO_SITE
        raw_sites = []
    elif len(raw_sites) > MAX_SITES:
        errors["sites"] = TOO_MANY
    sites = [_site(raw, n, errors) for n, raw in enumerate(raw_sites)]
    raw_contacts = data.get("contacts") or []
    if not isinstance(raw_contacts, Sequence) or isinstance(raw_contacts, str) or len(raw_contacts) > MAX_CONTACTS:
        errors["contacts"] = TOO_MANY
        raw_contacts = []
    refs = {s["ref"] for s in sites}
    contacts = [contact(c, f"contacts[{n}]", refs, errors) for n, c in enumerate(raw_contacts)]
    if errors:
        raise InvalidInput(fields=errors)
    return {
        "insured_id": insured_id,
        "title": title,
        "lines": lines,
        "period_start": start,
        "period_end": end,
        "subject": {"sites": sites, "contacts": contacts},
    }


def open_placement(session: Session, actor: Actor, data: Mapping[str, Any], now: dt.datetime) -> Placement:
    """A broker's account manager (客户经理) opens a placement for an insured it serves: the case with its
    TB- number, the placement row with the same id, the broker and the insured as parties, and the
    audit event ``placement.opened``. The insured's contacts see it at once."""
    if actor.org_kind != OrgKind.BROKER or Role.BROKER_ACCOUNT_MANAGER not in actor.roles:
        raise ActionNotAllowed()
    clean = validate(session, actor, data)
    case = case_service.open_case(session, CaseKind.PLACEMENT, now=now)
    placement = Placement(
        id=case.id,
        case_id=case.id,
        number=case.number,
        broker_id=actor.org_id,
        account_manager_id=actor.user_id,
        status=PlacementStatus.OPENED,
        created_at=now,
        created_by=actor.user_id,
        updated_at=now,
        **clean,
    )
    session.add(placement)
    case_service.add_participant(session, case, actor.org_id, PartyRole.BROKER, now=now)
    case_service.add_participant(session, case, clean["insured_id"], PartyRole.INSURED, now=now)
    session.flush()
    case_service.record_event(
        session,
        actor,
        case,
        "placement.opened",
        now=now,
        after={
            "number": placement.number,
            "title": placement.title,
            "lines": placement.lines,
            "period_start": placement.period_start.isoformat(),
            "period_end": placement.period_end.isoformat(),
            "sites": len(placement.subject["sites"]),
        },
        audience=case_service.ALL,
    )
    return placement


# ---- reading through the access chokepoint ---------------------------------------------------------


def visible_placements(actor: Actor) -> Select[Placement]:
    """Placements of the cases the actor's organisation takes part in (scope.visible_cases)."""
    cases = scope.visible_cases(actor).where(Case.kind == CaseKind.PLACEMENT).with_only_columns(Case.id)
    return select(Placement).where(Placement.id.in_(cases))


def get_placement(session: Session, actor: Actor, placement_id: object) -> Placement:
    """The placement if the actor's organisation takes part in its case; NotFound (404) for both "does
    not exist" and "not yours"."""
    case = scope.get_case(session, actor, placement_id)
    placement = session.get(Placement, case.id)
    if placement is None:  # a claim's case: not a placement
        raise NotFound()
    return placement


def case_of(session: Session, placement: Placement) -> Case:
    case = session.get(Case, placement.case_id)
    assert case is not None
    return case


def list_placements(
    session: Session, actor: Actor, *, status: PlacementStatus | None = None, limit: int = 200
) -> list[Placement]:
    """The actor's placements, newest first, optionally of one status."""
    stmt = visible_placements(actor)
    if status is not None:
        stmt = stmt.where(Placement.status == status)
    stmt = stmt.order_by(Placement.created_at.desc(), Placement.id).limit(limit)
    return list(session.execute(stmt).unique().scalars())


# ---- the workflow ----------------------------------------------------------------------------------


def _roles(actor: Actor) -> frozenset[str]:
    return frozenset(r.value for r in actor.roles)


def _sides(actor: Actor, rule: _transition.Rule) -> set[PartyRole]:
    """The sides on the case the actor's roles act for in this rule."""
    return {BY_SIDE[r] for r in rule.by & _roles(actor) if r in BY_SIDE}


def _check_side(session: Session, actor: Actor, placement: Placement, rule: _transition.Rule) -> None:
    """The actor's organisation must hold, on this case, the side its role acts for in this rule."""
    if not _sides(actor, rule) & case_service.participant_roles(session, case_of(session, placement), actor.org_id):
        raise ActionNotAllowed()


def allowed(session: Session, actor: Actor, placement: Placement, *, guards: bool = True) -> set[str]:
    """The transitions this actor may take now: by role, side on the case and (unless ``guards`` is
    False: whose turn it is, before its preconditions are met) the rules' guards."""
    state = placement.status.value
    held = case_service.participant_roles(session, case_of(session, placement), actor.org_id)
    roles = _roles(actor)
    candidates = (
        _transition.permitted(PLACEMENT_RULES, state, roles, session, placement, actor)
        if guards
        else set(_transition.allowed_actions(PLACEMENT_RULES, state, roles))
    )
    return {action for action in candidates if _sides(actor, PLACEMENT_RULES[(state, action)]) & held}


def transition(
    session: Session,
    actor: Actor | None,
    placement: Placement,
    action: str,
    now: dt.datetime,
    *,
    reason: str | None = None,
    after: dict[str, Any] | None = None,
    audience: list[str] | None = None,
    values: dict[str, Any] | None = None,
) -> Placement:
    """Apply one transition of ``PLACEMENT_RULES``: role and side check, the rule's guard (called as
    ``guard(session, placement, actor)``), a conditional UPDATE (one winner), and the audit event
    ``placement.<action>`` on the case's chain. ``values`` are further columns set with the status."""
    roles = _roles(actor) if actor else frozenset({"system"})
    rule = _transition.resolve(PLACEMENT_RULES, placement.status.value, action, roles)
    if actor is not None:
        _check_side(session, actor, placement, rule)
    _transition.check_guard(rule, session, placement, actor)
    before = placement.status.value
    changes = {"status": PlacementStatus(rule.to), "updated_at": now, **(values or {})}
    _transition.move_row(session, placement, changes)
    case_service.record_event(
        session,
        actor,
        case_of(session, placement),
        f"placement.{action}",
        now=now,
        after={"status": rule.to, "from": before, **(after or {})},
        reason=reason,
        audience=audience if audience is not None else case_service.ALL,
    )
    return placement


def total_sum_insured(placement: Placement) -> Decimal:
    """The sum of the sections' sums insured over every site."""
    return sum(
        (Decimal(sec["sum_insured"]) for site in placement.subject.get("sites", []) for sec in site["sections"]),
        Decimal("0"),
    )


# ---- what the parties add to the file ----------------------------------------------------------------


def _require_open(placement: Placement) -> None:
    if placement.status not in ADDABLE_STATES:
        raise Conflict(NOT_OPEN)


def add_contact(
    session: Session, actor: Actor, placement_id: object, data: Mapping[str, Any], now: dt.datetime
) -> Placement:
    """The insured (or its broker) adds a site contact (现场联系人); audited as ``placement.contact_added``."""
    placement = get_placement(session, actor, placement_id)
    held = case_service.participant_roles(session, case_of(session, placement), actor.org_id)
    if not held & {PartyRole.INSURED, PartyRole.BROKER} or actor.read_only:
        raise ActionNotAllowed()
    _require_open(placement)
    errors: dict[str, str] = {}
    refs = {s["ref"] for s in placement.subject.get("sites", [])}
    found = contact(data, "contact", refs, errors)
    if errors:
        raise InvalidInput(fields={k.removeprefix("contact."): v for k, v in errors.items()})
    placement.subject = {**placement.subject, "contacts": [*placement.subject.get("contacts", []), found]}
    placement.updated_at = now
    session.flush()
    case_service.record_event(
        session, actor, case_of(session, placement), "placement.contact_added", now=now, after=found,
        audience=case_service.ALL,
    )  # fmt: skip
    return placement


# On a placement every insurer approached takes part as ``insurer``, so a channel they share would let one
# read what was meant for another: they talk on their own submission's thread (placement.market).
SHARED_WITH_INSURERS = frozenset({"broker_insurer"})


def check_thread(session: Session, actor: Actor, case: Case, channel: str) -> None:
    """An insurer writes nothing on the placement's thread, and nobody writes to the broker–insurer channel."""
    held = case_service.participant_roles(session, case, actor.org_id)
    if held and held <= {PartyRole.INSURER}:
        raise ActionNotAllowed()
    if channel in SHARED_WITH_INSURERS:
        raise InvalidInput(INSURER_CHANNEL, fields={"audience": INSURER_CHANNEL})


def post_message(
    session: Session, actor: Actor, placement_id: object, *, audience: str, body: str, now: dt.datetime
) -> Message:
    """A message on the placement's thread (tandem.case.thread), to a channel the author belongs to."""
    placement = get_placement(session, actor, placement_id)
    case = case_of(session, placement)
    check_thread(session, actor, case, audience)
    return thread.post_message(
        session, actor, case, audience=audience, body=body, now=now, action="placement.message_posted"
    )


def upload_document(
    session: Session,
    settings: Settings,
    actor: Actor,
    placement_id: object,
    channel: str,
    filename: str | None,
    content_type: str,
    data: bytes,
    *,
    now: dt.datetime,
) -> Document:
    """A document for the file (site plans, licences, 环评/安评 papers …), for a channel the uploader
    belongs to; stored content-addressed, audited as ``placement.document_uploaded``."""
    placement = get_placement(session, actor, placement_id)
    _require_open(placement)
    case = case_of(session, placement)
    check_thread(session, actor, case, channel)
    return thread.upload_evidence(
        session, settings, actor, case, channel, filename, content_type, data, now=now,
        action="placement.document_uploaded",
    )  # fmt: skip


def go_to_market(session: Session, actor: Actor, placement_id: object, now: dt.datetime) -> Placement:
    """The broker takes the placement to market (issue 15 continues): the insured's risk decisions are
    frozen as they stand, and its decision clock stops."""
    placement = get_placement(session, actor, placement_id)
    transition(session, actor, placement, "go_to_market", now)
    case_service.stop_deadline(session, case_of(session, placement), "risk_decisions", now=now)
    return placement
