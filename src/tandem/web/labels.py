"""Display names of stored codes (roles, statuses, kinds) as msgids, translated at display time."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tandem.kit.i18n import N_
from tandem.party import cover


@dataclass(frozen=True)
class Message:
    """A msgid with ``{name}`` parameters, translated by the ``msg`` template filter. A parameter
    given as ``(group, code)`` is a label and is translated too."""

    msgid: str
    params: dict[str, Any] = field(default_factory=dict)


class _Groups(dict[str, dict[str, str]]):
    """Label groups: a page module adds its own, and a name already taken is refused at import (two meanings
    of one group name would make one page show the other's raw codes)."""

    def __setitem__(self, key: str, value: dict[str, str]) -> None:
        if key in self:
            raise KeyError(f"label group {key!r} is defined twice")
        super().__setitem__(key, value)


LABELS: dict[str, dict[str, str]] = _Groups(
    {
        "fee_basis": {
            "fixed": N_("Fixed fee"),
            "hourly": N_("Hours × hourly rate"),
            "rate": N_("Rate of the assessed loss"),
            "scale": N_("Scale (tiers of the assessed loss)"),
        },
        "expenses_policy": {
            "none": N_("Included in the fee"),
            "actual": N_("As incurred (实报实销)"),
            "allowance": N_("Fixed allowance (包干)"),
        },
        "fee_payer": {"insurer": N_("Insurer"), "insured": N_("Insured"), "broker": N_("Insurance broker")},
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
            "org_admin": N_("Organisation administrator"),
        },
        "policy_status": {
            "draft": N_("Draft"),
            "in_force": N_("In force"),
            "expired": N_("Expired"),
            "cancelled": N_("Cancelled"),
            "suspended": N_("Cover suspended"),
            "terminated": N_("Terminated"),
        },
        # Issue 16: mid-term changes (批改), suspension (效力中止), reinstatement (复效) and termination.
        "endorsement_status": {
            "requested": N_("Awaiting the insurer"),
            "accepted": N_("Accepted"),
            "declined": N_("Declined"),
            "withdrawn": N_("Withdrawn"),
        },
        "policy_change": {
            "suspend": N_("Cover suspended"),
            "reinstate": N_("Reinstated"),
            "terminate": N_("Terminated"),
        },
        "policy_change_reason": {
            "premium_unpaid": N_("Premium unpaid"),
            "premium_paid": N_("Premium paid"),
            "breach": N_("Breach of the contract"),
            "risk_increased": N_("Risk increased significantly"),
            "insured_request": N_("At the insured's request"),
            "agreement": N_("By agreement"),
            "other": N_("Other"),
        },
        "policy_change_verb": {
            "suspend": N_("Suspend the cover"),
            "reinstate": N_("Reinstate the cover"),
            "terminate": N_("Terminate the policy"),
        },
        "change_column": {
            "code": N_("Code"),
            "name": N_("Section"),
            "sum_insured": N_("Sum insured"),
            "rate": N_("Rate (‰)"),
        },
        "refund_method": {
            "short_period_table": N_("Short-period rate table"),
            "pro_rata_daily": N_("Daily pro rata"),
        },
        "ended_by": {
            "insurer": N_("By the insurer"),
            "insured": N_("By the insured"),
            "agreement": N_("By agreement"),
        },
        "qualification": {
            "valid": N_("Valid"),
            "lapsed": N_("Lapsed"),
            "sanctioned": N_("Sanctioned"),
            "inactive": N_("Inactive"),
        },
        "registration_state": {
            "registered": N_("Registered"),
            "leaving": N_("Left, awaiting deregistration"),
            "deregistered": N_("Deregistered"),
            "ended": N_("Ended by a move"),
        },
        "check_source": {
            "regulator_register": N_("Regulator's public register"),
            "association_registry": N_("Association registry"),
            "firm_records": N_("Firm's records"),
            "other": N_("Other"),
        },
        "check_result": {
            "passed": N_("Registration confirmed"),
            "failed": N_("Check failed"),
            "not_found": N_("Not found"),
        },
        "sanction_kind": {
            "suspension": N_("Practice suspended"),
            "ban": N_("Barred from practice"),
            "criminal_penalty": N_("Criminal penalty (barred 5 years after the sentence)"),
            "other": N_("Other sanction"),
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
        "unfairness": {
            "leans_to_appointer": N_("Leans to the appointing party"),
            "leans_to_insured": N_("Leans to the insured"),
            "leans_to_insurer": N_("Leans to the insurer"),
            "procedure": N_("Procedure not followed"),
        },
        "unfairness_severity": {"minor": N_("Minor"), "serious": N_("Serious")},
        "bias_rule": {
            "mean": N_("Mean lean"),
            "lower": N_("Lower confidence bound"),
            "tolerance": N_("Tolerance"),
            "zero": N_("Zero: no lean"),
        },
        "bias_side": {"insured": N_("The insured (through the broker)"), "insurer": N_("The insurer")},
        "interest": {"employment": N_("Employment"), "shareholding": N_("Shareholding"), "relative": N_("Relative")},
        "recusal_state": {"requested": N_("Awaiting the broker"), "granted": N_("Granted"), "refused": N_("Refused")},
        "notice_state": {
            "recorded": N_("Awaiting second reviewer"),
            "rejected": N_("Rejected"),
            "notified": N_("Notified, answer window open"),
            "answered": N_("Answered"),
            "upheld": N_("Upheld"),
            "withdrawn": N_("Withdrawn"),
        },
        "proposal_state": {
            "open": N_("Awaiting decision"),
            "listed": N_("Listed"),
            "not_listed": N_("Not listed"),
            "appealed": N_("Appealed"),
            "lifted": N_("Lifted on appeal"),
            "appeal_dismissed": N_("Appeal dismissed"),
        },
        "proposal_trigger": {
            "tolerance": N_("More upheld notices than the tolerance"),
            "serious": N_("A serious upheld notice"),
        },
        "evidence": {"document": N_("Document"), "report": N_("Report"), "case": N_("Related case")},
        "entry_state": {"active": N_("Active"), "lifted": N_("Lifted"), "ended": N_("Ended")},
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
        "claim_status": {
            "notified": N_("Notified"),
            "routed": N_("Letter issued"),
            "adjuster_assigned": N_("Adjuster assigned"),
            "surveying": N_("Surveying"),
            "reported": N_("Report submitted"),
            "amount_confirmed": N_("Amount confirmed"),
            "negotiating": N_("Negotiating"),
            "agreed": N_("Agreed"),
            "paid": N_("Paid"),
            "closed": N_("Closed"),
            "disputed": N_("Disputed"),
            "refused": N_("Refused"),
            "withdrawn": N_("Withdrawn"),
        },
        "claim_tab": {
            "active": N_("In progress"),
            "routing": N_("Routing"),
            "adjusting": N_("Adjusting"),
            "settling": N_("Settlement"),
            "disputed": N_("Disputed"),
            "payment": N_("Awaiting payment"),
            "done": N_("Finished"),
            "all": N_("All"),
        },
        "channel": {
            "app": N_("App"),
            "web": N_("Web"),
            "phone": N_("Phone call"),
            "wechat": N_("WeChat"),
            "weibo": N_("Weibo"),
            "email": N_("E-mail"),
            "api": N_("System interface"),
        },
        "party": {
            "broker": N_("Broker"),
            "adjuster_firm": N_("Adjuster firm"),
            "insurer": N_("Insurer"),
            "insured": N_("Insured"),
            "supervision": N_("Regulator"),
            "platform": N_("Platform operator"),
            "adjusters": N_("Both adjuster firms"),
        },
        "party_role": {
            "broker": N_("Broker"),
            "insured": N_("Insured"),
            "insurer": N_("Insurer"),
            "adjuster": N_("Broker's adjuster firm"),
            "insurer_adjuster": N_("Insurer's adjuster firm"),
            "supervision": N_("Regulator"),
        },
        "deadline": {
            "routing": N_("Appoint an adjuster (48 h)"),
            "appointment_answer": N_("Answer the confirmation letter (24 h)"),
            "decision_30d": N_("Decide on the claim (30 days)"),
            "advance_60d": N_("Advance payment (60 days)"),
            "payment_10d": N_("Pay the agreed amount (10 days)"),
        },
        "deadline_state": {
            "running": N_("Running"),
            "overdue": N_("Overdue"),
            "met": N_("Met"),
            "breached": N_("Breached"),
        },
        "exclusion": {
            "certificate_lapsed": N_("Qualification not valid"),
            "firm_not_filed": N_("Firm not filed"),
            "blacklisted": N_("On the broker's blacklist"),
            "conflict_of_interest": N_("Conflict of interest"),
            "over_capacity": N_("No capacity"),
            "not_qualified_for_line": N_("Not qualified for this line"),
            "outside_area": N_("Outside the service area"),
        },
        "letter_state": {
            "issued": N_("Awaiting answer"),
            "accepted": N_("Accepted"),
            "declined": N_("Declined"),
            "refused_by_broker": N_("Refused by the broker"),
        },
        "team_role": {
            "lead": N_("Lead adjuster"),
            "second": N_("Second adjuster"),
        },
        "negotiation_move": {
            "propose": N_("Proposed"),
            "accept": N_("Accepted"),
            "counter": N_("Counter-offer"),
            "dispute": N_("Disputed the report"),
            "refuse": N_("Refused the claim"),
            "reconsider": N_("Withdrew its refusal"),
            "withdraw": N_("Withdrew its offer"),
        },
        "payment_kind": {
            "advance": N_("Advance payment"),
            "final": N_("Final payment"),
        },
        "audience": {
            "all": N_("All parties"),
            "broker_adjuster": N_("Broker and its adjuster"),
            "broker_insurer": N_("Broker and insurer"),
            "insurer_adjuster": N_("Insurer and its adjuster"),
            "internal": N_("Internal (my organisation)"),
        },
        "document_kind": {
            "evidence": N_("Evidence"),
            "confirmation_letter": N_("Confirmation letter"),
            "report_pdf": N_("Adjusting report"),
            "mou_pdf": N_("Memorandum of understanding"),
        },
        "consultation_state": {
            "aligning": N_("Aligning items"),
            "negotiating": N_("Rounds under way"),
            "umpire": N_("With the umpire"),
            "agreed": N_("Agreed"),
        },
        "item_state": {
            "open": N_("Open"),
            "agreed": N_("Agreed"),
        },
        "item_move": {
            "accept": N_("Accepted the other figure"),
            "propose": N_("Proposed"),
            "hold": N_("Held"),
            "decide": N_("Umpire's decision"),
            "accept_award": N_("Accepted an award outside the two positions"),
        },
        "side": {
            "a": N_("Broker's adjuster"),
            "b": N_("Insurer's adjuster"),
            "umpire": N_("Umpire"),
        },
        "mou_party": {
            "adjuster_a": N_("Broker's adjuster firm"),
            "adjuster_b": N_("Insurer's adjuster firm"),
            "broker": N_("Broker (risk evaluation)"),
            "insurer": N_("Insurer"),
            "insured": N_("Insured"),
        },
        "second_state": {
            "appointed": N_("Letter issued"),
            "accepted": N_("Surveying"),
            "reported": N_("Report submitted"),
            "declined": N_("Declined"),
            "replaced": N_("Another required by the broker"),
            "withdrawn": N_("Submission withdrawn"),
        },
        "umpire_kind": {
            "expert": N_("Expert"),
            "adjuster": N_("Third adjuster"),
        },
        "field": {
            "quantity": N_("Quantity"),
            "unit": N_("Unit"),
            "unit_value": N_("Unit value"),
            "depreciation_rate": N_("Depreciation"),
        },
        "calc_step": {
            "gross_loss": N_("Gross loss"),
            "net_loss": N_("Net loss (after salvage)"),
            "average_ratio": N_("Average ratio"),
            "after_average": N_("After average"),
            "after_liability": N_("After liability share"),
            "deductible": N_("Deductible"),
            "after_deductible": N_("After deductible"),
            "payable": N_("Payable"),
            "limited_by": N_("Limited by"),
        },
        "limited_by": {
            "none": N_("No limit reached"),
            "per_occurrence": N_("Limit per occurrence"),
            "sum_insured": N_("Sum insured"),
            "aggregate": N_("Aggregate limit"),
        },
        "engagement_status": {
            "requested": N_("Awaiting the owner's decision"),
            "accepted": N_("Accepted"),
            "declined": N_("Declined"),
        },
        "visibility": {
            "private": N_("Private: only your organisation"),
            "partners": N_("All partners of the broker"),
            "named": N_("Named firms only"),
        },
        # Lines (险种) and provinces are stored in Chinese; English pages show these names.
        "line": {
            "风险评估": N_("Risk evaluation"),
            "企业财产保险": N_("Enterprise property insurance"),
            "财产一切险": N_("Property all risks"),
            "营业中断保险": N_("Business interruption insurance"),
            "机器损坏保险": N_("Machinery breakdown insurance"),
            "建筑工程一切险": N_("Contractors' all risks"),
            "安装工程一切险": N_("Erection all risks"),
            "工程质量潜在缺陷保险": N_("Inherent defects insurance"),
            "货物运输保险": N_("Cargo insurance"),
            "船舶保险": N_("Hull insurance"),
            "船东责任保险": N_("Shipowners' liability insurance"),
            "机动车辆保险": N_("Motor insurance"),
            "产品责任保险": N_("Product liability insurance"),
            "产品召回保险": N_("Product recall insurance"),
            "公众责任保险": N_("Public liability insurance"),
            "雇主责任保险": N_("Employer's liability insurance"),
            "安全生产责任保险": N_("Work safety liability insurance"),
            "环境污染责任保险": N_("Environmental liability insurance"),
            "种植业保险": N_("Crop insurance"),
            "养殖业保险": N_("Livestock and aquaculture insurance"),
            "森林保险": N_("Forest insurance"),
            "航空保险": N_("Aviation insurance"),
            "能源保险": N_("Energy insurance"),
            "家庭财产保险": N_("Home insurance"),
            "巨灾保险": N_("Catastrophe insurance"),
            "艺术品保险": N_("Fine art insurance"),
            "珠宝商综合保险": N_("Jewellers' block insurance"),
            "意外伤害保险": N_("Personal accident insurance"),
            "职业责任保险": N_("Professional indemnity insurance"),
        },
        "province": {
            "北京": N_("Beijing"),
            "天津": N_("Tianjin"),
            "河北": N_("Hebei"),
            "山西": N_("Shanxi"),
            "内蒙古": N_("Inner Mongolia"),
            "辽宁": N_("Liaoning"),
            "吉林": N_("Jilin"),
            "黑龙江": N_("Heilongjiang"),
            "上海": N_("Shanghai"),
            "江苏": N_("Jiangsu"),
            "浙江": N_("Zhejiang"),
            "安徽": N_("Anhui"),
            "福建": N_("Fujian"),
            "江西": N_("Jiangxi"),
            "山东": N_("Shandong"),
            "河南": N_("Henan"),
            "湖北": N_("Hubei"),
            "湖南": N_("Hunan"),
            "广东": N_("Guangdong"),
            "广西": N_("Guangxi"),
            "海南": N_("Hainan"),
            "重庆": N_("Chongqing"),
            "四川": N_("Sichuan"),
            "贵州": N_("Guizhou"),
            "云南": N_("Yunnan"),
            "西藏": N_("Tibet"),
            "陕西": N_("Shaanxi"),
            "甘肃": N_("Gansu"),
            "青海": N_("Qinghai"),
            "宁夏": N_("Ningxia"),
            "新疆": N_("Xinjiang"),
            "全国": N_("All of China"),
        },
        "event": {
            "neutrality.recusal_requested": N_("A party asked that an adjuster step aside (回避)"),
            "neutrality.recusal_granted": N_("The broker granted the recusal"),
            "neutrality.recusal_refused": N_("The broker refused the recusal"),
            "claim.notified": N_("Loss notified"),
            "claim.route": N_("Adjuster appointed, confirmation letter issued"),
            "claim.adjuster_proposed": N_("The broker proposed an adjuster to the insured"),
            "claim.insured_agreed_adjuster": N_("The insured agreed to the proposed adjuster"),
            "claim.insured_chose_adjuster": N_("The insured chose another adjuster"),
            "claim.insured_left_choice_to_broker": N_("The insured left the choice of adjuster to the broker"),
            "claim.adjuster_proposal_replaced": N_("The adjuster proposal was replaced by a new one"),
            "claim.adjuster_proposal_appointed": N_("The adjuster agreed with the insured was appointed"),
            "routing.designated_not_eligible": N_("The policy's designated adjuster cannot take the case"),
            "routing.escalated_half": N_("Reminder: half of the routing window has passed"),
            "routing.escalated_late": N_("Urgent: the routing window is nearly over"),
            "routing.escalated_missed": N_("The routing window was missed"),
            "claim.accept_appointment": N_("The adjuster firm accepted the letter"),
            "claim.decline_appointment": N_("The adjuster firm declined the letter"),
            "claim.team_member_added": N_("Adjuster added to the case"),
            "claim.start_survey": N_("Survey started"),
            "claim.survey_recorded": N_("Survey recorded"),
            "claim.survey_note_added": N_("Note added to the site survey"),
            "claim.submit_report": N_("Adjusting report submitted"),
            "report.second_submitted": N_("The insurer's adjuster submitted its report"),
            "report.corrected": N_("Report corrected"),
            "claim.confirm_amount": N_("Amount payable confirmed"),
            "claim.propose": N_("The broker proposed an amount"),
            "claim.counter": N_("The insurer made a counter-offer"),
            "claim.withdraw_offer": N_("An offer was withdrawn before it was answered"),
            "claim.withdraw_proposal": N_("The broker withdrew its proposal before it was answered"),
            "claim.accept": N_("The insurer accepted"),
            "claim.dispute": N_("The insurer disputed the report"),
            "claim.refuse": N_("The insurer refused the claim"),
            "claim.reconsider": N_("The insurer withdrew its refusal"),
            "claim.advance_paid": N_("Advance payment made"),
            "claim.record_final_payment": N_("Claim paid"),
            "claim.close": N_("Case closed"),
            "claim.withdraw": N_("Claim withdrawn"),
            "claim.insurer_adjuster_appointed": N_("The insurer appointed its own adjuster"),
            "claim.insurer_adjuster_accepted": N_("The insurer's adjuster accepted the letter"),
            "claim.insurer_adjuster_declined": N_("The insurer's adjuster declined the letter"),
            "claim.insurer_adjuster_refused": N_("The broker refused the insurer's adjuster"),
            "sla.breached": N_("Deadline missed"),
            "sla.warning": N_("Deadline approaching"),
            "consultation.opened": N_("Competitive consultation opened"),
            "consultation.realigned": N_("Item pairs corrected"),
            "consultation.round_started": N_("Consultation round started"),
            "consultation.round_closed": N_("Consultation round ended"),
            "consultation.round_reminder": N_("Reminder: the round ends on the next working day"),
            "consultation.to_umpire": N_("Open items go to the umpire"),
            "consultation.item_accept": N_("Item: the other side's figure accepted"),
            "consultation.item_propose": N_("Item: new figure proposed"),
            "consultation.item_hold": N_("Item: position held"),
            "consultation.umpire_proposed": N_("Umpire proposed"),
            "consultation.umpire_accepted": N_("Umpire accepted"),
            "consultation.umpire_decided": N_("Umpire's decision recorded"),
            "consultation.award_accepted": N_("An award outside the two positions was accepted"),
            "consultation.memorandum_generated": N_("Memorandum of understanding generated"),
            "consultation.memorandum_acknowledged": N_("Memorandum acknowledged"),
            "consultation.report_reissued": N_("A report in the consultation was corrected"),
            "claim.expert_engaged": N_("Expert engaged on the case"),
        },
        "peril": dict(cover.PERILS),
        "section_type": dict(cover.SECTION_TYPES),
        "rating_factor": dict(cover.RATING_FACTORS),
        "fund_mode": dict(cover.FUND_MODES),
        "risk_rating": dict(cover.RISK_RATINGS),
        "product_status": {
            "draft": N_("Draft"),
            "published": N_("Published"),
            "withdrawn": N_("No longer offered"),
        },
        "short_period": {
            "table": N_("Short-period rate table"),
            "monthly": N_("Monthly pro rata"),
            "daily": N_("Daily pro rata"),
            "none": N_("Full premium whatever the term"),
        },
    }
)

# Badge colour per code (CSS modifier class).
TONES: dict[str, dict[str, str]] = {
    "product_status": {"draft": "neutral", "published": "ok", "withdrawn": "bad"},
    "policy_status": {
        "draft": "neutral",
        "in_force": "ok",
        "expired": "neutral",
        "cancelled": "bad",
        "suspended": "warn",
        "terminated": "bad",
    },
    "endorsement_status": {"requested": "warn", "accepted": "ok", "declined": "bad", "withdrawn": "neutral"},
    "qualification": {"valid": "ok", "lapsed": "warn", "sanctioned": "bad", "inactive": "neutral"},
    "filing_status": {"filed": "ok", "pending": "warn", "suspended": "bad", "revoked": "bad"},
    "notice_state": {
        "recorded": "info",
        "rejected": "neutral",
        "notified": "warn",
        "answered": "info",
        "upheld": "bad",
        "withdrawn": "neutral",
    },
    "proposal_state": {
        "open": "warn",
        "listed": "bad",
        "not_listed": "ok",
        "appealed": "warn",
        "lifted": "ok",
        "appeal_dismissed": "bad",
    },
    "unfairness_severity": {"minor": "warn", "serious": "bad"},
    "blacklist_state": {"in_force": "bad", "scheduled": "warn", "ended": "neutral", "lifted": "neutral"},
    "claim_status": {
        "notified": "warn",
        "routed": "info",
        "adjuster_assigned": "info",
        "surveying": "info",
        "reported": "info",
        "amount_confirmed": "info",
        "negotiating": "info",
        "agreed": "ok",
        "paid": "ok",
        "closed": "neutral",
        "disputed": "bad",
        "refused": "bad",
        "withdrawn": "neutral",
    },
    "deadline_state": {"running": "info", "overdue": "bad", "met": "ok", "breached": "bad"},
    "letter_state": {"issued": "warn", "accepted": "ok", "declined": "bad", "refused_by_broker": "bad"},
    "consultation_state": {"aligning": "info", "negotiating": "warn", "umpire": "warn", "agreed": "ok"},
    "item_state": {"open": "warn", "agreed": "ok"},
    "second_state": {
        "appointed": "warn",
        "accepted": "info",
        "reported": "ok",
        "declined": "bad",
        "replaced": "bad",
        "withdrawn": "neutral",
    },
    "engagement_status": {"requested": "warn", "accepted": "ok", "declined": "bad"},
    "visibility": {"private": "neutral", "partners": "info", "named": "info"},
    "exclusion": {
        "blacklisted": "bad",
        "certificate_lapsed": "bad",
        "conflict_of_interest": "bad",
        "firm_not_filed": "bad",
        "over_capacity": "warn",
        "not_qualified_for_line": "neutral",
        "outside_area": "neutral",
    },
}


def label(group: str, code: object) -> str:
    """The msgid naming ``code`` in ``group``; the code itself when it has no name."""
    key = str(getattr(code, "value", code))
    names = LABELS.get(group, {})
    # A per-object code (``answer:<submission>``) is named by its kind, the part before the colon.
    return names.get(key) or names.get(key.split(":", 1)[0], key)


def tone(group: str, code: object) -> str:
    key = getattr(code, "value", code)
    return TONES.get(group, {}).get(str(key), "neutral")


# ---- placements (投保项目, issue 14) ----------------------------------------------------------------
LABELS["placement_status"] = {
    "opened": N_("Opened"),
    "awaiting_choice": N_("Awaiting the insured's choice"),
    "chosen": N_("Adjuster chosen"),
    "letter_issued": N_("Letter issued"),
    "surveying": N_("Pre-assessment under way"),
    "reported": N_("Pre-assessment reported"),
    "deciding": N_("Insured deciding on risks"),
    "to_market": N_("Gone to market"),
    "withdrawn": N_("Withdrawn"),
    "bound": N_("Bound: policy issued"),
}
LABELS["placement_tab"] = {"all": N_("All"), **LABELS["placement_status"]}
LABELS["placement_action"] = {
    "explain": N_("Explain the pre-assessment and recommend adjusters"),
    "choose": N_("Choose the adjuster for the pre-assessment"),
    "issue_letter": N_("Issue the confirmation letter"),
    "accept": N_("Accept the confirmation letter"),
    "decline": N_("Decline the confirmation letter"),
    "submit_report": N_("Submit the pre-assessment report"),
    "publish_register": N_("Publish the risk register to the insured"),
    "go_to_market": N_("Take the placement to market"),
    "withdraw": N_("Withdraw the placement"),
}
LABELS["event"].update(
    {
        "placement.opened": N_("Placement opened"),
        "placement.explain": N_("The broker explained the pre-assessment and recommended adjusters"),
        "placement.choose": N_("The insured chose the adjuster"),
        "placement.issue_letter": N_("Confirmation letter issued"),
        "placement.accept": N_("The adjuster firm accepted the letter"),
        "placement.decline": N_("The adjuster firm declined the letter"),
        "placement.submit_report": N_("Pre-assessment report submitted"),
        "placement.publish_register": N_("Risk register published to the insured"),
        "placement.go_to_market": N_("Placement taken to market"),
        "placement.shortlist": N_("Insurer shortlist saved"),
        "placement.insurer_pick": N_("The insured chose the insurer from the comparison"),
        "placement.insurer_ask": N_("The insured asked the broker to recommend an insurer"),
        "placement.insurer_recommend": N_("The broker recommended an insurer, with its reasons"),
        "placement.insurer_confirm": N_("The insured confirmed the recommended insurer"),
        "placement.insurer_adjuster.appointed": N_(
            "The insurer appointed its own adjuster for a second pre-assessment"
        ),
        "placement.insurer_adjuster.accepted": N_("The insurer's adjuster accepted the letter"),
        "placement.insurer_adjuster.declined": N_("The insurer's adjuster declined the letter"),
        "placement.insurer_adjuster.require_another": N_("The broker required the insurer to appoint another adjuster"),
        "placement.insurer_adjuster.withdraw_submission": N_("The broker withdrew the submission from the insurer"),
        "placement.insurer_adjuster.reported": N_("The insurer's adjuster submitted its pre-assessment report"),
        "risk_register.settled": N_("Risk point settled by the memorandum of understanding"),
        "risk_register.memorandum_merged": N_("Memorandum of understanding taken into the risk register"),
        "placement.withdraw": N_("Placement withdrawn"),
        "placement.message_posted": N_("Message posted"),
        "claim.message_posted": N_("Message posted"),
        "claim.document_uploaded": N_("Document added"),
        "placement.document_uploaded": N_("Document added"),
        "placement.contact_added": N_("Site contact added"),
        "case.team_member_added": N_("Adjuster added to the case"),
        "placement.survey_recorded": N_("Survey recorded"),
        "placement.survey_photo_uploaded": N_("Survey photo added"),
        "placement.report_draft_saved": N_("Report draft saved"),
        "report.signed": N_("Report signed"),
    }
)
LABELS["deadline"].update(
    {
        "insured_choice": N_("Choose the adjuster (5 working days)"),
        "letter_answer": N_("Answer the confirmation letter (2 working days)"),
        "pre_assessment_report": N_("Submit the pre-assessment report"),
        "risk_decisions": N_("Decide on every risk point"),
    }
)
TONES["placement_status"] = {
    "opened": "warn",
    "awaiting_choice": "warn",
    "chosen": "info",
    "letter_issued": "info",
    "surveying": "info",
    "reported": "info",
    "deciding": "warn",
    "to_market": "ok",
    "withdrawn": "neutral",
    "bound": "ok",
}

# ---- going to market and binding (issue 15 items 3 and 6) -------------------------------------------
LABELS["submission_status"] = {
    "submitted": N_("Awaiting the insurer's answer"),
    "quoted": N_("Quoted"),
    "declined": N_("Declined by the insurer"),
    "withdrawn": N_("Withdrawn by the broker"),
    "accepted": N_("Accepted: bound"),
    "not_taken": N_("Not taken"),
}
TONES["submission_status"] = {
    "submitted": "warn",
    "quoted": "info",
    "declined": "neutral",
    "withdrawn": "neutral",
    "accepted": "ok",
    "not_taken": "neutral",
}
LABELS["quote_field"] = {
    "rate_permille": N_("Rate (‰)"),
    "deductible_amount": N_("Deductible amount"),
    "deductible_rate": N_("Deductible rate"),
}
LABELS["consent_kind"] = {
    "disclosure": N_("Client disclosure (客户告知书)"),
    "mandate": N_("Written mandate (委托书)"),
}
LABELS["consent_status"] = {"given": N_("Awaiting the insured's acknowledgement"), "acknowledged": N_("Acknowledged")}
TONES["consent_status"] = {"given": "warn", "acknowledged": "ok"}
LABELS["event"].update(
    {
        "placement.disclosure_given": N_("Client disclosure given to the insured"),
        "placement.mandate_given": N_("Written mandate recorded"),
        "placement.disclosure_acknowledged": N_("The insured acknowledged the client disclosure"),
        "placement.mandate_acknowledged": N_("The insured acknowledged the written mandate"),
        "placement.bind": N_("Placement bound"),
        "placement.policy_issued": N_("Policy issued from the accepted quote"),
        "submission.submitted": N_("Programme submitted to the insurer"),
        "submission.quote": N_("The insurer quoted"),
        "submission.decline": N_("The insurer declined to quote"),
        "submission.withdraw": N_("The broker withdrew the submission"),
        "submission.accept": N_("The insured accepted the quote"),
        "submission.not_taken": N_("Another insurer's quote was accepted"),
        "submission.message_posted": N_("Question or answer on the submission"),
    }
)
LABELS["deadline"].update(
    {
        "answer": N_("Answer the submission: quote or decline"),
        "quote": N_("Quote valid until"),
        "quote_decision": N_("Decide on the quotes"),
    }
)


# ---- the risk register (风险登记册, R-U4) -----------------------------------------------------------
LABELS["risk_choice"] = {
    "undecided": N_("Not decided yet"),
    "remediate": N_("Remediate"),
    "premium": N_("Accept the loading"),
}
LABELS["risk_change"] = {
    "seeded": N_("Taken from the report"),
    "refreshed": N_("Taken from the corrected report"),
    "assessed": N_("Level or coefficient changed"),
    "advised": N_("Advice written"),
    "decided": N_("Insured's decision"),
}
LABELS["task_status"] = {
    "open": N_("To be remedied"),
    "done": N_("Remedied"),
    "cancelled": N_("Cancelled: loading accepted instead"),
}
TONES["task_status"] = {"open": "warn", "done": "ok", "cancelled": "neutral"}
LABELS["event"].update(
    {
        "risk_register.seeded": N_("Risk register drawn up from the pre-assessment report"),
        "risk_register.refreshed": N_("Risk point updated from the corrected pre-assessment report"),
        "risk_register.source_corrected": N_("Risk register updated from the corrected pre-assessment report"),
        "risk_register.assessed": N_("Risk point re-rated by the broker's risk evaluator"),
        "risk_register.advised": N_("Risk-management advice on a risk point"),
        "risk_register.register_advised": N_("Risk-management advice on the register"),
        "risk_register.decided": N_("The insured decided on a risk point"),
        "risk_register.tasks_checked": N_("Remediation tasks checked by a staged report"),
    }
)
LABELS["event"].update(
    {
        "fees.invoice_issued": N_("The adjuster firm issued its fee invoice"),
        "fees.invoice_accepted": N_("The payer accepted the fee invoice"),
        "fees.invoice_disputed": N_("The payer disputed the fee invoice"),
        "fees.invoice_replaced": N_("The disputed fee invoice was replaced"),
        "fees.invoice_reissued": N_("The adjuster firm reissued its fee invoice"),
        "fees.payment_recorded": N_("The payer recorded a payment of the fee invoice"),
        "fees.invoice_reminded": N_("The payer was reminded of the fee invoice"),
        "fees.invoice_escalated": N_("The overdue fee invoice was escalated to the payer's managers"),
    }
)

# ---- sign-ins (login history, issue 19 item 1) -----------------------------------------------------
LABELS["login_outcome"] = {
    "success": N_("Signed in"),
    "wrong_password": N_("Wrong password"),
    "wrong_code": N_("Wrong second-factor code"),
    "throttled": N_("Refused: too many attempts"),
    "enrolment_required": N_("Sent to set up the second factor"),
}
LABELS["login_channel"] = {"web": N_("Web page"), "api": N_("API")}
TONES["login_outcome"] = {
    "success": "ok",
    "wrong_password": "bad",
    "wrong_code": "bad",
    "throttled": "warn",
    "enrolment_required": "warn",
}
LABELS["invoice_state"] = {
    "issued": N_("Issued"),
    "accepted": N_("Accepted"),
    "disputed": N_("Disputed"),
    "part_paid": N_("Part paid"),
    "paid": N_("Paid in full"),
    "replaced": N_("Replaced"),
}
TONES["invoice_state"] = {
    "issued": "info",
    "accepted": "info",
    "disputed": "bad",
    "part_paid": "warn",
    "paid": "ok",
    "replaced": "neutral",
}
LABELS["invoice_line"] = {
    "fee": N_("Adjuster's fee"),
    "expenses": N_("Reimbursed expenses"),
    "vat": N_("VAT"),
}
LABELS["ageing_bucket"] = {
    "current": N_("Not yet due"),
    "1-30": N_("1–30 days overdue"),
    "31-60": N_("31–60 days overdue"),
    "61-90": N_("61–90 days overdue"),
    "90+": N_("Over 90 days overdue"),
}
TONES["ageing_bucket"] = {"current": "ok", "1-30": "warn", "31-60": "bad", "61-90": "bad", "90+": "bad"}
LABELS["payer"] = {"insurer": N_("Insurer"), "insured": N_("Insured"), "broker": N_("Broker")}

# ---- market figures and dashboards (issue 18 items 3-4) ----------------------------------------------
LABELS["market_figure"] = {
    "claims": N_("Claims notified"),
    "appointed": N_("With an adjuster"),
    "delegation": N_("Delegation rate %"),
    "settled": N_("Amount settled"),
    "settled_reported": N_("Settled on adjusted claims"),
    "supply": N_("Supply rate %"),
    "notice_adjuster_p50": N_("Notice → adjuster, median days"),
    "notice_adjuster_p90": N_("Notice → adjuster, p90 days"),
    "notice_report_p50": N_("Notice → report, median days"),
    "notice_report_p90": N_("Notice → report, p90 days"),
    "report_agreement_p50": N_("Report → agreement, median days"),
    "report_agreement_p90": N_("Report → agreement, p90 days"),
    "agreement_payment_p50": N_("Agreement → payment, median days"),
    "agreement_payment_p90": N_("Agreement → payment, p90 days"),
    "sla_steps": N_("Clock-bound steps decided"),
    "sla": N_("Within the clock %"),
    "held_broker": N_("Days held: broker"),
    "held_insured": N_("Days held: insured"),
    "held_insurer": N_("Days held: insurer"),
    "held_adjuster_firm": N_("Days held: adjuster firm"),
    "fees_billed": N_("Fees billed"),
    "fees_paid": N_("Fees paid"),
    "fees_overdue": N_("Fees overdue"),
    "days_to_pay": N_("Fee days to pay, median"),
}
LABELS["figure_dimension"] = {
    "period": N_("Month"),
    "line": N_("Line"),
    "region": N_("Region"),
    "insurer": N_("Insurer"),
    "firm": N_("Adjuster firm"),
}

# ---- a policy's sections entered by hand (issue 19 item 6): the fields and the amount engine's options
LABELS["section_field"] = {
    "sum_insured": N_("Sum insured"),
    "insured_value": N_("Insured value"),
    "deductible_amount": N_("Deductible amount"),
    "deductible_rate": N_("Deductible rate"),
    "per_occurrence_limit": N_("Limit per occurrence"),
    "aggregate_limit": N_("Aggregate limit"),
    "liability_ratio": N_("Liability ratio (%)"),
    "basis": N_("Basis of settlement"),
    "salvage": N_("Salvage deducted"),
    "sum_insured_reduces": N_("Sum insured reduced by claims"),
    "deductible_kind": N_("Kind of deductible"),
    "deductible_rate_base": N_("Deductible rate applies to"),
}
LABELS["section_option"] = {
    "average": N_("Average (in proportion to the sum insured)"),
    "first_loss": N_("First loss (up to the sum insured)"),
    "before_average": N_("Before average"),
    "after_average": N_("After average"),
    "true": N_("Yes"),
    "false": N_("No"),
    "absolute": N_("Deducted from every loss"),
    "franchise": N_("Franchise (none above it)"),
    "loss": N_("The amount of the loss"),
    "sum_insured": N_("The sum insured"),
}
