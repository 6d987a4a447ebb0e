"""Replay scenarios: every built-in task, in a realistic world, under seeded faults.

Each test builds one cluster's world (Kubernetes objects, Key Vault
certificates, the control-plane network) and hands the task to
``mimo_replay``, which runs it clean, then under the replay's fault plan, and
checks that both end in the same state and the same world, that no injected
transient fault became terminal and that one more run changes nothing.
``--mimo-gate`` checks that every task of this package has such a test.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from mimo import const
from mimo.api import ManifestState, NetworkProfile
from mimo.steps.azure.fixssh import load_balancer_names
from mimo.steps.cluster.certificates import tls_secret
from mimo.steps.cluster.operator import DEFAULT_OPERATOR_VERSION
from mimo.steps.cluster.pembundle import parse_pem_bundle
from pytest_mimo import defaults, mimo_invariant, option, world_builder
from pytest_mimo.controllers import DeploymentController

from ..steps.builders import (
    apiserver,
    cluster_objects,
    cluster_operator,
    master_network,
    nic,
    pem_bundle,
    put_all,
    with_ssh,
)

UUID = defaults.CLUSTER_ID
VAULT = "eastus-cls"
# one pair of certificates for every replay (generated once: key generation is not seeded)
BUNDLES = {
    f"{UUID}-apiserver": pem_bundle("api.mycluster.eastus.aroapp.io"),
    f"{UUID}-ingress": pem_bundle("*.apps.mycluster.eastus.aroapp.io"),
}
ARO = ("aro.openshift.io/v1alpha1", "Cluster", "cluster")
NS = "openshift-azure-operator"
GENEVA = {
    const.OPERATOR_FLAG_SET_GENEVA_OTEL: "minimal-logs",
    const.OPERATOR_FLAG_SET_GENEVA_OTEL_PROFILE_MAX_LOGS: "max-logs",
    const.OPERATOR_FLAG_SET_GENEVA_OTEL_PROFILE_REDUCED_LOGS: "reduced-logs",
    const.OPERATOR_FLAG_SET_GENEVA_OTEL_PROFILE_MINIMAL_LOGS: "minimal-logs",
}


# -- invariants: checked after every write of every replay in this module --------------------
# (pytest_mimo.invariants; a wrong order of writes shows in the moment it exists)


def _tls_secret_problem(world: Any, name: str, namespace: str) -> str | None:
    secret = world.kube.get("v1", "Secret", name, namespace)
    if secret is None:
        return f"Secret {namespace}/{name} does not exist"
    lacking = [k for k in ("tls.crt", "tls.key") if k not in (secret.get("data") or {})]
    return f"Secret {namespace}/{name} lacks {lacking}" if lacking else None


@mimo_invariant
def serving_certificates_exist(world: Any) -> str | None:
    """Every managed certificate the API server serves is a TLS Secret that exists: the APIServer CRD
    (shared/reference/crds/0000_10_config-operator_01_apiservers-Default.crd.yaml,
    servingCertificate): "The secret must exist in the openshift-config namespace and contain
    ... tls.key ... tls.crt"."""
    api = world.kube.get("config.openshift.io/v1", "APIServer", "cluster") or {}
    named = ((api.get("spec") or {}).get("servingCerts") or {}).get("namedCertificates") or []
    names = {str((n.get("servingCertificate") or {}).get("name")) for n in named}
    # the certificates MIMO manages (a customer's own reference, as a test world may hold, is theirs)
    problems = [p for name in sorted(names & set(BUNDLES)) if (p := _tls_secret_problem(world, name, "openshift-config"))]
    return f"the API server serves a certificate that is not there: {'; '.join(problems)}" if problems else None


@mimo_invariant
def ingress_default_certificate_exists(world: Any) -> str | None:
    """The default IngressController's ``spec.defaultCertificate`` is a TLS Secret (tls.crt,
    tls.key: the IngressController CRD, 0000_50_ingress_00_ingresscontrollers-Default.crd.yaml)
    in openshift-ingress, where the ingress operator's router reads it."""
    ic = world.kube.get("operator.openshift.io/v1", "IngressController", "default", "openshift-ingress-operator") or {}
    name = ((ic.get("spec") or {}).get("defaultCertificate") or {}).get("name")
    problem = _tls_secret_problem(world, str(name), "openshift-ingress") if name in BUNDLES else None
    return f"the default IngressController serves a certificate that is not there: {problem}" if problem else None


@pytest.fixture
def cluster(mimo_world: Any) -> Any:
    """A healthy managed-domain cluster with the ARO operator, its certificates in Key Vault."""
    mimo_world.kube.add(*cluster_objects())
    vault = mimo_world.azure.keyvault(VAULT)
    for name, bundle in BUNDLES.items():
        vault.set_secret(name, bundle)
    return mimo_world


def _pin_operator(world: Any, version: str) -> None:
    def pin(doc: Any) -> None:
        doc.properties.operator_version = version

    world.patch_cluster(pin)


# -- TLS certificate rotation ------------------------------------------------------------------


