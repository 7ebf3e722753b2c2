"""Application factory: routers, error handlers, middleware. No work happens at import."""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from tandem.config import Settings, get_settings
from tandem.db import make_engine, make_session_factory, violated_constraint
from tandem.deps import reject_nul
from tandem.kit import pii
from tandem.kit.clock import Clock, SystemClock
from tandem.kit.errors import BodyTooLarge, ConcurrentChange, TandemError
from tandem.kit.uploads import BodyLimit

log = logging.getLogger("tandem")

# A client's X-Request-Id is kept only when it is a short token; anything else (too long for the audit
# column, spaces, non-ASCII, markup) is replaced by a generated one.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")

HSTS = "max-age=31536000; includeSubDomains"


# Unique constraints two concurrent requests can both pass the checks for (the second insert loses): a
# 409 "changed at the same time". Every other IntegrityError (a number handed out twice, a foreign key,
# NOT NULL, CHECK) is a bug: 500 and a logged traceback.
RACED_CONSTRAINTS = frozenset(
    {
        "uq_audit_event_chain_key_seq",
        "uq_idempotency_key_user_id_key",
        "uq_case_participation_claim_id_organisation_id_party_role",
        "uq_claim_team_member_claim_id_adjuster_id",
        "uq_deadline_claim_id_kind",
        "uq_report_draft_claim_id_firm_id",
        "uq_report_signature_report_id_adjuster_id",
        "uq_report_number_version",
        "uq_memorandum_consultation_id",
        "uq_memorandum_ack_memorandum_id_party",
        "uq_inbound_message_channel_external_id",
        "uq_user_account_username",
        "uq_organisation_name",
        "uq_organisation_uscc",
        "uq_adjuster_firm_filing_no",
        "uq_adjuster_registration_no",
        "uq_adjuster_id_number_bidx",
        "uq_adjuster_certificate_no",
        "uq_adjuster_user_id",
        "uq_expert_external_id",
        "uq_insured_id_number_bidx",
        "uq_insured_uscc",
        "uq_insurer_product_code",
        "uq_policy_number",
        "uq_policy_section_policy_id_code",
        "pk_risk_register",
        "uq_remediation_task_point_id",
    }
)


def internal_error(request: Request, exc: BaseException) -> Response:
    """A bug: log it with the request id, answer 500 (a page or JSON) without details."""
    rid = getattr(request.state, "request_id", "-")
    log.error("unhandled error, request %s", rid, exc_info=exc)
    from tandem.web.errors import render_internal_error, wants_html

    if wants_html(request):
        return render_internal_error(request)
    return JSONResponse(error_json("internal", f"Internal error (request {rid})."), 500)


def request_id_for(sent: str | None) -> str:
    return sent if sent is not None and _REQUEST_ID.fullmatch(sent) else secrets.token_hex(8)


def _field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie")]
    out = ""
    for p in parts:
        out += f"[{p}]" if p.isdigit() else (f".{p}" if out else p)
    return out or "body"


