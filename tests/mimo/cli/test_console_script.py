"""The console script itself (``python -m mimo.cli``, as ``mimo`` runs it): exit codes and one-line errors."""

from __future__ import annotations

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
