"""Simulated controllers for the fake Kubernetes server.

The fake API server stores objects and nothing more: no controller ever
reacts to a write. A task that changes a Deployment and then waits for it to
roll out would wait for ever. :class:`DeploymentController` plays the part of
the kube-controller-manager's deployment controller, in virtual time: a
Deployment whose spec changed (its ``metadata.generation`` moved past
``status.observedGeneration``) is marked rolled out ``delay_seconds`` later,
as read from ``time.time()`` (the simulated clock when one is running)::

    DeploymentController(delay_seconds=120).install(fake_kube)

Like client-go's fake reactors, it hooks the fake: a *reaction* notes the
time of every write that rolls a Deployment, and a *ticker* (called before
each HTTP request) writes the status of those whose delay has passed. The
status it writes is what a finished rollout shows::

    observedGeneration: <generation>
    replicas / updatedReplicas / readyReplicas / availableReplicas: <spec.replicas, default 1>
    conditions: Available=True (MinimumReplicasAvailable),
                Progressing=True (NewReplicaSetAvailable)

With the status, the rollout's Pods replace the Deployment's old ones (those its selector
matches): ``spec.replicas`` Pods (default 1) of its pod template, named
``<deployment>-<pod-template-hash>-<n>`` (a hash of the template, so a replay names them alike),
labelled as the template with ``pod-template-hash``, ``status.phase: Running`` — what the
ReplicaSet controller and the kubelets leave, and what Go's ``checkPodImageVersion`` reads.

Conditions carry no timestamps, so two runs of one scenario that end in the
same place compare equal (the replay's world comparison). The controller keeps
no state that can go stale: a world restored from a snapshot, or a clock moved
back, is re-read from the objects themselves on the next tick. A tick that
finds nothing rolling leaves the next ones free until the fake's change log
shows a Deployment written (or the log was reset by a restore): only a write
can start a rollout.
"""

from __future__ import annotations

import copy
import hashlib
import json
import threading
import time
from typing import Any

from pytest_mimo.fakes.kube.history import TooOld

__all__ = ["DeploymentController", "rolled_out_pods", "rolled_out_status"]

Key = tuple[str, str, str, int]  # namespace, name, uid, generation
DEPLOYMENT = ("apps/v1", "Deployment")


def rolled_out_status(deployment: dict[str, Any]) -> dict[str, Any]:
    """The ``status`` of ``deployment`` once its current generation has fully rolled out."""
    spec_replicas = (deployment.get("spec") or {}).get("replicas")
    replicas = 1 if spec_replicas is None else int(spec_replicas)
    generation = int((deployment.get("metadata") or {}).get("generation") or 1)
    return {
        "observedGeneration": generation,
        "replicas": replicas,
        "updatedReplicas": replicas,
        "readyReplicas": replicas,
        "availableReplicas": replicas,
        "conditions": [
            {
                "type": "Available",
                "status": "True",
                "reason": "MinimumReplicasAvailable",
                "message": "Deployment has minimum availability.",
            },
            {
                "type": "Progressing",
                "status": "True",
                "reason": "NewReplicaSetAvailable",
                "message": f'ReplicaSet "{deployment["metadata"]["name"]}" has successfully progressed.',
            },
        ],
    }


def rolled_out_pods(deployment: dict[str, Any]) -> list[dict[str, Any]]:
    """The Pods a fully rolled-out ``deployment`` runs (see the module documentation)."""
    spec = deployment.get("spec") or {}
    template = spec.get("template") or {}
    replicas = 1 if spec.get("replicas") is None else int(spec["replicas"])
    digest = hashlib.sha256(json.dumps(template, sort_keys=True).encode()).hexdigest()[:10]
    meta = deployment["metadata"]
    labels = {**((template.get("metadata") or {}).get("labels") or {}), "pod-template-hash": digest}
    return [
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": f"{meta['name']}-{digest}-{n}", "namespace": meta.get("namespace", "default"),
                         "labels": dict(labels)},
            "spec": copy.deepcopy(template.get("spec") or {}),
            "status": {"phase": "Running"},
        }
        for n in range(replicas)
    ]


