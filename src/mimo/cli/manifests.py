"""``mimo manifests create|list|show|cancel|delete``."""

from __future__ import annotations

import time

import click

from mimo.api import (
    MANIFEST_STATES,
    SEVEN_DAYS,
    DocumentError,
    MaintenanceManifest,
    normalize_resource_id,
)
from mimo.cli import remote
from mimo.cli.common import (
    Int64,
    fail,
    fmt_time,
    load_cli_tasks,
    open_cli_store,
    parse_time,
    print_fields,
    print_json,
    print_table,
    require_uuid,
)
from mimo.inputs import MAX_UNIX_TIME
from mimo.store.base import StoreAlreadyExists, StoreNotFound

__all__ = ["manifests"]


def _task_id(value: str, *, registered: bool = True) -> str:
    """A registered task's UUID, given as the UUID or as its constant name (``TLS_CERT_ROTATION_ID``).

    ``registered=False`` (``--api``): the server checks its own registry."""
    from mimo import const

    v = value.strip()
    if v.upper() in const.ALL_TASK_IDS:
        v = const.ALL_TASK_IDS[v.upper()]
    v = require_uuid(v, "--task")
    if registered and v not in load_cli_tasks():
        fail(f"--task: {v} is not a registered task (see `mimo tasks`)")
    return v


def _row(m: MaintenanceManifest) -> list[object]:
    return [
        m.id, m.cluster_resource_id.rsplit("/", 1)[-1], m.maintenance_task_id, m.state, m.priority,
        fmt_time(m.run_after), fmt_time(m.run_before), m.dequeues, m.status_text,
    ]


_COLUMNS = ("id", "cluster", "task", "state", "priority", "runAfter", "runBefore", "dequeues", "statusText")


@click.group("manifests")
def manifests() -> None:
    """Create, inspect and cancel maintenance manifests."""


@manifests.command("create")
@click.option("--cluster", "cluster", required=True, help="cluster resource ID")
@click.option("--task", "task", required=True, help="task ID (UUID) or its constant name")
@click.option("--priority", type=Int64(), default=0, show_default=True, help="lower runs first")
@click.option("--run-after", default="now", show_default=True, help="now, +90m, Unix seconds or RFC 3339")
@click.option("--run-before", default=None, help="default: now + 7 days (as Go's admin API)")
@click.option("--id", "manifest_id", default=None, help="manifest UUID (default: a new one)")
@click.option("--json", "as_json", is_flag=True)
def manifests_create(
    cluster: str, task: str, priority: int, run_after: str, run_before: str | None, manifest_id: str | None,
    as_json: bool,
) -> None:
    """Create a Pending manifest; prints its ID."""
    try:
        rid = normalize_resource_id(cluster, name="--cluster")
    except DocumentError as e:
        fail(str(e))
    client = remote.api_client()
    task_id = _task_id(task, registered=client is None)
    now = int(time.time())
    ra = parse_time(run_after, "--run-after", now=now)
    rb = parse_time(run_before, "--run-before", now=now) if run_before is not None else None
    if rb is not None and rb < ra:
        fail(f"--run-before: {fmt_time(rb)} is before --run-after {fmt_time(ra)}")
    if rb is None and ra > now + SEVEN_DAYS:
        fail(f"--run-before: the default, now + 7 days, is before --run-after {fmt_time(ra)}; give --run-before")
    mid = require_uuid(manifest_id, "--id") if manifest_id is not None else None
    if client is not None:
        if mid is not None:
            fail("--id: not with --api (the admin API chooses a new manifest's ID)")
        body = {"maintenanceTaskID": task_id, "priority": priority, "runAfter": ra,
                "runBefore": rb if rb is not None else now + SEVEN_DAYS}
        with remote.calling():
            made = client.create_manifest(rid, body)
        if as_json:
            print_json(made)
        else:
            click.echo(made.get("id", ""))
        return
    try:
        m = MaintenanceManifest.new(rid, task_id, now=now, run_after=ra, run_before=rb, priority=priority, id=mid)
    except DocumentError as e:
        fail(str(e))
    if m.run_before > MAX_UNIX_TIME:
        fail(f"--run-before: now + 7 days is after the end of year 9999 ({m.run_before})")
    try:
        open_cli_store(write=False).get_cluster(rid)
    except StoreNotFound:
        fail(f"--cluster: cluster {rid} is not registered (see `mimo clusters add`)")
    store = open_cli_store()
    try:
        m = store.create_manifest(m)
    except DocumentError as e:
        fail(str(e))
    except StoreAlreadyExists as e:
        fail(f"--id: {e}")
    if as_json:
        print_json(m.to_dict())
    else:
        click.echo(m.id)


