"""Student's t quantile (stdlib only) against scipy's ``t.ppf``, closed forms and textbook values."""

from __future__ import annotations

import json
import math
from statistics import NormalDist

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tandem.neutrality.student_t import t_quantile, t_sf

from .records import DATA

# No per-example deadline: the machine is shared, and a slow example is not a wrong one.
NO_DEADLINE = settings(deadline=None)
REFERENCE = json.loads((DATA / "t_quantiles.json").read_text(encoding="utf-8"))
probabilities = st.floats(min_value=0.5, max_value=1.0, exclude_max=True)
degrees = st.integers(min_value=1, max_value=3000)


def test_reference_table_from_scipy() -> None:
    """852 quantiles (df 1..60 and up to 10000; p 0.55..0.999999) computed by scipy 1.17.1."""
    assert REFERENCE["source"].startswith("scipy")
    worst = 0.0
    for df, p, expected in REFERENCE["rows"]:
        worst = max(worst, abs(t_quantile(float(p), df) - float(expected)) / float(expected))
    assert len(REFERENCE["rows"]) == 852
    assert worst < 1e-10, worst


@pytest.mark.parametrize(
    ("p", "df", "rounded"),
    [(0.95, 6, "1.9432"), (0.975, 10, "2.2281"), (0.99, 4, "3.7469"), (0.95, 1, "6.3138"), (0.995, 30, "2.7500")],
)
def test_textbook_values(p: float, df: int, rounded: str) -> None:
    assert f"{t_quantile(p, df):.4f}" == rounded


@NO_DEADLINE
@given(degrees)
def test_the_median_is_exactly_zero(df: int) -> None:
    assert t_quantile(0.5, df) == 0.0
    assert t_sf(0.0, df) == 0.5


@NO_DEADLINE
@given(st.floats(min_value=0.5, max_value=0.999999))
def test_closed_forms_for_one_and_two_degrees_of_freedom(p: float) -> None:
    assert math.isclose(t_quantile(p, 1), math.tan(math.pi * (p - 0.5)), rel_tol=1e-9, abs_tol=1e-15)
    assert math.isclose(t_quantile(p, 2), (2 * p - 1) / math.sqrt(2 * p * (1 - p)), rel_tol=1e-9, abs_tol=1e-15)


@NO_DEADLINE
@given(probabilities, degrees)
def test_the_quantile_inverts_the_tail(p: float, df: int) -> None:
    t = t_quantile(p, df)
    assert t >= 0.0 and math.isfinite(t)
    assert math.isclose(t_sf(t, df), 1.0 - p, rel_tol=1e-9, abs_tol=1e-300)


@NO_DEADLINE
@given(probabilities, probabilities, degrees)
def test_monotone_in_the_confidence(p1: float, p2: float, df: int) -> None:
    low, high = sorted((p1, p2))
    assert t_quantile(low, df) <= t_quantile(high, df)


@NO_DEADLINE
@given(st.floats(min_value=0.5, max_value=0.9999), degrees, degrees)
def test_fewer_degrees_of_freedom_give_a_larger_quantile(p: float, df1: int, df2: int) -> None:
    few, many = sorted((df1, df2))
    assert t_quantile(p, few) >= t_quantile(p, many)


def test_approaches_the_normal_quantile() -> None:
    """Large df: z + (z³ + z) / 4ν (Cornish-Fisher; the next term is below 1e-8 here)."""
    df = 100_000
    z = NormalDist().inv_cdf(0.95)
    assert math.isclose(t_quantile(0.95, df), z + (z**3 + z) / (4 * df), rel_tol=1e-8)


@pytest.mark.parametrize(("p", "df"), [(0.49, 3), (1.0, 3), (float("nan"), 3), (0.9, 0)])
def test_out_of_domain(p: float, df: int) -> None:
    with pytest.raises(ValueError):
        t_quantile(p, df)