def error_json(code: str, message: str, fields: dict[str, str] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    return {"error": body}


def healthz(request: Request) -> dict[str, str]:
    """Liveness and database reachability."""
    with request.app.state.engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    return {"status": "ok"}


def create_app(
    settings: Settings | None = None, *, clock: Clock | None = None, engine: Engine | None = None
) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.expert_index_at_startup:
            from tandem.expert.service import prepare_index

            prepare_index(settings, app.state.engine)  # in the background: start-up does not wait for it
        yield

    app = FastAPI(
        lifespan=lifespan,
        title="Tandem",
        version="0.1.0",
        description="Broker–adjuster co-processing platform (经纪–公估协处理平台)",
        dependencies=[Depends(reject_nul)],  # NUL characters in any text: 422 naming the field
    )
    app.state.settings = settings
    app.state.clock = clock or SystemClock()
    app.state.engine = engine or make_engine(settings.database_url)
    app.state.session_factory = make_session_factory(app.state.engine, settings.audit_key, settings)
    pii.configure(settings)  # production without the PII keys: PiiKeyError, the server does not start
    if settings.is_production and not settings.audit_key:
        log.warning("TANDEM_AUDIT_KEY is not set: the audit chain is hashed but not keyed")

    _install_security_headers(app, settings)
    _install_error_handlers(app)

    # A module-level endpoint: FastAPI caches what it learns of each endpoint (4096 callables, process-wide),
    # and a closure here would keep every app made in the process alive through that cache.
    app.add_api_route("/healthz", healthz, methods=["GET"], tags=["ops"])

    from tandem.access.admin_endpoints import router as onboarding_router
    from tandem.access.endpoints import router as access_router
    from tandem.brokerage.endpoints import router as brokerage_router
    from tandem.claim.case_endpoints import router as case_router
    from tandem.claim.endpoints import router as claim_router
    from tandem.claim.event_endpoints import router as event_router
    from tandem.claim.inbound import router as inbound_router
    from tandem.complaint.endpoints import router as complaint_router
    from tandem.expert.endpoints import router as expert_router
    from tandem.fees.endpoints import router as fee_router
    from tandem.fees.invoice_endpoints import router as invoice_router
    from tandem.inforce.endpoints import records_router
    from tandem.inforce.endpoints import router as staged_router
    from tandem.neutrality.endpoints import router as neutrality_router
    from tandem.notification.endpoints import router as notification_router
    from tandem.party.endpoints import router as party_router
    from tandem.party.filing_endpoints import router as filing_router
    from tandem.party.product_endpoints import router as product_router
    from tandem.placement.comparison_endpoints import router as placement_comparison_router
    from tandem.placement.consult_endpoints import router as placement_consult_router
    from tandem.placement.endpoints import router as placement_router
    from tandem.placement.market_endpoints import router as placement_market_router
    from tandem.placement.report_endpoints import router as placement_report_router
    from tandem.placement.risk_endpoints import router as placement_risk_router
    from tandem.placement.screening_endpoints import router as placement_screening_router
    from tandem.placement.second_endpoints import router as placement_second_router
    from tandem.placement.selection_endpoints import router as placement_selection_router
    from tandem.policy.book_endpoints import router as book_router
    from tandem.policy.endpoints import router as policy_router
    from tandem.policy.inforce_endpoints import router as policy_inforce_router
    from tandem.policy.recovery_endpoints import router as policy_recovery_router
    from tandem.premium.endpoints import router as premium_router
    from tandem.reconciliation.endpoints import router as consultation_router
    from tandem.retention.endpoints import router as retention_router
    from tandem.supervision.endpoints import router as supervision_router
    from tandem.web.pages import mount_web

    app.include_router(access_router)
    app.include_router(onboarding_router)
    app.include_router(party_router)
    app.include_router(product_router)
    app.include_router(filing_router)
    app.include_router(policy_router)
    app.include_router(book_router)
    app.include_router(policy_inforce_router)
    app.include_router(policy_recovery_router)
    app.include_router(staged_router)
    app.include_router(records_router)
    app.include_router(claim_router)
    app.include_router(event_router)
    app.include_router(placement_router)
    app.include_router(placement_risk_router)
    app.include_router(placement_screening_router)
    app.include_router(placement_comparison_router)
    app.include_router(placement_report_router)
    app.include_router(placement_selection_router)
    app.include_router(placement_second_router)
    app.include_router(placement_consult_router)
    app.include_router(placement_market_router)
    app.include_router(case_router)
    app.include_router(consultation_router)
    app.include_router(inbound_router)
    app.include_router(notification_router)
    app.include_router(expert_router)
    app.include_router(premium_router)
    app.include_router(fee_router)
    app.include_router(invoice_router)
    app.include_router(brokerage_router)
    app.include_router(neutrality_router)
    app.include_router(complaint_router)
    app.include_router(retention_router)
    app.include_router(supervision_router)
    mount_web(app)
    _document_error_bodies(app)
    return app


def _install_security_headers(app: FastAPI, settings: Settings) -> None:
    """The request id and the security and cache headers of every answer."""

    @app.middleware("http")
    async def request_id(request: Request, call_next: Any) -> Response:
        request.state.request_id = request_id_for(request.headers.get("x-request-id"))
        response: Response = await call_next(request)
        response.headers["X-Request-Id"] = request.state.request_id
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if settings.cookie_secure:  # served over HTTPS: browsers must not fall back to plain HTTP
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        if request.url.path.startswith("/api/") or "content-disposition" in response.headers:
            # API answers and downloads carry case data: no shared or browser cache keeps them.
            if "no-store" not in response.headers.get("cache-control", ""):
                response.headers["Cache-Control"] = "no-store"
        return response

    # Outermost: a body over its cap is refused while it streams in (tandem.kit.uploads).
    app.add_middleware(BodyLimit)


def _install_error_handlers(app: FastAPI) -> None:
    """Every error answers ``{"error": {...}}`` (or an error page for a browser)."""
    from tandem.web.errors import render_error_page, wants_html

    @app.exception_handler(TandemError)
    async def tandem_error(request: Request, exc: TandemError) -> Response:
        if wants_html(request):
            return render_error_page(request, exc.status, exc)
        msg = exc.message.format(**exc.params) if exc.params else exc.message
        return JSONResponse(error_json(exc.code, msg, exc.fields), exc.status)

    @app.exception_handler(IntegrityError)
    async def integrity_error(request: Request, exc: IntegrityError) -> Response:
        # A unique constraint that two requests can race for lost the race: a conflict, not a crash.
        # Any other broken constraint is a bug and surfaces as one (500, logged).
        if violated_constraint(exc) not in RACED_CONSTRAINTS:
            return internal_error(request, exc)
        conflict = ConcurrentChange()
        if wants_html(request):
            return render_error_page(request, 409, conflict)
        return JSONResponse(error_json(conflict.code, conflict.message), 409)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        fields: dict[str, str] = {}
        for err in exc.errors():
            fields.setdefault(_field_path(err.get("loc", ())), str(err.get("msg", "invalid")))
        if wants_html(request):
            from tandem.kit.errors import InvalidInput

            return render_error_page(request, 422, InvalidInput(fields=fields))
        return JSONResponse(error_json("invalid_input", "Invalid input.", fields), 422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        return _http_error_response(request, exc)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        return internal_error(request, exc)


def _http_error_response(request: Request, exc: StarletteHTTPException) -> Response:
    """Starlette's own errors (413 while streaming, 404 of an unknown route, 405…) in our error body."""
    from tandem.web.errors import render_error_page, wants_html

    if exc.status_code == 413:  # the body passed its cap while streaming in
        too_large = BodyTooLarge()
        if wants_html(request):
            return render_error_page(request, 413, too_large)
        return JSONResponse(error_json(too_large.code, too_large.message), 413)
    if exc.status_code == 404:
        if wants_html(request):
            from tandem.kit.errors import NotFound

            return render_error_page(request, 404, NotFound())
        return JSONResponse(error_json("not_found", "Not found."), 404)
    if wants_html(request):
        page = render_error_page(request, exc.status_code, TandemError())
        page.headers.update(getattr(exc, "headers", None) or {})
        return page
    return JSONResponse(
        error_json(f"http.{exc.status_code}", str(exc.detail)),
        exc.status_code,
        headers=getattr(exc, "headers", None),
    )


def _document_error_bodies(app: FastAPI) -> None:
    """Make the OpenAPI schema describe the 422 body the handler above really sends.

    FastAPI documents 422 as its own ``HTTPValidationError`` (``{"detail": [...]}``), but every error
    here answers ``{"error": {"code", "message", "fields"?}}``; clients and schemathesis trust the schema.
    """
    from tandem.schemas import ErrorResponse

    default_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = default_openapi()
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            extra = ErrorResponse.model_json_schema(ref_template="#/components/schemas/{model}")
            components.update(extra.pop("$defs", {}))
            components["ErrorResponse"] = extra
            for operations in schema.get("paths", {}).values():
                for operation in operations.values():
                    response = operation.get("responses", {}).get("422")
                    if response is not None:
                        response["description"] = "Invalid input"
                        response["content"] = {
                            "application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}
                        }
            for unused in ("HTTPValidationError", "ValidationError"):
                components.pop(unused, None)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
