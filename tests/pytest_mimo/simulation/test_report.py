"""Report helpers: percentiles, expectations, JSON."""

from __future__ import annotations

import json

from pytest_mimo.simulation.report import Report, percentile
from pytest_mimo.simulation.scenario import Expectation


def test_nearest_rank_percentiles() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50
    assert percentile(values, 95) == 95
    assert percentile(values, 99) == 99
    assert percentile([3.0], 95) == 3.0
    assert percentile([], 95) == 0.0
    assert percentile([5.0, 1.0, 3.0], 50) == 3.0


def test_expectations_hold_inclusively() -> None:
    e = Expectation("latency_p95_max", "latency_p95", 7200.0, True, True)
    assert e.holds(7200) and not e.holds(7201)
    assert e.describe_bound() == "<= 2h"
    m = Expectation("completed_share_min", "completed_share", 0.95, False, False)
    assert m.holds(0.95) and not m.holds(0.9499)
    assert m.describe_bound() == ">= 0.95"


def test_json_is_sorted_and_wall_is_apart() -> None:
    r = Report({"seed": 3, "b": 1, "a": {"z": 1, "y": 2}}, {"seconds": 1.5, "virtual_per_wall": 10.0})
    text = r.to_json(wall=False)
    assert text.index('"a"') < text.index('"b"') < text.index('"seed"')
    assert "wall" not in json.loads(text)
    assert json.loads(r.to_json())["wall"] == {"seconds": 1.5, "virtual_per_wall": 10.0}
    assert r.ok  # no expectations: nothing failed
