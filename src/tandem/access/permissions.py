"""Role -> permission matrix, kept as data (权限矩阵)."""

from __future__ import annotations

import enum

from tandem.access.models import OrgKind, Role


class Perm(enum.StrEnum):
    MANAGE_USERS = "manage_users"
    MANAGE_ORGANISATIONS = "manage_organisations"
    MANAGE_ADJUSTERS = "manage_adjusters"
    MANAGE_BLACKLIST = "manage_blacklist"
    MANAGE_POLICIES = "manage_policies"
    MANAGE_INSUREDS = "manage_insureds"
    MANAGE_EXPERTS = "manage_experts"
    MANAGE_PRODUCTS = "manage_products"
    VIEW_AUDIT = "view_audit"
    SEE_PERSONAL_IDS = "see_personal_ids"


R = Role
MATRIX: dict[Perm, frozenset[Role]] = {
    Perm.MANAGE_USERS: frozenset({R.PLATFORM_ADMIN, R.ADJUSTER_FIRM_ADMIN, R.ORG_ADMIN}),
    Perm.MANAGE_ORGANISATIONS: frozenset({R.PLATFORM_ADMIN}),
    Perm.MANAGE_ADJUSTERS: frozenset({R.PLATFORM_ADMIN, R.ADJUSTER_FIRM_ADMIN}),
    Perm.MANAGE_BLACKLIST: frozenset({R.BROKER_ACCOUNT_MANAGER, R.BROKER_RISK_EVALUATOR}),
    Perm.MANAGE_POLICIES: frozenset({R.PLATFORM_ADMIN, R.BROKER_ACCOUNT_MANAGER}),
    Perm.MANAGE_INSUREDS: frozenset({R.PLATFORM_ADMIN, R.BROKER_ACCOUNT_MANAGER}),
    Perm.MANAGE_EXPERTS: frozenset(
        {R.PLATFORM_ADMIN, R.BROKER_ACCOUNT_MANAGER, R.BROKER_RISK_EVALUATOR, R.ADJUSTER_FIRM_ADMIN}
    ),
    # An insurer's underwriters keep its products and its standing (solvency ratio, risk rating).
    Perm.MANAGE_PRODUCTS: frozenset({R.INSURER_UNDERWRITER}),
    Perm.VIEW_AUDIT: frozenset({R.PLATFORM_ADMIN}),
    Perm.SEE_PERSONAL_IDS: frozenset(
        {
            R.PLATFORM_ADMIN,
            R.BROKER_ACCOUNT_MANAGER,
            R.BROKER_RISK_EVALUATOR,
            R.INSURER_UNDERWRITER,
            R.INSURER_CLAIMS_HANDLER,
            R.INSURED_CONTACT,
        }
    ),
}


# Organisations that only read: every write they attempt is refused (API and pages alike).
READ_ONLY_KINDS = frozenset({OrgKind.SUPERVISION})


def roles_with(perm: Perm) -> frozenset[Role]:
    return MATRIX[perm]
