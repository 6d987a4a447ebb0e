"""The admin API's wire shapes for its OpenAPI document (``pkg/api/admin/mimo.go``).

These models only describe the documents; the handlers read and write them
with :mod:`mimo.adminapi.wire`, which follows Go's ``encoding/json``. Fields
that are empty are left out of responses (Go's ``omitempty``).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

__all__ = [
    "MaintenanceManifest",
    "MaintenanceManifestList",
    "MaintenanceSchedule",
    "MaintenanceScheduleList",
    "MaintenanceScheduleSelector",
    "CancelBatchResult",
    "CloudError",
    "CloudErrorBody",
]

ManifestState = Literal["Pending", "InProgress", "Completed", "Failed", "RetriesExceeded", "TimedOut", "Cancelled"]


class MaintenanceManifest(BaseModel):
    id: str | None = None
    clusterResourceID: str | None = Field(None, description="left out when listed under its cluster")
    state: ManifestState | None = None
    statusText: str | None = None
    maintenanceTaskID: str | None = None
    createdBySchedule: str | None = None
    priority: int | None = Field(None, description="lower runs first")
    runAfter: int | None = Field(None, description="Unix seconds; default now")
    runBefore: int | None = Field(None, description="Unix seconds; default now + 7 days")


class MaintenanceManifestList(BaseModel):
    value: list[MaintenanceManifest]
    nextLink: str | None = Field(None, description="the next page; left out on the last")


class MaintenanceScheduleSelector(BaseModel):
    key: str | None = None
    operator: Literal["eq", "in", "notin"] | None = None
    value: str | None = None
    values: list[str] | None = None


class MaintenanceSchedule(BaseModel):
    id: str | None = Field(None, description="given: replaced if it exists (200), else created with it (201)")
    state: Literal["Enabled", "Disabled"] | None = None
    maintenanceTaskID: str | None = Field(None, description="cannot change once created")
    schedule: str | None = Field(None, description="calendar expression")
    lookForwardCount: int | None = None
    scheduleAcross: str | None = Field(None, description="Go duration")
    selectors: list[MaintenanceScheduleSelector] | None = None


class MaintenanceScheduleList(BaseModel):
    value: list[MaintenanceSchedule]
    nextLink: str | None = None


class CancelBatchResult(BaseModel):
    cancelled: int
    errors: int


class CloudErrorBody(BaseModel):
    code: str | None = None
    message: str | None = None
    target: str | None = None


class CloudError(BaseModel):
    error: CloudErrorBody
