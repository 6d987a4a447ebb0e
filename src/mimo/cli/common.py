"""What every ``mimo`` command shares: settings, the store, tasks, errors and output."""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, NoReturn

import click
from rich.console import Console
from rich.table import Table

from mimo import inputs
from mimo.api import is_uuid
from mimo.environment import Environment, EnvironmentError_
from mimo.inputs import InputError
from mimo.store.base import Store

__all__ = [
    "Settings",
    "fail",
    "settings",
    "open_cli_store",
    "load_cli_tasks",
    "load_environment",
    "print_json",
    "print_table",
    "fmt_time",
    "parse_time",
    "require_uuid",
    "check_args",
    "Int64",
    "Seconds",
    "PLUGINS_ENV",
    "STORE_ENV",
    "DEFAULT_STORE",
]

#: comma-separated modules registered as task plugins (``mimo_register_tasks`` hookimpls),
#: on top of the ``mimo`` entry-point group; for plugins that are not installed
PLUGINS_ENV = "MIMO_PLUGINS"
STORE_ENV = "MIMO_STORE"
DEFAULT_STORE = "./mimo.db"


def fail(message: str) -> NoReturn:
    """One clear line on stderr, exit code 2."""
    line = " ".join(str(message).split())
    click.echo(f"mimo: error: {line}", err=True)
    sys.exit(2)


def check_args(args: Sequence[str]) -> None:
    """Every command-line argument is valid UTF-8 text without control characters, of bounded length;
    a bad one is named by its option (``--owner``), else by its position."""
    for i, arg in enumerate(args):
        name = f"argument {i + 1}"
        if arg.startswith("--") and "=" in arg:
            name = arg.split("=", 1)[0]
        elif i > 0 and args[i - 1].startswith("-") and not arg.startswith("-"):
            name = args[i - 1]
        try:
            inputs.text(name, "argument")
        except InputError:
            name = f"argument {i + 1}"
        inputs.text(arg, name)


@dataclass
class Settings:
    store_path: str = DEFAULT_STORE
    env_path: str | None = None
    _store: Store | None = field(default=None, repr=False)
    #: the store is a stand-in for one that does not exist yet (read-only commands create none)
    _store_absent: bool = field(default=False, repr=False)
    _tasks: dict[str, Any] | None = field(default=None, repr=False)
    #: --api URL and its credentials: the admin commands talk to a remote admin API (mimo.cli.remote)
    api_url: str | None = None
    api_token_file: str | None = None
    api_cert: str | None = None
    api_key: str | None = None
    api_ca: str | None = None
    _api: Any = field(default=None, repr=False)

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None


def settings() -> Settings:
    ctx = click.get_current_context()
    obj = ctx.find_object(Settings)
    if obj is None:  # a subcommand invoked on its own (tests)
        obj = ctx.ensure_object(Settings)
    return obj


def _is_file_store(path: str) -> bool:
    return path != ":memory:" and "://" not in path


def _store_is_empty_file(path: str) -> bool:
    """True when ``path`` does not exist or holds no mimo schema yet (read without writing a byte);
    a file that is not a database, or one from a newer mimo, is refused by name."""
    import sqlite3
    from pathlib import Path

    from mimo.store.sqlite import SCHEMA_VERSION

    p = Path(path)
    if not p.exists():
        return True
    if p.is_dir():
        fail(f"--store {path}: is a directory")
    try:
        conn = sqlite3.connect(f"{p.resolve().as_uri()}?mode=ro", uri=True)
        try:
            (version,) = conn.execute("PRAGMA user_version").fetchone()
        finally:
            conn.close()
    except sqlite3.Error as e:
        fail(f"--store {path}: cannot open: {e}")
    if version > SCHEMA_VERSION:
        fail(f"--store {path}: has schema version {version}; this mimo knows up to {SCHEMA_VERSION}")
    return bool(version == 0)


def open_cli_store(*, write: bool = True) -> Store:
    """The store of ``--store``. With ``write=False`` (a command that only reads, or a write command
    still looking things up) a store that does not exist yet is not created: an empty one stands in."""
    s = settings()
    if s.api_url:
        command = click.get_current_context().command_path
        fail(f"--api: `{command}` works on a local store only (the admin API has no endpoint for it)")
    if s._store is not None and not (write and s._store_absent):
        return s._store
    from mimo.store import StoreError, is_store_url, open_store

    path = s.store_path
    shown = path
    if is_store_url(path):
        from mimo.store.postgres import redact_url

        shown = redact_url(path)  # a password in the URL never reaches the terminal
    if _is_file_store(path):
        parent = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(parent):
            fail(f"--store: directory {parent} does not exist")
        if not write and _store_is_empty_file(path):
            from mimo.store.memory import MemoryStore

            s._store, s._store_absent = MemoryStore(), True
            return s._store
    if s._store is not None:
        s._store.close()
    try:
        s._store, s._store_absent = open_store(path), False
    except StoreError as e:  # the PostgreSQL store's errors name the (redacted) URL already
        fail(str(e) if shown != path else f"--store {path}: {e}")
    except (OSError, ValueError) as e:
        fail(f"--store {shown}: {e}")
    except Exception as e:  # sqlite3.DatabaseError: not a database, locked, …
        fail(f"--store {shown}: cannot open: {e}")
    click.get_current_context().call_on_close(s.close)
    return s._store


