"""The admission pipeline's memory (what it remembers or passes along for speed, issue #12)
answers exactly as the pipeline without it: the same objects (bytes, key order, types,
managedFields), the same errors (status, message, causes in order), the same warnings.

Two models take the same seeded requests, Deployments created, updated and merge-patched with
mutations (unknown fields, wrong types, nulls, invalid names and labels, selector mismatches,
strategies the rules refuse, fields removed for the defaulters to set again, keys reordered)
and plain label changes (the remembered path); one with everything it remembers, the other
forgetting it all before every request and given nothing along (:func:`forgetting`).
"""

from __future__ import annotations

import contextlib
import copy
import json
import random
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from typing import Any
from unittest import mock

import pytest
import time_machine

from pytest_mimo.fakes.kube import (
    admission,
    decoding,
    defaulting,
    fieldpaths,
    managedfields,
    validation,
)
from pytest_mimo.fakes.kube.admission import WriteOptions
from pytest_mimo.fakes.kube.apierrors import ApiError
from pytest_mimo.fakes.kube.managedfields import WriteContext
from pytest_mimo.fakes.kube.models import MERGE_PATCH, KubeModel

Obj = dict[str, Any]

#: every memory of the pipeline that :func:`forgetting` empties for the slow path: verdicts
#: (decoded, defaulted, passed the spec rules, compared unchanged) and values (field sets read
#: from and written to ``fieldsV1``)
MEMORIES = (decoding._FIXED, defaulting._SPEC_FIXED, validation._PASSED, fieldpaths._UNCHANGED)
VALUE_MEMORIES = (fieldpaths._READ, fieldpaths._WRITTEN)
NS = "ns"


@contextlib.contextmanager
def forgetting() -> Iterator[None]:
    """The pipeline without its memory: every remembered verdict and value empty (and restored
    after), no spec encoding passed from decoding to validation."""
    saved = [m.keys for m in MEMORIES]
    saved_values = [m.values for m in VALUE_MEMORIES]
    for m in MEMORIES:
        m.keys = set()
    for v in VALUE_MEMORIES:
        v.values = {}
    try:
        with mock.patch.object(admission, "spec_code", lambda options, obj: None):
            yield
    finally:
        for m, keys in zip(MEMORIES, saved, strict=True):
            m.keys = keys
        for v, values in zip(VALUE_MEMORIES, saved_values, strict=True):
            v.values = values


def deployment(name: str, app: str = "web") -> Obj:
    labels = {"app": app}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": NS, "labels": {"tier": "a"}},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": dict(labels)},
                "spec": {
                    "containers": [
                        {"name": "c", "image": "reg.io/web:1", "args": ["serve"],
                         "ports": [{"containerPort": 8080}]},
                    ],
                },
            },
        },
    }


def _container(o: Obj) -> Obj:
    spec = o.setdefault("spec", {})
    if not isinstance(spec, dict):
        return {}
    template = spec.setdefault("template", {})
    if not isinstance(template, dict):
        return {}
    pod = template.setdefault("spec", {})
    if not isinstance(pod, dict):
        return {}
    containers = pod.get("containers")
    if not isinstance(containers, list) or not containers or not isinstance(containers[0], dict):
        pod["containers"] = containers = [{"name": "c", "image": "i:1"}]
    return containers[0]  # type: ignore[no-any-return]


def _spec(o: Obj) -> Obj:
    spec = o.get("spec")
    if not isinstance(spec, dict):
        spec = o["spec"] = {}
    return spec


def _reorder(o: Obj) -> None:
    spec = o.get("spec")
    if isinstance(spec, dict):
        o["spec"] = dict(reversed(list(spec.items())))


