"""What the amount engine is fed for a claim (R-C4) and where each figure came from: the policy's sections
and their wording options, the items and replacement values (重置价值) of the adjusting report or the MoU,
and what other claims on the same policy section have paid (for aggregate limits and a sum insured that is
not reinstated, 保险金额不恢复)."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.claim.models import Claim, Payment
from tandem.kit.errors import Conflict, InvalidInput
from tandem.kit.money import round_cny
from tandem.policy import versions as policy_versions
from tandem.policy.models import PolicySection
from tandem.settlement import calculator
from tandem.settlement.models import AmountConfirmation

# Stored on ``policy_section.options``: the engine's ``options`` keys, and two keys of its ``deductible``.
OPTION_KEYS = ("basis", "salvage", "sum_insured_reduces", "liability_ratio")
DEDUCTIBLE_KEYS = {"deductible_kind": "kind", "deductible_rate_base": "rate_base"}

Sources = dict[str, dict[str, Any]]  # section code -> {"items", "insured_value", "sum_insured", "paid_to_date"}


def _money(v: Decimal | None) -> str | None:
    return str(v) if v is not None else None


def section_doc(
    ps: PolicySection,
    items: list[dict[str, Any]],
    *,
    insured_value: Decimal | None,
    paid_to_date: Decimal = Decimal("0"),
    options: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One section of the engine's input: the policy's terms and options with the given items."""
    stored = ps.options if options is None else options
    ded: dict[str, Any] = {}
    if ps.deductible_amount is not None:
        ded["amount"] = str(ps.deductible_amount)
    if ps.deductible_rate is not None:
        ded["rate"] = format(ps.deductible_rate, "f")
    ded.update({engine: stored[key] for key, engine in DEDUCTIBLE_KEYS.items() if stored.get(key) is not None})
    doc: dict[str, Any] = {
        "code": ps.code,
        "sum_insured": _money(ps.sum_insured),
        "insured_value": _money(insured_value),
        "deductible": ded or None,
        "per_occurrence_limit": _money(ps.per_occurrence_limit),
        "aggregate_limit": _money(ps.aggregate_limit),
        "paid_to_date": f"{round_cny(paid_to_date):.2f}",
        "items": items,
    }
    opts = {k: stored[k] for k in OPTION_KEYS if stored.get(k) is not None}
    if opts:
        doc["options"] = opts
    return doc


def check_options(ps: PolicySection, options: dict[str, Any], path: str) -> None:
    """Refuse options the engine would refuse for this section, naming ``{path}.options.<key>``."""
    unknown = sorted(set(options) - set(OPTION_KEYS) - set(DEDUCTIBLE_KEYS))
    if unknown:
        raise InvalidInput("Unknown policy option.", fields={f"{path}.options.{unknown[0]}": "unknown option"})
    doc = section_doc(ps, [{"loss": "0"}], insured_value=ps.insured_value, options=options)
    try:
        calculator.parse_input({"currency": "CNY", "sections": [doc]})
    except calculator.CalcInputError as exc:
        where = exc.path.removeprefix("sections[0].")
        for key, engine in DEDUCTIBLE_KEYS.items():
            where = where.replace(f"deductible.{engine}", f"options.{key}")
        if where == "deductible.rate":
            where = "options.deductible_rate_base"
        raise InvalidInput("Invalid policy option.", fields={f"{path}.{where}": exc.message}) from None


def paid_by_other_claims(session: Session, claim: Claim) -> dict[str, list[tuple[str, Decimal]]]:
    """Per policy section: (claim number, amount) that the policy's other claims have been paid.

    A claim's payments (advances and the final payment) are split over its sections in proportion to the
    payable of its latest amount confirmation (the last section takes the rounding remainder); payments on
    a claim without a confirmation cannot be attributed to a section and are left out."""
    others = {
        c.id: c.number
        for c in session.execute(
            select(Claim).where(Claim.policy_id == claim.policy_id, Claim.id != claim.id)
        ).scalars()
    }
    if not others:
        return {}
    paid: dict[uuid.UUID, Decimal] = {}
    for p in session.execute(select(Payment).where(Payment.claim_id.in_(list(others)))).scalars():
        paid[p.claim_id] = paid.get(p.claim_id, Decimal(0)) + p.amount
    out: dict[str, list[tuple[str, Decimal]]] = {}
    for claim_id, amount in sorted(paid.items(), key=lambda kv: others[kv[0]]):
        conf = session.execute(
            select(AmountConfirmation)
            .where(AmountConfirmation.claim_id == claim_id)
            .order_by(AmountConfirmation.confirmed_at.desc())
            .limit(1)
        ).scalar_one_or_none()
        if conf is None:
            continue
        shares = [(s["code"], Decimal(s["payable"])) for s in conf.calc_result["sections"]]
        total = sum((v for _, v in shares), Decimal(0))
        if total <= 0:
            continue
        left = round_cny(amount)
        for i, (code, payable) in enumerate(shares):
            part = left if i == len(shares) - 1 else round_cny(amount * payable / total)
            left -= part
            if part > 0:
                out.setdefault(code, []).append((others[claim_id], part))
    return out


def replacement_value(section: dict[str, Any]) -> Decimal | None:
    value = section.get("replacement_value")
    return Decimal(str(value)) if value not in (None, "") else None


def calc_input(
    session: Session,
    claim: Claim,
    content: dict[str, Any],
    *,
    basis: tuple[str, str],
    advance_paid: Decimal,
) -> tuple[dict[str, Any], Sources]:
    """The engine's input for ``content`` (a report's or an MoU's) and the source of its figures.

    ``basis`` is ("report", number) or ("mou", number). The insured value of a section is the replacement
    value the basis gives for it, else the value declared on the policy."""
    policy = claim.policy
    # The version of the cover in force at the loss time (issue 16: mid-term changes).
    policy_sections = {s.code: s for s in policy_versions.sections_at(session, policy, claim.loss_at)}
    paid = paid_by_other_claims(session, claim)
    kind, number = basis
    sections, sources = [], {}
    for sec in content["sections"]:
        ps = policy_sections.get(sec["code"])
        if ps is None:
            raise Conflict("Report section {code} is not a section of the policy.", code=sec["code"])
        rv = replacement_value(sec)
        earlier = paid.get(ps.code, [])
        items = [
            {
                "ref": str(i["ref"]),
                "description": i["description"],
                "loss": str(i["loss"]),
                "salvage": str(i.get("salvage") or "0"),
            }
            for i in sec["items"]
        ]
        sections.append(
            section_doc(
                ps,
                items,
                insured_value=rv if rv is not None else ps.insured_value,
                paid_to_date=sum((a for _, a in earlier), Decimal(0)),
            )
        )
        policy_ref = {"kind": "policy", "number": policy.number}
        sources[ps.code] = {
            "items": {"kind": kind, "number": number},
            "insured_value": {"kind": kind, "number": number} if rv is not None else policy_ref,
            "sum_insured": policy_ref,
            "paid_to_date": [{"claim": n, "amount": f"{a:.2f}"} for n, a in earlier],
        }
    doc = {"currency": policy.currency, "advance_paid": str(advance_paid), "sections": sections}
    return doc, sources
