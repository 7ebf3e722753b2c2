#!/usr/bin/env bash
# Message catalogues: extract msgids into messages.pot, merge them into the zh_CN and en catalogues,
# compile the .mo files. Then translate the new or fuzzy entries in
#   src/tandem/locale/{zh_CN,en}/LC_MESSAGES/messages.po
# run this script again (to compile), and check with: .venv/bin/python scripts/check_i18n.py
#
#   scripts/i18n.sh            extract + update + compile
#   scripts/i18n.sh compile    compile only (what `make install` does)
set -euo pipefail
cd "$(dirname "$0")/.."
V=.venv/bin
PYBABEL="$V/pybabel"
[ -x "$PYBABEL" ] || PYBABEL=pybabel
DIR=src/tandem/locale
POT=$DIR/messages.pot
LOCALES=(zh_CN en)

if [ "${1:-}" != "compile" ]; then
  # Locations without line numbers, so the catalogue does not churn when code moves.
  "$PYBABEL" -q extract -F babel.cfg -k N_ -k lazy_gettext --add-location=file --sort-output \
    --project=Tandem --version=0.1.0 --copyright-holder="Tandem" \
    --msgid-bugs-address="i18n@tandem.invalid" -w 100 -o "$POT" src/tandem
  for loc in "${LOCALES[@]}"; do
    if [ -f "$DIR/$loc/LC_MESSAGES/messages.po" ]; then
      "$PYBABEL" -q update -i "$POT" -d "$DIR" -l "$loc" -D messages --ignore-obsolete -w 100 \
        --no-fuzzy-matching
    else
      "$PYBABEL" -q init -i "$POT" -d "$DIR" -l "$loc" -D messages -w 100
    fi
  done
fi
"$PYBABEL" compile -d "$DIR" -D messages --statistics
