"""PDFs (WeasyPrint + Noto CJK): the confirmation letter (确认函) and the adjusting report (公估报告, Chinese
as stored, English on request)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import jinja2
from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.access.models import Organisation, User
from tandem.case.audience import ALL, LETTER_READERS, SUPERVISION
from tandem.case.documents import store_document as store_document
from tandem.case.letters import TERMINATION, instructing_party
from tandem.case.models import Case
from tandem.claim.models import Appointment, Claim, Survey
from tandem.config import Settings
from tandem.fees.terms import summary as fee_summary
from tandem.kit.clock import local
from tandem.kit.i18n import format_money, format_rate, translate_message, use_locale
from tandem.party.models import Adjuster
from tandem.placement.models import Placement
from tandem.policy import versions as policy_versions
from tandem.policy.models import Policy
from tandem.report.models import Report, ReportPdf, ReportSignature, ReportSigning

_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)


# English names of the usual policy sections; the Chinese name is the policy's own.
SECTIONS_EN = {
    "building": "Buildings",
    "machinery": "Machinery and equipment",
    "stock": "Stock",
    "contents": "Contents",
    "equipment": "Equipment",
    "goods": "Goods",
}
# The title of each report kind as printed (R-U3, R-C3, R-U9, R-U10).
REPORT_HEADINGS = {
    "pre_assessment": "预评估报告",
    "adjusting": "公估报告",
    "staged_risk": "阶段性风险评价报告",
    "termination": "保险合同效力中止或终止评估报告",
}


def _fmt(t: dt.datetime) -> str:
    lt = local(t)
    assert lt is not None
    return lt.strftime("%Y年%m月%d日 %H:%M")


def when(t: dt.datetime | None, lang: str) -> str:
    """Beijing time in either language."""
    if t is None:
        return "—"
    if lang == "zh_CN":
        return _fmt(t)
    lt = local(t)
    assert lt is not None
    return lt.strftime("%Y-%m-%d %H:%M (Beijing time)")


def money(value: Any, lang: str, currency: str = "CNY") -> str:
    """An amount with thousands separators and its currency; a dash for none."""
    if value in (None, ""):
        return "—"
    try:
        return format_money(Decimal(str(value)), currency, lang)
    except InvalidOperation:
        return str(value)


def section_names(claim: Claim | None, codes: list[str], lang: str) -> dict[str, str]:
    """Section names: the policy's own in Chinese, the usual English ones in English."""
    names = {s.code: s.name for s in claim.policy.sections} if claim else {}
    if lang != "zh_CN":
        return {c: SECTIONS_EN.get(c, c) for c in {*names, *codes}}
    return names


def html_to_pdf(html: str) -> bytes:
    from weasyprint import HTML

    pdf: bytes = HTML(string=html).write_pdf()
    return pdf


def letter_html(session: Session, letter: Appointment, lang: str = "zh_CN") -> str:
    """The letter names the party that actually instructs (委托方): the broker, or the insurer for its own
    adjuster; a placement's letter asks for the pre-assessment of its subject instead of a loss
    assessment. Chinese as issued; English on request (``lang="en"``)."""
    case = session.get(Case, letter.case_id)
    claim = session.get(Claim, letter.claim_id) if letter.claim_id else None
    placement = session.get(Placement, letter.case_id) if claim is None else None
    adj = session.get(Adjuster, letter.adjuster_id)
    firm = session.get(Organisation, letter.firm_id)
    assert case and adj and firm
    instructing = instructing_party(session, letter)
    en = lang == "en"
    policy = None  # a termination letter assesses the placement's bound policy
    if letter.purpose == TERMINATION:
        policy = session.execute(select(Policy).where(Policy.placement_id == letter.case_id)).unique().scalars().first()
    titles = ("Letter of Instruction", "公估委托函") if policy else ("Confirmation of Instruction", "公估委托确认函")
    return _ENV.get_template("letter_en.html" if en else "letter.html").render(
        title=titles[0] if en else titles[1],
        policy=policy,
        lang="en" if en else "zh-CN",
        letter=letter,
        case=case,
        claim=claim,
        placement=placement,
        adjuster=adj,
        firm=firm.name_en if en and firm.name_en else firm.name,
        instructing=(instructing.name_en or instructing.name if en else instructing.name) if instructing else "",
        issued=when(letter.issued_at, lang),
        loss_at=when(claim.loss_at, lang) if claim else "",
        notified_at=when(claim.notified_at, lang) if claim else "",
    )


