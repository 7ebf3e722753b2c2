"""Stage 1 screening (初筛, R-U5): the broker filters the insurers' published products against the
placement before the comparison (横评).

A product is kept when it insures one of the placement's lines (险种), is in force on the first day of
cover, has the fund management mode (险资管理模式) wanted, covers every peril the risk register's points
concern and excludes none of them, has the capacity for the largest sum insured per site (per risk),
and its insurer's standing passes the broker's thresholds (comprehensive solvency ratio 综合偿付能力充足率
and integrated risk rating 风险综合评级, regulation.md). Every product left out carries reason codes,
shown in words; an insurer is left out when none of its products is kept.

The perils a risk point concerns are read from its title and description by keywords (the register
keeps no peril codes); the broker may name them instead. Nothing here touches the database except
:func:`preview` and :func:`save_shortlist`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tandem.access.actor import Actor
from tandem.case import service as case_service
from tandem.claim.models import PartyRole
from tandem.kit.errors import ActionNotAllowed, Conflict, InvalidInput
from tandem.kit.i18n import N_
from tandem.party import cover, products
from tandem.party.models import Insurer, InsurerProduct, ProductStatus
from tandem.placement import risk
from tandem.placement import service as placement_service
from tandem.placement.models import Placement, PlacementStatus
from tandem.placement.screening_models import Shortlist

#: Reason codes of a product left out, as msgids (shown translated; ``{…}`` filled from the params).
REASONS: Mapping[str, str] = {
    "line": N_("Insures none of the programme's lines."),
    "not_in_force": N_("Not in force on the first day of cover."),
    "fund_mode": N_("Fund management mode is not the one wanted."),
    "peril_excluded": N_("Excludes a peril a risk point concerns: {peril} ({refs})."),
    "peril_not_covered": N_("Does not cover a peril a risk point concerns: {peril} ({refs})."),
    "capacity": N_("Capacity {capacity} is below the largest sum insured per risk {needed}."),
    "solvency_unknown": N_("The insurer has not stated its solvency ratio."),
    "solvency": N_("Comprehensive solvency ratio {ratio} is below {minimum}."),
    "rating_unknown": N_("The insurer has not stated its risk rating."),
    "rating": N_("Risk rating {rating} is not among {allowed}."),
}

#: Keywords (in Chinese, as adjusters write risk points) → the peril they concern.
KEYWORDS: Mapping[str, str] = {
    "火": "fire",
    "消防": "fire",
    "电气": "fire",
    "电缆": "fire",
    "爆炸": "explosion",
    "危化品": "explosion",
    "粉尘": "explosion",
    "雷": "lightning",
    "暴雨": "rainstorm",
    "内涝": "rainstorm",
    "洪": "flood",
    "台风": "typhoon",
    "大风": "windstorm",
    "冰雹": "hail",
    "雪": "snow_ice",
    "滑坡": "landslide",
    "泥石流": "landslide",
    "地陷": "subsidence",
    "地震": "earthquake",
    "盗": "theft",
    "水管": "water_damage",
    "漏水": "water_damage",
    "机器": "machinery_breakdown",
    "设备故障": "machinery_breakdown",
    "自燃": "spontaneous_combustion",
    "停电": "utility_failure",
    "污染": "pollution",
}


@dataclass(frozen=True)
class Settings:
    """The broker's screening thresholds. Defaults from regulation.md / C-ROSS: comprehensive solvency
    ratio at least 100 % and an integrated risk rating of A or B; traditional products only."""

    min_solvency: Decimal = Decimal(100)
    ratings: tuple[str, ...] = ("A", "B")
    fund_mode: str = "traditional"
    perils: tuple[str, ...] | None = None  # named by the broker instead of read from the risk points


@dataclass(frozen=True)
class Point:
    """A risk point as screening reads it."""

    ref: str
    text: str


@dataclass(frozen=True)
class Reason:
    code: str
    params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    """One product's result: kept when ``reasons`` is empty."""

    product_id: str
    code: str
    name: str
    insurer_id: str
    insurer: str
    reasons: tuple[Reason, ...]

    @property
    def kept(self) -> bool:
        return not self.reasons


@dataclass(frozen=True)
class Screening:
    settings: Settings
    perils: dict[str, list[str]]  # peril code -> refs of the risk points concerning it
    largest_risk: Decimal
    outcomes: tuple[Outcome, ...]

    @property
    def kept(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.kept]

    @property
    def excluded(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.kept]

    @property
    def insurers_out(self) -> list[str]:
        """Insurers (ids) none of whose products is kept."""
        kept = {o.insurer_id for o in self.kept}
        return sorted({o.insurer_id for o in self.outcomes} - kept)


