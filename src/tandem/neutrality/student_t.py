"""Student's t distribution in double precision, with the standard library only.

The bias analytics need one figure from it: the quantile ``t`` with ``P(T <= t) = p`` for ``p`` in
[0.5, 1) and an integer number of degrees of freedom (``n - 1``, one to a few thousand). The upper
tail is the regularised incomplete beta function,

    P(T > t) = I_x(df / 2, 1 / 2) / 2,   x = df / (df + t²),

evaluated with its continued fraction (modified Lentz; the form of Numerical Recipes §6.4, switching
to the symmetric fraction where it converges faster), and the quantile is found by bisection on that
tail down to adjacent doubles. The tail is computed directly (never as ``1 - CDF``), so confidences
close to 1 keep their precision. ``tests/neutrality/test_student_t.py`` checks the result against
scipy's ``t.ppf`` (Boost) on a grid of degrees of freedom and probabilities.
"""

from __future__ import annotations

import math
from functools import lru_cache

__all__ = ["t_quantile", "t_sf"]

_EPS = 1e-16
_TINY = 1e-300
_MAX_ITERATIONS = 100_000


def _continued_fraction(a: float, b: float, x: float) -> float:
    """The continued fraction of I_x(a, b) (modified Lentz), converging for x < (a + 1) / (a + b + 2)."""
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c = 1.0
    d = 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > _TINY else _TINY)
    h = d
    for m in range(1, _MAX_ITERATIONS):
        m2 = 2 * m
        for numerator in (
            m * (b - m) * x / ((qam + m2) * (a + m2)),
            -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2)),
        ):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > _TINY else _TINY)
            c = 1.0 + numerator / c
            c = c if abs(c) > _TINY else _TINY
            delta = d * c
            h *= delta
        if abs(delta - 1.0) < _EPS:
            break
    return h


def _incomplete_beta(a: float, b: float, x: float, y: float) -> float:
    """The regularised incomplete beta I_x(a, b), given both ``x`` and ``y = 1 - x`` (each exact)."""
    if x <= 0.0:
        return 0.0
    if y <= 0.0:
        return 1.0
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log(y)
    front = math.exp(log_front)
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _continued_fraction(a, b, x) / a
    return 1.0 - front * _continued_fraction(b, a, y) / b


def t_sf(t: float, df: int) -> float:
    """P(T > t) for Student's t with ``df`` degrees of freedom, for ``t >= 0``."""
    if df < 1:
        raise ValueError("degrees of freedom must be at least 1")
    if t < 0.0 or math.isnan(t):
        raise ValueError("t must be a number >= 0")
    if t == 0.0:
        return 0.5
    t2 = t * t
    if math.isinf(t2):
        return 0.0
    total = df + t2
    return 0.5 * _incomplete_beta(df / 2.0, 0.5, df / total, t2 / total)


@lru_cache(maxsize=4096)
def t_quantile(p: float, df: int) -> float:
    """The ``t`` with P(T <= t) = ``p`` for Student's t with ``df`` degrees of freedom, ``p`` in [0.5, 1).

    ``p = 0.5`` gives exactly 0. The answer is the double where the computed upper tail crosses
    ``1 - p`` (bisection to adjacent doubles), so it is monotone in ``p`` and in ``df``.
    """
    if df < 1:
        raise ValueError("degrees of freedom must be at least 1")
    if not 0.5 <= p < 1.0:
        raise ValueError("p must be in [0.5, 1)")
    if p == 0.5:
        return 0.0
    q = 1.0 - p  # exact for p in [0.5, 1)
    lo, hi = 0.0, 1.0
    while t_sf(hi, df) > q:
        lo, hi = hi, hi * 2.0
    while True:
        mid = lo + (hi - lo) / 2.0
        if mid <= lo or mid >= hi:
            break
        if t_sf(mid, df) > q:
            lo = mid
        else:
            hi = mid
    return hi if abs(t_sf(hi, df) - q) <= abs(t_sf(lo, df) - q) else lo
