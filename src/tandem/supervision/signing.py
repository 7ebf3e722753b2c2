"""A signed export: one ``<kind>.jsonl`` per kind (one canonical JSON record a line), ``manifest.json``
naming each file with its SHA-256, size and record count, and ``manifest.sig``, the base64 Ed25519
signature of manifest.json's bytes by the platform's key (``TANDEM_SUPERVISION_SIGNING_KEY``).

A receiver checks the signature with the platform's public key (``tandem export public-key``), then
each file's digest against the manifest: a changed byte anywhere fails, naming the file."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from tandem.config import Settings
from tandem.kit.canonical import canonical_json, sha256_hex
from tandem.kit.errors import TandemError


class SigningKeyError(TandemError):
    """The signing key is missing (production) or malformed, or a given public key is."""

    status = 500
    code = "supervision.signing_key"
    message = "The supervision feed's key: {problem}"


FORMAT = "tandem-supervision-feed/1"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
KEY_SETTING = "TANDEM_SUPERVISION_SIGNING_KEY"


def private_key(settings: Settings) -> Ed25519PrivateKey:
    """The platform's signing key: TANDEM_SUPERVISION_SIGNING_KEY (a 32-byte seed, base64); outside
    production, unset, one derived from the server's secret key."""
    raw = settings.supervision_signing_key
    if raw is None:
        if settings.is_production:
            raise SigningKeyError(problem=f"{KEY_SETTING} is not set (production signs with its own key)")
        return Ed25519PrivateKey.from_private_bytes(
            hashlib.sha256(b"supervision-feed:" + settings.secret_key.encode()).digest()
        )
    try:
        seed = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        seed = b""
    if len(seed) != 32:
        raise SigningKeyError(problem=f"{KEY_SETTING} must be 32 bytes in base64")
    return Ed25519PrivateKey.from_private_bytes(seed)


def public_key_text(key: Ed25519PublicKey) -> str:
    return base64.b64encode(key.public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()


def load_public_key(text: str) -> Ed25519PublicKey:
    try:
        raw = base64.b64decode(text, validate=True)
        return Ed25519PublicKey.from_public_bytes(raw)
    except (binascii.Error, ValueError):
        raise SigningKeyError(problem="the public key must be 32 bytes in base64") from None


def jsonl(records: list[dict[str, Any]]) -> bytes:
    return b"".join(canonical_json(r) + b"\n" for r in records)


@dataclass(frozen=True)
class Export:
    files: dict[str, bytes]  # name -> bytes, manifest and signature included


def build(
    settings: Settings, day: dt.date, records: dict[str, list[dict[str, Any]]], generated_at: dt.datetime
) -> Export:
    """The export's files: each kind's JSON Lines, the manifest over them, the manifest's signature."""
    key = private_key(settings)
    files = {f"{kind}.jsonl": jsonl(rows) for kind, rows in records.items()}
    manifest = {
        "format": FORMAT,
        "date": day,
        "timezone": "Asia/Shanghai",
        "generated_at": generated_at,
        "public_key": public_key_text(key.public_key()),
        "files": [
            {"name": name, "sha256": sha256_hex(data), "bytes": len(data), "records": len(records[name[:-6]])}
            for name, data in files.items()
        ],
    }
    body = json.dumps(json.loads(canonical_json(manifest)), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    files[MANIFEST] = body.encode()
    files[SIGNATURE] = base64.b64encode(key.sign(files[MANIFEST])) + b"\n"
    return Export(files)


def write(export: Export, out: Path) -> None:
    """Write the export into ``out`` (which must not exist yet) all at once: into a temporary folder
    beside it, renamed into place, so a failure leaves nothing half-written."""
    if out.exists():
        raise FileExistsError(f"{out}: already exists; choose another --out or remove it")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        for name, data in export.files.items():
            (tmp / name).write_bytes(data)
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def verify(folder: Path, key: Ed25519PublicKey) -> str | None:
    """The first problem of a received export as one line naming the file, or None when it verifies."""
    try:
        manifest_bytes = (folder / MANIFEST).read_bytes()
        signature = base64.b64decode((folder / SIGNATURE).read_bytes().strip(), validate=True)
    except FileNotFoundError as exc:
        return f"{Path(str(exc.filename)).name}: missing"
    except (binascii.Error, ValueError):
        return f"{SIGNATURE}: not a base64 signature"
    try:
        key.verify(signature, manifest_bytes)
    except InvalidSignature:
        return f"{MANIFEST}: the signature in {SIGNATURE} does not match (either changed, or another key signed)"
    listed = json.loads(manifest_bytes)["files"]
    for entry in listed:
        path = folder / entry["name"]
        if not path.is_file():
            return f"{entry['name']}: missing"
        if sha256_hex(path.read_bytes()) != entry["sha256"]:
            return f"{entry['name']}: SHA-256 differs from the manifest"
    known = {e["name"] for e in listed} | {MANIFEST, SIGNATURE}
    for extra in sorted(p.name for p in folder.iterdir()):
        if extra not in known:
            return f"{extra}: not in the manifest"
    return None