def perils_of(points: Iterable[Point]) -> dict[str, list[str]]:
    """The perils the risk points concern (by keyword), each with the refs of its points."""
    found: dict[str, list[str]] = {}
    for point in points:
        for word, peril in KEYWORDS.items():
            refs = found.setdefault(peril, []) if word in point.text else None
            if refs is not None and point.ref not in refs:
                refs.append(point.ref)
    return {p: refs for p, refs in found.items() if refs}


def largest_risk(subject: Mapping[str, Any]) -> Decimal:
    """The largest sum insured of one site (one risk)."""
    totals = [
        sum((Decimal(str(s.get("sum_insured") or 0)) for s in site.get("sections", [])), Decimal(0))
        for site in subject.get("sites", [])
    ]
    return max(totals, default=Decimal(0))


def _standing(record: Insurer | None, settings: Settings) -> list[Reason]:
    reasons: list[Reason] = []
    ratio = record.solvency_ratio if record else None
    if ratio is None:
        reasons.append(Reason("solvency_unknown"))
    elif ratio < settings.min_solvency:
        reasons.append(Reason("solvency", {"ratio": f"{ratio} %", "minimum": f"{settings.min_solvency} %"}))
    rating = record.risk_rating if record else None
    if not rating:
        reasons.append(Reason("rating_unknown"))
    elif rating not in settings.ratings:
        reasons.append(Reason("rating", {"rating": rating, "allowed": "/".join(settings.ratings)}))
    return reasons


def _cover(p: InsurerProduct, perils: Mapping[str, list[str]]) -> list[Reason]:
    reasons: list[Reason] = []
    for peril, refs in perils.items():
        params = {"peril": peril, "refs": ", ".join(refs) or "-"}
        if peril in (p.perils_excluded or []):
            reasons.append(Reason("peril_excluded", params))
        elif peril not in (p.perils_covered or []):
            reasons.append(Reason("peril_not_covered", params))
    return reasons


def _product(
    p: InsurerProduct, lines: set[str], day: dt.date, perils: Mapping[str, list[str]], needed: Decimal, s: Settings
) -> list[Reason]:
    reasons: list[Reason] = []
    if not lines & set(p.lines or []):
        reasons.append(Reason("line"))
    if not products.in_force(p, day):
        reasons.append(Reason("not_in_force"))
    if p.fund_mode != s.fund_mode:
        reasons.append(Reason("fund_mode", {"mode": p.fund_mode}))
    reasons += _cover(p, perils)
    if p.capacity is not None and p.capacity < needed:
        reasons.append(Reason("capacity", {"capacity": str(p.capacity), "needed": str(needed)}))
    return reasons


def screen(
    catalogue: Sequence[InsurerProduct],
    standings: Mapping[uuid.UUID, Insurer],
    *,
    lines: Sequence[str],
    start: dt.date,
    subject: Mapping[str, Any],
    points: Sequence[Point],
    settings: Settings = Settings(),
) -> Screening:
    """Screen ``catalogue`` against the placement (pure: no database). ``settings.perils`` (the broker's)
    replaces the perils read from the risk points; each keeps the refs of the points that concern it."""
    read = perils_of(points)
    wanted = read if settings.perils is None else {p: read.get(p, []) for p in settings.perils}
    needed = largest_risk(subject)
    outcomes = []
    for p in sorted(catalogue, key=lambda p: (p.insurer.name if p.insurer else "", p.code)):
        reasons = _product(p, set(lines), start, wanted, needed, settings)
        reasons += _standing(standings.get(p.insurer_id), settings)
        insurer = p.insurer.name if p.insurer else ""
        outcomes.append(Outcome(str(p.id), p.code, p.name, str(p.insurer_id), insurer, tuple(reasons)))
    return Screening(settings, wanted, needed, tuple(outcomes))


# ---- service ---------------------------------------------------------------------------------------

SCREENABLE = (PlacementStatus.DECIDING, PlacementStatus.TO_MARKET)
NOT_SCREENABLE = N_("Screening starts once the insured is deciding on the risk register.")


def _broker_placement(session: Session, actor: Actor, placement_id: object) -> Placement:
    """The placement for the broker's staff: 404 not-yours, 403 for the other parties (they never see
    why an insurer was left out), 409 before the insured decides."""
    placement = placement_service.get_placement(session, actor, placement_id)
    if not risk.is_broker(session, actor, placement):
        raise ActionNotAllowed()
    if placement.status not in SCREENABLE:
        raise Conflict(NOT_SCREENABLE)
    return placement


