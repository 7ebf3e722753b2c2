"""Properties of the bias figures that neutrality.md implies, on generated portfolios."""

from __future__ import annotations

import dataclasses
import json
import math
import re
from decimal import Decimal
from typing import Any

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tandem.neutrality.bias import (
    APPOINTER,
    BiasInput,
    BiasInputError,
    BiasOptions,
    BiasRow,
    GroupFigures,
    Side,
    analyse,
    result_to_json,
    run,
)

# No per-example deadline: the machine is shared, and a slow example is not a wrong one.
NO_DEADLINE = settings(deadline=None)
FIGURE = re.compile(r"-?[0-9]+\.[0-9]{4}")
OTHER = {Side.INSURED: Side.INSURER, Side.INSURER: Side.INSURED}

cents = st.integers(min_value=1, max_value=5_000_000_000)  # 0.01 .. 50,000,000.00


@st.composite
def rows(draw: st.DrawFn, min_size: int = 1, max_size: int = 40) -> tuple[BiasRow, ...]:
    """Rows of up to 6 adjusters in up to 3 firms; each row its own case id (so rows can move freely)."""
    adjusters = draw(
        st.lists(st.sampled_from(["ADJ-1", "ADJ-10", "ADJ-2", "adj-3", "公估师-4", "Z"]), min_size=1, unique=True)
    )
    firm_of = {a: draw(st.sampled_from(["FIRM-A", "FIRM-B", "甲公估"])) for a in adjusters}
    count = draw(st.integers(min_value=min_size, max_value=max_size))
    out = []
    for i in range(count):
        adjuster = draw(st.sampled_from(adjusters))
        settled = draw(cents)
        # mostly near the settled amount, sometimes far off or 0
        factor = draw(st.one_of(st.floats(min_value=0.7, max_value=1.4), st.floats(min_value=0.0, max_value=5.0)))
        report = int(settled * factor)
        out.append(
            BiasRow(
                case=f"LP-{i:06d}",
                adjuster=adjuster,
                firm=firm_of[adjuster],
                side=draw(st.sampled_from(list(Side))),
                report_amount=Decimal(report).scaleb(-2),
                settled_amount=Decimal(settled).scaleb(-2),
            )
        )
    return tuple(out)


options = st.builds(
    BiasOptions,
    min_cases=st.integers(min_value=2, max_value=12),
    tolerance=st.sampled_from([Decimal("0"), Decimal("0.01"), Decimal("0.05"), Decimal("0.10")]),
    confidence=st.sampled_from([Decimal("0.5"), Decimal("0.8"), Decimal("0.9"), Decimal("0.95"), Decimal("0.99")]),
)


def by_key(groups: tuple[GroupFigures, ...]) -> dict[str, GroupFigures]:
    return {g.key: g for g in groups}


def margin(g: GroupFigures) -> float:
    assert g.lower is not None
    return g.mean - g.lower


@NO_DEADLINE
@given(rows(), options)
def test_every_adjuster_and_firm_is_listed_once_in_code_point_order(
    data: tuple[BiasRow, ...], opts: BiasOptions
) -> None:
    result = analyse(BiasInput(data, opts))
    assert [g.key for g in result.adjusters] == sorted({r.adjuster for r in data})
    assert [g.key for g in result.firms] == sorted({r.firm for r in data})
    assert sum(g.n for g in result.adjusters) == sum(g.n for g in result.firms) == len(data)
    for g in result.adjusters:
        assert {m.row.firm for m in g.rows} == {g.firm}


