"""Personal identifiers at rest (PIPL Art. 51; JR/T 0171 C2: ID and mobile numbers encrypted in storage).

A column typed :class:`Encrypted` holds ``pii1:<key id>:<base64 nonce+ciphertext+tag>`` (AES-256-GCM,
the column's purpose as associated data) and the code reads and writes plaintext. The keys come from
``TANDEM_PII_KEYS`` — a key ring ``id:base64key,id:base64key``, newest first: values are written with the
newest key and read with whichever key their id names, so ``tandem pii rotate-key`` can re-encrypt every
value with the newest key before an old one is removed.

An encrypted column cannot be compared in SQL (every encryption differs). Equality look-ups go through a
keyed blind index next to it (``<column>_bidx``: HMAC-SHA256 of the normalised value under
``TANDEM_PII_INDEX_KEY``), kept by :func:`keep_index` whenever the attribute is set.

Development, tests and the demo use a fixed key derived here when none is set; production refuses to
start without both keys (docs/security.md, "Encryption at rest")."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import String, event, false
from sqlalchemy.sql import operators
from sqlalchemy.types import TypeDecorator

PREFIX = "pii1"
_KID = re.compile(r"^[A-Za-z0-9_-]{1,16}$")
# Development only: a key anyone can derive, so a dev or demo database needs no configuration.
_DEV_SEED = b"tandem development PII key - not a secret, never used in production"
DEV_KEY_ID = "dev"


class PiiKeyError(RuntimeError):
    """The PII key configuration is missing or malformed, or a value cannot be decrypted with it."""


def normalise_phone(phone: str | None) -> str | None:
    """A phone number as digits only, the country prefix (+86, 0086, 86) of a mainland mobile removed;
    None when what is left is too short to be a whole number."""
    digits = "".join(ch for ch in (phone or "") if ch.isdigit())
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11 and digits[len(prefix)] == "1":
            digits = digits[len(prefix) :]
            break
    return digits if len(digits) >= 7 else None


def _normal_id(value: str | None) -> str | None:
    v = (value or "").strip().upper()
    return v or None


# How a value is normalised before it is indexed: the look-up normalises its probe the same way.
NORMALISERS: dict[str, Callable[[str | None], str | None]] = {"id_number": _normal_id, "phone": normalise_phone}


def _dev_key(purpose: bytes) -> bytes:
    return hashlib.sha256(_DEV_SEED + b"/" + purpose).digest()


def dev_key_spec() -> str:
    """The development key as a ring entry (``dev:<base64>``): listed after a real key, it lets
    ``tandem pii rotate-key`` move a development or demo database onto the real key."""
    return f"{DEV_KEY_ID}:{base64.b64encode(_dev_key(b'aes')).decode()}"


def parse_keys(spec: str) -> tuple[tuple[str, bytes], ...]:
    """``id:base64key,id:base64key`` (newest first) -> ((id, 32-byte key), ...); PiiKeyError when malformed."""
    keys: list[tuple[str, bytes]] = []
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        kid, sep, b64 = part.partition(":")
        if not sep or not _KID.match(kid):
            raise PiiKeyError(f"TANDEM_PII_KEYS: {kid!r} is not 'id:base64key' with an id of 1-16 letters or digits")
        try:
            key = base64.b64decode(b64, validate=True)
        except ValueError:
            raise PiiKeyError(f"TANDEM_PII_KEYS: key {kid!r} is not base64") from None
        if len(key) != 32:
            raise PiiKeyError(f"TANDEM_PII_KEYS: key {kid!r} must be 32 bytes (AES-256), not {len(key)}")
        if any(k == kid for k, _ in keys):
            raise PiiKeyError(f"TANDEM_PII_KEYS: key id {kid!r} appears twice")
        keys.append((kid, key))
    if not keys:
        raise PiiKeyError("TANDEM_PII_KEYS holds no key")
    return tuple(keys)


def new_key() -> str:
    """A fresh random key, base64 (for ``tandem pii new-key``)."""
    return base64.b64encode(os.urandom(32)).decode()


@dataclass(frozen=True)
class KeyRing:
    keys: tuple[tuple[str, bytes], ...]  # newest first
    index_key: bytes

    @property
    def newest(self) -> str:
        return self.keys[0][0]

    def _key(self, kid: str) -> bytes:
        for k, key in self.keys:
            if k == kid:
                return key
        raise PiiKeyError(f"no PII key with id {kid!r} in TANDEM_PII_KEYS (was it removed before rotation?)")

    def encrypt(self, plaintext: str, purpose: str) -> str:
        kid, key = self.keys[0]
        nonce = os.urandom(12)
        sealed = AESGCM(key).encrypt(nonce, plaintext.encode(), purpose.encode())
        return f"{PREFIX}:{kid}:{base64.b64encode(nonce + sealed).decode()}"

    def decrypt(self, token: str, purpose: str) -> str:
        kid = key_id(token)
        if kid is None:
            raise PiiKeyError("stored value is not encrypted (run the migration that encrypts it)")
        raw = base64.b64decode(token.split(":", 2)[2])
        try:
            return AESGCM(self._key(kid)).decrypt(raw[:12], raw[12:], purpose.encode()).decode()
        except InvalidTag:
            raise PiiKeyError(f"a value under PII key {kid!r} does not decrypt: wrong key or altered value") from None

    def blind(self, value: str | None, purpose: str) -> str | None:
        """The blind index of ``value`` (normalised for its purpose); None for no value."""
        normal = NORMALISERS[purpose](value)
        if normal is None:
            return None
        return hmac.new(self.index_key, f"{purpose}\0{normal}".encode(), hashlib.sha256).hexdigest()


def key_id(token: str) -> str | None:
    """The id of the key a stored value was encrypted with; None when it is not an encrypted value."""
    parts = token.split(":", 2)
    return parts[1] if len(parts) == 3 and parts[0] == PREFIX else None


def ring_from(keys: str | None, index_key: str | None, *, production: bool) -> KeyRing:
    """The key ring of those settings; in production both keys are required (PiiKeyError otherwise)."""
    if production and (not keys or not index_key):
        missing = " and ".join(n for n, v in (("TANDEM_PII_KEYS", keys), ("TANDEM_PII_INDEX_KEY", index_key)) if not v)
        raise PiiKeyError(
            f"{missing} not set: production refuses to start without the keys that encrypt ID and phone numbers "
            "(docs/security.md, 'Encryption at rest'; `tandem pii new-key` makes one)"
        )
    ring = parse_keys(keys) if keys else ((DEV_KEY_ID, _dev_key(b"aes")),)
    if index_key:
        try:
            index = base64.b64decode(index_key, validate=True)
        except ValueError:
            raise PiiKeyError("TANDEM_PII_INDEX_KEY is not base64") from None
        if len(index) < 32:
            raise PiiKeyError("TANDEM_PII_INDEX_KEY must be at least 32 bytes")
    else:
        index = _dev_key(b"index")
    return KeyRing(ring, index)


_current: KeyRing | None = None


def configure(settings: Any) -> KeyRing:
    """Use the key ring of ``settings`` (the app and the CLI call this at start); PiiKeyError when unusable."""
    global _current
    _current = ring_from(settings.pii_keys, settings.pii_index_key, production=settings.is_production)
    return _current


def ring() -> KeyRing:
    """The key ring in use: the configured one, else that of the environment's settings."""
    if _current is None:
        from tandem.config import get_settings

        return configure(get_settings())
    return _current


