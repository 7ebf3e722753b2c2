"""Catalogues complete in zh_CN and en (the logic of scripts/check_i18n.py), locale choice, formatting."""

from __future__ import annotations

import datetime as dt
import importlib.util
from decimal import Decimal
from pathlib import Path
from types import ModuleType

import pytest

from tandem.kit import i18n

ROOT = Path(__file__).resolve().parents[2]


def load_checker() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_i18n", ROOT / "scripts" / "check_i18n.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_catalogues_are_complete_and_current():
    """Every msgid in the code is extracted, translated in zh_CN and en, not fuzzy, and compiled."""
    assert load_checker().problems() == []


def test_checker_reports_untranslated_and_fuzzy(tmp_path):
    checker = load_checker()
    po = tmp_path / "zh_CN" / "LC_MESSAGES" / "messages.po"
    po.parent.mkdir(parents=True)
    po.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'
        'msgid "Not found."\nmsgstr ""\n\n'
        '#, fuzzy\nmsgid "Log in"\nmsgstr "登录"\n\n'
        'msgid "Hello {name}"\nmsgstr "你好 {who}"\n',
        encoding="utf-8",
    )
    found = checker.check_locale("zh_CN", {"Not found.", "Log in", "Hello {name}", "Log out"}, tmp_path)
    assert "zh_CN: untranslated 'Not found.'" in found
    assert "zh_CN: fuzzy 'Log in'" in found
    assert "zh_CN: missing msgid 'Log out' (run scripts/i18n.sh, then translate)" in found
    assert any("placeholders of 'Hello {name}'" in line for line in found)


def test_checker_reports_what_pybabel_compile_refuses(tmp_path):
    """A msgid with "% i" reads as a python-format placeholder that a Chinese msgstr lacks: `pybabel compile`
    (and so `make install`) fails; the checker says so before it lands."""
    checker = load_checker()
    po = tmp_path / "zh_CN" / "LC_MESSAGES" / "messages.po"
    po.parent.mkdir(parents=True)
    po.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'
        '#, python-format\nmsgid "Ratio 5 % is low."\nmsgstr "比率 5 % 偏低。"\n',
        encoding="utf-8",
    )
    found = checker.check_locale("zh_CN", {"Ratio 5 % is low."}, tmp_path)
    assert any("'Ratio 5 % is low.' does not compile" in line for line in found), found


@pytest.mark.parametrize(
    ("preference", "cookie", "accept", "expected"),
    [
        (None, None, None, "zh_CN"),
        (None, None, "en-US,en;q=0.9", "en"),
        (None, None, "fr-FR,de;q=0.9", "zh_CN"),
        (None, None, "fr;q=1, en;q=0.5, zh-CN;q=0.8", "zh_CN"),
        (None, None, "zh-TW", "zh_CN"),
        (None, None, "en;q=0, zh;q=0.1", "zh_CN"),
        (None, "en", "zh-CN", "en"),
        (None, "xx", "en", "en"),
        ("zh_CN", "en", "en", "zh_CN"),
        ("en", "zh_CN", "zh-CN", "en"),
    ],
)
def test_locale_order_is_preference_cookie_accept_language_default(preference, cookie, accept, expected):
    assert i18n.resolve_locale(preference, cookie, accept) == expected


def test_gettext_and_lazy_gettext_follow_the_current_locale():
    label = i18n.lazy_gettext("Not found.")
    with i18n.use_locale("zh_CN"):
        assert i18n._("Not found.") == "未找到。"
        assert str(label) == "未找到。"
    with i18n.use_locale("en"):
        assert i18n._("Not found.") == "Not found."
        assert str(label) == "Not found."


def test_error_messages_translate_with_parameters():
    assert (
        i18n.translate_message(
            "Action {action} is not possible in state {state}.", {"action": "lift", "state": "lifted"}, "zh_CN"
        )
        == "当前状态（lifted）下不能执行操作 lift。"
    )
    # A translation whose placeholders do not fit falls back to the English msgid, never a crash.
    assert i18n.translate_message("Unknown {x}", {"y": 1}, "zh_CN") == "Unknown {x}"


def test_money_numbers_and_dates_are_formatted_by_babel():
    assert i18n.format_money(Decimal("30000000.00"), "CNY", "zh_CN") == "¥30,000,000.00"
    assert i18n.format_money(Decimal("30000000.00"), "CNY", "en") == "CN¥30,000,000.00"
    assert i18n.format_money(None) == ""
    assert i18n.format_number(Decimal("1234.5"), "en") == "1,234.5"
    assert i18n.format_rate(Decimal("0.05"), "zh_CN") == "5%"
    assert i18n.format_date(dt.date(2026, 1, 1), "zh_CN") == "2026年1月1日"
    assert i18n.format_date(dt.date(2026, 1, 1), "en") == "Jan 1, 2026"


def test_local_filter_shows_utc_in_shanghai_time():
    utc = dt.datetime(2026, 11, 24, 18, 30, tzinfo=dt.UTC)
    assert i18n.format_local(utc, "zh_CN") == "2026-11-25 02:30"
    assert i18n.format_local(None) == ""


def test_error_msgids_are_extracted_from_error_classes_and_raises():
    source = """
from tandem.kit.errors import Conflict, TandemError
from tandem.case.errors import CaseLocked


class ReportLocked(Conflict):
    code = "report.locked"
    message = "The report is locked."


def f():
    raise CaseLocked("The case is locked.")
    raise Conflict("Already there.", fields={"x": "y"})
    raise ValueError("not a msgid")
    raise ReportLocked()
"""
    assert [m for _line, m in i18n.error_msgids(source)] == [
        "The report is locked.",
        "The case is locked.",
        "Already there.",
    ]
