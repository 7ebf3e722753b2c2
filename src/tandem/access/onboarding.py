"""Starting from nothing (开通): the first platform administrator, the organisations the platform admin
creates (each with its first administrator, invited by e-mail), and each organisation's people — their
roles given and taken by its administrator.

Identifiers are checked as ``tandem.kit.ids`` does (GB 32100 for the USCC, GB 11643 for a person's ID
number); every refusal names its field, and nothing is written unless everything is right.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tandem.access import links
from tandem.access.actor import Actor
from tandem.access.models import ADMIN_ROLES, AccessLink, Organisation, OrgKind, Role, User, UserRole, admin_role
from tandem.access.permissions import Perm
from tandem.access.service import create_user, deactivate_user
from tandem.audit import service as audit
from tandem.config import Settings
from tandem.kit import ids, pii
from tandem.kit.errors import ActionNotAllowed, Conflict, InvalidInput, NotFound
from tandem.kit.i18n import N_
from tandem.party.models import AdjusterFirm, FilingStatus, Insured, InsuredKind, Insurer, LegalForm

PLATFORM_NAME = "Tandem 平台运营"
# The kinds the platform admin creates (there is one platform organisation, made at first run).
CREATABLE = (OrgKind.BROKER, OrgKind.ADJUSTER_FIRM, OrgKind.INSURER, OrgKind.INSURED, OrgKind.SUPERVISION)

REQUIRED = N_("Required.")  # the same msgid as the forms'
BAD_KIND = N_("Choose the kind of organisation.")
NAME_TAKEN = N_("An organisation of this name is already on the platform.")
USCC_TAKEN = N_("An organisation with this unified social credit code is already on the platform.")
ID_TAKEN = N_("An insured with this ID number is already on the platform.")
BAD_LEGAL_FORM = N_("Choose company or partnership.")
BAD_CAPITAL = N_("Enter the registered capital in yuan, such as 5000000.")
BAD_BROKER = N_("Choose a broker on the platform.")
LAST_ADMIN = N_("The organisation must keep at least one active administrator.")
ADMIN_EXISTS = N_("The platform already has an administrator; sign in instead.")


@dataclass(frozen=True)
class NewOrganisation:
    """What the platform admin types to open an organisation, and its first administrator."""

    kind: str
    name: str
    admin_email: str
    admin_name: str
    name_en: str | None = None
    region: str | None = None
    uscc: str | None = None
    # An insured: a company (USCC) or a person (resident ID number), and the broker that serves it.
    insured_kind: str | None = None
    id_number: str | None = None
    broker_id: str | None = None
    contact_phone: str | None = None
    address: str | None = None
    # An adjuster firm (保险公估机构): legal form and registered capital; the filing (备案) number when
    # it is already published (then it is recorded as filed; without one the firm waits, unrouted).
    legal_form: str | None = None
    capital: str | None = None
    filing_no: str | None = None


def _text(value: str | None, limit: int) -> str | None:
    value = (value or "").strip()
    return value[:limit] if value else None


def _check_ids(spec: NewOrganisation, kind: OrgKind, errors: dict[str, str]) -> tuple[str | None, str | None]:
    """The normalised USCC and ID number, or the reason beside each field."""
    person = kind == OrgKind.INSURED and spec.insured_kind == InsuredKind.PERSON.value
    uscc = id_number = None
    if kind == OrgKind.INSURED and spec.insured_kind not in {k.value for k in InsuredKind}:
        errors["insured_kind"] = REQUIRED
    if person:
        try:
            id_number = ids.normalise_id_number(spec.id_number or "")
        except ids.IdentifierError as exc:
            errors["id_number"] = str(exc) if spec.id_number else REQUIRED
    elif spec.uscc or kind != OrgKind.SUPERVISION:
        try:
            uscc = ids.normalise_uscc(spec.uscc or "")
        except ids.IdentifierError as exc:
            errors["uscc"] = str(exc) if spec.uscc else REQUIRED
    return uscc, id_number


def _check_firm(spec: NewOrganisation, errors: dict[str, str]) -> tuple[LegalForm | None, Decimal | None]:
    form = capital = None
    try:
        form = LegalForm(spec.legal_form or "")
    except ValueError:
        errors["legal_form"] = BAD_LEGAL_FORM
    try:
        capital = Decimal((spec.capital or "").replace(",", "").strip())
        if not capital.is_finite() or capital <= 0 or capital > Decimal("1e15") or capital.as_tuple().exponent < -2:  # type: ignore[operator]
            raise ValueError
    except (ArithmeticError, ValueError):
        errors["capital"] = BAD_CAPITAL
        capital = None
    return form, capital


def _check_unique(session: Session, name: str, uscc: str | None, id_number: str | None, errors: dict[str, str]) -> None:
    if session.execute(select(Organisation.id).where(Organisation.name == name)).first():
        errors["name"] = NAME_TAKEN
    if uscc and session.execute(select(Organisation.id).where(Organisation.uscc == uscc)).first():
        errors["uscc"] = USCC_TAKEN
    if (
        id_number
        and session.execute(
            select(Insured.organisation_id).where(pii.equals(Insured.id_number_bidx, id_number, "id_number"))
        ).first()
    ):
        errors["id_number"] = ID_TAKEN


def _broker(session: Session, value: str | None, errors: dict[str, str]) -> uuid.UUID | None:
    if not value:
        return None
    try:
        org = session.get(Organisation, uuid.UUID(value))
    except ValueError:
        org = None
    if org is None or org.kind != OrgKind.BROKER:
        errors["broker_id"] = BAD_BROKER
        return None
    return org.id


@dataclass(frozen=True)
class CheckedOrganisation:
    """An organisation's fields after :func:`check_organisation`: normalised and free to use."""

    kind: OrgKind
    name: str
    uscc: str | None
    id_number: str | None
    legal_form: LegalForm | None
    capital: Decimal | None
    broker_id: uuid.UUID | None


