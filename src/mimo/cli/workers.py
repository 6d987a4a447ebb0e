"""``mimo actuator`` and ``mimo scheduler``: the two workers over the store."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any, TypeVar

import click

from mimo import inputs
from mimo.cli.common import (
    Int64,
    Seconds,
    fail,
    load_cli_tasks,
    load_environment,
    open_cli_store,
    settings,
)
from mimo.logfields import configure_logging

__all__ = ["actuator_cmd", "scheduler_cmd", "actuator_options", "log_level_option"]

#: a poll interval below 10 ms would spin; above a day nothing would seem to happen
MIN_POLL_SECONDS = 0.01
MAX_POLL_SECONDS = 86400.0
#: a lease renewed every third of its length: below a second the renewals are all there is
MIN_LEASE_SECONDS = 1.0
MAX_LEASE_SECONDS = 86400.0
MAX_WORKERS = 256


def _setup_logging(level: str) -> None:
    configure_logging(level)


F = TypeVar("F", bound=Callable[..., Any])

#: ``--log-level``, for every long-running command
log_level_option = click.option(
    "--log-level", type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
    default="INFO", show_default=True,
)


def actuator_options(prefix: str = "") -> Callable[[F], F]:
    """``--workers``, ``--poll-interval``, ``--lease-seconds`` and ``--owner`` (``mimo actuator``, ``mimo serve``);
    ``prefix`` starts each help text (``"actuator: "`` where other loops share the command)."""
    options = [
        click.option("--workers", type=Int64(1, MAX_WORKERS), default=4, show_default=True,
                     help=f"{prefix}clusters at a time (1-{MAX_WORKERS})"),
        click.option("--poll-interval", type=Seconds(MIN_POLL_SECONDS, MAX_POLL_SECONDS), default=90.0,
                     show_default=True,
                     help=f"{prefix}seconds between passes over one cluster ({MIN_POLL_SECONDS:g}-{MAX_POLL_SECONDS:g})"),
        click.option("--lease-seconds", type=Seconds(MIN_LEASE_SECONDS, MAX_LEASE_SECONDS), default=60.0,
                     show_default=True,
                     help=f"{prefix}how long a lease lasts without renewal, renewed every third of it "
                          f"({MIN_LEASE_SECONDS:g}-{MAX_LEASE_SECONDS:g})"),
        click.option("--owner", default=None, callback=_owner,
                     help=f"{prefix}lease owner name (default host:pid:random)"),
    ]

    def apply(f: F) -> F:
        for option in reversed(options):
            f = option(f)
        return f

    return apply


def _owner(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    return None if value is None else inputs.text(value, "--owner", max_chars=256, empty=False)


@click.command("actuator")
@click.option("--once", is_flag=True,
              help="one pass over every cluster with runnable work, then exit (no bucket sharing)")
@click.option("--pool-ttl", type=Int64(1, 60), default=60, show_default=True,
              help="seconds a silent host keeps its buckets (and the master lease) before the others take them (1-60)")
@actuator_options()
@log_level_option
def actuator_cmd(once: bool, pool_ttl: int, workers: int, poll_interval: float, lease_seconds: float,
                 owner: str | None, log_level: str) -> None:
    """Lease and run manifests. SIGTERM: lease nothing new, finish running tasks, exit.

    Hosts sharing a store share its clusters by bucket, as the Go actuator's do; ``--once``
    passes every cluster instead (a single round joins no pool; the leases still keep two
    hosts from running one manifest)."""
    from mimo.actuator import ActuatorService

    tasks = load_cli_tasks()
    env = load_environment()
    store = open_cli_store()
    _setup_logging(log_level)
    service = ActuatorService(
        store, tasks, workers=workers, poll_interval=poll_interval, lease_seconds=lease_seconds, owner=owner,
        environment=env, pool_ttl=pool_ttl, share_by_bucket=not once,
    )
    restore = None
    if threading.current_thread() is threading.main_thread():
        restore = service.install_signal_handlers()
    logging.getLogger("mimo.actuator").info(
        "actuator %s on store %s: %d tasks registered", service.owner, settings().store_path, len(tasks)
    )
    try:
        service.run(once=once)
    finally:
        if restore is not None:
            restore()
    click.echo(f"actuator {service.owner}: {service.passes} cluster pass(es), {service.errors} error(s)")
    if service.errors:
        raise SystemExit(1)


@click.command("scheduler")
@click.option("--once", is_flag=True, help="one pass over every enabled schedule, then exit")
@click.option("--poll-interval", type=Seconds(MIN_POLL_SECONDS, MAX_POLL_SECONDS), default=300.0, show_default=True,
              help=f"seconds between passes ({MIN_POLL_SECONDS:g}-{MAX_POLL_SECONDS:g})")
@log_level_option
def scheduler_cmd(once: bool, poll_interval: float, log_level: str) -> None:
    """Turn schedules into manifests (mimo.scheduler.Scheduler)."""
    try:
        from mimo.scheduler import Scheduler
    except ImportError as e:  # pragma: no cover - only while the scheduler is missing
        fail(f"the scheduler is not available: {e}")
    from mimo.clock import SystemClock

    tasks = load_cli_tasks()
    env = load_environment()
    store = open_cli_store()
    _setup_logging(log_level)
    scheduler = Scheduler(store, clock=SystemClock(), environment=env, tasks=tasks)
    stop = threading.Event()
    old: dict[int, object] = {}
    if not once and threading.current_thread() is threading.main_thread():

        def handler(signum: int, frame: FrameType | None) -> None:
            stop.set()

        old = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    failed = False
    try:
        while True:
            result = scheduler.process()
            click.echo(f"scheduler pass: {result.summary()}")
            for line in result.errors:
                click.echo(f"mimo: scheduler: {line}", err=True)
            failed = failed or not result.ok
            if once or stop.wait(poll_interval):
                break
    finally:
        for sig, h in old.items():
            signal.signal(sig, h)  # type: ignore[arg-type]
    if failed and once:
        raise SystemExit(1)
