"""What each admin endpoint does, over any :class:`~mimo.store.base.Store`.

One method per Go handler in ``pkg/frontend`` of Azure/ARO-RP (named in each
docstring); each takes already-routed inputs and returns ``(status, body)``,
or raises :class:`~mimo.adminapi.errors.CloudError` with the Go handler's
status, code, target and message. Nothing here knows HTTP; the routes do.

Bad input is refused before anything is written. Where our documents are
stricter than Go's (IDs must be UUIDs, ``runBefore`` not before ``runAfter``,
the task must be registered when the service is given a task registry), the
refusal is a 400 ``InvalidParameter`` whose target names the field.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from mimo.adminapi import errors as E
from mimo.adminapi.errors import CloudError
from mimo.adminapi.paging import SkipTokens, next_link, page, parse_limit
from mimo.adminapi.wire import (
    MANIFEST_FIELDS,
    SCHEDULE_FIELDS,
    decode_body,
    manifest_out,
    schedule_out,
)
from mimo.api import (
    DocumentError,
    MaintenanceManifest,
    MaintenanceSchedule,
    ManifestState,
    OpenShiftClusterDocument,
    Selector,
)
from mimo.store.base import Store, StoreNotFound

__all__ = ["AdminService", "Reply", "SEVEN_DAYS"]

Reply = tuple[int, Any]
SEVEN_DAYS = 7 * 24 * 3600
_SELECTOR_OPS = ("eq", "in", "notin")


def _field_error(e: Exception) -> CloudError:
    """Our document error (``"field: why"``) as Go's 400 InvalidParameter on that field."""
    text = str(e)
    target, sep, message = text.partition(": ")
    if not sep:
        target, message = "", text
    target = target.split(" ", 1)[0]
    return CloudError(400, E.INVALID_PARAMETER, target, message)


def _manifest_key(m: MaintenanceManifest) -> list[Any]:
    return [m.run_after, m.priority, m.id]