def check_organisation(session: Session, spec: NewOrganisation) -> tuple[CheckedOrganisation | None, dict[str, str]]:
    """Every field of ``spec`` checked (identifiers, the firm's form and capital, the insured's broker, the
    name and identifiers not yet on the platform): the normalised values, or the reason beside each field."""
    errors: dict[str, str] = {}
    kind = next((k for k in CREATABLE if k.value == spec.kind), None)
    if kind is None:
        return None, {"kind": BAD_KIND}
    name = _text(spec.name, 200)
    if not name:
        errors["name"] = REQUIRED
    uscc, id_number = _check_ids(spec, kind, errors)
    form, capital = _check_firm(spec, errors) if kind == OrgKind.ADJUSTER_FIRM else (None, None)
    broker_id = _broker(session, spec.broker_id, errors) if kind == OrgKind.INSURED else None
    if name:
        _check_unique(session, name, uscc, id_number, errors)
    if errors or not name:
        return None, errors
    return CheckedOrganisation(kind, name, uscc, id_number, form, capital, broker_id), errors


def add_organisation(
    session: Session, actor: Actor, spec: NewOrganisation, checked: CheckedOrganisation, *, now: dt.datetime
) -> Organisation:
    """Write a checked organisation and its record (firm, insurer, insured), audited; no invitation."""
    org = Organisation(
        kind=checked.kind,
        name=checked.name,
        name_en=_text(spec.name_en, 200),
        region=_text(spec.region, 40),
        uscc=checked.uscc,
        created_at=now,
    )
    session.add(org)
    session.flush()
    _add_record(session, org, spec, checked.legal_form, checked.capital, checked.id_number, checked.broker_id)
    audit.record(
        session,
        actor.ref,
        action="organisation.created",
        entity_type="organisation",
        entity_id=org.id,
        at=now,
        chain_key=f"org:{org.id}",
        after={"kind": checked.kind.value, "name": checked.name, "uscc": checked.uscc},
        request_id=actor.request_id,
    )
    return org


