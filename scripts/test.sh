#!/usr/bin/env bash
# The whole suite: lint, type check, migrations agree with models, catalogues complete, then pytest
# (unit, API, PostgreSQL and browser tests).
set -euo pipefail
cd "$(dirname "$0")/.."
V=.venv/bin
if [ -z "${TANDEM_TEST_DATABASE_URL:-}" ] && $V/python - <<'PY'
import socket, sys
s = socket.socket(); s.settimeout(1)
sys.exit(0 if s.connect_ex(("127.0.0.1", 5432)) == 0 else 1)
PY
then
  export TANDEM_TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test
fi
echo "== ruff"; $V/ruff check src tests bench migrations
echo "== ruff format"; $V/ruff format --check src tests bench migrations scripts
echo "== mypy"; $V/mypy
echo "== import cycles"; $V/python scripts/check_import_cycles.py src/tandem
echo "== alembic check (SQLite)"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
TANDEM_DATABASE_URL="sqlite:///$tmp/check.db" $V/tandem db upgrade >/dev/null
TANDEM_DATABASE_URL="sqlite:///$tmp/check.db" $V/tandem db check
if [ -n "${TANDEM_TEST_DATABASE_URL:-}" ]; then
  echo "== alembic check (PostgreSQL)"
  $V/python scripts/pg_alembic_check.py
fi
if [ -f scripts/check_i18n.py ]; then echo "== i18n"; $V/python scripts/check_i18n.py; fi
echo "== released migrations unchanged"; $V/python scripts/check_migrations.py
echo "== lock pins every installed package"; $V/python scripts/check_lock.py
echo "== no test module imports another"; $V/python scripts/check_test_imports.py tests
echo "== pytest (PostgreSQL: ${TANDEM_TEST_DATABASE_URL:-off})"
$V/pytest -p no:cacheprovider -n 2 --dist loadfile -q -rs --durations=30 "$@"
