"""Defaulting of the built-in kinds, as the real defaulters do on create and update.

Sources (kubernetes, read with the search tool): ``pkg/apis/core/v1/defaults.go``
(``SetDefaults_PodSpec``, ``_Container``, ``_Probe``, ``_HTTPGetAction``, volume
sources' ``defaultMode``, ``_HostPathVolumeSource``, ``_Service``, ``_Secret``,
``_Namespace``, ``_Pod``, ``_ObjectFieldSelector``), ``pkg/apis/apps/v1/defaults.go``
(``SetDefaults_Deployment``, ``_DaemonSet``, ``_StatefulSet``, ``_ReplicaSet``) and the
declarative ``+default`` tags (``ContainerPort.protocol``, ``ServicePort.protocol``).
Custom resources get their schema's ``default`` values while they are decoded
(:mod:`.decoding`).
"""

from __future__ import annotations

import marshal
from collections.abc import Callable
from typing import Any

from .decoding import Remembered

__all__ = ["default"]

Obj = dict[str, Any]

_VOLUME_SOURCES = (
    "hostPath", "emptyDir", "gcePersistentDisk", "awsElasticBlockStore", "gitRepo", "secret",
    "nfs", "iscsi", "glusterfs", "persistentVolumeClaim", "rbd", "flexVolume", "cinder", "cephfs",
    "flocker", "downwardAPI", "fc", "azureFile", "configMap", "vsphereVolume", "quobyte",
    "azureDisk", "photonPersistentDisk", "projected", "portworxVolume", "scaleIO", "storageos",
    "csi", "ephemeral", "image",
)  # fmt: skip


def _image_tag(image: str) -> str:
    """``parsers.ParseImageName``'s tag: ``latest`` when the reference names no tag and no digest."""
    if "@" in image:
        return ""
    last = image.rsplit("/", 1)[-1]
    return last.rsplit(":", 1)[1] if ":" in last else "latest"


def _probe(p: Obj | None) -> None:
    if not isinstance(p, dict):
        return
    for k, v in (
        ("timeoutSeconds", 1),
        ("periodSeconds", 10),
        ("successThreshold", 1),
        ("failureThreshold", 3),
    ):
        if not p.get(k):
            p[k] = v
    _http_get(p.get("httpGet"))


def _http_get(http: Any) -> None:
    if isinstance(http, dict):
        if not http.get("path"):
            http["path"] = "/"
        if not http.get("scheme"):
            http["scheme"] = "HTTP"


def _env(envs: Any) -> None:
    for e in envs or ():
        ref = ((e.get("valueFrom") or {}).get("fieldRef")) if isinstance(e, dict) else None
        if isinstance(ref, dict) and not ref.get("apiVersion"):
            ref["apiVersion"] = "v1"


def _container(c: Obj) -> None:
    if not c.get("imagePullPolicy"):
        c["imagePullPolicy"] = (
            "Always" if _image_tag(c.get("image") or "") == "latest" else "IfNotPresent"
        )
    if not c.get("terminationMessagePath"):
        c["terminationMessagePath"] = "/dev/termination-log"
    if not c.get("terminationMessagePolicy"):
        c["terminationMessagePolicy"] = "File"
    for port in c.get("ports") or ():
        if isinstance(port, dict) and not port.get("protocol"):
            port["protocol"] = "TCP"
    for k in ("livenessProbe", "readinessProbe", "startupProbe"):
        _probe(c.get(k))
    lifecycle = c.get("lifecycle") or {}
    for hook in (lifecycle.get("postStart"), lifecycle.get("preStop")):
        if isinstance(hook, dict):
            _http_get(hook.get("httpGet"))
    _env(c.get("env"))


def _volume(v: Obj) -> None:
    if not any(v.get(k) is not None for k in _VOLUME_SOURCES):
        v["emptyDir"] = {}
    for k in ("secret", "configMap", "downwardAPI", "projected"):
        src = v.get(k)
        if isinstance(src, dict) and src.get("defaultMode") is None:
            src["defaultMode"] = 420  # 0644
    host = v.get("hostPath")
    if isinstance(host, dict) and host.get("type") is None:
        host["type"] = ""
    projected = v.get("projected")
    if isinstance(projected, dict):
        for s in projected.get("sources") or ():
            token = s.get("serviceAccountToken") if isinstance(s, dict) else None
            if isinstance(token, dict) and token.get("expirationSeconds") is None:
                token["expirationSeconds"] = 3600