REPORT_LABELS = {
    "zh_CN": {
        "title": "公估报告",
        "number": "报告编号",
        "issued": "出具日期",
        "kind": "报告类型",
        "final": "定损公估报告",
        "corrects": "本报告更正并替代前一版本报告 {prev}。",
        "firm": "公估机构",
        "instruction": "一、委托事项",
        "letter": "委托确认函",
        "instructed_by": "委托方",
        "fee": "公估费",
        "fee_terms": "{basis}，{days}日内支付",
        "facts": "二、案件概况",
        "claim": "案件号",
        "policy": "保单号",
        "period": "保险期间",
        "insured": "被保险人",
        "insurer": "保险人",
        "line": "险种",
        "loss_at": "出险时间",
        "place": "出险地点",
        "notice": "报案经过",
        "notified_at": "报案时间",
        "survey": "三、现场查勘",
        "scheduled": "预约时间",
        "surveyed": "查勘时间",
        "participants": "参加人员",
        "notes": "查勘记录",
        "no_survey": "无查勘记录。",
        "cause": "四、事故原因",
        "liability": "五、保险责任分析",
        "loss": "六、损失核定",
        "replacement_value": "重置价值",
        "sum_insured": "保险金额",
        "ref": "序号",
        "item": "项目",
        "qty": "数量",
        "unit": "单位",
        "unit_value": "单价",
        "depreciation": "折旧率",
        "salvage": "残值",
        "amount": "损失金额",
        "section_total": "小计",
        "total": "损失合计",
        "conclusion": "七、公估结论",
        "sign": "八、签署",
        "adjuster": "公估师",
        "certificate": "资格证书号",
        "registration": "执业登记号",
        "signed": "签署时间",
        "seal": "（机构盖章）",
        "hash": "内容哈希（SHA-256）",
        "currency": "金额单位：人民币元。",
        "sep": "：",
    },
    "en": {
        "title": "Adjusting Report",
        "number": "Report No.",
        "issued": "Issued",
        "kind": "Report type",
        "final": "Final loss adjusting report",
        "corrects": "This report corrects and replaces report {prev}.",
        "firm": "Adjuster firm",
        "instruction": "1. Instruction",
        "letter": "Confirmation letter",
        "instructed_by": "Instructed by",
        "fee": "Fee",
        "fee_terms": "{basis}, payable within {days} days",
        "facts": "2. The case",
        "claim": "Claim",
        "policy": "Policy",
        "period": "Period of insurance",
        "insured": "Insured",
        "insurer": "Insurer",
        "line": "Line",
        "loss_at": "Time of loss",
        "place": "Place of loss",
        "notice": "Loss notice",
        "notified_at": "Notified",
        "survey": "3. Site survey",
        "scheduled": "Scheduled",
        "surveyed": "Surveyed",
        "participants": "Participants",
        "notes": "Findings",
        "no_survey": "No survey recorded.",
        "cause": "4. Cause of loss",
        "liability": "5. Liability under the policy",
        "loss": "6. Quantification of the loss",
        "replacement_value": "Replacement value",
        "sum_insured": "Sum insured",
        "ref": "No.",
        "item": "Item",
        "qty": "Qty",
        "unit": "Unit",
        "unit_value": "Unit value",
        "depreciation": "Depreciation",
        "salvage": "Salvage",
        "amount": "Loss",
        "section_total": "Subtotal",
        "total": "Total loss",
        "conclusion": "7. Conclusion",
        "sign": "8. Signatures",
        "adjuster": "Loss adjuster",
        "certificate": "Qualification certificate",
        "registration": "Practice registration",
        "signed": "Signed",
        "seal": "(firm seal)",
        "hash": "Content hash (SHA-256)",
        "currency": "Amounts in Chinese yuan (CNY).",
        "sep": ": ",
    },
}