@contextmanager
def using(keys: KeyRing) -> Iterator[KeyRing]:
    """Use ``keys`` for the duration (tests of rotation)."""
    global _current
    before = _current
    _current = keys
    try:
        yield keys
    finally:
        _current = before


class Encrypted(TypeDecorator[str]):
    """A string column stored encrypted (see the module). Compare its blind index, never the column."""

    impl = String(255)
    cache_ok = True

    class comparator_factory(TypeDecorator.Comparator[str]):
        def operate(self, op: Any, *other: Any, **kwargs: Any) -> Any:
            if op in (operators.is_, operators.is_not) or (
                op in (operators.eq, operators.ne) and other and other[0] is None
            ):
                return super().operate(op, *other, **kwargs)
            raise TypeError("an encrypted column cannot be compared in SQL; compare its blind index (<column>_bidx)")

    def __init__(self, purpose: str) -> None:
        super().__init__()
        if purpose not in NORMALISERS:
            raise ValueError(f"unknown PII purpose {purpose!r}")
        self.purpose = purpose

    def process_bind_param(self, value: str | None, dialect: Any) -> str | None:
        if value is None:
            return None
        return ring().encrypt(value, self.purpose)

    def process_result_value(self, value: str | None, dialect: Any) -> str | None:
        return None if value is None else ring().decrypt(value, self.purpose)


def keep_index(attribute: Any, index: str, purpose: str) -> None:
    """Whenever ``attribute`` is set on an entity, set its blind index column ``index`` too."""

    @event.listens_for(attribute, "set", propagate=True)
    def _set(target: Any, value: str | None, _old: Any, _initiator: Any) -> None:
        setattr(target, index, ring().blind(value, purpose))


def equals(index_column: Any, value: str | None, purpose: str) -> Any:
    """SQL: the blind index ``index_column`` matches ``value`` (never matches no value)."""
    probe = ring().blind(value, purpose)
    return index_column == probe if probe is not None else false()
