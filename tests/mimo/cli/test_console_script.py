"""The console script itself (``python -m mimo.cli``, as ``mimo`` runs it): exit codes and one-line errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def mimo(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mimo.cli", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=120)


def test_a_usage_error_is_one_line_and_exit_2(tmp_path: Path) -> None:
    r = mimo("simulate", "--shards", "0", cwd=tmp_path)
    assert r.returncode == 2
    assert r.stderr.splitlines() == [
        "mimo: error: mimo simulate: Invalid value for '--shards': 0 is not in the range x>=1. (see --help)"
    ]
    r = mimo("no-such-command", cwd=tmp_path)
    assert (r.returncode, r.stderr.strip()) == (2, "mimo: error: mimo: No such command 'no-such-command'. (see --help)")


def test_exit_codes_pass_through(tmp_path: Path) -> None:
    assert mimo("--version", cwd=tmp_path).returncode == 0
    assert mimo("simulate", "--help", cwd=tmp_path).returncode == 0
    failing = tmp_path / "failing.toml"
    failing.write_text(
        '[fleet]\nclusters = 1\nsubscriptions = 1\n[[schedules]]\ntask = "ACR_TOKEN_CHECKER_ID"\n'
        'calendar = "*-*-* 06:00"\n[run]\nduration = "1d"\n[expect]\nmanifests_min = 1000\n', encoding="utf-8")
    r = mimo("simulate", str(failing), cwd=tmp_path)
    assert r.returncode == 1, r.stderr
    assert "manifests_min: expected >= 1000" in r.stdout + r.stderr


def test_plugin_module_in_the_current_directory_is_found_by_the_console_script(tmp_path: Path) -> None:
    """``MIMO_PLUGINS=mod mimo tasks`` next to ``mod.py``: the installed ``mimo`` script (whose
    ``sys.path[0]`` is its bin directory, unlike ``python -m``) imports it from the current directory."""
    script = Path(sys.executable).with_name("mimo")
    assert script.exists(), f"the console script is installed beside {sys.executable}"
    (tmp_path / "my_cwd_tasks.py").write_text(
        "from mimo.hookspecs import hookimpl\n\n"
        "def noop(tc, manifest, cluster):\n    tc.set_result_message('ok')\n\n"
        "@hookimpl\ndef mimo_register_tasks():\n"
        "    return {'00000000-0000-4000-8000-00000000c0de': noop}\n",
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MIMO_STORE")}
    r = subprocess.run([str(script), "--store", ":memory:", "tasks"], capture_output=True, text=True,
                       cwd=tmp_path, timeout=120, env={**env, "MIMO_PLUGINS": "my_cwd_tasks"})
    assert r.returncode == 0, r.stderr
    assert "00000000-0000-4000-8000-00000000c0de" in r.stdout
    # a module that is nowhere is still one line, exit 2
    r = subprocess.run([str(script), "--store", ":memory:", "tasks"], capture_output=True, text=True,
                       cwd=tmp_path, timeout=120, env={**env, "MIMO_PLUGINS": "not_here_either"})
    assert r.returncode == 2 and r.stderr.count("\n") == 1
    assert "cannot import plugin module 'not_here_either'" in r.stderr