def _replace_pods(fake_kube: Any, deployment: dict[str, Any]) -> None:
    meta = deployment["metadata"]
    selector = ((deployment.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
    if not selector:
        return
    new = rolled_out_pods(deployment)
    names = {p["metadata"]["name"] for p in new}
    match = ",".join(f"{k}={v}" for k, v in sorted(selector.items()))
    for pod in fake_kube.list("v1", "Pod", meta.get("namespace"), label_selector=match):
        if pod["metadata"]["name"] not in names:
            fake_kube.delete("v1", "Pod", pod["metadata"]["name"], pod["metadata"].get("namespace"))
    fake_kube.add(*new)


def _rolling(deployment: dict[str, Any]) -> bool:
    meta = deployment.get("metadata") or {}
    status = deployment.get("status") or {}
    return meta.get("generation") is not None and status.get("observedGeneration") != meta.get(
        "generation"
    )


def _key(deployment: dict[str, Any]) -> Key:
    meta = deployment["metadata"]
    return (
        meta.get("namespace", ""),
        meta["name"],
        str(meta.get("uid", "")),
        int(meta.get("generation") or 0),
    )


class DeploymentController:
    """Marks a rolled Deployment available ``delay_seconds`` (virtual time) after its rollout began."""

    def __init__(self, delay_seconds: float = 60.0, *, namespace: str | None = None) -> None:
        if delay_seconds < 0:
            raise ValueError(
                f"DeploymentController: delay_seconds must be >= 0, got {delay_seconds!r}"
            )
        self.delay_seconds = float(delay_seconds)
        self.namespace = namespace
        self._seen: dict[Key, float] = {}
        self._lock = threading.Lock()
        #: the cluster's resourceVersion when a tick last found nothing rolling: until a write
        #: moves it, nothing can be rolling, and a tick costs nothing
        self._idle_at: str | None = None
        #: the change log's (epoch, next sequence number) when a tick last found nothing rolling
        self._idle_log: tuple[int, int] | None = None
        self.completed: list[
            tuple[str, str, int]
        ] = []  #: (namespace, name, generation) rolled out, in order

    def __repr__(self) -> str:
        return (
            f"DeploymentController(delay_seconds={self.delay_seconds:g}, rolling={len(self._seen)})"
        )

    def install(self, fake_kube: Any) -> DeploymentController:
        """Hook into ``fake_kube`` (a reaction and a ticker); returns the controller."""
        fake_kube.add_reaction(self._on_write)
        fake_kube.add_ticker(self.tick)
        return self

    def _watched(self, deployment: dict[str, Any]) -> bool:
        return (
            self.namespace is None
            or (deployment.get("metadata") or {}).get("namespace") == self.namespace
        )

    # -- reaction: a write that starts a rollout --------------------------------------------------
    def _on_write(self, event: Any) -> None:
        if (event.api_version, event.kind) != ("apps/v1", "Deployment") or event.object is None:
            return
        if self._watched(event.object) and _rolling(event.object):
            with self._lock:
                self._seen.setdefault(_key(event.object), time.time())

    # -- ticker: finish the rollouts whose time has come ------------------------------------------
    def tick(self, fake_kube: Any) -> None:
        """Write the rolled-out status of every Deployment whose delay has passed."""
        version = fake_kube.model.resource_version
        if version == self._idle_at:
            return
        history = getattr(fake_kube.model, "history", None)
        if history is not None and self._idle_log is not None and self._idle_log[0] == history.epoch:
            try:
                changes = history.since_seq(self._idle_log[1])
            except TooOld:
                changes = None
            if changes is not None and not any(c.gvk == DEPLOYMENT for c in changes):
                self._idle_at, self._idle_log = version, (history.epoch, history.next_seq)
                return
        now = time.time()
        live: set[Key] = set()
        for d in fake_kube.list("apps/v1", "Deployment", self.namespace):
            if not (self._watched(d) and _rolling(d)):
                continue
            key = _key(d)
            live.add(key)
            with self._lock:
                started = self._seen.get(key)
                if started is None or started > now:  # first sight, or the clock went back
                    self._seen[key] = started = now
            if now - started >= self.delay_seconds:
                d["status"] = rolled_out_status(d)
                fake_kube.add(d)
                _replace_pods(fake_kube, d)
                self.completed.append((key[0], key[1], key[3]))
        with self._lock:
            for key in [k for k in self._seen if k not in live]:
                del self._seen[key]
            self._idle_at = None if live else fake_kube.model.resource_version
            self._idle_log = None if live or history is None else (history.epoch, history.next_seq)