def create_organisation(
    session: Session, settings: Settings, actor: Actor, spec: NewOrganisation, *, now: dt.datetime
) -> tuple[Organisation, AccessLink]:
    """Open an organisation of any kind but the platform, with its record (firm, insurer, insured) and an
    invitation to its first administrator. Every field is checked first; any refusal writes nothing."""
    if not actor.can(Perm.MANAGE_ORGANISATIONS):
        raise ActionNotAllowed()
    checked, errors = check_organisation(session, spec)
    if "kind" in errors:
        raise InvalidInput("Unknown kind of organisation.", fields=errors)
    if checked is None:
        status = Conflict if set(errors.values()) & {NAME_TAKEN, USCC_TAKEN, ID_TAKEN} else InvalidInput
        raise status("Organisation not created.", fields=errors)
    org = add_organisation(session, actor, spec, checked, now=now)
    link = links.invite(
        session,
        settings,
        actor,
        org,
        email=spec.admin_email,
        display_name=spec.admin_name,
        roles=[admin_role(checked.kind)],
        now=now,
    )
    return org, link


def _add_record(
    session: Session,
    org: Organisation,
    spec: NewOrganisation,
    form: LegalForm | None,
    capital: Decimal | None,
    id_number: str | None,
    broker_id: uuid.UUID | None,
) -> None:
    """The kind's own record beside the organisation: the firm's filing, the insurer's standing, the
    insured's identifier and contact."""
    if org.kind == OrgKind.ADJUSTER_FIRM:
        assert form is not None and capital is not None
        filing = _text(spec.filing_no, 40)
        session.add(
            AdjusterFirm(
                organisation_id=org.id,
                legal_form=form,
                # Not filed yet: a placeholder number (unique by the USCC) until the filing is published.
                filing_no=filing or f"未备案-{org.uscc}",
                filing_status=FilingStatus.FILED if filing else FilingStatus.PENDING,
                capital=capital,
                business_area=[org.region] if org.region else [],
                lines=[],
            )
        )
    elif org.kind == OrgKind.INSURER:
        session.add(Insurer(organisation_id=org.id))
    elif org.kind == OrgKind.INSURED:
        person = spec.insured_kind == InsuredKind.PERSON.value
        session.add(
            Insured(
                organisation_id=org.id,
                kind=InsuredKind.PERSON if person else InsuredKind.COMPANY,
                uscc=None if person else org.uscc,
                id_number=id_number if person else None,
                contact_name=_text(spec.admin_name, 100),
                contact_phone=_text(spec.contact_phone, 20),
                address=_text(spec.address, 300),
                broker_id=broker_id,
            )
        )
    session.flush()


# ---- the first platform administrator ------------------------------------------------------------


def platform_admin_exists(session: Session) -> bool:
    """Whether any platform administrator account exists, active or not: deactivating the last one must
    not reopen the first-run page to whoever comes next (the CLI is the way back in)."""
    stmt = select(User.id).join(UserRole, UserRole.user_id == User.id).where(UserRole.role == Role.PLATFORM_ADMIN)
    return session.execute(stmt.limit(1)).first() is not None


def create_platform_admin(
    session: Session,
    settings: Settings,
    *,
    username: str,
    display_name: str,
    email: str | None,
    password: str,
    now: dt.datetime,
    first_run: bool = False,
) -> User:
    """A platform administrator in the platform organisation (made now if there is none). ``first_run``
    (the set-up page): only while no platform administrator exists (409 after)."""
    if first_run and platform_admin_exists(session):
        raise Conflict(ADMIN_EXISTS)
    address = None
    if email:
        address = links.normalise_email(email)
        if address is None:
            raise InvalidInput("Invalid e-mail address.", fields={"email": links.BAD_EMAIL})
    platform = session.execute(select(Organisation).where(Organisation.kind == OrgKind.PLATFORM)).scalars().first()
    if platform is None:
        platform = Organisation(kind=OrgKind.PLATFORM, name=PLATFORM_NAME, name_en="Tandem platform", created_at=now)
        session.add(platform)
        session.flush()
        audit.record(
            session,
            audit.SYSTEM,
            action="organisation.created",
            entity_type="organisation",
            entity_id=platform.id,
            at=now,
            chain_key=f"org:{platform.id}",
            after={"kind": OrgKind.PLATFORM.value, "name": PLATFORM_NAME},
        )
    return create_user(
        session,
        settings,
        organisation=platform,
        username=username.strip(),
        display_name=(display_name or "").strip() or username.strip(),
        password=password,
        roles=[Role.PLATFORM_ADMIN],
        at=now,
        email=address,
    )


