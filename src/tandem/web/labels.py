"""Display names of stored codes (roles, statuses, kinds) as msgids, translated at display time."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tandem.kit.i18n import N_


@dataclass(frozen=True)
class Message:
    """A msgid with ``{name}`` parameters, translated by the ``msg`` template filter. A parameter
    given as ``(group, code)`` is a label and is translated too."""

    msgid: str
    params: dict[str, Any] = field(default_factory=dict)


LABELS: dict[str, dict[str, str]] = {
    "org_kind": {
        "broker": N_("Insurance broker"),
        "adjuster_firm": N_("Loss adjuster firm"),
        "insurer": N_("Insurer"),
        "insured": N_("Insured"),
        "supervision": N_("Regulator"),
        "platform": N_("Platform operator"),
    },
    "role": {
        "broker_account_manager": N_("Account manager"),
        "broker_risk_evaluator": N_("Risk evaluator"),
        "adjuster": N_("Loss adjuster"),
        "adjuster_firm_admin": N_("Adjuster firm administrator"),
        "insurer_claims_handler": N_("Claims handler"),
        "insurer_underwriter": N_("Underwriter"),
        "insured_contact": N_("Insured contact"),
        "regulator_viewer": N_("Regulator (read only)"),
        "platform_admin": N_("Platform administrator"),
    },
    "policy_status": {
        "draft": N_("Draft"),
        "in_force": N_("In force"),
        "expired": N_("Expired"),
        "cancelled": N_("Cancelled"),
    },
    "qualification": {
        "valid": N_("Valid"),
        "lapsed": N_("Lapsed"),
        "sanctioned": N_("Sanctioned"),
        "inactive": N_("Inactive"),
    },
    "ineligibility": {
        "certificate_lapsed": N_("Qualification not valid"),
        "firm_not_filed": N_("Firm not filed"),
        "blacklisted": N_("On the blacklist"),
    },
    "filing_status": {
        "filed": N_("Filed"),
        "pending": N_("Filing pending"),
        "suspended": N_("Filing suspended"),
        "revoked": N_("Filing revoked"),
    },
    "legal_form": {
        "company": N_("Company"),
        "partnership": N_("Partnership"),
    },
    "blacklist_state": {
        "in_force": N_("In force"),
        "scheduled": N_("Not yet in force"),
        "ended": N_("Ended"),
        "lifted": N_("Lifted"),
    },
    "insured_kind": {
        "company": N_("Company"),
        "person": N_("Individual"),
    },
}

# Badge colour per code (CSS modifier class).
TONES: dict[str, dict[str, str]] = {
    "policy_status": {"draft": "neutral", "in_force": "ok", "expired": "neutral", "cancelled": "bad"},
    "qualification": {"valid": "ok", "lapsed": "warn", "sanctioned": "bad", "inactive": "neutral"},
    "filing_status": {"filed": "ok", "pending": "warn", "suspended": "bad", "revoked": "bad"},
    "blacklist_state": {"in_force": "bad", "scheduled": "warn", "ended": "neutral", "lifted": "neutral"},
}


def label(group: str, code: object) -> str:
    """The msgid naming ``code`` in ``group``; the code itself when it has no name."""
    key = getattr(code, "value", code)
    return LABELS.get(group, {}).get(str(key), str(key))


def tone(group: str, code: object) -> str:
    key = getattr(code, "value", code)
    return TONES.get(group, {}).get(str(key), "neutral")
