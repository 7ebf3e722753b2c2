"""Expert pools in the database: JSONL import, the persisted search index and its reconciliation.

The index lives under ``settings.var_dir/expert-index/<hash of the database URL>/`` (two databases never
share one) next to ``state.json``: the (count, max ``updated_at``) fingerprint of the ``expert`` table
it reflects. :func:`sync_index` loads it and, when the fingerprint moved, upserts the rows written since
and removes the rows gone — no full rebuild for an edit. Only a missing or unreadable index is rebuilt.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import logging
import re
import threading
import uuid
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, insert, select, update
from sqlalchemy.orm import Session, object_session

from tandem.access.models import Organisation, OrgKind
from tandem.config import Settings
from tandem.expert.search import ExpertDoc, ExpertIndex, Hit
from tandem.kit.errors import TandemError
from tandem.kit.i18n import N_
from tandem.party import cover
from tandem.party.models import AdjusterFirm, Expert, FilingStatus, LegalForm, Visibility

OWNER_KINDS = {"broker": OrgKind.BROKER, "adjuster_firm": OrgKind.ADJUSTER_FIRM}
LIST_KEYS = ("specialties", "lines", "regions", "certificates")
_STATE_FORMAT = 1
log = logging.getLogger(__name__)


# ---------------------------------------------------------------------------------------------- import


# Lines of insurance: the closed list of the pool schema (``shared/data/experts/README.md``).
LINES = cover.LINES

# What can be wrong with a profile value (translated on the pages; the CLI prints the English).
REQUIRED = N_("required")
NOT_A_STRING = N_("must be a string")
LONGER_THAN = N_("longer than {limit} characters")
NOT_JSON = N_("not JSON (at character {pos})")
NOT_AN_OBJECT = N_("not a JSON object")
BAD_OWNER_TYPE = N_("must be broker or adjuster_firm")
NOT_A_LIST = N_("must be a list of strings")
BAD_YEARS = N_("must be a whole number from 0 to {limit}")
TOO_DEEP = N_("nested too deeply")
MAX_YEARS = 80  # as the edit form (tandem.web.experts)
BAD_PERIODS = N_("must be a list of periods with from and until dates (YYYY-MM-DD)")
PERIOD_ORDER = N_("a period ends before it starts")
DUPLICATE_ID = N_("{id} already on line {first}")
OTHER_POOL = N_("{id} belongs to another organisation's pool")
WRONG_OWNER_TYPE = N_("must be {kind} for your pool")
BAD_EMAIL = N_("not an e-mail address")
BAD_PHONE = N_("not a phone number")
ENTRY_TOO_LONG = N_("an entry is longer than {limit} characters")
TOO_MANY_ENTRIES = N_("more than {limit} entries")
LIST_LIMITS = (50, 100)  # entries per list, characters per entry
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PHONE = re.compile(r"\+?[0-9][0-9 ()\-]{4,19}")


class ProfileError(ValueError):
    """One invalid value: ``field`` is the JSON key (``None`` for the line as a whole); ``str()`` is the
    English the CLI prints (``name: required``), ``msgid``/``params`` are what pages translate."""

    def __init__(self, field: str | None, msgid: str, **params: Any) -> None:
        self.field, self.msgid, self.params = field, msgid, params
        text = msgid.format(**params)
        super().__init__(f"{field}: {text}" if field else text)


@dataclass
class LineError:
    line: int
    message: str
    key: str | None = None  # the JSON key at fault
    msgid: str | None = None
    params: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, line: int, exc: ProfileError) -> LineError:
        return cls(line, str(exc), exc.field, exc.msgid, exc.params)

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    organisations: int = 0
    errors: list[LineError] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged

    def summary(self) -> str:
        return (
            f"imported {self.total} experts: {self.created} new, "
            f"{self.updated} updated, {self.unchanged} unchanged; {self.organisations} organisations created"
        )


def _str(value: Any, name: str, *, required: bool, limit: int | None) -> str | None:
    if value is None or value == "":
        if required:
            raise ProfileError(name, REQUIRED)
        return None
    if not isinstance(value, str):
        raise ProfileError(name, NOT_A_STRING)
    text = value.strip()
    if required and not text:
        raise ProfileError(name, REQUIRED)
    if limit is not None and len(text) > limit:
        raise ProfileError(name, LONGER_THAN, limit=limit)
    return text


def _strings(value: Any, name: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ProfileError(name, NOT_A_LIST)
    items = [v.strip() for v in value if v.strip()]
    most, longest = LIST_LIMITS
    if len(items) > most:
        raise ProfileError(name, TOO_MANY_ENTRIES, limit=most)
    if any(len(v) > longest for v in items):
        raise ProfileError(name, ENTRY_TOO_LONG, limit=longest)
    return items


def _periods(value: Any) -> list[dict[str, str]]:
    """Busy periods ``[{"from": "2026-12-01", "until": "2026-12-15"}]`` (dates inclusive), in order."""
    if value is None:
        return []
    out: list[tuple[dt.date, dt.date]] = []
    if not isinstance(value, list):
        raise ProfileError("availability", BAD_PERIODS)
    for item in value:
        try:
            start = dt.date.fromisoformat(item["from"])
            end = dt.date.fromisoformat(item["until"])
        except (TypeError, KeyError, ValueError):
            raise ProfileError("availability", BAD_PERIODS) from None
        if end < start:
            raise ProfileError("availability", PERIOD_ORDER)
        out.append((start, end))
    return [{"from": a.isoformat(), "until": b.isoformat()} for a, b in sorted(out)]


def _checked(check: Any, errors: list[ProfileError], *args: Any, **kw: Any) -> Any:
    try:
        return check(*args, **kw)
    except ProfileError as exc:
        errors.append(exc)
        return None


def check_profile(data: Mapping[str, Any]) -> tuple[dict[str, Any], list[ProfileError]]:
    """Validate a profile in the JSONL schema; the row values for ``expert`` (plus ``owner_type``) and
    every error found. Optional beyond the shared schema: ``phone``, ``email``, ``fee_basis``,
    ``availability`` (busy periods) and ``conflicts`` (organisations the expert must not act against);
    a key left out means "none", so a file always carries whole profiles."""
    errors: list[ProfileError] = []
    out: dict[str, Any] = {}
    for key, column, required, limit in (
        ("id", "external_id", True, 40),
        ("name", "name", True, 100),
        ("title", "title", False, 100),
        ("organisation", "employer", True, 180),
        ("bio", "bio", False, 5000),
        ("phone", "phone", False, 20),
        ("email", "email", False, 200),
        ("fee_basis", "fee_basis", False, 200),
    ):
        out[column] = _checked(_str, errors, data.get(key), key, required=required, limit=limit)
    if out["email"] and not _EMAIL.fullmatch(out["email"]):
        errors.append(ProfileError("email", BAD_EMAIL))
    if out["phone"] and not _PHONE.fullmatch(out["phone"]):
        errors.append(ProfileError("phone", BAD_PHONE))
    owner_type = data.get("owner_type")
    if owner_type not in OWNER_KINDS:
        errors.append(ProfileError("owner_type", BAD_OWNER_TYPE))
    out["owner_type"] = owner_type
    for key in LIST_KEYS:
        out[key] = _checked(_strings, errors, data.get(key, []), key) or []
    years = data.get("years")
    if years is not None and (isinstance(years, bool) or not isinstance(years, int) or not 0 <= years <= MAX_YEARS):
        errors.append(ProfileError("years", BAD_YEARS, limit=MAX_YEARS))
    out["years"] = years
    extra = {
        "availability": _checked(_periods, errors, data.get("availability")),
        "conflicts": _checked(_strings, errors, data.get("conflicts"), "conflicts"),
    }
    out["extra"] = {k: v for k, v in extra.items() if v}
    return out, errors


def parse_profile(raw: str) -> dict[str, Any]:
    """Validate one JSONL line (see :func:`check_profile`); the first error is raised."""
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ProfileError(None, NOT_JSON, pos=exc.pos + 1) from None
    except RecursionError:
        raise ProfileError(_deep_key(raw), TOO_DEEP) from None
    if not isinstance(data, dict):
        raise ProfileError(None, NOT_AN_OBJECT)
    out, errors = check_profile(data)
    if errors:
        raise errors[0]
    return out


def _deep_key(raw: str, limit: int = 200) -> str | None:
    """The top-level key whose value nests more than ``limit`` arrays or objects deep (None when the line
    itself is, or is not an object): a scan of brackets outside strings, with no recursion."""
    depth, key, in_string, escaped, start = 0, None, False, False, 0
    for pos, char in enumerate(raw):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
                if depth == 1 and raw[pos + 1 :].lstrip().startswith(":"):
                    try:
                        key = json.loads(raw[start : pos + 1])
                    except ValueError:
                        key = None
        elif char == '"':
            in_string, start = True, pos
        elif char in "[{":
            depth += 1
            if depth > limit:
                return key
        elif char in "]}":
            depth -= 1
    return None


def read_profiles(source: Path | str | bytes) -> tuple[list[dict[str, Any]], list[LineError]]:
    """Parse and validate a whole file (a path, or its text or bytes); duplicate ids are errors too.
    Each row carries its ``line`` number. Bytes that are not UTF-8 raise ``UnicodeDecodeError``."""
    if isinstance(source, Path):
        text = source.read_text(encoding="utf-8")
    elif isinstance(source, bytes):
        text = source.decode("utf-8")
    else:
        text = source
    rows: list[dict[str, Any]] = []
    errors: list[LineError] = []
    seen: dict[str, int] = {}
    # Lines end at \n, \r\n or \r only, as when reading the file (never at U+2028 inside a JSON string).
    for no, raw in enumerate(io.StringIO(text.removeprefix("\ufeff"), newline=None), start=1):
        if not raw.strip():
            continue
        try:
            row = parse_profile(raw)
        except ProfileError as exc:
            errors.append(LineError.of(no, exc))
            continue
        first = seen.setdefault(row["external_id"], no)
        if first != no:
            errors.append(LineError.of(no, ProfileError("id", DUPLICATE_ID, id=row["external_id"], first=first)))
            continue
        rows.append({**row, "line": no})
    return rows, errors


def pool_errors(session: Session, rows: list[dict[str, Any]], owner: Organisation) -> list[LineError]:
    """Rows that cannot go into ``owner``'s own pool: another kind of pool, or an id another pool uses."""
    errors: list[LineError] = []
    kind = owner.kind.value
    for r in rows:
        if r["owner_type"] != kind:
            errors.append(LineError.of(r["line"], ProfileError("owner_type", WRONG_OWNER_TYPE, kind=kind)))
    ext_ids = [r["external_id"] for r in rows]
    taken: set[str] = set()
    for chunk in _chunks(ext_ids, 500):
        taken.update(
            x
            for (x,) in session.execute(
                select(Expert.external_id).where(Expert.external_id.in_(chunk), Expert.owner_id != owner.id)
            )
            if x is not None
        )
        pks = [u for u in (_as_uuid(x) for x in chunk) if u is not None]
        if pks:
            taken.update(
                str(pk)
                for (pk,) in session.execute(
                    select(Expert.id).where(
                        Expert.id.in_(pks), Expert.external_id.is_(None), Expert.owner_id != owner.id
                    )
                )
            )
    for r in rows:
        if r["external_id"] in taken:
            errors.append(LineError.of(r["line"], ProfileError("id", OTHER_POOL, id=r["external_id"])))
    return sorted(errors, key=lambda e: e.line)