class AdminService:
    """The admin API's behaviour; ``now`` returns Unix seconds (a clock the tests pin)."""

    def __init__(
        self,
        store: Store,
        *,
        tasks: Mapping[str, Any] | None = None,
        skip_tokens: SkipTokens | None = None,
        now: Callable[[], int] | None = None,
        domain_suffix: str = "",
    ) -> None:
        self.store = store
        self.tasks = tasks
        self.tokens = skip_tokens or SkipTokens()
        self.now = now or (lambda: int(time.time()))
        self.domain_suffix = domain_suffix

    # -- helpers -----------------------------------------------------------------------------
    def _cluster(self, rid: str) -> OpenShiftClusterDocument:
        """The checks every manifest handler but delete starts with."""
        try:
            doc = self.store.get_cluster(rid)
        except (StoreNotFound, DocumentError) as e:
            raise CloudError(404, E.NOT_FOUND, "", f"cluster not found: {e}") from None
        if doc.properties.provisioning_state == "Deleting":
            raise CloudError(404, E.NOT_FOUND, "", "cluster being deleted")
        return doc

    def _manifest_of(self, rid: str, manifest_id: str) -> MaintenanceManifest:
        """A manifest in the cluster's partition (Go keys manifests by cluster)."""
        try:
            m = self.store.get_manifest(manifest_id)
        except (StoreNotFound, DocumentError) as e:
            raise CloudError(404, E.NOT_FOUND, "", f"manifest not found: {e}") from None
        if m.cluster_resource_id != rid:
            raise CloudError(
                404, E.NOT_FOUND, "", f"manifest not found: manifest {manifest_id!r} not found in cluster {rid}"
            )
        return m

    def _check_task(self, task_id: str) -> None:
        if self.tasks is not None and task_id not in self.tasks:
            raise CloudError(400, E.INVALID_PARAMETER, "maintenanceTaskID", f"{task_id} is not a registered task")

    def _list(self, items: list[Any], key: Callable[[Any], Any], limit_raw: str | None, skip_token: str | None,
              base_url: str, out: Callable[[Any], dict[str, Any]]) -> Reply:
        limit = parse_limit(limit_raw)
        after = self.tokens.open(skip_token) if skip_token else None
        chunk, cont = page(items, key, limit, after)
        body: dict[str, Any] = {"value": [out(x) for x in chunk]}
        link = next_link(base_url, self.tokens.seal(cont) if cont is not None else None)
        if link:
            body["nextLink"] = link
        return 200, body

    # -- manifests ---------------------------------------------------------------------------
    def list_manifests(self, rid: str, limit: str | None, skip_token: str | None, base_url: str) -> Reply:
        """``getAdminMaintManifests`` (admin_mimo_manifest_list.go)."""
        self._cluster(rid)
        items = self.store.list_manifests(cluster_resource_id=rid)
        return self._list(items, _manifest_key, limit, skip_token, base_url,
                          lambda m: manifest_out(m, cluster_namespaced=True))

    def queued_manifests(self, limit: str | None, skip_token: str | None, base_url: str) -> Reply:
        """``getAdminQueuedMaintManifests`` (admin_mimo_manifest_queued.go): ``Pending`` with a free lease."""
        now = self.now()
        items = [m for m in self.store.list_manifests(states=[ManifestState.PENDING]) if m.lease_expires < now]
        return self._list(items, _manifest_key, limit, skip_token, base_url,
                          lambda m: manifest_out(m, cluster_namespaced=False))

    def create_manifest(self, rid: str, body: bytes) -> Reply:
        """``putAdminMaintManifestCreate`` (admin_mimo_manifest_create.go): 201 and the manifest."""
        self._cluster(rid)
        ext = decode_body(body, MANIFEST_FIELDS, "MaintenanceManifest")
        now = self.now()
        run_after = ext["runAfter"] or now
        run_before = ext["runBefore"] or now + SEVEN_DAYS
        if not ext["maintenanceTaskID"]:
            raise CloudError(400, E.INVALID_PARAMETER, "maintenanceTaskID", "Must be provided")
        try:
            m = MaintenanceManifest(
                id=str(uuid.uuid4()),
                cluster_resource_id=rid,
                maintenance_task_id=ext["maintenanceTaskID"],
                run_after=run_after,
                run_before=run_before,
                state=ManifestState.PENDING,
                status_text=ext["statusText"],
                priority=ext["priority"],
                created_by_schedule=ext["createdBySchedule"],
            )
        except DocumentError as e:
            raise _field_error(e) from None
        self._check_task(m.maintenance_task_id)
        try:
            saved = self.store.create_manifest(m)
        except Exception as e:
            raise CloudError.internal(str(e)) from None
        return 201, manifest_out(saved, cluster_namespaced=True)

    def get_manifest(self, rid: str, manifest_id: str) -> Reply:
        """``getSingleAdminMaintManifest`` (admin_mimo_manifest_get.go)."""
        self._cluster(rid)
        return 200, manifest_out(self._manifest_of(rid, manifest_id), cluster_namespaced=True)

    def delete_manifest(self, rid: str, manifest_id: str) -> Reply:
        """``deleteAdminMaintManifest`` (admin_mimo_manifest_delete.go): no cluster check; 200 ``{}``."""
        m = self._manifest_of(rid, manifest_id)
        try:
            self.store.delete_manifest(m.id)
        except StoreNotFound as e:
            raise CloudError(404, E.NOT_FOUND, "", f"manifest not found: {e}") from None
        return 200, {}

    def cancel_manifest(self, rid: str, manifest_id: str) -> Reply:
        """``postAdminMaintManifestCancel`` (admin_mimo_manifest_cancel.go): ``Pending`` only, else 406."""
        self._cluster(rid)
        m = self._manifest_of(rid, manifest_id)
        if not self.store.cancel_manifest(m.id):
            state = self.store.get_manifest(m.id).state
            raise CloudError(406, E.PROPERTY_CHANGE_NOT_ALLOWED, "", f"cannot cancel task in state {state}")
        return 200, manifest_out(self.store.get_manifest(m.id), cluster_namespaced=True)

    def cancel_schedule_manifests(self, schedule_id: str | None) -> Reply:
        """``postAdminMaintManifestCancelBatch``: the schedule's future ``Pending`` manifests.

        As in Go, a manifest another writer moved out of ``Pending`` first still
        counts as cancelled (the Go mutator returns without error), and one that
        vanished counts as an error.
        """
        if not schedule_id:
            raise CloudError(400, E.INVALID_PARAMETER, "scheduleID", "Parameter is missing")
        now = self.now()
        cancelled = failed = 0
        for m in self.store.list_manifests(schedule_id=schedule_id, states=[ManifestState.PENDING]):
            if m.run_after <= now:
                continue
            try:
                self.store.cancel_manifest(m.id)
                cancelled += 1
            except Exception:
                failed += 1
        return 200, {"cancelled": cancelled, "errors": failed}

    # -- schedules ---------------------------------------------------------------------------
    def list_schedules(self, limit: str | None, skip_token: str | None, base_url: str) -> Reply:
        """``getAdminMaintSchedules`` (admin_mimo_schedule_list.go)."""
        return self._list(self.store.list_schedules(), lambda s: s.id, limit, skip_token, base_url, schedule_out)

    def get_schedule(self, schedule_id: str) -> Reply:
        """``getAdminMaintSchedule`` (admin_mimo_schedule_get.go)."""
        try:
            s = self.store.get_schedule(schedule_id)
        except (StoreNotFound, DocumentError) as e:
            raise CloudError(404, E.NOT_FOUND, "", f"schedule '{schedule_id}' not found: {e}") from None
        return 200, schedule_out(s)

    def put_schedule(self, body: bytes) -> Reply:
        """``putAdminMaintScheduleCreate`` (admin_mimo_schedule_put.go): 201 created, 200 replaced.

        Go's checks in Go's order (``maintenanceScheduleStaticValidator``), then
        ``maintenanceTaskID`` immutable on replace (PropertyChangeNotAllowed),
        then the calendar; then ours (the document rules, the selector keys,
        the task registered).
        """
        ext = decode_body(body, SCHEDULE_FIELDS, "MaintenanceSchedule")
        current: MaintenanceSchedule | None = None
        if ext["id"]:
            try:
                current = self.store.get_schedule(ext["id"])
            except (StoreNotFound, DocumentError):
                current = None
            except Exception as e:
                raise CloudError.internal("Failure fetching existing schedule: " + str(e)) from None
        else:
            ext["id"] = str(uuid.uuid4())
        _go_validate_schedule(ext)
        from mimo.scheduler.validation import TASK_CHANGE_NOT_ALLOWED

        if current is not None and ext["maintenanceTaskID"] != current.maintenance_task_id:
            raise CloudError(
                400, E.PROPERTY_CHANGE_NOT_ALLOWED, "maintenanceTaskID",
                TASK_CHANGE_NOT_ALLOWED,
            )
        from mimo.scheduler.calendar import Calendar

        try:
            Calendar.parse(ext["schedule"])
        except ValueError as e:
            raise CloudError(400, E.INVALID_PARAMETER, "schedule", str(e)) from None
        schedule = _schedule_from(ext)
        self._check_task(schedule.maintenance_task_id)
        try:
            self.store.put_schedule(schedule)
        except Exception as e:
            raise CloudError.internal(str(e)) from None
        return (200 if current is not None else 201), schedule_out(self.store.get_schedule(schedule.id))

    # -- clusters ----------------------------------------------------------------------------
    def selectors(self, rid: str, resource_type: str, resource_name: str, resource_group: str) -> Reply:
        """``getAdminOpenShiftClusterSelectors`` (admin_openshiftcluster_mimo_selectors.go)."""
        try:
            doc = self.store.get_cluster(rid)
        except (StoreNotFound, DocumentError):
            raise CloudError(
                404, E.RESOURCE_NOT_FOUND, "",
                f"The Resource '{resource_type}/{resource_name}' under resource group '{resource_group}' was not found.",
            ) from None
        try:
            sub = self.store.get_subscription(doc.subscription_id)
        except StoreNotFound:
            raise CloudError(
                404, E.RESOURCE_NOT_FOUND, "", f"The subscription ID '{doc.subscription_id}' was not found."
            ) from None
        from mimo.scheduler import cluster_selector_values

        values = cluster_selector_values(doc, sub, domain_suffix=self.domain_suffix)
        return 200, dict(sorted(values.items()))


