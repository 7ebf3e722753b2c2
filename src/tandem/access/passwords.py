"""Password policy (NIST SP 800-63B §5.1.1.2): a length floor, and no password that is common,
guessable or made of the user's own names. No composition rules and no forced expiry.

The common-password list and the guess estimate are zxcvbn's (its 30,000 most common passwords,
English words, names, keyboard walks, dates, sequences and repeats), given the user's own username,
names and e-mail address as extra words. The demo password ``tandem-demo`` passes it (see
tests/access/test_account.py) and is never special-cased.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from tandem.kit.i18n import N_

MIN_LENGTH = 8
MAX_LENGTH = 256
#: zxcvbn's score 0..4: 3 is "safely unguessable" (about 10^8 guesses or more).
MIN_SCORE = 3
_EVALUATED = 72  # zxcvbn's own ceiling; anything longer is judged on its first 72 characters

TOO_SHORT = N_("At least 8 characters.")
TOO_LONG = N_("At most 256 characters.")
COMMON = N_("This password is one of the most common ones; choose another.")
OWN_NAME = N_("The password must not contain your username, name or e-mail address.")
GUESSABLE = N_("This password is easy to guess; a few unrelated words make a strong one.")


@lru_cache(maxsize=1)
def _common() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def _own_words(words: Iterable[str | None]) -> list[str]:
    """The user's own words, lower case: each value whole (an e-mail address without its domain; three
    characters or more, two in Chinese) and its parts of four or more (``zhao.lei``: ``zhao.lei``, ``zhao``)."""
    out: set[str] = set()
    for word in words:
        if not word:
            continue
        word = word.strip().lower().split("@")[0]
        if len(word) >= (3 if word.isascii() else 2):  # a Chinese name is often two characters
            out.add(word)
        out.update(part for part in re.split(r"[.\s_\-+]+", word) if len(part) >= 4)
    return sorted(out)


def problem(password: str, *, own: Iterable[str | None] = ()) -> str | None:
    """Why ``password`` is refused (a msgid for the form), or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return TOO_SHORT
    if len(password) > MAX_LENGTH:
        return TOO_LONG
    folded = password.lower()
    if folded in _common():
        return COMMON
    words = _own_words(own)
    if any(w in folded for w in words):
        return OWN_NAME
    from zxcvbn import zxcvbn

    if int(zxcvbn(password[:_EVALUATED], user_inputs=words)["score"]) < MIN_SCORE:
        return GUESSABLE
    return None
