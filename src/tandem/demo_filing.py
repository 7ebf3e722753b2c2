"""Demo firms' filings (备案) and change reports (变更报告), issue 19 item 3, built through
:mod:`tandem.party.filing` as the firms' administrators and supervision (``regulator``) would: the three
demo firms file and are published under their filing numbers; a new firm, 启明 (its administrator
``qiming``, two 公估师), has its filing returned for correction and is not filed, so it is never routed;
正衡 recorded an address change it has not reported, now late, and 华信 reported a capital change supervision
acknowledged."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.access import onboarding
from tandem.access.actor import Actor
from tandem.access.models import Organisation, Role, User
from tandem.access.service import create_user
from tandem.config import Settings
from tandem.kit.clock import local_day
from tandem.kit.ids import id_check_char, uscc_check_char
from tandem.party import filing
from tandem.party import service as party_service
from tandem.party.models import AdjusterFirm, LegalForm

NEW_FIRM = "启明保险公估合伙企业（普通合伙）"
NEW_ADMIN = "qiming"
NEW_ADJUSTERS = (("苏明", "32010219860412301"), ("高远", "32010619890923402"))  # name, ID number body
RETURNED_REASONS = "职业责任保险单的保险期间未覆盖备案日，请补正保单后重新提交。"
LATE_CHANGE_DAYS = 12  # 正衡's unreported address change: past its 5 working days
COVER = filing.Liability("中国人民财产保险股份有限公司", "PZC2026310000001", Decimal("5000000.00"),
                         dt.date(2026, 1, 1), dt.date(2026, 12, 31))  # fmt: skip
# Shareholders or partners per firm (two-thirds or more 公估师, shares adding up to 100 %).
HOLDERS = {
    "华信保险公估有限公司": [("王建国", "40", True), ("李娜", "30", True), ("上海华信投资有限公司", "30", False)],
    "正衡保险公估合伙企业（普通合伙）": [("张伟", "50", True), ("陈亮", "30", True), ("何雪梅", "20", True)],
    "粤安保险公估有限公司": [("林志伟", "60", True), ("罗振华", "40", True)],
    NEW_FIRM: [("苏明", "50", True), ("高远", "50", True)],
}


def _actor(session: Session, username: str) -> Actor:
    return Actor.from_user(session.execute(select(User).where(User.username == username)).unique().scalar_one())


def _admin_of(session: Session, firm: AdjusterFirm) -> Actor | None:
    """The firm's administrator (None for a firm the demo did not make, e.g. one an expert pool brought)."""
    users = session.execute(select(User).where(User.organisation_id == firm.organisation_id)).unique().scalars()
    return next((a for a in map(Actor.from_user, users) if Role.ADJUSTER_FIRM_ADMIN in a.roles), None)


def _admin(session: Session, firm: AdjusterFirm) -> Actor:
    admin = _admin_of(session, firm)
    assert admin is not None, firm.organisation_id
    return admin


def _data(firm: AdjusterFirm) -> filing.FilingData:
    holders = [
        filing.Holder(name, "company" if "公司" in name else "person", Decimal(share), adj)
        for name, share, adj in HOLDERS[firm.organisation.name]
    ]
    fund = Decimal("300000.00") if firm.legal_form == LegalForm.PARTNERSHIP else None
    return filing.FilingData(firm.organisation.name, firm.capital, list(firm.business_area), holders,
                             None if fund else COVER, fund)  # fmt: skip


def _new_firm(session: Session, settings: Settings, now: dt.datetime, password: str) -> AdjusterFirm:
    """A firm the platform admin onboarded without a filing number (not filed, unrouted), with its
    administrator and two practitioners."""
    platform = _actor(session, "admin")
    body = "91320100MA7QM3N2K"
    spec = onboarding.NewOrganisation(
        kind="adjuster_firm", name=NEW_FIRM, admin_email=f"{NEW_ADMIN}@demo.tandem.local", admin_name="苏明",
        name_en="Qiming Loss Adjusters LLP", region="江苏", uscc=body + uscc_check_char(body),
        legal_form="partnership", capital="1000000.00",
    )  # fmt: skip
    checked, errors = onboarding.check_organisation(session, spec)
    assert checked is not None, errors
    org = onboarding.add_organisation(session, platform, spec, checked, now=now)
    admin = create_user(session, settings, organisation=org, username=NEW_ADMIN, display_name="苏明",
                        password=password, roles=[Role.ADJUSTER, Role.ADJUSTER_FIRM_ADMIN], at=now,
                        email=spec.admin_email)  # fmt: skip
    admin.mfa_exempt = True
    for n, (name, ident) in enumerate(NEW_ADJUSTERS, start=1):
        party_service.register_adjuster(session, settings, platform, firm_id=org.id, name=name,
                                        certificate_no=f"GGS2019Q{n:04d}", registration_no=f"ZYQ{n:06d}", at=now,
                                        id_number=ident + id_check_char(ident), title="公估师",
                                        lines=["企业财产保险"], regions=["江苏"])  # fmt: skip
    firm = session.get(AdjusterFirm, org.id)
    assert firm is not None
    session.refresh(firm)
    return firm


def load(session: Session, settings: Settings, now: dt.datetime, *, password: str) -> None:
    """The filings and change reports (once: nothing when the new firm is there)."""
    if session.execute(select(Organisation.id).where(Organisation.name == NEW_FIRM)).first():
        return
    regulator = _actor(session, "regulator")
    today = local_day(now)
    firms = list(session.execute(select(AdjusterFirm).order_by(AdjusterFirm.filing_no)).unique().scalars())
    for firm in firms:
        admin = _admin_of(session, firm)
        if admin is None:
            continue
        filing.save(session, admin, firm.organisation_id, _data(firm), now=now)
        filing.act(session, admin, firm.organisation_id, "submit", now=now)
        filing.act(session, regulator, firm.organisation_id, "publish", now=now, filing_no=firm.filing_no,
                   published_on=today)  # fmt: skip
    new = _new_firm(session, settings, now, password)
    admin = _admin(session, new)
    filing.save(session, admin, new.organisation_id, _data(new), now=now)
    filing.act(session, admin, new.organisation_id, "submit", now=now)
    filing.act(session, regulator, new.organisation_id, "return", now=now, reasons=RETURNED_REASONS)
    by_name = {f.organisation.name: f for f in firms}
    zhengheng, huaxin = by_name["正衡保险公估合伙企业（普通合伙）"], by_name["华信保险公估有限公司"]
    filing.open_change(session, _admin(session, zhengheng), zhengheng.organisation_id, kind="address",
                       changed_on=today - dt.timedelta(days=LATE_CHANGE_DAYS), now=now)  # fmt: skip
    reported = filing.open_change(session, _admin(session, huaxin), huaxin.organisation_id, kind="capital",
                                  changed_on=today - dt.timedelta(days=2), now=now,
                                  details="注册资本由500万元增至800万元", submit=True)  # fmt: skip
    filing.change_act(session, regulator, huaxin.organisation_id, reported.id, "acknowledge", now=now)
