"""Demo data (演示数据): one broker, three adjuster firms, two insurers, three insureds, policies."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem import demo_products
from tandem.access.models import Organisation, OrgKind, Role, User
from tandem.access.service import create_user
from tandem.audit import service as audit
from tandem.claim.models import ChannelAccount
from tandem.config import Settings
from tandem.kit import pii
from tandem.kit.clock import local_day
from tandem.kit.errors import TandemError
from tandem.kit.ids import id_check_char, uscc_check_char
from tandem.party import service as party_service
from tandem.party.models import (
    Adjuster,
    AdjusterFirm,
    BlacklistEntry,
    Expert,
    FilingStatus,
    Insured,
    InsuredKind,
    InsurerProduct,
    LegalForm,
    PiiAccess,
    RegistrationCheck,
    Sanction,
    Visibility,
)
from tandem.policy.models import Policy, PolicySection, PolicyStatus
from tandem.routing.service import RISK_EVALUATION as RISK

DEMO_PASSWORD = "tandem-demo"  # noqa: S105 - documented demo password
# The broker's own accounts on the messaging channels: inbound messages they receive are the broker's.
DEMO_WECHAT_ACCOUNT = "gh_hengxin_claims"
DEMO_CHANNELS = {"wechat": DEMO_WECHAT_ACCOUNT, "weibo": "hengxin_claims", "email": "claims@hengxin.demo.tandem.local"}
BROKER_NAME = "恒信保险经纪有限公司"


class DemoRefused(TandemError):
    status = 409
    code = "demo.refused"
    message = "Demo data may not be loaded when TANDEM_ENV=production."


def uscc(body17: str) -> str:
    return body17 + uscc_check_char(body17)


def id_no(body17: str) -> str:
    return body17 + id_check_char(body17)


def _org(
    session: Session,
    kind: OrgKind,
    name: str,
    at: dt.datetime,
    *,
    uscc_body: str | None = None,
    region: str | None = None,
    name_en: str | None = None,
) -> Organisation:
    org = Organisation(
        kind=kind, name=name, name_en=name_en, region=region, created_at=at, uscc=uscc(uscc_body) if uscc_body else None
    )
    session.add(org)
    session.flush()
    audit.record(
        session,
        audit.SYSTEM,
        action="organisation.created",
        entity_type="organisation",
        entity_id=org.id,
        at=at,
        chain_key=f"org:{org.id}",
        after={"kind": kind.value, "name": name},
    )
    return org


def _practice(
    session: Session, adjusters: list[Adjuster], firms: list[AdjusterFirm], lapsed: list[str], now: dt.datetime
) -> None:
    """Practice registrations (执业登记) and their records: each practitioner registered through its firm;
    陈亮 moved from 华信 to his firm a year ago (the history kept); 王建国's registration verified on the
    regulator's register last month; the lapsed ones not found there; 罗振华 suspended by the regulator
    (a decision number and dates). Written as rows, on the system's behalf."""
    today = local_day(now)
    for adj in adjusters:
        start = today - dt.timedelta(days=700)
        if adj.name == "陈亮":  # first through 华信, then moved (the old registration ended the day before)
            current = (adj.firm_id, adj.registration_no)
            first = firms[0].organisation_id
            party_service.open_registration(session, adj, first, "ZY1099001", start, at=now, actor=None)
            old = party_service.current_registration(adj)
            assert old is not None
            start = today - dt.timedelta(days=365)
            old.state, old.ends_on = "ended", start - dt.timedelta(days=1)
            session.flush()
            adj.firm_id, adj.registration_no = current
        party_service.open_registration(session, adj, adj.firm_id, adj.registration_no, start, at=now, actor=None)
    for adj in adjusters:
        if adj.name == "王建国" or adj.name in lapsed:
            session.add(
                RegistrationCheck(
                    adjuster_id=adj.id,
                    registration_id=party_service.current_registration(adj).id,  # type: ignore[union-attr]
                    source="regulator_register",
                    result="passed" if adj.name == "王建国" else "not_found",
                    checked_on=today - dt.timedelta(days=30),
                    checked_by_org=adj.firm_id,
                    created_at=now,
                )
            )
    sanctioned = adjusters[13]
    session.add(
        Sanction(
            adjuster_id=sanctioned.id,
            kind="suspension",
            authority="广东监管局",
            decision_no="粤金罚决字〔2026〕17号",
            starts_on=today - dt.timedelta(days=30),
            ends_on=today + dt.timedelta(days=335),
            note="出具报告存在重大遗漏",
            recorded_at=now,
        )
    )