#: last rotation's certificate (one for every replay: key generation is not seeded)
OLD_BUNDLE = parse_pem_bundle(pem_bundle("api.mycluster.eastus.aroapp.io"))
#: the copies rotation makes of each Key Vault certificate (namespace, name)
TLS_COPIES = [
    ("openshift-config", f"{UUID}-apiserver"),
    ("openshift-ingress", f"{UUID}-ingress"),
    (NS, f"{UUID}-apiserver"),
    (NS, f"{UUID}-ingress"),
]
#: a customer's own certificates, in the namespaces the APIServer and IngressController CRDs read them from
CUSTOMER_API, CUSTOMER_INGRESS = "customer-api-cert", "customer-ingress-cert"


@world_builder(expect=ManifestState.COMPLETED)
def tls_world(world: Any, v: Any) -> None:
    """What TLS rotation reads, varied.

    * ``domain``: the document's ``clusterProfile.domain`` short (``mycluster``, as the RP stores a
      managed domain it chose), fully qualified under the region's suffix (also managed), or a
      customer's own (custom: ARO-RP ``pkg/util/dns`` ``ManagedDomain`` returns ""; the RP issues no
      certificates for it, so the vault holds none). The RP's domain validation (``RxDomainName``,
      pkg/api/validate) admits lower case only, so no case variant exists.
    * ``degraded_condition``: the kube-apiserver ClusterOperator reports ``Degraded`` or not
      (openshift/api config/v1 ClusterOperatorStatus: no condition type is required).
    * ``apiserver_named_certificates`` / ``ingress_default_certificate``: none set (as installed),
      already ARO's (a managed domain only), or a customer's own, whose TLS Secret exists where
      the CRDs say it must (APIServer: openshift-config; IngressController: openshift-ingress).
    * ``certificate_copies``: the Secrets rotation writes missing, holding last rotation's
      certificate, or the vault's current one (managed domains only: nothing copies them otherwise).
    """
    domain = v.choose("domain", {"managed_short": "mycluster", "managed_full": "mycluster.eastus.aroapp.io",
                                 "custom": "mycluster.contoso.com"})
    custom = domain == "mycluster.contoso.com"
    if domain != "mycluster":
        def set_domain(doc: Any) -> None:
            doc.properties.cluster_profile.domain = domain

        world.patch_cluster(set_domain)
    if custom:
        vault = world.azure.keyvault(VAULT)
        for name in BUNDLES:
            vault.delete_secret(name)
        ic = world.kube.get("operator.openshift.io/v1", "IngressController", "default", "openshift-ingress-operator")
        ic["spec"]["domain"] = f"apps.{domain}"
        world.kube.add(ic)
        aro = world.kube.get(*ARO)
        aro["spec"]["domain"] = domain
        world.kube.add(aro)

    world.kube.add(cluster_operator(degraded=v.choose("degraded_condition", {"present": "False", "absent": None})))

    ours = {"none": None, "managed": "managed", "customer": "customer"}
    theirs = {"none": None, "customer": "customer"}
    named = v.choose("apiserver_named_certificates", theirs if custom else ours)
    if named == "managed":
        world.kube.add(apiserver([{"names": ["api.mycluster.eastus.aroapp.io"],
                                   "servingCertificate": {"name": f"{UUID}-apiserver"}}]))
    elif named == "customer":
        world.kube.add(tls_secret(CUSTOMER_API, "openshift-config", OLD_BUNDLE))
        host = f"api.{domain}" if custom else "api.example.com"  # a vanity name beside a managed domain
        world.kube.add(apiserver([{"names": [host], "servingCertificate": {"name": CUSTOMER_API}}]))
    default_cert = v.choose("ingress_default_certificate", theirs if custom else ours)
    if default_cert is not None:
        if default_cert == "customer":
            world.kube.add(tls_secret(CUSTOMER_INGRESS, "openshift-ingress", OLD_BUNDLE))
        ic = world.kube.get("operator.openshift.io/v1", "IngressController", "default", "openshift-ingress-operator")
        ic["spec"]["defaultCertificate"] = {"name": f"{UUID}-ingress" if default_cert == "managed" else CUSTOMER_INGRESS}
        world.kube.add(ic)

    # a managed certificate the cluster serves exists (the CRDs: "The secret must exist"), if stale
    served = "managed" in (named, default_cert)
    copies = v.choose("certificate_copies", {"missing": None} if custom else
                      {"stale": "stale", "current": "current"} if served else
                      {"missing": None, "stale": "stale", "current": "current"})
    for ns, name in TLS_COPIES if copies else ():
        bundle = OLD_BUNDLE if copies == "stale" else parse_pem_bundle(BUNDLES[name])
        world.kube.add(tls_secret(name, ns, bundle))


