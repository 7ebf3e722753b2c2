"""Properties of the premium engine on random documents: it agrees with an independent rational
implementation of premium.md written here, and keeps the invariants the contract implies (monotone in
rate, sum insured and loading; the minimum premium is a floor; amounts rounded to the fen; effects
are what switching a choice changes; retained + refund = premium paid)."""

from __future__ import annotations

import calendar
import copy
import datetime as dt
import json
import re
from decimal import Decimal
from fractions import Fraction
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tandem.premium.engine import PremiumInputError, loads_json, price_document
from tests.helpers import JSON_VALUES, json_paths

from .data import load

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TABLE = [Fraction(x, 100) for x in (10, 20, 30, 40, 50, 60, 70, 80, 85, 90, 95, 100)]
AMOUNT = re.compile(r"[0-9]+\.[0-9]{2}")
RATIO = re.compile(r"[0-9]+\.[0-9]{6}")


def price(doc: dict[str, Any]) -> dict[str, Any]:
    return price_document(loads_json(json.dumps(doc)))


# --------------------------------------------------------------------------------------------------
# an independent reading of premium.md: Fractions throughout, calendar.monthrange for month ends
# --------------------------------------------------------------------------------------------------


def plus_months(d: dt.date, m: int) -> dt.date:
    y, mo = d.year + (d.month - 1 + m) // 12, (d.month - 1 + m) % 12 + 1
    return dt.date(y, mo, min(d.day, calendar.monthrange(y, mo)[1]))


def half_up(x: Fraction, places: int = 2) -> str:
    scaled = x * 10**places
    n = int(abs(scaled) + Fraction(1, 2))
    text = f"{n // 10**places}.{n % 10**places:0{places}d}"
    return "-" + text if scaled < 0 and n else text


def reference(doc: dict[str, Any]) -> dict[str, Any]:
    start = dt.date.fromisoformat(doc["period"]["start"])
    end = dt.date.fromisoformat(doc["period"]["end"])
    days = (end - start).days + 1
    months = next((m for m in range(1, 13) if end < plus_months(start, m)), 12)
    full = end + dt.timedelta(days=1) == plus_months(start, 12)
    method = doc.get("short_period") or "table"
    short = {
        "table": TABLE[months - 1],
        "monthly": Fraction(months, 12),
        "daily": min(Fraction(days, 365), Fraction(1)),
        "none": Fraction(1),
    }[method]
    if full:
        short = Fraction(1)
    bounds = doc.get("factor_bounds") or {}
    low, high = (Fraction(bounds[k]) if bounds.get(k) is not None else None for k in ("min", "max"))
    minimum = Fraction(doc.get("minimum_premium") or 0)
    fp = Fraction(1)
    for f in doc.get("factors") or []:
        fp *= Fraction(f["value"])
    rps = doc.get("risk_points") or []

    def steps(choices: list[str]) -> tuple[Fraction, Fraction, str, list[Fraction], Fraction, bool]:
        lp = Fraction(1)
        for rp, choice in zip(rps, choices, strict=True):
            if choice != "remediate":
                lp *= 1 + Fraction(rp["loading"])
        raw = fp * lp
        coef, by = raw, "none"
        if low is not None and raw < low:
            coef, by = low, "min"
        elif high is not None and raw > high:
            coef, by = high, "max"
        annual = [Fraction(s["sum_insured"]) * Fraction(s["rate_permille"]) / 1000 * coef for s in doc["sections"]]
        total = sum((Fraction(half_up(a * short)) for a in annual), Fraction(0))
        return lp, raw, by, annual, max(total, minimum), total < minimum

    given_choices = [rp["choice"] for rp in rps]
    lp, raw, by, annual, total, applied = steps(given_choices)
    coef = {"none": raw, "min": low, "max": high}[by]
    assert coef is not None
    effects = []
    for i, rp in enumerate(rps):
        on = steps([*given_choices[:i], "premium", *given_choices[i + 1 :]])[4]
        off = steps([*given_choices[:i], "remediate", *given_choices[i + 1 :]])[4]
        effects.append({"ref": rp["ref"], "choice": rp["choice"], "premium_effect": half_up(on - off)})
    termination = None
    t = doc.get("termination")
    if t:
        date = dt.date.fromisoformat(t["date"])
        paid = Fraction(t["premium_paid"]) if t.get("premium_paid") is not None else total
        elapsed = (date - start).days
        em = next((m for m in range(1, 13) if date <= plus_months(start, m)), 12)
        if t["by"] == "insured":
            annual_total = sum((Fraction(half_up(a)) for a in annual), Fraction(0))
            retained = min(paid, Fraction(half_up(annual_total * TABLE[em - 1])))
            how = "short_period_table"
        else:
            retained, how = Fraction(half_up(paid * elapsed / days)), "pro_rata_daily"
        termination = {
            "date": t["date"],
            "by": t["by"],
            "premium_paid": half_up(paid),
            "elapsed_days": elapsed,
            "elapsed_months": em,
            "method": how,
            "retained": half_up(retained),
            "refund": half_up(paid - retained),
        }
    return {
        "currency": doc["currency"],
        "term_days": days,
        "term_months": months,
        "short_period": method,
        "short_factor": half_up(short, 6),
        "factor_product": half_up(fp, 6),
        "loading_product": half_up(lp, 6),
        "raw_coefficient": half_up(raw, 6),
        "coefficient": half_up(coef, 6),
        "bounded_by": by,
        "sections": [
            {"code": s["code"], "annual_premium": half_up(a), "premium": half_up(a * short)}
            for s, a in zip(doc["sections"], annual, strict=True)
        ],
        "total_premium": half_up(total),
        "minimum_applied": applied,
        "risk_points": effects,
        "termination": termination,
    }