def _go_validate_schedule(ext: dict[str, Any]) -> None:
    """``maintenanceScheduleStaticValidator.validate``, check for check."""
    from mimo.adminapi.goduration import duration_error

    def bad(target: str, message: str) -> CloudError:
        return CloudError(400, E.INVALID_PARAMETER, target, message)

    if not ext["maintenanceTaskID"]:
        raise bad("maintenanceTaskID", "Must be provided")
    if ext["lookForwardCount"] < 0:
        raise bad("LookForwardCount", "Must be above 0")
    if not ext["schedule"]:
        raise bad("schedule", "Must be provided")
    if not ext["scheduleAcross"]:
        raise bad("scheduleAcross", "Must be provided")
    why = duration_error(ext["scheduleAcross"])
    if why is not None:
        raise bad("scheduleAcross", f"Must be a valid time.Duration: {why}")
    selectors = ext["selectors"] or []
    if not selectors:
        raise bad("selectors", "Must be provided")
    ops = ", ".join(f"'{o}'" for o in _SELECTOR_OPS)
    for i, s in enumerate(selectors):
        if s is None:  # a JSON null in the list: Go dereferences a nil pointer here
            raise CloudError.internal()
        op = s["operator"]
        if op not in _SELECTOR_OPS:
            raise bad(f"selectors[{i}].operator", f"Must be one of [{ops}]")
        if op in ("in", "notin"):
            if not s["values"]:
                raise bad(f"selectors[{i}].values", f"Must be provided for operator type '{op}'")
            if s["value"]:
                raise bad(f"selectors[{i}].value", f"Must not be provided for operator type '{op}'")
        else:
            if not s["value"]:
                raise bad(f"selectors[{i}].value", f"Must be provided for operator type '{op}'")
            if s["values"]:
                raise bad(f"selectors[{i}].values", f"Must not be provided for operator type '{op}'")


