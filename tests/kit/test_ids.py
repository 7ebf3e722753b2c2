"""Resident ID numbers (GB 11643) and unified social credit codes (GB 32100): generated valid values are
accepted, every single-character substitution is rejected with the right reason."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tandem.kit import ids
from tandem.kit.ids import IdentifierError, normalise_id_number, normalise_uscc

TODAY = dt.date(2026, 11, 25)

R_LENGTH = "must be 18 characters"
R_ID_FORMAT = "must be 17 digits followed by a digit or X"
R_ADDRESS = "address code is not valid"
R_DATE = "birth date is not a valid date"
R_ID_CHECK = "check digit does not match"
R_ALPHABET = "contains a character outside the code alphabet (no I, O, S, V, Z)"
R_DIVISION = "division code (positions 3-8) must be digits"
R_USCC_CHECK = "check character does not match"

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
# Characters a substitution may bring in: digits, every letter both cases, and a few symbols.
# Non-ASCII digits (full-width, Arabic-Indic, superscript) pass str.isdigit() and must still be refused.
SUBSTITUTES = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-* １٣²Ｘß"
DIGITS = "0123456789"

DOC_IDS = ["360426199101010071", "11010519491231002X"]
DOC_USCCS = ["91110000600037341L", "9144030071526726XG", "91310000631696382C", "91620105MA73NBBLXE"]


# ---- independent reference implementations (from the standards, not from tandem.kit.ids) ---------


def ref_id_check(body17: str) -> str:
    total = sum(int(c) * (2 ** (17 - i) % 11) for i, c in enumerate(body17))
    return "10X98765432"[total % 11]


def ref_uscc_check(body17: str) -> str:
    total = sum(USCC_ALPHABET.index(c) * (3**i % 31) for i, c in enumerate(body17))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def expected_id_reason(value: str) -> str | None:
    """What the validator must say about an 18-character candidate (None = valid)."""
    v = value.strip().upper()
    if len(v) != 18:
        return R_LENGTH
    if any(c not in DIGITS for c in v[:17]) or v[17] not in DIGITS + "X":
        return R_ID_FORMAT
    if v[0] == "0":
        return R_ADDRESS
    try:
        born = dt.date(int(v[6:10]), int(v[10:12]), int(v[12:14]))
    except ValueError:
        return R_DATE
    if born.year < 1800 or born > TODAY:
        return R_DATE
    if ref_id_check(v[:17]) != v[17]:
        return R_ID_CHECK
    return None


def expected_uscc_reason(value: str) -> str | None:
    v = value.strip().upper()
    if len(v) != 18:
        return R_LENGTH
    if any(c not in USCC_ALPHABET for c in v):
        return R_ALPHABET
    if any(c not in DIGITS for c in v[2:8]):
        return R_DIVISION
    if ref_uscc_check(v[:17]) != v[17]:
        return R_USCC_CHECK
    return None


# ---- strategies -----------------------------------------------------------------------------------


@st.composite
def id_numbers(draw: st.DrawFn) -> str:
    address = draw(st.integers(100000, 999999))
    born = draw(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2020, 12, 31)))
    seq = draw(st.integers(0, 999))
    body = f"{address}{born:%Y%m%d}{seq:03d}"
    return body + ref_id_check(body)


@st.composite
def usccs(draw: st.DrawFn) -> str:
    head = draw(st.text(USCC_ALPHABET, min_size=2, max_size=2))
    division = draw(st.text("0123456789", min_size=6, max_size=6))
    org = draw(st.text(USCC_ALPHABET, min_size=9, max_size=9))
    body = head + division + org
    return body + ref_uscc_check(body)


def substituted(value: str, pos: int, char: str) -> str | None:
    if char.upper() == value[pos].upper():
        return None  # not a substitution (x and X are the same check character)
    return value[:pos] + char + value[pos + 1 :]


# ---- resident ID numbers --------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(id_numbers())
def test_generated_id_numbers_are_accepted(value: str) -> None:
    assert normalise_id_number(value, today=TODAY) == value
    assert ids.id_check_char(value[:17]) == value[17]


@settings(max_examples=400, deadline=None)
@given(id_numbers(), st.integers(0, 17), st.sampled_from(SUBSTITUTES))
def test_any_single_substitution_in_an_id_number_is_rejected(value: str, pos: int, char: str) -> None:
    bad = substituted(value, pos, char)
    if bad is None:
        return
    reason = expected_id_reason(bad)
    assert reason is not None, f"reference thinks {bad} is valid"
    with pytest.raises(IdentifierError) as exc:
        normalise_id_number(bad, today=TODAY)
    assert str(exc.value) == reason, (bad, pos, char)


@settings(max_examples=200, deadline=None)
@given(id_numbers(), st.integers(0, 16), st.sampled_from("0123456789"))
def test_digit_substitutions_outside_the_date_fail_the_check_digit(value: str, pos: int, digit: str) -> None:
    if 6 <= pos < 14 or (pos == 0 and digit == "0"):
        return
    bad = substituted(value, pos, digit)
    if bad is None:
        return
    with pytest.raises(IdentifierError, match=r"^check digit does not match$"):
        normalise_id_number(bad, today=TODAY)


@pytest.mark.parametrize("value", DOC_IDS)
def test_documented_id_numbers_are_valid(value: str) -> None:
    assert ids.is_valid_id_number(value)
    assert normalise_id_number(value) == value


def test_lowercase_x_is_accepted_and_upper_cased() -> None:
    assert normalise_id_number("11010519491231002x") == "11010519491231002X"
    assert normalise_id_number("  11010519491231002x ") == "11010519491231002X"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("110105" + "19490231" + "002", R_DATE),  # 31 February
        ("110105" + "19491301" + "002", R_DATE),  # month 13
        ("110105" + "19490100" + "002", R_DATE),  # day 0
        ("110105" + "17991231" + "002", R_DATE),  # before 1800
        ("110105" + "20261126" + "002", R_DATE),  # tomorrow
    ],
)
def test_bad_birth_dates_are_rejected_even_with_a_correct_check_digit(value: str, reason: str) -> None:
    full = value + ref_id_check(value)
    with pytest.raises(IdentifierError) as exc:
        normalise_id_number(full, today=TODAY)
    assert str(exc.value) == reason


def test_birth_date_today_is_accepted() -> None:
    body = "110105" + "20261125" + "002"
    assert normalise_id_number(body + ref_id_check(body), today=TODAY)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("", R_LENGTH),
        ("11010519491231002", R_LENGTH),
        ("11010519491231002X1", R_LENGTH),
        ("110105194912310", "legacy 15-digit number; use the 18-digit number"),
        ("1101051949123100XX", R_ID_FORMAT),
        ("11010519491231002Y", R_ID_FORMAT),
        ("A10105194912310021", R_ID_FORMAT),
        ("1101051949123 002X", R_ID_FORMAT),
        ("１１０１０５１９４９１２３１００２Ｘ", R_ID_FORMAT),  # full-width digits
        ("010105194912310023", R_ADDRESS),
        ("11010519491231002Ｘ", R_ID_FORMAT),
        ("１１０１０５１９４９１２３１００２X", R_ID_FORMAT),  # full-width digits, ASCII X: check digit "fits"
        ("36042619910101²071", R_ID_FORMAT),  # superscript two: isdigit() but not int()-able
    ],
)
def test_malformed_id_numbers_are_rejected_with_a_reason(value: str, reason: str) -> None:
    with pytest.raises(IdentifierError) as exc:
        normalise_id_number(value, today=TODAY)
    assert str(exc.value) == reason
    assert not ids.is_valid_id_number(value)


def test_masking_keeps_region_and_last_four() -> None:
    assert ids.mask_id_number("11010519491231002X") == "110105********002X"
    assert ids.mask_uscc("91310000631696382C") == "9131**********382C"
    assert ids.mask_phone("13957312345") == "139****2345"


# ---- unified social credit codes ------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(usccs())
def test_generated_usccs_are_accepted(value: str) -> None:
    assert normalise_uscc(value) == value
    assert ids.uscc_check_char(value[:17]) == value[17]
    assert normalise_uscc(value.lower()) == value


@settings(max_examples=400, deadline=None)
@given(usccs(), st.integers(0, 17), st.sampled_from(SUBSTITUTES))
def test_any_single_substitution_in_a_uscc_is_rejected(value: str, pos: int, char: str) -> None:
    bad = substituted(value, pos, char)
    if bad is None:
        return
    reason = expected_uscc_reason(bad)
    assert reason is not None, f"reference thinks {bad} is valid"
    with pytest.raises(IdentifierError) as exc:
        normalise_uscc(bad)
    assert str(exc.value) == reason, (bad, pos, char)


@pytest.mark.parametrize("value", DOC_USCCS)
def test_documented_usccs_are_valid(value: str) -> None:
    assert ids.is_valid_uscc(value)
    assert normalise_uscc(value.lower()) == value


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("", R_LENGTH),
        ("91310000631696382", R_LENGTH),
        ("91310000631696382CC", R_LENGTH),
        ("91310000631696382I", R_ALPHABET),
        ("9131000063169638OC", R_ALPHABET),
        ("91310000631S96382C", R_ALPHABET),
        ("91310000631696V82C", R_ALPHABET),
        ("9131000063169Z382C", R_ALPHABET),
        ("91310000-31696382C", R_ALPHABET),
        ("913A0000631696382C", R_DIVISION),
        ("91310000631696382D", R_USCC_CHECK),
    ],
)
def test_malformed_usccs_are_rejected_with_a_reason(value: str, reason: str) -> None:
    with pytest.raises(IdentifierError) as exc:
        normalise_uscc(value)
    assert str(exc.value) == reason
    assert not ids.is_valid_uscc(value)


def test_id_numbers_are_not_usccs_and_back() -> None:
    for v in DOC_IDS:
        assert not ids.is_valid_uscc(v)
    for v in DOC_USCCS:
        assert not ids.is_valid_id_number(v)