@pytest.mark.mimo_scenario(const.TLS_CERT_ROTATION_ID)
def test_tls_cert_rotation(cluster: Any, mimo_replay: Any) -> None:
    outcome = mimo_replay(const.TLS_CERT_ROTATION_ID, world=tls_world)
    assert outcome.state == ManifestState.COMPLETED
    kube = cluster.kube
    named = kube.get("config.openshift.io/v1", "APIServer", "cluster")["spec"].get("servingCerts", {}).get(
        "namedCertificates")
    default = kube.get("operator.openshift.io/v1", "IngressController", "default", "openshift-ingress-operator")[
        "spec"].get("defaultCertificate")
    if outcome.choices["domain"] == "custom":
        # the customer's certificates are theirs: nothing copied, nothing pointed elsewhere
        assert outcome.run.status_text == "cluster certificate is not managed"
        assert all(kube.get("v1", "Secret", name, ns) is None for ns, name in TLS_COPIES)
        customer = outcome.choices["apiserver_named_certificates"] == "customer"
        assert named == ([{"names": ["api.mycluster.contoso.com"], "servingCertificate": {"name": CUSTOMER_API}}]
                         if customer else None)
        assert default == ({"name": CUSTOMER_INGRESS}
                           if outcome.choices["ingress_default_certificate"] == "customer" else None)
        return
    for ns, name in TLS_COPIES:
        secret = kube.get("v1", "Secret", name, ns)
        assert secret["type"] == "kubernetes.io/tls"
        assert secret["data"] == tls_secret(name, ns, parse_pem_bundle(BUNDLES[name]))["data"]
    assert named == [
        {
            "names": ["api.mycluster.eastus.aroapp.io"],
            "servingCertificate": {"name": f"{UUID}-apiserver"},
        }
    ]
    assert default == {"name": f"{UUID}-ingress"}


@pytest.mark.mimo_scenario(const.TLS_CERT_ROTATION_ID)
def test_tls_cert_rotation_disabled(cluster: Any, mimo_replay: Any) -> None:
    cluster.with_features("DisableSignedCertificates")
    outcome = mimo_replay(const.TLS_CERT_ROTATION_ID)
    assert outcome.state == ManifestState.COMPLETED
    assert outcome.run.status_text == "signed certificates disabled"
    assert cluster.kube.get("v1", "Secret", f"{UUID}-apiserver", "openshift-config") is None


# -- ACR token checker -------------------------------------------------------------------------


@world_builder(expect=ManifestState.COMPLETED)
def registry_world(world: Any, v: Any) -> None:
    """The cluster's registry profiles: the region's only, or also another registry's with a long
    expired token, listed before or after it (ARO-RP api.RegistryProfile is a list; the check reads
    the profile named after the environment's ACR domain, pkg/mimo/steps/cluster/acrtoken.go)."""
    from datetime import timedelta

    from mimo.api import RegistryProfile, Secret

    where = v.choose("registry_profiles", {"region_only": "", "other_first": "first", "other_last": "last"})

    def profiles(doc: Any) -> None:
        other = RegistryProfile(name="arointsvcold.azurecr.io", username="token-old", password=Secret("old"),
                                issue_date=world.clock.now() - timedelta(days=400))
        mine = list(doc.properties.registry_profiles)
        doc.properties.registry_profiles = [other, *mine] if where == "first" else [*mine, other]

    if where:
        world.patch_cluster(profiles)


@pytest.mark.mimo_scenario(const.ACR_TOKEN_CHECKER_ID)
def test_acr_token_checker(cluster: Any, mimo_replay: Any) -> None:
    outcome = mimo_replay(const.ACR_TOKEN_CHECKER_ID, world=registry_world)
    assert outcome.state == ManifestState.COMPLETED
    # the clean baseline runs at once; a faulted run may be later by its retries
    assert (
        outcome.baseline.status_text
        == "token validity has 3600h0m0s remaining, should be rotated in 2640h0m0s"
    )
    assert re.fullmatch(
        r"token validity has 3\d{3}h\d+m\d+s remaining, should be rotated in 26\d\dh\d+m\d+s",
        outcome.run.status_text,
    )


@pytest.mark.mimo_scenario(const.ACR_TOKEN_CHECKER_ID)
def test_acr_token_checker_expired_token_fails(cluster: Any, mimo_replay: Any) -> None:
    from datetime import timedelta

    def age(doc: Any) -> None:
        for profile in doc.properties.registry_profiles:
            profile.issue_date = profile.issue_date - timedelta(days=200)

    cluster.patch_cluster(age)
    outcome = mimo_replay(const.ACR_TOKEN_CHECKER_ID)
    assert outcome.state == ManifestState.FAILED
    assert str(outcome.run.attempts[-1].error) == "TerminalError: token is expired"


# -- operator flags and Geneva -----------------------------------------------------------------


