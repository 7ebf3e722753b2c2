"""Migrate a scratch PostgreSQL database and check that models and migrations agree."""

import os
import sys
import uuid

from sqlalchemy import create_engine, text

from tandem import migrate
from tandem.db import normalise_url

base = normalise_url(os.environ["TANDEM_TEST_DATABASE_URL"])
name = f"tandem_check_{uuid.uuid4().hex[:10]}"
admin = create_engine(base, isolation_level="AUTOCOMMIT")
with admin.connect() as c:
    c.execute(text(f'CREATE DATABASE "{name}"'))
try:
    url = base.rsplit("/", 1)[0] + f"/{name}"
    migrate.upgrade(url)
    migrate.check(url)
    print("PostgreSQL: models and migrations agree")
except Exception as exc:  # noqa: BLE001
    print(f"alembic check failed on PostgreSQL: {exc}", file=sys.stderr)
    sys.exit(1)
finally:
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