def pod_spec(spec: Obj) -> None:
    """``SetDefaults_PodSpec`` and what the generated defaulter runs below it."""
    if not spec.get("dnsPolicy"):
        spec["dnsPolicy"] = "ClusterFirst"
    if not spec.get("restartPolicy"):
        spec["restartPolicy"] = "Always"
    if spec.get("securityContext") is None:
        spec["securityContext"] = {}
    if spec.get("terminationGracePeriodSeconds") is None:
        spec["terminationGracePeriodSeconds"] = 30
    if not spec.get("schedulerName"):
        spec["schedulerName"] = "default-scheduler"
    for key in ("initContainers", "containers", "ephemeralContainers"):
        for c in spec.get(key) or ():
            if isinstance(c, dict):
                _container(c)
    for v in spec.get("volumes") or ():
        if isinstance(v, dict):
            _volume(v)


def _template(obj: Obj) -> None:
    template = (obj.get("spec") or {}).get("template")
    if isinstance(template, dict):
        spec = template.setdefault("spec", {})
        if isinstance(spec, dict):
            pod_spec(spec)


def _deployment(obj: Obj) -> None:
    spec = obj.setdefault("spec", {})
    if spec.get("replicas") is None:
        spec["replicas"] = 1
    strategy = spec.setdefault("strategy", {})
    if not strategy.get("type"):
        strategy["type"] = "RollingUpdate"
    if strategy["type"] == "RollingUpdate":
        ru = strategy.get("rollingUpdate")
        if ru is None:
            ru = strategy["rollingUpdate"] = {}
        if ru.get("maxUnavailable") is None:
            ru["maxUnavailable"] = "25%"
        if ru.get("maxSurge") is None:
            ru["maxSurge"] = "25%"
    if spec.get("revisionHistoryLimit") is None:
        spec["revisionHistoryLimit"] = 10
    if spec.get("progressDeadlineSeconds") is None:
        spec["progressDeadlineSeconds"] = 600
    _template(obj)


def _replica_set(obj: Obj) -> None:
    spec = obj.setdefault("spec", {})
    if spec.get("replicas") is None:
        spec["replicas"] = 1
    _template(obj)


def _daemon_set(obj: Obj) -> None:
    spec = obj.setdefault("spec", {})
    strategy = spec.setdefault("updateStrategy", {})
    if not strategy.get("type"):
        strategy["type"] = "RollingUpdate"
    if strategy["type"] == "RollingUpdate":
        ru = strategy.setdefault("rollingUpdate", {})
        if ru.get("maxUnavailable") is None:
            ru["maxUnavailable"] = 1
        if ru.get("maxSurge") is None:
            ru["maxSurge"] = 0
    if spec.get("revisionHistoryLimit") is None:
        spec["revisionHistoryLimit"] = 10
    _template(obj)


def _stateful_set(obj: Obj) -> None:
    spec = obj.setdefault("spec", {})
    if not spec.get("podManagementPolicy"):
        spec["podManagementPolicy"] = "OrderedReady"
    strategy = spec.setdefault("updateStrategy", {})
    if not strategy.get("type"):
        strategy["type"] = "RollingUpdate"
    if strategy["type"] == "RollingUpdate":
        ru = strategy.setdefault("rollingUpdate", {})
        if ru.get("partition") is None:
            ru["partition"] = 0
    policy = spec.setdefault("persistentVolumeClaimRetentionPolicy", {})
    for k in ("whenDeleted", "whenScaled"):
        if not policy.get(k):
            policy[k] = "Retain"
    if spec.get("replicas") is None:
        spec["replicas"] = 1
    if spec.get("revisionHistoryLimit") is None:
        spec["revisionHistoryLimit"] = 10
    _template(obj)


