"""``mimo schedules put FILE|list|show``."""

from __future__ import annotations

import json

import click

from mimo import inputs
from mimo.api import DocumentError, MaintenanceSchedule
from mimo.cli import remote
from mimo.cli.common import (
    fail,
    load_cli_tasks,
    open_cli_store,
    print_fields,
    print_json,
    print_table,
    require_uuid,
)
from mimo.store.base import StoreNotFound

__all__ = ["schedules"]


@click.group("schedules")
def schedules() -> None:
    """Put and inspect maintenance schedules."""


@schedules.command("put")
@click.argument("path", metavar="FILE", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True)
def schedules_put(path: str, as_json: bool) -> None:
    """Create or replace a schedule from a JSON FILE (validated first; nothing written when invalid)."""
    data = inputs.read_file(path, "FILE", max_bytes=inputs.MAX_DOCUMENT_BYTES)
    raw = inputs.parse_json(data, f"FILE {path}")
    try:
        schedule = MaintenanceSchedule.from_dict(raw)
    except DocumentError as e:
        fail(str(e))
    inputs.check_int(schedule.look_forward_count, "lookForwardCount", minimum=1,
                     maximum=inputs.MAX_LOOK_FORWARD_COUNT)
    inputs.parse_duration(schedule.schedule_across, "scheduleAcross", maximum=inputs.MAX_SCHEDULE_ACROSS)
    from mimo.scheduler import validate_schedule

    client = remote.api_client()
    try:
        # with --api the server checks the task against its own registry
        validate_schedule(schedule, load_cli_tasks() if client is None else None)
    except ValueError as e:
        fail(str(e))
    if client is not None:
        with remote.calling():
            _, put = client.put_schedule(schedule.to_dict())
        if as_json:
            print_json(put)
        else:
            click.echo(put.get("id", schedule.id))
        return
    store = open_cli_store()
    try:
        current = store.get_schedule(schedule.id)
    except (StoreNotFound, DocumentError):
        current = None
    from mimo.scheduler import check_schedule_change

    try:
        check_schedule_change(schedule, current)  # Go's PropertyChangeNotAllowed
    except ValueError as e:
        fail(str(e))
    store.put_schedule(schedule)
    if as_json:
        print_json(schedule.to_dict())
    else:
        click.echo(schedule.id)


@schedules.command("list")
@click.option("--json", "as_json", is_flag=True)
def schedules_list(as_json: bool) -> None:
    """List schedules."""
    client = remote.api_client()
    if client is not None:
        with remote.calling():
            listed = client.list_schedules()
        found = []
        for doc in listed:
            try:
                found.append(MaintenanceSchedule.from_dict(doc))
            except DocumentError as e:
                fail(f"--api: the server sent a schedule this mimo cannot read: {e}")
    else:
        found = open_cli_store(write=False).list_schedules()
    if as_json:
        print_json([s.to_dict() for s in found])
        return
    print_table(
        f"{len(found)} schedules",
        ("id", "state", "task", "schedule", "lookForward", "across", "selectors"),
        [
            (s.id, s.state, s.maintenance_task_id, s.schedule, s.look_forward_count, s.schedule_across,
             json.dumps([x.to_dict() for x in s.selectors]))
            for s in found
        ],
    )


@schedules.command("show")
@click.argument("schedule_id", metavar="SCHEDULE")
@click.option("--json", "as_json", is_flag=True)
def schedules_show(schedule_id: str, as_json: bool) -> None:
    """Show one schedule and how many manifests it created, by state."""
    sid = require_uuid(schedule_id, "SCHEDULE")
    client = remote.api_client()
    if client is not None:  # the admin API has no per-schedule manifest counts
        with remote.calling():
            got = client.get_schedule(sid)
        if as_json:
            print_json(got)
        else:
            print_fields(f"schedule {got.get('id', sid)}", got)
        return
    store = open_cli_store(write=False)
    try:
        s = store.get_schedule(sid)
    except StoreNotFound as e:
        fail(f"SCHEDULE: {e}")
    by_state: dict[str, int] = {}
    for m in store.list_manifests(schedule_id=sid):
        by_state[m.state] = by_state.get(m.state, 0) + 1
    if as_json:
        print_json({**s.to_dict(), "manifests": by_state})
        return
    print_fields(f"schedule {s.id}", {**s.to_dict(), "manifests": by_state})
