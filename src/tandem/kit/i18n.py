"""Translation (国际化): locale choice, gettext catalogues, and number, money and date formatting.

zh-CN is the default and English the alternative. Msgids are English. The locale of a request comes
from the user's preference, then the ``tandem_lang`` cookie, then ``Accept-Language``, then zh_CN.

In code, ``_()`` translates into the current locale (a context variable set per request by the web
layer, or with :func:`use_locale`). Module constants use :func:`lazy_gettext` or the no-op marker
:func:`N_`, so extraction finds them while translation happens at display time.
"""

from __future__ import annotations

import ast
import builtins
import contextvars
import datetime as dt
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import IO, Any

from babel.core import Locale
from babel.dates import format_date as _babel_format_date
from babel.dates import format_datetime as _babel_format_datetime
from babel.numbers import format_currency as _babel_format_currency
from babel.numbers import format_decimal as _babel_format_decimal
from babel.numbers import format_percent as _babel_format_percent
from babel.support import LazyProxy, NullTranslations, Translations

from tandem.kit import clock

LOCALES: tuple[str, ...] = ("zh_CN", "en")
DEFAULT_LOCALE = "zh_CN"
LANG_COOKIE = "tandem_lang"
DOMAIN = "messages"
LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"

# BCP 47 tags for <html lang> and Content-Language.
HTML_LANG = {"zh_CN": "zh-CN", "en": "en"}

_current: contextvars.ContextVar[str] = contextvars.ContextVar("tandem_locale", default=DEFAULT_LOCALE)


# ---- locale choice -------------------------------------------------------------------------------


def normalise_locale(value: str | None) -> str | None:
    """Map a tag such as ``zh-CN``, ``zh_Hans_CN``, ``zh`` or ``en-GB`` to a supported locale."""
    if not value:
        return None
    tag = value.strip().replace("_", "-").lower()
    if not tag or len(tag) > 35:
        return None
    primary = tag.split("-", 1)[0]
    if primary == "zh":
        return "zh_CN"
    if primary == "en":
        return "en"
    return None


def parse_accept_language(header: str | None) -> str | None:
    """The best supported locale of an ``Accept-Language`` header (q-values respected), if any."""
    if not header:
        return None
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")[:32]):
        tag, _sep, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            key, _eq, val = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(val)
                except ValueError:
                    quality = 0.0
        if quality <= 0 or tag.strip() in ("", "*"):
            continue
        ranked.append((-quality, position, tag.strip()))
    for _q, _pos, tag in sorted(ranked):
        found = normalise_locale(tag)
        if found:
            return found
    return None


def resolve_locale(
    preference: str | None = None,
    cookie: str | None = None,
    accept_language: str | None = None,
    default: str = DEFAULT_LOCALE,
) -> str:
    """User preference, then the language cookie, then ``Accept-Language``, then the default."""
    return (
        normalise_locale(preference)
        or normalise_locale(cookie)
        or parse_accept_language(accept_language)
        or normalise_locale(default)
        or DEFAULT_LOCALE
    )


# ---- catalogues ----------------------------------------------------------------------------------


@lru_cache(maxsize=8)
def translations(locale: str) -> NullTranslations:
    """The compiled catalogue of ``locale`` (a pass-through when none is compiled)."""
    loc = normalise_locale(locale) or DEFAULT_LOCALE
    return Translations.load(str(LOCALE_DIR), [loc], DOMAIN)


def current_locale() -> str:
    return _current.get()


def set_locale(locale: str) -> contextvars.Token[str]:
    return _current.set(normalise_locale(locale) or DEFAULT_LOCALE)


@contextmanager
def use_locale(locale: str) -> Iterator[str]:
    token = set_locale(locale)
    try:
        yield _current.get()
    finally:
        _current.reset(token)


def gettext(message: str, locale: str | None = None) -> str:
    return translations(locale or _current.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int, locale: str | None = None) -> str:
    return translations(locale or _current.get()).ngettext(singular, plural, n)


def _(message: str, **params: Any) -> str:
    """Translate into the current locale; ``{name}`` placeholders are filled from ``params``."""
    text = gettext(message)
    return text.format(**params) if params else text


def lazy_gettext(message: str, **params: Any) -> LazyProxy:
    """Translated when displayed, in the locale current at that time (for module constants)."""
    return LazyProxy(_, message, enable_cache=False, **params)


def N_(message: str) -> str:
    """Mark a msgid for extraction without translating it (translate at display time)."""
    return message


class Phrase:
    """Words a domain service composes for people (``吴斌: certificate lapsed``): an msgid with ``{name}``
    parameters, translated at the edge (:func:`phrase_text`); ``str()`` is the English, which is what the
    API answers. A parameter may be a phrase or a tuple of phrases (joined with "; ")."""

    __slots__ = ("msgid", "params")

    def __init__(self, msgid: str, **params: Any) -> None:
        self.msgid, self.params = msgid, params

    def __str__(self) -> str:
        return str(phrase_text(self, None))

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)

    def __repr__(self) -> str:
        return f"Phrase({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Phrase) and (self.msgid, self.params) == (other.msgid, other.params)

    def __hash__(self) -> int:
        return hash(str(self))


