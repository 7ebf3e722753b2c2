"""The MoU PDF (谅解备忘录), Chinese by default, English on request."""

from __future__ import annotations

import datetime as dt

from fastapi import Response
from sqlalchemy.orm import Session

from tandem.access.models import Organisation, User
from tandem.claim.documents import _ENV, html_to_pdf, money, section_names, when
from tandem.claim.models import Claim
from tandem.kit.errors import NotFound
from tandem.kit.i18n import gettext
from tandem.reconciliation.consultation import acks, memorandum
from tandem.reconciliation.models import Consultation, Memorandum
from tandem.web.labels import label

LABELS = {
    "zh_CN": {
        "title": "谅解备忘录",
        "number": "编号",
        "date": "日期",
        "claim": "案件号",
        "policy": "保单号",
        "reports": "一、两份公估报告",
        "total": "损失合计",
        "items": "二、逐项核定",
        "item": "项目",
        "agreed": "议定金额",
        "how": "议定方式",
        "total_agreed": "议定损失合计",
        "umpire": "公估人/专家",
        "acks": "三、确认",
        "party": "确认方",
        "acknowledger": "确认人",
        "organisation": "机构",
        "hash": "内容哈希（SHA-256）",
        "adjuster_a": "经纪人委托的公估机构",
        "adjuster_b": "保险人委托的公估机构",
        "broker": "保险经纪人",
        "insurer": "保险人",
        "identical": "两份报告一致",
        "umpire_how": "公估人/专家裁定",
        "round": "第{n}轮磋商议定",
    },
    "en": {
        "title": "Memorandum of Understanding",
        "number": "No.",
        "date": "Date",
        "claim": "Claim",
        "policy": "Policy",
        "reports": "1. The two adjusting reports",
        "total": "Total loss",
        "items": "2. Item by item",
        "item": "Item",
        "agreed": "Agreed",
        "how": "How agreed",
        "total_agreed": "Total agreed loss",
        "umpire": "Umpire (adjuster or expert)",
        "acks": "3. Acknowledgements",
        "party": "Party",
        "acknowledger": "Acknowledged by",
        "organisation": "Organisation",
        "hash": "Content hash (SHA-256)",
        "adjuster_a": "Broker's adjuster",
        "adjuster_b": "Insurer's adjuster",
        "broker": "Broker",
        "insurer": "Insurer",
        "identical": "same in both reports",
        "umpire_how": "umpire's decision",
        "round": "agreed in round {n}",
    },
}


def mou_html(session: Session, memo: Memorandum, lang: str = "zh_CN") -> str:
    t = LABELS.get(lang, LABELS["zh_CN"])

    def how(value: str | None) -> str:
        if value == "identical":
            return t["identical"]
        if value == "umpire":
            return t["umpire_how"]
        if value and value.startswith("round "):
            return t["round"].format(n=value.split()[1])
        return value or ""

    def fmt(at: dt.datetime) -> str:  # Beijing time in both languages
        return when(at, lang)

    if "risk_points" in memo.content:
        return _risk_mou_html(session, memo)
    cons = session.get(Consultation, memo.consultation_id)
    claim = session.get(Claim, cons.claim_id) if cons and cons.claim_id else None
    names = section_names(claim, [s["code"] for s in memo.content["sections"]], lang)
    rows = []
    for a in acks(session, memo):
        user, org = session.get(User, a.user_id), session.get(Organisation, a.organisation_id)
        roles = sorted(r.value for r in user.roles) if user else []
        rows.append(
            {
                "party": t[a.party],
                "name": user.display_name if user else "",
                "roles": "、".join(gettext(label("role", r), lang) for r in roles)
                if lang == "zh_CN"
                else ", ".join(gettext(label("role", r), lang) for r in roles),
                "organisation": (org.name if lang == "zh_CN" else org.name_en or org.name) if org else "",
                "at": fmt(a.at),
            }
        )
    return _ENV.get_template("mou.html").render(
        title=t["title"],
        t=t,
        memo=memo,
        c=memo.content,
        created=fmt(memo.created_at),
        acks=rows,
        how=how,
        section=lambda code: names.get(code, code),
        money=lambda v: money(v, lang),
    )


# The parties of a placement's MoU as printed (R-U8).
RISK_PARTIES = {
    "adjuster_a": "经纪人委托的公估机构",
    "adjuster_b": "保险人委托的公估机构",
    "broker": "保险经纪人（风险评价部门）",
    "insurer": "保险人",
    "insured": "被保险人",
}


def _risk_mou_html(session: Session, memo: Memorandum) -> str:
    """A placement's MoU: the risk points with their agreed levels and coefficients (Chinese)."""
    rows = []
    for a in acks(session, memo):
        user, org = session.get(User, a.user_id), session.get(Organisation, a.organisation_id)
        rows.append(
            {
                "party": RISK_PARTIES.get(a.party, a.party),
                "name": user.display_name if user else "",
                "organisation": org.name if org else "",
                "at": when(a.at, "zh_CN"),
            }
        )
    return _ENV.get_template("mou_risk.html").render(
        title="谅解备忘录",
        memo=memo,
        c=memo.content,
        created=when(memo.created_at, "zh_CN"),
        acks=rows,
        required="、".join(RISK_PARTIES.get(p, p) for p in memo.content.get("acknowledgers", [])),
    )


def mou_pdf(session: Session, memo: Memorandum, lang: str = "zh_CN") -> bytes:
    return html_to_pdf(mou_html(session, memo, lang))


def mou_response(session: Session, cons: Consultation, lang: str) -> Response:
    """The consultation's MoU as a PDF download (API), its content hash in ``X-Content-SHA256``; 404 before
    it is generated."""
    memo = memorandum(session, cons)
    if memo is None:
        raise NotFound()
    return Response(
        mou_pdf(session, memo, lang),
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{memo.number}.pdf"',
            "X-Content-SHA256": memo.content_hash,
        },
    )
