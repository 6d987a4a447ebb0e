"""What every ``mimo`` command shares: settings, the store, tasks, errors and output."""

from __future__ import annotations

import importlib
import json
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, NoReturn

import click
from rich.console import Console
from rich.table import Table

from mimo.api import is_uuid
from mimo.environment import Environment, EnvironmentError_
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


@dataclass
class Settings:
    store_path: str = DEFAULT_STORE
    env_path: str | None = None
    _store: Store | None = field(default=None, repr=False)
    _tasks: dict[str, Any] | None = field(default=None, repr=False)

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


def open_cli_store() -> Store:
    s = settings()
    if s._store is None:
        from mimo.store import StoreError, open_store

        path = s.store_path
        if path != ":memory:":
            parent = os.path.dirname(os.path.abspath(path))
            if not os.path.isdir(parent):
                fail(f"--store: directory {parent} does not exist")
        try:
            s._store = open_store(path)
        except (StoreError, OSError) as e:
            fail(f"--store {path}: {e}")
        except Exception as e:  # sqlite3.DatabaseError: not a database, locked, …
            fail(f"--store {path}: cannot open: {e}")
        click.get_current_context().call_on_close(s.close)
    return s._store


def load_cli_tasks() -> dict[str, Any]:
    """The registry: built-in tasks, entry points, and the modules named in ``MIMO_PLUGINS``."""
    s = settings()
    if s._tasks is None:
        from mimo.tasks.registry import RegistryError, load_tasks

        plugins: list[object] = []
        for name in [n.strip() for n in os.environ.get(PLUGINS_ENV, "").split(",") if n.strip()]:
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
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value: str, name: str, *, now: int) -> int:
    """``now``, ``+<duration>`` (``+90m``), Unix seconds, or RFC 3339 with a zone → Unix seconds."""
    v = value.strip()
    if v == "now":
        return now
    if v.startswith("+"):
        from mimo.durations import parse_duration

        try:
            return now + int(parse_duration(v[1:]).total_seconds())
        except ValueError as e:
            fail(f"{name}: {e}")
    if v.isdigit():
        return int(v)
    try:
        t = datetime.fromisoformat(v.replace("Z", "+00:00"))
    except ValueError:
        fail(f"{name}: {value!r} is not a time (now, +90m, Unix seconds, or RFC 3339 like 2026-01-05T00:00:00Z)")
    if t.tzinfo is None:
        fail(f"{name}: {value!r} has no time zone (add Z for UTC)")
    return int(t.timestamp())


def require_uuid(value: str, name: str) -> str:
    v = value.strip().lower()
    if not is_uuid(v):
        fail(f"{name}: {value!r} is not a UUID")
    return v


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
