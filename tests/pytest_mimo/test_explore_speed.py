"""Exhaustive exploration made cheaper without changing a verdict: a process reuses a scenario's
baseline across its site items (:mod:`pytest_mimo.baselines`). Each item's outcome — its
violations, the faults it met, its final state and world — is the same whether its baseline was
reused or run fresh (``--mimo-fresh-baselines``), in collection order or reversed, on one process
or spread over two xdist workers."""

import json
from pathlib import Path

import pytest

from pytest_mimo.baselines import BaselineCache

pytest_plugins = ["pytester"]

PLANTED = Path(__file__).with_name("planted_tasks.py").read_text()

#: records each replay's outcome (one JSON line per item) and which baseline object it used
CONFTEST = '''
import hashlib, json, os
import pytest

def pytest_addoption(parser):
    parser.addoption("--reverse", action="store_true", default=False)

@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    if config.getoption("--reverse"):
        items.reverse()

def pytest_mimo_replay_outcome(item, outcome):
    world = json.dumps(outcome.run.world, sort_keys=True, default=repr)
    line = {
        "item": item.nodeid,
        "state": outcome.state,
        "attempts": outcome.attempts,
        "violations": outcome.violations,
        "trace": [str(e) for e in outcome.trace],
        "world": hashlib.sha256(world.encode()).hexdigest(),
        "baseline": "%d:%d" % (os.getpid(), id(outcome.baseline)),
    }
    with open(os.environ["OUTCOMES"], "a") as f:
        f.write(json.dumps(line) + "\\n")
'''


def _run(pytester, monkeypatch, tmp_path, name, *args, subprocess=False):
    out = tmp_path / f"{name}.jsonl"
    monkeypatch.setenv("OUTCOMES", str(out))
    run = pytester.runpytest_subprocess if subprocess else pytester.runpytest
    # the clean item, the first ten sites and the conflict ones (the failing site among them)
    result = run("--mimo-explore=exhaustive", "-q", "-k", "replay0 or site000 or conflict", *args)
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    return result, {x["item"]: x for x in lines}


def _verdicts(outcomes):
    return {k: {f: v[f] for f in ("state", "attempts", "violations", "trace", "world")} for k, v in outcomes.items()}


def test_a_site_items_outcome_is_the_same_with_its_baseline_reused_in_any_order_on_any_worker(pytester, monkeypatch, tmp_path):
    """The planted stale-retry bug (l) fails at its conflict site: a failing item and passing ones."""
    pytester.makepyfile(planted_tasks=PLANTED)
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(
        test_scenario="""
        import planted_tasks as p

        def test_task(mimo_world, mimo_replay):
            p.seed_world(mimo_world)
            mimo_replay(p.one_step(p.set_run_stale_retry))
        """
    )
    fresh_result, fresh = _run(pytester, monkeypatch, tmp_path, "fresh", "-p", "no:xdist", "--mimo-fresh-baselines")
    reused_result, reused = _run(pytester, monkeypatch, tmp_path, "reused", "-p", "no:xdist")
    reversed_result, backwards = _run(pytester, monkeypatch, tmp_path, "reversed", "-p", "no:xdist", "--reverse")
    xdist_result, spread = _run(pytester, monkeypatch, tmp_path, "xdist", "-n", "2", subprocess=True)

    sites = [k for k in fresh if "[site" in k]
    assert len(sites) >= 10
    failing = [k for k in sites if fresh[k]["violations"]]
    assert len(failing) == 1 and "conflict" in failing[0], failing
    assert fresh_result.ret == reused_result.ret == reversed_result.ret == xdist_result.ret == 1
    assert _verdicts(reused) == _verdicts(fresh)
    assert _verdicts(backwards) == _verdicts(fresh)
    assert _verdicts(spread) == _verdicts(fresh)
    # fresh: every item its own baseline; reused: one baseline (the probe's) for every site item
    assert len({fresh[k]["baseline"] for k in sites}) == len(sites)
    assert len({reused[k]["baseline"] for k in sites}) == 1
    assert len({backwards[k]["baseline"] for k in sites}) == 1
    # two workers: at most one baseline each
    assert len({spread[k]["baseline"] for k in sites}) <= 2


def test_the_cache_key_sees_the_world_and_the_cache_forgets_the_least_recently_used(mimo_world):
    key = BaselineCache.key("s", "t", 5, mimo_world)
    assert BaselineCache.key("s", "t", 5, mimo_world) == key
    assert BaselineCache.key("other", "t", 5, mimo_world) != key
    assert BaselineCache.key("s", "t", 4, mimo_world) != key
    mimo_world.kube.add({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "namespace": "default"}})
    assert BaselineCache.key("s", "t", 5, mimo_world) != key
    moved = BaselineCache.key("s", "t", 5, mimo_world)
    mimo_world.clock.advance(1)
    assert BaselineCache.key("s", "t", 5, mimo_world) != moved

    cache = BaselineCache(limit=2)
    cache.put("a", 1, None)
    cache.put("b", 2, None)
    assert cache.get("a").run == 1  # a is now the most recent
    cache.put("c", 3, None)
    assert cache.get("b") is None and cache.get("a").run == 1 and cache.get("c").run == 3
    assert (cache.hits, cache.misses) == (3, 1)
    with pytest.raises(ValueError, match="limit must be >= 1"):
        BaselineCache(limit=0)
