"""The premium of a change to a policy in force, by the one premium engine (``premium.md``): the input
documents are kept with each change, so ``tandem calc premium`` on the same document gives the same figures.

- A mid-term change (批改): the engine prices the whole period on the old sections and on the new ones;
  the difference is charged (or returned) pro rata by day from the change's effective date, which is the
  engine's ``pro_rata_daily`` step (step 8, ``by = insurer``) on that difference: ``refund = difference −
  difference × elapsed_days / term_days`` (rounded half up to the fen).
- A termination: the engine's step 8 on the version in force, ``by = insured`` (短期费率表) when the insured
  ends the contract, ``pro_rata_daily`` when the insurer ends it or both agree.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from tandem.kit.errors import InvalidInput
from tandem.policy.models import Policy
from tandem.policy.versions import NO_COEFFICIENT
from tandem.premium.engine import PremiumInputError, compute, parse_input, result_to_json

#: The pseudo-section that prices a policy whose sections carry no rate: its annual premium at 1000 ‰.
WHOLE_POLICY = "policy"
ENGINE_BY = {"insured": "insured", "insurer": "insurer", "agreement": "insurer"}


def document(policy: Policy, sections: list[dict[str, Any]], coefficient: str) -> dict[str, Any]:
    """The engine's input for ``sections`` (each with ``rate_permille``) over the policy's period."""
    doc: dict[str, Any] = {
        "currency": policy.currency,
        "period": {"start": policy.period_start.isoformat(), "end": policy.period_end.isoformat()},
        "short_period": "table",
        "sections": [
            {"code": s["code"], "sum_insured": s["sum_insured"] or "0", "rate_permille": s["rate_permille"]}
            for s in sections
        ],
    }
    if Decimal(coefficient) != 1:
        doc["factors"] = [{"code": "coefficient", "value": coefficient}]
    return doc


def run(doc: dict[str, Any], field: str = "sections") -> dict[str, Any]:
    """The engine's output for ``doc``; its refusal as a 422 naming ``field`` (and the engine's path)."""
    try:
        return result_to_json(compute(parse_input(doc)))
    except PremiumInputError as exc:
        raise InvalidInput(exc.message, fields={field: f"{exc.path}: {exc.message}"}) from None


def _with_termination(doc: dict[str, Any], day: dt.date, by: str, paid: Decimal) -> dict[str, Any]:
    return {**doc, "termination": {"date": day.isoformat(), "by": by, "premium_paid": f"{paid:.2f}"}}


def mid_term(
    policy: Policy, old: list[dict[str, Any]], new: list[dict[str, Any]], coefficient: str, effective: dt.date
) -> tuple[Decimal, dict[str, Any]]:
    """The additional (+) or returned (−) premium of changing ``old`` sections to ``new`` from ``effective``
    and the documents that show it (``old``, ``new``, ``pro_rata``: each ``input`` and ``output``)."""
    old_doc, new_doc = document(policy, old, coefficient), document(policy, new, coefficient)
    old_out, new_out = run(old_doc), run(new_doc)
    difference = Decimal(new_out["total_premium"]) - Decimal(old_out["total_premium"])
    pricing: dict[str, Any] = {
        "old": {"input": old_doc, "output": old_out},
        "new": {"input": new_doc, "output": new_out},
        "pro_rata": None,
    }
    if difference == 0:
        return Decimal("0.00"), pricing
    base = new_doc if difference > 0 else old_doc
    doc = _with_termination(base, effective, "insurer", abs(difference))
    out = run(doc, "effective_date")
    pricing["pro_rata"] = {"input": doc, "output": out}
    share = Decimal(out["termination"]["refund"])
    return (share if difference > 0 else -share), pricing


def refund(
    policy: Policy,
    sections: list[dict[str, Any]],
    coefficient: str,
    *,
    day: dt.date,
    ended_by: str,
    paid: Decimal,
    annual: Decimal | None,
) -> tuple[Decimal, dict[str, Any]]:
    """The refund of a termination from ``day``: on the sections' rates when all are known, else on the
    annual premium as one section at 1000 ‰ (``annual``, else what was paid)."""
    if sections and all(s.get("rate_permille") for s in sections):
        base = document(policy, sections, coefficient)
    else:
        whole = annual if annual is not None else paid
        base = document(
            policy, [{"code": WHOLE_POLICY, "sum_insured": f"{whole:.2f}", "rate_permille": "1000"}], NO_COEFFICIENT
        )
    doc = _with_termination(base, day, ENGINE_BY[ended_by], paid)
    out = run(doc, "effective_date")
    return Decimal(out["termination"]["refund"]), {"input": doc, "output": out}
