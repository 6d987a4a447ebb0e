"""``mimo tasks`` and ``mimo env``."""

from __future__ import annotations

from typing import Any

import click

from mimo.cli.common import load_cli_tasks, print_json, print_table
from mimo.environment import Environment, EnvironmentError_

__all__ = ["tasks_cmd", "env_cmd"]


def _task_names() -> dict[str, str]:
    from mimo import const

    return {v: k for k, v in const.ALL_TASK_IDS.items()}


@click.command("tasks")
@click.option("--json", "as_json", is_flag=True, help="print JSON instead of a table")
def tasks_cmd(as_json: bool) -> None:
    """List the registered maintenance tasks."""
    tasks = load_cli_tasks()
    names = _task_names()
    rows = [
        {"id": tid, "name": names.get(tid, ""), "function": f"{fn.__module__}.{getattr(fn, '__qualname__', fn)}"}
        for tid, fn in sorted(tasks.items(), key=lambda kv: names.get(kv[0], kv[0]))
    ]
    if as_json:
        print_json(rows)
        return
    print_table(f"{len(rows)} registered tasks", ("id", "name", "function"), [list(r.values()) for r in rows])


@click.command("env")
@click.argument("path", required=False, type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True)
def env_cmd(path: str | None, as_json: bool) -> None:
    """Validate and show an environment (TOML file and MIMO_* variables)."""
    from mimo.cli.common import fail, settings

    if path is not None and not path.strip():
        fail("PATH: must not be empty (leave it out to read MIMO_* variables)")
    path = path or settings().env_path
    try:
        env = Environment.from_toml(path) if path else Environment.from_env()
    except EnvironmentError_ as e:
        fail(str(e))
    data: dict[str, Any] = {
        "region": env.region,
        "acr_domain": env.acr_domain,
        "acr_resource_id": env.acr_resource_id,
        "cluster_keyvault_uri": env.cluster_keyvault_uri,
        "cluster_msi_keyvault_uri": env.cluster_msi_keyvault_uri,
        "msi_rp_endpoint": env.msi_rp_endpoint,
        "domain_suffix": env.domain_suffix,
        "features": sorted(env.features),
        "cloud": env.cloud.name,
    }
    if as_json:
        print_json(data)
        return
    print_table("environment (valid)", ("field", "value"),
                [(k, ", ".join(v) if isinstance(v, list) else str(v)) for k, v in data.items()])
