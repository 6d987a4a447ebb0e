"""The fake's controller manager skips a tick that has nothing to read (issue #15 item 7, speed).

The garbage collector works from the change log only and the namespace controller only on
terminating namespaces (kube-controller-manager's namespace controller and garbage collector are
driven by informer events; ``controllermanager.py``): with no change since the last tick and no
namespace terminating, a tick before a request reads nothing; any change, or a terminating
namespace waiting out its delay, makes the next tick run.
"""

from __future__ import annotations

from typing import Any

from pytest_mimo.clock import SimClock
from pytest_mimo.fakes.kube import FakeKube


def _count_ticks(kube: FakeKube) -> dict[str, list[int]]:
    """Calls of the namespace controller's and the collector's ``tick``."""
    calls: dict[str, list[int]] = {"ns": [], "gc": []}
    for key, controller in (("ns", kube.controllers.namespace_controller), ("gc", kube.controllers.garbage_collector)):
        real = controller.tick

        def counted(model: Any, real: Any = real, key: str = key) -> None:
            calls[key].append(1)
            real(model)

        controller.tick = counted  # type: ignore[method-assign]
    return calls


def test_reads_without_changes_tick_nothing_and_a_change_ticks_again() -> None:
    with FakeKube() as kube:
        helper = kube.client_helper()
        helper.get_one("v1", "Namespace", "default")
        calls = _count_ticks(kube)
        for _ in range(5):
            helper.get_one("v1", "Namespace", "default")
        assert calls == {"ns": [], "gc": []}
        helper.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "n"}})
        helper.get_one("v1", "Namespace", "default")
        assert calls["ns"] and calls["gc"], "a namespace written did not make the next tick run"


def test_a_write_neither_controller_reads_ticks_nothing() -> None:
    """A ConfigMap without owners, written and updated: the namespace controller reads
    namespaces only and the collector objects with ownerReferences (or owners being deleted
    with orphan / foregroundDeletion, or deletions while dependents exist)."""
    with FakeKube() as kube:
        helper = kube.client_helper()
        cm = helper.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "default"}})
        helper.get_one("v1", "Namespace", "default")
        calls = _count_ticks(kube)
        cm["data"] = {"k": "v"}
        helper.update(cm)
        helper.get_one("v1", "Namespace", "default")
        assert calls == {"ns": [], "gc": []}
        # the collector still moved past those changes: an owned object now makes it tick
        helper.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {
            "name": "d", "namespace": "default",
            "ownerReferences": [{"apiVersion": "v1", "kind": "ConfigMap", "name": "c", "uid": cm["metadata"]["uid"]}],
        }})
        helper.get_one("v1", "Namespace", "default")
        assert calls["gc"] and calls["ns"], "an owned object written did not make the next tick run"


def test_an_owned_object_whose_owner_goes_is_collected_after_unrelated_writes() -> None:
    """The skipped ticks lose nothing: writes nobody reads, then the owner's deletion."""
    with FakeKube() as kube:
        helper = kube.client_helper()
        owner = helper.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "o", "namespace": "default"}})
        helper.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {
            "name": "d", "namespace": "default",
            "ownerReferences": [{"apiVersion": "v1", "kind": "ConfigMap", "name": "o", "uid": owner["metadata"]["uid"]}],
        }})
        for i in range(3):
            helper.create({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": f"s{i}", "namespace": "default"}})
        helper.delete("v1", "ConfigMap", "o", "default")
        helper.get_one("v1", "Namespace", "default")  # the tick before this request collects
        assert kube.get("v1", "ConfigMap", "d", "default") is None


def test_a_terminating_namespace_is_still_finished_on_virtual_time() -> None:
    with SimClock() as clock, FakeKube() as kube:
        kube.namespace_controller.delay_seconds = 30
        helper = kube.client_helper()
        helper.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "gone"}})
        helper.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "gone"}})
        helper.delete("v1", "Namespace", "gone")
        for _ in range(3):  # no change between these: the controller still waits out its delay
            assert helper.get_one("v1", "Namespace", "gone")["status"]["phase"] == "Terminating"
        clock.advance(31)
        helper.get_one("v1", "Namespace", "default")  # a tick after the delay
        helper.get_one("v1", "Namespace", "default")
        assert kube.get("v1", "Namespace", "gone") is None and kube.get("v1", "ConfigMap", "c", "gone") is None
