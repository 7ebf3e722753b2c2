"""Expert pools in the database: JSONL import, the persisted search index and its reconciliation.

The index lives under ``settings.var_dir/expert-index/<hash of the database URL>/`` (two databases never
share one) next to ``state.json``: the (count, max ``updated_at``) fingerprint of the ``expert`` table
it reflects. :func:`sync_index` loads it and, when the fingerprint moved, upserts the rows written since
and removes the rows gone — no full rebuild for an edit. Only a missing or unreadable index is rebuilt.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from tandem.access.models import Organisation, OrgKind
from tandem.config import Settings
from tandem.expert.search import ExpertDoc, ExpertIndex, Hit
from tandem.party.models import AdjusterFirm, Expert, FilingStatus, LegalForm, Visibility

OWNER_KINDS = {"broker": OrgKind.BROKER, "adjuster_firm": OrgKind.ADJUSTER_FIRM}
_LIST_KEYS = ("specialties", "lines", "regions", "certificates")
_STATE_FORMAT = 1


# ---------------------------------------------------------------------------------------------- import


@dataclass
class LineError:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    organisations: int = 0
    errors: list[LineError] = field(default_factory=list)

    def summary(self) -> str:
        return (f"imported {self.created + self.updated + self.unchanged} experts: {self.created} new, "
                f"{self.updated} updated, {self.unchanged} unchanged; {self.organisations} organisations created")


def _str(value: Any, name: str, *, required: bool, limit: int | None) -> str | None:
    if value is None or value == "":
        if required:
            raise ValueError(f"{name}: required")
        return None
    if not isinstance(value, str):
        raise ValueError(f"{name}: must be a string")
    text = value.strip()
    if required and not text:
        raise ValueError(f"{name}: required")
    if limit is not None and len(text) > limit:
        raise ValueError(f"{name}: longer than {limit} characters")
    return text


def parse_profile(raw: str) -> dict[str, Any]:
    """Validate one JSONL line; the row values for ``expert`` plus ``organisation``/``owner_type``."""
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON ({exc.msg})") from None
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    out: dict[str, Any] = {
        "external_id": _str(data.get("id"), "id", required=True, limit=40),
        "name": _str(data.get("name"), "name", required=True, limit=100),
        "title": _str(data.get("title"), "title", required=False, limit=100),
        "employer": _str(data.get("organisation"), "organisation", required=True, limit=180),
        "bio": _str(data.get("bio"), "bio", required=False, limit=None),
    }
    owner_type = data.get("owner_type")
    if owner_type not in OWNER_KINDS:
        raise ValueError("owner_type: must be broker or adjuster_firm")
    out["owner_type"] = owner_type
    for key in _LIST_KEYS:
        value = data.get(key, [])
        if value is None:
            value = []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValueError(f"{key}: must be a list of strings")
        out[key] = [v.strip() for v in value if v.strip()]
    years = data.get("years")
    if years is not None and (isinstance(years, bool) or not isinstance(years, int) or years < 0):
        raise ValueError("years: must be a non-negative integer")
    out["years"] = years
    return out


def read_profiles(path: Path) -> tuple[list[dict[str, Any]], list[LineError]]:
    """Parse and validate the whole file; duplicate ids are errors too."""
    rows: list[dict[str, Any]] = []
    errors: list[LineError] = []
    seen: dict[str, int] = {}
    with path.open(encoding="utf-8") as fh:
        for no, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                row = parse_profile(raw)
            except ValueError as exc:
                errors.append(LineError(no, str(exc)))
                continue
            first = seen.setdefault(row["external_id"], no)
            if first != no:
                errors.append(LineError(no, f"id: {row['external_id']} already on line {first}"))
                continue
            rows.append(row)
    return rows, errors


def _alias(name: str, kind: OrgKind) -> str:
    return f"{name}（{kind.value}）"


def _chunks(values: list[Any], size: int) -> list[list[Any]]:
    return [values[i:i + size] for i in range(0, len(values), size)]


_COMPARED = ("name", "title", "employer", "specialties", "lines", "regions", "certificates", "years", "bio",
             "owner_id")


def import_profiles(session: Session, rows: list[dict[str, Any]], at: dt.datetime) -> ImportResult:
    """Upsert validated profiles by external id, creating owner organisations; bulk statements."""
    result = ImportResult()
    pairs = {(r["employer"], OWNER_KINDS[r["owner_type"]]) for r in rows}
    names = {n for n, _ in pairs} | {_alias(n, k) for n, k in pairs}
    by_name: dict[str, Organisation] = {}
    for chunk in _chunks(sorted(names), 500):
        by_name.update({o.name: o for o in session.execute(
            select(Organisation).where(Organisation.name.in_(chunk))).scalars()})
    owners: dict[tuple[str, OrgKind], Organisation] = {}
    for name, kind in sorted(pairs):
        # An outside institution (testing centre, CPA firm) can appear in both kinds of pool: the pool of
        # the other kind is the organisation "<name>（broker|adjuster_firm）".
        org = by_name.get(name)
        if org is not None and org.kind is not kind:
            org = by_name.get(_alias(name, kind))
            if org is not None and org.kind is not kind:
                raise ValueError(f"organisation {org.name!r} exists as {org.kind.value}, not {kind.value}")
            new_name = _alias(name, kind)
        else:
            new_name = name
        if org is None:
            org = Organisation(id=uuid.uuid4(), kind=kind, name=new_name, active=True, created_at=at)
            session.add(org)
            if kind is OrgKind.ADJUSTER_FIRM:
                session.add(AdjusterFirm(
                    organisation_id=org.id, legal_form=LegalForm.COMPANY,
                    filing_no=f"PENDING-{hashlib.sha256(new_name.encode()).hexdigest()[:16]}",
                    filing_status=FilingStatus.PENDING, capital=Decimal(0), business_area=[], lines=[]))
            by_name[new_name] = org
            result.organisations += 1
        owners[(name, kind)] = org
    session.flush()

    existing: dict[str, dict[str, Any]] = {}
    ext_ids = [r["external_id"] for r in rows]
    cols = [Expert.id, Expert.external_id, *(getattr(Expert, c) for c in _COMPARED)]
    for i in range(0, len(ext_ids), 500):
        for m in session.execute(select(*cols).where(Expert.external_id.in_(ext_ids[i:i + 500]))).mappings():
            existing[m["external_id"]] = dict(m)
    new: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    for r in rows:
        values = {k: r[k] for k in ("external_id", "name", "title", "employer", "bio", "years", *_LIST_KEYS)}
        values["owner_id"] = owners[(r["employer"], OWNER_KINDS[r["owner_type"]])].id
        old = existing.get(r["external_id"])
        if old is None:
            new.append({**values, "id": uuid.uuid4(), "visibility": Visibility.PARTNERS, "extra": {},
                        "updated_at": at})
        elif any(old[c] != values[c] for c in _COMPARED):
            changed.append({**values, "id": old["id"], "updated_at": at})
        else:
            result.unchanged += 1
    if new:
        session.execute(insert(Expert), new)
    if changed:
        session.execute(update(Expert), changed)
    result.created, result.updated = len(new), len(changed)
    return result


def touch(expert: Expert, at: dt.datetime) -> None:
    """Mark an edited expert so the search index picks it up."""
    expert.updated_at = at


# ---------------------------------------------------------------------------------------------- index


def index_dir(settings: Settings) -> Path:
    key = hashlib.sha256(settings.database_url.encode()).hexdigest()[:16]
    return Path(settings.var_dir) / "expert-index" / key


def _key(external_id: str | None, pk: uuid.UUID) -> str:
    return external_id or str(pk)


def _doc(e: Expert) -> ExpertDoc:
    return ExpertDoc(
        id=_key(e.external_id, e.id), name=e.name, title=e.title or "", organisation=e.employer or "",
        owner_type=e.owner.kind.value, specialties=tuple(e.specialties or ()), lines=tuple(e.lines or ()),
        regions=tuple(e.regions or ()), certificates=tuple(e.certificates or ()), years=e.years or 0,
        bio=e.bio or "")


def _iso(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).isoformat() if value is not None else None


def fingerprint(session: Session) -> dict[str, Any]:
    count, latest = session.execute(select(func.count(Expert.id), func.max(Expert.updated_at))).one()
    if isinstance(latest, dt.datetime) and latest.tzinfo is None:  # func.max skips the type decorator
        latest = latest.replace(tzinfo=dt.UTC)
    elif isinstance(latest, str):
        latest = dt.datetime.fromisoformat(latest).replace(tzinfo=dt.UTC)
    return {"count": int(count), "max_updated_at": _iso(latest)}


@dataclass
class SyncStats:
    mode: str  # fresh | loaded | reconciled | built
    upserted: int = 0
    removed: int = 0


_CACHE: dict[str, tuple[ExpertIndex, dict[str, Any]]] = {}
_CACHE_LOCK = threading.Lock()


def _full_docs(session: Session, keys: set[str] | None = None) -> list[ExpertDoc]:
    stmt = select(Expert)
    docs = []
    for e in session.execute(stmt).unique().scalars():
        d = _doc(e)
        if keys is None or d.id in keys:
            docs.append(d)
    return docs


def sync_index(session: Session, settings: Settings, *, persist: bool = True) -> tuple[ExpertIndex, SyncStats]:
    """The search index of this database, current with it (see the module doc)."""
    root = index_dir(settings)
    fp = fingerprint(session)
    with _CACHE_LOCK:
        cached = _CACHE.get(settings.database_url)
        stats = SyncStats("fresh")
        index: ExpertIndex | None = None
        state: dict[str, Any] = {}
        if cached is not None:
            index, state = cached
        else:
            try:
                state = json.loads((root / "state.json").read_text(encoding="utf-8"))
                if state.get("format") != _STATE_FORMAT:
                    raise ValueError("format")
                index = ExpertIndex.load(root / "index", cache_dir=Path(settings.var_dir) / "jieba-cache")
                stats.mode = "loaded"
            except (OSError, ValueError, KeyError):
                index, state = None, {}
        if index is not None and state.get("fingerprint") == fp:
            _CACHE[settings.database_url] = (index, state)
            return index, stats
        if index is None:
            index = ExpertIndex.from_docs(_full_docs(session), cache_dir=Path(settings.var_dir) / "jieba-cache")
            stats = SyncStats("built", upserted=len(index))
        else:
            since_iso = state.get("fingerprint", {}).get("max_updated_at")
            since = dt.datetime.fromisoformat(since_iso) if since_iso else None
            rows = session.execute(select(Expert.id, Expert.external_id, Expert.updated_at)).all()
            db_keys = {_key(x, pk) for pk, x, _ in rows}
            stale = {_key(x, pk) for pk, x, upd in rows
                     if _key(x, pk) not in index or (upd is not None and (since is None or upd > since))}
            gone = [d.id for d in index.docs() if d.id not in db_keys]
            for k in gone:
                index.remove(k)
            docs = _full_docs(session, stale) if stale else []
            for d in docs:
                index.upsert(d)
            stats = SyncStats("reconciled", upserted=len(docs), removed=len(gone))
        state = {"format": _STATE_FORMAT, "fingerprint": fp}
        if persist:
            root.mkdir(parents=True, exist_ok=True)
            index.save(root / "index")
            (root / "state.json").write_text(json.dumps(state), encoding="utf-8")
        _CACHE[settings.database_url] = (index, state)
        return index, stats


def forget_cached(settings: Settings) -> None:
    with _CACHE_LOCK:
        _CACHE.pop(settings.database_url, None)


def search(session: Session, settings: Settings, text: str, *, line: str | None = None,
           region: str | None = None, top: int = 10, allowed: set[str] | None = None) -> list[Hit]:
    index, _ = sync_index(session, settings)
    return index.search(text, line=line, region=region, top=top, allowed_ids=allowed)


def keys_of(session: Session, stmt: Any) -> set[str]:
    """Index keys of the experts selected by ``stmt`` (a ``select(Expert)``, e.g. visible_experts)."""
    sub = stmt.with_only_columns(Expert.id, Expert.external_id)
    return {_key(x, pk) for pk, x in session.execute(sub).all()}
