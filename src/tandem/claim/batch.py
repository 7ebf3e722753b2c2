"""Batch intake (批量报案, issue 21): up to 10,000 loss notices in one request, each with its own
idempotency key, each taken by the single-notice service (``service.notify_loss``) in its own savepoint:
a row is created, already known, or refused with the field it failed on; nothing of a refused row is
written, and a retry of the whole batch or of any row answers with the same claims."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import Field, ValidationError, model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session, lazyload

from tandem.access import scope
from tandem.access.actor import Actor
from tandem.claim import service
from tandem.claim.models import Claim, IdempotencyKey
from tandem.claim.schemas import NoticeIn
from tandem.config import Settings
from tandem.kit import sheets
from tandem.kit.clock import SHANGHAI
from tandem.kit.errors import ActionNotAllowed, InvalidInput, TandemError
from tandem.kit.i18n import N_
from tandem.policy.models import Policy

MAX_ROWS = 10_000
# Policy numbers looked up per query.
CHUNK = 500

CREATED, KNOWN, REFUSED = "created", "known", "refused"
# The field a service error names, as the batch row spells it.
_ROW_FIELD = {"Idempotency-Key": "idempotency_key"}


class BatchNotice(NoticeIn):
    """One row: a loss notice as ``POST /api/v1/claims`` takes it, its own idempotency key, and the policy by
    id or by number (a call centre knows the number)."""

    idempotency_key: Annotated[str, Field(min_length=1, max_length=200)]
    policy_id: uuid.UUID | None = None  # type: ignore[assignment]
    policy_number: Annotated[str | None, Field(min_length=1, max_length=60)] = None

    @model_validator(mode="after")
    def _one_policy(self) -> BatchNotice:
        if self.policy_id is None and self.policy_number is None:
            raise ValueError("policy_id or policy_number is required")
        return self


@dataclass
class RowResult:
    """The outcome of one row (1-based, in the order sent)."""

    row: int
    key: str | None
    outcome: str
    claim_id: uuid.UUID | None = None
    number: str | None = None
    status: str | None = None
    field: str | None = None
    error: TandemError | None = None

    @property
    def message(self) -> str | None:
        if self.error is None:
            return None
        e = self.error
        if isinstance(e, RowInvalid):  # the schema's refusal: its own (English) words say the most
            return (e.fields or {}).get(self.field or "", e.message)
        return e.message.format(**e.params) if e.params else e.message


def parse_body(raw: bytes) -> list[Any]:
    """A JSON array of rows, or JSON Lines (one object a line, blank lines skipped)."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("The body is not UTF-8.", fields={"body": "not UTF-8"}) from None
    stripped = text.lstrip()
    try:
        if stripped.startswith("["):
            rows = json.loads(stripped)
        else:
            rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            "The body is neither a JSON array nor JSON Lines.", fields={"body": f"line {exc.lineno}: {exc.msg}"}
        ) from None
    if not isinstance(rows, list):
        raise InvalidInput("The body is neither a JSON array nor JSON Lines.", fields={"body": "not a list"})
    return rows


def _path(loc: Iterable[Any]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "row"


def _refused(i: int, key: Any, field: str, exc: TandemError) -> RowResult:
    return RowResult(i + 1, key if isinstance(key, str) else None, REFUSED, field=field, error=exc)


class RowInvalid(InvalidInput):
    """A row the schema refuses: the message (a msgid, for pages) by the kind of fault; the schema's own
    words stay in ``fields`` (the API and the CLI say them)."""


# The pydantic error types, by the message a page shows for them.
_FAULTS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("missing",), N_("Required.")),
    (("string_too_long", "too_long"), N_("Too long.")),
    (("string_too_short",), N_("Too short.")),
    (("datetime_from_date_parsing", "datetime_parsing", "datetime_type"), N_("Enter a date and time.")),
    (
        ("decimal_parsing", "decimal_type", "decimal_max_places", "decimal_whole_digits"),
        N_("Enter an amount such as 12500.00."),
    ),
    (("enum", "literal_error"), N_("Not one of the allowed values.")),
    (("extra_forbidden",), N_("Unknown field.")),
)


def _fault(kind: str, name: str) -> str:
    if name.startswith("loss_at"):
        return N_("Enter a date and time.")
    return next((msg for kinds, msg in _FAULTS if kind in kinds), InvalidInput.message)


