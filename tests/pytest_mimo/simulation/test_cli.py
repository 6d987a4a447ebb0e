"""``mimo simulate``: exit codes, tables, JSON report, plot."""

from __future__ import annotations

import importlib.util
import json

import pytest
from click.testing import CliRunner

from mimo.cli import cli


def run(*args: str):
    return CliRunner().invoke(cli, ["simulate", *args], catch_exceptions=False)


def test_a_scenario_that_holds_exits_0_with_tables_and_a_json_report(write_scenario, tmp_path) -> None:
    out = tmp_path / "report.json"
    r = run(str(write_scenario()), "--report", str(out))
    assert r.exit_code == 0, r.output
    text = r.output
    for needle in ("scenario tiny", "seed 4", "manifests by task and state", "ACR_TOKEN_CHECKER_ID",
                   "TLS_CERT_ROTATION_ID", "latency after runAfter", "faults injected", "kube.throttle",
                   "expectations", "completed_share_min", "wall", "virtual 3d"):
        assert needle in text, needle
    data = json.loads(out.read_text())
    assert data["seed"] == 4 and data["ok"] is True
    assert data["scenario"]["name"] == "tiny"
    assert data["wall"]["seconds"] > 0
    assert data["manifests"]["by_state"]["Completed"] == 16


def test_seed_option_and_same_seed_same_report(write_scenario, tmp_path) -> None:
    p = write_scenario()
    outs = []
    for i, seed in enumerate(("12", "12", "13")):
        out = tmp_path / f"r{i}.json"
        assert run(str(p), "--seed", seed, "--report", str(out)).exit_code == 0
        d = json.loads(out.read_text())
        d.pop("wall")
        outs.append(d)
    assert outs[0]["seed"] == 12 and outs[2]["seed"] == 13
    assert outs[0] == outs[1]
    assert outs[0] != outs[2]


def test_failed_expectations_exit_1_naming_each(write_scenario, tiny_text) -> None:
    p = write_scenario(tiny_text + "retries_min = 1000\n")
    r = run(str(p))
    assert r.exit_code == 1
    assert "FAILED" in r.output
    assert "scenario tiny (seed 4): 1 expectation(s) failed" in r.output
    assert "retries_min: expected >= 1000, got " in r.output
    assert f"replay: mimo simulate {p} --seed 4" in r.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["{bad}"], "fleet.outbound_type: shares must add up to 1 (they add up to 0.5)"),
        (["{missing}"], "missing.toml: cannot read"),
        (["{good}", "--seed", "-1"], "Invalid value for '--seed'"),
        (["{good}", "--report", "{nodir}"], "--report: directory"),
    ],
)
def test_bad_input_exits_2_with_one_line(write_scenario, tiny_text, tmp_path, args, message) -> None:
    paths = {
        "bad": str(write_scenario(tiny_text.replace("[fleet]", "[fleet]\noutbound_type = { Loadbalancer = 0.5 }"), "bad.toml")),
        "missing": str(tmp_path / "missing.toml"),
        "good": str(write_scenario()),
        "nodir": str(tmp_path / "no" / "such" / "report.json"),
    }
    r = run(*[a.format(**paths) for a in args])
    assert r.exit_code == 2
    assert message in r.output
    if "--seed" not in args:
        lines = [line for line in r.output.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("mimo: error: "), r.output


def test_plot_without_matplotlib_says_so_and_exits_2(write_scenario, tmp_path, monkeypatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "matplotlib" else real(name, *a))
    png = tmp_path / "t.png"
    r = run(str(write_scenario()), "--plot", str(png))
    assert r.exit_code == 2
    assert r.output.strip() == "mimo: error: --plot needs matplotlib, which is not installed (pip install 'pymimo[plot]')"
    assert not png.exists()


def test_plot_writes_a_png(write_scenario, tmp_path) -> None:
    pytest.importorskip("matplotlib", reason="the optional 'plot' extra (matplotlib) is not installed")
    png = tmp_path / "t.png"
    r = run(str(write_scenario()), "--plot", str(png))
    assert r.exit_code == 0, r.output
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_default_scenario_runs_green(tmp_path) -> None:
    out = tmp_path / "default.json"
    r = run("--report", str(out))
    assert r.exit_code == 0, r.output
    assert "scenario weekly-tls-rotation (default.toml (embedded))  seed 11" in r.output
    data = json.loads(out.read_text())
    assert data["fleet"]["clusters"] == 60 and len(data["schedules"]) == 1
    assert data["run"]["duration_seconds"] == 28 * 86400
    assert data["manifests"]["counted"] > 200 and data["ok"]
    assert data["faults"]["total"] > 0 and data["attempts"]["retries"] > 0


def test_same_seed_same_report_across_processes(write_scenario, tmp_path) -> None:
    # string hashing differs between processes: nothing in the report may depend on set order
    import os
    import subprocess
    import sys

    p = write_scenario()
    reports = []
    for hashseed in ("1", "2"):
        out = tmp_path / f"r{hashseed}.json"
        env = {**os.environ, "PYTHONHASHSEED": hashseed}
        code = "import sys; from mimo.cli import main; sys.argv = ['mimo', 'simulate', *sys.argv[1:]]; main()"
        proc = subprocess.run([sys.executable, "-c", code, str(p), "--report", str(out)], env=env,
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        d = json.loads(out.read_text())
        d.pop("wall")
        reports.append(d)
    assert reports[0] == reports[1]
