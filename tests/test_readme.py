"""The README's task-author examples run as written (issue #15, "Done when").

* ``<!-- readme-file: PATH -->``: a replay scenario on a varied world built with
  ``pytest_mimo.worlds.kube`` and ``.azure``, copied into a fresh directory;
* ``<!-- readme-gate -->``: the gate on one's own task, run on that file exactly as written except
  ``--mimo-replays 25`` → 3 and ``-n auto`` → ``-p no:xdist`` (time, and pytester's one process);
  it passes, and naming a second task without a scenario makes it fail, naming that task;
* ``<!-- readme-script -->``: the public import line and a replay without pytest, in a fresh
  interpreter.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from mimo import const

README = Path(__file__).resolve().parents[1] / "README.md"
FILE_BLOCK = re.compile(r"<!-- readme-file: (?P<path>\S+) -->\n```python\n(?P<code>.*?)```", re.DOTALL)
GATE_BLOCK = re.compile(r"<!-- readme-gate -->\n```console\n\$ (?P<cmd>.*?)\n```", re.DOTALL)
SCRIPT_BLOCK = re.compile(r"<!-- readme-script -->\n```python\n(?P<code>.*?)```", re.DOTALL)
IMPORT_LINE = "from pytest_mimo import FakeKube, FakeAzure, SimClock, FakeTaskContext, MimoWorld, Replayer, FaultInjector"


def _readme() -> str:
    return README.read_text(encoding="utf-8")


def _gate_args() -> list[str]:
    m = GATE_BLOCK.search(_readme())
    assert m, "README.md has no <!-- readme-gate --> console block"
    cmd = shlex.split(m.group("cmd"))
    assert cmd[0] == "pytest" and "--mimo-gate" in cmd and "--mimo-gate-tasks" in cmd
    args = " ".join(cmd[1:]).replace("--mimo-replays 25", "--mimo-replays 3").replace("-n auto", "-p no:xdist")
    return [*args.split(), "-p", "no:cacheprovider", "-p", "no:randomly"]


def _scenario(pytester: pytest.Pytester) -> None:
    files = {m.group("path"): m.group("code") for m in FILE_BLOCK.finditer(_readme())}
    assert set(files) == {"tests/test_fix_ssh_scenario.py"}
    for path, code in files.items():
        target = pytester.path / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(code, encoding="utf-8")


def test_the_gate_on_ones_own_task_passes_as_the_readme_shows(pytester: pytest.Pytester) -> None:
    _scenario(pytester)
    args = _gate_args()
    assert args[args.index("--mimo-gate-tasks") + 1] == const.FIX_SSH_ID
    result = pytester.runpytest_subprocess(*args)
    result.assert_outcomes(passed=4)  # the clean replay and 3 faulted ones, each with its world variant
    result.stdout.fnmatch_lines([
        "*mimo gate: replay coverage*",
        f"FIX_SSH_ID {const.FIX_SSH_ID[:8]}  1  *  4  *",
        "mimo gate passed: every checked task (1) has a mimo_scenario test",
    ])
    report = json.loads((pytester.path / "mimo-gate.json").read_text())
    assert const.FIX_SSH_ID in json.dumps(report)


def test_the_gate_names_a_task_of_ones_own_without_a_scenario(pytester: pytest.Pytester) -> None:
    _scenario(pytester)
    args = _gate_args()
    i = args.index("--mimo-gate-tasks") + 1
    args[i] = f"{args[i]},{const.TLS_CERT_ROTATION_ID}"
    result = pytester.runpytest_subprocess(*args)
    assert result.ret != 0
    result.stdout.fnmatch_lines([f"mimo gate FAILED: tasks without a mimo_scenario test: *{const.TLS_CERT_ROTATION_ID[:8]}*"])


def test_the_script_runs_without_pytest() -> None:
    m = SCRIPT_BLOCK.search(_readme())
    assert m, "README.md has no <!-- readme-script --> block"
    code = m.group("code")
    assert IMPORT_LINE in code
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    assert re.fullmatch(r"Completed after \d+ attempt\(s\), \d+ fault\(s\) injected\n", r.stdout), r.stdout
