"""The checked-in OpenAPI document is the one the app serves."""

from __future__ import annotations

import json
from pathlib import Path

from mimo.adminapi.openapi import DEFAULT_PATH, document, render

from .helpers import AUTH

ROOT = Path(__file__).resolve().parents[3]


def test_checked_in_document_matches_the_app():
    checked_in = (ROOT / DEFAULT_PATH).read_text(encoding="utf-8")
    assert checked_in == render(document()), (
        f"{DEFAULT_PATH} is stale: regenerate it with `python -m mimo.adminapi.openapi`"
    )


def test_the_app_serves_it_with_go_paths_and_operations(client):
    served = client.get("/openapi.json", headers=AUTH).json()
    assert served == json.loads((ROOT / DEFAULT_PATH).read_text(encoding="utf-8"))
    ops = {op["operationId"]: (method.upper(), path) for path, item in served["paths"].items() for method, op in item.items()}
    cluster = (
        "/admin/subscriptions/{subscriptionId}/resourcegroups/{resourceGroupName}/providers/"
        "{resourceProviderNamespace}/{resourceType}/{resourceName}"
    )
    # the Go handler names and routes of pkg/frontend/frontend.go
    assert ops["getAdminMaintManifests"] == ("GET", cluster + "/maintenancemanifests")
    assert ops["putAdminMaintManifestCreate"] == ("PUT", cluster + "/maintenancemanifests")
    assert ops["getSingleAdminMaintManifest"] == ("GET", cluster + "/maintenancemanifests/{manifestId}")
    assert ops["deleteAdminMaintManifest"] == ("DELETE", cluster + "/maintenancemanifests/{manifestId}")
    assert ops["postAdminMaintManifestCancel"] == ("POST", cluster + "/maintenancemanifests/{manifestId}/cancel")
    assert ops["getAdminOpenShiftClusterSelectors"] == ("GET", cluster + "/selectors")
    assert ops["getAdminQueuedMaintManifests"] == ("GET", "/admin/maintenancemanifests/queued")
    assert ops["postAdminMaintManifestCancelBatch"] == ("POST", "/admin/maintenancemanifests/cancel")
    assert ops["putAdminMaintScheduleCreate"] == ("PUT", "/admin/maintenanceschedules")
    assert ops["getAdminMaintSchedules"] == ("GET", "/admin/maintenanceschedules")
    assert ops["getAdminMaintSchedule"] == ("GET", "/admin/maintenanceschedules/{scheduleId}")
    params = {p["name"] for p in served["paths"][cluster + "/maintenancemanifests"]["get"]["parameters"]}
    assert {"limit", "$skipToken"} <= params
