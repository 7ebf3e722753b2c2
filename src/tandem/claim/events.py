"""Declared catastrophe events (巨灾事件, issue 21): declaring, tagging notices by area and time (at intake,
on declaring, by hand), the triage of an event's notices by district and severity, and the assignment of
one district's notices to an adjuster firm with the routing checks applied to each."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from tandem.access import scope
from tandem.access.actor import Actor
from tandem.access.models import Role
from tandem.audit import service as audit
from tandem.case.service import ALL
from tandem.claim.event_models import CatEvent, CatEventClaim, Peril
from tandem.claim.models import Claim, ClaimStatus
from tandem.claim.workflow import choose_adjuster
from tandem.db import per_transaction
from tandem.kit.errors import ActionNotAllowed, Conflict, InvalidInput, TandemError
from tandem.kit.i18n import N_
from tandem.party.models import Adjuster, AdjusterFirm
from tandem.routing.service import OPEN_STATES, evaluate, province_of

# Who declares an event and tags or untags a notice by hand: the broker's account managers, the insurer's
# claims handlers (and the platform's administrator).
DECLARE_ROLES = frozenset({Role.BROKER_ACCOUNT_MANAGER, Role.INSURER_CLAIMS_HANDLER, Role.PLATFORM_ADMIN})
MAX_AREAS = 50
UNKNOWN_DISTRICT = ""

BAD_PERIOD = N_("The event ends before it starts.")
NO_AREA = N_("Name at least one province, city or district.")
ALREADY_TAGGED = N_("The notice is already tagged with this event.")
NOT_TAGGED = N_("The notice is not tagged with this event.")
NO_ADJUSTER = N_("No adjuster of the firm can take it: {reasons}.")


class EventRefused(Conflict):
    code = "event.refused"


@dataclass(frozen=True)
class EventInput:
    name: str
    peril: Peril
    areas: tuple[str, ...]
    starts_at: dt.datetime
    ends_at: dt.datetime


# ---- places ---------------------------------------------------------------------------------------------

_PROVINCE_SUFFIX = ("壮族自治区", "回族自治区", "维吾尔自治区", "自治区", "特别行政区", "省", "市")
_MUNICIPALITIES = frozenset({"北京", "天津", "上海", "重庆"})
_CITY = re.compile(r"[^区县镇路街号\d\s,，]{1,8}?(?:市|自治州|地区|盟)")
_DISTRICT = re.compile(r"[^路号\d\s,，]{1,8}?(?:区|县|旗|镇|市)")


def split_areas(text: str) -> tuple[str, ...]:
    """Area names as typed: separated by commas, 、, semicolons or white space; duplicates dropped."""
    seen: dict[str, None] = {}
    for part in re.split(r"[,，、;；\s]+", text):
        if part.strip():
            seen[part.strip()] = None
    return tuple(seen)


def _bare(name: str) -> str:
    for suffix in _PROVINCE_SUFFIX:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


def in_area(areas: Iterable[str], location: str) -> bool:
    """The loss place lies in one of the areas: its name (or its name without 省/市/自治区) is in the place."""
    return any(a in location or _bare(a) in location for a in areas)


def district_of(location: str) -> str:
    """The city and district (区/县/旗, or a town of a city without districts) of a loss place, as written:
    ``河南省郑州市金水区花园路12号`` → ``郑州市金水区``; ``""`` when the place does not say."""
    rest = location.strip()
    province = province_of(rest)
    if province and rest.startswith(province):
        rest = rest[len(province) :]
        rest = next((rest[len(s) :] for s in _PROVINCE_SUFFIX if rest.startswith(s)), rest)
    city = ""
    if province not in _MUNICIPALITIES:
        m = _CITY.match(rest)
        if m:
            city, rest = m.group(0), rest[m.end() :]
    m = _DISTRICT.match(rest)
    if m:
        return city + m.group(0)
    return city or UNKNOWN_DISTRICT


# ---- declaring and tagging ------------------------------------------------------------------------------


def _require_declarer(actor: Actor) -> None:
    if not actor.has_any(DECLARE_ROLES):
        raise ActionNotAllowed()


def _tag_rows(
    session: Session, actor_ref: audit.ActorRef, event: CatEvent, claims: Sequence[Claim], how: str, now: dt.datetime
) -> None:
    """Tag these claims with the event: the rows in one INSERT, an audit event on each claim's case."""
    if not claims:
        return
    session.execute(
        insert(CatEventClaim),
        [{"id": uuid.uuid4(), "event_id": event.id, "claim_id": c.id, "how": how, "tagged_at": now} for c in claims],
    )
    for c in claims:
        audit.record(
            session,
            actor_ref,
            action="claim.event_tagged",
            entity_type="claim",
            entity_id=c.id,
            at=now,
            chain_key=f"case:{c.id}",
            after={"event_id": str(event.id), "event": event.name, "how": how},
            audience=ALL,
        )


