"""One MIMO fleet host: the admin API, beside the actuator and scheduler loops or alone.

``mimo serve`` builds a :class:`FleetHost` and calls :meth:`FleetHost.serve`.
The host runs, each in its own thread:

* the actuator (:class:`~mimo.actuator.ActuatorService`) over a
  :class:`~mimo.store.metered.MeteredStore`, so every attempt is measured;
* the scheduler, one pass every ``scheduler_interval`` seconds;
* a store probe every ``probe_interval`` seconds (Go's ``EmitMIMOMetrics``
  every minute): the queue length and manifests by state;

and uvicorn, serving the admin API, ``/metrics`` and ``/healthz`` on one
listener, in the calling thread. Readiness (Go's ``checkReady``): the probe
answered within two of its intervals, the actuator thread is running, the
scheduler passed within two of its intervals, and ``readiness_delay`` has
passed since start. When uvicorn stops (SIGTERM/SIGINT, or :meth:`stop`) the
loops stop too: no new lease, running tasks finish and write their outcome.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import socket
import ssl
import threading
import time
from collections.abc import Generator, Mapping
from dataclasses import dataclass
from types import FrameType
from typing import TYPE_CHECKING, Any

from mimo.adminapi.auth import Authenticator
from mimo.adminapi.paging import SkipTokens
from mimo.environment import Environment
from mimo.health import READINESS_DELAY, Readiness
from mimo.metrics import Metrics
from mimo.store.base import Store

if TYPE_CHECKING:
    import uvicorn

__all__ = ["FleetHost", "HostConfig", "HostConfigError", "parse_listen", "is_loopback"]

log = logging.getLogger("mimo.host")
#: how long requests in flight may take once the server is told to stop
GRACEFUL_SHUTDOWN_SECONDS = 10


class HostConfigError(ValueError):
    """Settings the host refuses to start with; the message names the option."""


def parse_listen(value: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:8443`` for IPv6) → ``(host, port)``."""
    host, sep, port = value.rpartition(":")
    if not sep or not host:
        raise HostConfigError(f"--listen: {value!r} is not HOST:PORT (e.g. 127.0.0.1:8443)")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not port.isdigit() or not 0 <= int(port) <= 65535:
        raise HostConfigError(f"--listen: {value!r}: the port must be a number from 0 to 65535")
    return host, int(port)


def is_loopback(host: str) -> bool:
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass
class HostConfig:
    host: str = "127.0.0.1"
    port: int = 8443
    auth: Authenticator | None = None
    tls_cert: str | None = None
    tls_key: str | None = None
    client_ca: str | None = None
    run_actuator: bool = True
    run_scheduler: bool = True
    workers: int = 4
    poll_interval: float = 90.0
    lease_seconds: float = 60.0
    owner: str | None = None
    scheduler_interval: float = 300.0
    probe_interval: float = 60.0
    readiness_delay: float = READINESS_DELAY
    skip_token_key: bytes | None = None
    log_level: str = "info"

    def check(self) -> None:
        """Refuse settings that would leave the admin port open or cannot work."""
        auth = self.auth
        if auth is None or not auth.configured:
            raise HostConfigError(
                "no authentication configured: give --token-file FILE, or --client-ca FILE with --client-cn NAME "
                "(--insecure-no-auth serves an open admin API)"
            )
        if (self.tls_cert is None) != (self.tls_key is None):
            raise HostConfigError("--tls-cert and --tls-key: give both or neither")
        if self.client_ca is not None and self.tls_cert is None:
            raise HostConfigError("--client-ca: needs --tls-cert and --tls-key (client certificates need TLS)")
        if (self.client_ca is None) != (auth.client_cert_cn is None):
            raise HostConfigError("--client-ca and --client-cn: give both or neither")
        if self.tls_cert is None and not auth.anonymous and not is_loopback(self.host):
            raise HostConfigError(
                f"--listen {self.host}: bearer tokens would cross the network in clear text; "
                "give --tls-cert/--tls-key or listen on a loopback address"
            )
        for name in ("poll_interval", "lease_seconds", "scheduler_interval", "probe_interval"):
            if getattr(self, name) <= 0:
                raise HostConfigError(f"--{name.replace('_', '-')}: must be positive")
        if self.readiness_delay < 0:
            raise HostConfigError("--readiness-delay: must not be negative")

    @property
    def scheme(self) -> str:
        return "https" if self.tls_cert else "http"


