"""What one simulated cluster holds: Kubernetes objects, Key Vault certificates, control-plane network.

The objects an OpenShift 4 cluster with the ARO operator has, as the
built-in tasks read and write them (the same shapes as the task scenarios in
``tests/mimo/tasks``), parametrised by the cluster.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

__all__ = ["OLD_OPERATOR_VERSION", "ROLLED_OUT_FLAG", "cluster_objects", "master_network", "own_objects", "pem_bundle",
           "previous_flags", "shared_objects"]

OLD_OPERATOR_VERSION = "v20251101.0"
NAMESPACES = ("openshift-config", "openshift-ingress", "openshift-ingress-operator", "openshift-azure-operator",
              "openshift-cloud-credential-operator")


def _namespace(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}


#: when the conditions of the built world last changed (the CRD requires lastTransitionTime)
_SINCE = "2026-01-01T00:00:00Z"


def _cluster_operator(progressing: str = "False") -> dict[str, Any]:
    return {
        "apiVersion": "config.openshift.io/v1",
        "kind": "ClusterOperator",
        "metadata": {"name": "kube-apiserver"},
        "spec": {},
        "status": {"conditions": [
            {"type": "Available", "status": "True", "lastTransitionTime": _SINCE},
            {"type": "Progressing", "status": progressing, "lastTransitionTime": _SINCE},
            {"type": "Degraded", "status": "False", "lastTransitionTime": _SINCE},
        ]},
    }


def _operator_deployment(name: str, version: str, acr: str) -> dict[str, Any]:
    role = name.rsplit("-", 1)[-1]
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "openshift-azure-operator", "labels": {**labels, "version": version}},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "serviceAccountName": f"aro-operator-{role}",
                    "containers": [{"name": "aro-operator", "image": f"{acr}/aro:{version}",
                                    "command": ["aro"], "args": ["operator", role]}],
                },
            },
        },
        "status": {"observedGeneration": 1, "replicas": 1, "updatedReplicas": 1, "readyReplicas": 1,
                   "availableReplicas": 1, "conditions": [{"type": "Available", "status": "True"}]},
    }


#: the operator flag the fleet's documents carry and its clusters do not have yet: the
#: Operator flags update task rolls it out (replacing the Cluster object's flags)
ROLLED_OUT_FLAG = "aro.genevalogging.enabled"


def previous_flags(flags: dict[str, str]) -> dict[str, str]:
    """The flags a cluster runs before the rollout: the document's, less :data:`ROLLED_OUT_FLAG`."""
    return {k: v for k, v in flags.items() if k != ROLLED_OUT_FLAG}


def cluster_objects(resource_id: str, domain: str, flags: dict[str, str], *, acr: str,
                    healthy: bool = True) -> list[dict[str, Any]]:
    """Everything the built-in tasks read or write in one cluster (``healthy=False``: the
    kube-apiserver ClusterOperator stays ``Progressing=True``). The CRDs and the ``ClusterVersion``
    are the task worlds' (:mod:`pytest_mimo.worlds.kube`): what the operator deployer reads and writes.
    The first :func:`shared_objects`, then :func:`own_objects`."""
    return [*shared_objects(healthy=healthy), *own_objects(resource_id, domain, flags, acr=acr)]


def shared_objects(*, healthy: bool = True) -> list[dict[str, Any]]:
    """The part of :func:`cluster_objects` that is the same in every cluster of its health."""
    from pytest_mimo.worlds.kube import cluster_version, crd_document, openshift_crds

    return [
        *openshift_crds(),
        crd_document("clusters.aro.openshift.io"),
        crd_document("previewfeatures.preview.aro.openshift.io"),
        cluster_version(),
        *(_namespace(n) for n in NAMESPACES),
        _cluster_operator("False" if healthy else "True"),
        {"apiVersion": "config.openshift.io/v1", "kind": "APIServer", "metadata": {"name": "cluster"},
         "spec": {"audit": {"profile": "Default"}}},
    ]


def own_objects(resource_id: str, domain: str, flags: dict[str, str], *, acr: str) -> list[dict[str, Any]]:
    """The part of :func:`cluster_objects` that is the cluster's own (added after the shared part)."""
    return [
        {"apiVersion": "operator.openshift.io/v1", "kind": "IngressController",
         "metadata": {"name": "default", "namespace": "openshift-ingress-operator"},
         "spec": {"replicas": 2, "domain": f"apps.{domain}"}},
        {"apiVersion": "aro.openshift.io/v1alpha1", "kind": "Cluster", "metadata": {"name": "cluster"},
         "spec": {"resourceId": resource_id, "domain": domain, "operatorflags": previous_flags(flags)}},
        _operator_deployment("aro-operator-master", OLD_OPERATOR_VERSION, acr),
        _operator_deployment("aro-operator-worker", OLD_OPERATOR_VERSION, acr),
    ]


# -- certificates ------------------------------------------------------------------------------

