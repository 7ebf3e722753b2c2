"""The fee invoice as a PDF (公估费发票, Chinese, WeasyPrint + Noto CJK as the other PDFs), rendered on
request: an invoice's content never changes once issued, so the same invoice always gives the same text."""

from __future__ import annotations

from pathlib import Path

import jinja2
from sqlalchemy.orm import Session

from tandem.access.models import Organisation
from tandem.case.models import Case
from tandem.claim.documents import html_to_pdf, money
from tandem.fees import invoices
from tandem.fees.models import Invoice

_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(
        [Path(__file__).parent / "templates", Path(__file__).parent.parent / "claim" / "templates"]
    ),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)
LINES_ZH = {"fee": "公估服务费", "expenses": "代垫费用（差旅等）", "vat": "增值税"}
STATES_ZH = {
    "issued": "已开具",
    "accepted": "已确认",
    "disputed": "有争议",
    "part_paid": "部分付款",
    "paid": "已付清",
    "replaced": "已被替换",
}


def invoice_html(session: Session, inv: Invoice) -> str:
    case = session.get(Case, inv.case_id)
    firm = session.get(Organisation, inv.firm_id)
    payer = session.get(Organisation, inv.payer_id)
    old = session.get(Invoice, inv.replaces_id) if inv.replaces_id else None
    assert case and firm and payer
    return _ENV.get_template("invoice.html").render(
        title=f"公估费发票 {inv.number}",
        inv=inv,
        case=case,
        firm=firm.name,
        payer=payer.name,
        replaces=old.number if old else None,
        lines=[(LINES_ZH[line["code"]], money(line["amount"], "zh_CN")) for line in invoices.lines(inv)],
        total=money(inv.total, "zh_CN"),
        vat_rate=(inv.calculation.get("terms") or {}).get("vat_rate", "—"),
        steps=inv.calculation.get("steps", []),
        state=STATES_ZH[inv.state],
    )


def invoice_pdf(session: Session, inv: Invoice) -> bytes:
    return html_to_pdf(invoice_html(session, inv))