@NO_DEADLINE
@given(rows(), options)
def test_flags_follow_the_rule(data: tuple[BiasRow, ...], opts: BiasOptions) -> None:
    """No flag under the minimum n; a flag exactly when n >= min_cases and lower > tolerance."""
    result = analyse(BiasInput(data, opts))
    for g in (*result.adjusters, *result.firms):
        if g.n < opts.min_cases:
            assert not g.flagged
        assert g.flagged == (g.n >= opts.min_cases and g.lower is not None and g.lower > float(opts.tolerance))
        assert g.direction == (APPOINTER if g.flagged else None)
        assert (g.lower is None) == (g.n == 1)
        if g.lower is not None:
            assert g.lower <= g.mean
        assert g.sd >= 0.0


@NO_DEADLINE
@given(rows(), options)
def test_the_output_document_has_the_contract_shape(data: tuple[BiasRow, ...], opts: BiasOptions) -> None:
    out = result_to_json(analyse(BiasInput(data, opts)))
    for g in (*out["adjusters"], *out["firms"]):
        assert type(g["n"]) is int and g["n"] >= 1
        for field in ("mean", "sd", "toward_insured"):
            assert FIGURE.fullmatch(str(g[field])) and g[field] != "-0.0000"
        assert g["lower"] is None or (FIGURE.fullmatch(str(g["lower"])) and g["lower"] != "-0.0000")
        assert g["sd"] == "0.0000" if g["n"] == 1 else True


@NO_DEADLINE
@given(rows(), options, st.randoms(use_true_random=False))
def test_invariant_to_the_order_of_the_rows(data: tuple[BiasRow, ...], opts: BiasOptions, rnd: Any) -> None:
    shuffled = list(data)
    rnd.shuffle(shuffled)
    assert result_to_json(analyse(BiasInput(tuple(shuffled), opts))) == result_to_json(analyse(BiasInput(data, opts)))


@NO_DEADLINE
@given(rows(), options)
def test_swapping_the_appointer_flips_the_lean_and_nothing_else(data: tuple[BiasRow, ...], opts: BiasOptions) -> None:
    """The same reports appointed by the other side: mean lean changes sign, the spread, the bound's
    width and toward_insured stay; nobody can be flagged both ways (tolerance >= 0)."""
    before = analyse(BiasInput(data, opts))
    swapped = tuple(dataclasses.replace(r, side=OTHER[r.side]) for r in data)
    after = analyse(BiasInput(swapped, opts))
    for old_groups, new_groups in ((before.adjusters, after.adjusters), (before.firms, after.firms)):
        for old, new in zip(old_groups, new_groups, strict=True):
            assert (old.key, old.n) == (new.key, new.n)
            assert new.mean == -old.mean
            assert new.sd == old.sd
            assert new.toward_insured == old.toward_insured
            if old.lower is not None:
                assert math.isclose(margin(new), margin(old), rel_tol=1e-12, abs_tol=1e-15)
            assert not (old.flagged and new.flagged)


@NO_DEADLINE
@given(rows(min_size=2), options)
def test_fewer_cases_widen_the_bound(data: tuple[BiasRow, ...], opts: BiasOptions) -> None:
    """The same leans seen twice as often: same mean, a narrower bound (and never the other way)."""
    doubled = data + tuple(dataclasses.replace(r, case=r.case + "-bis") for r in data)
    once, twice = analyse(BiasInput(data, opts)), analyse(BiasInput(doubled, opts))
    for few, many in zip((*once.adjusters, *once.firms), (*twice.adjusters, *twice.firms), strict=True):
        assert many.n == 2 * few.n
        assert many.mean == few.mean
        if few.lower is None or opts.confidence == Decimal("0.5") or few.sd == 0.0:
            continue
        assert margin(many) < margin(few)
        assert many.lower is not None and many.lower > few.lower


@NO_DEADLINE
@given(rows(min_size=2), options)
def test_a_higher_confidence_lowers_the_bound(data: tuple[BiasRow, ...], opts: BiasOptions) -> None:
    stricter = dataclasses.replace(opts, confidence=Decimal("0.999"))
    base, strict = analyse(BiasInput(data, opts)), analyse(BiasInput(data, stricter))
    for g, s in zip((*base.adjusters, *base.firms), (*strict.adjusters, *strict.firms), strict=True):
        if g.lower is not None:
            assert s.lower is not None and s.lower <= g.lower
            assert s.flagged <= g.flagged  # a flag at 99.9 % is a flag at any lower confidence