def _alias(name: str, kind: OrgKind) -> str:
    return f"{name}（{kind.value}）"


def _chunks(values: list[Any], size: int) -> list[list[Any]]:
    return [values[i : i + size] for i in range(0, len(values), size)]


_COMPARED = (
    "name",
    "title",
    "employer",
    "specialties",
    "lines",
    "regions",
    "certificates",
    "years",
    "bio",
    "phone",
    "email",
    "fee_basis",
    "extra",
    "owner_id",
)


def _owners(
    session: Session, rows: list[dict[str, Any]], at: dt.datetime, result: ImportResult
) -> dict[tuple[str, OrgKind], Organisation]:
    """The pool of each (employer, owner_type), creating the organisations missing."""
    pairs = {(r["employer"], OWNER_KINDS[r["owner_type"]]) for r in rows}
    names = {n for n, _ in pairs} | {_alias(n, k) for n, k in pairs}
    by_name: dict[str, Organisation] = {}
    for chunk in _chunks(sorted(names), 500):
        by_name.update(
            {o.name: o for o in session.execute(select(Organisation).where(Organisation.name.in_(chunk))).scalars()}
        )
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
                session.add(
                    AdjusterFirm(
                        organisation_id=org.id,
                        legal_form=LegalForm.COMPANY,
                        filing_no=f"PENDING-{hashlib.sha256(new_name.encode()).hexdigest()[:16]}",
                        filing_status=FilingStatus.PENDING,
                        capital=Decimal(0),
                        business_area=[],
                        lines=[],
                    )
                )
            by_name[new_name] = org
            result.organisations += 1
        owners[(name, kind)] = org
    session.flush()
    return owners


