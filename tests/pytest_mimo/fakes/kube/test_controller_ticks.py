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


def _count_ticks(kube: FakeKube) -> list[int]:
    calls: list[int] = []
    ns = kube.controllers.namespace_controller
    real = ns.tick

    def counted(model: Any) -> None:
        calls.append(1)
        real(model)

    ns.tick = counted  # type: ignore[method-assign]
    return calls


def test_reads_without_changes_tick_nothing_and_a_change_ticks_again() -> None:
    with FakeKube() as kube:
        helper = kube.client_helper()
        helper.get_one("v1", "Namespace", "default")
        calls = _count_ticks(kube)
        for _ in range(5):
            helper.get_one("v1", "Namespace", "default")
        assert calls == []
        helper.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "default"}})
        helper.get_one("v1", "Namespace", "default")
        assert calls, "a change did not make the next tick run"


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
