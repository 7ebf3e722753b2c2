"""API input/output models shared by the foundation endpoints (pydantic 2, strict where it matters)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer

from tandem.kit import ids
from tandem.kit.money import fmt

if TYPE_CHECKING:
    from tandem.routing.service import Recommendation

MoneyOut = Annotated[Decimal, PlainSerializer(lambda v: fmt(v), return_type=str)]
RateOut = Annotated[Decimal, PlainSerializer(lambda v: format(v, "f"), return_type=str)]


def _money_in(v: Decimal) -> Decimal:
    if not v.is_finite():
        raise ValueError("must be a finite amount")
    if v < 0:
        raise ValueError("must not be negative")
    if v.as_tuple().exponent < -2:  # type: ignore[operator]
        raise ValueError("at most two decimals")
    if v > Decimal("1e15"):
        raise ValueError("too large")
    return v


def _rate_in(v: Decimal) -> Decimal:
    if not v.is_finite() or v < 0 or v > 1:
        raise ValueError("must be between 0 and 1")
    return v


def _uscc(v: str) -> str:
    try:
        return ids.normalise_uscc(v)
    except ids.IdentifierError as exc:
        raise ValueError(f"invalid unified social credit code: {exc}") from None


def _id_number(v: str) -> str:
    try:
        return ids.normalise_id_number(v)
    except ids.IdentifierError as exc:
        raise ValueError(f"invalid resident ID number: {exc}") from None


# Times and dates people enter: an insurance record spans decades, never years 1 or 9999, whose
# neighbourhood overflows as soon as an offset or a deadline is added.
EARLIEST_YEAR, LATEST_YEAR = 1900, 2199
OUT_OF_RANGE = f"must be between the years {EARLIEST_YEAR} and {LATEST_YEAR}"


def as_utc(v: dt.datetime) -> dt.datetime:
    """An aware datetime in UTC, within the supported years; ValueError (a 422 naming the field) else."""
    if v.tzinfo is None:
        raise ValueError("must include a UTC offset, e.g. 2026-11-24T08:30:00+08:00")
    try:
        utc = v.astimezone(dt.UTC)
    except OverflowError:
        raise ValueError(OUT_OF_RANGE) from None
    if not EARLIEST_YEAR <= utc.year <= LATEST_YEAR:
        raise ValueError(OUT_OF_RANGE)
    return utc


def bounded_date(v: dt.date) -> dt.date:
    if not EARLIEST_YEAR <= v.year <= LATEST_YEAR:
        raise ValueError(OUT_OF_RANGE)
    return v


UtcDateTime = Annotated[dt.datetime, AfterValidator(as_utc)]
Date = Annotated[dt.date, AfterValidator(bounded_date)]
MoneyIn = Annotated[Decimal, Field(allow_inf_nan=False), AfterValidator(_money_in)]
RateIn = Annotated[Decimal, Field(allow_inf_nan=False), AfterValidator(_rate_in)]
Uscc = Annotated[str, Field(min_length=18, max_length=18), AfterValidator(_uscc)]
IdNumber = Annotated[str, Field(min_length=15, max_length=18), AfterValidator(_id_number)]
Name = Annotated[str, Field(min_length=1, max_length=200)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Ref(BaseModel):
    id: uuid.UUID
    name: str


class Page(BaseModel):
    items: list[Any]
    next: str | None = None


class RecAdjuster(BaseModel):
    id: uuid.UUID
    name: str
    firm: str


class Recommended(BaseModel):
    adjuster: RecAdjuster
    score: float
    reasons: list[str]


class Excluded(BaseModel):
    adjuster: RecAdjuster
    reasons: list[str]
    # The declared interests (回避) behind ``conflict_of_interest``, as ``kind:organisation``.
    declarations: list[str] = []


class RecommendationsOut(BaseModel):
    """The routing engine's answer for any case: eligible adjusters ranked with why (``reasons``: the
    "reason:value:points" codes), the excluded ones with their exclusion codes."""

    recommended: list[Recommended]
    excluded: list[Excluded]

    @classmethod
    def ranked(cls, recs: Iterable[Recommendation]) -> RecommendationsOut:
        """Every adjuster: the eligible ranked (score, then name), the excluded with their reasons."""
        recs = list(recs)
        ok = sorted((r for r in recs if not r.reasons), key=lambda r: (-r.score, r.adjuster.name))
        return cls(
            recommended=[Recommended(adjuster=_rec_ref(r), score=r.score, reasons=r.explain) for r in ok],
            excluded=[
                Excluded(adjuster=_rec_ref(r), reasons=r.reasons, declarations=r.declarations)
                for r in recs
                if r.reasons
            ],
        )

    @classmethod
    def chosen(cls, rec: Recommendation | None) -> RecommendationsOut:
        """What a party that does not choose sees: at most the adjuster chosen and why, no judgement."""
        if rec is None:
            return cls(recommended=[], excluded=[])
        return cls(recommended=[Recommended(adjuster=_rec_ref(rec), score=rec.score, reasons=rec.explain)], excluded=[])


def _rec_ref(r: Recommendation) -> RecAdjuster:
    return RecAdjuster(id=r.adjuster.id, name=r.adjuster.name, firm=r.adjuster.firm.organisation.name)


class TokenRequest(Strict):
    username: Annotated[str, Field(min_length=1, max_length=64)]
    password: Annotated[str, Field(min_length=1, max_length=256)]
    # The account's second factor, when it has one: the 6 digits of the app, or a recovery code.
    totp_code: Annotated[str, Field(min_length=1, max_length=20)] | None = None


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - OAuth token type, not a secret
    expires_at: dt.datetime


class ErrorBody(BaseModel):
    code: str
    message: str
    fields: dict[str, str] | None = None


class ErrorResponse(BaseModel):
    error: ErrorBody


class ConfirmIn(Strict):
    """The body of a step that cannot be undone: ``{"confirm": true}`` (else 422 naming ``confirm``)."""

    confirm: bool = False