def _rate(value: Any, lang: str) -> str:
    if value in (None, ""):
        return "—"
    try:
        return format_rate(Decimal(str(value)), lang)
    except InvalidOperation:
        return str(value)


def report_html(session: Session, report: Report, lang: str = "zh_CN") -> str:
    """The report as a 《公估报告》 (regulation.md §3.5): instruction, case facts, survey, cause, liability,
    itemised quantification, conclusion and the signatures."""
    if report.kind == "pre_assessment" and "placement" in report.content:
        return _pre_assessment_html(session, report, lang)
    if report.kind != "adjusting":
        return _risk_report_html(session, report)
    t = REPORT_LABELS.get(lang, REPORT_LABELS["zh_CN"])
    zh = lang == "zh_CN"
    firm = session.get(Organisation, report.firm_id)
    claim = session.get(Claim, report.claim_id)
    assert claim is not None
    insured = session.get(Organisation, claim.insured_id)
    insurer = session.get(Organisation, claim.insurer_id)

    def org_name(org: Organisation | None) -> str:
        return "" if org is None else org.name if zh else org.name_en or org.name

    sigs = list(session.execute(select(ReportSignature).where(ReportSignature.report_id == report.id)).scalars())
    signers = [(session.get(Adjuster, s.adjuster_id), when(s.signed_at, lang)) for s in sigs]
    letter = session.execute(
        select(Appointment)
        .where(Appointment.claim_id == claim.id, Appointment.firm_id == report.firm_id)
        .order_by(Appointment.issued_at.desc())
        .limit(1)
    ).scalar_one_or_none()
    instructing = session.get(
        Organisation, claim.broker_id if letter is None or letter.side == "broker" else claim.insurer_id
    )
    surveys = list(
        session.execute(
            select(Survey)
            .join(User, User.id == Survey.created_by)
            .where(Survey.claim_id == claim.id, User.organisation_id == report.firm_id)
            .order_by(Survey.scheduled_at)
        ).scalars()
    )
    previous = session.get(Report, report.supersedes_id) if report.supersedes_id else None
    c = report.content
    names = section_names(claim, [s["code"] for s in c["sections"]], lang)
    policy_sections = {s.code: s for s in policy_versions.sections_at(session, claim.policy, claim.loss_at)}
    currency = claim.policy.currency
    sections = []
    for sec in c["sections"]:
        ps = policy_sections.get(sec["code"])
        subtotal = sum((Decimal(str(i["loss"])) for i in sec["items"]), Decimal(0))
        sections.append(
            {
                "name": names.get(sec["code"]) or sec.get("name") or sec["code"],
                "replacement_value": money(sec.get("replacement_value"), lang, currency)
                if sec.get("replacement_value")
                else None,
                "sum_insured": money(ps.sum_insured, lang, currency) if ps and ps.sum_insured is not None else None,
                "items": [
                    {
                        "ref": i.get("ref", ""),
                        "description": i.get("description", ""),
                        "quantity": i.get("quantity") or "",
                        "unit": i.get("unit") or "",
                        "unit_value": money(i.get("unit_value"), lang, currency),
                        "depreciation": _rate(i.get("depreciation_rate"), lang),
                        "salvage": money(i.get("salvage") or "0", lang, currency),
                        "loss": money(i["loss"], lang, currency),
                    }
                    for i in sec["items"]
                ],
                "subtotal": money(subtotal, lang, currency),
            }
        )
    fee = None
    if letter is not None and letter.fee_terms:
        with use_locale("zh_CN" if zh else "en"):
            fee = fee_summary(letter.fee_terms)
    elif letter is not None and letter.fee_basis:  # accepted before the terms were structured
        fee = t["fee_terms"].format(basis=letter.fee_basis, days=letter.fee_payment_days or "—")
    return _ENV.get_template("report.html").render(
        title=f"{t['title']} {report.display_number}",
        lang="zh-CN" if zh else "en",
        t=t,
        report=report,
        c=c,
        claim=claim,
        policy=claim.policy,
        firm=org_name(firm),
        insured=org_name(insured),
        insurer=org_name(insurer),
        instructing=org_name(instructing),
        letter=letter,
        fee=fee,
        previous=previous.display_number if previous else None,
        issued=when(report.submitted_at, lang),
        loss_at=when(claim.loss_at, lang),
        notified_at=when(claim.notified_at, lang),
        surveys=[
            {
                "scheduled": when(s.scheduled_at, lang),
                "surveyed": when(s.surveyed_at, lang) if s.surveyed_at else "—",
                "participants": ("、" if zh else ", ").join(s.participants or []) or "—",
                "notes": s.notes or "",
            }
            for s in surveys
        ],
        sections=sections,
        total=money(report.total_loss, lang, currency),
        signers=signers,
    )


