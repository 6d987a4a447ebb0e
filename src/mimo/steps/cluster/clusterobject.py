"""The ARO operator's ``Cluster`` object as Go's operator deployer builds and syncs it.

Go's ``SyncClusterObject`` step (``pkg/mimo/steps/cluster/operator.go``) calls the deployer's
``SyncClusterObject`` (``pkg/operator/deploy/deploy.go``): ``clusterObject()`` builds the whole
``aro.openshift.io/v1alpha1`` ``Cluster`` ``cluster`` from the cluster document and the RP's
environment, and ``clienthelper.Ensure`` creates it, or updates it when it differs (the status
kept, Go's ``Merge``). :func:`cluster_spec` is ``clusterObject``'s spec as Go's ``encoding/json``
writes it (``omitempty``: an empty string, a zero ``architectureVersion`` and an empty list are
left out); :func:`ensure_cluster_object` writes it.

What the RP knows of itself (its subscription and resource group, the gateway's resource group
and domains, its parent domain, its environment type) comes from :class:`mimo.environment.Environment`;
a value the object needs that is not configured is a :class:`TerminalError` naming the field
(Go's RP refuses to start without them; we have no default to stand in).
"""

from __future__ import annotations

import copy
from typing import Any

from mimo.api import OpenShiftClusterDocument
from mimo.context import TaskContext
from mimo.errors import TerminalError
from mimo.steps.cluster import objects

__all__ = [
    "CLUSTER_OBJECT",
    "GO_SPEC_FIELDS",
    "ClusterObjectError",
    "check_ingress_ip",
    "cluster_spec",
    "ensure_cluster_object",
    "gateway_telemetry_domain",
    "split_subnet_id",
]

#: ``arov1alpha1.SingletonClusterName``
CLUSTER_OBJECT = ("aro.openshift.io/v1alpha1", "Cluster", "cluster")
CLUSTER_KEY = "Cluster.aro.openshift.io/cluster"

#: the ``ClusterSpec`` fields ``clusterObject`` sets; the others (``banner``, ``genevaLogging``)
#: are left as they are on the stored object (README, Go differences)
GO_SPEC_FIELDS = (
    "resourceId", "clusterResourceGroupId", "domain", "acrDomain", "azEnvironment", "location", "infraId",
    "storageSuffix", "architectureVersion", "internetChecker", "vnetId", "apiIntIP", "ingressIP",
    "gatewayDomains", "gatewayTelemetryDomain", "gatewayPrivateEndpointIP", "serviceSubnets", "operatorflags",
)


class ClusterObjectError(Exception):
    """An error of Go's ``clusterObject`` (its text is Go's), wrapped by the step as transient."""


def split_subnet_id(subnet_id: str) -> tuple[str, str]:
    """Go ``apisubnet.Split`` (``pkg/api/util/subnet``): the virtual network ID and the subnet name."""
    parts = subnet_id.split("/")
    if len(parts) != 11:
        raise ClusterObjectError(f'subnet ID "{subnet_id}" has incorrect length')
    return "/".join(parts[:-2]), parts[-1]


def check_ingress_ip(profiles: list[dict[str, Any]]) -> str:
    """Go ``checkIngressIP``: the first profile's IP, or the ``default`` one's when there are several."""
    if len(profiles) < 1:
        raise ClusterObjectError("no Ingress Profiles found")
    ip = profiles[0].get("ip") or ""
    if len(profiles) > 1:
        for p in profiles:
            if p.get("name") == "default":
                ip = p.get("ip") or ""
                break
    if ip == "":
        raise ClusterObjectError("ingress IP is empty")
    return str(ip)


def gateway_telemetry_domain(location: str, app_suffix: str) -> str:
    """Go ``gatewayTelemetryDomain``: ``telemetry.<location>.<suffix>`` lower-cased, "" if either is empty."""
    if location == "" or app_suffix == "":
        return ""
    return f"telemetry.{location}.{app_suffix}".lower()


def _extra(obj: dict[str, Any], key: str, kind: type, where: str) -> Any:
    """An unmodelled document field (Go ``pkg/api`` name), type-checked; its zero value when absent."""
    value = obj.get(key)
    if value is None:
        return kind()
    if not isinstance(value, kind):
        raise TerminalError(f"cluster document: {where}{key}: must be a {'string' if kind is str else kind.__name__}")
    return value


def _ingress_profiles(props: dict[str, Any]) -> list[dict[str, Any]]:
    profiles = _extra(props, "ingressProfiles", list, "properties.")
    for i, p in enumerate(profiles):
        if not isinstance(p, dict):
            raise TerminalError(f"cluster document: properties.ingressProfiles[{i}]: must be an object")
        for k in ("name", "ip"):
            if p.get(k) is not None and not isinstance(p.get(k), str):
                raise TerminalError(f"cluster document: properties.ingressProfiles[{i}].{k}: must be a string")
    return profiles  # type: ignore[no-any-return]


def _need(tc: TaskContext, field: str, why: str) -> str:
    value = getattr(tc.environment(), field)
    if not value:
        raise TerminalError(f"environment field {field!r} is not set: the Cluster object's {why}")
    return str(value)