@world_builder(expect=ManifestState.COMPLETED)
def operator_flags_world(world: Any, v: Any) -> None:
    """What the flags tasks read, varied: the ClusterOperator kube-apiserver missing (not an
    OpenShift cluster we can service: ensure_api_server_is_up's terminal 404, tasks.md), its
    Degraded condition not reported (openshift/api config/v1 ClusterOperatorStatus.conditions: no
    condition type is required), the document's flag set empty, as created, or large (ARO-RP
    api.OperatorFlags is a map; an empty one is a valid document), and the Cluster object holding
    stale flags, none, or the document's already."""
    degraded = v.choose("degraded_condition", {"present": "False", "absent": None})
    world.kube.add(cluster_operator(degraded=degraded))
    if not v.choose("clusteroperator", [option("present", True),
                                        option("missing", False, expect=ManifestState.FAILED)]):
        world.kube.delete("config.openshift.io/v1", "ClusterOperator", "kube-apiserver")
    flags = v.choose("operator_flags", {
        "as_created": None,
        "empty": {},
        "many": {f"aro.feature{i}.enabled": "true" if i % 2 else "false" for i in range(12)},
    })
    if flags is not None:
        def set_flags(doc: Any) -> None:
            doc.properties.operator_flags = dict(flags)

        world.patch_cluster(set_flags)
    current = v.choose("cluster_object_flags", {
        "stale": {"aro.stale": "true"},
        "none": None,
        "in_sync": dict(world.cluster.properties.operator_flags),
    })
    spec = {k: x for k, x in world.kube.get(*ARO)["spec"].items() if k != "operatorflags"}
    if current is not None:
        spec["operatorflags"] = current
    world.kube.add({**world.kube.get(*ARO), "spec": spec})


@pytest.mark.mimo_scenario(const.OPERATOR_FLAGS_UPDATE_ID)
def test_operator_flags_update(cluster: Any, mimo_replay: Any) -> None:
    outcome = mimo_replay(const.OPERATOR_FLAGS_UPDATE_ID, world=operator_flags_world)
    if outcome.choices["clusteroperator"] == "missing":
        assert outcome.baseline.state == ManifestState.FAILED
        assert "kube-apiserver\" not found" in str(outcome.baseline.attempts[-1].error)
        return
    assert outcome.state == ManifestState.COMPLETED
    assert (
        cluster.kube.get(*ARO)["spec"]["operatorflags"] == cluster.cluster.properties.operator_flags
    )


@pytest.mark.mimo_scenario(const.OPERATOR_FLAGS_UPDATE_ID)
def test_operator_flags_update_waits_for_a_healthy_api_server(
    cluster: Any, mimo_replay: Any
) -> None:
    co = cluster.kube.get("config.openshift.io/v1", "ClusterOperator", "kube-apiserver")
    co["status"]["conditions"][1]["status"] = "True"  # Progressing, for good
    cluster.kube.add(co)
    outcome = mimo_replay(const.OPERATOR_FLAGS_UPDATE_ID)
    assert outcome.state == ManifestState.RETRIES_EXCEEDED
    assert outcome.run.status_text.endswith(
        "TransientError: kube-apiserver Available=True, Progressing=True, Degraded=False"
    )


@pytest.mark.parametrize(
    "task_id",
    [
        pytest.param(
            const.OPERATOR_FLAG_SET_GENEVA_OTEL,
            marks=pytest.mark.mimo_scenario(const.OPERATOR_FLAG_SET_GENEVA_OTEL),
            id="otel",
        ),
        pytest.param(
            const.OPERATOR_FLAG_SET_GENEVA_OTEL_PROFILE_MAX_LOGS,
            marks=pytest.mark.mimo_scenario(const.OPERATOR_FLAG_SET_GENEVA_OTEL_PROFILE_MAX_LOGS),
            id="max-logs",
        ),
        pytest.param(
            const.OPERATOR_FLAG_SET_GENEVA_OTEL_PROFILE_REDUCED_LOGS,
            marks=pytest.mark.mimo_scenario(
                const.OPERATOR_FLAG_SET_GENEVA_OTEL_PROFILE_REDUCED_LOGS
            ),
            id="reduced-logs",
        ),
        pytest.param(
            const.OPERATOR_FLAG_SET_GENEVA_OTEL_PROFILE_MINIMAL_LOGS,
            marks=pytest.mark.mimo_scenario(
                const.OPERATOR_FLAG_SET_GENEVA_OTEL_PROFILE_MINIMAL_LOGS
            ),
            id="minimal-logs",
        ),
    ],
)
def test_geneva_otel(cluster: Any, mimo_replay: Any, task_id: str) -> None:
    profile = GENEVA[task_id]
    outcome = mimo_replay(task_id, world=operator_flags_world)
    if outcome.choices["clusteroperator"] == "missing":
        assert outcome.baseline.state == ManifestState.FAILED
        assert "kube-apiserver\" not found" in str(outcome.baseline.attempts[-1].error)
        return
    assert outcome.state == ManifestState.COMPLETED
    flags = cluster.cluster.properties.operator_flags
    # the flags the document held are kept beside the Geneva ones
    kept = {"as_created": ["aro.imageconfig.enabled"], "empty": [],
            "many": [f"aro.feature{i}.enabled" for i in range(12)]}[outcome.choices["operator_flags"]]
    assert all(k in flags for k in kept), flags
    assert flags["aro.genevalogging.enabled"] == "true"
    for key in (
        "aro.genevalogging.otel.profile",
        "aro.genevalogging.otel.master.profile",
        "aro.genevalogging.otel.worker.profile",
    ):
        assert flags[key] == profile
    assert cluster.kube.get(*ARO)["spec"]["operatorflags"] == flags


# -- Fix SSH -----------------------------------------------------------------------------------


