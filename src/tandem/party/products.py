"""Insurers' products (保险产品) and the insurer's standing: validation, writes, status changes, audit.

Only an insurer's underwriters write its products and its standing; another insurer gets 404 for a
product that is not its own (even a published one it may read), the other parties 403 for one they
may read. Validation collects every bad field (``rates[1].rate_permille``: message) into one 422;
the messages are msgids, so the pages show them translated beside the fields and the API in English.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.access import scope
from tandem.access.actor import Actor
from tandem.access.models import Organisation, OrgKind
from tandem.access.permissions import Perm, roles_with
from tandem.audit import service as audit
from tandem.kit import transition
from tandem.kit.errors import ActionNotAllowed, Conflict, InvalidInput, NotFound, StateChanged
from tandem.kit.i18n import N_
from tandem.kit.money import out_of_range
from tandem.party import cover
from tandem.party.models import Insurer, InsurerProduct, ProductStatus
from tandem.premium.engine import CURRENCIES, ShortPeriod

# What can be wrong with a field (msgids; the API sends the English).
REQUIRED = N_("Required.")
TOO_LONG = N_("Too long.")
BAD_CODE = N_("Use letters, digits, dots, dashes or underscores.")
NONE_GIVEN = N_("Give at least one.")
NOT_LISTED = N_("Not a value of the list.")
TWICE = N_("Listed twice.")
COVERED_AND_EXCLUDED = N_("Also listed as covered.")
NOT_POSITIVE = N_("Must be greater than 0.")
RATE_RANGE = N_("Must be greater than 0 and at most 1000 ‰.")
NEGATIVE = N_("Must not be negative.")
CENTS = N_("At most two decimals.")
TOO_LARGE = N_("The amount is too large.")
TOO_PRECISE = N_("At most 6 decimals.")
MAX_BELOW_MIN = N_("Below the minimum.")
UNTIL_BEFORE_FROM = N_("Before the start of validity.")
CODE_TAKEN = N_("This product code is already in use.")
RATIO_RANGE = N_("Enter a ratio between 0 and 10000 %.")
IN_FUTURE = N_("A date that has not come yet.")
NOT_SAVED = N_("The product was not saved: correct the fields named.")
STANDING_NOT_SAVED = N_("The standing was not saved: correct the fields named.")
WITHDRAWN_FROZEN = N_("A withdrawn product cannot be changed; publish it again first.")

_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_MAX_AMOUNT = Decimal("1e15")
_THOUSAND = Decimal(1000)
_RATIO_MAX = Decimal(10000)

WRITERS = frozenset(r.value for r in roles_with(Perm.MANAGE_PRODUCTS))
PRODUCT_RULES: transition.Table = {
    ("draft", "publish"): transition.Rule(to="published", by=WRITERS),
    ("published", "withdraw"): transition.Rule(to="withdrawn", by=WRITERS),
    ("withdrawn", "publish"): transition.Rule(to="published", by=WRITERS),
}


@dataclass(frozen=True)
class Rate:
    """A rate in per mille (‰) for one section type."""

    section_type: str
    rate_permille: Decimal


@dataclass(frozen=True)
class FactorRange:
    """The range a rating factor's value may take under this product."""

    code: str
    min: Decimal
    max: Decimal


@dataclass
class ProductData:
    """A product as typed in (API body or page form), before validation. ``None`` = not given."""

    code: str = ""
    name: str = ""
    lines: list[str] = field(default_factory=list)
    fund_mode: str = ""
    summary: str = ""
    perils_covered: list[str] = field(default_factory=list)
    perils_excluded: list[str] = field(default_factory=list)
    currency: str = "CNY"
    capacity: Decimal | None = None
    rates: list[Rate] = field(default_factory=list)
    factors: list[FactorRange] = field(default_factory=list)
    coefficient_min: Decimal | None = None
    coefficient_max: Decimal | None = None
    minimum_premium: Decimal | None = None
    short_period: str = ShortPeriod.TABLE.value
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None


# ---- validation ---------------------------------------------------------------------------------


def _codes(
    values: Sequence[str],
    path: str,
    vocabulary: Mapping[str, str] | Sequence[str],
    errors: dict[str, str],
    key: str = "",
) -> None:
    """Each value is a code of the vocabulary, and none twice (the later one is named)."""
    seen: set[str] = set()
    for i, value in enumerate(values):
        if value not in vocabulary:
            errors.setdefault(f"{path}[{i}]{key}", NOT_LISTED)
        elif value in seen:
            errors.setdefault(f"{path}[{i}]{key}", TWICE)
        seen.add(value)


