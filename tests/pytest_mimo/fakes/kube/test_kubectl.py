"""kubectl (the real one) against the fake, through the fake's kubeconfig."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pytest_mimo.fakes.kube import FakeKube

KUBECTL = shutil.which("kubectl")
pytestmark = pytest.mark.skipif(
    KUBECTL is None, reason="kubectl is not installed on this machine (not on PATH)"
)

Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def kube() -> Iterator[FakeKube]:
    # kubectl (client-go) sends a bearer token only over TLS, as against a real cluster
    with FakeKube(tls=True) as fake:
        fake.add(
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "openshift-config"}}
        )
        yield fake


@pytest.fixture
def kubectl(kube: FakeKube, tmp_path: Path) -> Run:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "KUBECONFIG": kube.kubeconfig(),
        "HOME": str(tmp_path / "home"),
        "NO_PROXY": "127.0.0.1",
    }

    def run(
        *args: str, stdin: str | None = None, ok: bool = True
    ) -> subprocess.CompletedProcess[str]:
        assert KUBECTL is not None
        proc = subprocess.run(
            [KUBECTL, f"--cache-dir={tmp_path / 'cache'}", "--request-timeout=10s", *args],
            env=env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=60,
        )
        if ok:
            assert proc.returncode == 0, f"kubectl {' '.join(args)} failed:\n{proc.stderr}"
        return proc

    return run


#: when a condition last changed (the ClusterOperator CRD requires it)
SINCE = "2026-01-01T00:00:00Z"


def test_cluster_operator_lifecycle(kube: FakeKube, kubectl: Run) -> None:
    kube.add(
        {
            "apiVersion": "config.openshift.io/v1",
            "kind": "ClusterOperator",
            "metadata": {"name": "kube-apiserver"},
            "spec": {},
            "status": {"conditions": [{"type": "Available", "status": "True", "lastTransitionTime": SINCE}]},
        }
    )
    out = kubectl("get", "clusteroperator", "kube-apiserver").stdout
    assert "kube-apiserver" in out
    got = json.loads(
        kubectl(
            "get", "clusteroperators.config.openshift.io", "kube-apiserver", "-o", "json"
        ).stdout
    )
    assert got["status"]["conditions"] == [
        {"type": "Available", "status": "True", "lastTransitionTime": SINCE}
    ]

    manifest = {
        "apiVersion": "config.openshift.io/v1",
        "kind": "ClusterOperator",
        "metadata": {"name": "dns", "labels": {"v": "1"}},
        "spec": {},
    }
    assert "created" in kubectl("apply", "-f", "-", stdin=json.dumps(manifest)).stdout
    manifest["metadata"]["labels"] = {"v": "2"}  # type: ignore[index]
    assert "configured" in kubectl("apply", "-f", "-", stdin=json.dumps(manifest)).stdout
    live = kube.get("config.openshift.io/v1", "ClusterOperator", "dns")
    assert live is not None and live["metadata"]["labels"] == {"v": "2"}
    assert "kubectl.kubernetes.io/last-applied-configuration" in live["metadata"]["annotations"]

    patched = kubectl("patch", "clusteroperator", "dns", "--type=merge", "-p", '{"metadata":{"labels":{"v":"3"}}}')
    assert "patched" in patched.stdout
    assert kube.get("config.openshift.io/v1", "ClusterOperator", "dns")["metadata"]["labels"] == {"v": "3"}  # type: ignore[index]
    # the ClusterOperator CRD's spec names no fields: a real server prunes spec.x and warns
    pruned = kubectl("patch", "clusteroperator", "dns", "--type=merge", "-p", '{"spec":{"x":"y"}}')
    assert 'Warning: unknown field "spec.x"' in pruned.stderr
    assert kube.get("config.openshift.io/v1", "ClusterOperator", "dns")["spec"] == {}  # type: ignore[index]

    assert "deleted" in kubectl("delete", "clusteroperator", "dns").stdout
    assert kube.get("config.openshift.io/v1", "ClusterOperator", "dns") is None
    missing = kubectl("get", "clusteroperator", "dns", ok=False)
    assert missing.returncode != 0
    assert 'clusteroperators.config.openshift.io "dns" not found' in missing.stderr


def test_secret_lifecycle(kube: FakeKube, kubectl: Run) -> None:
    manifest = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "tls", "namespace": "openshift-config"},
        "stringData": {"tls.crt": "a"},
    }
    assert "created" in kubectl("apply", "-f", "-", stdin=json.dumps(manifest)).stdout
    manifest["stringData"] = {"tls.crt": "b"}
    assert "configured" in kubectl("apply", "-f", "-", stdin=json.dumps(manifest)).stdout
    got = json.loads(kubectl("get", "secret", "tls", "-n", "openshift-config", "-o", "json").stdout)
    assert got["data"] == {"tls.crt": "Yg=="}
    assert "tls" in kubectl("get", "secrets", "-n", "openshift-config").stdout
    kubectl(
        "patch",
        "secret",
        "tls",
        "-n",
        "openshift-config",
        "--type=merge",
        "-p",
        '{"metadata":{"labels":{"a":"b"}}}',
    )
    assert kube.get("v1", "Secret", "tls", "openshift-config")["metadata"]["labels"] == {"a": "b"}  # type: ignore[index]
    assert (
        'secret "tls" deleted'
        in kubectl("delete", "secret", "tls", "-n", "openshift-config").stdout
    )
    assert kube.get("v1", "Secret", "tls", "openshift-config") is None
    bad = kubectl(
        "apply",
        "-f",
        "-",
        stdin=json.dumps({**manifest, "metadata": {"name": "x", "namespace": "nope"}}),
        ok=False,
    )
    assert 'namespaces "nope" not found' in bad.stderr


def test_kubectl_without_the_token_is_refused(kube: FakeKube, kubectl: Run, tmp_path: Path) -> None:
    config = json.loads(Path(kube.kubeconfig()).read_text())
    config["users"][0]["user"]["token"] = "wrong"
    other = tmp_path / "wrong-kubeconfig"
    other.write_text(json.dumps(config))
    assert KUBECTL is not None
    proc = subprocess.run(
        [
            KUBECTL,
            f"--kubeconfig={other}",
            f"--cache-dir={tmp_path / 'c2'}",
            "get",
            "secrets",
            "-A",
        ],
        env={"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode != 0
    assert "Unauthorized" in proc.stderr or "provide credentials" in proc.stderr, proc.stderr


def _deployment(containers: list[dict[str, object]]) -> dict[str, object]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "openshift-config"},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": containers},
            },
        },
    }


def test_client_side_apply_of_a_deployment_merges_by_key(kube: FakeKube, kubectl: Run) -> None:
    """kubectl apply (client-side) sends a three-way strategic merge patch computed from the
    last-applied annotation (kubectl apply.go, strategicpatch.CreateThreeWayMergePatch): a
    container dropped from the manifest goes (``$patch: delete``), one added by someone else
    stays, ``$setElementOrder/containers`` orders them; ``kubectl patch`` (strategic by default
    for built-in kinds) names one container and keeps the rest."""
    manifest = _deployment([{"name": "a", "image": "a:1"}, {"name": "b", "image": "b:1"}])
    assert "created" in kubectl("apply", "-f", "-", stdin=json.dumps(manifest)).stdout
    # someone else adds a container the manifest does not know
    kubectl(
        "patch",
        "deployment",
        "web",
        "-n",
        "openshift-config",
        "-p",
        '{"spec":{"template":{"spec":{"containers":[{"name":"extra","image":"x:1"}]}}}}',
    )
    names = [
        c["name"]
        for c in kube.get("apps/v1", "Deployment", "web", "openshift-config")["spec"]["template"][
            "spec"
        ]["containers"]  # type: ignore[index]
    ]
    assert names == ["extra", "a", "b"]
    manifest = _deployment([{"name": "b", "image": "b:2"}, {"name": "c", "image": "c:1"}])
    assert "configured" in kubectl("apply", "-f", "-", stdin=json.dumps(manifest)).stdout
    live = kube.get("apps/v1", "Deployment", "web", "openshift-config")
    assert live is not None
    got = [(c["name"], c["image"]) for c in live["spec"]["template"]["spec"]["containers"]]
    assert got == [("extra", "x:1"), ("b", "b:2"), ("c", "c:1")]
    assert "$setElementOrder" not in json.dumps(live)
    last = json.loads(
        live["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"]
    )
    assert [c["name"] for c in last["spec"]["template"]["spec"]["containers"]] == ["b", "c"]


def test_server_side_apply(kube: FakeKube, kubectl: Run) -> None:
    """kubectl apply --server-side sends an apply patch with fieldManager=kubectl (Server-Side
    Apply docs, "Using server-side apply in a controller" / kubectl): created, then a field
    another manager changed conflicts (kubectl prints the server's conflict message) until
    --force-conflicts takes it over."""
    manifest = _deployment([{"name": "a", "image": "a:1"}])
    manifest["spec"]["replicas"] = 2  # type: ignore[index]
    out = kubectl("apply", "--server-side", "-f", "-", stdin=json.dumps(manifest)).stdout
    assert "serverside-applied" in out
    live = kube.get("apps/v1", "Deployment", "web", "openshift-config")
    assert live is not None
    assert [(e["manager"], e["operation"]) for e in live["metadata"]["managedFields"]] == [
        ("kubectl", "Apply")
    ]
    kubectl(
        "patch",
        "deployment",
        "web",
        "-n",
        "openshift-config",
        "--type=merge",
        "-p",
        '{"spec":{"replicas":5}}',
    )
    manifest["spec"]["replicas"] = 3  # type: ignore[index]
    failed = kubectl("apply", "--server-side", "-f", "-", stdin=json.dumps(manifest), ok=False)
    assert failed.returncode != 0
    assert 'conflict with "kubectl-patch" using apps/v1: .spec.replicas' in failed.stderr
    kubectl("apply", "--server-side", "--force-conflicts", "-f", "-", stdin=json.dumps(manifest))
    live = kube.get("apps/v1", "Deployment", "web", "openshift-config")
    assert live is not None and live["spec"]["replicas"] == 3
    assert {e["manager"] for e in live["metadata"]["managedFields"]} == {"kubectl"}


def test_client_side_then_server_side_apply(kube: FakeKube, kubectl: Run) -> None:
    """Upgrading from client-side to server-side apply: kubectl's manager may take the fields its
    last-applied annotation names without a conflict (lastappliedmanager.go), and keeps the
    annotation up to date (lastappliedupdater.go)."""
    manifest = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "c", "namespace": "openshift-config"},
        "data": {"a": "1"},
    }
    kubectl("apply", "-f", "-", stdin=json.dumps(manifest))
    manifest["data"] = {"a": "2"}
    kubectl("apply", "--server-side", "-f", "-", stdin=json.dumps(manifest))
    live = kube.get("v1", "ConfigMap", "c", "openshift-config")
    assert live is not None and live["data"] == {"a": "2"}
    last = json.loads(
        live["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"]
    )
    assert last["data"] == {"a": "2"}


# -- subresources, server-side printing, kubectl create, auth can-i (issue #14, items 6 and 8) ---


def test_kubectl_scale_goes_through_the_scale_subresource(kube: FakeKube, kubectl: Run) -> None:
    """``kubectl scale`` finds ``deployments/scale`` in discovery and sends a merge patch of the
    autoscaling/v1 Scale (kubectl scale.go, ScaleClient.Patch); the Deployment's
    ``spec.replicas`` changes (deployment storage.go ScaleREST)."""
    kubectl("apply", "-f", "-", stdin=json.dumps(_deployment([{"name": "a", "image": "a:1"}])))
    out = kubectl("scale", "deployment", "web", "-n", "openshift-config", "--replicas=3").stdout
    assert "scaled" in out, out
    assert kube.get("apps/v1", "Deployment", "web", "openshift-config")["spec"]["replicas"] == 3
    # a negative count is refused by the server's ValidateScale, not only by kubectl
    proc = kubectl("scale", "deployment", "web", "-n", "openshift-config", "--replicas=-1", ok=False)
    assert proc.returncode != 0


def test_kubectl_reads_aggregated_discovery_and_scales_a_custom_resource(kube: FakeKube, kubectl: Run) -> None:
    """client-go asks /api and /apis for the aggregated APIGroupDiscoveryList and, given one,
    reads no per-group-version document (discovery/aggregated_discovery.go); its entries carry
    the IngressController CRD's scale subresource, so ``kubectl scale`` patches its Scale
    (apiextensions registry/customresource/etcd.go ScaleREST: specReplicasPath)."""
    kube.add({
        "apiVersion": "operator.openshift.io/v1", "kind": "IngressController",
        "metadata": {"name": "default", "namespace": "openshift-config"}, "spec": {"replicas": 2},
    })
    kube.requests.clear()
    out = kubectl("scale", "ingresscontroller", "default", "-n", "openshift-config", "--replicas=3").stdout
    assert "scaled" in out, out
    ic = kube.get("operator.openshift.io/v1", "IngressController", "default", "openshift-config")
    assert ic["spec"]["replicas"] == 3
    paths = [r.path.split("?")[0] for r in kube.requests if r.verb == "discovery"]
    assert [p for p in paths if p != "/version"] == ["/api", "/apis"], paths


def test_kubectl_explain_reads_the_openapi_v3_schemas(kube: FakeKube, kubectl: Run) -> None:
    """kubectl explain (explain v2: /openapi/v3, then the group-version's document by its hash)
    prints the real field docs: DeploymentSpec.replicas from the 1.37 definitions, and
    ClusterVersion's spec from its CRD (clusterID required there)."""
    out = kubectl("explain", "deployment.spec.replicas").stdout
    assert "FIELD: replicas <integer>" in out, out
    assert "Number of desired pods." in out, out
    out = kubectl("explain", "clusterversion.spec").stdout
    assert "KIND:       ClusterVersion" in out and "GROUP:      config.openshift.io" in out, out
    assert "clusterID\t<string> -required-" in out, out
    proc = kubectl("explain", "deployment.spec.replica", ok=False)
    assert proc.returncode != 0 and 'field "replica" does not exist' in proc.stderr


def test_kubectl_get_prints_the_servers_columns(kube: FakeKube, kubectl: Run) -> None:
    """kubectl get asks for ``as=Table`` and prints the server's columns: the Deployment
    printer's READY / UP-TO-DATE / AVAILABLE (printers.go printDeployment), and a CRD's
    additionalPrinterColumns (the ClusterOperator CRD: VERSION, AVAILABLE, ...)."""
    kubectl("apply", "-f", "-", stdin=json.dumps(_deployment([{"name": "a", "image": "a:1"}])))
    out = kubectl("get", "deployments", "-n", "openshift-config").stdout
    assert out.split("\n")[0].split() == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"], out
    assert out.split("\n")[1].split()[:2] == ["web", "0/1"], out
    wide = kubectl("get", "deployments", "-n", "openshift-config", "-o", "wide").stdout
    assert "CONTAINERS" in wide and "a:1" in wide and "app=web" in wide, wide
    kube.add({
        "apiVersion": "config.openshift.io/v1", "kind": "ClusterOperator", "metadata": {"name": "dns"},
        "spec": {},
        "status": {"versions": [{"name": "operator", "version": "4.15.3"}],
                   "conditions": [{"type": "Available", "status": "True",
                                   "lastTransitionTime": "2026-01-01T00:00:00Z"}]},
    })
    out = kubectl("get", "clusteroperators").stdout
    head = out.split("\n")[0].split()
    assert head[:4] == ["NAME", "VERSION", "AVAILABLE", "PROGRESSING"], out
    assert out.split("\n")[1].split()[:3] == ["dns", "4.15.3", "True"], out


def test_kubectl_create_configmap_secret_namespace(kube: FakeKube, kubectl: Run) -> None:
    """kubectl's generators (kubectl create configmap|secret generic|namespace) build the
    objects client-side and POST them; the fake stores what a real server would."""
    kubectl("create", "namespace", "team-a")
    kubectl("create", "configmap", "cfg", "-n", "team-a", "--from-literal=a=1", "--from-literal=b=2")
    kubectl("create", "secret", "generic", "sec", "-n", "team-a", "--from-literal=password=s3cr3t")
    assert kube.get("v1", "ConfigMap", "cfg", "team-a")["data"] == {"a": "1", "b": "2"}
    secret = kube.get("v1", "Secret", "sec", "team-a")
    assert secret["type"] == "Opaque" and secret["data"] == {"password": "czNjcjN0"}
    out = kubectl("get", "secrets", "-n", "team-a").stdout
    assert out.split("\n")[0].split() == ["NAME", "TYPE", "DATA", "AGE"], out
    assert out.split("\n")[1].split()[:3] == ["sec", "Opaque", "1"], out
    # a second create of the same name: the server's AlreadyExists
    proc = kubectl("create", "namespace", "team-a", ok=False)
    assert proc.returncode != 0 and "AlreadyExists" in proc.stderr, proc.stderr


def test_kubectl_auth_can_i_asks_a_self_subject_access_review(kube: FakeKube, kubectl: Run) -> None:
    """``kubectl auth can-i`` POSTs a SelfSubjectAccessReview (cani.go) and prints ``yes`` for
    the kubeconfig's user, whom the fake binds to everything."""
    assert kubectl("auth", "can-i", "get", "pods").stdout.strip() == "yes"
    assert kubectl("auth", "can-i", "get", "/healthz").stdout.strip() == "yes"
    sent = [r for r in kube.requests if r.path.startswith("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews")]
    assert sent and all(r.method == "POST" and r.status == 201 for r in sent)


# -- deletion, namespaces, garbage collection (issue #14, items 4 and 5) ----------------------------


def test_kubectl_delete_namespace_terminates_it_then_the_controller_removes_it(
    kube: FakeKube, kubectl: Run
) -> None:
    """``kubectl delete ns --wait=false``: the namespace answers Terminating (namespace storage.go
    Delete); creating in it is refused with NamespaceLifecycle's 403 (admission.go); the
    namespace controller (ticking before each request) deletes its content, requeues while a
    finalizer holds some (8 s, on the simulated clock), then removes the namespace."""
    from pytest_mimo.clock import SimClock

    with SimClock() as clock:
        kubectl("create", "namespace", "team-b")
        kubectl("create", "configmap", "c", "-n", "team-b", "--from-literal=a=1")
        kube.add({"apiVersion": "v1", "kind": "ConfigMap",
                  "metadata": {"name": "held", "namespace": "team-b", "finalizers": ["example.com/hold"]}})
        kubectl("delete", "namespace", "team-b", "--wait=false")
        proc = kubectl("create", "configmap", "d", "-n", "team-b", ok=False)
        assert proc.returncode != 0
        assert "unable to create new content in namespace team-b because it is being terminated" in proc.stderr
        assert kubectl("get", "namespace", "team-b", "-o", "jsonpath={.status.phase}").stdout == "Terminating"
        assert kubectl("get", "configmaps", "-n", "team-b", "-o", "name").stdout.split() == ["configmap/held"]
        kubectl("patch", "configmap", "held", "-n", "team-b", "--type=merge", "-p",
                '{"metadata":{"finalizers":null}}')
        clock.advance(8)
        out = kubectl("get", "namespaces", "-o", "name").stdout
        assert "namespace/team-b" not in out.split(), out


def test_kubectl_delete_cascade_and_label_selector(kube: FakeKube, kubectl: Run) -> None:
    """``--cascade=orphan`` sends propagationPolicy Orphan: the dependent stays without its owner
    reference (garbagecollector.go attemptToOrphan); ``--cascade=foreground`` deletes it first;
    ``kubectl delete cm -l`` deletes what the selector matches (one DELETE per object)."""
    for cascade in ("orphan", "foreground"):
        kubectl("apply", "-f", "-", stdin=json.dumps(_deployment([{"name": "a", "image": "a:1"}])))
        owner = kube.get("apps/v1", "Deployment", "web", "openshift-config")
        kube.add({"apiVersion": "v1", "kind": "ConfigMap",
                  "metadata": {"name": f"dep-{cascade}", "namespace": "openshift-config",
                               "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "web",
                                                    "uid": owner["metadata"]["uid"],
                                                    "blockOwnerDeletion": True}]}})
        kubectl("delete", "deployment", "web", "-n", "openshift-config", f"--cascade={cascade}")
        kubectl("get", "deployments", "-n", "openshift-config")  # a request: the controllers tick
        names = kubectl("get", "configmaps", "-n", "openshift-config", "-o", "name").stdout.split()
        if cascade == "orphan":
            assert f"configmap/dep-{cascade}" in names
            dep = kube.get("v1", "ConfigMap", f"dep-{cascade}", "openshift-config")
            assert not dep["metadata"].get("ownerReferences")
        else:
            assert f"configmap/dep-{cascade}" not in names
    for name, tier in (("x", "a"), ("y", "a"), ("z", "b")):
        kubectl("create", "configmap", name, "-n", "openshift-config")
        kubectl("label", "configmap", name, "-n", "openshift-config", f"tier={tier}")
    kubectl("delete", "configmap", "-n", "openshift-config", "-l", "tier=a")
    names = kubectl("get", "configmaps", "-n", "openshift-config", "-o", "name").stdout.split()
    assert "configmap/z" in names and "configmap/x" not in names and "configmap/y" not in names


