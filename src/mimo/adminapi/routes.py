"""The admin API's routes: Go's paths and methods (``pkg/frontend/frontend.go``), one endpoint each.

Each endpoint applies the Go request rules (:mod:`mimo.adminapi.front`),
authenticates, and runs the :class:`~mimo.adminapi.service.AdminService`
method in a worker thread (stores are blocking). Paths are matched
lower-cased, with or without a trailing slash, as chi does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from mimo.adminapi import schema
from mimo.adminapi.auth import Authenticator
from mimo.adminapi.errors import FORBIDDEN, CloudError, dumps
from mimo.adminapi.front import cluster_resource_id, read_body, tls_of
from mimo.adminapi.service import AdminService

__all__ = ["admin_router", "CLUSTER_PATH", "authorize"]

CLUSTER_PATH = (
    "/admin/subscriptions/{subscriptionId}/resourcegroups/{resourceGroupName}"
    "/providers/{resourceProviderNamespace}/{resourceType}/{resourceName}"
)

_ERR = {"model": schema.CloudError, "description": "CloudError"}


def _responses(ok: int, model: Any, *errors: int) -> dict[int | str, dict[str, Any]]:
    out: dict[int | str, dict[str, Any]] = {ok: {"model": model, "description": "OK" if ok == 200 else "Created"}}
    for code in (*errors, 403):
        out[code] = _ERR
    return out


def _json_body(model: type[Any]) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}},
        }
    }


def authorize(auth: Authenticator, request: Request) -> None:
    if not auth.authorize(request.headers, tls_of(request)):
        raise CloudError(403, FORBIDDEN, "", "Forbidden.")


def _reply(status: int, body: Any, *, compact: bool = False) -> Response:
    if compact:
        import json

        content = (json.dumps(body, separators=(",", ":"), ensure_ascii=False) + "\n").encode("utf-8")
    else:
        content = dumps(body)
    return Response(content=content, status_code=status, media_type="application/json")


def _base_url(request: Request) -> str:
    # Go builds nextLink from the Referer ARM sets, falling back to the request's own URL
    return request.headers.get("referer") or str(request.url)


def admin_router(service: AdminService, auth: Authenticator) -> APIRouter:
    router = APIRouter()

    async def gate(request: Request, cluster: tuple[str, ...] | None = None, *, body: bool = False) -> tuple[str, bytes]:
        """Validate the path, read the body, then authenticate (Go's order)."""
        rid = ""
        if cluster is not None:
            sub, rg, namespace, rtype, name = cluster
            rid = cluster_resource_id(sub, rg, namespace, rtype, name, request.query_params.get("api-version", ""))
        data = await read_body(request) if body else b""
        authorize(auth, request)
        return rid, data

    async def call(fn: Callable[..., tuple[int, Any]], *args: Any, compact: bool = False) -> Response:
        status, result = await run_in_threadpool(fn, *args)
        return _reply(status, result, compact=compact)

    # -- a cluster's manifests ------------------------------------------------------------------
    @router.get(CLUSTER_PATH + "/maintenancemanifests", operation_id="getAdminMaintManifests",
                responses=_responses(200, schema.MaintenanceManifestList, 400, 404, 500))
    async def list_manifests(
        request: Request, subscriptionId: str, resourceGroupName: str, resourceProviderNamespace: str,
        resourceType: str, resourceName: str,
        limit: str | None = Query(None, description="page size; not an integer: 100"),
        skip_token: str | None = Query(None, alias="$skipToken", description="from the previous page's nextLink"),
    ) -> Response:
        """A cluster's manifests, a page at a time."""
        rid, _ = await gate(request, (subscriptionId, resourceGroupName, resourceProviderNamespace, resourceType, resourceName))
        return await call(service.list_manifests, rid, limit, skip_token, _base_url(request))

    @router.put(CLUSTER_PATH + "/maintenancemanifests", operation_id="putAdminMaintManifestCreate", status_code=201,
                responses=_responses(201, schema.MaintenanceManifest, 400, 404, 415, 500),
                openapi_extra=_json_body(schema.MaintenanceManifest))
    async def create_manifest(
        request: Request, subscriptionId: str, resourceGroupName: str, resourceProviderNamespace: str,
        resourceType: str, resourceName: str,
    ) -> Response:
        """Create a Pending manifest (refused with 404 for a cluster that is being deleted)."""
        rid, data = await gate(
            request, (subscriptionId, resourceGroupName, resourceProviderNamespace, resourceType, resourceName), body=True
        )
        return await call(service.create_manifest, rid, data)

    @router.get(CLUSTER_PATH + "/maintenancemanifests/{manifestId}", operation_id="getSingleAdminMaintManifest",
                responses=_responses(200, schema.MaintenanceManifest, 400, 404))
    async def get_manifest(
        request: Request, subscriptionId: str, resourceGroupName: str, resourceProviderNamespace: str,
        resourceType: str, resourceName: str, manifestId: str,
    ) -> Response:
        """One manifest of the cluster."""
        rid, _ = await gate(request, (subscriptionId, resourceGroupName, resourceProviderNamespace, resourceType, resourceName))
        return await call(service.get_manifest, rid, manifestId)

    @router.delete(CLUSTER_PATH + "/maintenancemanifests/{manifestId}", operation_id="deleteAdminMaintManifest",
                   responses=_responses(200, dict, 400, 404))
    async def delete_manifest(
        request: Request, subscriptionId: str, resourceGroupName: str, resourceProviderNamespace: str,
        resourceType: str, resourceName: str, manifestId: str,
    ) -> Response:
        """Delete a manifest (the cluster need not exist any more); answers ``{}``."""
        rid, _ = await gate(request, (subscriptionId, resourceGroupName, resourceProviderNamespace, resourceType, resourceName))
        return await call(service.delete_manifest, rid, manifestId)

    @router.post(CLUSTER_PATH + "/maintenancemanifests/{manifestId}/cancel", operation_id="postAdminMaintManifestCancel",
                 responses=_responses(200, schema.MaintenanceManifest, 400, 404, 406, 415))
    async def cancel_manifest(
        request: Request, subscriptionId: str, resourceGroupName: str, resourceProviderNamespace: str,
        resourceType: str, resourceName: str, manifestId: str,
    ) -> Response:
        """Cancel a Pending manifest; 406 PropertyChangeNotAllowed in any other state."""
        rid, _ = await gate(
            request, (subscriptionId, resourceGroupName, resourceProviderNamespace, resourceType, resourceName), body=True
        )
        return await call(service.cancel_manifest, rid, manifestId)

    @router.get(CLUSTER_PATH + "/selectors", operation_id="getAdminOpenShiftClusterSelectors",
                responses=_responses(200, dict[str, str], 400, 404))
    async def selectors(
        request: Request, subscriptionId: str, resourceGroupName: str, resourceProviderNamespace: str,
        resourceType: str, resourceName: str,
    ) -> Response:
        """The values a schedule's selectors compare against for this cluster."""
        rid, _ = await gate(request, (subscriptionId, resourceGroupName, resourceProviderNamespace, resourceType, resourceName))
        return await call(service.selectors, rid, resourceType, resourceName, resourceGroupName, compact=True)

    # -- all manifests ---------------------------------------------------------------------------
    @router.get("/admin/maintenancemanifests/queued", operation_id="getAdminQueuedMaintManifests",
                responses=_responses(200, schema.MaintenanceManifestList, 500))
    async def queued(
        request: Request,
        limit: str | None = Query(None, description="page size; not an integer: 100"),
        skip_token: str | None = Query(None, alias="$skipToken"),
    ) -> Response:
        """Pending manifests of every cluster whose lease is free."""
        await gate(request)
        return await call(service.queued_manifests, limit, skip_token, _base_url(request))

    @router.post("/admin/maintenancemanifests/cancel", operation_id="postAdminMaintManifestCancelBatch",
                 responses=_responses(200, schema.CancelBatchResult, 400, 415))
    async def cancel_batch(
        request: Request, scheduleID: str | None = Query(None, description="the schedule whose future Pending manifests to cancel"),
    ) -> Response:
        """Cancel a schedule's Pending manifests whose runAfter is still ahead."""
        await gate(request, body=True)
        return await call(service.cancel_schedule_manifests, scheduleID)

    # -- schedules -------------------------------------------------------------------------------
    @router.put("/admin/maintenanceschedules", operation_id="putAdminMaintScheduleCreate",
                responses={**_responses(200, schema.MaintenanceSchedule, 400, 415, 500),
                           201: {"model": schema.MaintenanceSchedule, "description": "Created"}},
                openapi_extra=_json_body(schema.MaintenanceSchedule))
    async def put_schedule(request: Request) -> Response:
        """Create (201) or replace (200) a schedule; its maintenanceTaskID cannot change."""
        _, data = await gate(request, body=True)
        return await call(service.put_schedule, data)

    @router.get("/admin/maintenanceschedules", operation_id="getAdminMaintSchedules",
                responses=_responses(200, schema.MaintenanceScheduleList, 500))
    async def list_schedules(
        request: Request,
        limit: str | None = Query(None, description="page size; not an integer: 100"),
        skip_token: str | None = Query(None, alias="$skipToken"),
    ) -> Response:
        """Every schedule, a page at a time."""
        await gate(request)
        return await call(service.list_schedules, limit, skip_token, _base_url(request))

    @router.get("/admin/maintenanceschedules/{scheduleId}", operation_id="getAdminMaintSchedule",
                responses=_responses(200, schema.MaintenanceSchedule, 404))
    async def get_schedule(request: Request, scheduleId: str) -> Response:
        """One schedule."""
        await gate(request)
        return await call(service.get_schedule, scheduleId)

    return router
