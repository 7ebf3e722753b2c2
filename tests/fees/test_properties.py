"""Properties of the fee engine on random terms and work: it agrees with an independent rational reading
of docs/fees.md written here; a scale is continuous and non-decreasing in the loss; min ≤ fee ≤ max;
total = fee + expenses + VAT with the VAT rounded to the fen; the canonical terms read back the same."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from fractions import Fraction
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tandem.fees.engine import FeeInputError, fee_document, loads_json, parse_terms, terms_to_json
from tests.helpers import JSON_VALUES
from tests.helpers import json_paths as paths_in

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def run(doc: dict[str, Any]) -> dict[str, Any]:
    return fee_document(loads_json(json.dumps(doc)))


# --------------------------------------------------------------------------------------------------
# an independent reading of docs/fees.md: Fractions throughout, rounding by integer arithmetic
# --------------------------------------------------------------------------------------------------


def fen(x: Fraction) -> Fraction:
    """Half up to the fen (amounts here are never negative)."""
    return Fraction(int(x * 100 + Fraction(1, 2)), 100)


def text(x: Fraction) -> str:
    cents = int(x * 100)
    assert cents == x * 100
    return f"{cents // 100}.{cents % 100:02d}"


def scale_fee(tiers: list[dict[str, Any]], loss: Fraction) -> Fraction:
    total, low = Fraction(0), Fraction(0)
    for tier in tiers:
        high = None if tier["up_to"] is None else Fraction(tier["up_to"])
        band = (loss if high is None else min(loss, high)) - low
        if band <= 0:
            break
        total += band * Fraction(tier["rate"])
        if high is None:
            break
        low = high
    return total


def reference(doc: dict[str, Any]) -> dict[str, str]:
    terms, work = doc["terms"], doc.get("work") or {}
    basis = terms["basis"]
    if basis == "fixed":
        raw = Fraction(terms["amount"])
    elif basis == "hourly":
        raw = Fraction(work["hours"]) * Fraction(terms["hourly_rate"])
    elif basis == "rate":
        raw = Fraction(work["assessed_loss"]) * Fraction(terms["rate"])
    else:
        raw = scale_fee(terms["scale"], Fraction(work["assessed_loss"]))
    fee, by = fen(raw), "none"
    low, high = terms.get("minimum_fee"), terms.get("maximum_fee")
    if low is not None and fee < Fraction(low):
        fee, by = Fraction(low), "minimum"
    elif high is not None and fee > Fraction(high):
        fee, by = Fraction(high), "maximum"
    policy = (terms.get("expenses") or {"policy": "none"})["policy"]
    expenses = Fraction(0)
    if policy == "actual":
        cap = terms["expenses"].get("cap")
        expenses = Fraction(work["expenses_incurred"])
        expenses = expenses if cap is None else min(expenses, Fraction(cap))
    elif policy == "allowance":
        expenses = Fraction(terms["expenses"]["amount"])
    vat_rate = Fraction(terms.get("vat_rate") or "0.06")
    vat = fen((fee + expenses) * vat_rate)
    invoice = dt.date.fromisoformat(doc["invoice_date"])
    return {
        "fee": text(fee),
        "bounded_by": by,
        "expenses": text(expenses),
        "taxable": text(fee + expenses),
        "vat": text(vat),
        "total": text(fee + expenses + vat),
        "due_date": (invoice + dt.timedelta(days=terms["payment_days"])).isoformat(),
    }


# --------------------------------------------------------------------------------------------------
# strategies
# --------------------------------------------------------------------------------------------------


def money(low: int = 0, high: int = 10**12 * 100 - 1) -> st.SearchStrategy[str]:
    """An amount in whole fen as the contract's decimal string; mostly small, sometimes huge."""
    cents = st.one_of(st.integers(low, min(high, 10**7)), st.integers(low, high))
    return cents.map(lambda c: f"{c // 100}.{c % 100:02d}")


def fraction(places: int, high: int) -> st.SearchStrategy[str]:
    return st.integers(0, high).map(lambda n: str(Decimal(n).scaleb(-places)))


RATE = fraction(6, 10**6)  # 0 … 1


@st.composite
def scales(draw: st.DrawFn) -> list[dict[str, Any]]:
    bounds = sorted(set(draw(st.lists(st.integers(1, 10**12 - 1), min_size=0, max_size=6))))
    tiers = [{"up_to": f"{b}.00", "rate": draw(RATE)} for b in bounds]
    return [*tiers, {"up_to": None, "rate": draw(RATE)}]


@st.composite
def documents(draw: st.DrawFn) -> dict[str, Any]:
    basis = draw(st.sampled_from(["fixed", "hourly", "rate", "scale"]))
    terms: dict[str, Any] = {"basis": basis}
    work: dict[str, Any] = {}
    if basis == "fixed":
        terms["amount"] = draw(money())
    elif basis == "hourly":
        terms["hourly_rate"] = draw(money(high=10**8))
        work["hours"] = draw(fraction(2, 10**7 - 1))
    else:
        if basis == "rate":
            terms["rate"] = draw(RATE)
        else:
            terms["scale"] = draw(scales())
        work["assessed_loss"] = draw(money())
    if basis != "fixed":
        bounds = sorted(draw(st.lists(money(), min_size=2, max_size=2)), key=Decimal)
        terms["minimum_fee"] = draw(st.sampled_from([None, bounds[0]]))
        terms["maximum_fee"] = draw(st.sampled_from([None, bounds[1]]))
    policy = draw(st.sampled_from(["none", "actual", "allowance", None]))
    if policy == "actual":
        terms["expenses"] = {"policy": policy, "cap": draw(st.one_of(st.none(), money()))}
        work["expenses_incurred"] = draw(money())
    elif policy == "allowance":
        terms["expenses"] = {"policy": policy, "amount": draw(money())}
    elif policy == "none":
        terms["expenses"] = {"policy": policy}
    terms["vat_rate"] = draw(st.one_of(st.none(), fraction(4, 1300)))
    terms["payer"] = "insurer"
    terms["payment_days"] = draw(st.integers(0, 365))
    invoice = draw(st.dates(dt.date(2000, 1, 1), dt.date(2999, 12, 31)))
    return {
        "engagement": {"kind": "claim", "instructed_by": draw(st.sampled_from(["broker", "insurer"]))},
        "terms": terms,
        "work": work,
        "invoice_date": invoice.isoformat(),
    }


