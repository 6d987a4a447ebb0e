"""A long bad-input campaign over every ``mimo`` command (issue #17): inputs tried per command.

Runs the Hypothesis property suite ``tests/mimo/cli/test_fuzz_inputs.py`` with EXAMPLES examples per
command (CI runs 150) under one seed, and prints, per command, the inputs tried, how many were refused
(one ``mimo: error:`` line, exit 2, store unchanged) and accepted, and the wall time. Any traceback,
changed store or accepted bad value fails the campaign with the seed that replays it:

    python bench/fuzz_cli.py [--examples 2000] [--seed N] [--workers 2]

Replay one failure: ``MIMO_FUZZ_SEED=N MIMO_FUZZ_EXAMPLES=E pytest tests/mimo/cli/test_fuzz_inputs.py -k 'env'``.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--examples", type=int, default=2000, help="examples per command (CI: 150)")
    ap.add_argument("--seed", type=int, default=None, help="default: a random one, printed")
    ap.add_argument("--workers", type=int, default=2, help="pytest-xdist workers")
    ap.add_argument("-k", dest="select", default=None, help="only the commands matching (pytest -k)")
    a = ap.parse_args()
    seed = a.seed if a.seed is not None else random.SystemRandom().randrange(2**32)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, "
          f"Python {platform.python_version()}")
    print(f"seed {seed}, {a.examples} examples per command, {a.workers} workers")
    cmd = [sys.executable, "-m", "pytest", "-q", str(ROOT / "tests/mimo/cli/test_fuzz_inputs.py"),
           "-n", str(a.workers) if a.workers > 1 else "0", "--durations=0", "-rf"]
    if a.select:
        cmd += ["-k", a.select]
    env = {**os.environ, "MIMO_FUZZ_SEED": str(seed), "MIMO_FUZZ_EXAMPLES": str(a.examples)}
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    out = proc.stdout
    secs = {m.group(2): float(m.group(1))
            for m in re.finditer(r"([0-9.]+)s call .*store\[(.+)\]", out)}
    rows = re.findall(r"^(.+?): (\d+) inputs tried \((\d+) refused, (\d+) accepted\)", out, re.M)
    print(f"\n{'command':<30} {'tried':>7} {'refused':>8} {'accepted':>9} {'seconds':>8}")
    total = 0
    for name, tried, refused, accepted in sorted(rows):
        total += int(tried)
        print(f"{name:<30} {tried:>7} {refused:>8} {accepted:>9} {secs.get(name, float('nan')):>8.1f}")
    print(f"{'all':<30} {total:>7}   in {wall:.0f} s wall")
    if proc.returncode != 0:
        print("\nFAILED: " + "\n".join(line for line in out.splitlines() if line.startswith("FAILED")))
        print(out[-6000:])
        print(f"replay: MIMO_FUZZ_SEED={seed} MIMO_FUZZ_EXAMPLES={a.examples} "
              "pytest tests/mimo/cli/test_fuzz_inputs.py")
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