def load(session: Session, settings: Settings, now: dt.datetime, *, claims: bool = True) -> bool:
    """Load the demo data; return False (and change nothing) when it is already there. ``claims`` adds one
    claim and one placement at each stage (tandem.demo_claims, tandem.demo_placements); the tests' template
    database leaves them out."""
    if settings.is_production:
        raise DemoRefused()
    if session.execute(select(Organisation.id).where(Organisation.name == BROKER_NAME)).first():
        return False
    today = local_day(now)

    def user(org: Organisation, username: str, name: str, roles: list[Role], phone: str | None = None) -> None:
        """A demo account: never made to enrol in TOTP (``mfa_exempt``, ignored in production), so the
        documented password alone signs in; each may still turn the second factor on."""
        made = create_user(
            session,
            settings,
            organisation=org,
            username=username,
            display_name=name,
            password=DEMO_PASSWORD,
            roles=roles,
            at=now,
            email=f"{username}@demo.tandem.local",
            phone=phone,
        )
        made.mfa_exempt = True

    platform = _org(session, OrgKind.PLATFORM, "Tandem 平台运营", now, name_en="Tandem platform")
    broker = _org(
        session,
        OrgKind.BROKER,
        BROKER_NAME,
        now,
        uscc_body="91310000MA1K3B7X2",
        region="上海",
        name_en="Hengxin Insurance Brokers Co., Ltd.",
    )
    regulator = _org(
        session,
        OrgKind.SUPERVISION,
        "国家金融监督管理总局上海监管局",
        now,
        region="上海",
        name_en="NFRA Shanghai Office",
    )
    session.add_all(
        ChannelAccount(channel=ch, account=account, organisation_id=broker.id, created_at=now)
        for ch, account in DEMO_CHANNELS.items()
    )
    user(platform, "admin", "平台管理员", [Role.PLATFORM_ADMIN])
    # The broker's, the first insurer's and the first insured's contacts also administer their
    # organisation's people (invitations, roles, deactivation).
    user(broker, "broker", "陈晓东", [Role.BROKER_ACCOUNT_MANAGER, Role.ORG_ADMIN], "13816620318")
    user(broker, "risk", "刘静怡", [Role.BROKER_RISK_EVALUATOR], "13916628841")
    # A finding needs a second reviewer, and an appeal someone who took no part (相对中立, R-C7).
    user(broker, "risk2", "周文博", [Role.BROKER_RISK_EVALUATOR], "13916628842")
    user(broker, "broker2", "吴佳琪", [Role.BROKER_ACCOUNT_MANAGER], "13816620319")
    user(regulator, "regulator", "孙立军", [Role.REGULATOR_VIEWER])

    firms_spec = [
        (
            "华信保险公估有限公司",
            "91310115MA1H8Q0L5",
            LegalForm.COMPANY,
            "公估备-310001",
            "5000000.00",
            ["全国"],
            "上海",
            "Huaxin Loss Adjusters Co., Ltd.",
        ),
        (
            "正衡保险公估合伙企业（普通合伙）",
            "91330106MA2CF7T1X",
            LegalForm.PARTNERSHIP,
            "公估备-330017",
            "1000000.00",
            ["浙江", "上海", "江苏"],
            "浙江",
            "Zhengheng Loss Adjusters LLP",
        ),
        (
            "粤安保险公估有限公司",
            "91440101MA59K2R8J",
            LegalForm.COMPANY,
            "公估备-440023",
            "2000000.00",
            ["广东"],
            "广东",
            "Yue'an Loss Adjusters Co., Ltd.",
        ),
    ]
    firms: list[AdjusterFirm] = []
    for name, ub, form, filing, capital, area, region, en in firms_spec:
        org = _org(session, OrgKind.ADJUSTER_FIRM, name, now, uscc_body=ub, region=region, name_en=en)
        firm = AdjusterFirm(
            organisation_id=org.id,
            legal_form=form,
            filing_no=filing,
            filing_status=FilingStatus.FILED,
            capital=Decimal(capital),
            business_area=area,
            lines=["企业财产保险", "财产一切险", "货物运输保险", "建筑工程一切险"],
        )
        firm.organisation = org
        session.add(firm)
        firms.append(firm)
    session.flush()
    user(firms[0].organisation, "adjuster1", "王建国", [Role.ADJUSTER, Role.ADJUSTER_FIRM_ADMIN])
    user(firms[0].organisation, "adjuster2", "李娜", [Role.ADJUSTER])
    user(firms[1].organisation, "adjuster3", "张伟", [Role.ADJUSTER, Role.ADJUSTER_FIRM_ADMIN])

    # name, firm index, id body, linked username, lapsed?, lines, regions; RISK: good at risk evaluation
    # (风险评估), the skill a placement's pre-assessment asks for (R-U1)
    adjusters_spec = [
        ("王建国", 0, "31010519780512301", "adjuster1", False, ["企业财产保险", "财产一切险"], ["上海", "江苏"]),
        ("李娜", 0, "31010419850306402", "adjuster2", False, ["企业财产保险", "货物运输保险"], ["上海"]),
        ("赵海涛", 0, "32010219800918203", None, False, ["建筑工程一切险"], ["江苏", "上海"]),
        ("周敏", 0, "31011019830722404", None, False, ["企业财产保险", RISK], ["上海"]),
        ("吴斌", 0, "31011219760114105", None, False, ["机器损坏保险", RISK], ["上海", "浙江"]),
        ("郑晓红", 0, "31010119900430206", None, False, ["货物运输保险"], ["上海"]),
        ("冯志强", 0, "31010919720811307", None, False, ["企业财产保险"], ["上海"]),
        ("黄丽", 0, "31011519880219408", None, False, ["财产一切险"], ["上海"]),
        ("钱永刚", 0, "31010719690603109", None, True, ["企业财产保险", RISK], ["上海"]),  # lapsed
        ("张伟", 1, "33010619820101501", "adjuster3", False, ["企业财产保险", "财产一切险", RISK], ["浙江", "上海"]),
        ("陈亮", 1, "33010219870315602", None, False, ["货物运输保险"], ["浙江"]),
        ("何雪梅", 1, "33010319910527703", None, False, ["企业财产保险", RISK], ["浙江"]),
        ("林志伟", 2, "44010619790808104", None, False, ["企业财产保险", "财产一切险", RISK], ["广东"]),
        ("罗振华", 2, "44030419840120205", None, False, ["货物运输保险"], ["广东"]),
    ]
    # Every practitioner signs reports in person, so every one has a login: adjuster4, adjuster5, … in the
    # order above (林志伟 also administers 粤安, which has no other user).
    logins = iter(range(4, 100))
    for n, (name, fi, body, username, lapsed, lines, regions) in enumerate(adjusters_spec):
        if username is None:
            username = f"adjuster{next(logins)}"
            roles = [Role.ADJUSTER, Role.ADJUSTER_FIRM_ADMIN] if name == "林志伟" else [Role.ADJUSTER]
            user(firms[fi].organisation, username, name, roles)
            adjusters_spec[n] = (name, fi, body, username, lapsed, lines, regions)
    users = {u.username: u for f in firms for u in f.organisation.users}
    adjusters: list[Adjuster] = []
    for i, (name, fi, body, username, _lapsed, lines, regions) in enumerate(adjusters_spec, start=1):
        firm = firms[fi]
        adj = Adjuster(
            firm_id=firm.organisation_id,
            name=name,
            id_number=id_no(body),
            certificate_no=f"GGS{2010 + i % 10}{i:05d}",
            registration_no=f"ZY{fi + 1}{i:06d}",
            title="公估师",
            lines=lines,
            regions=regions,
            capacity=8,
            created_at=now,
            user_id=users[username].id if username else None,
        )
        adj.firm = firm
        session.add(adj)
        adjusters.append(adj)
    session.flush()
    for adj in adjusters:
        audit.record(
            session,
            audit.SYSTEM,
            action="adjuster.registered",
            entity_type="adjuster",
            entity_id=adj.id,
            at=now,
            chain_key=f"org:{adj.firm_id}",
            after={"name": adj.name, "certificate_no": adj.certificate_no},
        )
    _practice(session, adjusters, firms, [name for name, _f, _b, _u, lapsed, _l, _r in adjusters_spec if lapsed], now)

    insurers = []
    for name, ub, region, en in [
        ("中安财产保险股份有限公司", "91110000710929482", "北京", "Zhong'an P&C Insurance Co., Ltd."),
        ("太和财产保险股份有限公司", "91310000132211476", "上海", "Taihe P&C Insurance Co., Ltd."),
    ]:
        insurers.append(_org(session, OrgKind.INSURER, name, now, uscc_body=ub, region=region, name_en=en))
    demo_products.load(session, insurers, today, now)
    user(insurers[0], "insurer1", "马俊", [Role.INSURER_CLAIMS_HANDLER, Role.ORG_ADMIN])
    user(insurers[1], "insurer2", "高洁", [Role.INSURER_CLAIMS_HANDLER])
    user(insurers[0], "underwriter1", "许文博", [Role.INSURER_UNDERWRITER])
    user(insurers[1], "underwriter2", "邵雨晴", [Role.INSURER_UNDERWRITER])

    insureds = []
    for name, kind, ident, contact, phone, addr, en_name in [
        (
            "嘉兴鑫达电子科技有限公司",
            InsuredKind.COMPANY,
            uscc("91330402MA2BCT5R1"),
            "沈国平",
            "13957312345",
            "浙江省嘉兴市南湖区亚中路88号",
            "Jiaxing Xinda Electronics Co., Ltd.",
        ),
        (
            "东莞宏盛塑胶制品有限公司",
            InsuredKind.COMPANY,
            uscc("91441900MA4W2K8P3"),
            "梁志明",
            "13829276543",
            "广东省东莞市长安镇振安中路128号",
            "Dongguan Hongsheng Plastics Co., Ltd.",
        ),
        (
            "杨慧敏",
            InsuredKind.PERSON,
            id_no("33010619750823002"),
            "杨慧敏",
            "13605718899",
            "浙江省杭州市上城区清泰街56号",
            None,
        ),
    ]:
        org = _org(
            session,
            OrgKind.INSURED,
            name,
            now,
            region=addr[:2],
            name_en=en_name,
            uscc_body=ident[:17] if kind == InsuredKind.COMPANY else None,
        )
        session.add(
            Insured(
                organisation_id=org.id,
                kind=kind,
                uscc=ident if kind == InsuredKind.COMPANY else None,
                id_number=ident if kind == InsuredKind.PERSON else None,
                contact_name=contact,
                contact_phone=phone,
                address=addr,
                broker_id=broker.id,
            )
        )
        insureds.append(org)
    session.flush()
    user(insureds[0], "insured1", "沈国平", [Role.INSURED_CONTACT, Role.ORG_ADMIN], "13957312345")
    user(insureds[1], "insured2", "梁志明", [Role.INSURED_CONTACT], "13829276543")
    user(insureds[2], "insured3", "杨慧敏", [Role.INSURED_CONTACT], "13605718899")

    by_code = {p.code: p for p in session.execute(select(InsurerProduct)).scalars()}  # codes unique in the demo
    start = dt.date(today.year, 1, 1)
    policies: list[
        tuple[
            str,
            Organisation,
            Organisation,
            str,
            str,
            Adjuster | None,
            list[tuple[str, str, str | None, str | None, str | None, str | None, str | None, str | None]],
        ]
    ] = [
        (
            "PQC2026330400001",
            insureds[0],
            insurers[0],
            "ZA-QC-2024",
            "企业财产保险",
            adjusters[0],
            [
                ("building", "建筑物", "30000000.00", "36000000.00", "10000.00", "0.10", None, "30000000.00"),
                ("machinery", "机器设备", "20000000.00", "20000000.00", "5000.00", "0.05", "10000000.00", None),
                ("stock", "存货", "8000000.00", None, "5000.00", None, None, "8000000.00"),
            ],
        ),
        (
            "PCA2026441900002",
            insureds[1],
            insurers[1],
            "TH-CA-2025",
            "财产一切险",
            None,
            [
                ("building", "厂房", "15000000.00", "15000000.00", "20000.00", "0.10", None, "15000000.00"),
                ("stock", "原材料及产成品", "6000000.00", "7500000.00", "10000.00", None, "3000000.00", None),
            ],
        ),
        (
            "PQC2026330100003",
            insureds[2],
            insurers[0],
            "ZA-QC-2024",
            "企业财产保险",
            None,
            [
                ("contents", "室内财产", "500000.00", "500000.00", "1000.00", None, None, "500000.00"),
            ],
        ),
    ]
    # The amount engine's wording options: 企业财产保险 and 财产一切险 reduce the sum insured by what was paid
    # (保险金额相应减少, not reinstated); household contents are insured on a first-loss basis (第一危险).
    wording: dict[str, dict[str, object]] = {
        "PQC2026330400001": {"sum_insured_reduces": True},
        "PCA2026441900002": {"sum_insured_reduces": True},
        "PQC2026330100003": {"basis": "first_loss", "sum_insured_reduces": True},
    }
    for number, insured, insurer, code, line, designated, sections in policies:
        pol = Policy(
            number=number,
            insured_id=insured.id,
            insurer_id=insurer.id,
            broker_id=broker.id,
            product_id=by_code[code].id,
            line=line,
            currency="CNY",
            period_start=start,
            period_end=dt.date(today.year, 12, 31),
            status=PolicyStatus.IN_FORCE,
            designated_adjuster_id=designated.id if designated else None,
            created_at=now,
        )
        pol.sections = [
            PolicySection(
                position=i,
                code=c,
                name=n,
                sum_insured=_d(si),
                insured_value=_d(iv),
                deductible_amount=_d(da),
                deductible_rate=_d(dr),
                per_occurrence_limit=_d(pl),
                aggregate_limit=_d(al),
                options=dict(wording.get(number, {})),
            )
            for i, (c, n, si, iv, da, dr, pl, al) in enumerate(sections)
        ]
        session.add(pol)
        session.flush()
        audit.record(
            session,
            audit.SYSTEM,
            action="policy.created",
            entity_type="policy",
            entity_id=pol.id,
            at=now,
            chain_key=f"org:{broker.id}",
            after={"number": number, "status": "in_force"},
        )

    broker_user = next(u for u in broker.users if u.username == "broker")
    blacklisted = adjusters[11]
    entry = BlacklistEntry(
        broker_id=broker.id,
        adjuster_id=blacklisted.id,
        reason="两次被通报明显偏袒委托方，超过容时容差",
        valid_from=today - dt.timedelta(days=60),
        valid_until=None,
        state="active",
        created_at=now,
        created_by=broker_user.id,
    )
    session.add(entry)
    session.flush()
    audit.record(
        session,
        audit.ActorRef(broker_user.id, broker.id),
        action="blacklist.added",
        entity_type="blacklist_entry",
        entity_id=entry.id,
        at=now,
        reason=entry.reason,
        after={"adjuster_id": str(blacklisted.id), "state": "active"},
    )

    for owner, vis, name, title, employer, specs, lines, regions, certs, years in [
        (
            broker,
            Visibility.PARTNERS,
            "邓建华",
            "高级工程师",
            "恒信保险经纪有限公司风险管理部",
            ["火灾原因调查", "电气火灾鉴定"],
            ["企业财产保险", "财产一切险"],
            ["浙江", "上海", "江苏"],
            ["注册消防工程师（一级）"],
            18,
        ),
        (
            broker,
            Visibility.PRIVATE,
            "韩晓光",
            "注册会计师",
            "恒信保险经纪有限公司",
            ["营业中断损失核算"],
            ["营业中断保险"],
            ["上海"],
            ["中国注册会计师"],
            12,
        ),
        (
            firms[0].organisation,
            Visibility.PARTNERS,
            "曹立新",
            "高级工程师",
            "华信保险公估有限公司",
            ["集装箱货损检验", "冷链货物鉴定"],
            ["货物运输保险"],
            ["上海", "浙江"],
            ["验船师"],
            15,
        ),
        (
            firms[1].organisation,
            Visibility.PARTNERS,
            "潘志远",
            "教授级高工",
            "浙江大学建筑工程学院",
            ["钢结构厂房损坏评估", "台风损失评估"],
            ["建筑工程一切险", "财产一切险"],
            ["浙江"],
            ["一级注册结构工程师"],
            22,
        ),
        (
            firms[1].organisation,
            Visibility.PARTNERS,
            "沈国栋",
            "高级工程师",
            "正衡保险公估合伙企业（普通合伙）",
            ["厂房火灾原因调查", "火灾损失评估"],
            ["企业财产保险", "财产一切险"],
            ["浙江", "江苏"],
            ["注册消防工程师（一级）"],
            16,
        ),
        (
            firms[2].organisation,
            Visibility.PRIVATE,
            "袁丽华",
            "工程师",
            "粤安保险公估有限公司",
            ["注塑设备机损鉴定"],
            ["机器损坏保险"],
            ["广东"],
            ["机械工程师"],
            9,
        ),
    ]:
        session.add(
            Expert(
                owner_id=owner.id,
                visibility=vis,
                name=name,
                title=title,
                employer=employer,
                specialties=specs,
                lines=lines,
                regions=regions,
                certificates=certs,
                years=years,
                bio=f"{name}，{title}，从业{years}年。",
                phone="13700000000",
                fee_basis="按日计费",
                extra={},
            )
        )
    session.flush()
    if claims:
        from tandem import (
            demo_claims,
            demo_complaints,
            demo_events,
            demo_filing,
            demo_history,
            demo_inforce,
            demo_invoices,
            demo_ledger,
            demo_mou,
            demo_placements,
            demo_retention,
        )

        demo_claims.load(session, settings, now)
        demo_invoices.load(session, now)
        demo_placements.load(session, settings, now)
        demo_mou.load(session, settings, now)
        demo_inforce.load(session, settings, now)
        demo_history.load(session, now)  # the broker's year behind the dashboards (after the comparison's insurers)
        demo_ledger.load(session, now)  # the broker's client money, from the policies and claim payments above
        demo_events.load(session, settings, now)  # a declared flood, its notices, one district assigned
        demo_filing.load(session, settings, now, password=DEMO_PASSWORD)  # the firms' filings (备案), last
        demo_retention.load(session, now)  # a broker's business file past its retention date
        demo_complaints.load(session, now)  # complaints at their stages, one escalated to supervision
        _access_log(session, now)
    return True