def declare(session: Session, actor: Actor, cmd: EventInput, *, now: dt.datetime) -> tuple[CatEvent, int]:
    """Declare an event; the open notices the actor sees whose loss place and time fall inside are tagged.
    Returns the event and how many notices were tagged."""
    _require_declarer(actor)
    fields: dict[str, str] = {}
    name = cmd.name.strip()
    if not name or len(name) > 120:
        fields["name"] = "1 to 120 characters"
    areas = tuple(a for a in cmd.areas if a.strip())
    if not areas or len(areas) > MAX_AREAS or any(len(a) > 40 for a in areas):
        fields["areas"] = f"1 to {MAX_AREAS} names of at most 40 characters"
    if cmd.ends_at < cmd.starts_at:
        raise InvalidInput(BAD_PERIOD, fields={"ends_at": "before starts_at"})
    if fields:
        raise InvalidInput(NO_AREA if "areas" in fields else None, fields=fields)
    event = CatEvent(
        name=name,
        peril=cmd.peril,
        areas=list(areas),
        starts_at=cmd.starts_at,
        ends_at=cmd.ends_at,
        declared_by_org=actor.org_id,
        declared_by_user=actor.user_id,
        declared_at=now,
    )
    session.add(event)
    session.flush()
    per_transaction(session, _KNOWN_EVENTS, dict).clear()
    audit.record(
        session,
        actor.ref,
        action="event.declared",
        entity_type="cat_event",
        entity_id=event.id,
        at=now,
        after={"name": name, "peril": cmd.peril.value, "areas": list(areas)},
        request_id=actor.request_id,
    )
    candidates = (
        session.execute(
            scope.visible_claims(actor)
            .where(
                Claim.status.in_(list(OPEN_STATES)),
                Claim.loss_at >= event.starts_at,
                Claim.loss_at <= event.ends_at,
            )
            .order_by(Claim.notified_at, Claim.id)
        )
        .unique()
        .scalars()
    )
    inside = [c for c in candidates if in_area(areas, c.location)]
    _tag_rows(session, actor.ref, event, inside, "declared", now)
    return event, len(inside)


_KNOWN_EVENTS = "cat_events"


def _all_events(session: Session) -> list[CatEvent]:
    """Every declared event, read once per transaction (a batch of notices asks for each): events are few,
    and declaring one in this transaction forgets the list."""
    held: dict[str, list[CatEvent]] = per_transaction(session, _KNOWN_EVENTS, dict)
    if "all" not in held:
        held["all"] = list(session.execute(select(CatEvent)).scalars())
    return held["all"]


def tag_at_intake(session: Session, claim: Claim, now: dt.datetime) -> None:
    """A new notice inside an event declared by its broker or insurer is tagged with it (in the same
    transaction as the notice)."""
    declarers = {claim.broker_id, claim.insurer_id}
    for event in _all_events(session):
        inside = event.starts_at <= claim.loss_at <= event.ends_at and event.declared_by_org in declarers
        if inside and in_area(event.areas, claim.location):
            _tag_rows(session, audit.SYSTEM, event, [claim], "intake", now)


