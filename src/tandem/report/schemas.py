"""Content schemas of the report kinds. The adjusting report's content (sections of loss items) is
validated at the claims' edge as before; the others are validated here, whatever the caller."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator, model_validator

from tandem.kit.errors import InvalidInput
from tandem.kit.limits import REASON_MAX

REPORT_KINDS = ("pre_assessment", "adjusting", "staged_risk", "termination")
RISK_KINDS = ("pre_assessment", "staged_risk")
RISK_LEVELS = ("低", "中", "高", "重大")
COEFFICIENT = Decimal("0.0001")  # a risk coefficient keeps 4 places (architecture §6)

Text = Annotated[str, Field(min_length=1, max_length=REASON_MAX)]
Short = Annotated[str, Field(min_length=1, max_length=200)]


def coefficient(value: Any) -> Decimal:
    """A loading coefficient: a decimal in (0, 10] with at most 4 places, never a float."""
    if isinstance(value, float):
        raise ValueError("give the coefficient as a decimal string, not a float")
    try:
        d = Decimal(str(value))
    except InvalidOperation:
        raise ValueError("not a number") from None
    if not d.is_finite() or d <= 0 or d > 10:
        raise ValueError("between 0 and 10")
    if d != d.quantize(COEFFICIENT):
        raise ValueError("at most 4 decimal places")
    return d.quantize(COEFFICIENT)


def money(value: Any) -> Decimal:
    """An amount of money: a non-negative decimal with at most 2 places, never a float."""
    if isinstance(value, float):
        raise ValueError("give the amount as a decimal string, not a float")
    try:
        d = Decimal(str(value).replace(",", ""))
    except InvalidOperation:
        raise ValueError("not a number") from None
    if not d.is_finite() or d < 0 or d != d.quantize(Decimal("0.01")) or d >= Decimal("1e15"):
        raise ValueError("a non-negative amount with at most 2 decimal places")
    return d.quantize(Decimal("0.01"))


class SectionValue(BaseModel):
    """One insured section of a site as the adjuster valued it: the replacement value (重置价值)."""

    model_config = ConfigDict(extra="forbid")
    ref: Annotated[str, Field(min_length=1, max_length=20)]
    replacement_value: Decimal
    basis: Annotated[str, Field(max_length=REASON_MAX)] = ""  # how it was valued (估价依据)

    @field_validator("replacement_value", mode="before")
    @classmethod
    def _money(cls, v: Any) -> Decimal:
        return money(v)


class SiteValue(BaseModel):
    """One site of the subject (标的) with its valued sections."""

    model_config = ConfigDict(extra="forbid")
    ref: Annotated[str, Field(min_length=1, max_length=20)]
    sections: Annotated[list[SectionValue], Field(max_length=100)]


class RiskPoint(BaseModel):
    """One hazard (风险点): where it is, its level and the loading coefficient the adjuster proposes."""

    model_config = ConfigDict(extra="forbid")
    ref: Annotated[str, Field(min_length=1, max_length=20)]
    title: Short
    description: Text
    location: Short
    level: Literal["低", "中", "高", "重大"]
    coefficient: Decimal
    advice: Text
    site_ref: Annotated[str, Field(max_length=20)] | None = None  # the site it was found on

    @field_validator("coefficient", mode="before")
    @classmethod
    def _coefficient(cls, v: Any) -> Decimal:
        return coefficient(v)


class RiskReport(BaseModel):
    """《预评估报告》 (R-U3) and 《阶段性风险评价报告》 (R-U9): the subject, the risk points, advice and the
    environmental (环评) and safety (安评) findings."""

    model_config = ConfigDict(extra="forbid")
    subject: Text
    risk_points: Annotated[list[RiskPoint], Field(min_length=1, max_length=500)]
    advice: Text
    environmental: Text  # 环评
    safety: Text  # 安评
    unremedied: list[Annotated[str, Field(max_length=20)]] = []  # staged: earlier points still open
    sites: Annotated[list[SiteValue], Field(max_length=100)] = []  # pre-assessment: values per site/section


POINT_STATES = ("remedied", "not_remedied", "worse")


class EarlierPoint(BaseModel):
    """A risk point of an earlier stage as the re-survey found it, with the evidence (what was seen)."""

    model_config = ConfigDict(extra="forbid")
    ref: Annotated[str, Field(min_length=1, max_length=20)]
    state: Literal["remedied", "not_remedied", "worse"]
    evidence: Text
    level: Literal["低", "中", "高", "重大"] | None = None  # worse: its level now


class StagedRiskReport(RiskReport):
    """《阶段性风险评价报告》 (R-U9): every earlier open point with its state and evidence (``earlier``) and
    the new points found (``risk_points``, possibly none)."""

    risk_points: Annotated[list[RiskPoint], Field(max_length=500)] = []
    earlier: Annotated[list[EarlierPoint], Field(max_length=500)] = []


#: The heads of the loss a suspension or termination causes the insured (R-U10): the premium refund due,
#: the cost of replacement cover for the rest of the period (a new quote minus the refund), losses left
#: uncovered during the suspension, and other costs — each with its evidence.
TERMINATION_HEADS = ("refund_due", "replacement_cost", "uncovered_losses", "other_costs")


class TerminationHead(BaseModel):
    """One head of the loss a suspension or termination causes, with the evidence for it."""

    model_config = ConfigDict(extra="forbid")
    head: Literal["refund_due", "replacement_cost", "uncovered_losses", "other_costs"]
    amount: Annotated[Decimal, BeforeValidator(money)]
    evidence: Text


class TerminationReport(BaseModel):
    """《保险合同效力中止或终止评估报告》 (R-U10): the loss the suspension or termination causes the insured,
    by head (refund due, replacement cover minus the refund, losses uncovered during the suspension, other
    costs), each with its evidence; ``assessed_loss`` is their sum (worked out when not given)."""

    model_config = ConfigDict(extra="forbid")
    cause: Text
    basis: Text
    heads: Annotated[list[TerminationHead], Field(min_length=1, max_length=20)]
    assessed_loss: Annotated[Decimal | None, BeforeValidator(lambda v: None if v is None else money(v))] = None

    @model_validator(mode="after")
    def _sum(self) -> TerminationReport:
        total = sum((h.amount for h in self.heads), Decimal(0))
        if self.assessed_loss is not None and self.assessed_loss != total:
            raise ValueError(f"assessed_loss must be the sum of the heads ({total:.2f})")
        self.assessed_loss = total
        return self


def _json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json(v) for v in value]
    return value


def validate_content(kind: str, content: dict[str, Any]) -> dict[str, Any]:
    """The content of a report of ``kind`` in canonical form (decimals as strings); 422 naming the field."""
    if kind not in REPORT_KINDS:
        raise InvalidInput("Unknown report kind.", fields={"kind": ", ".join(REPORT_KINDS)})
    if kind == "adjusting":
        return content
    model: type[BaseModel] = (
        StagedRiskReport if kind == "staged_risk" else RiskReport if kind in RISK_KINDS else TerminationReport
    )
    try:
        parsed = model.model_validate(content)
    except ValidationError as exc:
        fields = {".".join(str(p) for p in e["loc"]): e["msg"] for e in exc.errors()}
        raise InvalidInput("The report content is not valid.", fields=fields) from None
    if isinstance(parsed, RiskReport):
        refs = [p.ref for p in parsed.risk_points]
        if len(set(refs)) != len(refs):
            raise InvalidInput("The report content is not valid.", fields={"risk_points": "refs must be unique"})
    out: dict[str, Any] = _json(parsed.model_dump())
    return out


def assessed_amount(kind: str, content: dict[str, Any]) -> Decimal:
    """The amount a report assesses: the itemised loss (adjusting), the loss the termination causes, and
    nothing for the risk reports."""
    if kind == "adjusting":
        return sum((Decimal(str(i["loss"])) for s in content["sections"] for i in s["items"]), Decimal(0))
    if kind == "termination":
        return Decimal(str(content["assessed_loss"]))
    return Decimal(0)