def _as_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def import_profiles(
    session: Session, rows: list[dict[str, Any]], at: dt.datetime, *, owner: Organisation | None = None
) -> ImportResult:
    """Upsert validated profiles by external id with bulk statements. The pool is the organisation named by
    each profile's ``organisation``/``owner_type`` (created when missing), or ``owner`` for every row (an
    import through the pages; check :func:`pool_errors` first). An exported expert that has no external id
    carries its uuid as ``id`` and is matched by it."""
    result = ImportResult()
    at = _stamp(session, at)  # the index notices the import by the latest updated_at
    if owner is None:
        owners = _owners(session, rows, at, result)
    existing: dict[str, dict[str, Any]] = {}
    ext_ids = [r["external_id"] for r in rows]
    cols = [Expert.id, Expert.external_id, *(getattr(Expert, c) for c in _COMPARED)]
    for chunk in _chunks(ext_ids, 500):
        for m in session.execute(select(*cols).where(Expert.external_id.in_(chunk))).mappings():
            existing[m["external_id"]] = dict(m)
        pks = [u for u in (_as_uuid(x) for x in chunk) if u is not None]
        if pks:
            for m in session.execute(select(*cols).where(Expert.id.in_(pks), Expert.external_id.is_(None))).mappings():
                existing[str(m["id"])] = {**dict(m), "keep_external_id": True}
    new: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    for r in rows:
        values = {
            k: r[k]
            for k in (
                "external_id",
                "name",
                "title",
                "employer",
                "bio",
                "years",
                "phone",
                "email",
                "fee_basis",
                "extra",
                *LIST_KEYS,
            )
        }
        values["owner_id"] = owner.id if owner is not None else owners[(r["employer"], OWNER_KINDS[r["owner_type"]])].id
        old = existing.get(r["external_id"])
        if old is None:
            new.append({**values, "id": uuid.uuid4(), "visibility": Visibility.PARTNERS, "updated_at": at})
        elif any(old[c] != values[c] for c in _COMPARED):
            if old.get("keep_external_id"):
                values["external_id"] = None
            changed.append({**values, "id": old["id"], "updated_at": at})
        else:
            result.unchanged += 1
    if new:
        session.execute(insert(Expert), new)
    if changed:
        session.execute(update(Expert), changed)
    result.created, result.updated = len(new), len(changed)
    return result


