"""The ``conflict`` site at a Deployment's PUT: the other writer's annotation bumps the Deployment's
``metadata.generation``, so a run that met it ends a generation further than its baseline.

Real rule (kubernetes ``pkg/registry/apps/deployment/strategy.go``, ``deploymentStrategy.PrepareForUpdate``):
``if !Semantic.DeepEqual(new.Spec, old.Spec) || !Semantic.DeepEqual(new.Annotations, old.Annotations)
{ new.Generation = old.Generation + 1 }`` — "annotation updates bump the generation because annotations
are copied from deployments to their replica sets"; labels are not in the condition. The fake keeps
that rule (``models._content``); what the replay compares shows ``status.observedGeneration`` as its
relation to ``metadata.generation`` (caught up, behind, ahead; the counter itself is dropped as server
bookkeeping): the relation is all its readers take from the pair (Go's ``ready.DeploymentIsReady``
``==``, ``kubectl rollout status`` ``<=``, the deployment controller's ``DeploymentComplete`` ``>=``).
So the exhaustive gate's conflict sites on ``aro-operator-master`` / ``aro-operator-worker`` compare
equal to their baselines when the rollout is done (3 of 3 against 2 of 2) and when no controller ever
observes it (1 of 3 against 1 of 2), and differ when one run rolled out and the other did not.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from pytest_mimo.controllers import DeploymentController
from pytest_mimo.fakes.kube.server import CONCURRENT_WRITER_ANNOTATION
from pytest_mimo.replay import kube_concurrent_changes, with_concurrent_changes, world_diff

NS = "openshift-azure-operator"
ROOT = Path(__file__).resolve().parents[2]


def _deployment(name: str = "aro-operator-worker") -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": NS, "labels": {"version": "v1"}},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "c", "image": "acr/aro:v1"}]},
            },
        },
    }


def _generation(helper: Any, name: str = "aro-operator-worker") -> int:
    return int(helper.get_one("apps/v1", "Deployment", name, NS)["metadata"]["generation"])


def test_a_deployment_put_bumps_generation_on_annotations_and_spec_not_on_labels(mimo_clock: Any, fake_kube: Any) -> None:
    """deploymentStrategy.PrepareForUpdate (strategy.go): spec or annotations changed → generation + 1."""
    fake_kube.add(_deployment())
    helper = fake_kube.client_helper()
    assert _generation(helper) == 1

    d = helper.get_one("apps/v1", "Deployment", "aro-operator-worker", NS)
    d["metadata"]["labels"]["extra"] = "x"  # labels: not in PrepareForUpdate's condition
    helper.update(d)
    assert _generation(helper) == 1

    d = helper.get_one("apps/v1", "Deployment", "aro-operator-worker", NS)
    d["metadata"].setdefault("annotations", {})["note"] = "x"
    helper.update(d)
    assert _generation(helper) == 2

    d = helper.get_one("apps/v1", "Deployment", "aro-operator-worker", NS)
    d["spec"]["template"]["spec"]["containers"][0]["image"] = "acr/aro:v2"
    helper.update(d)
    assert _generation(helper) == 3


def test_the_conflict_faults_other_writer_bumps_a_deployments_generation(mimo_clock: Any, fake_kube: Any) -> None:
    """The conflict fault's other writer sets an annotation through the same update path: on a
    Deployment that is a generation (strategy.go), so the task's own change then makes it 3, not 2."""
    fake_kube.add(_deployment())
    assert fake_kube.concurrent_write("apps/v1", "Deployment", "aro-operator-worker", NS)
    stored = fake_kube.get("apps/v1", "Deployment", "aro-operator-worker", NS)
    assert stored["metadata"]["annotations"][CONCURRENT_WRITER_ANNOTATION] == "1"
    assert stored["metadata"]["generation"] == 2


def _rolled_world(mimo_world: Any, *, other_writer: bool, wait: float = 150, controller: bool = True) -> dict[str, Any]:
    """A Deployment rolled to a new image by the DeploymentController (150 s, as the scenarios'),
    after an other writer's annotation or not; the world's comparable state. Without
    ``controller`` nobody observes the change (the Deployment stays observed at generation 1)."""
    kube = mimo_world.kube
    if controller:
        DeploymentController(delay_seconds=150).install(kube)
    kube.add(_deployment() if controller else {**_deployment(), "status": {"observedGeneration": 1}})
    if other_writer:
        kube.concurrent_write("apps/v1", "Deployment", "aro-operator-worker", NS)
    helper = kube.client_helper()
    d = helper.get_one("apps/v1", "Deployment", "aro-operator-worker", NS)
    d["spec"]["template"]["spec"]["containers"][0]["image"] = "acr/aro:v2"
    helper.update(d)
    mimo_world.clock.advance(wait)
    helper.get_one("apps/v1", "Deployment", "aro-operator-worker", NS)  # a request: the controller ticks
    return dict(mimo_world.state())