def _service(obj: Obj) -> None:
    spec = obj.setdefault("spec", {})
    if not spec.get("sessionAffinity"):
        spec["sessionAffinity"] = "None"
    if spec["sessionAffinity"] == "None":
        spec.pop("sessionAffinityConfig", None)
    elif spec["sessionAffinity"] == "ClientIP":
        cfg = spec.get("sessionAffinityConfig") or {}
        if ((cfg.get("clientIP") or {}).get("timeoutSeconds")) is None:
            spec["sessionAffinityConfig"] = {"clientIP": {"timeoutSeconds": 10800}}
    if not spec.get("type"):
        spec["type"] = "ClusterIP"
    for port in spec.get("ports") or ():
        if not isinstance(port, dict):
            continue
        if not port.get("protocol"):
            port["protocol"] = "TCP"
        if port.get("targetPort") in (None, 0, ""):
            port["targetPort"] = port.get("port")
    kind = spec["type"]
    if kind in ("NodePort", "LoadBalancer") and not spec.get("externalTrafficPolicy"):
        spec["externalTrafficPolicy"] = "Cluster"
    if spec.get("internalTrafficPolicy") is None and kind in (
        "NodePort",
        "LoadBalancer",
        "ClusterIP",
    ):
        spec["internalTrafficPolicy"] = "Cluster"
    if kind == "LoadBalancer" and spec.get("allocateLoadBalancerNodePorts") is None:
        spec["allocateLoadBalancerNodePorts"] = True


def _secret(obj: Obj) -> None:
    if not obj.get("type"):
        obj["type"] = "Opaque"


def _namespace(obj: Obj) -> None:
    meta = obj.setdefault("metadata", {})
    name = meta.get("name")
    if name:
        labels = meta.get("labels")
        if not isinstance(labels, dict):
            labels = meta["labels"] = {}
        labels["kubernetes.io/metadata.name"] = name


def _pod(obj: Obj) -> None:
    spec = obj.setdefault("spec", {})
    for key in ("containers", "initContainers"):
        for c in spec.get(key) or ():
            res = c.get("resources") if isinstance(c, dict) else None
            if isinstance(res, dict) and res.get("limits"):
                requests = res.setdefault("requests", {})
                for k, v in res["limits"].items():
                    requests.setdefault(k, v)
    if spec.get("enableServiceLinks") is None:
        spec["enableServiceLinks"] = True
    pod_spec(spec)


def _pod_template(obj: Obj) -> None:
    template = obj.get("template")
    if isinstance(template, dict):
        pod_spec(template.setdefault("spec", {}))


def _job_like(obj: Obj) -> None:
    _template(obj)


def _cron_job(obj: Obj) -> None:
    job = (obj.get("spec") or {}).get("jobTemplate") or {}
    if isinstance(job, dict):
        _template(job)


_DEFAULTERS: dict[tuple[str, str], Callable[[Obj], None]] = {
    ("apps/v1", "Deployment"): _deployment,
    ("apps/v1", "ReplicaSet"): _replica_set,
    ("apps/v1", "DaemonSet"): _daemon_set,
    ("apps/v1", "StatefulSet"): _stateful_set,
    ("v1", "Service"): _service,
    ("v1", "Secret"): _secret,
    ("v1", "Namespace"): _namespace,
    ("v1", "Pod"): _pod,
    ("v1", "PodTemplate"): _pod_template,
    ("v1", "ReplicationController"): _replica_set,
    ("batch/v1", "Job"): _job_like,
    ("batch/v1", "CronJob"): _cron_job,
}


#: the defaulters that read and write nothing but the object's ``spec`` (pure functions of it)
_SPEC_ONLY = frozenset({_deployment, _replica_set, _daemon_set, _stateful_set, _service, _pod, _job_like, _cron_job})
#: (defaulter, ``marshal`` encoding of a spec) that the spec-only defaulter left as it was: equal
#: encodings are the same JSON (key order and types included), so it would leave it again. An
#: update that leaves a defaulted spec as it was does not default it again
_SPEC_FIXED = Remembered()


def default(api_version: str, kind: str, obj: Obj, spec_key: bytes | None = None) -> bytes | None:
    """Apply the kind's defaulter to a decoded object, in place (kinds without one: nothing).

    ``spec_key`` is the ``marshal`` encoding of ``obj["spec"]`` as it is now, if the caller
    has it: a spec-only defaulter that left that very spec as it was is not run again.
    Returns the encoding of ``obj["spec"]`` as the defaulter left it when it is known
    (``spec_key`` given and the kind's defaulter spec-only or none), else None."""
    fn = _DEFAULTERS.get((api_version, kind))
    if fn is None:
        return spec_key
    if spec_key is None or fn not in _SPEC_ONLY:
        fn(obj)
        return None
    seen = (fn, spec_key)
    if seen in _SPEC_FIXED.keys:
        return spec_key
    fn(obj)
    code = marshal.dumps(obj.get("spec"), 2)
    if code == spec_key:
        _SPEC_FIXED.add(seen, len(spec_key))
        return spec_key
    return code