def profile_of(e: Expert) -> dict[str, Any]:
    """An expert in the JSONL schema :func:`check_profile` reads (optional keys only when set)."""
    out: dict[str, Any] = {
        "id": _key(e.external_id, e.id),
        "name": e.name,
        "title": e.title,
        "organisation": e.employer or e.owner.name,
        "owner_type": e.owner.kind.value,
        "specialties": list(e.specialties or []),
        "lines": list(e.lines or []),
        "regions": list(e.regions or []),
        "certificates": list(e.certificates or []),
        "years": e.years,
        "bio": e.bio,
    }
    extra = e.extra or {}
    for key, value in (
        ("phone", e.phone),
        ("email", e.email),
        ("fee_basis", e.fee_basis),
        ("availability", extra.get("availability")),
        ("conflicts", extra.get("conflicts")),
    ):
        if value:
            out[key] = value
    return out


def export_profiles(session: Session, owner_id: uuid.UUID | None = None) -> Iterator[str]:
    """JSONL lines (with their newline) of one pool, or of every pool; :func:`import_profiles` of them
    changes nothing."""
    stmt = select(Expert).order_by(Expert.external_id, Expert.id)
    if owner_id is not None:
        stmt = stmt.where(Expert.owner_id == owner_id)
    for e in session.execute(stmt).unique().scalars():
        yield json.dumps(profile_of(e), ensure_ascii=False) + "\n"