def _validated(rows: Sequence[Any]) -> tuple[list[tuple[int, BatchNotice]], dict[int, RowResult]]:
    """Every row's shape first: the rows to take, and the refusals with the first field each failed on."""
    good: list[tuple[int, BatchNotice]] = []
    bad: dict[int, RowResult] = {}
    for i, raw in enumerate(rows):
        key = raw.get("idempotency_key") if isinstance(raw, dict) else None
        try:
            good.append((i, BatchNotice.model_validate(raw)))
        except ValidationError as exc:
            err = exc.errors()[0]
            name = _path(err.get("loc", ()))
            fault = RowInvalid(_fault(str(err.get("type", "")), name), fields={name: str(err.get("msg", "invalid"))})
            bad[i] = _refused(i, key, name, fault)
    return good, bad


def _chunks(items: Sequence[Any]) -> Iterable[Sequence[Any]]:
    return (items[at : at + CHUNK] for at in range(0, len(items), CHUNK))


def _policies(session: Session, actor: Actor, rows: Sequence[BatchNotice]) -> dict[Any, Policy]:
    """The rows' policies the actor may see, by id and by number, a query per 500 (an unknown one is
    refused on its row, as a single notice's would be)."""
    found: dict[Any, Policy] = {}
    ids = sorted({r.policy_id for r in rows if r.policy_id is not None})
    numbers = sorted({r.policy_number for r in rows if r.policy_id is None and r.policy_number})
    visible = scope.visible_policies(actor).options(lazyload(Policy.sections))
    for part in _chunks(ids):
        found.update((p.id, p) for p in session.execute(visible.where(Policy.id.in_(part))).unique().scalars())
    for part in _chunks(numbers):
        found.update((p.number, p) for p in session.execute(visible.where(Policy.number.in_(part))).unique().scalars())
    return found


def _known(session: Session, actor: Actor, keys: Sequence[str]) -> dict[str, tuple[str, uuid.UUID, str, str]]:
    """The keys the actor has used before: (request hash, claim id, number, status), two queries per 500."""
    out: dict[str, tuple[str, uuid.UUID, str, str]] = {}
    for part in _chunks(sorted(set(keys))):
        used = session.execute(
            select(IdempotencyKey.key, IdempotencyKey.request_hash, IdempotencyKey.claim_id).where(
                IdempotencyKey.user_id == actor.user_id, IdempotencyKey.key.in_(part)
            )
        ).all()
        claims = {
            cid: (number, status.value)
            for cid, number, status in session.execute(
                select(Claim.id, Claim.number, Claim.status).where(Claim.id.in_([u.claim_id for u in used]))
            ).all()
        }
        out.update((u.key, (u.request_hash, u.claim_id, *claims[u.claim_id])) for u in used if u.claim_id in claims)
    return out


_UNKNOWN_POLICY = N_("No such policy.")


def _one(
    session: Session,
    settings: Settings,
    actor: Actor,
    i: int,
    row: BatchNotice,
    policy: Policy | None,
    now: dt.datetime,
) -> RowResult:
    """One row through the single-notice service in a savepoint: all of it or none of it."""
    try:
        with session.begin_nested():
            claim, created = service.notify_loss(
                session, settings, actor, row.notice(), now=now, idempotency_key=row.idempotency_key, policy=policy
            )
    except TandemError as exc:
        named = next(iter(exc.fields or {}), "policy_id" if exc.status == 404 else "row")
        return _refused(i, row.idempotency_key, _ROW_FIELD.get(named, named), exc)
    return RowResult(
        i + 1,
        row.idempotency_key,
        CREATED if created else KNOWN,
        claim_id=claim.id,
        number=claim.number,
        status=claim.status.value,
    )


def _take(
    session: Session,
    settings: Settings,
    actor: Actor,
    good: Sequence[tuple[int, BatchNotice]],
    results: dict[int, RowResult],
    now: dt.datetime,
) -> None:
    policies = _policies(session, actor, [r for _i, r in good])
    known = _known(session, actor, [r.idempotency_key for _i, r in good])
    for i, row in good:
        key = row.idempotency_key
        policy = policies.get(row.policy_id if row.policy_id is not None else row.policy_number)
        if policy is None and row.policy_id is None:
            results[i] = _refused(
                i, key, "policy_number", InvalidInput(_UNKNOWN_POLICY, fields={"policy_number": "unknown"})
            )
            continue
        if policy is not None:
            row.policy_id = policy.id
        seen = known.get(key)
        if seen is None:  # new (or sent twice in this batch: the service answers the second as a retry)
            results[i] = _one(session, settings, actor, i, row, policy, now)
        elif seen[0] != row.notice().fingerprint():
            mismatch = service.IdempotencyMismatch(fields={"idempotency_key": "used before with a different row"})
            results[i] = _refused(i, key, "idempotency_key", mismatch)
        else:  # a retry: answered from the key, as the service would, without reading the whole claim
            results[i] = RowResult(i + 1, key, KNOWN, claim_id=seen[1], number=seen[2], status=seen[3])