def check_settings(
    min_solvency: Decimal | None,
    ratings: Sequence[str] | None,
    fund_mode: str | None,
    perils: Sequence[str] | None = None,
) -> Settings:
    """The broker's thresholds for this screening (defaults where not given); 422 naming the field."""
    errors: dict[str, str] = {}
    default = Settings()
    if min_solvency is not None and (not min_solvency.is_finite() or not 0 <= min_solvency <= 10000):
        errors["min_solvency"] = products.RATIO_RANGE
    if ratings is not None and (not ratings or any(r not in cover.RISK_RATINGS for r in ratings)):
        errors["ratings"] = products.NOT_LISTED
    if fund_mode is not None and fund_mode not in cover.FUND_MODES:
        errors["fund_mode"] = products.NOT_LISTED
    if perils is not None and any(p not in cover.PERILS for p in perils):
        errors["perils"] = products.NOT_LISTED
    if errors:
        raise InvalidInput(fields=errors)
    return Settings(
        min_solvency=default.min_solvency if min_solvency is None else min_solvency,
        ratings=default.ratings if ratings is None else tuple(dict.fromkeys(ratings)),
        fund_mode=fund_mode or default.fund_mode,
        perils=None if perils is None else tuple(dict.fromkeys(perils)),
    )


def run(session: Session, placement: Placement, settings: Settings) -> Screening:
    published = select(InsurerProduct).where(InsurerProduct.status == ProductStatus.PUBLISHED)
    catalogue = list(session.execute(published.order_by(InsurerProduct.code)).unique().scalars())
    standings = {r.organisation_id: r for r in session.execute(select(Insurer)).unique().scalars()}
    points = [Point(p.ref, f"{p.title} {p.description}") for p in risk.points_of(session, placement.id)]
    return screen(
        catalogue,
        standings,
        lines=list(placement.lines or []),
        start=placement.period_start,
        subject=placement.subject or {},
        points=points,
        settings=settings,
    )


def preview(session: Session, actor: Actor, placement_id: object, settings: Settings) -> tuple[Placement, Screening]:
    placement = _broker_placement(session, actor, placement_id)
    return placement, run(session, placement, settings)


def outcome_json(o: Outcome) -> dict[str, Any]:
    return {
        "product_id": o.product_id,
        "code": o.code,
        "name": o.name,
        "insurer_id": o.insurer_id,
        "insurer": o.insurer,
        "reasons": [{"code": r.code, "params": dict(r.params)} for r in o.reasons],
    }


def criteria_json(result: Screening) -> dict[str, Any]:
    s = result.settings
    return {
        "min_solvency": str(s.min_solvency),
        "ratings": list(s.ratings),
        "fund_mode": s.fund_mode,
        "perils": result.perils,
        "largest_risk": str(result.largest_risk),
    }


def saved(session: Session, actor: Actor, placement_id: object) -> list[Shortlist]:
    """The saved versions, for the broker's staff."""
    placement = placement_service.get_placement(session, actor, placement_id)
    if not risk.is_broker(session, actor, placement):
        raise ActionNotAllowed()
    return shortlists(session, placement.id)


def shortlists(session: Session, case_id: uuid.UUID) -> list[Shortlist]:
    """Every saved version, newest first."""
    stmt = select(Shortlist).where(Shortlist.case_id == case_id).order_by(Shortlist.version.desc())
    return list(session.execute(stmt).scalars())


def save_shortlist(
    session: Session, actor: Actor, placement_id: object, settings: Settings, *, now: dt.datetime
) -> Shortlist:
    """Screen now and save the result as the next version (never updating an earlier one), audited."""
    placement, result = preview(session, actor, placement_id, settings)
    last = session.execute(select(func.max(Shortlist.version)).where(Shortlist.case_id == placement.id)).scalar()
    row = Shortlist(
        case_id=placement.id,
        version=(last or 0) + 1,
        criteria=criteria_json(result),
        kept=[outcome_json(o) for o in result.kept],
        excluded=[outcome_json(o) for o in result.excluded],
        created_at=now,
        created_by=actor.user_id,
    )
    session.add(row)
    session.flush()
    case_service.record_event(
        session,
        actor,
        placement_service.case_of(session, placement),
        "placement.shortlist",
        now=now,
        after={"version": row.version, "kept": [o.code for o in result.kept], "excluded": len(result.excluded)},
        audience=[PartyRole.BROKER.value],
    )
    return row


def describe(code: str, params: Mapping[str, str], gettext: Callable[[str], str] = str) -> str:
    """A reason in words, translated by ``gettext`` (the API passes none: English)."""
    values = dict(params)
    if "peril" in values:
        values["peril"] = gettext(cover.PERILS.get(values["peril"], values["peril"]))
    return gettext(REASONS.get(code, code)).format(**values)