# --------------------------------------------------------------------------------------------------
# random documents
# --------------------------------------------------------------------------------------------------


def decimals(low: str, high: str, places: int) -> st.SearchStrategy[str]:
    return st.decimals(Decimal(low), Decimal(high), places=places, allow_nan=False, allow_infinity=False).map(
        lambda d: f"{d:f}"
    )


@st.composite
def documents(draw: st.DrawFn) -> dict[str, Any]:
    start = dt.date(2024, 1, 1) + dt.timedelta(days=draw(st.integers(0, 1500)))
    # month ends, leap days and full years come up often
    if draw(st.booleans()):
        day = draw(st.sampled_from([1, 28, 29, 30, 31]))
        start = start.replace(day=min(day, calendar.monthrange(start.year, start.month)[1]))
    if draw(st.booleans()):
        end = plus_months(start, draw(st.integers(1, 12))) - dt.timedelta(days=draw(st.integers(0, 2)))
    else:
        end = start + dt.timedelta(days=draw(st.integers(0, 365)))
    if (end - start).days >= 366:
        end = start + dt.timedelta(days=365)
    n = draw(st.integers(1, 4))
    doc: dict[str, Any] = {
        "currency": draw(st.sampled_from(["CNY", "USD", "EUR", "HKD", "GBP"])),
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "sections": [
            {
                "code": f"s{i}",
                "sum_insured": draw(decimals("0", "500000000", 2)),
                "rate_permille": draw(decimals("0.001", "30", 3)),
            }
            for i in range(n)
        ],
    }
    if draw(st.booleans()):
        doc["short_period"] = draw(st.sampled_from(["table", "monthly", "daily", "none", None]))
    if draw(st.booleans()):
        doc["factors"] = [
            {"code": f"f{i}", "value": draw(decimals("0.5", "1.5", 4))} for i in range(draw(st.integers(0, 3)))
        ]
    if draw(st.booleans()):
        low = draw(st.none() | decimals("0.5", "1.0", 2))
        high = draw(st.none() | decimals("1.0", "1.6", 2))
        doc["factor_bounds"] = {"min": low, "max": high}
    if draw(st.booleans()):
        doc["risk_points"] = [
            {
                "ref": f"RP-{i}",
                "loading": draw(decimals("0", "0.5", 3)),
                "choice": draw(st.sampled_from(["premium", "remediate", "undecided"])),
            }
            for i in range(draw(st.integers(1, 4)))
        ]
    if draw(st.booleans()):
        doc["minimum_premium"] = draw(decimals("0", "20000", 2))
    if end > start and draw(st.booleans()):
        date = start + dt.timedelta(days=draw(st.integers(1, (end - start).days)))
        doc["termination"] = {"date": date.isoformat(), "by": draw(st.sampled_from(["insured", "insurer"]))}
        if draw(st.booleans()):
            doc["termination"]["premium_paid"] = draw(decimals("0", "2000000", 2))
    return doc