def _access_log(session: Session, now: dt.datetime) -> None:
    """Two views of a full ID number (tandem.party.reveal), so the access log page has entries: the broker
    checked the insured person's ID number, firm A's administrator its practitioner's."""
    users = {u: (uid, org) for u, uid, org in session.execute(select(User.username, User.id, User.organisation_id))}
    person_id = pii.equals(Insured.id_number_bidx, id_no("33010619750823002"), "id_number")  # 杨慧敏
    person = session.execute(select(Insured).where(person_id)).unique().scalar_one()
    firm_a = users["adjuster1"][1]
    at_a = select(Adjuster).where(Adjuster.name == "王建国", Adjuster.firm_id == firm_a)
    wang = session.execute(at_a).unique().scalar_one()
    for username, kind, subject, days, reason in (
        ("broker", "insured", person.organisation_id, 3, "核对投保人身份（投保单）"),
        ("adjuster1", "adjuster", wang.id, 1, "执业登记核验"),
    ):
        uid, org = users[username]
        entry = PiiAccess(at=now - dt.timedelta(days=days), user_id=uid, organisation_id=org, reason=reason)
        entry.subject_kind, entry.subject_id, entry.field = kind, subject, "id_number"
        session.add(entry)


def _d(v: str | None) -> Decimal | None:
    return None if v is None else Decimal(v)
