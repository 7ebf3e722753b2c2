"""Documents for the fee engine tests: a valid input per basis, changed field by field in the tests."""

from __future__ import annotations

import copy
from typing import Any

SCALE = [
    {"up_to": "1000000.00", "rate": "0.01"},
    {"up_to": "5000000.00", "rate": "0.006"},
    {"up_to": None, "rate": "0.003"},
]

TERMS: dict[str, dict[str, Any]] = {
    "fixed": {"basis": "fixed", "amount": "8000.00"},
    "hourly": {"basis": "hourly", "hourly_rate": "680.00"},
    "rate": {"basis": "rate", "rate": "0.015"},
    "scale": {"basis": "scale", "scale": SCALE},
}


def document(
    template: str = "scale",
    /,
    *,
    kind: str = "claim",
    side: str = "broker",
    work: dict[str, Any] | None = None,
    invoice_date: str = "2027-03-15",
    **terms: Any,
) -> dict[str, Any]:
    """An input document: the template basis's terms with ``terms`` changed (``None`` removes a key)."""
    body = copy.deepcopy(TERMS[template]) | {"payer": "insurer", "payment_days": 30}
    for key, value in terms.items():
        if value is None:
            body.pop(key, None)
        else:
            body[key] = value
    default_work = {"assessed_loss": "2345678.91", "hours": "12.5"}
    return {
        "engagement": {"kind": kind, "instructed_by": side},
        "terms": body,
        "work": default_work if work is None else work,
        "invoice_date": invoice_date,
    }