# ---- people of an organisation -------------------------------------------------------------------


def managed_user(session: Session, actor: Actor, user_id: object) -> User:
    """A person whose account the actor administers (own organisation with the role, or the platform
    admin for any): someone else's is the same 404 as nobody."""
    try:
        uid = user_id if isinstance(user_id, uuid.UUID) else uuid.UUID(str(user_id))
    except ValueError:
        raise NotFound() from None
    user = session.get(User, uid)
    if user is None or (user.organisation_id != actor.org_id and not actor.is_admin):
        raise NotFound()
    if not actor.can(Perm.MANAGE_USERS):
        raise ActionNotAllowed()
    return user


def _other_admins(session: Session, user: User) -> int:
    stmt = (
        select(func.count())
        .select_from(User)
        .join(UserRole, UserRole.user_id == User.id)
        .where(
            User.organisation_id == user.organisation_id,
            User.id != user.id,
            User.active.is_(True),
            UserRole.role.in_(ADMIN_ROLES),
        )
    )
    return int(session.execute(stmt).scalar_one())


def keeps_an_admin(session: Session, user: User, roles_after: frozenset[Role], active_after: bool) -> None:
    """Refuse a change that leaves the user's organisation without an active administrator (409)."""
    was_admin = user.active and bool(user.roles & ADMIN_ROLES)
    stays_admin = active_after and bool(roles_after & ADMIN_ROLES)
    if was_admin and not stays_admin and _other_admins(session, user) == 0:
        raise Conflict(LAST_ADMIN)


def set_roles(session: Session, actor: Actor, user_id: object, roles: list[Role], *, now: dt.datetime) -> User:
    """Give and take a person's roles (those their organisation's kind may hold); effective on their next
    request, as the roles are read for each one."""
    user = managed_user(session, actor, user_id)
    errors: dict[str, str] = {}
    links.check_roles(user.organisation, roles, errors)
    if errors:
        raise InvalidInput("Roles not accepted.", fields=errors)
    wanted = frozenset(roles)
    before = sorted(r.value for r in user.roles)
    if wanted == user.roles:
        return user
    keeps_an_admin(session, user, wanted, user.active)
    user.role_rows = [row for row in user.role_rows if row.role in wanted]
    session.flush()  # the taken roles' rows are deleted before any given one is inserted
    user.role_rows.extend(UserRole(role=r) for r in sorted(wanted - user.roles))
    session.flush()
    audit.record(
        session,
        actor.ref,
        action="user.roles_changed",
        entity_type="user",
        entity_id=user.id,
        at=now,
        chain_key=f"org:{user.organisation_id}",
        before={"roles": before},
        after={"roles": sorted(r.value for r in wanted)},
        request_id=actor.request_id,
    )
    return user


def deactivate(session: Session, actor: Actor, user_id: str, *, now: dt.datetime) -> User:
    """Deactivate a person (``tandem.access.service.deactivate_user``: sessions and API tokens end in
    the same transaction), unless that leaves the organisation without an active administrator."""
    user = managed_user(session, actor, user_id)
    if user.id != actor.user_id:
        keeps_an_admin(session, user, user.roles, False)
    return deactivate_user(session, actor, user_id, now=now)