def test_kubectl_get_watch_prints_changes_as_they_happen(kube: FakeKube, kubectl: Run, tmp_path: Path) -> None:
    """``kubectl get -w`` lists, then keeps a watch open (``?watch=true`` from the list's
    resourceVersion) and prints each change as it arrives (issue #14 item 1)."""
    assert KUBECTL is not None
    kubectl("create", "configmap", "first", "-n", "openshift-config")
    env = {"PATH": os.environ.get("PATH", ""), "KUBECONFIG": kube.kubeconfig(), "HOME": str(tmp_path / "home"),
           "NO_PROXY": "127.0.0.1"}
    proc = subprocess.Popen(
        [KUBECTL, f"--cache-dir={tmp_path / 'cache'}", "get", "configmaps", "-n", "openshift-config",
         "-w", "-o", "name"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    import threading

    guard = threading.Timer(60, proc.kill)  # a kubectl that hangs fails the test, never the suite
    guard.start()
    try:
        assert proc.stdout is not None
        seen = [proc.stdout.readline().strip()]  # blocks until kubectl printed the list
        assert "configmap/first" in seen
        kube.add({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "second",
                                                                        "namespace": "openshift-config"}})
        while "configmap/second" not in seen:
            line = proc.stdout.readline()
            assert line, f"kubectl exited: {proc.stderr.read() if proc.stderr else ''}"
            seen.append(line.strip())
        assert any(r.path.endswith("watch=true") or "watch=true" in r.path for r in kube.requests)
    finally:
        guard.cancel()
        proc.kill()
        proc.wait(timeout=30)