#: what a request may do to the body (each a small, seeded change)
MUTATIONS: list[Callable[[Obj, random.Random], None]] = [
    lambda o, r: _spec(o).__setitem__("replicas", r.choice([1, 3, -1, "3", True, 1.0, None, 2**40])),
    lambda o, r: _spec(o).__setitem__("replica", 2),  # unknown
    lambda o, r: _container(o).__setitem__("imagePullPolice", "Always"),  # unknown, deep
    lambda o, r: o["metadata"].__setitem__("colour", "red"),  # unknown in metadata
    lambda o, r: o.__setitem__("extra", {"a": 1}),  # unknown at the top
    lambda o, r: _spec(o).__setitem__("paused", None),  # null dropped
    lambda o, r: _container(o).__setitem__("imagePullPolicy", None),  # null, defaulted again
    lambda o, r: _spec(o).__setitem__("strategy", None),
    lambda o, r: _spec(o).__setitem__("selector", r.choice(["x", None, {}, {"matchLabels": {"app": "other"}}])),
    lambda o, r: _container(o).__setitem__("ports", [{"containerPort": r.choice(["80", 0, 80, 70000, 8.5])}]),
    lambda o, r: _container(o).__setitem__("name", r.choice(["Bad_Name", "", "c", "x" * 70])),
    lambda o, r: _container(o).pop("image", None),
    lambda o, r: o["metadata"].__setitem__("labels", {r.choice(["ok", "bad key", "a/b/c", "-x"]): r.choice(["v", "-", "x" * 64])}),
    lambda o, r: o["metadata"].__setitem__("annotations", {r.choice(["note", "Bad Key", "x/y"]): "v"}),
    lambda o, r: o["metadata"].__setitem__("name", r.choice(["other", "Bad_Name"])),
    lambda o, r: _spec(o).setdefault("template", {}).__setitem__("metadata", {"labels": {"app": r.choice(["web", "db"])}}),
    lambda o, r: _spec(o).__setitem__("strategy", r.choice([
        {"type": "Recreate", "rollingUpdate": {"maxSurge": 1}},
        {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 0}},
        {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "200%"}},
        {"type": "Sideways"},
        {"type": "Recreate"},
    ])),
    lambda o, r: _spec(o).pop("strategy", None),  # the defaulters set it again
    lambda o, r: _container(o).pop("terminationMessagePath", None),
    lambda o, r: _spec(o).__setitem__("progressDeadlineSeconds", r.choice([0, 5, -1, 600])),
    lambda o, r: _spec(o).__setitem__("minReadySeconds", r.choice([10, -3, 900])),
    lambda o, r: _reorder(o),  # the same spec in another key order: another encoding
    lambda o, r: o.__setitem__("status", r.choice([{"replicas": "x"}, {"replicas": 2}, {"bogus": 1}, None])),
    lambda o, r: o["metadata"].__setitem__("managedFields", r.choice([[], [{}], "x"])),
    lambda o, r: o["metadata"].__setitem__("uid", "changed"),
    lambda o, r: o["metadata"].__setitem__("finalizers", [r.choice(["example.com/f", "bad finalizer"])]),
]


def _outcome(fn: Callable[[], Obj], options: WriteOptions) -> tuple[Any, ...]:
    try:
        obj = fn()
    except ApiError as err:
        return ("refused", err.code, json.dumps(err.status()), list(options.warnings))
    return ("stored", json.dumps(obj), list(options.warnings))


class Side:
    """One model and what its requests answered."""

    def __init__(self, slow: bool) -> None:
        self.model = KubeModel(seed=7)
        self.model.put({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}})
        self.info = self.model.kind("apps/v1", "Deployment")
        self.slow = slow

    def request(self, verb: str, name: str, body: Any, manager: str, force: bool = False) -> tuple[Any, ...]:
        options = WriteOptions(field_validation="Warn")
        ctx = WriteContext(manager=manager, user_agent="test-agent/1.0", force=force)
        m = self.model
        with forgetting() if self.slow else contextlib.nullcontext(), managedfields.write_context(ctx), m.lock:
            if verb == "apply":
                return _outcome(lambda: m.apply(self.info, NS, name, body)[0], options)
            if verb == "create":
                return _outcome(lambda: m.create(self.info, NS, body, owned=True, options=options), options)
            if verb == "patch":
                return _outcome(lambda: m.patch(self.info, NS, name, MERGE_PATCH, body, options=options), options)
            return _outcome(lambda: m.update(self.info, NS, name, body, owned=True, options=options), options)

    def stored(self) -> str:
        return json.dumps(sorted((json.dumps(o) for o in self.model.objects()), key=str))