SUB, RG = defaults.SUBSCRIPTION_ID, defaults.CLUSTER_RESOURCE_GROUP
NETWORK = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Network"


def _lower_references(nic: dict[str, Any]) -> None:
    """A NIC whose subnet and pool references ARM holds in lower case: ARM resource IDs are
    case-insensitive (ARM RPC, resource-api-reference: "resource IDs are case-insensitive"), and a
    reference keeps the case its writer sent (the installer's, the machine API's)."""
    for ipc in nic["properties"]["ipConfigurations"]:
        props = ipc["properties"]
        props["subnet"]["id"] = props["subnet"]["id"].lower()
        for pool in props.get("loadBalancerBackendAddressPools") or []:
            pool["id"] = pool["id"].lower()


@world_builder(expect=ManifestState.COMPLETED)
def control_plane_world(world: Any, v: Any) -> None:
    """The control plane Fix SSH finds, varied (Go ``pkg/cluster/fixssh.go`` reads all of it).

    * ``architecture_version``: V2 (``<infra>-internal`` / ``<infra>``) or V1 (``<infra>-internal-lb``,
      ``<infra>-public-lb``; ARO-RP api.ArchitectureVersionV1 = 0), with the load balancers of that version.
    * ``master_nic_pools``: the masters' pools mixed up (none, right, a foreign SSH pool), all
      none, or all right already (one, two or three pools on a NIC).
    * ``internal_lb_ssh``: the internal load balancer without its SSH pools, probe and rules (an
      old cluster), or with all of them (ARO-RP's networkInternalLoadBalancer template).
    * ``orphaned_master_nic``: a replaced master's leftover NIC (no VM) present or not.
    * ``reference_case``: the NICs' subnet and pool references as written, or in lower case.
    * ``worker_nics``: one worker NIC, or three (a machine set of three).
    """
    arch = v.choose("architecture_version", {"v2": 1, "v1": 0})
    if arch == 0:
        def v1(doc: Any) -> None:
            doc.properties.architecture_version = 0

        world.patch_cluster(v1)
    p = world.cluster.properties
    infra, subnet = p.infra_id, p.master_profile.subnet_id
    resources = master_network(SUB, RG, infra, subnet, arch=arch)
    by_name = {r.get("name") or r["id"].rsplit("/", 1)[1]: r for r in resources}
    names = load_balancer_names(arch, infra)
    api = f"{NETWORK}/loadBalancers/{names['internal_lb']}/backendAddressPools/{names['api_pool']}"
    public = f"{NETWORK}/loadBalancers/{names['public_lb']}/backendAddressPools/{names['public_pool']}"
    masters = {0: f"{infra}-master0-nic", 1: f"{infra}-master1-nic", 2: f"{infra}-master-2-nic"}

    pools = v.choose("master_nic_pools", {"mixed": None, "none": "none", "right": "right"})
    for n, name in masters.items() if pools else ():
        ipc = by_name[name]["properties"]["ipConfigurations"][0]["properties"]
        ipc["loadBalancerBackendAddressPools"] = [] if pools == "none" else [
            {"id": api}, {"id": f"{NETWORK}/loadBalancers/{names['internal_lb']}/backendAddressPools/ssh-{n}"},
            {"id": public}]
    if v.choose("internal_lb_ssh", {"missing": False, "complete": True}):
        with_ssh(by_name[names["internal_lb"]])
    if not v.present("orphaned_master_nic"):
        orphan = by_name[f"{infra}-master-1-nic"]
        resources = [r for r in resources if r is not orphan]
    if v.choose("reference_case", {"as_written": False, "lower": True}):
        for r in resources:
            if r["id"].startswith(f"{NETWORK}/networkInterfaces/"):
                _lower_references(r)
    workers = v.choose("worker_nics", {"one": 1, "three": 3})
    worker_subnet = subnet.rsplit("/", 1)[0] + "/worker"
    for i in range(2, workers + 1):
        resources += nic(SUB, RG, f"{infra}-worker-eastus{i}-abcde-nic", worker_subnet, [])
    put_all(world.azure, resources)


@pytest.mark.mimo_scenario(const.FIX_SSH_ID)
def test_fix_ssh(cluster: Any, mimo_replay: Any) -> None:
    outcome = mimo_replay(const.FIX_SSH_ID, world=control_plane_world)
    assert outcome.state == ManifestState.COMPLETED
    p = cluster.cluster.properties
    infra, names = p.infra_id, load_balancer_names(p.architecture_version, p.infra_id)
    resources = cluster.azure.resources()
    nics = {body["name"]: body for rid, body in resources.items() if "/networkinterfaces/" in rid.lower()}
    assert f"{infra}-master-1-nic" not in nics
    assert f"{infra}-master-0-nic" not in nics  # no VM, outside the master subnet: Go deletes it too
    for name, n in ((f"{infra}-master0-nic", 0), (f"{infra}-master1-nic", 1), (f"{infra}-master-2-nic", 2)):
        pools = nics[name]["properties"]["ipConfigurations"][0]["properties"]["loadBalancerBackendAddressPools"]
        assert sorted(x["id"].lower() for x in pools) == sorted(x.lower() for x in (
            f"{NETWORK}/loadBalancers/{names['internal_lb']}/backendAddressPools/{names['api_pool']}",
            f"{NETWORK}/loadBalancers/{names['internal_lb']}/backendAddressPools/ssh-{n}",
            f"{NETWORK}/loadBalancers/{names['public_lb']}/backendAddressPools/{names['public_pool']}",
        )), name
    # the worker subnet's NICs are left alone
    assert nics[f"{infra}-master2-nic"]["properties"]["ipConfigurations"][0]["properties"][
        "loadBalancerBackendAddressPools"] == []
    ilb = cluster.azure.get_resource(f"{NETWORK}/loadBalancers/{names['internal_lb']}")["properties"]
    assert sorted(r["name"] for r in ilb["loadBalancingRules"] if r["name"].startswith("ssh")) == [
        "ssh-0", "ssh-1", "ssh-2"]