# --------------------------------------------------------------------------------------------------
# properties
# --------------------------------------------------------------------------------------------------


@SETTINGS
@given(documents())
def test_agrees_with_an_independent_rational_implementation(doc: dict[str, Any]) -> None:
    assert price(doc) == reference(doc)


@SETTINGS
@given(documents())
def test_amounts_are_fen_and_ratios_six_places(doc: dict[str, Any]) -> None:
    out = price(doc)
    for key in ("short_factor", "factor_product", "loading_product", "raw_coefficient", "coefficient"):
        assert RATIO.fullmatch(out[key]), key
    amounts = [out["total_premium"]] + [s[k] for s in out["sections"] for k in ("annual_premium", "premium")]
    amounts += [rp["premium_effect"] for rp in out["risk_points"]]
    if out["termination"]:
        amounts += [out["termination"][k] for k in ("premium_paid", "retained", "refund")]
    assert all(AMOUNT.fullmatch(a) for a in amounts), amounts
    for s in out["sections"]:  # a short-period factor never exceeds 1
        assert Decimal(s["premium"]) <= Decimal(s["annual_premium"])


@SETTINGS
@given(documents(), st.data())
def test_monotone_in_rate_and_sum_insured(doc: dict[str, Any], data: st.DataObject) -> None:
    i = data.draw(st.integers(0, len(doc["sections"]) - 1))
    key = data.draw(st.sampled_from(["rate_permille", "sum_insured"]))
    bigger = copy.deepcopy(doc)
    step = data.draw(decimals("0.001", "5", 3))
    value = Decimal(doc["sections"][i][key]) + Decimal(step)
    bigger["sections"][i][key] = f"{min(value, Decimal(1000)) if key == 'rate_permille' else value:f}"
    before, after = price(doc), price(bigger)
    assert Decimal(after["sections"][i]["premium"]) >= Decimal(before["sections"][i]["premium"])
    assert Decimal(after["total_premium"]) >= Decimal(before["total_premium"])


@SETTINGS
@given(documents(), st.data())
def test_monotone_in_loading(doc: dict[str, Any], data: st.DataObject) -> None:
    rps = doc.get("risk_points") or []
    doc["risk_points"] = rps or [{"ref": "RP", "loading": "0.1", "choice": "premium"}]
    i = data.draw(st.integers(0, len(doc["risk_points"]) - 1))
    heavier = copy.deepcopy(doc)
    heavier["risk_points"][i]["loading"] = f"{Decimal(doc['risk_points'][i]['loading']) + Decimal('0.05'):f}"
    assert Decimal(price(heavier)["total_premium"]) >= Decimal(price(doc)["total_premium"])


@SETTINGS
@given(documents())
def test_the_minimum_premium_is_a_floor(doc: dict[str, Any]) -> None:
    out = price(doc)
    minimum = Decimal(doc.get("minimum_premium") or 0)
    sections = sum(Decimal(s["premium"]) for s in out["sections"])
    total = Decimal(out["total_premium"])
    assert total >= minimum
    assert out["minimum_applied"] is (sections < minimum)
    assert total == (minimum if out["minimum_applied"] else sections)


