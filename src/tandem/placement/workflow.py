"""The placement workflow (投保项目状态表): (state, action) -> rule. No other code assigns
``Placement.status``; the helpers of R-U1..R-U4 add their guards here.

``BY_SIDE`` says which side on the case (``case_participation.party_role``) each user role acts for:
a broker's user moves only placements its organisation brokers, a firm's only those it was instructed on.
"""

from __future__ import annotations

from collections.abc import Callable

from tandem.access.models import Role
from tandem.claim.models import PartyRole
from tandem.kit import transition
from tandem.placement.market_guard import consents_acknowledged
from tandem.placement.models import PlacementStatus
from tandem.placement.risk_guard import register_ready

BAM, BRE = Role.BROKER_ACCOUNT_MANAGER.value, Role.BROKER_RISK_EVALUATOR.value
ADJ, FADM, INS = Role.ADJUSTER.value, Role.ADJUSTER_FIRM_ADMIN.value, Role.INSURED_CONTACT.value
S = PlacementStatus

# The side on the case each role acts for.
BY_SIDE: dict[str, PartyRole] = {
    BAM: PartyRole.BROKER,
    BRE: PartyRole.BROKER,
    ADJ: PartyRole.ADJUSTER,
    FADM: PartyRole.ADJUSTER,
    INS: PartyRole.INSURED,
}

# States from which the broker may withdraw the placement (it has not gone to market yet).
OPEN_STATES = (S.OPENED, S.AWAITING_CHOICE, S.CHOSEN, S.LETTER_ISSUED, S.SURVEYING, S.REPORTED, S.DECIDING)
# States in which the insured still adds to the file (documents, site contacts).
ADDABLE_STATES = frozenset(OPEN_STATES)


def _r(to: PlacementStatus, *roles: str, guard: Callable[..., None] | None = None) -> transition.Rule:
    return transition.Rule(to.value, frozenset(roles), guard)


PLACEMENT_RULES: transition.Table = {
    # R-U1: the broker explained that the pre-assessment decides the programme, and recommends firms.
    (S.OPENED.value, "explain"): _r(S.AWAITING_CHOICE, BAM),
    # The insured picks a recommended firm or its own (acknowledgement recorded).
    (S.AWAITING_CHOICE.value, "choose"): _r(S.CHOSEN, INS),
    # R-U2: the confirmation letter (确认函) to the chosen firm; the firm accepts or declines.
    (S.CHOSEN.value, "issue_letter"): _r(S.LETTER_ISSUED, BAM),
    (S.LETTER_ISSUED.value, "decline"): _r(S.AWAITING_CHOICE, FADM, ADJ),
    (S.LETTER_ISSUED.value, "accept"): _r(S.SURVEYING, FADM, ADJ),
    # R-U3: the pre-assessment report (预评估报告) submitted.
    (S.SURVEYING.value, "submit_report"): _r(S.REPORTED, ADJ, FADM),
    # R-U4: the risk register published to the insured, who decides per risk point.
    # The broker's risk evaluators keep the register and publish it (placement/risk.py).
    (S.REPORTED.value, "publish_register"): _r(S.DECIDING, BRE, guard=register_ready),
    # Issue 15: to market once the insured acknowledged the disclosure and the mandate (placement.market).
    (S.DECIDING.value, "go_to_market"): _r(S.TO_MARKET, BAM, guard=consents_acknowledged),
    # Binding: the insured accepts a valid quote; the policy is issued and the placement closes.
    (S.TO_MARKET.value, "bind"): _r(S.BOUND, INS),
    **{(state.value, "withdraw"): _r(S.WITHDRAWN, BAM) for state in OPEN_STATES},
}
