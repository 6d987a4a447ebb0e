"""The admin API application: routes, health, metrics, and Go's error answers.

:func:`create_app` builds a FastAPI app over an :class:`AdminService`:

* the admin routes (:mod:`mimo.adminapi.routes`), authenticated;
* ``/healthz`` and ``/healthz/ready`` (:mod:`mimo.health`), unauthenticated as in Go;
* ``/metrics`` (Prometheus text format), authenticated like the admin routes;
* ``/openapi.json``, the OpenAPI document (also checked in as ``docs/admin-api.openapi.json``).

Errors are Go's: a :class:`CloudError` is written as its body; an unknown
path is 404 ``NotFound`` "The requested path could not be found." once the
caller is authenticated (403 before, as Go wraps its not-found handler in
authentication); a known path with another method is 405 with no body (chi);
anything unexpected is 500 ``InternalServerError`` "Internal server error."
(Go's panic middleware).
"""

from __future__ import annotations

import logging
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from mimo.adminapi.auth import Authenticator
from mimo.adminapi.errors import NOT_FOUND, CloudError
from mimo.adminapi.front import LowercasePath, tls_of
from mimo.adminapi.routes import admin_router, authorize
from mimo.adminapi.service import AdminService
from mimo.health import Readiness, healthz_reply
from mimo.metrics import CONTENT_TYPE, Metrics

__all__ = ["create_app", "TITLE"]

TITLE = "MIMO admin API"
log = logging.getLogger("mimo.adminapi")


def _version() -> str:
    try:
        return version("pymimo")
    except PackageNotFoundError:  # pragma: no cover
        return "0"


def _error_response(e: CloudError) -> Response:
    return Response(content=e.to_bytes(), status_code=e.status, media_type="application/json")


def create_app(
    service: AdminService,
    auth: Authenticator,
    *,
    readiness: Readiness | None = None,
    metrics: Metrics | None = None,
) -> FastAPI:
    """The ASGI app; ``readiness`` and ``metrics`` default to a ready-at-once host and empty metrics."""
    if not auth.configured:
        raise ValueError("admin API: no authentication configured (a bearer token or a client certificate name)")
    readiness = readiness if readiness is not None else Readiness(delay=0)
    metrics = metrics if metrics is not None else Metrics()
    app = FastAPI(
        title=TITLE,
        version=_version(),
        description=(
            "The Go MIMO's admin endpoints (Azure/ARO-RP pkg/frontend admin_mimo_*.go): maintenance manifests "
            "and schedules. Authenticate with a bearer token or a client certificate. Errors are CloudError bodies."
        ),
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.include_router(admin_router(service, auth))

    @app.get("/healthz", include_in_schema=True, operation_id="getHealthz", response_class=PlainTextResponse)
    async def healthz(request: Request) -> Response:
        """``ok`` while ready, else 500 (controller-runtime's healthz handler; no authentication)."""
        status, text = healthz_reply(readiness, None, verbose="verbose" in request.query_params)
        return PlainTextResponse(text, status_code=status, headers={"X-Content-Type-Options": "nosniff"})

    @app.get("/healthz/{check}", include_in_schema=True, operation_id="getHealthzCheck", response_class=PlainTextResponse)
    async def healthz_check(check: str) -> Response:
        """``/healthz/ready``: ``ok``, or 500 ``internal server error: not ready``."""
        status, text = healthz_reply(readiness, check)
        return PlainTextResponse(text, status_code=status, headers={"X-Content-Type-Options": "nosniff"})

    @app.get("/metrics", operation_id="getMetrics", response_class=PlainTextResponse)
    async def metrics_endpoint(request: Request) -> Response:
        """Prometheus metrics (authenticated like the admin routes)."""
        authorize(auth, request)
        return Response(content=metrics.render(), media_type=CONTENT_TYPE)

    @app.exception_handler(CloudError)
    async def cloud_error(request: Request, exc: CloudError) -> Response:
        if exc.status >= 500:
            log.error("%s %s: %s", request.method, request.url.path, exc)
        return _error_response(exc)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 405:
            return Response(status_code=405, headers=dict(exc.headers or {}))
        if exc.status_code == 404:
            if not auth.authorize(request.headers, tls_of(request)):
                return _error_response(CloudError(403, "Forbidden", "", "Forbidden."))
            return _error_response(CloudError(404, NOT_FOUND, "", "The requested path could not be found."))
        return _error_response(CloudError(exc.status_code, "", "", str(exc.detail)))

    @app.exception_handler(Exception)
    async def panic(request: Request, exc: Exception) -> Response:
        log.error("%s %s: %s", request.method, request.url.path, exc, exc_info=exc)
        return _error_response(CloudError.internal())

    _add_security_to_openapi(app)
    app.add_middleware(LowercasePath)
    return app


def _add_security_to_openapi(app: FastAPI) -> None:
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        doc = original()
        doc.setdefault("components", {})["securitySchemes"] = {
            "bearer": {"type": "http", "scheme": "bearer", "description": "a token from the server's --token-file"},
            "clientCertificate": {"type": "mutualTLS", "description": "a certificate with the server's --client-cn"},
        }
        open_paths = {"/healthz", "/healthz/{check}"}
        schemas = doc["components"].get("schemas", {})
        for name in ("HTTPValidationError", "ValidationError"):  # parameters are plain strings: never a 422
            schemas.pop(name, None)
        for path, ops in doc.get("paths", {}).items():
            for op in ops.values():
                op.get("responses", {}).pop("422", None)
                if path not in open_paths:
                    op["security"] = [{"bearer": []}, {"clientCertificate": []}]
        app.openapi_schema = doc
        return doc

    app.openapi = openapi  # type: ignore[method-assign]