def _schedule_from(ext: dict[str, Any]) -> MaintenanceSchedule:
    """Our document from the Go-decoded fields; its refusals name the field (400 InvalidParameter).

    ``lookForwardCount`` 0 (or absent) is stored as 1: the Go scheduler makes
    one period for both. ``state`` absent is ``Enabled``, as ``mimo schedules put`` has it.
    """
    from mimo.scheduler.selectors import SelectorError
    from mimo.scheduler.selectors import validate as validate_selectors

    try:
        selectors = [
            Selector(
                key=s["key"], operator=s["operator"],
                value=s["value"] if s["operator"] == "eq" else None,
                values=list(s["values"]) if s["operator"] != "eq" else None,
            )
            for s in ext["selectors"]
        ]
        schedule = MaintenanceSchedule(
            id=ext["id"],
            maintenance_task_id=ext["maintenanceTaskID"],
            schedule=ext["schedule"],
            selectors=selectors,
            state=ext["state"] or "Enabled",
            look_forward_count=ext["lookForwardCount"] or 1,
            schedule_across=ext["scheduleAcross"],
        )
    except DocumentError as e:
        raise _field_error(e) from None
    try:
        validate_selectors(schedule.selectors)
    except SelectorError as e:
        target = "selectors" if e.index is None else f"selectors[{e.index}].key"
        raise CloudError(400, E.INVALID_PARAMETER, target, str(e)) from None
    return schedule
