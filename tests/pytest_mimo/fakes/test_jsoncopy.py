"""``json_copy`` is ``copy.deepcopy`` for the fakes' JSON documents (the fakes' reads, snapshots and
watch events hand out copies: a caller mutating one must never change what the fake stores)."""

from __future__ import annotations

import copy
import random
from collections import OrderedDict
from typing import Any

from pytest_mimo.fakes.jsoncopy import json_copy

SEED = 20261203


def _tree(rng: random.Random, depth: int) -> Any:
    pick = rng.randrange(8 if depth > 0 else 5)
    if pick == 0:
        return rng.choice(["", "a", "ü", "x" * 40])
    if pick == 1:
        return rng.randint(-(2**63), 2**63)
    if pick == 2:
        return rng.random()
    if pick == 3:
        return rng.choice([True, False])
    if pick == 4:
        return None
    if pick in (5, 6):
        return {f"k{i}": _tree(rng, depth - 1) for i in range(rng.randrange(5))}
    return [_tree(rng, depth - 1) for _ in range(rng.randrange(5))]


def _containers(v: Any) -> list[Any]:
    out = []
    if isinstance(v, (dict, list)):
        out.append(v)
        for x in v.values() if isinstance(v, dict) else v:
            out.extend(_containers(x))
    return out


def test_equal_to_deepcopy_and_shares_no_container() -> None:
    rng = random.Random(SEED)
    print(f"seed {SEED}")
    for _ in range(300):
        tree = _tree(rng, 5)
        got = json_copy(tree)
        assert got == copy.deepcopy(tree)
        original_ids = {id(c) for c in _containers(tree)}
        assert not original_ids & {id(c) for c in _containers(got)}, "a dict or list of the original was shared"


def test_mutating_the_copy_leaves_the_original() -> None:
    obj = {"metadata": {"labels": {"a": "1"}, "finalizers": ["x"]}, "spec": {"items": [{"n": 1}]}}
    c = json_copy(obj)
    c["metadata"]["labels"]["a"] = "2"
    c["metadata"]["finalizers"].append("y")
    c["spec"]["items"][0]["n"] = 2
    assert obj == {"metadata": {"labels": {"a": "1"}, "finalizers": ["x"]}, "spec": {"items": [{"n": 1}]}}


def test_other_types_go_to_deepcopy() -> None:
    inner = [1, 2]
    odd = {"t": (inner, "s"), "s": {3, 4}, "o": OrderedDict(a=[1]), "b": b"raw"}
    got = json_copy(odd)
    assert got == odd
    assert type(got["o"]) is OrderedDict and got["o"] is not odd["o"] and got["o"]["a"] is not odd["o"]["a"]
    assert got["t"][0] is not inner  # a tuple holding a list is deep-copied, as deepcopy does
    assert got["s"] is not odd["s"]
