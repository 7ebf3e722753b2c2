"""The MoU PDF (谅解备忘录), Chinese by default, English on request."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from tandem.claim.documents import _ENV, _fmt, html_to_pdf
from tandem.reconciliation.consultation import acks
from tandem.reconciliation.models import Memorandum

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
        "umpire": "仲裁人",
        "acks": "三、确认",
        "party": "确认方",
        "hash": "内容哈希（SHA-256）",
        "adjuster_a": "经纪人委托的公估机构",
        "adjuster_b": "保险人委托的公估机构",
        "broker": "保险经纪人",
        "insurer": "保险人",
        "identical": "两份报告一致",
        "umpire_how": "仲裁人裁定",
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
        "umpire": "Umpire",
        "acks": "3. Acknowledgements",
        "party": "Party",
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

    def fmt(at: dt.datetime) -> str:
        return _fmt(at) if lang == "zh_CN" else at.strftime("%Y-%m-%d %H:%M UTC")

    return _ENV.get_template("mou.html").render(
        title=t["title"],
        t=t,
        memo=memo,
        c=memo.content,
        created=fmt(memo.created_at),
        acks=acks(session, memo),
        how=how,
        fmt=fmt,
    )


def mou_pdf(session: Session, memo: Memorandum, lang: str = "zh_CN") -> bytes:
    return html_to_pdf(mou_html(session, memo, lang))