@pytest.mark.parametrize("seed", range(8))
def test_the_remembered_pipeline_answers_as_the_forgetful_one(seed: int) -> None:
    rnd = random.Random(seed)
    hits = 0
    real_spec_code = admission.spec_code

    def counted(options: WriteOptions, obj: Obj) -> bytes | None:
        nonlocal hits
        code = real_spec_code(options, obj)
        hits += code is not None
        return code

    with time_machine.travel(datetime(2026, 12, 4, 12, 0, tzinfo=timezone.utc), tick=False):
        fast, slow = Side(slow=False), Side(slow=True)
        names = [f"d{i}" for i in range(3)]
        for name in names:
            body = deployment(name)
            assert fast.request("create", name, copy.deepcopy(body), "maker") == slow.request(
                "create", name, copy.deepcopy(body), "maker"
            )
        for step in range(150):
            name = rnd.choice(names)
            verb = rnd.choices(["update", "create", "patch", "apply"], [8, 1, 1, 2])[0]
            manager = rnd.choice(["", "", "editor", "other"])
            force = False
            if verb == "create":
                body = deployment(rnd.choice(["fresh", "d0", "Bad_Name", f"n{step}"]))
            elif verb == "apply":  # a server-side apply of a few fields: conflicts unless forced
                manager, force = rnd.choice(["applier", "other", "editor"]), rnd.random() < 0.3
                body = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": NS}}
                if rnd.random() < 0.7:
                    body["spec"] = {"replicas": rnd.choice([1, 2, 3])}
                if rnd.random() < 0.5:
                    body["spec"] = {**body.get("spec", {}), "minReadySeconds": rnd.choice([0, 5])}
            else:
                stored = [json.loads(o) for o in json.loads(fast.stored()) if json.loads(o)["metadata"]["name"] == name]
                body = stored[0] if stored else deployment(name)
                if verb == "patch":
                    body = {"metadata": {"labels": {"step": str(step)}}}
            body["metadata"].setdefault("labels", {})
            if isinstance(body["metadata"]["labels"], dict):
                body["metadata"]["labels"]["step"] = str(step)  # a real change every time
            if verb not in ("patch", "apply"):
                for mutate in rnd.sample(MUTATIONS, rnd.choice([0, 0, 0, 1, 1, 2, 3])):
                    mutate(body, rnd)
            with mock.patch.object(admission, "spec_code", counted):
                got = fast.request(verb, name, copy.deepcopy(body), manager, force)
            want = slow.request(verb, name, copy.deepcopy(body), manager, force)
            assert got == want, (step, verb, body)
            assert fast.stored() == slow.stored(), (step, verb)
    assert hits > 20  # the remembered path was taken, not only the slow one


def test_a_comparison_that_raises_is_never_remembered_as_unchanged() -> None:
    """A top-level part compared with the same JSON is remembered as unchanged only after a
    walk that raised nothing: a keyed list holding a non-object (a world stored without
    validation) fails the comparison every time, as the walk does."""
    from pytest_mimo.fakes.kube.schemas import schema_for

    node = schema_for("apps/v1", "Deployment")
    broken = deployment("b")
    broken["spec"]["template"]["spec"]["containers"] = ["not an object"]
    for _ in range(3):
        with pytest.raises(ValueError, match="expected a map in a keyed list"):
            fieldpaths.compare(broken, copy.deepcopy(broken), node)
    fine = deployment("f")
    for _ in range(3):  # remembered from the first time: still no change
        assert fieldpaths.compare(fine, copy.deepcopy(fine), node).same()
    changed = copy.deepcopy(fine)
    changed["spec"]["replicas"] = 3
    assert fieldpaths.compare(fine, changed, node).modified == {(("f", "spec"), ("f", "replicas"))}
