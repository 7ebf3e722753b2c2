"""Read models of the party registry. ID and phone numbers are always masked; a viewer whose role needs one
asks for it in full explicitly, and that view is logged (tandem.party.reveal)."""

from __future__ import annotations

import datetime as dt
import uuid

from pydantic import BaseModel
from sqlalchemy.orm import Session

from tandem.access.actor import Actor
from tandem.access.models import Organisation, OrgKind
from tandem.access.permissions import Perm
from tandem.kit import ids
from tandem.party import practice, reveal, service
from tandem.party.models import Adjuster, AdjusterFirm, BlacklistEntry, Expert, Insured, Registration, RegistrationCheck
from tandem.schemas import MoneyOut, Ref


class FirmRef(Ref):
    pass


class RegistrationOut(BaseModel):
    """A practice registration (执业登记) through one firm; ``late``: deregistered after its deadline, or
    left and still not deregistered past it."""

    id: uuid.UUID
    firm: FirmRef
    registration_no: str
    state: str
    starts_on: dt.date
    ends_on: dt.date | None = None
    left_on: dt.date | None = None
    deregister_by: dt.date | None = None
    late: bool


class CheckOut(BaseModel):
    """A verification record: who checked the registration where, when, with what result."""

    id: uuid.UUID
    source: str
    result: str
    checked_on: dt.date
    checked_by_org: Ref | None = None
    note: str | None = None


class AdjusterOut(BaseModel):
    id: uuid.UUID
    name: str
    firm: FirmRef
    certificate_no: str
    registration_no: str
    title: str | None = None
    id_number: str | None = None  # masked; the full number on an explicit, logged request (party.reveal)
    revealable: list[str] = []  # the fields the viewer may ask to see in full
    # When the next passed verification is due under the review rule (None: the rule asks none).
    reverification_due: dt.date | None = None
    registration: RegistrationOut | None = None
    last_check: CheckOut | None = None
    qualification_status: str
    lines: list[str]
    regions: list[str]
    capacity: int
    sanctions: list[dict[str, str | None]]
    assignable: bool
    not_assignable_reasons: list[str]


class FirmWarningOut(BaseModel):
    code: str
    message: str


class FirmOut(BaseModel):
    id: uuid.UUID
    name: str
    legal_form: str
    filing_no: str
    filing_status: str
    capital: MoneyOut
    business_area: list[str]
    lines: list[str]
    adjuster_count: int
    warnings: list[FirmWarningOut]


class FirmDetailOut(FirmOut):
    staff: list[AdjusterOut]


class InsuredOut(BaseModel):
    id: uuid.UUID
    name: str
    kind: str
    identifier: str
    identifier_type: str
    contact_name: str | None = None
    contact_phone: str | None = None
    address: str | None = None
    # ID and phone numbers are masked for everyone; these fields can be shown in full on request (logged).
    revealable: list[str] = []


class ExpertOut(BaseModel):
    id: uuid.UUID
    external_id: str | None = None
    name: str
    title: str | None = None
    employer: str | None = None
    owner: Ref
    specialties: list[str]
    lines: list[str]
    regions: list[str]
    certificates: list[str]
    years: int | None = None
    visibility: str


class BlacklistOut(BaseModel):
    id: uuid.UUID
    adjuster: Ref | None = None
    firm: Ref | None = None
    reason: str
    valid_from: dt.date
    valid_until: dt.date | None = None
    state: str
    in_force: bool
    lines: list[str] = []  # the lines the entry covers; empty: all lines


def _sees_personal(actor: Actor, owner_org: uuid.UUID | None = None) -> bool:
    return (
        actor.is_admin
        or actor.org_id == owner_org
        or (actor.org_kind in (OrgKind.BROKER, OrgKind.INSURER) and actor.can(Perm.SEE_PERSONAL_IDS))
    )