@SETTINGS
@given(documents())
def test_coefficient_within_bounds(doc: dict[str, Any]) -> None:
    out = price(doc)
    bounds = doc.get("factor_bounds") or {}
    coefficient = Decimal(out["coefficient"])
    if bounds.get("min") is not None:
        assert coefficient >= Decimal(bounds["min"])
    if bounds.get("max") is not None:
        assert coefficient <= Decimal(bounds["max"])
    if out["bounded_by"] == "none":
        assert out["coefficient"] == out["raw_coefficient"]
    else:
        side = out["bounded_by"]
        assert coefficient == Decimal(bounds[side])
        raw = Decimal(out["raw_coefficient"])  # rounded for display, so compare loosely
        assert raw <= coefficient if side == "min" else raw >= coefficient


@SETTINGS
@given(documents(), st.data())
def test_an_effect_is_what_switching_the_choice_changes(doc: dict[str, Any], data: st.DataObject) -> None:
    rps = doc.get("risk_points")
    if not rps:
        return
    out = price(doc)
    i = data.draw(st.integers(0, len(rps) - 1))
    effect = Decimal(out["risk_points"][i]["premium_effect"])
    assert effect >= 0
    switched = copy.deepcopy(doc)
    loaded = rps[i]["choice"] != "remediate"
    switched["risk_points"][i]["choice"] = "remediate" if loaded else "premium"
    difference = Decimal(out["total_premium"]) - Decimal(price(switched)["total_premium"])
    assert difference == (effect if loaded else -effect)
    if Decimal(rps[i]["loading"]) == 0:
        assert effect == 0


@SETTINGS
@given(documents())
def test_retained_plus_refund_is_what_was_paid(doc: dict[str, Any]) -> None:
    t = price(doc)["termination"]
    if t is None:
        return
    paid, retained, refund = (Decimal(t[k]) for k in ("premium_paid", "retained", "refund"))
    assert retained + refund == paid
    assert 0 <= retained <= paid
    assert 1 <= t["elapsed_months"] <= 12 and t["elapsed_days"] >= 1


@SETTINGS
@given(documents())
def test_a_full_year_ignores_the_short_period_method(doc: dict[str, Any]) -> None:
    start = dt.date.fromisoformat(doc["period"]["start"])
    doc["period"]["end"] = (plus_months(start, 12) - dt.timedelta(days=1)).isoformat()
    doc.pop("termination", None)
    outs = [price({**doc, "short_period": method}) for method in ("table", "monthly", "daily", "none")]
    assert {o["short_factor"] for o in outs} == {"1.000000"}
    assert len({o["total_premium"] for o in outs}) == 1


# --------------------------------------------------------------------------------------------------
# damaged documents: refused naming a field, never another exception
# --------------------------------------------------------------------------------------------------

# every top-level key of the contract's input: its own example (prem-01) uses them all
TOP_KEYS = set(json.loads(load("cases")[0].input_text))


@SETTINGS
@given(documents(), st.data())
def test_a_damaged_document_is_refused_naming_a_field(doc: dict[str, Any], data: st.DataObject) -> None:
    where = data.draw(st.sampled_from(json_paths(doc)))
    parent: Any = doc
    for key in where[:-1]:
        parent = parent[key]
    if data.draw(st.booleans()) and isinstance(parent, dict):
        del parent[where[-1]]
    else:
        parent[where[-1]] = data.draw(JSON_VALUES)
    text = json.dumps(doc, default=str)  # a Decimal drawn above becomes a decimal string
    try:
        out = price_document(loads_json(text))
    except PremiumInputError as exc:
        assert "\n" not in str(exc)
        assert re.split(r"[.\[]", exc.path)[0] in TOP_KEYS, exc.path
    else:
        assert AMOUNT.fullmatch(out["total_premium"])
