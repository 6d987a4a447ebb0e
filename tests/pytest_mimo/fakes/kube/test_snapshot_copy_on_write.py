"""A snapshot of the fake copies its buckets, not its objects (speed, issue #15 item 7): that is only
right while no write changes a stored object in place — every write stores a new dict (the model's
copy-on-write rule, ``KubeModel.items``). These tests write through every verb the HTTP layer has
(create, update, status, merge / JSON / strategic merge patch, server-side apply, scale, delete with
finalizers, namespace deletion, dry runs) and through the controllers' ticks and the Python side, and
check that the snapshot taken before still holds exactly what it held, and restores it."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from pytest_mimo.clock import SimClock
from pytest_mimo.fakes.kube import FakeKube
from pytest_mimo.world import MimoWorld

NS = "ns"


def cm(name: str, **data: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": NS,
            "labels": {"a": "1"}, "annotations": {"x": "y"}}, "data": dict(data)}


def deployment(name: str) -> dict[str, Any]:
    labels = {"app": name}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": NS},
            "spec": {"replicas": 1, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels},
                                  "spec": {"containers": [{"name": "c", "image": "img:1"}]}}}}


def seed(kube: FakeKube) -> None:
    kube.add({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}},
             {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "doomed"}},
             cm("a", k="1"), cm("b", k="2"), cm("c", k="3"), cm("d", k="4"), cm("e", k="5"), deployment("web"),
             {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "held", "namespace": NS,
              "finalizers": ["example.com/hold"]}, "data": {"k": "6"}},
             {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": NS},
              "stringData": {"p": "v"}})


def every_write(kube: FakeKube, checkpoint: Callable[[], None] = lambda: None) -> None:
    """Each write, with ``checkpoint()`` after it (a snapshot there must stay as it is too)."""
    h = kube.client_helper()
    a = h.get_one("v1", "ConfigMap", "a", NS)
    a["data"]["k"] = "changed"
    a["metadata"]["labels"]["a"] = "2"
    writes: list[Callable[[], Any]] = [
        lambda: h.update(a),
        lambda: h.patch("v1", "ConfigMap", "b", {"data": {"k": None, "n": "new"},
                                                 "metadata": {"annotations": {"x": None}}}, NS),
        lambda: h.json_patch("v1", "ConfigMap", "c", [{"op": "replace", "path": "/data/k", "value": "j"},
                                                      {"op": "add", "path": "/metadata/labels/b", "value": "2"}], NS),
        lambda: h._call("patch", f"/api/v1/namespaces/{NS}/configmaps/d", body={"data": {"k": "s"}},
                        content_type="application/strategic-merge-patch+json"),
        lambda: h._call("patch", f"/api/v1/namespaces/{NS}/configmaps/e", body={
            "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "e", "namespace": NS}, "data": {"k": "ap"}},
            content_type="application/apply-patch+yaml", field_manager="test", force_conflicts=True),
        lambda: h.update_status({**h.get_one("apps/v1", "Deployment", "web", NS),
                                 "status": {"observedGeneration": 1, "replicas": 1}}),
        lambda: h._call("patch", f"/apis/apps/v1/namespaces/{NS}/deployments/web/scale",
                        body={"spec": {"replicas": 3}}, content_type="application/merge-patch+json"),
        lambda: h._call("put", f"/api/v1/namespaces/{NS}/configmaps/a", body=cm("a", k="dry"), dry_run="All"),
        lambda: h.delete("v1", "ConfigMap", "held", NS),  # a finalizer: only marked for deletion
        lambda: h.delete("v1", "Secret", "s", NS),
        lambda: h.delete("v1", "Namespace", "doomed"),  # Terminating, then the namespace controller's
        lambda: h.create(cm("f", k="7")),
        lambda: kube.delete("v1", "ConfigMap", "c", NS),
        lambda: kube.add(cm("d", k="python-side")),
    ]
    for write in writes:
        write()
        checkpoint()


def test_a_snapshot_holds_what_it_held_after_every_kind_of_write() -> None:
    with SimClock() as clock, FakeKube() as kube:
        seed(kube)
        kube.namespace_controller.delay_seconds = 30
        snap = kube.snapshot()
        frozen = copy.deepcopy(snap)
        before = kube.objects()
        taken: list[tuple[Any, Any]] = []

        def checkpoint() -> None:
            clock.advance(20)  # the controllers tick before the next request: namespace, garbage collector
            taken.append((kube.snapshot(), copy.deepcopy(kube.snapshot())))

        every_write(kube, checkpoint)
        for _ in range(3):
            checkpoint()
            kube.client_helper().get_one("v1", "Namespace", "default")
        assert kube.get("v1", "Namespace", "doomed") is None, "the namespace controller finished the namespace"
        assert kube.objects() != before, "the writes changed the world"
        assert snap == frozen, "a write changed an object a snapshot shares with the store"
        for i, (shared, deep) in enumerate(taken):
            assert shared == deep, f"a write after checkpoint {i} changed an object that snapshot shares"
        kube.restore(snap)
        assert kube.objects() == before
        every_write(kube)  # the restored store's objects are the snapshot's: writes leave them alone too
        clock.advance(600)
        kube.client_helper().get_one("v1", "Namespace", "default")
        assert snap == frozen
        kube.restore(snap)
        assert kube.objects() == before


def test_the_world_state_shares_objects_but_never_changes_them() -> None:
    """``MimoWorld.state`` reads the stored objects without copying them: the state it gave stays
    as it was through later writes, and stripping server metadata leaves the store's objects whole."""
    with SimClock() as clock, FakeKube() as kube:
        seed(kube)
        world = MimoWorld(clock, kube=kube)
        state = world.state()
        frozen = copy.deepcopy(state)
        assert all("resourceVersion" in o["metadata"] and "uid" in o["metadata"] for o in kube.objects())
        assert not any("resourceVersion" in o["metadata"] for o in state["kube"].values())
        every_write(kube)
        assert world.state() != frozen
        assert state == frozen
