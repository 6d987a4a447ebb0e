"""``world_diff`` walks only the subtrees that differ, and ``with_concurrent_changes`` copies only the
paths it changes (speed, issue #15 item 7): both must answer exactly as the plain definitions do —
flatten both worlds whole and compare every path; deep-copy the world and set each change — on
seeded random worlds (the seed is printed with a failure)."""

from __future__ import annotations

import copy
import json
import random
from typing import Any

import pytest

from pytest_mimo.replay import (
    _flatten,
    _ignored,
    _is_secret_path,
    _show,
    with_concurrent_changes,
    world_diff,
)

SEEDS = range(300)


def reference_diff(before: dict[str, Any], after: dict[str, Any], ignore: tuple[str, ...] = ()) -> list[str]:
    """The definition: every path of both worlds flattened, compared one by one."""
    a: dict[str, Any] = {}
    b: dict[str, Any] = {}
    _flatten("", before, a)
    _flatten("", after, b)
    lines = []
    for path in sorted(set(a) | set(b)):
        if _ignored(path, ignore):
            continue
        va, vb = a.get(path, "<absent>"), b.get(path, "<absent>")
        if va != vb:
            secret = _is_secret_path(path)
            lines.append(f"{path}: {_show(va, secret)} → {_show(vb, secret)}")
    return lines


def reference_changes(state: dict[str, Any], changes: list[tuple[tuple[str, ...], Any]]) -> dict[str, Any]:
    out = copy.deepcopy(state)
    for path, value in changes:
        top = out.get(path[0])
        if not isinstance(top, dict) or (len(path) > 2 and not isinstance(top.get(path[1]), dict)):
            continue
        node: Any = top
        for part in path[1:-1]:
            nxt = node.get(part)
            if not isinstance(nxt, dict):
                nxt = node[part] = {}
            node = nxt
        node[path[-1]] = value
    return out


KEYS = ["a", "b", "data", "metadata", "annotations", "tls.key", "password", "x"]


def leaf(rng: random.Random) -> Any:
    return rng.choice([None, True, False, 0, 1, 2, "1", "v", "w", "", [], {}, [1, 2], ["v"], 1.5])


def tree(rng: random.Random, depth: int) -> Any:
    roll = rng.random()
    if depth <= 0 or roll < 0.3:
        return leaf(rng)
    if roll < 0.8:
        return {rng.choice(KEYS): tree(rng, depth - 1) for _ in range(rng.randint(1, 4))}
    return [tree(rng, depth - 1) if rng.random() < 0.3 else {rng.choice(KEYS): tree(rng, depth - 2)}
            for _ in range(rng.randint(1, 3))]


def mutate(rng: random.Random, value: Any, depth: int = 0) -> Any:
    """A copy of ``value`` with a few random edits (or none)."""
    if isinstance(value, dict) and value and rng.random() < 0.8:
        out = dict(value)
        for k in rng.sample(sorted(out), k=min(len(out), rng.randint(0, 2))):
            roll = rng.random()
            if roll < 0.2:
                del out[k]
            elif roll < 0.5:
                out[k] = tree(rng, 2)
            else:
                out[k] = mutate(rng, out[k], depth + 1)
        if rng.random() < 0.2:
            out[rng.choice(KEYS)] = tree(rng, 2)
        return out
    if isinstance(value, list) and value and rng.random() < 0.8:
        out_list = [mutate(rng, v, depth + 1) for v in value]
        if rng.random() < 0.3:
            out_list.append(tree(rng, 2))
        elif rng.random() < 0.2:
            out_list.pop()
        return out_list
    return tree(rng, 2) if rng.random() < 0.3 else copy.deepcopy(value)


def world(rng: random.Random) -> dict[str, Any]:
    return {
        "cluster": tree(rng, 4),
        "kube": {f"v1/ConfigMap/ns/{i}": {"metadata": {"name": str(i)}, "data": tree(rng, 3)} for i in range(5)},
        "azure": {f"keyvault:v/s{i}": leaf(rng) for i in range(3)},
    }


@pytest.mark.parametrize("seed", SEEDS)
def test_world_diff_is_the_whole_flatten_compared(seed: int) -> None:
    rng = random.Random(seed)
    before = world(rng)
    after = mutate(rng, before)
    ignore = tuple(rng.sample(["kube", "cluster.a", "kube.v1/ConfigMap/ns/1.data", "azure"], k=rng.randint(0, 2)))
    kept = json.dumps([before, after], sort_keys=True, default=str)
    assert world_diff(before, after, ignore) == reference_diff(before, after, ignore), f"seed {seed}"
    assert world_diff(before, before) == [] and world_diff(after, copy.deepcopy(after)) == []
    assert json.dumps([before, after], sort_keys=True, default=str) == kept, "world_diff changed its inputs"


@pytest.mark.parametrize("seed", SEEDS)
def test_concurrent_changes_as_a_deep_copy_with_each_change_set(seed: int) -> None:
    rng = random.Random(seed)
    state = world(rng)
    keys = [("kube", k) for k in state["kube"]] + [("kube", "v1/ConfigMap/ns/absent"), ("cluster",), ("nothing",)]
    changes = []
    for _ in range(rng.randint(0, 5)):
        head = rng.choice(keys)
        path = head + tuple(rng.choice(KEYS) for _ in range(rng.randint(1, 3)))
        changes.append((path, leaf(rng)))
    kept = copy.deepcopy(state)
    got = with_concurrent_changes(state, changes)
    assert got == reference_changes(state, changes), f"seed {seed}: {changes}"
    assert state == kept, f"seed {seed}: with_concurrent_changes changed the state it was given"