_NOT_BEFORE = dt.datetime(2025, 12, 1, tzinfo=dt.timezone.utc)
#: the issuing CA (its key and its PEM certificate), made once per process
_CA: tuple[Any, str] | None = None


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _cert(subject: str, key: Any, ca_key: Any, *, ca: bool, number: int) -> x509.Certificate:
    b = (x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(_name("Sim Issuing CA"))
         .public_key(key.public_key()).serial_number(number)
         .not_valid_before(_NOT_BEFORE).not_valid_after(_NOT_BEFORE + dt.timedelta(days=365))
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if not ca:
        b = b.add_extension(x509.SubjectAlternativeName([x509.DNSName(subject)]), critical=False)
    return b.sign(ca_key, hashes.SHA256())


def pem_bundle(cn: str, serial: int) -> str:
    """A Key Vault style PEM bundle (leaf key, leaf for ``cn``, issuing CA). One CA per process (its
    certificate signed once: a fleet's bundles share it); key material is not seeded (it never
    reaches a report)."""
    global _CA
    if _CA is None:
        ca_key = ec.generate_private_key(ec.SECP256R1())
        _CA = ca_key, _cert("Sim Issuing CA", ca_key, ca_key, ca=True, number=1).public_bytes(
            serialization.Encoding.PEM).decode()
    ca_key, ca_pem = _CA
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf = _cert(cn, leaf_key, ca_key, ca=False, number=serial + 2)
    key_pem = leaf_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption()).decode()
    return key_pem + leaf.public_bytes(serialization.Encoding.PEM).decode() + ca_pem


# -- Azure networking --------------------------------------------------------------------------


def _lb(rg_id: str, name: str, pools: list[str], frontend: str) -> dict[str, Any]:
    lb_id = f"{rg_id}/providers/Microsoft.Network/loadBalancers/{name}"
    return {
        "id": lb_id, "name": name, "type": "Microsoft.Network/loadBalancers", "location": "eastus",
        "sku": {"name": "Standard"},
        "properties": {
            "frontendIPConfigurations": [{"id": f"{lb_id}/frontendIPConfigurations/{frontend}", "name": frontend,
                                          "properties": {}}],
            "backendAddressPools": [{"id": f"{lb_id}/backendAddressPools/{p}", "name": p, "properties": {}}
                                    for p in pools],
            "loadBalancingRules": [], "probes": [],
        },
    }


def _nic(rg_id: str, name: str, subnet_id: str, pools: list[str]) -> dict[str, Any]:
    nic_id = f"{rg_id}/providers/Microsoft.Network/networkInterfaces/{name}"
    props: dict[str, Any] = {"ipConfigurations": [{
        "id": f"{nic_id}/ipConfigurations/pipConfig", "name": "pipConfig",
        "properties": {"privateIPAllocationMethod": "Dynamic", "subnet": {"id": subnet_id},
                       "loadBalancerBackendAddressPools": [{"id": p} for p in pools]},
    }]}
    return {"id": nic_id, "name": name, "type": "Microsoft.Network/networkInterfaces", "location": "eastus",
            "properties": props}


def _vm_of(rg_id: str, nic: dict[str, Any]) -> dict[str, Any]:
    """The VM whose networkProfile lists ``nic``: Azure fills a NIC's read-only ``virtualMachine`` from it."""
    name = str(nic["name"]).removesuffix("-nic")
    return {"id": f"{rg_id}/providers/Microsoft.Compute/virtualMachines/{name}", "location": "eastus",
            "properties": {"networkProfile": {"networkInterfaces": [{"id": nic["id"]}]}}}


def _vnet(master_subnet: str) -> dict[str, Any]:
    """The virtual network of the master subnet (the network RP resolves every NIC's subnet)."""
    return {"id": master_subnet.rsplit("/subnets/", 1)[0], "location": "eastus", "properties": {
        "addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
        "subnets": [{"name": master_subnet.rsplit("/", 1)[1], "properties": {"addressPrefix": "10.0.0.0/24"}}]}}


def master_network(rg_id: str, infra: str, master_subnet: str, *, arch: int) -> list[dict[str, Any]]:
    """Load balancers and master NICs whose pools are mixed up, as Fix SSH finds them the first time."""
    if arch == 0:  # Go's api.ArchitectureVersionV1
        ilb_name, api_pool, elb_name, elb_pool = (f"{infra}-internal-lb", f"{infra}-internal-controlplane-v4",
                                                  f"{infra}-public-lb", f"{infra}-public-lb-control-plane-v4")
    else:
        ilb_name, api_pool, elb_name, elb_pool = f"{infra}-internal", infra, infra, infra
    ilb = _lb(rg_id, ilb_name, [api_pool], "internal-lb-ip-v4")
    elb = _lb(rg_id, elb_name, [elb_pool], "public-lb-ip-v4")
    pools = f"{ilb['id']}/backendAddressPools"
    api = f"{pools}/{api_pool}"
    public = f"{elb['id']}/backendAddressPools/{elb_pool}"
    attached = [
        _nic(rg_id, f"{infra}-master0-nic", master_subnet, []),
        _nic(rg_id, f"{infra}-master1-nic", master_subnet, [api, f"{pools}/ssh-1", public]),
        _nic(rg_id, f"{infra}-master-2-nic", master_subnet, [api, f"{pools}/ssh-0"]),
    ]
    return [
        ilb,
        elb,
        *attached,
        _nic(rg_id, f"{infra}-master-1-nic", master_subnet, [api]),  # a replaced master's leftover: no VM
        *(_vm_of(rg_id, nic) for nic in attached),
        _vnet(master_subnet),
    ]
