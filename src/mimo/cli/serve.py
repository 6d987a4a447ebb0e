"""``mimo serve``: the admin HTTP API, beside the actuator and scheduler loops or alone."""

from __future__ import annotations

import os

import click

from mimo.cli.common import (
    Seconds,
    fail,
    load_cli_tasks,
    load_environment,
    open_cli_store,
    settings,
)
from mimo.cli.workers import MAX_POLL_SECONDS, MIN_POLL_SECONDS, actuator_options, log_level_option
from mimo.logfields import configure_logging

__all__ = ["serve_cmd", "read_skip_token_key"]


def read_skip_token_key(path: str) -> bytes:
    """A file holding 32 bytes as 64 hex digits (``openssl rand -hex 32``)."""
    try:
        with open(path, encoding="ascii") as f:
            text = f.read().strip()
    except FileNotFoundError:
        fail(f"--skip-token-key-file: {path}: no such file")
    except (OSError, UnicodeDecodeError) as e:
        fail(f"--skip-token-key-file: {path}: cannot read: {e}")
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) != 32:
        fail(f"--skip-token-key-file: {path}: must hold 64 hex digits (32 bytes; openssl rand -hex 32)")
    return key


def _file(path: str | None, option: str) -> str | None:
    if path is not None and not os.path.isfile(path):
        fail(f"{option}: {path}: no such file")
    return path


@click.command("serve")
@click.option("--listen", default="127.0.0.1:8443", show_default=True, help="HOST:PORT to serve on (port 0: any free one)")
@click.option("--token-file", default=None, help="bearer tokens the API accepts, one a line")
@click.option("--tls-cert", default=None, help="server certificate (PEM); serves HTTPS")
@click.option("--tls-key", default=None, help="its private key (PEM)")
@click.option("--client-ca", default=None, help="CA (PEM) client certificates must verify against")
@click.option("--client-cn", default=None, help="the common name a client certificate must carry")
@click.option("--insecure-no-auth", is_flag=True, help="serve the admin API to anyone (never on a shared network)")
@click.option("--actuator/--no-actuator", "run_actuator", default=True, show_default=True,
              help="run the actuator loop in this process")
@click.option("--scheduler/--no-scheduler", "run_scheduler", default=True, show_default=True,
              help="run the scheduler loop in this process")
@actuator_options(prefix="actuator: ")
@click.option("--scheduler-interval", type=Seconds(MIN_POLL_SECONDS, MAX_POLL_SECONDS), default=300.0,
              show_default=True, help="scheduler: seconds between passes")
@click.option("--probe-interval", type=Seconds(MIN_POLL_SECONDS, MAX_POLL_SECONDS), default=60.0, show_default=True,
              help="seconds between store probes (queue length, readiness)")
@click.option("--readiness-delay", type=Seconds(0, MAX_POLL_SECONDS), default=120.0, show_default=True,
              help="seconds after start before /healthz/ready can say ok (Go: 2 minutes)")
@click.option("--skip-token-key-file", default=None,
              help="key sealing $skipToken (64 hex digits); the same on every API host behind one address")
@log_level_option
def serve_cmd(
    listen: str, token_file: str | None, tls_cert: str | None, tls_key: str | None, client_ca: str | None,
    client_cn: str | None, insecure_no_auth: bool, run_actuator: bool, run_scheduler: bool, workers: int,
    poll_interval: float, lease_seconds: float, owner: str | None, scheduler_interval: float,
    probe_interval: float, readiness_delay: float, skip_token_key_file: str | None, log_level: str,
) -> None:
    """Serve the admin HTTP API (the Go MIMO's admin endpoints), /metrics and /healthz.

    Beside it, in the same process, the actuator and scheduler loops run
    unless --no-actuator / --no-scheduler. Authentication is required: bearer
    tokens (--token-file) or client certificates (--tls-cert, --tls-key,
    --client-ca, --client-cn). SIGTERM: stop serving, lease nothing new,
    finish running tasks, exit.
    """
    from mimo.adminapi.auth import AuthConfigError, Authenticator, read_token_file
    from mimo.host import FleetHost, HostConfig, HostConfigError, parse_listen

    try:
        host, port = parse_listen(listen)
        tokens = read_token_file(token_file) if token_file is not None else []
        auth = Authenticator(tokens=tokens, client_cert_cn=client_cn, anonymous=insecure_no_auth)
        if insecure_no_auth and (tokens or client_cn):
            raise HostConfigError("--insecure-no-auth: give it alone, without --token-file or --client-cn")
        config = HostConfig(
            host=host, port=port, auth=auth,
            tls_cert=_file(tls_cert, "--tls-cert"), tls_key=_file(tls_key, "--tls-key"),
            client_ca=_file(client_ca, "--client-ca"),
            run_actuator=run_actuator, run_scheduler=run_scheduler, workers=workers, poll_interval=poll_interval,
            lease_seconds=lease_seconds, owner=owner, scheduler_interval=scheduler_interval,
            probe_interval=probe_interval, readiness_delay=readiness_delay,
            skip_token_key=read_skip_token_key(skip_token_key_file) if skip_token_key_file else None,
            log_level=log_level,
        )
        config.check()
    except (AuthConfigError, HostConfigError) as e:
        fail(str(e))
    tasks = load_cli_tasks()
    env = load_environment()
    store = open_cli_store()
    configure_logging(log_level)
    fleet_host = FleetHost(store, tasks, config, environment=env)
    try:
        url = fleet_host.url
    except OSError as e:
        fail(f"--listen {listen}: {e.strerror or e}")
    loops = [name for name, on in (("actuator", run_actuator), ("scheduler", run_scheduler)) if on]
    click.echo(f"mimo serve: listening on {url} (admin API{''.join(', ' + n for n in loops)}; "
               f"store {settings().store_path})")
    if insecure_no_auth:
        click.echo("mimo serve: warning: --insecure-no-auth: anyone who reaches this port is an admin", err=True)
    fleet_host.serve()
    if fleet_host.errors:
        raise SystemExit(1)
