"""The client money statement as CSV (UTF-8 with a BOM so Excel opens it as such), amounts exact to the fen."""

from __future__ import annotations

import csv
import io
from typing import Any

from tandem.kit.i18n import N_, gettext

HEADER = (
    N_("Party"),
    N_("Currency"),
    N_("Received"),
    N_("Passed on"),
    N_("Held"),
    N_("Open items"),
    N_("Oldest open item (days)"),
)


def statement_csv(rows: list[Any], locale: str | None) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([gettext(h, locale) for h in HEADER])
    for r in rows:
        writer.writerow(
            [
                r.name,
                r.currency,
                f"{r.received:.2f}",
                f"{r.passed_on:.2f}",
                f"{r.balance:.2f}",
                r.open_items,
                "" if r.oldest_days is None else r.oldest_days,
            ]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")
