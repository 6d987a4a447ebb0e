"""``mimo simulate [FILE]``: run a fleet simulation (``pytest_mimo.simulation``) and check its expectations.

Without FILE it runs the embedded default scenario. Exit code 0 when every
expectation holds, 1 when one fails (each is named, with actual and
expected values, and the seed to replay it), 2 on bad input (one line
naming the field).

The harness adds this command to the runtime's ``mimo`` group through the CLI's
plugin hook, the ``mimo.cli`` entry-point group (``pyproject.toml``: ``simulate =
"pytest_mimo.simulation.cli:simulate"``): the runtime never imports the harness.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import sys
from pathlib import Path

import click

__all__ = ["simulate"]


def _fail(message: str) -> None:
    from mimo.cli.common import fail

    fail(message)


@click.command("simulate")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--seed", type=click.IntRange(min=0), default=None,
              help="seed of every random choice (default: the file's `seed`, else 0)")
@click.option("--report", "report_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="write the JSON report here")
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="write a PNG timeline here (needs matplotlib: pip install 'pymimo[plot]')")
@click.option("--shards", type=click.IntRange(min=1), default=None,
              help="actuator hosts, each owning a share of the fleet, simulated in parallel processes "
                   "(default: the file's run.shards, else 1)")
def simulate(file: Path | None, seed: int | None, report_path: Path | None, plot_path: Path | None,
             shards: int | None) -> None:
    """Simulate a fleet over weeks: the real scheduler and actuator against fakes, in virtual time.

    \b
    FILE is a scenario TOML (see simulations/README.md); without it the
    embedded default runs (simulations/weekly-tls-rotation.toml: 60 clusters, 28 days).
    Exit code: 0 every expectation holds, 1 one failed, 2 bad input.
    """
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from pytest_mimo.simulation import ScenarioError, load_scenario
    from pytest_mimo.simulation.engine import run_simulation
    from pytest_mimo.simulation.report import build_report

    if plot_path is not None and importlib.util.find_spec("matplotlib") is None:
        _fail("--plot needs matplotlib, which is not installed (pip install 'pymimo[plot]')")
    for opt, p in (("--report", report_path), ("--plot", plot_path)):
        if p is not None and not p.parent.resolve().is_dir():
            _fail(f"{opt}: directory {p.parent} does not exist")
    try:
        scenario = load_scenario(file)
    except ScenarioError as e:
        _fail(str(e))
        return
    if shards is not None:
        if shards > scenario.fleet.clusters:
            _fail(f"--shards: {shards} shards for {scenario.fleet.clusters} clusters (at most one per cluster)")
        scenario = dataclasses.replace(scenario, run=dataclasses.replace(scenario.run, shards=shards))
    seed_used = scenario.seed if seed is None else seed
    err = Console(stderr=True)
    label = escape(scenario.name).replace("{", "{{").replace("}", "}}")
    with Progress(
        TextColumn(f"[bold]{label}[/bold] seed {seed_used}"), BarColumn(), TextColumn("{task.description}"),
        TimeElapsedColumn(), console=err, disable=not sys.stderr.isatty(), transient=True,
    ) as progress:
        bar = progress.add_task("virtual 0d", total=1.0)
        days = scenario.run.duration.total_seconds() / 86400

        def tick(fraction: float) -> None:
            progress.update(bar, completed=fraction, description=f"virtual {fraction * days:.1f}d of {days:g}d")

        data = run_simulation(scenario, seed=seed_used, progress=tick)
    report = build_report(data)
    out = Console()
    if not out.is_terminal:  # piped or captured: do not fold at 80 columns
        out = Console(width=160)
    report.render(out)
    if report_path is not None:
        report.write_json(report_path)
        out.print(f"report written to {report_path}")
    if plot_path is not None:
        report.plot(plot_path)
        out.print(f"timeline written to {plot_path}")
    if not report.ok:
        click.echo(report.failure_text(), err=True)
        sys.exit(1)