def phrase_text(value: object, locale: str | None) -> object:
    """A :class:`Phrase` (or a tuple of them) in ``locale`` (None: the English msgids); other values as they
    are."""
    if isinstance(value, tuple) and value and all(isinstance(v, Phrase) for v in value):
        return ("；" if locale == "zh_CN" else "; ").join(str(phrase_text(v, locale)) for v in value)
    if not isinstance(value, Phrase):
        return value
    params = {k: phrase_text(v, locale) for k, v in value.params.items()}
    if locale is None:
        return value.msgid.format(**params) if params else value.msgid
    return translate_message(value.msgid, params, locale)


def translate_message(message: str, params: Mapping[str, Any] | None = None, locale: str | None = None) -> str:
    """Translate an msgid with ``{name}`` parameters (the shape of ``TandemError`` messages).

    A translation whose placeholders do not match the parameters falls back to the msgid, so a bad
    catalogue entry never turns an error page into a crash.
    """
    text = gettext(message, locale)
    if not params:
        return text
    try:
        return text.format(**params)
    except (KeyError, IndexError, ValueError):
        try:
            return message.format(**params)
        except (KeyError, IndexError, ValueError):
            return message


# ---- formatting ----------------------------------------------------------------------------------


def _loc(locale: str | None) -> Locale:
    return Locale.parse(normalise_locale(locale or _current.get()) or DEFAULT_LOCALE)


def format_number(value: Decimal | int | None, locale: str | None = None) -> str:
    if value is None:
        return ""
    return _babel_format_decimal(value, locale=_loc(locale))


def format_money(value: Decimal | None, currency: str = "CNY", locale: str | None = None) -> str:
    """``¥30,000,000.00`` in zh_CN, ``CN¥30,000,000.00`` in English; empty for no amount."""
    if value is None:
        return ""
    return _babel_format_currency(value, currency, locale=_loc(locale))


def format_rate(value: Decimal | None, locale: str | None = None) -> str:
    """A ratio as a percentage: ``Decimal("0.05")`` is ``5%``."""
    if value is None:
        return ""
    return _babel_format_percent(value, "#,##0.##%", locale=_loc(locale))


def format_date(value: dt.date | None, locale: str | None = None, fmt: str = "medium") -> str:
    if value is None:
        return ""
    return _babel_format_date(value, fmt, locale=_loc(locale))


def format_local(value: dt.datetime | None, locale: str | None = None, fmt: str = "yyyy-MM-dd HH:mm") -> str:
    """A stored UTC time as Asia/Shanghai wall time (the ``local`` template filter)."""
    shown = clock.local(value)
    if shown is None:
        return ""
    return _babel_format_datetime(shown, fmt, tzinfo=clock.SHANGHAI, locale=_loc(locale))


# ---- extraction ----------------------------------------------------------------------------------

# Error classes of tandem.kit.errors; raising one with a literal message makes that literal an msgid.
_KIT_ERRORS = frozenset(
    {
        "TandemError",
        "NotFound",
        "ActionNotAllowed",
        "NotAuthenticated",
        "Conflict",
        "IllegalTransition",
        "StateChanged",
        "InvalidInput",
        "RateLimited",
    }
)
_BUILTIN_NAMES = frozenset(dir(builtins))


def _error_names(tree: ast.Module) -> set[str]:
    """Names in this file that are error classes: kit errors, names imported from an ``errors``
    module, and classes defined here that derive from one of those."""
    names = set(_KIT_ERRORS)
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.ImportFrom)
            and node.module
            and (node.module == "errors" or node.module.endswith(".errors"))
        ):
            names.update(a.asname or a.name for a in node.names)
    changed = True
    classes = [n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)]
    while changed:
        changed = False
        for cls in classes:
            if cls.name not in names and any(_callee(b) in names for b in cls.bases):
                names.add(cls.name)
                changed = True
    return names - _BUILTIN_NAMES


def _callee(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def error_msgids(source: str) -> list[tuple[int, str]]:
    """(line, msgid) of the error messages in Python source: the ``message`` class attribute of
    error classes, and a literal first argument when an error class is called."""
    tree = ast.parse(source)
    names = _error_names(tree)
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name in names:
            for stmt in node.body:
                target: ast.expr | None = None
                if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
                    target = stmt.targets[0]
                elif isinstance(stmt, ast.AnnAssign):
                    target = stmt.target
                value = getattr(stmt, "value", None)
                if (
                    isinstance(target, ast.Name)
                    and target.id == "message"
                    and isinstance(value, ast.Constant)
                    and isinstance(value.value, str)
                    and value.value
                ):
                    found.append((stmt.lineno, value.value))
        elif isinstance(node, ast.Call) and _callee(node.func) in names and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str) and first.value:
                found.append((node.lineno, first.value))
    return sorted(found)


def extract_python(
    fileobj: IO[bytes], keywords: Mapping[str, Any], comment_tags: Collection[str], options: Any
) -> Iterator[tuple[Any, ...]]:
    """Babel extractor for ``src/tandem/**.py``: the standard ``_()``/``N_()`` calls plus the
    messages of domain errors (see :func:`error_msgids`), which are msgids without a call.
    Yields ``(lineno, funcname, message, comments)`` like Babel's own extractors."""
    from babel.messages.extract import extract_python as babel_extract_python

    data = fileobj.read()
    fileobj.seek(0)
    yield from babel_extract_python(fileobj, keywords, comment_tags, options)
    try:
        source = data.decode(str(options.get("encoding") or "utf-8"))
        pairs = error_msgids(source)
    except (SyntaxError, UnicodeDecodeError, ValueError):
        return
    for lineno, msgid in pairs:
        yield lineno, None, msgid, ["error message"]