@NO_DEADLINE
@given(rows(), options)
def test_a_firm_is_its_adjusters_pooled(data: tuple[BiasRow, ...], opts: BiasOptions) -> None:
    """A firm's figures are those of one adjuster holding all its rows (not an average of adjusters)."""
    result = analyse(BiasInput(data, opts))
    pooled = tuple(dataclasses.replace(r, adjuster="POOL-" + r.firm) for r in data)
    as_adjusters = by_key(analyse(BiasInput(pooled, opts)).adjusters)
    for firm in result.firms:
        one = as_adjusters["POOL-" + firm.key]
        assert (one.n, one.mean, one.sd, one.lower, one.toward_insured, one.flagged) == (
            firm.n,
            firm.mean,
            firm.sd,
            firm.lower,
            firm.toward_insured,
            firm.flagged,
        )


@NO_DEADLINE
@given(rows(), options)
def test_toward_insured_ignores_the_appointer(data: tuple[BiasRow, ...], opts: BiasOptions) -> None:
    result = analyse(BiasInput(data, opts))
    for g in result.adjusters:
        assert math.isclose(
            g.toward_insured,
            math.fsum(float(r.row.report_amount) / float(r.row.settled_amount) - 1 for r in g.rows) / g.n,
            rel_tol=1e-9,
            abs_tol=1e-12,
        )


def as_document(data: tuple[BiasRow, ...], opts: BiasOptions, numbers: bool) -> str:
    def amount(value: Decimal) -> Any:
        return float(value) if numbers else str(value)

    return json.dumps(
        {
            "min_cases": opts.min_cases,
            "tolerance": str(opts.tolerance),
            "confidence": float(opts.confidence) if numbers else str(opts.confidence),
            "cases": [
                {
                    "case": r.case,
                    "adjuster": r.adjuster,
                    "firm": r.firm,
                    "side": r.side.value,
                    "report_amount": amount(r.report_amount),
                    "settled_amount": amount(r.settled_amount),
                }
                for r in data
            ],
        },
        ensure_ascii=False,
    )


@NO_DEADLINE
@given(rows(), options, st.booleans())
def test_the_json_reader_and_the_typed_api_agree(data: tuple[BiasRow, ...], opts: BiasOptions, numbers: bool) -> None:
    """Decimal strings or JSON numbers for the same amounts: the same document out."""
    assert run(as_document(data, opts, numbers)) == result_to_json(analyse(BiasInput(data, opts)))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)


@settings(max_examples=200, deadline=None)
@given(rows(max_size=6), options, st.data())
def test_any_corruption_is_a_field_error_or_a_valid_result(
    data: tuple[BiasRow, ...], opts: BiasOptions, draw: st.DataObject
) -> None:
    """Replace, drop or add one field anywhere: the engine answers or raises BiasInputError naming a
    field of the document, never anything else."""
    doc = json.loads(as_document(data, opts, numbers=False))
    index = draw.draw(st.integers(min_value=-1, max_value=len(doc["cases"]) - 1))
    target = doc if index < 0 else doc["cases"][index]
    key = draw.draw(st.sampled_from([*target, "remark"]))
    action = draw.draw(st.sampled_from(["replace", "drop"]))
    if action == "drop":
        target.pop(key, None)
    else:
        target[key] = draw.draw(json_values)
    try:
        text = json.dumps(doc, ensure_ascii=False)
    except ValueError:
        assume(False)
    try:
        out = run(text)
    except BiasInputError as exc:
        assert exc.path, str(exc)
        assert "\n" not in str(exc)
    else:
        assert set(out) == {"adjusters", "firms"}