def experts_by_key(session: Session, keys: list[str]) -> dict[str, Expert]:
    """The experts behind search hits, by index key (external id, else the uuid)."""
    pks = [u for u in (_as_uuid(k) for k in keys) if u is not None]
    cond = Expert.external_id.in_(keys) | (Expert.id.in_(pks) if pks else Expert.external_id.in_(keys))
    return {_key(e.external_id, e.id): e for e in session.execute(select(Expert).where(cond)).unique().scalars()}


def touch(expert: Expert, at: dt.datetime) -> None:
    """Mark an edited expert so the search index picks it up: the index notices changes by the latest
    ``updated_at``, so the mark is later than every other one, even when clocks disagree or stand still."""
    session = object_session(expert)
    expert.updated_at = _stamp(session, at) if session is not None else at


def _stamp(session: Session, at: dt.datetime) -> dt.datetime:
    latest = _latest_update(session)
    return at if latest is None or at > latest else latest + dt.timedelta(microseconds=1)


# ---------------------------------------------------------------------------------------------- index


def index_dir(settings: Settings) -> Path:
    key = hashlib.sha256(settings.database_url.encode()).hexdigest()[:16]
    return Path(settings.var_dir) / "expert-index" / key


def _key(external_id: str | None, pk: uuid.UUID) -> str:
    return external_id or str(pk)


def _doc(e: Expert) -> ExpertDoc:
    return ExpertDoc(
        id=_key(e.external_id, e.id),
        name=e.name,
        title=e.title or "",
        organisation=e.employer or "",
        owner_type=e.owner.kind.value,
        specialties=tuple(e.specialties or ()),
        lines=tuple(e.lines or ()),
        regions=tuple(e.regions or ()),
        certificates=tuple(e.certificates or ()),
        years=e.years or 0,
        bio=e.bio or "",
    )


def _iso(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).isoformat() if value is not None else None


def fingerprint(session: Session) -> dict[str, Any]:
    count = session.execute(select(func.count(Expert.id))).scalar_one()
    return {"count": int(count), "max_updated_at": _iso(_latest_update(session))}


def _latest_update(session: Session) -> dt.datetime | None:
    with session.no_autoflush:
        latest = session.execute(select(func.max(Expert.updated_at))).scalar_one()
    if isinstance(latest, dt.datetime) and latest.tzinfo is None:  # func.max skips the type decorator
        return latest.replace(tzinfo=dt.UTC)
    if isinstance(latest, str):
        return dt.datetime.fromisoformat(latest).replace(tzinfo=dt.UTC)
    return latest if isinstance(latest, dt.datetime) else None


@dataclass
class SyncStats:
    mode: str  # fresh | loaded | reconciled | built
    upserted: int = 0
    removed: int = 0


# The indexes in memory, by database, the most recently used last: a process serves one database, and a
# test run makes one per test, so only the last few are kept (each holds the whole index).
_CACHE: OrderedDict[str, tuple[ExpertIndex, dict[str, Any]]] = OrderedDict()
_CACHE_SIZE = 4
_CACHE_LOCK = threading.Lock()