def cluster_spec(tc: TaskContext) -> dict[str, Any]:
    """Go ``(*operator).clusterObject``'s ``spec``, as ``encoding/json`` writes it."""
    doc: OpenShiftClusterDocument = tc.get_openshift_cluster_document()
    props = doc.properties
    env = tc.environment()
    raw = props.to_dict()
    feature = _extra(raw, "featureProfile", dict, "properties.")
    gateway_enabled = _extra(feature, "gatewayEnabled", bool, "properties.featureProfile.")
    gateway_pe_ip = _extra(raw.get("networkProfile") or {}, "gatewayPrivateEndpointIp", str, "properties.networkProfile.")

    vnet_id, _ = split_subnet_id(props.master_profile.subnet_id)
    domain = props.cluster_profile.domain
    if "." not in domain:
        domain += "." + env.domain_suffix
    ingress_ip = check_ingress_ip(_ingress_profiles(raw))

    sub = _need(tc, "rp_subscription_id", "serviceSubnets need the RP's subscription (Go env.SubscriptionID())")
    rg = _need(tc, "rp_resource_group", "serviceSubnets need the RP's resource group (Go env.ResourceGroup())")
    service_subnets = [
        f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network/virtualNetworks/rp-pe-vnet-001/subnets/rp-pe-subnet",
        f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network/virtualNetworks/rp-vnet/subnets/rp-subnet",
    ]
    if gateway_enabled:
        gw_rg = _need(tc, "gateway_resource_group", "serviceSubnets of a gateway cluster need GATEWAY_RESOURCEGROUP")
        service_subnets.append(
            f"/subscriptions/{sub}/resourceGroups/{gw_rg}/providers/Microsoft.Network/virtualNetworks/gateway-vnet/subnets/gateway-subnet"
        )
    if not env.cloud.geneva_monitoring_endpoint:
        raise TerminalError(
            "environment field 'cloud.geneva_monitoring_endpoint' is not set: the Cluster object's internetChecker "
            "needs it (Go AROEnvironment.GenevaMonitoringEndpoint)"
        )
    if not env.cloud.go_name:
        raise TerminalError("environment field 'cloud.go_name' is not set: the Cluster object's azEnvironment needs it")

    flags = dict(props.operator_flags)
    if "aro.environment" not in flags:
        flags["aro.environment"] = env.environment_type
    telemetry = ""
    if gateway_pe_ip:
        parent = _need(tc, "rp_parent_domain_name", "gatewayTelemetryDomain needs RP_PARENT_DOMAIN_NAME")
        telemetry = gateway_telemetry_domain(env.region, parent)
    gateway_domains: list[str] = []
    if gateway_enabled:
        account = _extra(raw, "imageRegistryStorageAccountName", str, "properties.")
        gateway_domains = [*env.all_gateway_domains(), f"{account}.blob.{env.cloud.storage_endpoint_suffix}"]

    spec: dict[str, Any] = {
        "resourceId": doc.display_id or doc.resource_id,
        "clusterResourceGroupId": props.cluster_profile.resource_group_id,
        "domain": domain,
        "acrDomain": env.acr_domain,
        "azEnvironment": env.cloud.go_name,
        "location": env.region,
        "infraId": props.infra_id,
        "storageSuffix": _extra(raw, "storageSuffix", str, "properties."),
        "architectureVersion": props.architecture_version,
        "internetChecker": {"urls": [
            f"https://{env.acr_domain}/",
            env.cloud.active_directory_endpoint,
            env.cloud.resource_manager_endpoint,
            env.cloud.geneva_monitoring_endpoint,
        ]},
        "vnetId": vnet_id,
        "apiIntIP": props.apiserver_profile.int_ip,
        "ingressIP": ingress_ip,
        "gatewayDomains": gateway_domains,
        "gatewayTelemetryDomain": telemetry,
        "gatewayPrivateEndpointIP": gateway_pe_ip,
        "serviceSubnets": service_subnets,
        "operatorflags": flags,
    }
    # encoding/json omitempty: "", 0 and empty lists are not written
    return {k: v for k, v in spec.items() if v not in ("", 0, [])}


def ensure_cluster_object(helper: Any, spec: dict[str, Any]) -> str | None:
    """Go ``clienthelper.Ensure`` of the ``Cluster``: create it, or bring the fields of
    :data:`GO_SPEC_FIELDS` to ``spec`` (one Go leaves out is removed) when any differs, the status
    and the other spec fields kept. Returns ``"Create"``, ``"Update"`` or ``None``."""
    desired = {"apiVersion": CLUSTER_OBJECT[0], "kind": CLUSTER_OBJECT[1],
               "metadata": {"name": CLUSTER_OBJECT[2]}, "spec": spec}

    def merge(updated: dict[str, Any]) -> None:
        new_spec = updated.setdefault("spec", {})
        for key in GO_SPEC_FIELDS:
            if key in spec:
                new_spec[key] = copy.deepcopy(spec[key])
            else:
                new_spec.pop(key, None)

    return objects.ensure_merged(helper, desired, merge)