class FleetHost:
    def __init__(
        self,
        store: Store,
        tasks: Mapping[str, Any],
        config: HostConfig,
        *,
        environment: Environment | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        config.check()
        assert config.auth is not None
        self.store = store
        self.config = config
        self.environment = environment if environment is not None else Environment()
        self.metrics = metrics if metrics is not None else Metrics()
        self.readiness = Readiness(delay=config.readiness_delay)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.errors = 0

        probe = self.readiness.freshness("store", 2 * config.probe_interval)
        self._probe_fresh = probe
        self.actuator = None
        if config.run_actuator:
            from mimo.actuator import ActuatorService
            from mimo.store.metered import metered

            self.actuator = ActuatorService(
                metered(store, self.metrics), tasks, workers=config.workers, poll_interval=config.poll_interval,
                lease_seconds=config.lease_seconds, owner=config.owner, environment=self.environment,
            )
            self._actuator_thread = threading.Thread(target=self._run_actuator, name="mimo-actuator-loop", daemon=True)
            self.readiness.add_check("actuator", self._actuator_thread.is_alive)
            self.readiness.add_check("actuator buckets", self.actuator.buckets_fresh)
            self.metrics.heartbeat("actuator", lambda: self.readiness.part_ready("store", "actuator"))
        self.scheduler = None
        if config.run_scheduler:
            from mimo.scheduler import Scheduler

            self.scheduler = Scheduler(store, environment=self.environment, tasks=tasks)
            self._scheduler_fresh = self.readiness.freshness("scheduler", 2 * config.scheduler_interval)
            self.metrics.heartbeat("scheduler", lambda: self.readiness.part_ready("scheduler"))

        from mimo.adminapi.app import create_app
        from mimo.adminapi.service import AdminService

        service = AdminService(
            store, tasks=tasks, skip_tokens=SkipTokens(config.skip_token_key),
            domain_suffix=self.environment.domain_suffix,
        )
        self.app = create_app(service, config.auth, readiness=self.readiness, metrics=self.metrics)
        self.server: uvicorn.Server | None = None
        self.sockets: list[socket.socket] = []

    # -- the loops ------------------------------------------------------------------------------
    def _run_actuator(self) -> None:
        assert self.actuator is not None
        try:
            self.actuator.run()
        except Exception:
            self.errors += 1
            log.exception("actuator loop stopped")

    def _run_scheduler(self) -> None:
        assert self.scheduler is not None
        while not self._stop.is_set():
            t0 = time.monotonic()
            self.metrics.scheduler_workers_active.inc()
            try:
                result = self.scheduler.process()
            except Exception:
                self.errors += 1
                log.exception("scheduler pass failed")
                result = None
            finally:
                self.metrics.scheduler_workers_active.dec()
            if result is not None:
                self.metrics.scheduler_pass(time.monotonic() - t0, len(result.created), len(result.cancelled))
                if not any(e.startswith("cannot read schedules") for e in result.errors):
                    self._scheduler_fresh.touch()
            self._stop.wait(self.config.scheduler_interval)

    def _run_probe(self) -> None:
        while not self._stop.is_set():
            try:
                self.metrics.observe_store(self.store, int(time.time()))
                self._probe_fresh.touch()
            except Exception as e:
                log.error("store probe failed: %s", e)
            self._stop.wait(self.config.probe_interval)

    def _start_loops(self) -> None:
        targets = [("mimo-store-probe", self._run_probe)]
        if self.scheduler is not None:
            targets.append(("mimo-scheduler-loop", self._run_scheduler))
        for name, target in targets:
            t = threading.Thread(target=target, name=name, daemon=True)
            t.start()
            self._threads.append(t)
        if self.actuator is not None:
            self._actuator_thread.start()
            self._threads.append(self._actuator_thread)

    def _stop_loops(self) -> None:
        self._stop.set()
        if self.actuator is not None:
            self.actuator.stop()
        for t in self._threads:
            t.join()

    # -- the server -----------------------------------------------------------------------------
    def bind(self) -> tuple[str, int]:
        """Open the listening socket now (so the port is known before :meth:`serve`)."""
        if not self.sockets:
            family = socket.AF_INET6 if ":" in self.config.host else socket.AF_INET
            sock = socket.socket(family, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.config.host, self.config.port))
            sock.listen(128)
            sock.set_inheritable(True)
            self.sockets = [sock]
        host, port = self.sockets[0].getsockname()[:2]
        return host, port

    @property
    def url(self) -> str:
        host, port = self.bind()
        shown = f"[{host}]" if ":" in host else host
        return f"{self.config.scheme}://{shown}:{port}"

    def _uvicorn_config(self) -> uvicorn.Config:
        import uvicorn

        from mimo.adminapi.tls import PeerCertH11Protocol

        c = self.config
        kw: dict[str, Any] = {}
        if c.tls_cert:
            kw.update(ssl_certfile=c.tls_cert, ssl_keyfile=c.tls_key)
        if c.client_ca:
            kw.update(ssl_ca_certs=c.client_ca, ssl_cert_reqs=ssl.CERT_REQUIRED)
        return uvicorn.Config(
            self.app, http=PeerCertH11Protocol, lifespan="off", log_level=c.log_level.lower(),
            access_log=False, server_header=False, timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS, **kw,
        )

    def serve(self) -> None:
        """Run until stopped (SIGTERM/SIGINT in the main thread, or :meth:`stop`).

        The signals are the host's, not uvicorn's: uvicorn would re-raise them
        once it stopped, killing the process before the loops wind down.
        """
        self.bind()
        self.server = _QuietServer(self._uvicorn_config())
        if self._stop.is_set():  # stopped before it started
            self.server.should_exit = True
        restore: dict[int, Any] = {}
        if threading.current_thread() is threading.main_thread():

            def handler(signum: int, frame: FrameType | None) -> None:
                log.warning("signal %d: stopping (running tasks finish first)", signum)
                self.stop()

            restore = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
        self._start_loops()
        try:
            self.server.run(sockets=self.sockets)
        finally:
            self._stop_loops()
            for s in self.sockets:
                s.close()
            for sig, old in restore.items():
                signal.signal(sig, old)

    @property
    def started(self) -> bool:
        return self.server is not None and self.server.started

    def stop(self) -> None:
        self._stop.set()
        if self.actuator is not None:
            self.actuator.stop()
        if self.server is not None:
            self.server.should_exit = True


def _quiet_server_class() -> type:
    import uvicorn

    class QuietServer(uvicorn.Server):
        """uvicorn's server without its own signal handling (the host has its own)."""

        @contextlib.contextmanager
        def capture_signals(self) -> Generator[None, None, None]:
            yield

    return QuietServer


def _QuietServer(config: uvicorn.Config) -> uvicorn.Server:  # noqa: N802 - reads as the class it builds
    server: uvicorn.Server = _quiet_server_class()(config)
    return server
