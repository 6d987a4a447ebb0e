"""A throw-away PostgreSQL server for tests and benches: ``initdb`` + ``pg_ctl`` in a temp dir.

:class:`PostgresServer` finds the distribution's binaries (``pg_ctl`` on ``PATH``,
or the newest ``/usr/lib/postgresql/<version>/bin``), creates a cluster in a new
temporary directory, starts it listening on ``127.0.0.1`` only, on a free port,
with its Unix socket inside that directory, and removes everything on
:meth:`stop`. ``initdb`` refuses to run as root, so when we are root the
cluster belongs to the ``postgres`` user (created by the Debian package), or
``nobody``, and the binaries run through ``runuser``.

``durable=False`` (the tests' setting) turns ``fsync`` and ``synchronous_commit``
off: a crash of the *machine* could lose the last commits of a database that
is thrown away anyway; a crash of a client changes nothing.

No pytest here: the fixture in ``tests/conftest.py`` and ``bench/`` use it alike.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

__all__ = ["PostgresServer", "PostgresUnavailable", "find_pg_bin"]


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL binaries on this machine (the message says where we looked)."""


def find_pg_bin() -> Path | None:
    """The directory holding ``initdb`` and ``pg_ctl``, or ``None``."""
    for name in ("pg_ctl",):
        found = shutil.which(name)
        if found and shutil.which("initdb"):
            return Path(os.path.realpath(found)).parent
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
        key=lambda p: [int(x) if x.isdigit() else 0 for x in Path(p).parts[-3].split(".")],
    )
    return Path(candidates[-1]).parent if candidates else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostgresServer:
    """One PostgreSQL cluster on loopback, alive between :meth:`start` and :meth:`stop`."""

    def __init__(self, *, durable: bool = False, bin_dir: str | os.PathLike[str] | None = None) -> None:
        found = Path(bin_dir) if bin_dir is not None else find_pg_bin()
        if found is None or not (found / "initdb").exists():
            raise PostgresUnavailable(
                "no PostgreSQL binaries: pg_ctl/initdb not on PATH nor in /usr/lib/postgresql/*/bin "
                "(Debian: apt-get install -y postgresql)"
            )
        self.bin_dir = found
        self.durable = durable
        self.port = 0
        self.user = "mimo"
        self.dir: Path | None = None
        self._run_as: str | None = None
        self._dbs = 0

    def __repr__(self) -> str:
        return f"PostgresServer(port={self.port}, dir={str(self.dir)!r})"

    # -- running the binaries ---------------------------------------------------------------
    def _cmd(self, *argv: str) -> list[str]:
        cmd = [str(self.bin_dir / argv[0]), *argv[1:]]
        return ["runuser", "-u", self._run_as, "--", *cmd] if self._run_as else cmd

    def _run(self, *argv: str) -> None:
        p = subprocess.run(self._cmd(*argv), capture_output=True, text=True, stdin=subprocess.DEVNULL)
        if p.returncode != 0:
            log = ""
            if self.dir is not None and (self.dir / "server.log").exists():
                log = (self.dir / "server.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"{argv[0]} failed ({p.returncode}): {p.stderr.strip() or p.stdout.strip()}\n{log}")

    # -- life cycle -------------------------------------------------------------------------
    def start(self) -> PostgresServer:
        self.dir = Path(tempfile.mkdtemp(prefix="mimo-pg-"))
        if os.geteuid() == 0:  # initdb: "cannot be run as root"
            for name in ("postgres", "nobody"):
                try:
                    pw = pwd.getpwnam(name)
                except KeyError:
                    continue
                self._run_as = name
                os.chown(self.dir, pw.pw_uid, pw.pw_gid)
                break
            else:
                raise PostgresUnavailable("running as root and neither a 'postgres' nor a 'nobody' user exists")
        data = self.dir / "data"
        self._run("initdb", "-D", str(data), "-U", self.user, "--auth=trust", "-E", "UTF8", "--no-sync", "--locale=C")
        opts = [
            "-c listen_addresses=127.0.0.1",
            f"-c unix_socket_directories={self.dir}",
            "-c max_connections=200",
            "-c shared_buffers=64MB",
        ]
        if not self.durable:
            opts += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
        for _attempt in range(5):
            self.port = _free_port()
            try:
                self._run(
                    "pg_ctl", "start", "-w", "-t", "60", "-D", str(data), "-l", str(self.dir / "server.log"),
                    "-o", " ".join([f"-p {self.port}", *opts]),
                )
                return self
            except RuntimeError as e:
                if "already in use" not in str(e) and "could not bind" not in str(e):
                    self.stop()
                    raise
        self.stop()
        raise RuntimeError("could not find a free loopback port for PostgreSQL")

    def stop(self) -> None:
        if self.dir is None:
            return
        data = self.dir / "data"
        if (data / "postmaster.pid").exists():
            subprocess.run(self._cmd("pg_ctl", "stop", "-D", str(data), "-m", "immediate", "-w"),
                           capture_output=True, stdin=subprocess.DEVNULL)
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir = None

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- databases --------------------------------------------------------------------------
    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{dbname}"

    def create_database(self, name: str | None = None) -> str:
        """A new empty database; returns its URL."""
        import psycopg

        self._dbs += 1
        name = name or f"mimo_{os.getpid()}_{self._dbs}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, url: str) -> None:
        import psycopg

        name = url.rsplit("/", 1)[1]
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