@pytest.mark.mimo_scenario(const.FIX_SSH_ID)
def test_fix_ssh_architecture_1_user_defined_routing(cluster: Any, mimo_replay: Any) -> None:
    def v1_udr(doc: Any) -> None:
        doc.properties.architecture_version = 0  # Go's api.ArchitectureVersionV1
        doc.properties.network_profile = NetworkProfile(outbound_type="UserDefinedRouting")

    cluster.patch_cluster(v1_udr)
    p = cluster.cluster.properties
    put_all(
        cluster.azure,
        master_network(
            defaults.SUBSCRIPTION_ID,
            defaults.CLUSTER_RESOURCE_GROUP,
            p.infra_id,
            p.master_profile.subnet_id,
            arch=0,
        ),
    )
    outcome = mimo_replay(const.FIX_SSH_ID)
    assert outcome.state == ManifestState.COMPLETED
    nic = cluster.azure.get_resource(
        f"/subscriptions/{defaults.SUBSCRIPTION_ID}/resourceGroups/{defaults.CLUSTER_RESOURCE_GROUP}"
        f"/providers/Microsoft.Network/networkInterfaces/{p.infra_id}-master0-nic"
    )
    pools = nic["properties"]["ipConfigurations"][0]["properties"][
        "loadBalancerBackendAddressPools"
    ]
    assert [x["id"].rsplit("/", 1)[1] for x in pools] == [
        f"{p.infra_id}-internal-controlplane-v4",
        "ssh-0",
    ]


# -- the operator's version --------------------------------------------------------------------


@pytest.fixture
def controller(cluster: Any) -> DeploymentController:
    return DeploymentController(delay_seconds=150).install(cluster.kube)


@pytest.mark.mimo_scenario(const.OPERATOR_VERSION_RESET_ID)
def test_operator_version_reset(cluster: Any, controller: DeploymentController, mimo_replay: Any) -> None:
    """Go's ResetOperatorVersion task (pkg/mimo/tasks/operator.go): clear the version, redeploy the operator,
    wait for it to be ready and at the desired (now the default) version, then sync the Cluster object."""
    _pin_operator(cluster, "v20251201.2")
    outcome = mimo_replay(const.OPERATOR_VERSION_RESET_ID)
    assert outcome.state == ManifestState.COMPLETED
    assert cluster.cluster.properties.operator_version == ""
    for name in ("aro-operator-master", "aro-operator-worker"):
        d = cluster.kube.get("apps/v1", "Deployment", name, NS)
        assert d["metadata"]["labels"]["version"] == DEFAULT_OPERATOR_VERSION
        assert d["status"]["observedGeneration"] == d["metadata"]["generation"]
    # Go clusterObject: the document's flags, and aro.environment = EnvironmentType() when absent
    assert cluster.kube.get(*ARO)["spec"]["operatorflags"] == {"aro.environment": "", **cluster.cluster.properties.operator_flags}


@pytest.mark.mimo_scenario(const.OPERATOR_UPDATE_ID)
def test_operator_update(cluster: Any, controller: DeploymentController, mimo_replay: Any) -> None:
    outcome = mimo_replay(const.OPERATOR_UPDATE_ID)
    assert outcome.state == ManifestState.COMPLETED
    image = f"arointsvc.azurecr.io/aro:{DEFAULT_OPERATOR_VERSION}"
    for name in ("aro-operator-master", "aro-operator-worker"):
        d = cluster.kube.get("apps/v1", "Deployment", name, NS)
        assert d["spec"]["template"]["spec"]["containers"][0]["image"] == image
        assert d["status"]["observedGeneration"] == d["metadata"]["generation"]
    spec = cluster.kube.get(*ARO)["spec"]
    assert "operatorVersion" not in spec  # no such field in the ARO Cluster CRD
    assert spec["operatorflags"] == {"aro.environment": "", **cluster.cluster.properties.operator_flags}  # Go clusterObject
    assert controller.completed, "the deployment controller never finished a rollout"
    # the rest of Go's deployer Update (pkg/operator/deploy/deploy.go, staticresources/)
    for api_version, kind, name, ns in [
        ("v1", "Namespace", NS, None),
        ("v1", "ServiceAccount", "aro-operator-master", NS),
        ("v1", "ServiceAccount", "aro-operator-worker", NS),
        ("v1", "Service", "aro-operator-master", NS),
        ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "aro-operator-master", None),
        ("rbac.authorization.k8s.io/v1", "ClusterRole", "aro-operator-worker", None),
        ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "aro-operator-worker", None),
        ("rbac.authorization.k8s.io/v1", "Role", "prometheus-k8s", NS),
        ("rbac.authorization.k8s.io/v1", "RoleBinding", "prometheus-k8s", NS),
        ("v1", "Secret", "cluster", NS),
        ("monitoring.coreos.com/v1", "ServiceMonitor", "aro-operator-master", NS),
        ("cloudcredential.openshift.io/v1", "CredentialsRequest", "openshift-azure-operator",
         "openshift-cloud-credential-operator"),
        ("apiextensions.k8s.io/v1", "CustomResourceDefinition", "clusters.aro.openshift.io", None),
        ("apiextensions.k8s.io/v1", "CustomResourceDefinition", "previewfeatures.preview.aro.openshift.io", None),
    ]:
        assert cluster.kube.get(api_version, kind, name, ns) is not None, (kind, name)


