"""Chinese identifier checks: resident ID (公民身份号码, GB 11643) and USCC (统一社会信用代码, GB 32100)."""

from __future__ import annotations

import datetime as dt
import re

from tandem.kit.i18n import N_

_ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
_ID_CHECK = "10X98765432"
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
_USCC_RE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{18}$")
_ID_RE = re.compile(r"^[0-9]{17}[0-9X]$")


class IdentifierError(ValueError):
    """Why an identifier is invalid (the message is an English msgid)."""


def id_check_char(body17: str) -> str:
    total = sum(int(d) * w for d, w in zip(body17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def normalise_id_number(value: str, *, today: dt.date | None = None) -> str:
    """Validate an 18-character resident ID number and return it upper-cased; raise IdentifierError."""
    v = value.strip().upper()
    if len(v) == 15 and v.isdigit():
        raise IdentifierError(N_("legacy 15-digit number; use the 18-digit number"))
    if len(v) != 18:
        raise IdentifierError(N_("must be 18 characters"))
    if not _ID_RE.match(v):  # ASCII digits only: str.isdigit() also accepts full-width and other digits
        raise IdentifierError(N_("must be 17 digits followed by a digit or X"))
    if v[0] == "0":
        raise IdentifierError(N_("address code is not valid"))
    try:
        born = dt.date(int(v[6:10]), int(v[10:12]), int(v[12:14]))
    except ValueError:
        raise IdentifierError(N_("birth date is not a valid date")) from None
    if today is None:
        today = dt.datetime.now(tz=dt.UTC).date()  # noqa: TID251 - pure check, no clock to inject
    if born.year < 1800 or born > today:
        raise IdentifierError(N_("birth date is not a valid date"))
    if id_check_char(v[:17]) != v[17]:
        raise IdentifierError(N_("check digit does not match"))
    return v


def uscc_check_char(body17: str) -> str:
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(body17, _USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def normalise_uscc(value: str) -> str:
    """Validate a unified social credit code and return it upper-cased; raise IdentifierError."""
    v = value.strip().upper()
    if len(v) != 18:
        raise IdentifierError(N_("must be 18 characters"))
    if not _USCC_RE.match(v):
        raise IdentifierError(N_("contains a character outside the code alphabet (no I, O, S, V, Z)"))
    if not v[2:8].isdigit():
        raise IdentifierError(N_("division code (positions 3-8) must be digits"))
    if uscc_check_char(v[:17]) != v[17]:
        raise IdentifierError(N_("check character does not match"))
    return v


def is_valid_id_number(value: str) -> bool:
    try:
        normalise_id_number(value)
    except IdentifierError:
        return False
    return True


def is_valid_uscc(value: str) -> bool:
    try:
        normalise_uscc(value)
    except IdentifierError:
        return False
    return True


def mask_id_number(value: str) -> str:
    """Show the region and last four only: 110105********002X."""
    return value[:6] + "*" * (len(value) - 10) + value[-4:] if len(value) > 10 else "*" * len(value)


def mask_uscc(value: str) -> str:
    return value[:4] + "*" * (len(value) - 8) + value[-4:] if len(value) > 8 else "*" * len(value)


def mask_phone(value: str) -> str:
    return value[:3] + "****" + value[-4:] if len(value) >= 11 else "*" * len(value)