def _tag_row(session: Session, event: CatEvent, claim: Claim) -> CatEventClaim | None:
    return session.execute(
        select(CatEventClaim).where(CatEventClaim.event_id == event.id, CatEventClaim.claim_id == claim.id)
    ).scalar_one_or_none()


def tag(session: Session, actor: Actor, event_id: object, claim_id: object, *, now: dt.datetime) -> Claim:
    """Tag a notice with an event by hand (both visible to the actor)."""
    event = scope.get_event(session, actor, event_id)
    claim = scope.get_claim(session, actor, claim_id)
    _require_declarer(actor)
    if _tag_row(session, event, claim) is not None:
        raise EventRefused(ALREADY_TAGGED)
    _tag_rows(session, actor.ref, event, [claim], "hand", now)
    return claim


def untag(session: Session, actor: Actor, event_id: object, claim_id: object, *, now: dt.datetime) -> Claim:
    """Take a notice out of an event by hand; the case's audit chain keeps the tag and its removal."""
    event = scope.get_event(session, actor, event_id)
    claim = scope.get_claim(session, actor, claim_id)
    _require_declarer(actor)
    row = _tag_row(session, event, claim)
    if row is None:
        raise EventRefused(NOT_TAGGED)
    session.execute(delete(CatEventClaim).where(CatEventClaim.id == row.id))
    audit.record(
        session,
        actor.ref,
        action="claim.event_untagged",
        entity_type="claim",
        entity_id=claim.id,
        at=now,
        chain_key=f"case:{claim.id}",
        before={"event_id": str(event.id), "event": event.name},
        request_id=actor.request_id,
        audience=ALL,
    )
    return claim


def event_claims(session: Session, actor: Actor, event: CatEvent) -> list[Claim]:
    """The event's notices the actor may see (one access check: ``visible_claims``), oldest first."""
    tagged = select(CatEventClaim.claim_id).where(CatEventClaim.event_id == event.id)
    stmt = scope.visible_claims(actor).where(Claim.id.in_(tagged)).order_by(Claim.notified_at, Claim.id)
    return list(session.execute(stmt).unique().scalars())


def tagged_count(session: Session, actor: Actor, event: CatEvent) -> int:
    """How many of the event's notices the actor may see (a count, for lists)."""
    tagged = select(CatEventClaim.claim_id).where(CatEventClaim.event_id == event.id)
    visible = scope.visible_claims(actor).where(Claim.id.in_(tagged)).with_only_columns(func.count(Claim.id))
    return int(session.execute(visible).scalar_one())


# ---- triage ---------------------------------------------------------------------------------------------

# Estimated-loss bands, highest first (CNY).
BANDS: tuple[tuple[str, Decimal | None], ...] = (
    ("1m+", Decimal("1000000")),
    ("100k-1m", Decimal("100000")),
    ("10k-100k", Decimal("10000")),
    ("0-10k", Decimal("0")),
    ("unknown", None),
)
_INJURY = re.compile(r"伤|亡|死|住院|injur|hurt|dead|death", re.IGNORECASE)


def band_of(amount: Decimal | None) -> str:
    if amount is None:
        return "unknown"
    return next(name for name, low in BANDS if low is not None and amount >= low)


def injured(claim: Claim) -> bool:
    """The notice tells of people hurt (a word in its description): these come first."""
    return bool(_INJURY.search(claim.description))


def routed(claim: Claim) -> bool:
    return claim.status != ClaimStatus.NOTIFIED


@dataclass
class District:
    name: str
    total: int = 0
    open: int = 0
    routed: int = 0
    injured: int = 0


@dataclass
class Triage:
    districts: list[District] = field(default_factory=list)
    bands: list[tuple[str, int, int]] = field(default_factory=list)  # band, open, routed
    first: list[Claim] = field(default_factory=list)  # the open notices, most urgent first
    total: int = 0
    open: int = 0


