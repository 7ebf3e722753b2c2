"""Import every model module so the metadata is complete (Alembic, tests)."""

from tandem.access import models as access_models
from tandem.audit import models as audit_models
from tandem.brokerage import models as brokerage_models
from tandem.case import models as case_models
from tandem.claim import event_models as claim_event_models
from tandem.claim import models as claim_models
from tandem.complaint import models as complaint_models
from tandem.db import Base
from tandem.expert import models as expert_models
from tandem.fees import models as fee_models
from tandem.inforce import models as inforce_models
from tandem.neutrality import models as neutrality_models
from tandem.notification import models as notification_models
from tandem.party import filing_models as party_filing_models
from tandem.party import models as party_models
from tandem.placement import comparison_models as placement_comparison_models
from tandem.placement import market_models as placement_market_models
from tandem.placement import models as placement_models
from tandem.placement import risk_models as placement_risk_models
from tandem.placement import screening_models as placement_screening_models
from tandem.placement import second_models as placement_second_models
from tandem.policy import inforce_models as policy_inforce_models
from tandem.policy import models as policy_models
from tandem.reconciliation import models as reconciliation_models
from tandem.report import models as report_models
from tandem.retention import models as retention_models
from tandem.settlement import models as settlement_models
from tandem.sla import models as sla_models

__all__ = [
    "Base",
    "access_models",
    "audit_models",
    "brokerage_models",
    "case_models",
    "claim_event_models",
    "claim_models",
    "complaint_models",
    "expert_models",
    "fee_models",
    "inforce_models",
    "neutrality_models",
    "notification_models",
    "party_filing_models",
    "party_models",
    "placement_comparison_models",
    "placement_market_models",
    "placement_models",
    "placement_risk_models",
    "placement_screening_models",
    "placement_second_models",
    "policy_inforce_models",
    "policy_models",
    "reconciliation_models",
    "report_models",
    "retention_models",
    "settlement_models",
    "sla_models",
]
