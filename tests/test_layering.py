"""Layering (issue #15, item 6): the runtime (``mimo``) never imports the harness (``pytest_mimo``),
no two modules of either import each other (directly or round a longer circle), and the harness
adds ``mimo simulate`` through the CLI's plugin hook (the ``mimo.cli`` entry-point group).

The import graph is read from the source with :mod:`ast`, every ``import`` statement counted:
module level, inside functions (lazy imports) and under ``if TYPE_CHECKING:`` alike, since each
is a dependency that makes two modules stand or fall together. ``from a import b`` counts as an
import of ``a.b`` when that is a module, else of ``a``.
"""

from __future__ import annotations

import ast
import importlib.metadata
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = {"mimo": ROOT / "src" / "mimo", "pytest_mimo": ROOT / "pytest_mimo"}


def modules() -> dict[str, Path]:
    out: dict[str, Path] = {}
    for name, top in PACKAGES.items():
        for f in sorted(top.rglob("*.py")):
            parts = [name, *f.relative_to(top).with_suffix("").parts]
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join(parts)] = f
    return out


def imports_of(module: str, path: Path, known: dict[str, Path]) -> dict[str, int]:
    """Every module of ``known`` that ``module`` imports, with the line of the first such import."""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    found: dict[str, int] = {}
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            names = [f"{target}.{a.name}" if f"{target}.{a.name}" in known else target for a in node.names]
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name and name != module:
                found.setdefault(name, node.lineno)
    return found


def graph() -> dict[str, dict[str, int]]:
    known = modules()
    return {m: imports_of(m, p, known) for m, p in known.items()}


def circles(g: dict[str, dict[str, int]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in g[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(g):
        if v not in index:
            visit(v)
    return out


def test_the_runtime_never_imports_the_harness():
    g = graph()
    assert len([m for m in g if m.startswith("mimo")]) > 50, "the walk found the runtime's modules"
    bad = [
        f"{modules()[m].relative_to(ROOT)}:{line} imports {t}"
        for m, deps in sorted(g.items()) if m == "mimo" or m.startswith("mimo.")
        for t, line in sorted(deps.items()) if t.split(".")[0] == "pytest_mimo"
    ]
    assert bad == []


def test_importing_every_runtime_module_loads_no_harness_module():
    """The same at run time: every module of ``mimo`` imported in a fresh interpreter, then
    ``sys.modules`` holds no ``pytest_mimo`` module and no ``pytest`` (the runtime runs without it)."""
    runtime = sorted(m for m in modules() if m.split(".")[0] == "mimo" and not m.endswith("__main__"))
    code = (
        "import importlib, sys\n"
        f"for m in {runtime!r}:\n"
        "    importlib.import_module(m)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pytest_mimo', 'pytest', '_pytest')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True)
    assert out.stdout.strip() == "[]", out.stdout


def test_no_two_modules_import_each_other():
    found = circles(graph())
    g = graph()
    shown = [
        " ; ".join(f"{m} -> {t} (line {g[m][t]})" for m in comp for t in sorted(g[m]) if t in comp)
        for comp in found
    ]
    assert shown == []


def test_the_circle_finder_finds_a_circle(tmp_path):
    """The check above can fail: a two-module circle and a three-module one are found, a chain is
    not; lazy and TYPE_CHECKING imports count, relative ones resolve."""
    g = {"a": {"b": 1}, "b": {"a": 2}, "c": {"d": 1}, "d": {"e": 1}, "e": {"c": 1}, "f": {"a": 1}, "g": {}}
    assert circles(g) == [["a", "b"], ["c", "d", "e"]]
    probe = tmp_path / "x.py"
    probe.write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from mimo.tasks.registry import T\n"
        "def f():\n    from . import tasks\n"
    )
    known = {"mimo.x": probe, "mimo.tasks": tmp_path / "t.py", "mimo.tasks.registry": tmp_path / "r.py"}
    assert imports_of("mimo.x", probe, known) == {"mimo.tasks.registry": 3, "mimo.tasks": 5}


def test_mimo_simulate_comes_from_the_harness_through_the_entry_point_group():
    from mimo.cli import PLUGIN_GROUP, cli

    eps = {ep.name: ep.value for ep in importlib.metadata.entry_points(group=PLUGIN_GROUP)}
    assert eps.get("simulate") == "pytest_mimo.simulation.cli:simulate"
    assert "simulate" not in cli.commands  # not built in
    with click.Context(cli) as ctx:
        assert "simulate" in cli.list_commands(ctx)
        command = cli.get_command(ctx, "simulate")
    from pytest_mimo.simulation.cli import simulate

    assert command is simulate
    result = CliRunner().invoke(cli, ["simulate", "--help"])
    assert result.exit_code == 0 and "Simulate a fleet over weeks" in result.output


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("no_such_module_xyz:cmd", "command 'boom' (entry point no_such_module_xyz:cmd of mimo.cli) did not load: "
                                   "ModuleNotFoundError"),
        ("mimo.const:TLS_CERT_ROTATION_ID", "command 'boom' (entry point mimo.const:TLS_CERT_ROTATION_ID of mimo.cli) "
                                            "is not a click command"),
    ],
)
def test_a_broken_cli_plugin_is_one_error_line(monkeypatch, value, message):
    from mimo.cli import PLUGIN_GROUP, cli

    real = importlib.metadata.entry_points

    def entry_points(**kw):
        if kw.get("group") == PLUGIN_GROUP:
            return [importlib.metadata.EntryPoint(name="boom", value=value, group=PLUGIN_GROUP),
                    importlib.metadata.EntryPoint(name="tasks", value=value, group=PLUGIN_GROUP)]
        return real(**kw)

    monkeypatch.setattr(importlib.metadata, "entry_points", entry_points)
    result = CliRunner().invoke(cli, ["boom"])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"mimo: error: {message}"), lines
    # a plugin named like a built-in command does not replace it
    assert CliRunner().invoke(cli, ["tasks", "--help"]).exit_code == 0
