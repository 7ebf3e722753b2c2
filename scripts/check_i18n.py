#!/usr/bin/env python3
"""Fail when a message catalogue is incomplete.

Checks, for zh_CN and en:
- messages.pot holds exactly the msgids a fresh extraction finds (else: run scripts/i18n.sh);
- every msgid is in the catalogue, translated (every plural form), and not fuzzy;
- the placeholders of each translation match its msgid ({name} and %(name)s);
- the compiled .mo file says the same as the .po file (else: scripts/i18n.sh compile).

Exit 0 and one summary line when all is well; otherwise one line per problem and exit 1.
Usage: .venv/bin/python scripts/check_i18n.py [--no-extract]
"""

from __future__ import annotations

import re
import string
import sys
from collections.abc import Iterable
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "tandem"
LOCALE_DIR = SRC / "locale"
LOCALES = ("zh_CN", "en")
KEYWORDS = {**DEFAULT_KEYWORDS, "N_": None, "lazy_gettext": None}
PERCENT = re.compile(r"%\((\w+)\)[sdifr]")

MsgId = str | tuple[str, ...]


def _key(message: Message) -> MsgId:
    mid = message.id
    return mid if isinstance(mid, str) else tuple(mid)


def _ids(catalog: Catalog) -> set[MsgId]:
    return {_key(m) for m in catalog if m.id}


def _first(mid: MsgId) -> str:
    return mid if isinstance(mid, str) else mid[0]


def extracted_ids(root: Path = ROOT) -> set[MsgId]:
    """The msgids in the source now, extracted the way scripts/i18n.sh does."""
    src = root / "src" / "tandem"
    with (root / "babel.cfg").open(encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    if str(src.parent) not in sys.path:  # the custom extractor lives in tandem.kit.i18n
        sys.path.insert(0, str(src.parent))
    found: set[MsgId] = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(src), method_map, options_map, keywords=KEYWORDS
    ):
        if message:
            found.add(message if isinstance(message, str) else tuple(message))
    return found


def _fields(text: str) -> set[str]:
    names: set[str] = set()
    try:
        for _literal, field, _spec, _conv in string.Formatter().parse(text):
            if field is not None:
                names.add(field)
    except ValueError:
        names.add("<malformed {…}>")
    return names | {f"%({n})" for n in PERCENT.findall(text)}


def _strings(message: Message) -> list[str]:
    value = message.string
    if isinstance(value, str):
        return [value]
    return list(value or [])


def _rel(path: Path) -> str:
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


def check_locale(locale: str, expected: set[MsgId], locale_dir: Path = LOCALE_DIR) -> list[str]:
    po_path = locale_dir / locale / "LC_MESSAGES" / "messages.po"
    mo_path = po_path.with_suffix(".mo")
    if not po_path.exists():
        return [f"{locale}: {_rel(po_path)} is missing (run scripts/i18n.sh)"]
    with po_path.open("rb") as f:
        catalog = read_po(f, locale=locale)
    problems: list[str] = []
    if catalog.fuzzy:
        problems.append(f"{locale}: the catalogue header is marked fuzzy (pybabel compile would skip it)")
    # What `pybabel compile` (run by `make install`) refuses, e.g. "% i" read as a python-format placeholder.
    for message, errors in catalog.check():
        problems.extend(f"{locale}: {_first(_key(message))!r} does not compile: {e}" for e in errors)
    by_id = {_key(m): m for m in catalog if m.id}
    for mid in sorted(expected, key=_first):
        message = by_id.get(mid)
        if message is None:
            problems.append(f"{locale}: missing msgid {_first(mid)!r} (run scripts/i18n.sh, then translate)")
            continue
        strings = _strings(message)
        if message.fuzzy:
            problems.append(f"{locale}: fuzzy {_first(mid)!r}")
        if not strings or any(not s.strip() for s in strings):
            problems.append(f"{locale}: untranslated {_first(mid)!r}")
            continue
        wanted = _fields(_first(mid))
        for s in strings:
            if _fields(s) != wanted:
                problems.append(f"{locale}: placeholders of {_first(mid)!r} differ in {s!r}")
    for mid in sorted(set(by_id) - expected, key=_first):
        problems.append(f"{locale}: obsolete msgid {_first(mid)!r} (run scripts/i18n.sh)")
    if not mo_path.exists():
        problems.append(f"{locale}: {_rel(mo_path)} is missing (run scripts/i18n.sh compile)")
    else:
        with mo_path.open("rb") as f:
            compiled = {_key(m): m.string for m in read_mo(f) if m.id}
        stale = [mid for mid, m in by_id.items() if not m.fuzzy and m.string and compiled.get(mid) != m.string]
        if stale:
            problems.append(
                f"{locale}: messages.mo is out of date for {len(stale)} msgid(s) (run scripts/i18n.sh compile)"
            )
    return problems


def problems(*, extract: bool = True, locales: Iterable[str] = LOCALES) -> list[str]:
    pot_path = LOCALE_DIR / "messages.pot"
    if not pot_path.exists():
        return [f"{_rel(pot_path)} is missing (run scripts/i18n.sh)"]
    with pot_path.open("rb") as f:
        expected = _ids(read_po(f))
    found: list[str] = []
    if extract:
        current = extracted_ids()
        for mid in sorted(current - expected, key=_first):
            found.append(f"messages.pot: msgid {_first(mid)!r} is in the code but not extracted (run scripts/i18n.sh)")
        for mid in sorted(expected - current, key=_first):
            found.append(f"messages.pot: msgid {_first(mid)!r} is no longer in the code (run scripts/i18n.sh)")
    for locale in locales:
        found.extend(check_locale(locale, expected))
    return found


def main(argv: list[str]) -> int:
    found = problems(extract="--no-extract" not in argv)
    if found:
        for line in found:
            print(line, file=sys.stderr)
        print(f"i18n: {len(found)} problem(s)", file=sys.stderr)
        return 1
    with (LOCALE_DIR / "messages.pot").open("rb") as f:
        count = len(_ids(read_po(f)))
    print(f"i18n: {count} msgids, complete in {' and '.join(LOCALES)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