@pytest.mark.mimo_scenario(const.OPERATOR_UPDATE_ID)
def test_operator_update_with_a_crd_that_is_never_established_gives_up(cluster: Any, mimo_replay: Any) -> None:
    """Go's applyDeployment (pkg/operator/deploy/deploy.go) waits a minute for each CRD it ensures to be
    Established and NamesAccepted, then fails: TransientError("failed updating operator: timed out waiting
    for the condition") (DeployOperatorIntoCluster), so each attempt ends there and the manifest runs out of retries."""
    crd = cluster.kube.get("apiextensions.k8s.io/v1", "CustomResourceDefinition", "previewfeatures.preview.aro.openshift.io")
    crd["status"]["conditions"] = [  # names in conflict (apiextensions' NamingConditionController)
        {"type": "NamesAccepted", "status": "False", "reason": "KindConflict",
         "message": '"PreviewFeature" is already in use', "lastTransitionTime": "2026-01-01T00:00:00Z"},
        {"type": "Established", "status": "False", "reason": "NotAccepted",
         "message": "not all names are accepted", "lastTransitionTime": "2026-01-01T00:00:00Z"},
    ]
    cluster.kube.add(crd)
    outcome = mimo_replay(const.OPERATOR_UPDATE_ID)
    assert outcome.state == ManifestState.RETRIES_EXCEEDED
    assert outcome.run.status_text.endswith(
        "TransientError: failed updating operator: timed out waiting for the condition"
    )


@pytest.mark.mimo_scenario(const.OPERATOR_UPDATE_ID)
def test_operator_update_to_a_pinned_version(
    cluster: Any, controller: DeploymentController, mimo_replay: Any
) -> None:
    _pin_operator(cluster, "v20260201.3")
    outcome = mimo_replay(const.OPERATOR_UPDATE_ID)
    assert outcome.state == ManifestState.COMPLETED
    d = cluster.kube.get("apps/v1", "Deployment", "aro-operator-worker", NS)
    assert d["metadata"]["labels"]["version"] == "v20260201.3"
    assert "operatorVersion" not in cluster.kube.get(*ARO)["spec"]


@pytest.mark.mimo_scenario(const.OPERATOR_UPDATE_ID)
def test_operator_update_that_never_rolls_out_is_retried_then_gives_up(
    cluster: Any, mimo_replay: Any
) -> None:
    # no deployment controller: the rollout never finishes, each attempt waits its 20 minutes
    outcome = mimo_replay(const.OPERATOR_UPDATE_ID)
    assert outcome.state == ManifestState.RETRIES_EXCEEDED
    assert outcome.run.status_text.endswith(
        "TransientError: condition aro_operator_ready timed out after 20m0s"
    )


