"""The web shell: static files (vendored htmx, one stylesheet) and the server-rendered pages."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from tandem.web.render import STATIC_DIR


def mount_web(app: FastAPI) -> None:
    from tandem.web.account import router as account_router
    from tandem.web.auth_pages import router as auth_router
    from tandem.web.book_import import router as book_import_router
    from tandem.web.claims import router as claims_router
    from tandem.web.client_money import router as client_money_router
    from tandem.web.complaints import router as complaints_router
    from tandem.web.consultation import router as consultation_router
    from tandem.web.dashboards import router as dashboards_router
    from tandem.web.events import router as events_router
    from tandem.web.experts import router as experts_router
    from tandem.web.filing import router as filing_router
    from tandem.web.inbox import router as inbox_router
    from tandem.web.invoices import router as invoices_router
    from tandem.web.neutrality import router as neutrality_router
    from tandem.web.onboarding import router as onboarding_router
    from tandem.web.people import router as people_router
    from tandem.web.placement_comparison import router as placement_comparison_router
    from tandem.web.placement_market import router as placement_market_router
    from tandem.web.placement_report import router as placement_report_router
    from tandem.web.placement_risk import router as placement_risk_router
    from tandem.web.placement_screening import router as placement_screening_router
    from tandem.web.placement_second import router as placement_second_router
    from tandem.web.placement_selection import router as placement_selection_router
    from tandem.web.placements import router as placements_router
    from tandem.web.policy_form import router as policy_form_router
    from tandem.web.policy_inforce import router as policy_inforce_router
    from tandem.web.policy_recovery import router as policy_recovery_router
    from tandem.web.practice import router as practice_router
    from tandem.web.products import router as products_router
    from tandem.web.recusal import router as recusal_router
    from tandem.web.registry import router as registry_router
    from tandem.web.retention import router as retention_router
    from tandem.web.staged_risk import router as staged_risk_router
    from tandem.web.submissions import router as submissions_router
    from tandem.web.termination_assessment import router as termination_assessment_router

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(auth_router)
    app.include_router(onboarding_router)
    app.include_router(account_router)
    app.include_router(people_router)
    app.include_router(book_import_router)
    app.include_router(policy_form_router)
    app.include_router(registry_router)
    app.include_router(practice_router)
    app.include_router(policy_inforce_router)
    app.include_router(policy_recovery_router)
    app.include_router(complaints_router)
    app.include_router(retention_router)
    app.include_router(filing_router)
    app.include_router(termination_assessment_router)
    app.include_router(events_router)  # before the claims pages: /claims/import is not a claim
    app.include_router(claims_router)
    app.include_router(placements_router)
    app.include_router(consultation_router)
    app.include_router(inbox_router)
    app.include_router(invoices_router)
    app.include_router(client_money_router)
    app.include_router(dashboards_router)
    app.include_router(experts_router)
    app.include_router(products_router)
    app.include_router(placement_selection_router)
    app.include_router(neutrality_router)
    app.include_router(recusal_router)
    app.include_router(placement_risk_router)
    app.include_router(placement_screening_router)
    app.include_router(placement_second_router)
    app.include_router(placement_comparison_router)
    app.include_router(placement_report_router)
    app.include_router(placement_market_router)
    app.include_router(submissions_router)
    app.include_router(staged_risk_router)