PRE_LABELS: dict[str, dict[str, str]] = {
    "zh_CN": {
        "title": "预评估报告",
        "number": "报告编号",
        "issued": "出具日期",
        "firm": "公估机构",
        "case": "投保项目编号",
        "corrects": "本报告更正并替代报告 {prev}。",
        "reason": "更正原因",
        "instruction": "一、委托事项",
        "instructed_by": "委托方",
        "insured": "被保险人",
        "placement": "投保项目",
        "lines": "拟投保险种",
        "period": "拟保险期间",
        "letter": "确认函",
        "fee": "公估费",
        "fee_terms": "{basis}，{days}日内支付",
        "subject": "二、评估标的",
        "site": "场所",
        "address": "地址",
        "occupancy": "使用性质",
        "construction": "建筑结构",
        "survey": "三、现场查勘",
        "visited": "查勘时间",
        "participants": "参加人员",
        "notes": "查勘情况",
        "photos": "照片（张）",
        "no_survey": "未记录现场查勘。",
        "values_title": "四、保险价值评估",
        "currency": "金额单位：人民币元。",
        "section": "标的项目",
        "description": "说明",
        "sum_insured": "拟保险金额",
        "replacement_value": "重置价值",
        "ratio": "保额/重置价值",
        "basis": "估价依据",
        "total": "合计",
        "under": "以下项目拟保险金额低于重置价值，存在不足额投保风险：{sections}。",
        "points": "五、风险点",
        "ref": "编号",
        "point": "风险点",
        "location": "位置",
        "level": "风险等级",
        "coefficient": "风险系数",
        "advice": "整改建议",
        "environmental": "六、环境评价（环评）",
        "safety": "七、安全评价（安评）",
        "advice_all": "八、风险管理建议",
        "sign": "九、签署",
        "adjuster": "公估师",
        "certificate": "资格证书号",
        "registration": "执业登记号",
        "signed": "签署时间",
        "seal": "（机构盖章）",
        "hash": "内容哈希（SHA-256）",
        "sep": "：",
        "list_sep": "、",
    },
    "en": {
        "title": "Pre-assessment Report",
        "number": "Report No.",
        "issued": "Issued",
        "firm": "Adjuster firm",
        "case": "Placement No.",
        "corrects": "This report corrects and replaces report {prev}.",
        "reason": "Reason",
        "instruction": "1. Instruction",
        "instructed_by": "Instructed by",
        "insured": "Insured",
        "placement": "Placement",
        "lines": "Lines sought",
        "period": "Desired period",
        "letter": "Confirmation letter",
        "fee": "Fee",
        "fee_terms": "{basis}, payable within {days} days",
        "subject": "2. Subject of the assessment",
        "site": "Site",
        "address": "Address",
        "occupancy": "Occupancy",
        "construction": "Construction",
        "survey": "3. Site survey",
        "visited": "Visited",
        "participants": "Participants",
        "notes": "Findings",
        "photos": "Photos",
        "no_survey": "No survey recorded.",
        "values_title": "4. Values at risk",
        "currency": "Amounts in Chinese yuan (CNY).",
        "section": "Section",
        "description": "Description",
        "sum_insured": "Sum insured sought",
        "replacement_value": "Replacement value",
        "ratio": "Sum insured / value",
        "basis": "Basis of valuation",
        "total": "Total",
        "under": "The sum insured sought is below the replacement value (underinsurance) for: {sections}.",
        "points": "5. Risk points",
        "ref": "No.",
        "point": "Risk point",
        "location": "Where",
        "level": "Level",
        "coefficient": "Loading coefficient",
        "advice": "Advice",
        "environmental": "6. Environmental assessment",
        "safety": "7. Safety assessment",
        "advice_all": "8. Risk management advice",
        "sign": "9. Signatures",
        "adjuster": "Loss adjuster",
        "certificate": "Qualification certificate",
        "registration": "Practice registration",
        "signed": "Signed",
        "seal": "(firm seal)",
        "hash": "Content hash (SHA-256)",
        "sep": ": ",
        "list_sep": ", ",
    },
}
LEVELS_EN = {"低": "Low", "中": "Medium", "高": "High", "重大": "Critical"}