# --------------------------------------------------------------------------------------------------
# properties
# --------------------------------------------------------------------------------------------------


@SETTINGS
@given(documents())
def test_agrees_with_the_rational_reference(doc: dict[str, Any]) -> None:
    out = run(doc)
    assert {k: out[k] for k in ("fee", "bounded_by", "expenses", "taxable", "vat", "total", "due_date")} == reference(
        doc
    )


@SETTINGS
@given(documents())
def test_fee_within_its_bounds_and_the_total_adds_up(doc: dict[str, Any]) -> None:
    out = run(doc)
    fee, expenses, vat, total = (Decimal(out[k]) for k in ("fee", "expenses", "vat", "total"))
    low, high = out["terms"].get("minimum_fee"), out["terms"].get("maximum_fee")
    assert low is None or Decimal(low) <= fee
    assert high is None or fee <= Decimal(high)
    assert total == fee + expenses + vat
    # VAT in whole fen, within half a fen of the exact tax on the taxable amount
    assert vat == vat.quantize(Decimal("0.01"))
    assert abs(vat - (fee + expenses) * Decimal(out["terms"]["vat_rate"])) <= Decimal("0.005")
    # the page's table holds the same figures
    steps = {s["code"]: s for s in out["steps"]}
    assert steps["total"]["out"]["total"] == out["total"]
    assert steps["vat"]["out"]["vat"] == out["vat"]


@SETTINGS
@given(scales(), money(), money())
def test_a_scale_is_continuous_and_non_decreasing_in_the_loss(
    tiers: list[dict[str, Any]], first: str, second: str
) -> None:
    low, high = sorted((Decimal(first), Decimal(second)))

    def exact(loss: Decimal) -> Decimal:
        doc = {
            "engagement": {"kind": "claim", "instructed_by": "broker"},
            "terms": {"basis": "scale", "scale": tiers, "payer": "insurer", "payment_days": 30},
            "work": {"assessed_loss": str(loss)},
            "invoice_date": "2027-01-01",
        }
        out = run(doc)
        return Decimal(next(s for s in out["steps"] if s["code"] == "fee.scale")["out"]["fee_exact"])

    steepest = max(Decimal(t["rate"]) for t in tiers)
    a, b = exact(low), exact(high)
    assert a <= b  # non-decreasing
    assert b - a <= steepest * (high - low)  # Lipschitz, hence continuous: no jump at any tier boundary
    for tier in tiers[:-1]:  # each boundary: one fen on, the fee moves by at most the steeper rate's share
        edge = Decimal(tier["up_to"])
        if edge + Decimal("0.01") < 10**12:
            assert Decimal(0) <= exact(edge + Decimal("0.01")) - exact(edge) <= steepest * Decimal("0.01")


@SETTINGS
@given(documents())
def test_rounded_fee_is_non_decreasing_in_the_loss_and_the_hours(doc: dict[str, Any]) -> None:
    basis = doc["terms"]["basis"]
    assume(basis != "fixed")
    key = "hours" if basis == "hourly" else "assessed_loss"
    bigger = json.loads(json.dumps(doc))
    bigger["work"][key] = str(Decimal(doc["work"][key]) + Decimal("0.01"))
    assume(Decimal(bigger["work"][key]) < (10**5 if basis == "hourly" else 10**12))
    assert Decimal(run(doc)["fee"]) <= Decimal(run(bigger)["fee"])


@SETTINGS
@given(documents())
def test_canonical_terms_read_back_the_same(doc: dict[str, Any]) -> None:
    terms = parse_terms(loads_json(json.dumps(doc["terms"])))
    stored = terms_to_json(terms)
    assert parse_terms(loads_json(json.dumps(stored))) == terms
    assert terms_to_json(parse_terms(stored)) == stored
    assert run(doc)["terms"] == stored


@SETTINGS
@given(documents(), st.data())
def test_a_damaged_document_is_refused_naming_a_field_or_computed(doc: dict[str, Any], data: st.DataObject) -> None:
    """Any field removed or replaced by any JSON value: a one-line error naming a field of the
    contract, or (when the change is still a valid document) a result in whole fen; never another
    exception."""
    where = data.draw(st.sampled_from(paths_in(doc)))
    parent: Any = doc
    for key in where[:-1]:
        parent = parent[key]
    if isinstance(parent, dict) and data.draw(st.booleans()):
        del parent[where[-1]]
    else:
        parent[where[-1]] = data.draw(JSON_VALUES)
    try:
        out = fee_document(loads_json(json.dumps(doc, default=str)))
    except FeeInputError as exc:
        assert "\n" not in str(exc)
        assert re.split(r"[.\[]", exc.path)[0] in {"engagement", "terms", "work", "invoice_date", ""}, exc.path
    else:
        assert re.fullmatch(r"[0-9]+\.[0-9]{2}", out["total"])
