#!/usr/bin/env bash
# `make demo`: migrate, load the demo data and serve. On PostgreSQL the application runs as a role that
# owns no table (docs/deploy.md): TANDEM_MIGRATION_DATABASE_URL (or, when unset, TANDEM_DATABASE_URL)
# migrates; the runtime role is the user of TANDEM_DATABASE_URL when a migration URL is given, else a
# login-only role tandem_app, created if missing.
set -euo pipefail
cd "$(dirname "$0")/.."
V=.venv/bin
PORT="${TANDEM_PORT:-8000}"
url="${TANDEM_DATABASE_URL:-}"
if [[ "$url" == postgres* ]]; then
  if [ -z "${TANDEM_MIGRATION_DATABASE_URL:-}" ]; then
    export TANDEM_MIGRATION_DATABASE_URL="$url"
    $V/tandem db upgrade
    $V/tandem db grant-runtime tandem_app --create
    TANDEM_DATABASE_URL="$($V/python -c 'import os, sys
from sqlalchemy.engine import make_url
print(make_url(os.environ["TANDEM_DATABASE_URL"]).set(username="tandem_app", password=None).render_as_string(hide_password=False))')"
    export TANDEM_DATABASE_URL
  else
    $V/tandem db upgrade
    $V/tandem db grant-runtime
  fi
else
  $V/tandem db upgrade
fi
$V/tandem demo load
if [ -z "${TANDEM_SMTP_HOST:-}" ] && [ -z "${TANDEM_MAIL_DIR:-}" ]; then
  export TANDEM_MAIL_DIR="$PWD/var/mail"  # no mail server given: e-mails are written there as .eml files
  echo "E-mails (invitations, password resets, notices) are written to var/mail/*.eml"
fi
echo "Tandem on http://127.0.0.1:$PORT — log in as broker / tandem-demo (Ctrl-C stops server and worker)"
TANDEM_PORT="$PORT" exec $V/tandem serve --with-worker