def _ratio(insured: Decimal, value: Decimal, lang: str) -> str:
    return _rate((insured / value).quantize(Decimal("0.0001")), lang) if value else "—"


def _pre_sites(c: dict[str, Any], lang: str) -> list[dict[str, Any]]:
    """The placement's sites and sections as frozen with the report, each with the value the report gives."""
    from tandem.party.cover import SECTION_TYPES

    valued = {sec["ref"]: sec for site in c.get("sites", []) for sec in site["sections"]}
    out = []
    for site in c["placement"]["sites"]:
        sections = []
        for sec in site["sections"]:
            v = valued.get(sec["ref"], {})
            insured, value = Decimal(sec["sum_insured"]), Decimal(v.get("replacement_value") or 0)
            name = SECTION_TYPES.get(sec["type"])
            sections.append(
                {
                    "ref": sec["ref"],
                    "type": translate_message(name, {}, lang) if name else sec["type"],
                    "description": sec.get("description") or "",
                    "sum_insured": money(insured, lang),
                    "replacement_value": money(v.get("replacement_value"), lang),
                    "ratio": _ratio(insured, value, lang),
                    "under": value > insured,
                    "insured_amount": insured,
                    "value_amount": value,
                    "basis": v.get("basis") or "",
                }
            )
        out.append({**site, "sections": sections})
    return out


def _pre_assessment_html(session: Session, report: Report, lang: str) -> str:
    """The 《预评估报告》 (R-U3) from what was frozen with it: the instruction, the subject with its sites,
    the survey visits, the values at risk per site and section (sum insured sought against replacement
    value), the risk points, 环评/安评, advice and the signatures; Chinese as filed, English on request."""
    t = PRE_LABELS.get(lang, PRE_LABELS["zh_CN"])
    zh = lang == "zh_CN"
    c = report.content
    pl = c["placement"]
    name = "name" if zh else "name_en"
    sites = _pre_sites(c, lang)
    sections = [sec for s in sites for sec in s["sections"]]
    total_insured = sum((sec["insured_amount"] for sec in sections), Decimal(0))
    total_value = sum((sec["value_amount"] for sec in sections), Decimal(0))
    letter = c.get("letter")
    sigs = list(session.execute(select(ReportSignature).where(ReportSignature.report_id == report.id)).scalars())
    previous = session.get(Report, report.supersedes_id) if report.supersedes_id else None
    reason = None
    if previous is not None:
        reason = session.execute(
            select(ReportSigning.reason).where(
                ReportSigning.case_id == report.case_id,
                ReportSigning.number == report.number,
                ReportSigning.version == report.version,
            )
        ).scalar()
    return _ENV.get_template("report_pre.html").render(
        title=f"{t['title']} {report.display_number}",
        lang="zh-CN" if zh else "en",
        t=t,
        report=report,
        c=c,
        p={
            "firm": pl["firm"][name],
            "broker": pl["broker"][name],
            "insured": pl["insured"][name],
            "title": pl["title"],
            "lines": t["list_sep"].join(pl["lines"]),
            "period": f"{pl['period_start']} – {pl['period_end']}",
        },
        letter={"number": letter["number"], "fee": _fee_text(letter, t, lang)} if letter else None,
        previous=previous.display_number if previous else None,
        reason=reason,
        issued=when(report.submitted_at, lang),
        sites=sites,
        visits=[
            {
                "at": when(dt.datetime.fromisoformat(v["at"]), lang) if v.get("at") else "—",
                "participants": t["list_sep"].join(v["participants"]) or "—",
                "notes": v["notes"],
                "photos": len(v["photos"]),
            }
            for v in c.get("visits", [])
        ],
        total_insured=money(total_insured, lang),
        total_value=money(total_value, lang),
        total_ratio=_ratio(total_insured, total_value, lang),
        under=t["list_sep"].join(f"{sec['ref']} {sec['type']}" for sec in sections if sec["under"]),
        points=[
            {**r, "level": r["level"] if zh else f"{r['level']} {LEVELS_EN.get(r['level'], '')}"}
            for r in c["risk_points"]
        ],
        signers=[(session.get(Adjuster, s.adjuster_id), when(s.signed_at, lang)) for s in sigs],
    )


