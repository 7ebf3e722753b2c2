"""Jinja2 rendering: one environment per locale (gettext installed once each), autoescape on.

``render(request, template, ctx)`` adds what every page needs: the actor, the locale, the CSRF
token, the navigation and the language switch.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache, partial
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined

from tandem.access.actor import Actor
from tandem.access.models import OrgKind
from tandem.fees.terms import describe as describe_fee_terms
from tandem.kit import i18n
from tandem.kit.errors import TandemError
from tandem.kit.i18n import N_
from tandem.kit.limits import REASON_MAX
from tandem.web import labels
from tandem.web.data import total_sum_insured

STATIC_DIR = Path(__file__).resolve().parent / "static"

# Content Security Policy: everything from our own origin, no inline scripts or styles.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'"
)

# htmx 2 swaps only 2xx by default; form errors (422) and conflicts (409) come back as fragments to
# swap in. No eval, no inline styles (CSP), no page snapshots in localStorage.
HTMX_CONFIG = {
    "responseHandling": [
        {"code": "204", "swap": False},
        {"code": "[23]..", "swap": True},
        {"code": "409", "swap": True, "error": False},
        {"code": "422", "swap": True, "error": False},
        {"code": "[45]..", "swap": False, "error": True},
        {"code": "...", "swap": False},
    ],
    "attributesToSettle": ["class", "width", "height"],  # never inline styles (CSP)
    "allowEval": False,
    "includeIndicatorStyles": False,
    "historyCacheSize": 0,
    "refreshOnHistoryMiss": True,
    "selfRequestsOnly": True,
}


@dataclass(frozen=True)
class NavItem:
    href: str
    label: str  # msgid
    active: bool


K = OrgKind
_NAV: list[tuple[str, str, frozenset[OrgKind]]] = [
    ("/", N_("Home"), frozenset(K)),
    ("/claims", N_("Claims"), frozenset(K)),
    ("/dashboard", N_("Dashboard"), frozenset(K)),
    ("/events", N_("Catastrophe events"), frozenset({K.BROKER, K.INSURER, K.INSURED, K.PLATFORM})),
    ("/placements", N_("Placements"), frozenset({K.BROKER, K.INSURED, K.ADJUSTER_FIRM, K.SUPERVISION, K.PLATFORM})),
    ("/submissions", N_("Submissions"), frozenset({K.INSURER})),
    ("/intake/drafts", N_("Inbound messages"), frozenset({K.BROKER, K.PLATFORM})),
    ("/policies", N_("Policies"), frozenset({K.BROKER, K.INSURER, K.INSURED, K.ADJUSTER_FIRM, K.PLATFORM})),
    (
        "/adjusters",
        N_("Adjuster register"),
        frozenset({K.BROKER, K.INSURER, K.SUPERVISION, K.ADJUSTER_FIRM, K.PLATFORM}),
    ),
    ("/adjuster-register", N_("Adjuster register"), frozenset({K.INSURED})),
    ("/products", N_("Products"), frozenset({K.BROKER, K.INSURER, K.SUPERVISION, K.PLATFORM})),
    ("/experts", N_("Experts"), frozenset({K.BROKER, K.ADJUSTER_FIRM, K.PLATFORM})),
    ("/blacklist", N_("Blacklist"), frozenset({K.BROKER, K.ADJUSTER_FIRM, K.PLATFORM})),
    ("/neutrality", N_("Neutrality"), frozenset({K.BROKER, K.ADJUSTER_FIRM, K.SUPERVISION, K.PLATFORM})),
    ("/supervision/firms", N_("Firms and warnings"), frozenset({K.SUPERVISION, K.PLATFORM})),
    ("/organisations", N_("Organisations"), frozenset({K.BROKER, K.INSURER, K.SUPERVISION, K.PLATFORM})),
    ("/receivables", N_("Receivables"), frozenset({K.ADJUSTER_FIRM})),
    ("/payables", N_("Payables"), frozenset({K.INSURER, K.BROKER, K.INSURED})),
    ("/client-money", N_("Client money"), frozenset({K.BROKER})),
    ("/complaints", N_("Complaints"), frozenset(K)),
]


def nav_for(actor: Actor | None, path: str) -> list[NavItem]:
    if actor is None:
        return []
    items: list[NavItem] = []
    own = f"/organisations/{actor.org_id}"
    for href, label, kinds in _NAV:
        if actor.org_kind in kinds:
            active = (
                path == "/"
                if href == "/"
                else (path == href or path.startswith(href + "/")) and not path.startswith(own)
            )
            items.append(NavItem(href, label, active))
    items.append(NavItem(own, N_("My organisation"), path.startswith(own)))
    return items


@lru_cache(maxsize=64)
def _static_version(name: str) -> str:
    try:
        return hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest()[:10]
    except OSError:
        return "0"


def static_url(name: str) -> str:
    """``/static/<name>?v=<content hash>`` so browsers may cache assets for long."""
    return f"/static/{quote(name)}?v={_static_version(name)}"


def message_text(locale: str, value: object) -> str:
    """Translate a ``TandemError`` or a :class:`labels.Message` (msgid + params) or a bare msgid."""
    if isinstance(value, TandemError):
        return i18n.translate_message(
            value.message, {k: i18n.phrase_text(v, locale) for k, v in value.params.items()}, locale
        )
    if isinstance(value, i18n.Phrase):
        return str(i18n.phrase_text(value, locale))
    if isinstance(value, labels.Message):
        params = {k: _param(locale, v) for k, v in value.params.items()}
        return i18n.translate_message(value.msgid, params, locale)
    return i18n.translate_message(str(value), None, locale)


def _param(locale: str, value: object) -> object:
    """A message parameter: a ``(group, code)`` label is translated, a list of them joined."""
    if isinstance(value, labels.Message | i18n.Phrase):
        return message_text(locale, value)
    if isinstance(value, tuple) and len(value) == 2 and value[0] in labels.LABELS:
        return _label(locale, value[1], value[0])
    if isinstance(value, list) and all(isinstance(v, tuple) for v in value):
        return ("、" if locale == "zh_CN" else ", ").join(str(_param(locale, v)) for v in value)
    return value


def _label(locale: str, code: object, group: str) -> str:
    return i18n.gettext(labels.label(group, code), locale)


@lru_cache(maxsize=len(i18n.LOCALES) + 1)
def environment(locale: str) -> Environment:
    """The template environment of one locale (created once, then shared by every request)."""
    env = Environment(
        loader=PackageLoader("tandem.web", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.policies["ext.i18n.trimmed"] = True
    trans = i18n.translations(locale)
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=trans.gettext,
        ngettext=trans.ngettext,
        newstyle=True,
        pgettext=trans.pgettext,
        npgettext=trans.npgettext,
    )

    def money(value: Any, currency: str = "CNY") -> str:
        return i18n.format_money(value, currency, locale)

    def date(value: Any, fmt: str = "medium") -> str:
        return i18n.format_date(value, locale, fmt)

    def local(value: Any, fmt: str = "yyyy-MM-dd HH:mm") -> str:
        return i18n.format_local(value, locale, fmt)

    def duration(value: dt.timedelta | None) -> str:
        """A span as days and hours (or hours and minutes), always positive."""
        if value is None:
            return ""
        secs = abs(int(value.total_seconds()))
        days, rest = divmod(secs, 86400)
        hours, rest = divmod(rest, 3600)
        if days:
            return i18n.translate_message(N_("{d} d {h} h"), {"d": days, "h": hours}, locale)
        if hours:
            return i18n.translate_message(N_("{h} h {m} min"), {"h": hours, "m": rest // 60}, locale)
        return i18n.translate_message(N_("{m} min"), {"m": rest // 60}, locale)

    env.filters.update(
        duration=duration,
        money=money,
        date=date,
        local=local,
        number=partial(i18n.format_number, locale=locale),
        rate=partial(i18n.format_rate, locale=locale),
        msg=partial(message_text, locale),
        label=partial(_label, locale),
        tone=lambda code, group: labels.tone(group, code),
    )
    zh = locale == "zh_CN"
    env.globals.update(colon="：" if zh else ": ", semicolon="；" if zh else "; ", listsep="、" if zh else ", ")
    env.globals.update(
        static_url=static_url,
        htmx_config=HTMX_CONFIG,
        locales=i18n.LOCALES,
        html_lang=i18n.HTML_LANG[locale],
        locale=locale,
        total_of=total_sum_insured,
        REASON_MAX=REASON_MAX,
        fee_lines=partial(_fee_lines, locale),
    )
    return env


def _fee_lines(locale: str, terms: dict[str, Any]) -> list[str]:
    """Stored fee terms in words, one line per term."""
    with i18n.use_locale(locale):
        return describe_fee_terms(terms)


def request_locale(request: Request, actor: Actor | None = None) -> str:
    """User preference, then the language cookie, then Accept-Language, then zh_CN."""
    cached: str | None = getattr(request.state, "locale", None)
    if cached and actor is None:
        return cached
    settings = getattr(request.app.state, "settings", None)
    locale = i18n.resolve_locale(
        actor.locale if actor else None,
        request.cookies.get(i18n.LANG_COOKIE),
        request.headers.get("accept-language"),
        getattr(settings, "default_locale", i18n.DEFAULT_LOCALE),
    )
    request.state.locale = locale
    return locale


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def unread(request: Request, actor: Actor | None) -> int | None:
    """Unread notifications for the top bar, counted in the request's own session (never a second
    connection: on SQLite that would wait for this request's write lock)."""
    session = getattr(request.state, "db", None)
    if actor is None or session is None:
        return None
    from sqlalchemy.exc import SQLAlchemyError

    from tandem.notification.service import unread_count

    try:
        return unread_count(session, actor.user_id)
    except SQLAlchemyError:
        return None


def render(
    request: Request, template: str, ctx: dict[str, Any], status: int = 200, headers: Mapping[str, str] | None = None
) -> HTMLResponse:
    """Render ``template`` for this request's actor and locale."""
    actor: Actor | None = ctx.get("actor") or getattr(request.state, "actor", None)
    locale = request_locale(request, actor)
    i18n.set_locale(locale)  # for _() in code that runs later in this request
    path = request.url.path
    full: dict[str, Any] = {
        "request": request,
        "actor": actor,
        "csrf_token": getattr(request.state, "csrf_token", None),
        "nav": nav_for(actor, path),
        "current_path": path,
        "current_url": path + (f"?{request.url.query}" if request.url.query else ""),
        "is_htmx": is_htmx(request),
        "unread": unread(request, actor),
    }
    full.update(ctx)
    full["actor"] = actor
    html = environment(locale).get_template(template).render(full)
    response = HTMLResponse(html, status)
    response.headers["Content-Language"] = i18n.HTML_LANG[locale]
    response.headers["Vary"] = "Cookie, Accept-Language, HX-Request"
    response.headers["Content-Security-Policy"] = CSP
    if actor is not None:
        response.headers["Cache-Control"] = "no-store"
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response