def _positive(value: Decimal | None, path: str, errors: dict[str, str], *, required: bool = True) -> None:
    if value is None:
        if required:
            errors[path] = REQUIRED
    elif not value.is_finite() or value <= 0:
        errors[path] = NOT_POSITIVE
    elif out_of_range(value, digits=6, places=6):
        errors[path] = TOO_PRECISE


def _amount(value: Decimal | None, path: str, errors: dict[str, str], *, positive: bool) -> None:
    if value is None:
        errors[path] = REQUIRED
    elif not value.is_finite() or value < 0:
        errors[path] = NEGATIVE
    elif positive and value == 0:
        errors[path] = NOT_POSITIVE
    elif value > _MAX_AMOUNT:
        errors[path] = TOO_LARGE
    elif out_of_range(value, digits=16, places=2):
        errors[path] = CENTS


def _text(value: str, path: str, limit: int, errors: dict[str, str], *, required: bool = True) -> None:
    if required and not value.strip():
        errors[path] = REQUIRED
    elif len(value) > limit:
        errors[path] = TOO_LONG


def validate(data: ProductData) -> dict[str, str]:
    """Every bad field of ``data`` by its path (empty when it is good)."""
    errors: dict[str, str] = {}
    _text(data.code, "code", 40, errors)
    if "code" not in errors and not _CODE.fullmatch(data.code):
        errors["code"] = BAD_CODE
    _text(data.name, "name", 200, errors)
    if not data.lines:
        errors["lines"] = NONE_GIVEN
    _codes(data.lines, "lines", cover.LINES, errors)
    if data.fund_mode not in cover.FUND_MODES:
        errors["fund_mode"] = REQUIRED if not data.fund_mode else NOT_LISTED
    _text(data.summary, "summary", 2000, errors, required=False)
    if not data.perils_covered:
        errors["perils_covered"] = NONE_GIVEN
    _codes(data.perils_covered, "perils_covered", cover.PERILS, errors)
    _codes(data.perils_excluded, "perils_excluded", cover.PERILS, errors)
    for i, peril in enumerate(data.perils_excluded):
        if peril in data.perils_covered:
            errors.setdefault(f"perils_excluded[{i}]", COVERED_AND_EXCLUDED)
    if data.currency not in CURRENCIES:
        errors["currency"] = NOT_LISTED
    _amount(data.capacity, "capacity", errors, positive=True)
    if not data.rates:
        errors["rates"] = NONE_GIVEN
    _codes([r.section_type for r in data.rates], "rates", cover.SECTION_TYPES, errors, ".section_type")
    for i, rate in enumerate(data.rates):
        path = f"rates[{i}].rate_permille"
        _positive(rate.rate_permille, path, errors)
        if path not in errors and rate.rate_permille > _THOUSAND:
            errors[path] = RATE_RANGE
    _codes([f.code for f in data.factors], "factors", cover.RATING_FACTORS, errors, ".code")
    for i, factor in enumerate(data.factors):
        _bounds(factor.min, factor.max, f"factors[{i}].min", f"factors[{i}].max", errors, required=True)
    _bounds(data.coefficient_min, data.coefficient_max, "coefficient_min", "coefficient_max", errors, required=False)
    _amount(data.minimum_premium, "minimum_premium", errors, positive=False)
    if data.short_period not in {m.value for m in ShortPeriod}:
        errors["short_period"] = NOT_LISTED
    if data.valid_from is None:
        errors["valid_from"] = REQUIRED
    elif data.valid_until is not None and data.valid_until < data.valid_from:
        errors["valid_until"] = UNTIL_BEFORE_FROM
    return errors


def _bounds(
    low: Decimal | None, high: Decimal | None, low_path: str, high_path: str, errors: dict[str, str], *, required: bool
) -> None:
    _positive(low, low_path, errors, required=required)
    _positive(high, high_path, errors, required=required)
    if low is not None and high is not None and low_path not in errors and high_path not in errors and high < low:
        errors[high_path] = MAX_BELOW_MIN


# ---- the stored form ----------------------------------------------------------------------------