def _risk_report_html(session: Session, report: Report) -> str:
    """A pre-assessment, staged risk or termination report (Chinese): risk points with level and
    coefficient, 环评/安评 and advice, or the loss a termination causes."""
    firm = session.get(Organisation, report.firm_id)
    sigs = session.execute(select(ReportSignature).where(ReportSignature.report_id == report.id)).scalars()
    signers = [session.get(Adjuster, s.adjuster_id) for s in sigs]
    return _ENV.get_template("report_risk.html").render(
        title=report.display_number,
        heading=REPORT_HEADINGS[report.kind],
        report=report,
        c=report.content,
        firm=firm.name if firm else "",
        submitted=_fmt(report.submitted_at),
        total=f"{report.total_loss:,.2f}",
        signers=signers,
    )


def _fee_text(letter: dict[str, Any], t: dict[str, str], lang: str) -> str:
    """A report's fee line: the letter's terms in words, or the free text of a letter accepted before."""
    if letter.get("fee_terms"):
        with use_locale(lang):
            return fee_summary(letter["fee_terms"])
    if letter.get("fee_basis"):
        return t["fee_terms"].format(basis=letter["fee_basis"], days=letter["fee_payment_days"])
    return "—"


def report_pdf(session: Session, report: Report, lang: str = "zh_CN") -> bytes:
    return html_to_pdf(report_html(session, report, lang))


def render_letter(session: Session, settings: Settings, appointment_id: uuid.UUID, now: dt.datetime) -> None:
    letter = session.get(Appointment, appointment_id)
    if letter is None or letter.letter_sha256:
        return
    pdf = html_to_pdf(letter_html(session, letter))
    doc = store_document(
        session,
        settings,
        case_id=letter.case_id,
        claim_id=letter.claim_id,
        kind="confirmation_letter",
        filename=f"{letter.letter_no}.pdf",
        data=pdf,
        content_type="application/pdf",
        audience=list(LETTER_READERS[letter.side]),
        now=now,
    )
    letter.letter_sha256 = doc.sha256


def render_report(session: Session, settings: Settings, report_id: uuid.UUID, now: dt.datetime) -> None:
    report = session.get(Report, report_id)
    if report is None or session.get(ReportPdf, report.id) is not None:
        return
    pdf = report_pdf(session, report)
    doc = store_document(
        session,
        settings,
        case_id=report.case_id,
        claim_id=report.claim_id,
        kind="report_pdf",
        filename=f"{report.display_number}.pdf",
        data=pdf,
        content_type="application/pdf",
        audience=[*ALL, SUPERVISION],
        now=now,
    )
    session.add(ReportPdf(report_id=report.id, sha256=doc.sha256, size=doc.size, created_at=now))
