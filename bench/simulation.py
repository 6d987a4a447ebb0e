"""Fleet simulation speed: virtual seconds per wall second, cluster-weeks per wall second.

Runs the embedded default scenario (``mimo simulate`` with no file: the
weekly TLS rotation of ``simulations/weekly-tls-rotation.toml``, 60 clusters
× 28 days, background faults) RUNS times, then the
same scenario with twice the clusters and with twice the duration, and prints
medians and the ratios between them measured in the same session (how the
cost scales with fleet size and with virtual time).

    python bench/simulation.py [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
from dataclasses import replace
from datetime import timedelta

from pytest_mimo.simulation import load_scenario, simulate
from pytest_mimo.simulation.scenario import Scenario


def variant(base: Scenario, clusters: int, days: int) -> Scenario:
    subs = min(base.fleet.subscriptions, clusters)
    # keep every ACR token short of its 140-day rotation limit for the whole run, as in the default
    lo, hi = base.fleet.acr_token_age_days
    hi = min(hi, 139.0 - days)
    fleet = replace(base.fleet, clusters=clusters, subscriptions=subs, acr_token_age_days=(min(lo, hi), hi))
    return replace(base, fleet=fleet, run=replace(base.run, duration=timedelta(days=days)))


def measure(sc: Scenario, runs: int) -> dict[str, float]:
    walls, manifests, attempts = [], 0, 0
    for _ in range(runs):
        r = simulate(sc)
        if not r.ok:
            raise SystemExit(f"the scenario's expectations failed: {r.failure_text()}")
        walls.append(r.wall["seconds"])
        manifests, attempts = r.data["manifests"]["total"], r.data["attempts"]["total"]
    wall = statistics.median(walls)
    virtual = sc.run.duration.total_seconds()
    return {
        "wall": wall, "walls": walls, "virtual_per_wall": virtual / wall,
        "cluster_weeks_per_wall": sc.fleet.clusters * virtual / (7 * 86400) / wall,
        "manifests": manifests, "attempts": attempts, "attempts_per_wall": attempts / wall,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    base = load_scenario(None)
    print(f"machine: {' '.join(platform.uname())}")
    print(f"cores: {os.cpu_count()}  python: {sys.version.split()[0]}")
    print(f"scenario: default ({base.fleet.clusters} clusters, {base.run.duration.days} days, "
          f"{len(base.schedules)} schedules, {base.run.workers} workers), seed {base.seed}; "
          f"{args.runs} runs per configuration (medians)")
    configs = [
        ("default", base),
        ("2x clusters", variant(base, base.fleet.clusters * 2, base.run.duration.days)),
        ("2x duration", variant(base, base.fleet.clusters, base.run.duration.days * 2)),
    ]
    results = {}
    for label, sc in configs:
        m = results[label] = measure(sc, args.runs)
        print(f"{label:12s} {sc.fleet.clusters:3d} clusters x {sc.run.duration.days:2d} d: "
              f"median wall {m['wall']:6.2f} s (runs {', '.join(f'{w:.2f}' for w in m['walls'])})  "
              f"{m['virtual_per_wall']:9,.0f} virtual s/wall s  {m['cluster_weeks_per_wall']:6.1f} cluster-weeks/wall s  "
              f"{m['manifests']} manifests, {m['attempts']} attempts ({m['attempts_per_wall']:.0f}/wall s)")
    d = results["default"]
    for label in ("2x clusters", "2x duration"):
        print(f"wall ratio {label} / default: {results[label]['wall'] / d['wall']:.2f} "
              f"(attempts ratio {results[label]['attempts'] / d['attempts']:.2f})")


if __name__ == "__main__":
    main()