@world_builder(expect=ManifestState.COMPLETED)
def cluster_object_world(world: Any, v: Any) -> None:
    """What Go's SyncClusterObject reads and writes, varied: the Cluster object missing (Ensure
    creates it), stale (another resource ID, stale flags, a status and a banner that must stay),
    or already in sync; the document's flags as created, empty or pinning aro.environment; a
    gateway cluster (featureProfile.gatewayEnabled, gatewayPrivateEndpointIp: pkg/api) or not;
    and no kube-apiserver ClusterOperator at all (Go's task checks no API server first)."""
    from dataclasses import replace

    from mimo.steps.cluster.clusterobject import cluster_spec
    from pytest_mimo.context import FakeTaskContext

    if v.choose("clusteroperator", {"present": True, "missing": False}) is False:
        world.kube.delete("config.openshift.io/v1", "ClusterOperator", "kube-apiserver")
    flags = v.choose("operator_flags", {"as_created": None, "empty": {}, "pinned_environment": {"aro.environment": "int"}})
    gateway = v.choose("gateway", {"none": False, "enabled": True})

    def edit(doc: Any) -> None:
        if flags is not None:
            doc.properties.operator_flags = dict(flags)
        if gateway:
            doc.properties.extra["featureProfile"] = {"gatewayEnabled": True}
            doc.properties.extra["imageRegistryStorageAccountName"] = "imageregistryx7k2p"
            doc.properties.network_profile.extra["gatewayPrivateEndpointIp"] = "10.0.3.4"

    world.patch_cluster(edit)
    if gateway:
        world.environment = replace(world.environment, gateway_resource_group="gwy-eastus",
                                    gateway_domains=("eastus.gateway.aroapp.io",), rp_parent_domain_name="aroapp.io")
    current = world.kube.get(*ARO)
    state = v.choose("cluster_object", {"missing": "missing", "stale": "stale", "in_sync": "in_sync"})
    if state == "missing":
        world.kube.delete(*ARO)
    elif state == "stale":
        spec = {**current["spec"], "resourceId": current["spec"]["resourceId"] + "-old",
                "operatorflags": {"aro.stale": "true"}, "banner": {"content": "ClusterMaintenanceScheduled"}}
        world.kube.add({**current, "spec": spec, "status": {"operatorVersion": "v20260101.0"}})
    else:
        spec = cluster_spec(FakeTaskContext(world.clock, environment=world.environment, cluster=world.cluster))
        world.kube.add({**current, "spec": spec})


@pytest.mark.mimo_scenario(const.OPERATOR_SYNC_CLUSTER_OBJECT_ID)
def test_sync_cluster_object(cluster: Any, mimo_replay: Any) -> None:
    """Go's SyncClusterObject task (pkg/mimo/tasks/operator.go): the Cluster object Go's deployer
    builds (pkg/operator/deploy/deploy.go clusterObject) is in the cluster, created or updated, its
    status and banner kept; the operator version is no spec field (aro.openshift.io_clusters.yaml)."""
    from mimo.steps.cluster.clusterobject import cluster_spec
    from pytest_mimo.context import FakeTaskContext

    _pin_operator(cluster, "v20260201.3")
    outcome = mimo_replay(const.OPERATOR_SYNC_CLUSTER_OBJECT_ID, world=cluster_object_world)
    assert outcome.state == ManifestState.COMPLETED
    obj = cluster.kube.get(*ARO)
    want = cluster_spec(FakeTaskContext(cluster.clock, environment=cluster.environment, cluster=cluster.cluster))
    flags = cluster.cluster.properties.operator_flags
    assert obj["spec"]["operatorflags"] == {"aro.environment": "", **flags}
    assert obj["spec"]["resourceId"] == cluster.cluster.resource_id
    if outcome.choices["cluster_object"] == "stale":
        assert obj["spec"] == {**want, "banner": {"content": "ClusterMaintenanceScheduled"}}
        assert obj["status"] == {"operatorVersion": "v20260101.0"}
    else:
        assert obj["spec"] == want
    assert "operatorVersion" not in obj["spec"]


# -- tasks that fail for good: the verdict survives faults ---------------------------------------
# Under faults the terminal error may only surface in the last (clean) attempt, which the actuator's
# rule 7 records as RetriesExceeded; the replay counts that as the same verdict as a Failed baseline.


@pytest.mark.mimo_scenario(const.TLS_CERT_ROTATION_ID)
def test_tls_cert_rotation_with_a_broken_bundle_fails_for_good(mimo_world: Any, mimo_replay: Any) -> None:
    mimo_world.kube.add(*cluster_objects())
    vault = mimo_world.azure.keyvault(VAULT)
    vault.set_secret(f"{UUID}-apiserver", pem_bundle("api.mycluster.eastus.aroapp.io"))
    vault.set_secret(f"{UUID}-ingress", "not a PEM bundle")
    outcome = mimo_replay(const.TLS_CERT_ROTATION_ID)
    assert outcome.state in (ManifestState.FAILED, ManifestState.RETRIES_EXCEEDED)
    assert outcome.baseline.state == ManifestState.FAILED


@pytest.mark.mimo_scenario(const.OPERATOR_UPDATE_ID)
def test_operator_update_to_a_version_that_is_no_image_tag_fails_for_good(cluster: Any, mimo_replay: Any) -> None:
    _pin_operator(cluster, "not a tag!")
    outcome = mimo_replay(const.OPERATOR_UPDATE_ID)
    assert outcome.baseline.state == ManifestState.FAILED
    assert outcome.state in (ManifestState.FAILED, ManifestState.RETRIES_EXCEEDED)


@pytest.mark.mimo_scenario(const.OPERATOR_UPDATE_ID)
def test_operator_update_installs_a_missing_operator(mimo_world: Any, mimo_replay: Any) -> None:
    """Go's deployer Ensures every object: a cluster without the operator Deployments gets them."""
    mimo_world.kube.add(*[o for o in cluster_objects() if o["kind"] != "Deployment"])
    DeploymentController(delay_seconds=150).install(mimo_world.kube)
    outcome = mimo_replay(const.OPERATOR_UPDATE_ID)
    assert outcome.state == ManifestState.COMPLETED
    assert mimo_world.kube.get("apps/v1", "Deployment", "aro-operator-worker", NS) is not None
