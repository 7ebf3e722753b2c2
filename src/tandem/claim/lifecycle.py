"""The claim lifecycle (理赔案件状态表): (state, action) -> rule. No other code assigns ``Claim.status``."""

from __future__ import annotations

from tandem.kit import transition

# 保险法 clocks the insurer holds from the claim: Art. 23 decide within 30 days of the complete documents,
# Art. 25 pay what can be determined after 60 days from the claim and its documents. Restarted when
# requested documents are declared complete.
STATUTORY_CLOCKS = (("decision_30d", 30), ("advance_60d", 60))

BAM, BRE, ADJ, FADM = "broker_account_manager", "broker_risk_evaluator", "adjuster", "adjuster_firm_admin"
ICH, INS = "insurer_claims_handler", "insured_contact"


def _r(to: str, *roles: str) -> transition.Rule:
    return transition.Rule(to, frozenset(roles))


# The claim lifecycle (理赔案件状态表): (state, action) -> rule. No other code assigns Claim.status.
CLAIM_RULES: transition.Table = {
    ("notified", "route"): _r("routed", BAM, "system"),
    ("notified", "withdraw"): _r("withdrawn", INS, BAM),
    ("routed", "accept_appointment"): _r("adjuster_assigned", FADM),
    ("routed", "decline_appointment"): _r("notified", FADM),
    ("adjuster_assigned", "start_survey"): _r("surveying", ADJ, FADM),
    ("surveying", "submit_report"): _r("reported", ADJ),
    ("reported", "confirm_amount"): _r("amount_confirmed", BRE),
    ("amount_confirmed", "confirm_amount"): _r("amount_confirmed", BRE),
    ("amount_confirmed", "propose"): _r("negotiating", BAM),
    ("negotiating", "propose"): _r("negotiating", BAM),
    ("negotiating", "counter"): _r("negotiating", ICH),
    ("negotiating", "accept"): _r("agreed", ICH),
    ("negotiating", "dispute"): _r("disputed", ICH),
    ("negotiating", "refuse"): _r("refused", ICH),
    ("disputed", "confirm_amount"): _r("amount_confirmed", BRE),
    ("agreed", "record_final_payment"): _r("paid", ICH),
    ("paid", "close"): _r("closed", BAM),
    ("refused", "close"): _r("closed", BAM),
    ("withdrawn", "close"): _r("closed", BAM),
}
