"""A broker's book imported from CSV or XLSX (issue 19 item 2): its adjuster firms and their practitioners,
its insureds (companies with a USCC, persons with a resident ID number), and its policies with their
sections (sums insured, deductibles, limits, the amount engine's options).

Every row is checked and written in one transaction by the same services as the pages (organisations as
``access.onboarding`` opens them, policies as ``policy.service.issue_policy`` issues them, the designated
adjuster refused as any routing choice); every refusal is kept with its sheet, line and field, and the
caller commits only when there is none (a preview always rolls back). Re-importing the same book creates
nothing: a firm, practitioner, insured or policy already there (by USCC, 执业登记 number, identifier or
policy number) is reported as existing, not duplicated.

Rows say what they are by a ``record`` column or, in a workbook, by the sheet's name
(:data:`KIND_NAMES`); the columns are :data:`COLUMNS`'s.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from tandem.access import onboarding, scope
from tandem.access.actor import Actor
from tandem.access.models import Organisation, OrgKind
from tandem.access.permissions import Perm
from tandem.audit import service as audit
from tandem.config import Settings
from tandem.kit import ids, pii
from tandem.kit.clock import local_day
from tandem.kit.errors import ActionNotAllowed, TandemError
from tandem.kit.i18n import N_, Phrase
from tandem.kit.sheets import Row
from tandem.party.models import Adjuster, AdjusterFirm, Insured, InsurerProduct
from tandem.party.service import open_registration
from tandem.policy import entry, service
from tandem.policy.models import Policy

KINDS = ("firm", "adjuster", "insured", "policy", "section")
KIND_NAMES = {
    **{k: k for k in KINDS},
    **{f"{k}s": k for k in KINDS},
    "policies": "policy",
    "公估机构": "firm",
    "公估师": "adjuster",
    "被保险人": "insured",
    "保单": "policy",
    "险别": "section",
}
COLUMNS: dict[str, tuple[str, ...]] = {
    "firm": ("name", "uscc", "legal_form", "capital", "filing_no", "region", "lines"),
    "adjuster": ("firm", "name", "certificate_no", "registration_no", "id_number", "title", "lines", "regions"),
    "insured": ("name", "kind", "uscc", "id_number", "contact_name", "contact_phone", "address", "region"),
    "policy": (
        *("number", "insured", "insurer", "product", "line", "currency", "period_start", "period_end"),
        *("premium", "designated_adjuster", "status"),
    ),
    "section": ("policy", *entry.SECTION_FIELDS),
}


@dataclass(frozen=True)
class LineError:
    """A refusal: where (sheet, line), which column, and why (an msgid or a :class:`Phrase`)."""

    sheet: str
    line: int
    field: str
    message: object

    def text(self) -> str:
        where = f"{self.sheet} line {self.line}" if self.sheet else f"line {self.line}"
        return f"{where}: {self.field}: {self.message}"


class Refusal:
    """Why a row is refused (msgids)."""

    UNKNOWN_KIND = N_("Say what the row is: firm, adjuster, insured, policy or section.")
    TWICE = N_("This appears twice in the file.")
    NOT_A_FIRM = N_("No adjuster firm of this name in the file or on the platform.")
    OTHER_FIRM = N_("Registered with another firm (one firm only).")
    TAKEN = N_("Already on the platform.")
    NOT_AN_INSURED = N_("No insured of this name or identifier in the file or among your clients.")
    NOT_AN_INSURER = N_("No insurer of this name on the platform.")
    NOT_A_PRODUCT = N_("No product of this code at this insurer.")
    NOT_AN_ADJUSTER = N_("No practitioner with this registration number in the file or the register.")
    BAD_STATUS = N_("Choose in_force or draft.")
    NO_SECTIONS = N_("A policy needs at least one section row.")
    NO_POLICY = N_("No policy of this number in the file.")
    NOTHING = N_("The file has no rows to import.")


@dataclass
class Outcome:
    """What the import created and what it found already there, by kind (the rows' labels), and the
    refusals. Nothing is to be kept unless ``errors`` is empty."""

    created: dict[str, list[str]] = field(default_factory=lambda: {k: [] for k in KINDS})
    existing: dict[str, list[str]] = field(default_factory=lambda: {k: [] for k in KINDS})
    errors: list[LineError] = field(default_factory=list)

    def summary(self) -> str:
        made = ", ".join(f"{len(v)} {k}" for k, v in self.created.items() if v) or "nothing"
        there = ", ".join(f"{len(v)} {k}" for k, v in self.existing.items() if v)
        return f"created {made}" + (f"; already there: {there}" if there else "")


@dataclass
class _Run:
    session: Session
    settings: Settings
    actor: Actor
    at: dt.datetime
    out: Outcome = field(default_factory=Outcome)
    firms: dict[str, uuid.UUID] = field(default_factory=dict)
    adjusters: dict[str, uuid.UUID] = field(default_factory=dict)
    insureds: dict[str, uuid.UUID] = field(default_factory=dict)

    def refuse(self, row: Row, errors: Mapping[str, object]) -> bool:
        for name, message in errors.items():
            self.out.errors.append(LineError(row.sheet, row.line, name, message))
        return bool(errors)


def kind_of(row: Row) -> str | None:
    named = row.get("record") or row.sheet
    return KIND_NAMES.get(named.strip().lower())


def import_book(session: Session, settings: Settings, actor: Actor, rows: list[Row], *, at: dt.datetime) -> Outcome:
    """Write the book's rows (firms, practitioners, insureds, then policies with their sections); the
    caller commits only an outcome without errors."""
    if actor.org_kind != OrgKind.BROKER or not (actor.can(Perm.MANAGE_POLICIES) and actor.can(Perm.MANAGE_INSUREDS)):
        raise ActionNotAllowed()
    run = _Run(session, settings, actor, at)
    by_kind: dict[str, list[Row]] = {k: [] for k in KINDS}
    for row in rows:
        kind = kind_of(row)
        if kind is None:
            run.refuse(row, {"record": Refusal.UNKNOWN_KIND})
        else:
            by_kind[kind].append(row)
    if not rows:
        run.out.errors.append(LineError("", 1, "record", Refusal.NOTHING))
    steps: tuple[tuple[str, Callable[[_Run, Row], None]], ...] = (
        ("firm", _firm),
        ("adjuster", _adjuster),
        ("insured", _insured),
    )
    for kind, step in steps:
        for row in _once(run, by_kind[kind], _key(kind)):
            step(run, row)
    _policies(run, by_kind["policy"], by_kind["section"])
    if not run.out.errors:
        audit.record(
            session,
            actor.ref,
            action="book.imported",
            entity_type="organisation",
            entity_id=actor.org_id,
            at=at,
            chain_key=f"org:{actor.org_id}",
            after={k: len(v) for k, v in run.out.created.items()},
            request_id=actor.request_id,
        )
    return run.out


def _key(kind: str) -> str:
    return {"firm": "name", "adjuster": "registration_no", "insured": "name", "policy": "number"}[kind]


def _once(run: _Run, rows: list[Row], key: str) -> list[Row]:
    """The rows whose key is not repeated in the file (a repeat is refused at its second line)."""
    seen: set[str] = set()
    kept = []
    for row in rows:
        value = row.get(key).strip()
        if value and value in seen:
            run.refuse(row, {key: Refusal.TWICE})
            continue
        seen.add(value)
        kept.append(row)
    return kept


def _spec(row: Row, kind: OrgKind, **extra: str | None) -> onboarding.NewOrganisation:
    return onboarding.NewOrganisation(
        kind=kind.value,
        name=row.get("name"),
        admin_email="",
        admin_name=row.get("contact_name"),
        region=row.get("region") or None,
        uscc=row.get("uscc") or None,
        **extra,
    )


def _list(value: str) -> list[str]:
    return [v.strip() for v in value.replace("；", ";").replace("、", ";").replace(",", ";").split(";") if v.strip()]


def _normal(check: Callable[[str], str], value: str) -> str | None:
    try:
        return check(value)
    except ids.IdentifierError:
        return None


def _open(run: _Run, row: Row, spec: onboarding.NewOrganisation) -> Organisation | None:
    checked, errors = onboarding.check_organisation(run.session, spec)
    if run.refuse(row, errors) or checked is None:
        return None
    return onboarding.add_organisation(run.session, run.actor, spec, checked, now=run.at)


def _firm(run: _Run, row: Row) -> None:
    uscc = _normal(ids.normalise_uscc, row.get("uscc"))
    there = run.session.execute(select(Organisation).where(Organisation.uscc == uscc)).scalar() if uscc else None
    if there is not None:
        if there.kind != OrgKind.ADJUSTER_FIRM:
            run.refuse(row, {"uscc": onboarding.USCC_TAKEN})
            return
        run.firms[row.get("name")] = there.id
        run.out.existing["firm"].append(there.name)
        return
    spec = _spec(
        row,
        OrgKind.ADJUSTER_FIRM,
        legal_form=row.get("legal_form") or None,
        capital=row.get("capital") or None,
        filing_no=row.get("filing_no") or None,
    )
    org = _open(run, row, spec)
    if org is None:
        return
    firm = run.session.get(AdjusterFirm, org.id)
    assert firm is not None
    firm.lines = _list(row.get("lines"))
    run.firms[org.name] = org.id
    run.out.created["firm"].append(org.name)


def _firm_id(run: _Run, name: str) -> uuid.UUID | None:
    if name in run.firms:
        return run.firms[name]
    stmt = select(Organisation.id).where(Organisation.name == name, Organisation.kind == OrgKind.ADJUSTER_FIRM)
    return run.session.execute(stmt).scalar()


def _adjuster(run: _Run, row: Row) -> None:
    errors: dict[str, object] = {}
    values = {k: row.get(k).strip() for k in COLUMNS["adjuster"]}
    for name in ("firm", "name", "certificate_no", "registration_no"):
        if not values[name]:
            errors[name] = entry.REQUIRED
    firm_id = _firm_id(run, values["firm"]) if values["firm"] else None
    if values["firm"] and firm_id is None:
        errors["firm"] = Refusal.NOT_A_FIRM
    id_number = None
    if values["id_number"]:
        try:
            id_number = ids.normalise_id_number(values["id_number"], today=local_day(run.at))
        except ids.IdentifierError as exc:
            errors["id_number"] = str(exc)
    if run.refuse(row, errors) or firm_id is None:
        return
    held = run.session.execute(
        select(Adjuster).where(Adjuster.registration_no == values["registration_no"])
    ).scalar_one_or_none()
    if held is not None:
        if held.firm_id != firm_id:
            run.refuse(row, {"registration_no": Refusal.OTHER_FIRM})
            return
        run.adjusters[held.registration_no] = held.id
        run.out.existing["adjuster"].append(held.name)
        return
    for name, value in (("certificate_no", values["certificate_no"]), ("id_number", id_number)):
        same = (
            pii.equals(Adjuster.id_number_bidx, value, "id_number")
            if name == "id_number"
            else Adjuster.certificate_no == value
        )
        if value and run.session.execute(select(Adjuster.id).where(same)).first():
            errors[name] = Refusal.TAKEN
    if run.refuse(row, errors):
        return
    _register(run, firm_id, values, id_number)


def _register(run: _Run, firm_id: uuid.UUID, values: dict[str, str], id_number: str | None) -> None:
    """A practitioner of the book, registered with its firm as the firm's administrator would (audited on
    the firm's chain, its 执业登记 starting today)."""
    adj = Adjuster(
        firm_id=firm_id,
        name=values["name"][:100],
        certificate_no=values["certificate_no"][:40],
        registration_no=values["registration_no"][:40],
        id_number=id_number,
        title=values["title"][:60] or None,
        lines=_list(values["lines"]),
        regions=_list(values["regions"]),
        created_at=run.at,
    )
    run.session.add(adj)
    run.session.flush()
    audit.record(
        run.session,
        run.actor.ref,
        action="adjuster.registered",
        entity_type="adjuster",
        entity_id=adj.id,
        at=run.at,
        chain_key=f"org:{firm_id}",
        after={"name": adj.name, "registration_no": adj.registration_no, "imported_by": str(run.actor.org_id)},
        request_id=run.actor.request_id,
    )
    today = local_day(run.at)
    open_registration(run.session, adj, firm_id, adj.registration_no, today, at=run.at, actor=run.actor)
    run.adjusters[adj.registration_no] = adj.id
    run.out.created["adjuster"].append(adj.name)


def _insured(run: _Run, row: Row) -> None:
    person = row.get("kind").strip().lower() in ("person", "个人") or (
        bool(row.get("id_number")) and not row.get("uscc")
    )
    uscc = _normal(ids.normalise_uscc, row.get("uscc"))
    id_number = _normal(ids.normalise_id_number, row.get("id_number"))
    key = pii.equals(Insured.id_number_bidx, id_number, "id_number") if person else (Insured.uscc == uscc)
    there = run.session.execute(select(Insured).where(key)).scalar() if (uscc or id_number) else None
    if there is not None and there.broker_id == run.actor.org_id:
        run.insureds[row.get("name")] = there.organisation_id
        run.out.existing["insured"].append(there.organisation.name)
        return
    spec = _spec(
        row,
        OrgKind.INSURED,
        insured_kind="person" if person else "company",
        id_number=row.get("id_number") or None,
        broker_id=str(run.actor.org_id),
        contact_phone=row.get("contact_phone") or None,
        address=row.get("address") or None,
    )
    org = _open(run, row, spec)
    if org is not None:
        run.insureds[org.name] = org.id
        run.out.created["insured"].append(org.name)


def _insured_id(run: _Run, ref: str) -> uuid.UUID | None:
    if ref in run.insureds:
        return run.insureds[ref]
    stmt = scope.visible_insureds(run.actor).join(Insured.organisation)
    stmt = stmt.where(
        or_(Organisation.name == ref, Insured.uscc == ref.upper(), pii.equals(Insured.id_number_bidx, ref, "id_number"))
    )
    found = run.session.execute(stmt).scalars().first()
    return found.organisation_id if found else None


def _refs(run: _Run, row: Row) -> tuple[dict[str, object], dict[str, uuid.UUID | None]]:
    """The policy row's insured, insurer, product and designated adjuster, looked up."""
    errors: dict[str, object] = {}
    found: dict[str, uuid.UUID | None] = {"product_id": None, "designated_adjuster_id": None}
    found["insured_id"] = _insured_id(run, row.get("insured").strip()) if row.get("insured") else None
    if not row.get("insured"):
        errors["insured"] = entry.REQUIRED
    elif found["insured_id"] is None:
        errors["insured"] = Refusal.NOT_AN_INSURED
    stmt = select(Organisation.id).where(Organisation.name == row.get("insurer"), Organisation.kind == OrgKind.INSURER)
    found["insurer_id"] = run.session.execute(stmt).scalar() if row.get("insurer") else None
    if found["insurer_id"] is None:
        errors["insurer"] = Refusal.NOT_AN_INSURER if row.get("insurer") else entry.REQUIRED
    if row.get("product") and found["insurer_id"]:
        stmt = select(InsurerProduct.id).where(
            InsurerProduct.code == row.get("product"), InsurerProduct.insurer_id == found["insurer_id"]
        )
        found["product_id"] = run.session.execute(stmt).scalar()
        if found["product_id"] is None:
            errors["product"] = Refusal.NOT_A_PRODUCT
    reg = row.get("designated_adjuster").strip()
    if reg:
        stmt = select(Adjuster.id).where(Adjuster.registration_no == reg)
        found["designated_adjuster_id"] = run.adjusters.get(reg) or run.session.execute(stmt).scalar()
        if found["designated_adjuster_id"] is None:
            errors["designated_adjuster"] = Refusal.NOT_AN_ADJUSTER
    if (row.get("status") or "in_force").strip().lower() not in ("in_force", "draft"):
        errors["status"] = Refusal.BAD_STATUS
    return errors, found


def _sections(run: _Run, rows: list[Row]) -> list[service.SectionInput] | None:
    found = []
    for row in rows:
        errors: dict[str, object] = {}
        sec = entry.section(row.cells, errors)
        if run.refuse(row, errors) or sec is None:
            continue
        found.append(sec)
    return found if len(found) == len(rows) else None


def _policies(run: _Run, rows: list[Row], section_rows: list[Row]) -> None:
    numbers = {r.get("number").strip() for r in rows}
    for row in section_rows:
        if row.get("policy").strip() not in numbers:
            run.refuse(row, {"policy": Refusal.NO_POLICY})
    for row in _once(run, rows, "number"):
        mine = [r for r in section_rows if r.get("policy").strip() == row.get("number").strip()]
        _policy(run, row, mine)


_FIELD_NAMES = {"insured_id": "insured", "insurer_id": "insurer", "designated_adjuster_id": "designated_adjuster"}


def _policy(run: _Run, row: Row, section_rows: list[Row]) -> None:
    errors: dict[str, object] = {}
    fields = entry.policy_fields(row.cells, errors)
    if fields is not None:
        there = run.session.execute(select(Policy).where(Policy.number == fields.number)).scalar()
        if there is not None:
            if there.broker_id != run.actor.org_id:
                run.refuse(row, {"number": Refusal.TAKEN})
            else:
                run.out.existing["policy"].append(there.number)
            return
    more, refs = _refs(run, row)
    errors.update(more)
    if not section_rows:
        errors["section"] = Refusal.NO_SECTIONS
    sections = _sections(run, section_rows)
    if run.refuse(row, errors) or fields is None or sections is None:
        return
    try:
        policy = service.issue_policy(
            run.session,
            run.actor,
            sections=sections,
            at=run.at,
            broker_id=run.actor.org_id,
            extra={"premium": fields.premium},
            **fields.terms(),
            **refs,  # type: ignore[arg-type]
        )
        if (row.get("status") or "in_force").strip().lower() == "in_force":
            service.apply(run.session, run.actor, policy, "bind", at=run.at)
    except TandemError as exc:
        why = exc.params.get("why")
        run.refuse(row, {_FIELD_NAMES.get(k, k): why or exc.message for k in exc.fields or {"number": ""}})
        return
    run.out.created["policy"].append(policy.number)
    run.out.created["section"].extend(f"{policy.number}/{s.code}" for s in sections)


def refusal_words(err: LineError) -> Phrase | str:
    """The refusal as words for a page: the msgid (or phrase) the check gave."""
    return err.message if isinstance(err.message, Phrase) else str(err.message)