def _dec(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def rates_of(p: InsurerProduct) -> list[Rate]:
    return [Rate(r["section_type"], Decimal(r["rate_permille"])) for r in p.rates or []]


def factors_of(p: InsurerProduct) -> list[FactorRange]:
    return [FactorRange(f["code"], Decimal(f["min"]), Decimal(f["max"])) for f in p.factors or []]


def data_of(p: InsurerProduct) -> ProductData:
    """The product as editable data (the form's starting values)."""
    return ProductData(
        code=p.code,
        name=p.name,
        lines=list(p.lines or []),
        fund_mode=p.fund_mode,
        summary=p.summary,
        perils_covered=list(p.perils_covered or []),
        perils_excluded=list(p.perils_excluded or []),
        currency=p.currency,
        capacity=p.capacity,
        rates=rates_of(p),
        factors=factors_of(p),
        coefficient_min=p.coefficient_min,
        coefficient_max=p.coefficient_max,
        minimum_premium=p.minimum_premium,
        short_period=p.short_period,
        valid_from=p.valid_from,
        valid_until=p.valid_until,
    )


def product_json(p: InsurerProduct) -> dict[str, Any]:
    """What the audit trail keeps of a product (figures as strings)."""
    return {
        "code": p.code,
        "name": p.name,
        "status": p.status.value,
        "lines": list(p.lines or []),
        "fund_mode": p.fund_mode,
        "summary": p.summary,
        "perils_covered": list(p.perils_covered or []),
        "perils_excluded": list(p.perils_excluded or []),
        "currency": p.currency,
        "capacity": _dec(p.capacity),
        "rates": list(p.rates or []),
        "factors": list(p.factors or []),
        "coefficient_min": _dec(p.coefficient_min),
        "coefficient_max": _dec(p.coefficient_max),
        "minimum_premium": _dec(p.minimum_premium),
        "short_period": p.short_period,
        "valid_from": p.valid_from.isoformat() if p.valid_from else None,
        "valid_until": p.valid_until.isoformat() if p.valid_until else None,
        "version": p.version,
    }


def _apply(p: InsurerProduct, data: ProductData) -> None:
    p.code = data.code.strip()
    p.name = data.name.strip()
    p.lines = list(data.lines)
    p.fund_mode = data.fund_mode
    p.summary = data.summary.strip()
    p.perils_covered = list(data.perils_covered)
    p.perils_excluded = list(data.perils_excluded)
    p.currency = data.currency
    p.capacity = data.capacity
    p.rates = [{"section_type": r.section_type, "rate_permille": format(r.rate_permille, "f")} for r in data.rates]
    p.factors = [{"code": f.code, "min": format(f.min, "f"), "max": format(f.max, "f")} for f in data.factors]
    p.coefficient_min = data.coefficient_min
    p.coefficient_max = data.coefficient_max
    p.minimum_premium = data.minimum_premium if data.minimum_premium is not None else Decimal(0)
    p.short_period = data.short_period
    p.valid_from = data.valid_from
    p.valid_until = data.valid_until


# ---- writes -------------------------------------------------------------------------------------


def _require_writer(actor: Actor) -> None:
    if actor.org_kind != OrgKind.INSURER or not actor.can(Perm.MANAGE_PRODUCTS):
        raise ActionNotAllowed()


def _check(session: Session, actor: Actor, data: ProductData, exclude: uuid.UUID | None = None) -> None:
    errors = validate(data)
    if errors:
        raise InvalidInput(NOT_SAVED, fields=errors)
    taken = select(InsurerProduct.id).where(InsurerProduct.code == data.code.strip())  # unique on the platform
    if exclude is not None:
        taken = taken.where(InsurerProduct.id != exclude)
    if session.execute(taken).first() is not None:
        raise Conflict(CODE_TAKEN, fields={"code": CODE_TAKEN})


def own_product(session: Session, actor: Actor, product_id: object) -> InsurerProduct:
    """A product the actor may change: another insurer's is not found (even a published one), a
    product the actor may only read is 403."""
    product = scope.get_product(session, actor, product_id)
    if actor.org_kind == OrgKind.INSURER and product.insurer_id != actor.org_id:
        raise NotFound()
    _require_writer(actor)
    return product


def _audit(
    session: Session,
    actor: Actor,
    product: InsurerProduct,
    action: str,
    at: dt.datetime,
    before: dict[str, Any] | None,
    after: dict[str, Any],
) -> None:
    """One product event on the insurer's chain, in the caller's transaction."""
    audit.record(
        session,
        actor.ref,
        action=action,
        entity_type="insurer_product",
        entity_id=product.id,
        at=at,
        chain_key=f"org:{product.insurer_id}",
        before=before,
        after=after,
        request_id=actor.request_id,
    )


def create_product(session: Session, actor: Actor, data: ProductData, *, at: dt.datetime) -> InsurerProduct:
    """A new product of the actor's insurer, as a draft."""
    _require_writer(actor)
    _check(session, actor, data)
    product = InsurerProduct(insurer_id=actor.org_id, status=ProductStatus.DRAFT, version=1, updated_at=at)
    _apply(product, data)
    session.add(product)
    session.flush()
    _audit(session, actor, product, "product.created", at, None, product_json(product))
    return product


def update_product(
    session: Session,
    actor: Actor,
    product_id: object,
    data: ProductData,
    *,
    at: dt.datetime,
    version: int | None = None,
) -> InsurerProduct:
    """Replace a product's data; ``version`` (when given) must be the one the writer read."""
    product = own_product(session, actor, product_id)
    if product.status == ProductStatus.WITHDRAWN:
        raise Conflict(WITHDRAWN_FROZEN)
    if version is not None and version != product.version:
        raise StateChanged()
    _check(session, actor, data, exclude=product.id)
    before = product_json(product)
    _apply(product, data)
    product.version += 1
    product.updated_at = at
    session.flush()
    _audit(session, actor, product, "product.updated", at, before, product_json(product))
    return product


def change_status(
    session: Session, actor: Actor, product_id: object, action: str, *, at: dt.datetime
) -> InsurerProduct:
    """``publish`` (offer it to the market) or ``withdraw`` (no longer offered), per PRODUCT_RULES."""
    product = own_product(session, actor, product_id)
    before = product.status.value
    rule = transition.resolve(PRODUCT_RULES, before, action, frozenset(r.value for r in actor.roles))
    if action == "publish":
        errors = validate(data_of(product))  # a product moved by migration 0010 may lack its figures
        if errors:
            raise InvalidInput(NOT_SAVED, fields=errors)
    product.status = ProductStatus(rule.to)
    product.version += 1
    product.updated_at = at
    session.flush()
    event = {"publish": "product.published", "withdraw": "product.withdrawn"}[action]
    _audit(session, actor, product, event, at, {"status": before}, {"status": rule.to})
    return product


def in_force(p: InsurerProduct, today: dt.date) -> bool:
    """Published and valid today."""
    return (
        p.status == ProductStatus.PUBLISHED
        and p.valid_from is not None
        and p.valid_from <= today
        and (p.valid_until is None or today <= p.valid_until)
    )


# ---- the insurer's standing ---------------------------------------------------------------------


@dataclass
class StandingData:
    solvency_ratio: Decimal | None = None  # 综合偿付能力充足率, in %
    risk_rating: str = ""  # 风险综合评级
    as_of: dt.date | None = None


def validate_standing(data: StandingData, today: dt.date) -> dict[str, str]:
    errors: dict[str, str] = {}
    ratio = data.solvency_ratio
    if ratio is None:
        errors["solvency_ratio"] = REQUIRED
    elif not ratio.is_finite() or ratio < 0 or ratio > _RATIO_MAX:
        errors["solvency_ratio"] = RATIO_RANGE
    elif out_of_range(ratio, digits=6, places=2):
        errors["solvency_ratio"] = CENTS
    if data.risk_rating not in cover.RISK_RATINGS:
        errors["risk_rating"] = REQUIRED if not data.risk_rating else NOT_LISTED
    if data.as_of is None:
        errors["as_of"] = REQUIRED
    elif data.as_of > today:
        errors["as_of"] = IN_FUTURE
    return errors


def insurer_record(session: Session, org: Organisation) -> Insurer:
    """The insurer's record, made when an insurer organisation has none yet."""
    record = session.get(Insurer, org.id)
    if record is None:
        record = Insurer(organisation_id=org.id)
        session.add(record)
        session.flush()
    return record


def visible_insurers(session: Session, actor: Actor) -> list[Organisation]:
    """Insurers whose standing the actor may read: everyone who reads products (it is disclosed publicly)."""
    if actor.org_kind not in (OrgKind.BROKER, OrgKind.INSURER, OrgKind.SUPERVISION, OrgKind.PLATFORM):
        return []
    stmt = select(Organisation).where(Organisation.kind == OrgKind.INSURER).order_by(Organisation.name)
    return list(session.execute(stmt).scalars())


def get_insurer(session: Session, actor: Actor, insurer_id: object) -> Organisation:
    for org in visible_insurers(session, actor):
        if str(org.id) == str(insurer_id):
            return org
    raise NotFound()


def _own_record(
    session: Session, actor: Actor, insurer_id: object, errors: dict[str, str], message: str
) -> tuple[Organisation, Insurer]:
    """The insurer's record for its own underwriters (404 for another insurer's, 403 for the others);
    422 with ``errors`` when there are any."""
    org = get_insurer(session, actor, insurer_id)
    if actor.org_kind == OrgKind.INSURER and org.id != actor.org_id:
        raise NotFound()
    _require_writer(actor)
    if errors:
        raise InvalidInput(message, fields=errors)
    return org, insurer_record(session, org)


def _recorded(
    session: Session,
    actor: Actor,
    org: Organisation,
    action: str,
    at: dt.datetime,
    before: dict[str, Any],
    after: dict[str, Any],
) -> None:
    session.flush()
    audit.record(
        session,
        actor.ref,
        action=action,
        entity_type="insurer",
        entity_id=org.id,
        at=at,
        chain_key=f"org:{org.id}",
        before=before,
        after=after,
        request_id=actor.request_id,
    )


def set_standing(
    session: Session, actor: Actor, insurer_id: object, data: StandingData, *, at: dt.datetime, today: dt.date
) -> Insurer:
    """Record the insurer's latest disclosed solvency ratio and risk rating (its own underwriters only)."""
    org, record = _own_record(session, actor, insurer_id, validate_standing(data, today), STANDING_NOT_SAVED)
    before = standing_json(record)
    record.solvency_ratio = data.solvency_ratio
    record.risk_rating = data.risk_rating
    record.standing_as_of = data.as_of
    _recorded(session, actor, org, "insurer.standing_recorded", at, before, standing_json(record))
    return record


STEPS_MAX = 12
STEP_TOO_LONG = N_("A step is at most 200 characters.")
STEPS_TOO_MANY = N_("At most 12 steps.")
DAYS_RANGE = N_("Give a whole number of working days from 1 to 365.")
UNDERWRITING_NOT_SAVED = N_("The underwriting process was not saved: correct the fields named.")


@dataclass
class UnderwritingData:
    """The underwriting process as the insurer declares it (承保流程): its steps in order and the
    turnaround in working days from a complete submission to a quote."""

    steps: list[str]
    days: int | None


def validate_underwriting(data: UnderwritingData) -> dict[str, str]:
    errors: dict[str, str] = {}
    steps = [s.strip() for s in data.steps]
    if not steps or not all(steps):
        errors["steps"] = REQUIRED
    elif len(steps) > STEPS_MAX:
        errors["steps"] = STEPS_TOO_MANY
    for n, step in enumerate(steps):
        if len(step) > 200:
            errors[f"steps[{n}]"] = STEP_TOO_LONG
    if data.days is None:
        errors["turnaround_days"] = REQUIRED
    elif not 1 <= data.days <= 365:
        errors["turnaround_days"] = DAYS_RANGE
    return errors


def set_underwriting(
    session: Session, actor: Actor, insurer_id: object, data: UnderwritingData, *, at: dt.datetime
) -> Insurer:
    """Record the insurer's declared underwriting process (its own underwriters only), audited."""
    errors = validate_underwriting(data)
    org, record = _own_record(session, actor, insurer_id, errors, UNDERWRITING_NOT_SAVED)
    before = {"steps": list(record.underwriting_steps or []), "days": record.underwriting_days}
    record.underwriting_steps = [s.strip() for s in data.steps]
    record.underwriting_days = data.days
    after = {"steps": record.underwriting_steps, "days": record.underwriting_days}
    _recorded(session, actor, org, "insurer.underwriting_declared", at, before, after)
    return record


def standing_json(record: Insurer) -> dict[str, Any]:
    return {
        "solvency_ratio": _dec(record.solvency_ratio),
        "risk_rating": record.risk_rating,
        "as_of": record.standing_as_of.isoformat() if record.standing_as_of else None,
    }