def adjuster_out(session: Session, actor: Actor, a: Adjuster, today: dt.date) -> AdjusterOut:
    reasons = service.ineligibility(session, a, today, actor.org_id if actor.org_kind == OrgKind.BROKER else None)
    id_number = ids.mask_id_number(a.id_number) if a.id_number else None
    revealable = ["id_number"] if a.id_number and reveal.may_reveal_adjuster(actor, a) else []
    return AdjusterOut(
        id=a.id,
        name=a.name,
        firm=FirmRef(id=a.firm_id, name=a.firm.organisation.name),
        certificate_no=a.certificate_no,
        registration_no=a.registration_no,
        title=a.title,
        id_number=id_number,
        revealable=revealable,
        reverification_due=service.review_due(a),
        registration=registration_out(reg, today) if (reg := service.current_registration(a)) else None,
        last_check=check_out(session, c) if (c := service.latest_check(a)) else None,
        qualification_status=service.qualification_status(a, today),
        lines=a.lines,
        regions=a.regions,
        capacity=a.capacity,
        sanctions=[
            {
                "kind": s.kind,
                "authority": s.authority,
                "starts_on": s.starts_on.isoformat(),
                "ends_on": s.ends_on.isoformat() if s.ends_on else None,
                "decision_no": s.decision_no,
                "sentence_ends_on": s.sentence_ends_on.isoformat() if s.sentence_ends_on else None,
            }
            for s in a.sanctions
        ],
        assignable=not reasons,
        not_assignable_reasons=reasons,
    )


def registration_out(r: Registration, today: dt.date) -> RegistrationOut:
    return RegistrationOut(
        id=r.id,
        firm=FirmRef(id=r.firm_id, name=r.firm.organisation.name),
        registration_no=r.registration_no,
        state=r.state,
        starts_on=r.starts_on,
        ends_on=r.ends_on,
        left_on=r.left_on,
        deregister_by=r.deregister_by,
        late=practice.deregistration_late(r, today),
    )


def check_out(session: Session, c: RegistrationCheck) -> CheckOut:
    org = session.get(Organisation, c.checked_by_org) if c.checked_by_org else None
    return CheckOut(
        id=c.id,
        source=c.source,
        result=c.result,
        checked_on=c.checked_on,
        checked_by_org=Ref(id=org.id, name=org.name) if org else None,
        note=c.note,
    )


def firm_out(session: Session, f: AdjusterFirm, today: dt.date) -> FirmOut:
    return FirmOut(
        id=f.organisation_id,
        name=f.organisation.name,
        legal_form=f.legal_form.value,
        filing_no=f.filing_no,
        filing_status=f.filing_status.value,
        capital=f.capital,
        business_area=f.business_area,
        lines=f.lines,
        adjuster_count=len(f.adjusters),
        warnings=[FirmWarningOut(code=w.code, message=w.message) for w in service.firm_warnings(session, f, today)],
    )


def insured_out(actor: Actor, i: Insured) -> InsuredOut:
    full = _sees_personal(actor, i.organisation_id)
    if i.uscc:
        ident, kind = (i.uscc if full else ids.mask_uscc(i.uscc)), "uscc"
    else:
        ident, kind = ids.mask_id_number(i.id_number or ""), "id_number"
    phone = ids.mask_phone(i.contact_phone) if i.contact_phone else None
    allowed = reveal.may_reveal_insured(actor, i)
    revealable = [f for f in reveal.FIELDS["insured"] if allowed and getattr(i, f)]
    return InsuredOut(
        id=i.organisation_id,
        name=i.organisation.name,
        kind=i.kind.value,
        identifier=ident,
        identifier_type=kind,
        contact_name=i.contact_name,
        contact_phone=phone,
        address=i.address,
        revealable=revealable,
    )


def expert_out(e: Expert) -> ExpertOut:
    return ExpertOut(
        id=e.id,
        external_id=e.external_id,
        name=e.name,
        title=e.title,
        employer=e.employer,
        owner=Ref(id=e.owner_id, name=e.owner.name),
        specialties=e.specialties,
        lines=e.lines,
        regions=e.regions,
        certificates=e.certificates,
        years=e.years,
        visibility=e.visibility.value,
    )


def blacklist_out(e: BlacklistEntry, today: dt.date) -> BlacklistOut:
    in_force = e.state == "active" and e.valid_from <= today and (e.valid_until is None or e.valid_until >= today)
    return BlacklistOut(
        id=e.id,
        adjuster=Ref(id=e.adjuster.id, name=e.adjuster.name) if e.adjuster else None,
        firm=Ref(id=e.firm.organisation_id, name=e.firm.organisation.name) if e.firm else None,
        reason=e.reason,
        valid_from=e.valid_from,
        valid_until=e.valid_until,
        state=e.state,
        in_force=in_force,
        lines=list(e.lines or []),
    )
