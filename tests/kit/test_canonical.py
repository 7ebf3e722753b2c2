"""Canonical JSON: sorted keys, no spaces, UTF-8, Decimal as plain text, time as UTC with Z."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tandem.kit.canonical import canonical_json, normalise, sha256_hex

SAMPLE = {
    "b": [3, 2, 1],
    "a": {"z": Decimal("1234.50"), "y": "保险公估", "x": None},
    "at": dt.datetime(2026, 11, 25, 11, 4, 5, 123456, tzinfo=dt.timezone(dt.timedelta(hours=8))),
    "day": dt.date(2026, 12, 31),
    "id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "ok": True,
}
SAMPLE_BYTES = (
    '{"a":{"x":null,"y":"保险公估","z":"1234.50"},"at":"2026-11-25T03:04:05.123456Z","b":[3,2,1],'
    '"day":"2026-12-31","id":"12345678-1234-5678-1234-567812345678","ok":true}'
).encode()
# sha256 of SAMPLE_BYTES, pinned: a change here changes every audit hash ever written.
SAMPLE_SHA256 = "26977dde0240d5bb54f3e1d9810082e9a99a08de9d3633988894e7d46b9df31c"


def test_exact_bytes() -> None:
    assert canonical_json(SAMPLE) == SAMPLE_BYTES


def test_stable_hash() -> None:
    assert sha256_hex(SAMPLE_BYTES) == hashlib.sha256(SAMPLE_BYTES).hexdigest()
    assert sha256_hex(canonical_json(SAMPLE)) == SAMPLE_SHA256


def test_key_order_does_not_matter() -> None:
    reordered = dict(reversed(list(SAMPLE.items())))
    reordered["a"] = {"x": None, "z": Decimal("1234.50"), "y": "保险公估"}
    assert canonical_json(reordered) == canonical_json(SAMPLE)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("1234.50"), '"1234.50"'),
        (Decimal("0.10"), '"0.10"'),
        (Decimal("1E+3"), '"1000"'),
        (Decimal("-0.05"), '"-0.05"'),
        (Decimal("0.0001"), '"0.0001"'),
    ],
)
def test_decimal_is_plain_text_never_exponent_or_float(value: Decimal, text: str) -> None:
    assert canonical_json(value) == text.encode()


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (dt.datetime(2026, 11, 25, 3, 4, 5, tzinfo=dt.UTC), "2026-11-25T03:04:05.000000Z"),
        (
            dt.datetime(2026, 1, 1, 7, 59, 59, 1, tzinfo=dt.timezone(dt.timedelta(hours=8))),
            "2025-12-31T23:59:59.000001Z",
        ),
    ],
)
def test_times_are_utc_with_microseconds_and_z(value: dt.datetime, text: str) -> None:
    assert canonical_json(value) == f'"{text}"'.encode()


def test_naive_time_is_refused() -> None:
    with pytest.raises(ValueError):
        canonical_json({"at": dt.datetime(2026, 1, 1)})


def test_unknown_types_and_nan_are_refused() -> None:
    with pytest.raises(TypeError):
        canonical_json({"x": object()})
    with pytest.raises(ValueError):
        canonical_json({"x": float("nan")})


def test_normalise_is_what_a_json_column_holds() -> None:
    assert normalise({"b": Decimal("1.50"), "a": dt.date(2026, 1, 2)}) == {"a": "2026-01-02", "b": "1.50"}


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**12), 10**12)
    | st.text(max_size=10)
    | st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-(10**9), max_value=10**9),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(json_values)
def test_normalise_is_idempotent_and_keeps_the_canonical_bytes(value: object) -> None:
    once = normalise(value)
    assert normalise(once) == once
    assert canonical_json(once) == canonical_json(value)
    assert canonical_json(value).decode("utf-8")  # always valid UTF-8