def test_a_rollout_done_a_generation_further_compares_equal_and_one_not_done_differs(mimo_world: Any) -> None:
    snap = mimo_world.snapshot()
    baseline = _rolled_world(mimo_world, other_writer=False)
    key = f"apps/v1/Deployment/{NS}/aro-operator-worker"
    assert baseline["kube"][key]["status"]["observedGeneration"] == "metadata.generation"

    mimo_world.restore(snap)
    conflicted = _rolled_world(mimo_world, other_writer=True)
    raw = mimo_world.kube.get("apps/v1", "Deployment", "aro-operator-worker", NS)
    assert (raw["metadata"]["generation"], raw["status"]["observedGeneration"]) == (3, 3)
    changes = kube_concurrent_changes(mimo_world.kube.concurrent_writes)
    assert world_diff(with_concurrent_changes(baseline, changes), conflicted) == []

    # one more change, not rolled out yet: one behind, which differs from the rolled-out baseline
    helper = mimo_world.kube.client_helper()
    d = helper.get_one("apps/v1", "Deployment", "aro-operator-worker", NS)
    d["spec"]["template"]["spec"]["containers"][0]["image"] = "acr/aro:v3"
    helper.update(d)
    d["spec"]["template"]["spec"]["containers"][0]["image"] = "acr/aro:v2"
    helper.update(helper.get_one("apps/v1", "Deployment", "aro-operator-worker", NS) | {"spec": d["spec"]})
    pending = mimo_world.state()
    assert pending["kube"][key]["status"]["observedGeneration"] == "behind metadata.generation"
    diff = world_diff(with_concurrent_changes(baseline, changes), pending)
    assert [line.split(":", 1)[0] for line in diff] == [f"kube.{key}.status.observedGeneration"], diff


def test_a_rollout_nobody_observes_compares_equal_however_far_behind(mimo_world: Any) -> None:
    """No deployment controller: the baseline's PUT leaves the Deployment one generation behind
    (observed 1 of 2), the conflicted run's two (1 of 3: the other writer's annotation was one);
    the same world to every reader of the pair, so no difference. Without the relation the
    comparison showed ``metadata.generation-1 → metadata.generation-2`` (the gate's failing sites
    0166 and 0206 of the never-rolls-out scenario)."""
    snap = mimo_world.snapshot()
    kube = mimo_world.kube
    key = f"apps/v1/Deployment/{NS}/aro-operator-worker"
    baseline = _rolled_world(mimo_world, other_writer=False, controller=False)
    assert kube.get("apps/v1", "Deployment", "aro-operator-worker", NS)["metadata"]["generation"] == 2
    mimo_world.restore(snap)
    conflicted = _rolled_world(mimo_world, other_writer=True, controller=False)
    raw = kube.get("apps/v1", "Deployment", "aro-operator-worker", NS)
    assert (raw["metadata"]["generation"], raw["status"]["observedGeneration"]) == (3, 1)
    assert baseline["kube"][key]["status"]["observedGeneration"] == "behind metadata.generation"
    changes = kube_concurrent_changes(kube.concurrent_writes)
    assert world_diff(with_concurrent_changes(baseline, changes), conflicted) == []


def test_an_observed_generation_past_the_counter_is_its_own_relation() -> None:
    from pytest_mimo.world import normalize_kube_object

    shown = [normalize_kube_object({**_deployment(), "metadata": {"name": "d", "generation": 2},
                                    "status": {"observedGeneration": n}})["status"]["observedGeneration"]
             for n in (1, 2, 3)]
    assert shown == ["behind metadata.generation", "metadata.generation", "ahead of metadata.generation"]


def _gate_items(*tests: str) -> str:
    """The conflict items at the Deployment PUTs of ``tests`` (node IDs), run as the gate runs
    them; their output (the run must pass)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist", *tests,
         "--mimo-explore=exhaustive", "-k", "PUT-deployments and conflict"],
        cwd=ROOT, capture_output=True, text=True, check=False, env=env,
    )
    out = done.stdout + done.stderr
    assert done.returncode == 0, out[-4000:]
    return out


def test_the_never_rolled_out_scenarios_conflict_sites_at_the_deployment_puts_pass() -> None:
    """The gate's two failing items: the conflict at each Deployment PUT of the scenario with no
    deployment controller (the rollout never finishes; each attempt times out)."""
    out = _gate_items("tests/mimo/tasks/test_scenarios.py::test_operator_update_that_never_rolls_out_is_retried_then_gives_up")
    assert "2 passed" in out, out[-2000:]  # master and worker


def test_the_operator_scenarios_conflict_sites_at_the_deployment_puts_pass() -> None:
    """The exhaustive items that failed before (observedGeneration 2 → 3): the conflict at each
    Deployment PUT of operator update and operator version reset, run as the gate runs them."""
    out = _gate_items("tests/mimo/tasks/test_scenarios.py::test_operator_update",
                      "tests/mimo/tasks/test_scenarios.py::test_operator_version_reset")
    assert "4 passed" in out, out[-2000:]  # master and worker, in each of the two scenarios
