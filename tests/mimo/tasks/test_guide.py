"""``docs/writing-tasks.md`` really works: its worked example runs as written.

The guide marks each file of its example with ``<!-- guide-file: PATH -->``.
This test copies them into a fresh directory and runs them with pytest in a
subprocess — the step's unit tests, the task's replay scenario (under faults)
and the plugin registration — with only one stand-in: step 3 of the guide
(adding the ID to ``mimo.const`` and ``DEFAULT_MAINTENANCE_TASKS``) is done by
a conftest instead of by editing the installed package.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from mimo import const

GUIDE = Path(__file__).resolve().parents[3] / "docs" / "writing-tasks.md"
FILE_BLOCK = re.compile(
    r"<!-- guide-file: (?P<path>\S+) -->\n```python\n(?P<code>.*?)```", re.DOTALL
)
GATE_BLOCK = re.compile(r"<!-- guide-gate -->\n```console\n\$ (?P<cmd>.*?)\n```", re.DOTALL)
SCRIPT_BLOCK = re.compile(r"<!-- guide-script -->\n```python\n(?P<code>.*?)```", re.DOTALL)
REGISTRY_BLOCK = re.compile(r"<!-- guide-registry -->\n```python\n(?P<code>.*?)```", re.DOTALL)
ANY_PYTHON_BLOCK = re.compile(r"```python\n(?P<code>.*?)```", re.DOTALL)


def _guide() -> str:
    return GUIDE.read_text(encoding="utf-8")


def _files() -> dict[str, str]:
    return {m.group("path"): m.group("code") for m in FILE_BLOCK.finditer(_guide())}


def _registered_id() -> str:
    m = REGISTRY_BLOCK.search(_guide())
    assert m, "the guide has no <!-- guide-registry --> block"
    found = re.search(r'AUDIT_PROFILE_ID = "([0-9a-f-]{36})"', m.group("code"))
    assert found, "the registry block defines no AUDIT_PROFILE_ID"
    return found.group(1)


def test_the_guide_has_the_three_steps_and_the_scenario() -> None:
    files = _files()
    assert set(files) == {
        "src/mimo/steps/cluster/audit.py",
        "tests/mimo/steps/test_audit.py",
        "src/mimo/tasks/audit.py",
        "plugin/audit_plugin.py",
        "tests/mimo/tasks/test_audit_scenario.py",
        "tests/mimo/tasks/test_network_world.py",
    }
    text = _guide()
    for needle in (
        "--mimo-replays",
        "--mimo-seed",
        "--mimo-gate",
        "replay this case:",
        "mimo_scenario",
    ):
        assert needle in text


def test_every_python_block_compiles() -> None:
    blocks = [m.group("code") for m in ANY_PYTHON_BLOCK.finditer(_guide())]
    assert len(blocks) >= 7
    for i, code in enumerate(blocks):
        compile(code, f"writing-tasks.md block {i + 1}", "exec")


def _worked_example(pytester: pytest.Pytester) -> str:
    """The guide's files in ``pytester.path``, and step 3 of the guide done by a conftest; the task ID."""
    task_id = _registered_id()
    files = _files()
    for path, code in files.items():
        target = pytester.path / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(code, encoding="utf-8")

    # step 3 of the guide, without editing the installed package
    pytester.makeconftest(
        textwrap.dedent(
            f"""
            import mimo.const
            import mimo.steps.cluster
            import mimo.tasks

            mimo.steps.cluster.__path__.append({str(pytester.path / "src/mimo/steps/cluster")!r})
            mimo.tasks.__path__.append({str(pytester.path / "src/mimo/tasks")!r})

            from mimo.tasks.audit import audit_profile_task

            mimo.const.AUDIT_PROFILE_ID = {task_id!r}
            mimo.tasks.DEFAULT_MAINTENANCE_TASKS[mimo.const.AUDIT_PROFILE_ID] = audit_profile_task
            """
        )
    )
    return task_id


def test_the_gate_on_the_worked_example_runs_as_written(pytester: pytest.Pytester) -> None:
    """Section 5's command on one's own task, as written but in one process (``-n auto`` →
    ``-p no:xdist``): every fault site of the audit task tried and passed; with a second ID that
    has no scenario the same gate fails, naming it."""
    task_id = _worked_example(pytester)
    m = GATE_BLOCK.search(_guide())
    assert m, "the guide has no <!-- guide-gate --> console block"
    cmd = shlex.split(m.group("cmd"))
    assert cmd[:2] == ["pytest", "tests/mimo/tasks/test_audit_scenario.py"]
    assert cmd[cmd.index("--mimo-gate-tasks") + 1] == task_id and "--mimo-explore" in cmd
    args = [("no:xdist" if a == "auto" else a) for a in cmd[1:]]
    args[args.index("-n")] = "-p"
    common = ["-p", "no:cacheprovider", "--import-mode=importlib", "-p", "no:randomly"]
    result = pytester.runpytest_subprocess(*args, *common)
    outcomes = result.parseoutcomes()
    assert result.ret == 0 and outcomes.get("passed", 0) > 10 and "failed" not in outcomes, result.stdout.str()[-3000:]
    result.stdout.fnmatch_lines(["mimo gate passed: every checked task (1) has a mimo_scenario test; all * fault sites tried"])

    args[args.index("--mimo-gate-tasks") + 1] = f"{task_id},{const.TLS_CERT_ROTATION_ID}"
    other = pytester.runpytest_subprocess(*args, *common, "-k", "replay0")
    assert other.ret != 0
    other.stdout.fnmatch_lines([f"mimo gate FAILED: tasks without a mimo_scenario test: *{const.TLS_CERT_ROTATION_ID[:8]}*"])


def test_the_script_without_pytest_runs_as_written() -> None:
    m = SCRIPT_BLOCK.search(_guide())
    assert m, "the guide has no <!-- guide-script --> block"
    code = m.group("code")
    assert "from pytest_mimo import FakeKube, FakeAzure, SimClock, FakeTaskContext, MimoWorld, Replayer, FaultInjector" in code
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    assert r.stdout == "Completed kubernetes.io/tls\n", r.stdout


def test_the_worked_example_runs_as_written(pytester: pytest.Pytester) -> None:
    task_id = _worked_example(pytester)
    pytester.makepyfile(
        test_plugin_registration=textwrap.dedent(
            f"""
            import importlib.util

            from mimo.tasks import load_tasks
            from mimo.tasks.audit import audit_profile_task


            def test_the_plugin_registers_the_task():
                spec = importlib.util.spec_from_file_location("audit_plugin", "plugin/audit_plugin.py")
                module = importlib.util.module_from_spec(spec)
                spec.loader.exec_module(module)
                tasks = load_tasks(builtin={{}}, plugins=[module], entry_points=False)
                assert tasks == {{{task_id!r}: audit_profile_task}}
            """
        )
    )
    result = pytester.runpytest_subprocess(
        "-p",
        "no:cacheprovider",
        "--import-mode=importlib",
        "--mimo-replays",
        "5",
        "-q",
        "-p",
        "no:randomly",
    )
    # step tests: 4 + 4 parametrized; scenario: clean + 5 faulted replays; plugin: 1; the Azure world: 1
    result.assert_outcomes(passed=16)
