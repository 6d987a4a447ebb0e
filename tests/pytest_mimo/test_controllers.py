from __future__ import annotations

import copy
from typing import Any

import pytest

from pytest_mimo.controllers import DeploymentController, rolled_out_status

NS = "openshift-azure-operator"


def _deployment(
    name: str = "aro-operator-master", image: str = "acr/aro:v1", replicas: int | None = 2
) -> dict[str, Any]:
    d: dict[str, Any] = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": NS},
        "spec": {
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "c", "image": image}]},
            },
        },
    }
    if replicas is not None:
        d["spec"]["replicas"] = replicas
    return d


def _roll(helper: Any, name: str, image: str) -> None:
    d = helper.get_one("apps/v1", "Deployment", name, NS)
    d["spec"]["template"]["spec"]["containers"][0]["image"] = image
    helper.update(d)


def _status(helper: Any, name: str = "aro-operator-master") -> dict[str, Any]:
    d = helper.get_one("apps/v1", "Deployment", name, NS)
    return {"generation": d["metadata"]["generation"], **(d.get("status") or {})}


def test_a_rolled_deployment_becomes_available_after_the_delay(
    mimo_clock: Any, fake_kube: Any
) -> None:
    ctl = DeploymentController(delay_seconds=120).install(fake_kube)
    fake_kube.add(_deployment())
    helper = fake_kube.client_helper()
    _roll(helper, "aro-operator-master", "acr/aro:v2")
    assert _status(helper)["generation"] == 2
    assert _status(helper).get("observedGeneration") != 2
    mimo_clock.advance(119)
    assert _status(helper).get("observedGeneration") != 2
    mimo_clock.advance(1)
    status = _status(helper)
    assert status["observedGeneration"] == 2
    assert status["updatedReplicas"] == status["readyReplicas"] == status["availableReplicas"] == 2
    assert {c["type"]: c["status"] for c in status["conditions"]} == {
        "Available": "True",
        "Progressing": "True",
    }
    assert ctl.completed == [(NS, "aro-operator-master", 2)]


def test_a_second_roll_restarts_the_wait(mimo_clock: Any, fake_kube: Any) -> None:
    DeploymentController(delay_seconds=60).install(fake_kube)
    fake_kube.add(_deployment(replicas=None))
    helper = fake_kube.client_helper()
    _roll(helper, "aro-operator-master", "acr/aro:v2")
    mimo_clock.advance(50)
    _roll(helper, "aro-operator-master", "acr/aro:v3")
    mimo_clock.advance(50)
    assert _status(helper).get("observedGeneration") != 3
    mimo_clock.advance(10)
    status = _status(helper)
    assert status["observedGeneration"] == 3 and status["availableReplicas"] == 1


def test_metadata_only_writes_roll_nothing(mimo_clock: Any, fake_kube: Any) -> None:
    ctl = DeploymentController(delay_seconds=0).install(fake_kube)
    ready = _deployment()
    ready["metadata"]["generation"] = 1
    ready["status"] = rolled_out_status(ready)
    fake_kube.add(ready)
    helper = fake_kube.client_helper()
    d = helper.get_one("apps/v1", "Deployment", "aro-operator-master", NS)
    d["metadata"]["labels"] = {"version": "v2"}
    helper.update(d)
    helper.get_one("apps/v1", "Deployment", "aro-operator-master", NS)
    assert ctl.completed == []


def test_objects_added_unrolled_are_picked_up(mimo_clock: Any, fake_kube: Any) -> None:
    DeploymentController(delay_seconds=30).install(fake_kube)
    fake_kube.add(_deployment())  # generation 1, no status: a rollout in progress
    helper = fake_kube.client_helper()
    assert "observedGeneration" not in _status(helper)  # first sight starts the wait
    mimo_clock.advance(30)
    assert _status(helper)["observedGeneration"] == 1


