"""The planted-bug suite at length: each correct twin over 1,000 seeded replays, each planted bug
found within 25.

    python bench/planted_twins.py [--seeds 1000] [--only NAME ...] [--bugs-only | --twins-only]

For every bug class of issue #13 (and the earlier ones) the planted task and its correct twin
live in ``tests/pytest_mimo/planted_tasks.py``. This runs, on one world restored between runs:

1. each **correct twin** under ``--seeds`` faulted replays (replay ``i`` targets the ``i``-th
   fault site of a seed-shuffled order, as ``--mimo-replays`` does, plus background faults at
   0.2): every one must pass;
2. each **planted bug** under replays 0..25 (0 is the clean one): the first replay that
   reports a violation, which must come by 25.

Prints the figures and the machine; exits 1 when a twin fails or a bug is missed. The suite
samples this in CI (tests/pytest_mimo/test_replay.py runs the twins at 25-50 replays).
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "tests" / "pytest_mimo"))

import planted_tasks as p  # noqa: E402

from pytest_mimo import defaults  # noqa: E402
from pytest_mimo.clock import SimClock  # noqa: E402
from pytest_mimo.fakes.azure import FakeAzure  # noqa: E402
from pytest_mimo.fakes.kube import FakeKube  # noqa: E402
from pytest_mimo.replay import Replayer, derive_seed, pick_site  # noqa: E402
from pytest_mimo.scenario import ScenarioReplay  # noqa: E402
from pytest_mimo.world import MimoWorld  # noqa: E402

#: class → (planted bug, correct twin)
CLASSES: dict[str, tuple[Callable[..., None], Callable[..., None]]] = {
    "infinite wait": (p.one_step(p.wait_etcd_forever), p.wait_etcd_bounded),
    "stale conflict retry": (p.one_step(p.set_run_stale_retry), p.one_step(p.set_run)),
    "lost update on the document": (p.one_step(p.set_flag_from_stale_read), p.one_step(p.set_flag)),
    "unconditional PUT": (p.one_step(p.tag_lb_always), p.one_step(p.tag_lb_if_missing)),
    "connection-error-only catch": (p.one_step(p.read_lb_http_errors_only), p.one_step(p.read_lb)),
    "wrong write order (invariant)": (p.one_step(p.point_then_create), p.one_step(p.create_then_point)),
    "real sleep": (p.one_step(p.settle_with_time_sleep), p.one_step(p.settle_with_tc_sleep)),
    "failing second run": (p.one_step(p.create_marker_once_only), p.one_step(p.create_marker)),
    "pause past lease": (p.cleanup_in_finally, p.cleanup_as_a_step),
    # world corners (issue #15): each replay draws a world variant from its builder
    "404 of an essential object": (p.one_step(p.check_apiserver_all_transient), p.one_step(p.check_apiserver_settled)),
    "a missing condition": (p.one_step(p.check_apiserver_degraded_required), p.one_step(p.check_apiserver_settled)),
    "empty flags": (p.one_step(p.copy_flags_nonempty_only), p.one_step(p.copy_flags)),
    "case-sensitive resource ID": (p.one_step(p.check_lb_is_ours_case_sensitive), p.one_step(p.check_lb_is_ours)),
    "first registry profile": (p.one_step(p.check_first_registry_token), p.one_step(p.check_region_registry_token)),
}
#: class → the world builder its replays vary (the others replay p.seed_world as it is)
WORLDS: dict[str, Any] = {
    "404 of an essential object": p.world_clusteroperator,
    "a missing condition": p.world_clusteroperator,
    "empty flags": p.world_flags,
    "case-sensitive resource ID": p.world_lb_ids,
    "first registry profile": p.world_registry,
}
MAX_REPLAYS_TO_CATCH = 25


def machine() -> str:
    return (
        f"{platform.node()} {platform.system()} {platform.release()} {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}"
    )


class Bench:
    """One world (clock, fake kube, fake Azure) shared by every replay, restored between them."""

    def __init__(self) -> None:
        self.clock = SimClock()
        self.kube = FakeKube()
        self.azure = FakeAzure(subscription_id=defaults.SUBSCRIPTION_ID, tenant_id=defaults.TENANT_ID)

    def __enter__(self) -> Bench:
        self.clock.__enter__()
        self.kube.__enter__()
        self.azure.__enter__()
        self.world = MimoWorld(self.clock, kube=self.kube, azure=self.azure)
        self.empty = self.world.snapshot()
        p.seed_world(self.world)
        self.snap = self.world.snapshot()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.azure.__exit__(*exc)
        self.kube.__exit__(*exc)
        self.clock.__exit__(*exc)

    def replay(self, name: str, task: Callable[..., None], index: int) -> Any:
        order_seed = derive_seed("planted", name, "sites")
        seed = derive_seed("planted", name, index) if index else 0
        builder = WORLDS.get(name)

        def make(**kw: Any) -> Replayer:
            args: dict[str, Any] = dict(seed=seed, faulted=index > 0, site_picker=lambda pairs: pick_site(pairs, order_seed, index))
            return Replayer(self.world, **{**args, **kw})

        if builder is None:
            self.world.restore(self.snap)
            return make().replay(task)
        self.world.restore(self.empty)  # the builder seeds the world itself
        return ScenarioReplay(self.world, make, scenario=name, seed=seed, faulted=index > 0, builder=builder).replay(task)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, default=1000, help="faulted replays per correct twin (default 1000)")
    ap.add_argument("--only", nargs="*", default=None, help="class names to run (default: all)")
    ap.add_argument("--bugs-only", action="store_true")
    ap.add_argument("--twins-only", action="store_true")
    args = ap.parse_args()
    logging.disable(logging.CRITICAL)  # the tasks' error logs are the faults doing their work
    classes = {k: v for k, v in CLASSES.items() if not args.only or k in args.only}
    print(f"machine: {machine()}")
    bad = 0
    with Bench() as bench:
        if not args.twins_only:
            print(f"\nplanted bugs: first replay that reports a violation (limit {MAX_REPLAYS_TO_CATCH})")
            for name, (bug, _) in classes.items():
                t0 = time.perf_counter()
                found = next((i for i in range(MAX_REPLAYS_TO_CATCH + 1) if not bench.replay(name, bug, i).ok), None)
                wall = time.perf_counter() - t0
                verdict = f"caught at replay {found}" if found is not None else "MISSED"
                bad += found is None
                print(f"  {name:32} {verdict:22} ({wall:.1f}s wall)")
        if not args.bugs_only:
            print(f"\ncorrect twins: {args.seeds} faulted replays each (fault rate 0.2, one targeted site each)")
            for name, (_, twin) in classes.items():
                walls: list[float] = []
                failed: list[int] = []
                first = ""
                for i in range(1, args.seeds + 1):
                    t0 = time.perf_counter()
                    out = bench.replay(name, twin, i)
                    walls.append(time.perf_counter() - t0)
                    if not out.ok:
                        failed.append(i)
                        first = first or out.report()
                bad += bool(failed)
                print(
                    f"  {name:32} {args.seeds - len(failed)}/{args.seeds} passed, "
                    f"median {statistics.median(walls) * 1000:.0f} ms/replay, total {sum(walls):.0f}s"
                )
                if first:
                    print("    first failure:\n" + "\n".join("      " + line for line in first.splitlines()[:40]))
    print("\nverdict:", "FAILED" if bad else "ok")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