def _remember(url: str, entry: tuple[ExpertIndex, dict[str, Any]]) -> None:
    """Keep ``entry`` as the index of database ``url`` (under ``_CACHE_LOCK``), forgetting the least recently
    used beyond ``_CACHE_SIZE``."""
    _CACHE[url] = entry
    _CACHE.move_to_end(url)
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)


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
            _remember(settings.database_url, (index, state))
            return index, stats
        if index is None:
            index = ExpertIndex.from_docs(_full_docs(session), cache_dir=Path(settings.var_dir) / "jieba-cache")
            stats = SyncStats("built", upserted=len(index))
        else:
            since_iso = state.get("fingerprint", {}).get("max_updated_at")
            since = dt.datetime.fromisoformat(since_iso) if since_iso else None
            rows = session.execute(select(Expert.id, Expert.external_id, Expert.updated_at)).all()
            db_keys = {_key(x, pk) for pk, x, _ in rows}
            stale = {
                _key(x, pk)
                for pk, x, upd in rows
                if _key(x, pk) not in index or (upd is not None and (since is None or upd > since))
            }
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
        _remember(settings.database_url, (index, state))
        return index, stats


def forget_cached(settings: Settings) -> None:
    with _CACHE_LOCK:
        _CACHE.pop(settings.database_url, None)


# ---- the index for requests: prepared in the background, never built inside a request ----------------

#: How long a request waits for an index that is being prepared before it says so.
REQUEST_WAIT_SECONDS = 1.0
_PREPARING: dict[str, threading.Thread] = {}
_PREPARING_LOCK = threading.Lock()


class IndexPreparing(TandemError):
    status = 503
    code = "expert.index_preparing"
    message = "The expert index is being prepared; try again in a moment."


def _prepare(settings: Settings, engine: Engine) -> None:
    try:
        with Session(engine) as session:
            sync_index(session, settings)
    except Exception:  # the next request starts another attempt; the error is in the log
        log.exception("preparing the expert index failed")


def prepare_index(settings: Settings, engine: Engine) -> threading.Thread:
    """Load or build this database's index in a background thread (one at a time per database); the
    app starts it at start-up, a request that finds no index starts it too."""
    with _PREPARING_LOCK:
        running = _PREPARING.get(settings.database_url)
        if running is not None and running.is_alive():
            return running
        thread = threading.Thread(target=_prepare, args=(settings, engine), name="expert-index", daemon=True)
        _PREPARING[settings.database_url] = thread
        thread.start()
        return thread


def ready_index(session: Session, settings: Settings, *, wait: float = REQUEST_WAIT_SECONDS) -> ExpertIndex:
    """The index for a request: once prepared, brought current with the rows written since (quick);
    before that, wait at most ``wait`` seconds for the preparation, then :class:`IndexPreparing`."""
    if settings.database_url not in _CACHE:
        prepare_index(settings, session.get_bind().engine).join(wait)
        if settings.database_url not in _CACHE:
            raise IndexPreparing()
    return sync_index(session, settings)[0]


def search(
    session: Session,
    settings: Settings,
    text: str,
    *,
    line: str | None = None,
    region: str | None = None,
    top: int = 10,
    allowed: set[str] | None = None,
    wait: float | None = REQUEST_WAIT_SECONDS,
) -> list[Hit]:
    """Search the index; a request waits at most ``wait`` seconds for it (None: build it here, the CLI)."""
    index = sync_index(session, settings)[0] if wait is None else ready_index(session, settings, wait=wait)
    return index.search(text, line=line, region=region, top=top, allowed_ids=allowed)


def keys_of(session: Session, stmt: Any) -> set[str]:
    """Index keys of the experts selected by ``stmt`` (a ``select(Expert)``, e.g. visible_experts)."""
    sub = stmt.with_only_columns(Expert.id, Expert.external_id)
    return {_key(x, pk) for pk, x in session.execute(sub).all()}
