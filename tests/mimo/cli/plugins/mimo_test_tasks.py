"""Test tasks for the CLI and subprocess tests, registered through ``MIMO_PLUGINS=mimo_test_tasks``.

Files go to the folder named by ``MIMO_TEST_DIR``. Every wait is bounded.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from mimo.errors import TransientError
from mimo.hookspecs import hookimpl

NOOP_ID = "00000000-0000-4000-8000-00000000a001"
BLOCK_ID = "00000000-0000-4000-8000-00000000a002"
RACE_ID = "00000000-0000-4000-8000-00000000a003"
FAIL_ID = "00000000-0000-4000-8000-00000000a004"

_barrier_done = threading.Event()


def _dir() -> Path:
    return Path(os.environ["MIMO_TEST_DIR"])


def _wait_for(pred, timeout: float, what: str) -> None:
    end = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > end:
            raise TransientError(f"test task: gave up waiting for {what}")
        time.sleep(0.01)


def noop(tc, manifest, cluster) -> None:
    tc.set_result_message("nothing to do")


def fail(tc, manifest, cluster) -> None:
    tc.set_result_message("failing on purpose")
    raise RuntimeError("plain failure")


def block(tc, manifest, cluster) -> None:
    """Says it started (one file per attempt), then waits for ``release`` (30 s at most)."""
    d = _dir()
    (d / f"started-{manifest.id}-{manifest.dequeues}").write_text(str(os.getpid()))
    _wait_for((d / "release").exists, 30, "the release file")
    tc.set_result_message("released")


def race(tc, manifest, cluster) -> None:
    """Records each run; a second concurrent run of one manifest leaves a ``double-`` file.

    Until two processes have each started a task (``ready-<pid>`` files), every
    task waits (20 s at most), so the two actuators really overlap.
    """
    d = _dir()
    if not _barrier_done.is_set():
        (d / f"ready-{os.getpid()}").touch()
        _wait_for(lambda: len(list(d.glob("ready-*"))) >= 2, 20, "a second actuator process")
        _barrier_done.set()
    marker = d / f"running-{manifest.id}"
    try:
        fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        (d / f"double-{manifest.id}").touch()
        raise
    os.close(fd)
    try:
        with open(d / "runs.log", "a", encoding="utf-8") as f:
            f.write(f"{manifest.id} {os.getpid()} {manifest.dequeues}\n")
        time.sleep(0.002)  # hold the marker a moment, so an overlap would be seen
    finally:
        marker.unlink()


@hookimpl
def mimo_register_tasks():
    return {NOOP_ID: noop, BLOCK_ID: block, RACE_ID: race, FAIL_ID: fail}