def intake(
    session: Session, settings: Settings, actor: Actor, rows: Sequence[Any], *, now: dt.datetime
) -> list[RowResult]:
    """Take every row of a batch; one result per row, in order. Every row's shape is checked first, the
    policies and the keys used before are read in bulk, then each new row is taken as a single notice."""
    if not actor.has_any(service.INTAKE_ROLES):
        raise ActionNotAllowed()
    if not rows:
        raise InvalidInput("The batch is empty.", fields={"body": "no notices"})
    if len(rows) > MAX_ROWS:
        raise InvalidInput(
            "At most {limit} notices in one batch.", fields={"body": f"more than {MAX_ROWS} rows"}, limit=MAX_ROWS
        )
    good, results = _validated(rows)
    _take(session, settings, actor, good, results, now)
    return [results[i] for i in range(len(rows))]


def summary(results: Sequence[RowResult]) -> dict[str, int]:
    counts = {CREATED: 0, KNOWN: 0, REFUSED: 0}
    for r in results:
        counts[r.outcome] += 1
    return counts


# ---- files (CSV/XLSX from a call centre) ----------------------------------------------------------------

# A column's header, as a call centre's sheet may name it (Chinese or the field's own name), to the field.
HEADERS: dict[str, str] = {
    **dict.fromkeys(("幂等键", "报案流水号", "流水号", "idempotency_key", "key"), "idempotency_key"),
    **dict.fromkeys(("保单号", "保单号码", "policy_number"), "policy_number"),
    "policy_id": "policy_id",
    **dict.fromkeys(("出险时间", "出险日期时间", "loss_at"), "loss_at"),
    **dict.fromkeys(("出险地点", "出险地址", "location"), "location"),
    **dict.fromkeys(("出险经过", "事故经过", "损失情况", "description"), "description"),
    **dict.fromkeys(("报案渠道", "渠道", "channel"), "channel"),
    **dict.fromkeys(("估损金额", "估计损失", "预估损失", "estimated_loss"), "estimated_loss"),
    **dict.fromkeys(("报案人", "报案人姓名", "reporter_name", "reporter.name"), "reporter.name"),
    **dict.fromkeys(("报案人电话", "联系电话", "reporter_phone", "reporter.phone"), "reporter.phone"),
}
CHANNELS = {"电话": "phone", "网站": "web", "网页": "web", "微信": "wechat", "微博": "weibo", "邮件": "email"}
CHANNELS |= {"电子邮件": "email", "app": "app", "应用": "app", "接口": "api"}


def _loss_at(text: str) -> str:
    """A sheet's loss time as ISO 8601: a time without an offset is Beijing time (Asia/Shanghai)."""
    try:
        at = dt.datetime.fromisoformat(text.strip().replace("/", "-"))
    except ValueError:
        return text  # refused on its row, naming loss_at
    return (at if at.tzinfo else at.replace(tzinfo=SHANGHAI)).isoformat()


def row_of(cells: dict[str, str]) -> dict[str, Any]:
    """One sheet row (cells by header) as a batch row; unknown columns are left out, empty cells too."""
    row: dict[str, Any] = {}
    reporter: dict[str, str] = {}
    for header, value in cells.items():
        name = HEADERS.get(header.strip().lower())
        if name is None or not value.strip():
            continue
        value = value.strip()
        if name.startswith("reporter."):
            reporter[name.split(".")[1]] = value
        elif name == "loss_at":
            row[name] = _loss_at(value)
        elif name == "channel":
            row[name] = CHANNELS.get(value.lower(), value.lower())
        else:
            row[name] = value
    row.setdefault("channel", "phone")
    if reporter:
        row["reporter"] = reporter
    return row


def rows_from_file(data: bytes, filename: str) -> tuple[list[dict[str, Any]], list[int]]:
    """A CSV, XLSX, JSON array or JSON Lines file's rows, with each row's line as the sender sees it (the
    header being line 1 of a sheet). ``sheets.SheetError`` or ``InvalidInput`` for a file that is neither."""
    name = filename.lower()
    if name.endswith((".json", ".jsonl", ".ndjson")):
        rows = parse_body(data)
        return rows, list(range(1, len(rows) + 1))
    table = sheets.read_table(data, filename)
    if table and not any(HEADERS.get(h.strip().lower()) for h in table[0].cells):
        raise sheets.SheetError(sheets.NO_HEADER)
    return [row_of(r.cells) for r in table], [r.line for r in table]
