"""The ``mimo`` command line: the admin surface over the store."""

from __future__ import annotations

import json
import sys
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from mimo.environment import Environment, EnvironmentError_
from mimo.tasks.registry import RegistryError, load_tasks

__all__ = ["main", "cli"]


def _task_names() -> dict[str, str]:
    from mimo import const

    return {v: k for k, v in const.ALL_TASK_IDS.items()}


def fail(message: str) -> None:
    """One clear line on stderr, exit code 2."""
    click.echo(f"mimo: error: {message}", err=True)
    sys.exit(2)


@click.group()
@click.version_option(package_name="pymimo")
def cli() -> None:
    """MIMO: run maintenance tasks against managed OpenShift clusters."""


@cli.command("tasks")
@click.option("--json", "as_json", is_flag=True, help="print JSON instead of a table")
def tasks_cmd(as_json: bool) -> None:
    """List the registered maintenance tasks."""
    try:
        tasks = load_tasks()
    except RegistryError as e:
        fail(str(e))
    names = _task_names()
    rows = [
        {"id": tid, "name": names.get(tid, ""), "function": f"{fn.__module__}.{getattr(fn, '__qualname__', fn)}"}
        for tid, fn in sorted(tasks.items(), key=lambda kv: names.get(kv[0], kv[0]))
    ]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    table = Table(title=f"{len(rows)} registered tasks")
    for col in ("id", "name", "function"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["id"], r["name"], r["function"])
    Console().print(table)


@cli.command("env")
@click.argument("path", required=False, type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True)
def env_cmd(path: str | None, as_json: bool) -> None:
    """Validate and show an environment (TOML file and MIMO_* variables)."""
    try:
        env = Environment.from_toml(path) if path else Environment.from_env()
    except EnvironmentError_ as e:
        fail(str(e))
    data: dict[str, Any] = {
        "region": env.region,
        "acr_domain": env.acr_domain,
        "acr_resource_id": env.acr_resource_id,
        "cluster_keyvault_uri": env.cluster_keyvault_uri,
        "domain_suffix": env.domain_suffix,
        "features": sorted(env.features),
        "cloud": env.cloud.name,
    }
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    table = Table(title="environment (valid)")
    table.add_column("field")
    table.add_column("value")
    for k, v in data.items():
        table.add_row(k, ", ".join(v) if isinstance(v, list) else str(v))
    Console().print(table)


def main() -> None:
    cli(prog_name="mimo")


if __name__ == "__main__":  # pragma: no cover
    main()