@manifests.command("list")
@click.option("--cluster", default=None, help="only this cluster's")
@click.option("--schedule", default=None, help="only those created by this schedule")
@click.option("--state", "states", multiple=True, type=click.Choice(MANIFEST_STATES), help="repeatable")
@click.option("--json", "as_json", is_flag=True)
def manifests_list(cluster: str | None, schedule: str | None, states: tuple[str, ...], as_json: bool) -> None:
    """List manifests, sorted by runAfter then priority."""
    rid = None
    if cluster is not None:
        try:
            rid = normalize_resource_id(cluster, name="--cluster")
        except DocumentError as e:
            fail(str(e))
    sid = require_uuid(schedule, "--schedule") if schedule is not None else None
    client = remote.api_client()
    if client is not None:
        if rid is None:
            fail("--cluster: needed with --api (the admin API lists manifests per cluster; "
                 "`mimo manifests queued` lists every cluster's queue)")
        with remote.calling():
            listed = client.list_manifests(rid)
        listed = [m for m in listed if (sid is None or m.get("createdBySchedule") == sid)
                  and (not states or m.get("state") in states)]
        remote.show_manifests(listed, as_json, rid)
        return
    found = open_cli_store(write=False).list_manifests(cluster_resource_id=rid, schedule_id=sid, states=states or None)
    if as_json:
        print_json([m.to_dict() for m in found])
        return
    print_table(f"{len(found)} manifests", _COLUMNS, [_row(m) for m in found])


def _get(manifest_id: str, cluster: str | None = None) -> MaintenanceManifest:
    mid = require_uuid(manifest_id, "MANIFEST")
    try:
        m = open_cli_store(write=False).get_manifest(mid)
    except StoreNotFound as e:
        fail(f"MANIFEST: {e}")
    if cluster is not None and m.cluster_resource_id != cluster:
        fail(f"MANIFEST: manifest {mid} is not one of cluster {cluster}'s")
    return m


def _cluster_option(cluster: str | None, *, needed: bool) -> str | None:
    """``--cluster`` of show/cancel/delete: needed with ``--api`` (the API keys manifests by cluster)."""
    if cluster is None:
        if needed:
            fail("--cluster: needed with --api (the admin API keys manifests by cluster)")
        return None
    try:
        return normalize_resource_id(cluster, name="--cluster")
    except DocumentError as e:
        fail(str(e))


_CLUSTER_HELP = "the manifest's cluster resource ID (needed with --api)"


@manifests.command("show")
@click.argument("manifest_id", metavar="MANIFEST")
@click.option("--cluster", default=None, help=_CLUSTER_HELP)
@click.option("--json", "as_json", is_flag=True)
def manifests_show(manifest_id: str, cluster: str | None, as_json: bool) -> None:
    """Show one manifest."""
    client = remote.api_client()
    rid = _cluster_option(cluster, needed=client is not None)
    if client is not None:
        assert rid is not None
        with remote.calling():
            remote.show_manifest(client.get_manifest(rid, require_uuid(manifest_id, "MANIFEST")), as_json)
        return
    m = _get(manifest_id, rid)
    if as_json:
        print_json(m.to_dict())
        return
    d = m.to_dict()
    for k in ("runAfter", "runBefore", "leaseExpires"):
        d[k] = f"{d[k]} ({fmt_time(d[k])})" if d[k] else d[k]
    print_fields(f"manifest {m.id}", d)