def test_snapshot_restore_and_the_clock_going_back(mimo_clock: Any, fake_kube: Any) -> None:
    DeploymentController(delay_seconds=100).install(fake_kube)
    fake_kube.add(_deployment())
    helper = fake_kube.client_helper()
    helper.get_one("apps/v1", "Deployment", "aro-operator-master", NS)
    mimo_clock.advance(100)
    assert _status(helper)["observedGeneration"] == 1
    snap = fake_kube.snapshot()
    start = mimo_clock.now()
    _roll(helper, "aro-operator-master", "acr/aro:v2")
    mimo_clock.advance(100)
    assert _status(helper)["observedGeneration"] == 2

    fake_kube.restore(snap)
    mimo_clock.move_to(start)
    _roll(helper, "aro-operator-master", "acr/aro:v2")
    mimo_clock.advance(99)
    assert _status(helper).get("observedGeneration") == 1
    mimo_clock.advance(1)
    assert _status(helper)["observedGeneration"] == 2


def test_namespace_filter(mimo_clock: Any, fake_kube: Any) -> None:
    DeploymentController(delay_seconds=0, namespace="elsewhere").install(fake_kube)
    fake_kube.add(_deployment())
    helper = fake_kube.client_helper()
    helper.get_one("apps/v1", "Deployment", "aro-operator-master", NS)
    assert "observedGeneration" not in _status(helper)


def test_status_is_deterministic() -> None:
    d = _deployment()
    d["metadata"]["generation"] = 4
    assert rolled_out_status(copy.deepcopy(d)) == rolled_out_status(d)
    assert "lastTransitionTime" not in str(rolled_out_status(d))


def test_negative_delay_is_refused() -> None:
    with pytest.raises(ValueError, match="delay_seconds must be >= 0"):
        DeploymentController(delay_seconds=-1)


def test_an_idle_controller_still_sees_a_rollout_written_from_python(mimo_clock: Any, fake_kube: Any) -> None:
    """Ticks skip the scan while nothing was written since one found nothing rolling; any write
    (through the API or ``fake_kube.add``) ends that."""
    ctl = DeploymentController(delay_seconds=60).install(fake_kube)
    helper = fake_kube.client_helper()
    fake_kube.add(_deployment())
    d = helper.get_one("apps/v1", "Deployment", "aro-operator-master", NS)
    d["status"] = rolled_out_status(d)
    fake_kube.add(d)
    for _ in range(3):  # idle: nothing rolling
        helper.list("apps/v1", "Deployment", NS)
    assert ctl.completed == []
    rolled = helper.get_one("apps/v1", "Deployment", "aro-operator-master", NS)
    rolled["spec"]["replicas"] = 3
    rolled["metadata"]["generation"] = rolled["metadata"]["generation"] + 1  # as a Python-side edit would
    fake_kube.add(rolled)
    helper.list("apps/v1", "Deployment", NS)  # first sight
    mimo_clock.advance(60)
    assert _status(helper)["observedGeneration"] == rolled["metadata"]["generation"]
    assert len(ctl.completed) == 1


def test_writes_of_other_kinds_do_not_rescan_but_a_deployment_write_does(mimo_clock: Any, fake_kube: Any) -> None:
    """Only a Deployment write can start a rollout: after an idle tick, the fake's change log
    showing only other kinds' writes leaves the Deployments unread (speed: the fleet simulation
    ticks before every request); a Deployment written, or a snapshot restored, reads them again."""
    ctl = DeploymentController(delay_seconds=60).install(fake_kube)
    helper = fake_kube.client_helper()
    d = fake_kube.add(_deployment())[0]
    d["status"] = rolled_out_status(d)
    fake_kube.add(d)
    helper.list("apps/v1", "Deployment", NS)  # a tick finds nothing rolling
    scans: list[str] = []
    listing = fake_kube.list

    def counted(*args: Any, **kwargs: Any) -> Any:
        scans.append(args[1])
        return listing(*args, **kwargs)

    fake_kube.list = counted
    for i in range(3):
        helper.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"cm-{i}", "namespace": NS}})
    assert scans == []
    snap = fake_kube.snapshot()
    rolled = helper.get_one("apps/v1", "Deployment", "aro-operator-master", NS)
    rolled["spec"]["replicas"] = 3
    helper.update(rolled)  # generation moves: a rollout
    helper.list("apps/v1", "Deployment", NS)
    assert scans, "a Deployment write did not wake the controller"
    mimo_clock.advance(60)
    assert _status(helper)["replicas"] == 3 and len(ctl.completed) == 1
    scans.clear()
    fake_kube.restore(snap)
    helper.list("apps/v1", "Deployment", NS)
    assert scans == ["Deployment"], "a restored snapshot (change log reset) must be read again"