@contextlib.contextmanager
def _current_directory_importable(needed: bool) -> Iterator[None]:
    """Plugin modules are found in the current directory too, as ``python -m`` finds them.

    A console script's ``sys.path[0]`` is its ``bin`` directory, so a module next to
    the user (``MIMO_PLUGINS=mytasks mimo tasks``) would not be found. The directory
    goes last, so it never shadows an installed or standard module, and only for the
    plugin imports.
    """
    cwd = os.getcwd()
    add = needed and cwd not in sys.path and "" not in sys.path
    if add:
        sys.path.append(cwd)
    try:
        yield
    finally:
        if add and cwd in sys.path:
            sys.path.remove(cwd)


def load_cli_tasks() -> dict[str, Any]:
    """The registry: built-in tasks, entry points, and the modules named in ``MIMO_PLUGINS``."""
    s = settings()
    if s._tasks is None:
        from mimo.tasks import RegistryError, load_tasks

        plugins: list[object] = []
        names = [n.strip() for n in inputs.text(os.environ.get(PLUGINS_ENV, ""), PLUGINS_ENV).split(",")
                 if n.strip()]
        with _current_directory_importable(bool(names)):
            for name in names:
                try:
                    plugins.append(importlib.import_module(name))
                except Exception as e:
                    fail(f"{PLUGINS_ENV}: cannot import plugin module {name!r}: {type(e).__name__}: {e}")
        try:
            s._tasks = load_tasks(plugins=plugins)
        except RegistryError as e:
            fail(str(e))
    return s._tasks


def load_environment() -> Environment:
    path = settings().env_path
    try:
        return Environment.from_toml(path) if path else Environment.from_env()
    except EnvironmentError_ as e:
        fail(str(e))


# -- values ------------------------------------------------------------------------------------


def fmt_time(ts: int | None) -> str:
    if not ts:
        return ""
    if not 0 < ts <= inputs.MAX_UNIX_TIME:  # written by something that did not check: show it as it is
        return str(ts)
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value: str, name: str, *, now: int) -> int:
    """``now``, ``+<duration>`` (``+90m``), Unix seconds, or RFC 3339 with a zone → Unix seconds
    (:func:`mimo.inputs.parse_time`: ASCII digits, 1970 to the end of year 9999)."""
    return inputs.parse_time(value, name, now=now)


def require_uuid(value: str, name: str) -> str:
    v = inputs.text(value, name, max_chars=64).strip().lower()
    if not is_uuid(v):
        fail(f"{name}: {inputs.shorten(value)} is not a UUID")
    return v


class Int64(click.ParamType):
    """An integer option in ASCII digits within ``[minimum, maximum]`` (64-bit by default)."""

    name = "integer"

    def __init__(self, minimum: int = inputs.INT64_MIN, maximum: int = inputs.INT64_MAX) -> None:
        self.minimum, self.maximum = minimum, maximum

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int) and not isinstance(value, bool):
            return inputs.check_int(value, "value", minimum=self.minimum, maximum=self.maximum)
        try:
            return inputs.parse_int(value, "value", minimum=self.minimum, maximum=self.maximum)
        except InputError as e:
            self.fail(e.why, param, ctx)


class Seconds(click.ParamType):
    """A finite number of seconds in ASCII within ``[minimum, maximum]`` (NaN and inf refused)."""

    name = "seconds"

    def __init__(self, minimum: float, maximum: float) -> None:
        self.minimum, self.maximum = minimum, maximum

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> float:
        try:
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return inputs.check_float(value, "value", minimum=self.minimum, maximum=self.maximum)
            return inputs.parse_float(value, "value", minimum=self.minimum, maximum=self.maximum)
        except InputError as e:
            self.fail(e.why, param, ctx)


# -- output ------------------------------------------------------------------------------------


def print_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=False))


def print_table(title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    table = Table(title=title)
    for c in columns:
        table.add_column(c, overflow="fold")
    for r in rows:
        table.add_row(*[("" if v is None else str(v)) for v in r])
    console = Console()
    if not console.is_terminal:  # piped or captured: do not fold IDs at 80 columns
        console = Console(width=200)
    console.print(table)


def print_fields(title: str, data: Mapping[str, Any]) -> None:
    print_table(title, ("field", "value"), [(k, v if not isinstance(v, (dict, list)) else json.dumps(v)) for k, v in data.items()])