@manifests.command("cancel")
@click.argument("manifest_id", metavar="[MANIFEST]", required=False)
@click.option("--schedule", default=None, help="cancel every Pending manifest of this schedule")
@click.option("--cluster", default=None, help=_CLUSTER_HELP)
@click.option("--json", "as_json", is_flag=True)
def manifests_cancel(manifest_id: str | None, schedule: str | None, cluster: str | None, as_json: bool) -> None:
    """Cancel a Pending manifest, or all Pending manifests of one schedule.

    With --api, --schedule cancels the schedule's Pending manifests whose
    runAfter is still ahead (the Go admin API's batch cancel)."""
    if (manifest_id is None) == (schedule is None):
        fail("give a MANIFEST ID or --schedule ID (one of them)")
    client = remote.api_client()
    if client is not None:
        if schedule is not None:
            sid = require_uuid(schedule, "--schedule")
            with remote.calling():
                counts = client.cancel_schedule_manifests(sid)
            if as_json:
                print_json(counts)
            else:
                click.echo(f"cancelled {counts.get('cancelled', 0)} manifest(s) of schedule {sid}"
                           f" ({counts.get('errors', 0)} error(s))")
            return
        rid = _cluster_option(cluster, needed=True)
        assert rid is not None and manifest_id is not None
        with remote.calling():
            done = client.cancel_manifest(rid, require_uuid(manifest_id, "MANIFEST"))
        if as_json:
            print_json(done)
        else:
            click.echo(f"cancelled manifest {done.get('id', '')}")
        return
    if schedule is not None:
        sid = require_uuid(schedule, "--schedule")
        # a store that does not exist yet has nothing to cancel: it is not created for that
        ids = open_cli_store(write=False).cancel_schedule_manifests(sid)
        if as_json:
            print_json({"cancelled": ids})
        else:
            click.echo(f"cancelled {len(ids)} manifest(s) of schedule {sid}")
        return
    assert manifest_id is not None
    m = _get(manifest_id, _cluster_option(cluster, needed=False))
    store = open_cli_store()
    if not store.cancel_manifest(m.id):
        fail(f"MANIFEST: cannot cancel manifest {m.id} in state {store.get_manifest(m.id).state} (only Pending)")
    if as_json:
        print_json(store.get_manifest(m.id).to_dict())
    else:
        click.echo(f"cancelled manifest {m.id}")


@manifests.command("delete")
@click.argument("manifest_id", metavar="MANIFEST")
@click.option("--cluster", default=None, help=_CLUSTER_HELP)
def manifests_delete(manifest_id: str, cluster: str | None) -> None:
    """Delete a manifest from the store."""
    client = remote.api_client()
    rid = _cluster_option(cluster, needed=client is not None)
    if client is not None:
        assert rid is not None
        mid = require_uuid(manifest_id, "MANIFEST")
        with remote.calling():
            client.delete_manifest(rid, mid)
        click.echo(f"deleted manifest {mid}")
        return
    m = _get(manifest_id, rid)
    try:
        open_cli_store().delete_manifest(m.id)
    except StoreNotFound as e:
        fail(f"MANIFEST: {e}")
    click.echo(f"deleted manifest {m.id}")


@manifests.command("queued")
@click.option("--json", "as_json", is_flag=True)
def manifests_queued(as_json: bool) -> None:
    """Every cluster's Pending manifests whose lease is free (the Go admin API's queue)."""
    client = remote.api_client()
    if client is not None:
        with remote.calling():
            remote.show_manifests(client.queued_manifests(), as_json)
        return
    now = int(time.time())
    found = [m for m in open_cli_store(write=False).list_manifests(states=["Pending"]) if m.lease_expires < now]
    if as_json:
        print_json([m.to_dict() for m in found])
        return
    print_table(f"{len(found)} manifests", _COLUMNS, [_row(m) for m in found])