def triage(claims: Sequence[Claim]) -> Triage:
    """The event's notices by district (most open first) and by severity band; open notices with people
    hurt first, then by estimated loss."""
    out = Triage(total=len(claims))
    by: dict[str, District] = {}
    bands: Counter[tuple[str, bool]] = Counter()
    for c in claims:
        d = by.setdefault(district_of(c.location), District(district_of(c.location)))
        d.total += 1
        d.injured += injured(c)
        if routed(c):
            d.routed += 1
        else:
            d.open += 1
        bands[(band_of(c.estimated_loss), routed(c))] += 1
    out.districts = sorted(by.values(), key=lambda d: (-d.open, -d.total, d.name))
    out.bands = [(name, bands[(name, False)], bands[(name, True)]) for name, _low in BANDS]
    waiting = [c for c in claims if not routed(c)]
    out.open = len(waiting)
    out.first = sorted(waiting, key=lambda c: (not injured(c), -(c.estimated_loss or Decimal(-1)), c.notified_at))
    return out


@dataclass
class FirmLoad:
    """A firm's surge staffing at a glance: its active practitioners, where they are, their open cases."""

    firm: AdjusterFirm
    adjusters: int
    regions: list[str]
    open: int
    capacity: int


def firm_loads(session: Session, firms: Sequence[AdjusterFirm]) -> list[FirmLoad]:
    """Each firm's active adjusters, their regions, open cases and capacity (one query for the workloads)."""
    adjusters = [a for f in firms for a in f.adjusters if a.active]
    load = dict(
        session.execute(
            select(Claim.adjuster_id, func.count())
            .where(Claim.adjuster_id.in_([a.id for a in adjusters]), Claim.status.in_(list(OPEN_STATES)))
            .group_by(Claim.adjuster_id)
        ).all()
    )
    out = []
    for f in firms:
        mine = [a for a in f.adjusters if a.active]
        regions = sorted({r for a in mine for r in a.regions})
        out.append(FirmLoad(f, len(mine), regions, sum(load.get(a.id, 0) for a in mine), sum(a.capacity for a in mine)))
    return out


# ---- assigning a district to a firm ---------------------------------------------------------------------


@dataclass
class Assigned:
    claim: Claim
    adjuster: Adjuster | None = None
    error: TandemError | None = None


def _best(
    session: Session, claim: Claim, adjusters: Sequence[Adjuster], now: dt.datetime
) -> tuple[Adjuster | None, list[str]]:
    """The firm's adjuster who ranks first for the claim, or the reasons none may take it."""
    best, best_score, reasons = None, -1.0, set[str]()
    for adj in adjusters:
        rec = evaluate(session, claim, adj, now)
        if rec.reasons:
            reasons.update(rec.reasons)
        elif rec.score > best_score:
            best, best_score = adj, rec.score
    return best, sorted(reasons)


def assign_district(
    session: Session, actor: Actor, event_id: object, district: str, firm_id: object, *, now: dt.datetime
) -> list[Assigned]:
    """Route every notice of the event in ``district`` still awaiting an adjuster to the firm: each goes to
    the firm's adjuster who ranks first for it under the routing checks (qualification, filing, blacklist,
    conflicts of interest, line, area, capacity), in its own savepoint; a notice no adjuster of the firm
    may take is refused with the reasons. Returns one outcome per notice."""
    event = scope.get_event(session, actor, event_id)
    firm = scope.get_firm(session, actor, firm_id)
    if not actor.has_any(frozenset({Role.BROKER_ACCOUNT_MANAGER})):
        raise ActionNotAllowed()
    adjusters = [a for a in firm.adjusters if a.active]
    out: list[Assigned] = []
    for claim in event_claims(session, actor, event):
        if district_of(claim.location) != district or routed(claim):
            continue
        adj, reasons = _best(session, claim, adjusters, now)
        if adj is None:
            out.append(Assigned(claim, error=EventRefused(NO_ADJUSTER, reasons=", ".join(reasons) or "-")))
            continue
        try:
            with session.begin_nested():
                choose_adjuster(session, actor, claim.id, adj.id, now=now, reason=f"event {event.name}")
        except TandemError as exc:
            out.append(Assigned(claim, error=exc))
            continue
        out.append(Assigned(claim, adjuster=adj))
    return out
