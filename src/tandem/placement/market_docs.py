"""The broker's disclosure (客户告知书, 《保险经纪人监管规定》 Art. 50) and the written mandate (委托书,
Art. 48) as generated PDFs (Chinese, WeasyPrint as the other PDFs), stored as documents on the case for
the broker and the insured; an uploaded signed mandate is stored the same way."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2
from sqlalchemy.orm import Session

from tandem.access.actor import Actor
from tandem.access.models import User
from tandem.case import documents
from tandem.claim.documents import html_to_pdf, when
from tandem.claim.models import Document
from tandem.config import Settings
from tandem.kit.errors import InvalidInput
from tandem.kit.i18n import N_
from tandem.kit.limits import REASON_MAX
from tandem.kit.money import fmt
from tandem.kit.uploads import MAX_UPLOAD, evidence_type
from tandem.placement import market
from tandem.placement import service as placement_service
from tandem.placement.market_models import Consent, ConsentKind

_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(
        [Path(__file__).parent / "templates", Path(__file__).parent.parent / "claim" / "templates"]
    ),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)
AUDIENCE = list(market.MARKET_AUDIENCE)
# What the disclosure says where the broker has nothing to add.
DISCLOSURE_DEFAULTS = {
    "remuneration": "本公司的经纪佣金由保险人按保险合同约定的比例支付，不向客户另行收取费用。",
    "related_parties": "本公司及其高级管理人员与本项目拟接洽的保险人及其他中介机构无关联关系。",
    "complaints": (
        "客户可向本公司客户服务部投诉，或向国家金融监督管理总局派出机构反映；争议协商不成的，提交仲裁或诉讼解决。"
    ),
}
MANDATE_SCOPE = "拟订投保方案、向保险人询价、比较报价、协助投保及保险期间内的索赔协助。"
EMPTY = N_("The file is empty.")
TOO_LARGE = N_("The file is too large.")
NOT_ACCEPTED = N_("Photos, PDF or office documents only.")


def _texts(data: Mapping[str, Any], defaults: Mapping[str, str]) -> dict[str, str]:
    out, errors = {}, {}
    for key, default in defaults.items():
        value = str(data.get(key) or "").strip() or default
        if len(value) > REASON_MAX:
            errors[key] = market.TOO_LONG
        out[key] = value
    if errors:
        raise InvalidInput(fields=errors)
    return out


def _store(
    session: Session,
    settings: Settings,
    actor: Actor,
    case_id: Any,
    kind: ConsentKind,
    name: str,
    data: bytes,
    content_type: str,
    now: dt.datetime,
) -> Document:
    return documents.store_document(
        session,
        settings,
        case_id=case_id,
        kind=kind.value,
        filename=name[:200],
        data=data,
        content_type=content_type,
        audience=AUDIENCE,
        now=now,
        uploaded_by=actor.user_id,
    )


def _generate(
    session: Session,
    settings: Settings,
    actor: Actor,
    placement_id: object,
    kind: ConsentKind,
    texts: Mapping[str, str],
    now: dt.datetime,
) -> Consent:
    """Render the kind's template (Chinese, as issued) to a PDF on the case and give it to the insured."""
    placement = market._broker_manager(session, actor, placement_id)
    title = {ConsentKind.DISCLOSURE: "客户告知书", ConsentKind.MANDATE: "委托书"}[kind]
    user = session.get(User, actor.user_id)
    html = _ENV.get_template(f"{kind.value}.html").render(
        title=f"{title} {placement.number}",
        placement=placement,
        broker=placement.broker,
        insured=placement.insured.name,
        issued=when(now, "zh_CN"),
        contact=f"{user.display_name} {user.phone or ''}".strip() if user else "—",
        total=fmt(placement_service.total_sum_insured(placement)),
        **texts,
    )
    name = f"{title}-{placement.number}.pdf"
    doc = _store(session, settings, actor, placement.id, kind, name, html_to_pdf(html), "application/pdf", now)
    return market.give_consent(session, actor, placement.id, kind, doc.id, source="generated", now=now)


# What each generated paper lets the broker say, and the standard wording where it says nothing.
WORDING = {ConsentKind.DISCLOSURE: DISCLOSURE_DEFAULTS, ConsentKind.MANDATE: {"scope": MANDATE_SCOPE}}


def generate(
    session: Session,
    settings: Settings,
    actor: Actor,
    placement_id: object,
    kind: ConsentKind,
    data: Mapping[str, Any],
    *,
    now: dt.datetime,
) -> Consent:
    """Generate the disclosure (the broker's details and duties) or the mandate and give it to the insured."""
    return _generate(session, settings, actor, placement_id, kind, _texts(data, WORDING[kind]), now)


def upload_mandate(
    session: Session,
    settings: Settings,
    actor: Actor,
    placement_id: object,
    filename: str | None,
    data: bytes,
    *,
    now: dt.datetime,
) -> Consent:
    """Record a signed mandate the broker uploads (a scan or a PDF)."""
    placement = market._broker_manager(session, actor, placement_id)
    if not data:
        raise InvalidInput(EMPTY, fields={"file": EMPTY})
    if len(data) > MAX_UPLOAD:
        raise InvalidInput(TOO_LARGE, fields={"file": TOO_LARGE})
    content_type = evidence_type(data)
    if content_type is None:
        raise InvalidInput(NOT_ACCEPTED, fields={"file": NOT_ACCEPTED})
    doc = _store(
        session, settings, actor, placement.id, ConsentKind.MANDATE, filename or "mandate", data, content_type, now
    )
    return market.give_consent(session, actor, placement.id, ConsentKind.MANDATE, doc.id, source="uploaded", now=now)
