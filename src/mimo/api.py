"""The documents MIMO reads and writes, with JSON round-trip and validation.

JSON field names follow the reference system (``clusterResourceID``,
``maintenanceTaskID``, ``runAfter``, ``infraId``, …). Secrets are held in
:class:`Secret`, whose ``repr`` and ``str`` never show the value; use
``to_dict(redact=True)`` for anything a human will read.
"""

from __future__ import annotations

import copy
import re
import uuid
from dataclasses import dataclass, field, fields, replace
from datetime import datetime, timezone
from typing import Any

__all__ = [
    "DocumentError",
    "Secret",
    "ClusterProfile",
    "NetworkProfile",
    "APIServerProfile",
    "MasterProfile",
    "RegistryProfile",
    "ServicePrincipalProfile",
    "ManagedServiceIdentity",
    "OpenShiftClusterProperties",
    "ARCHITECTURE_VERSION_V1",
    "ARCHITECTURE_VERSION_V2",
    "OpenShiftClusterDocument",
    "SubscriptionDocument",
    "ManifestState",
    "MaintenanceManifest",
    "MaintenanceSchedule",
    "Selector",
    "is_uuid",
    "normalize_resource_id",
    "FINAL_STATES",
    "MANIFEST_STATES",
    "SUBSCRIPTION_STATES",
]


class DocumentError(ValueError):
    """A document that does not validate; the message names the field."""


class Secret:
    """A string that never shows itself in ``repr``, ``str``, logs or f-strings."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if isinstance(value, Secret):
            value = value.reveal()
        if not isinstance(value, str):
            raise DocumentError("a secret must be a string")
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')" if self._value else "Secret('')"

    def __str__(self) -> str:
        return "***" if self._value else ""

    def __format__(self, spec: str) -> str:
        return str(self)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __bool__(self) -> bool:
        return bool(self._value)


_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_CLUSTER_ID = re.compile(
    r"^/subscriptions/(?P<sub>[0-9a-f-]{36})/resourcegroups/(?P<rg>[-\w._()]+)"
    r"/providers/microsoft\.redhatopenshift/openshiftclusters/(?P<name>[-\w._]+)$"
)


def is_uuid(value: object) -> bool:
    """A canonical (lower-case, hyphenated) UUID string."""
    return isinstance(value, str) and bool(_UUID.match(value))


def normalize_resource_id(value: object, *, name: str = "clusterResourceID") -> str:
    """Lower-case an OpenShift cluster resource ID, or raise naming ``name``."""
    if not isinstance(value, str):
        raise DocumentError(f"{name}: must be a string")
    low = value.strip().lower()
    m = _CLUSTER_ID.match(low)
    if not m or not is_uuid(m.group("sub")):
        raise DocumentError(
            f"{name}: {value!r} is not an OpenShift cluster resource ID "
            "(/subscriptions/<uuid>/resourceGroups/<rg>/providers/Microsoft.RedHatOpenShift/openShiftClusters/<name>)"
        )
    return low


def subscription_of(resource_id: str) -> str:
    return normalize_resource_id(resource_id).split("/")[2]


def _req_uuid(value: object, name: str) -> str:
    if not is_uuid(value):
        raise DocumentError(f"{name}: {value!r} is not a UUID")
    return str(value)


def _str(d: dict[str, Any], key: str, default: str = "", *, where: str) -> str:
    v = d.get(key, default)
    if v is None:
        return default
    if not isinstance(v, str):
        raise DocumentError(f"{where}{key}: must be a string, got {type(v).__name__}")
    return v


def _int(d: dict[str, Any], key: str, default: int, *, where: str) -> int:
    v = d.get(key, default)
    if v is None:
        return default
    if isinstance(v, bool) or not isinstance(v, int):
        raise DocumentError(f"{where}{key}: must be an integer, got {v!r}")
    return v


def _obj(d: dict[str, Any], key: str, *, where: str) -> dict[str, Any]:
    v = d.get(key) or {}
    if not isinstance(v, dict):
        raise DocumentError(f"{where}{key}: must be an object")
    return v


def _no_unknown(d: dict[str, Any], allowed: set[str], where: str) -> None:
    extra = sorted(set(d) - allowed)
    if extra:
        raise DocumentError(f"{where}{extra[0]}: unknown field")


def _extra(d: dict[str, Any], known: set[str] | frozenset[str]) -> dict[str, Any]:
    """The fields of ``d`` this project does not model, deep-copied, in their order.

    The Go ``pkg/api`` types keep such fields too (``api.MissingFields``, ``pkg/api/missingfields.go``),
    so a document read, patched and written back carries them unchanged.
    """
    return {k: copy.deepcopy(v) for k, v in d.items() if k not in known}


#: fields the Go ``pkg/api`` types hold as ``SecureBytes`` / ``SecureString`` (``pkg/api/openshiftcluster.go``);
#: blanked in ``to_dict(redact=True)`` even when this project does not model them
_SECRET_FIELDS = frozenset({
    "pullSecret", "boundServiceAccountSigningKey", "clientSecret", "sshKey", "adminKubeconfig",
    "aroServiceKubeconfig", "aroSREKubeconfig", "kubeadminPassword", "userAdminKubeconfig", "password",
})


def _redacted(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: ("***" if k in _SECRET_FIELDS and v2 else _redacted(v2)) for k, v2 in v.items()}
    if isinstance(v, list):
        return [_redacted(x) for x in v]
    return v


def _with_extra(d: dict[str, Any], extra: dict[str, Any], redact: bool) -> dict[str, Any]:
    for k, v in extra.items():
        if k not in d:
            d[k] = ("***" if k in _SECRET_FIELDS and v else _redacted(v)) if redact else copy.deepcopy(v)
    return d


def _extra_field() -> Any:
    return field(default_factory=dict, repr=False)


# -- cluster document ------------------------------------------------------------------------
#
# Field names and enum values are Go's ``pkg/api/openshiftcluster.go`` (the internal API the
# RP and MIMO store in Cosmos DB). Every model class keeps the fields it does not model in
# ``extra`` and writes them back unchanged.

#: ``api.ArchitectureVersionV1`` / ``V2`` (``iota``: 0 and 1; a document without the field is V1)
ARCHITECTURE_VERSION_V1 = 0
ARCHITECTURE_VERSION_V2 = 1


@dataclass
class ClusterProfile:
    domain: str = ""
    resource_group_id: str = ""
    version: str = ""
    extra: dict[str, Any] = _extra_field()

    _KNOWN = frozenset({"domain", "resourceGroupId", "version"})

    def to_dict(self, *, redact: bool = False) -> dict[str, Any]:
        d = {"domain": self.domain, "resourceGroupId": self.resource_group_id, "version": self.version}
        return _with_extra(d, self.extra, redact)

    @classmethod
    def from_dict(cls, d: dict[str, Any], where: str = "properties.clusterProfile.") -> ClusterProfile:
        return cls(
            domain=_str(d, "domain", where=where),
            resource_group_id=_str(d, "resourceGroupId", where=where),
            version=_str(d, "version", where=where),
            extra=_extra(d, cls._KNOWN),
        )


#: ``api.OutboundType`` values; "" is an unset field (Go's zero value)
OUTBOUND_TYPES = ("", "Loadbalancer", "UserDefinedRouting")
#: ``api.Visibility`` values; "" is an unset field
VISIBILITIES = ("", "Public", "Private")


@dataclass
class NetworkProfile:
    outbound_type: str = ""
    extra: dict[str, Any] = _extra_field()

    _KNOWN = frozenset({"outboundType"})

    def to_dict(self, *, redact: bool = False) -> dict[str, Any]:
        d: dict[str, Any] = {"outboundType": self.outbound_type} if self.outbound_type else {}
        return _with_extra(d, self.extra, redact)

    @classmethod
    def from_dict(cls, d: dict[str, Any], where: str = "properties.networkProfile.") -> NetworkProfile:
        v = _str(d, "outboundType", where=where)
        if v not in OUTBOUND_TYPES:
            raise DocumentError(f"{where}outboundType: {v!r} is not Loadbalancer or UserDefinedRouting")
        return cls(outbound_type=v, extra=_extra(d, cls._KNOWN))


@dataclass
class APIServerProfile:
    visibility: str = ""
    int_ip: str = ""
    extra: dict[str, Any] = _extra_field()

    _KNOWN = frozenset({"visibility", "intIp"})

    def to_dict(self, *, redact: bool = False) -> dict[str, Any]:
        d: dict[str, Any] = {}
        if self.visibility:
            d["visibility"] = self.visibility
        if self.int_ip:
            d["intIp"] = self.int_ip
        return _with_extra(d, self.extra, redact)

    @classmethod
    def from_dict(cls, d: dict[str, Any], where: str = "properties.apiserverProfile.") -> APIServerProfile:
        v = _str(d, "visibility", where=where)
        if v not in VISIBILITIES:
            raise DocumentError(f"{where}visibility: {v!r} is not Public or Private")
        return cls(visibility=v, int_ip=_str(d, "intIp", where=where), extra=_extra(d, cls._KNOWN))


@dataclass
class MasterProfile:
    subnet_id: str = ""
    vm_size: str = ""
    extra: dict[str, Any] = _extra_field()

    _KNOWN = frozenset({"subnetId", "vmSize"})

    def to_dict(self, *, redact: bool = False) -> dict[str, Any]:
        d: dict[str, Any] = {"subnetId": self.subnet_id}
        if self.vm_size:
            d["vmSize"] = self.vm_size
        return _with_extra(d, self.extra, redact)

    @classmethod
    def from_dict(cls, d: dict[str, Any], where: str = "properties.masterProfile.") -> MasterProfile:
        return cls(
            subnet_id=_str(d, "subnetId", where=where),
            vm_size=_str(d, "vmSize", where=where),
            extra=_extra(d, cls._KNOWN),
        )


@dataclass
class RegistryProfile:
    name: str
    username: str = ""
    password: Secret = field(default_factory=lambda: Secret(""))
    issue_date: datetime | None = None
    extra: dict[str, Any] = _extra_field()

    _KNOWN = frozenset({"name", "username", "password", "issueDate"})

    def __post_init__(self) -> None:
        if not isinstance(self.password, Secret):
            self.password = Secret(self.password)
        if self.issue_date is not None and self.issue_date.tzinfo is None:
            raise DocumentError(f"registryProfiles[{self.name}].issueDate: must carry a time zone")

    def to_dict(self, *, redact: bool = False) -> dict[str, Any]:
        d = {
            "name": self.name,
            "username": self.username,
            "password": str(self.password) if redact else self.password.reveal(),
            "issueDate": _fmt_time(self.issue_date) if self.issue_date else None,
        }
        return _with_extra(d, self.extra, redact)

    @classmethod
    def from_dict(cls, d: dict[str, Any], where: str) -> RegistryProfile:
        name = _str(d, "name", where=where)
        if not name:
            raise DocumentError(f"{where}name: must not be empty")
        issue = d.get("issueDate")
        return cls(
            name=name,
            username=_str(d, "username", where=where),
            password=Secret(_str(d, "password", where=where)),
            issue_date=_parse_time(issue, f"{where}issueDate") if issue else None,
            extra=_extra(d, cls._KNOWN),
        )


@dataclass
class ServicePrincipalProfile:
    client_id: str = ""
    client_secret: Secret = field(default_factory=lambda: Secret(""))
    extra: dict[str, Any] = _extra_field()

    _KNOWN = frozenset({"clientId", "clientSecret"})

    def __post_init__(self) -> None:
        if not isinstance(self.client_secret, Secret):
            self.client_secret = Secret(self.client_secret)

    def to_dict(self, *, redact: bool = False) -> dict[str, Any]:
        d = {
            "clientId": self.client_id,
            "clientSecret": str(self.client_secret) if redact else self.client_secret.reveal(),
        }
        return _with_extra(d, self.extra, redact)

    @classmethod
    def from_dict(cls, d: dict[str, Any], where: str = "properties.servicePrincipalProfile.") -> ServicePrincipalProfile:
        return cls(
            client_id=_str(d, "clientId", where=where),
            client_secret=Secret(_str(d, "clientSecret", where=where)),
            extra=_extra(d, cls._KNOWN),
        )


#: ``api.ProvisioningState`` values (``pkg/api/openshiftcluster.go``)
PROVISIONING_STATES = (
    "Creating", "Updating", "AdminUpdating", "Canceled", "Maintenance", "Deleting", "Failed", "Succeeded",
)


@dataclass
class OpenShiftClusterProperties:
    provisioning_state: str = "Succeeded"
    #: ``failedProvisioningState``: the state a ``Failed`` cluster failed in
    failed_provisioning_state: str = ""
    architecture_version: int = ARCHITECTURE_VERSION_V2
    infra_id: str = "aro"
    cluster_profile: ClusterProfile = field(default_factory=ClusterProfile)
    network_profile: NetworkProfile = field(default_factory=NetworkProfile)
    apiserver_profile: APIServerProfile = field(default_factory=APIServerProfile)
    master_profile: MasterProfile = field(default_factory=MasterProfile)
    operator_flags: dict[str, str] = field(default_factory=dict)
    operator_version: str = ""
    registry_profiles: list[RegistryProfile] = field(default_factory=list)
    service_principal_profile: ServicePrincipalProfile | None = None
    #: set (to the profile's JSON object) for workload-identity clusters
    platform_workload_identity_profile: dict[str, Any] | None = None
    #: ``zones``: the control plane's availability zones (written by ``MIGRATE_LB_ZONES``)
    zones: list[str] = field(default_factory=list)
    extra: dict[str, Any] = _extra_field()

    _KNOWN = frozenset({
        "provisioningState", "failedProvisioningState", "architectureVersion", "infraId", "clusterProfile",
        "networkProfile", "apiserverProfile", "masterProfile", "operatorFlags", "operatorVersion",
        "registryProfiles", "servicePrincipalProfile", "platformWorkloadIdentityProfile", "zones",
    })

    @property
    def uses_workload_identity(self) -> bool:
        """Go ``(*OpenShiftCluster).UsesWorkloadIdentity``: a workload identity profile and no service principal."""
        return self.platform_workload_identity_profile is not None and self.service_principal_profile is None

    @property
    def authentication_type(self) -> str:
        return "WorkloadIdentity" if self.uses_workload_identity else "ServicePrincipal"

    def to_dict(self, *, redact: bool = False) -> dict[str, Any]:
        d: dict[str, Any] = {
            "provisioningState": self.provisioning_state,
            "architectureVersion": self.architecture_version,
            "infraId": self.infra_id,
            "clusterProfile": self.cluster_profile.to_dict(redact=redact),
            "networkProfile": self.network_profile.to_dict(redact=redact),
            "apiserverProfile": self.apiserver_profile.to_dict(redact=redact),
            "masterProfile": self.master_profile.to_dict(redact=redact),
            "operatorFlags": dict(self.operator_flags),
            "operatorVersion": self.operator_version,
            "registryProfiles": [r.to_dict(redact=redact) for r in self.registry_profiles],
        }
        if self.failed_provisioning_state:
            d["failedProvisioningState"] = self.failed_provisioning_state
        if self.service_principal_profile is not None:
            d["servicePrincipalProfile"] = self.service_principal_profile.to_dict(redact=redact)
        if self.platform_workload_identity_profile is not None:
            d["platformWorkloadIdentityProfile"] = copy.deepcopy(self.platform_workload_identity_profile)
        if self.zones:
            d["zones"] = list(self.zones)
        return _with_extra(d, self.extra, redact)

    @classmethod
    def from_dict(cls, d: dict[str, Any], where: str = "properties.") -> OpenShiftClusterProperties:
        if not isinstance(d, dict):
            raise DocumentError(f"{where.rstrip('.')}: must be an object")
        state = _str(d, "provisioningState", "Succeeded", where=where) or "Succeeded"
        if state not in PROVISIONING_STATES:
            raise DocumentError(f"{where}provisioningState: {state!r} is not one of {', '.join(PROVISIONING_STATES)}")
        failed = _str(d, "failedProvisioningState", where=where)
        if failed and failed not in PROVISIONING_STATES:
            raise DocumentError(
                f"{where}failedProvisioningState: {failed!r} is not one of {', '.join(PROVISIONING_STATES)}"
            )
        arch = _int(d, "architectureVersion", ARCHITECTURE_VERSION_V1, where=where)
        flags = d.get("operatorFlags") or {}
        if not isinstance(flags, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in flags.items()):
            raise DocumentError(f"{where}operatorFlags: must map strings to strings")
        regs = d.get("registryProfiles") or []
        if not isinstance(regs, list):
            raise DocumentError(f"{where}registryProfiles: must be a list")
        for i, r in enumerate(regs):
            if not isinstance(r, dict):
                raise DocumentError(f"{where}registryProfiles[{i}]: must be an object")
        sp = d.get("servicePrincipalProfile")
        if sp is not None and not isinstance(sp, dict):
            raise DocumentError(f"{where}servicePrincipalProfile: must be an object")
        wi = d.get("platformWorkloadIdentityProfile")
        if wi is not None and not isinstance(wi, dict):
            raise DocumentError(f"{where}platformWorkloadIdentityProfile: must be an object")
        zones = d.get("zones") or []
        if not isinstance(zones, list) or not all(isinstance(z, str) for z in zones):
            raise DocumentError(f"{where}zones: must be a list of strings")
        return cls(
            provisioning_state=state,
            failed_provisioning_state=failed,
            architecture_version=arch,
            infra_id=_str(d, "infraId", "aro", where=where) or "aro",
            cluster_profile=ClusterProfile.from_dict(_obj(d, "clusterProfile", where=where), f"{where}clusterProfile."),
            network_profile=NetworkProfile.from_dict(_obj(d, "networkProfile", where=where), f"{where}networkProfile."),
            apiserver_profile=APIServerProfile.from_dict(
                _obj(d, "apiserverProfile", where=where), f"{where}apiserverProfile."
            ),
            master_profile=MasterProfile.from_dict(_obj(d, "masterProfile", where=where), f"{where}masterProfile."),
            operator_flags=dict(flags),
            operator_version=_str(d, "operatorVersion", where=where),
            registry_profiles=[
                RegistryProfile.from_dict(r, f"{where}registryProfiles[{i}].") for i, r in enumerate(regs)
            ],
            service_principal_profile=(
                ServicePrincipalProfile.from_dict(sp, f"{where}servicePrincipalProfile.") if sp is not None else None
            ),
            platform_workload_identity_profile=copy.deepcopy(wi) if wi is not None else None,
            zones=list(zones),
            extra=_extra(d, cls._KNOWN),
        )


@dataclass
class ManagedServiceIdentity:
    """``openShiftCluster.managedServiceIdentity`` (Go ``api.ManagedServiceIdentity``)."""

    type: str = ""
    #: resource ID → ``{"clientId": …, "principalId": …}``
    user_assigned_identities: dict[str, dict[str, Any]] = field(default_factory=dict)
    identity_url: str = ""
    tenant_id: str = ""
    extra: dict[str, Any] = _extra_field()

    _KNOWN = frozenset({"type", "userAssignedIdentities", "identityURL", "tenantId"})

    def to_dict(self, *, redact: bool = False) -> dict[str, Any]:
        d: dict[str, Any] = {}
        if self.type:
            d["type"] = self.type
        if self.user_assigned_identities:
            d["userAssignedIdentities"] = copy.deepcopy(self.user_assigned_identities)
        if self.identity_url:
            d["identityURL"] = self.identity_url
        if self.tenant_id:
            d["tenantId"] = self.tenant_id
        return _with_extra(d, self.extra, redact)

    @classmethod
    def from_dict(cls, d: dict[str, Any], where: str = "openShiftCluster.managedServiceIdentity.") -> ManagedServiceIdentity:
        ua = d.get("userAssignedIdentities") or {}
        if not isinstance(ua, dict) or not all(isinstance(v, dict) for v in ua.values()):
            raise DocumentError(f"{where}userAssignedIdentities: must map resource IDs to objects")
        return cls(
            type=_str(d, "type", where=where),
            user_assigned_identities=copy.deepcopy(ua),
            identity_url=_str(d, "identityURL", where=where),
            tenant_id=_str(d, "tenantId", where=where),
            extra=_extra(d, cls._KNOWN),
        )


@dataclass
class OpenShiftClusterDocument:
    """A cluster: its document ID, resource ID (always lower-cased) and properties.

    ``key`` is the lower-cased resource ID, as in Go; ``openShiftCluster.id`` and ``name``
    keep the casing they were read with (``display_id``).
    """

    id: str
    resource_id: str
    properties: OpenShiftClusterProperties = field(default_factory=OpenShiftClusterProperties)
    location: str = "eastus"
    identity: ManagedServiceIdentity | None = None
    #: ``openShiftCluster.id`` as read (its casing); "" writes the lower-cased resource ID
    display_id: str = field(default="", repr=False, compare=False)
    #: top-level document fields not modelled (``_rid``, ``_etag``, ``partitionKey``, ``bucket``, …)
    extra: dict[str, Any] = _extra_field()
    #: ``openShiftCluster`` fields not modelled (``systemData``, ``tags``, …)
    cluster_extra: dict[str, Any] = _extra_field()

    _KNOWN = frozenset({"id", "key", "openShiftCluster"})
    _KNOWN_CLUSTER = frozenset({"id", "name", "type", "location", "properties", "managedServiceIdentity"})

    def __post_init__(self) -> None:
        _req_uuid(self.id, "id")
        self.resource_id = normalize_resource_id(self.resource_id, name="resourceID")
        if self.display_id and self.display_id.lower() != self.resource_id:
            self.display_id = ""

    @property
    def name(self) -> str:
        return (self.display_id or self.resource_id).rsplit("/", 1)[1]

    @property
    def subscription_id(self) -> str:
        return self.resource_id.split("/")[2]

    def to_dict(self, *, redact: bool = False) -> dict[str, Any]:
        oc: dict[str, Any] = {
            "id": self.display_id or self.resource_id,
            "name": self.name,
            "type": "Microsoft.RedHatOpenShift/openShiftClusters",
            "location": self.location,
            "properties": self.properties.to_dict(redact=redact),
        }
        if self.identity is not None:
            oc["managedServiceIdentity"] = self.identity.to_dict(redact=redact)
        d = {"id": self.id, "key": self.resource_id, "openShiftCluster": _with_extra(oc, self.cluster_extra, redact)}
        return _with_extra(d, self.extra, redact)

    @classmethod
    def from_dict(cls, d: Any) -> OpenShiftClusterDocument:
        if not isinstance(d, dict):
            raise DocumentError("cluster document: must be a JSON object")
        oc = d.get("openShiftCluster")
        if oc is None:
            raise DocumentError("openShiftCluster: missing")
        if not isinstance(oc, dict):
            raise DocumentError("openShiftCluster: must be an object")
        rid = oc.get("id") or d.get("key")
        if not rid:
            raise DocumentError("openShiftCluster.id: missing")
        if "properties" in oc and not isinstance(oc["properties"], dict):
            raise DocumentError("openShiftCluster.properties: must be an object")
        msi = oc.get("managedServiceIdentity")
        if msi is not None and not isinstance(msi, dict):
            raise DocumentError("openShiftCluster.managedServiceIdentity: must be an object")
        resource_id = normalize_resource_id(rid, name="openShiftCluster.id")
        key = d.get("key")
        if key is not None and (not isinstance(key, str) or key != resource_id):
            # Go's frontend writes key = strings.ToLower(resource ID): any other key is a
            # document that the resource-ID index would file under another cluster
            raise DocumentError(f"key: must be the lower-cased openShiftCluster.id {resource_id!r}, got {key!r}")
        return cls(
            id=_req_uuid(d.get("id"), "id"),
            resource_id=resource_id,
            properties=OpenShiftClusterProperties.from_dict(
                _obj(oc, "properties", where="openShiftCluster."), "openShiftCluster.properties."
            ),
            location=_str(oc, "location", "eastus", where="openShiftCluster."),
            identity=ManagedServiceIdentity.from_dict(msi) if msi is not None else None,
            display_id=rid.strip() if isinstance(rid, str) else "",
            extra=_extra(d, cls._KNOWN),
            cluster_extra=_extra(oc, cls._KNOWN_CLUSTER),
        )

    def copy(self) -> OpenShiftClusterDocument:
        return OpenShiftClusterDocument.from_dict(self.to_dict())


# -- subscription ----------------------------------------------------------------------------

SUBSCRIPTION_STATES = ("Registered", "Warned", "Suspended", "Deleted", "Unregistered")


@dataclass
class SubscriptionDocument:
    """Go ``api.SubscriptionDocument``: ``{"id", "subscription": {"state", "properties": {"tenantId", …}}}``."""

    id: str
    state: str = "Registered"
    tenant_id: str = "00000000-0000-0000-0000-000000000000"
    extra: dict[str, Any] = _extra_field()
    subscription_extra: dict[str, Any] = _extra_field()
    properties_extra: dict[str, Any] = _extra_field()

    def __post_init__(self) -> None:
        _req_uuid(self.id, "id")
        if self.state not in SUBSCRIPTION_STATES:
            raise DocumentError(f"subscription.state: {self.state!r} is not one of {', '.join(SUBSCRIPTION_STATES)}")
        _req_uuid(self.tenant_id, "subscription.properties.tenantId")

    def to_dict(self) -> dict[str, Any]:
        props = _with_extra({"tenantId": self.tenant_id}, self.properties_extra, False)
        sub = _with_extra({"state": self.state, "properties": props}, self.subscription_extra, False)
        return _with_extra({"id": self.id, "subscription": sub}, self.extra, False)

    @classmethod
    def from_dict(cls, d: Any) -> SubscriptionDocument:
        if not isinstance(d, dict):
            raise DocumentError("subscription document: must be a JSON object")
        sub = _obj(d, "subscription", where="")
        props = _obj(sub, "properties", where="subscription.")
        return cls(
            id=str(d.get("id")),
            state=_str(sub, "state", "Registered", where="subscription."),
            tenant_id=_str(props, "tenantId", "00000000-0000-0000-0000-000000000000", where="subscription.properties."),
            extra=_extra(d, {"id", "subscription"}),
            subscription_extra=_extra(sub, {"state", "properties"}),
            properties_extra=_extra(props, {"tenantId"}),
        )


# -- manifests --------------------------------------------------------------------------------


class ManifestState:
    PENDING = "Pending"
    IN_PROGRESS = "InProgress"
    COMPLETED = "Completed"
    FAILED = "Failed"
    RETRIES_EXCEEDED = "RetriesExceeded"
    TIMED_OUT = "TimedOut"
    CANCELLED = "Cancelled"


MANIFEST_STATES = (
    ManifestState.PENDING,
    ManifestState.IN_PROGRESS,
    ManifestState.COMPLETED,
    ManifestState.FAILED,
    ManifestState.RETRIES_EXCEEDED,
    ManifestState.TIMED_OUT,
    ManifestState.CANCELLED,
)
FINAL_STATES = frozenset(MANIFEST_STATES[2:])

SEVEN_DAYS = 7 * 24 * 3600


@dataclass
class MaintenanceManifest:
    """A work order: run task ``maintenance_task_id`` on ``cluster_resource_id``."""

    cluster_resource_id: str
    maintenance_task_id: str
    run_after: int
    run_before: int
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    state: str = ManifestState.PENDING
    status_text: str = ""
    priority: int = 0
    created_by_schedule: str = ""
    dequeues: int = 0
    lease_owner: str = ""
    lease_expires: int = 0

    def __post_init__(self) -> None:
        self.validate()

    @classmethod
    def new(
        cls,
        cluster_resource_id: str,
        maintenance_task_id: str,
        *,
        now: int,
        run_after: int | None = None,
        run_before: int | None = None,
        priority: int = 0,
        created_by_schedule: str = "",
        id: str | None = None,
    ) -> MaintenanceManifest:
        """A ``Pending`` manifest with the reference defaults: run after now, before now + 7 days.

        As Go's admin endpoint does (``pkg/frontend/admin_mimo_manifest_create.go``,
        ``_putAdminMaintManifestCreate``): ``runBefore`` defaults to now + 7 days whatever
        ``runAfter`` is.
        """
        ra = now if run_after is None else run_after
        rb = now + SEVEN_DAYS if run_before is None else run_before
        kw: dict[str, Any] = {}
        if id is not None:
            kw["id"] = id
        return cls(
            cluster_resource_id=cluster_resource_id,
            maintenance_task_id=maintenance_task_id,
            run_after=ra,
            run_before=rb,
            priority=priority,
            created_by_schedule=created_by_schedule,
            **kw,
        )

    @property
    def is_final(self) -> bool:
        return self.state in FINAL_STATES

    def validate(self) -> None:
        _req_uuid(self.id, "id")
        self.cluster_resource_id = normalize_resource_id(self.cluster_resource_id)
        _req_uuid(self.maintenance_task_id, "maintenanceTaskID")
        if self.state not in MANIFEST_STATES:
            raise DocumentError(f"state: {self.state!r} is not one of {', '.join(MANIFEST_STATES)}")
        for name in ("run_after", "run_before", "priority", "dequeues", "lease_expires"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int):
                raise DocumentError(f"{_JSON_NAMES[name]}: must be an integer, got {v!r}")
        if self.run_after < 0:
            raise DocumentError("runAfter: must not be negative")
        if self.run_before < self.run_after:
            raise DocumentError(f"runBefore: {self.run_before} is before runAfter {self.run_after}")
        if self.created_by_schedule:
            _req_uuid(self.created_by_schedule, "createdBySchedule")

    def to_dict(self) -> dict[str, Any]:
        return {_JSON_NAMES[f.name]: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, d: Any) -> MaintenanceManifest:
        if not isinstance(d, dict):
            raise DocumentError("manifest: must be a JSON object")
        inverse = {v: k for k, v in _JSON_NAMES.items()}
        d = _flatten_document(d, "maintenanceManifest")
        _no_unknown(d, set(inverse), "")
        for required in ("clusterResourceID", "maintenanceTaskID", "runAfter", "runBefore"):
            if required not in d:
                raise DocumentError(f"{required}: missing")
        return cls(**{inverse[k]: v for k, v in d.items() if v is not None})

    def evolve(self, **changes: Any) -> MaintenanceManifest:
        return replace(self, **changes)


_JSON_NAMES = {
    "id": "id",
    "cluster_resource_id": "clusterResourceID",
    "maintenance_task_id": "maintenanceTaskID",
    "state": "state",
    "status_text": "statusText",
    "priority": "priority",
    "run_after": "runAfter",
    "run_before": "runBefore",
    "created_by_schedule": "createdBySchedule",
    "dequeues": "dequeues",
    "lease_owner": "leaseOwner",
    "lease_expires": "leaseExpires",
}


#: Cosmos DB's system fields on every Go document (``_rid``, ``_ts``, …) and the ``ttl`` the Go
#: ``MaintenanceManifestDocument`` / ``MaintenanceScheduleDocument`` carry (``pkg/api/mimodocument.go``)
_COSMOS_FIELDS = frozenset({"_rid", "_ts", "_self", "_etag", "_attachments", "_lsn", "_metadata", "ttl"})


def _flatten_document(d: dict[str, Any], inner: str) -> dict[str, Any]:
    """Read Go's stored shape (``{"id", …, "maintenanceManifest": {…}}``) as the admin API's flat one.

    The Go document nests the manifest's own fields under ``maintenanceManifest`` (or the
    schedule's under ``maintenanceSchedule``) beside the store fields; the admin API
    (``pkg/api/admin/mimo.go``) and this project's stores use one flat object. Cosmos system
    fields are dropped: this project's stores keep their own.
    """
    if inner not in d:
        return d
    body = d[inner]
    if not isinstance(body, dict):
        raise DocumentError(f"{inner}: must be an object")
    flat = {k: v for k, v in d.items() if k != inner and k not in _COSMOS_FIELDS}
    for k, v in body.items():
        if k in flat:
            raise DocumentError(f"{inner}.{k}: also given outside {inner}")
        flat[k] = v
    return flat


# -- schedules -------------------------------------------------------------------------------


@dataclass
class Selector:
    key: str
    operator: str
    value: str | None = None
    values: list[str] | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"key": self.key, "operator": self.operator}
        if self.value is not None:
            d["value"] = self.value
        if self.values is not None:
            d["values"] = list(self.values)
        return d

    @classmethod
    def from_dict(cls, d: Any, where: str = "selectors[0].") -> Selector:
        if not isinstance(d, dict):
            raise DocumentError(f"{where.rstrip('.')}: must be an object")
        _no_unknown(d, {"key", "operator", "value", "values"}, where)
        vals = d.get("values")
        if vals is not None and (not isinstance(vals, list) or not all(isinstance(v, str) for v in vals)):
            raise DocumentError(f"{where}values: must be a list of strings")
        val = d.get("value")
        if val is not None and not isinstance(val, str):
            raise DocumentError(f"{where}value: must be a string")
        return cls(key=_str(d, "key", where=where), operator=_str(d, "operator", where=where), value=val, values=vals)


@dataclass
class MaintenanceSchedule:
    """A recurring rule; calendar and selectors are checked by :mod:`mimo.scheduler`."""

    maintenance_task_id: str
    schedule: str
    selectors: list[Selector]
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    state: str = "Enabled"
    look_forward_count: int = 1
    schedule_across: str = "0s"

    def __post_init__(self) -> None:
        self.selectors = [s if isinstance(s, Selector) else Selector.from_dict(s, f"selectors[{i}].")
                          for i, s in enumerate(self.selectors)]
        self.validate()

    def validate(self) -> None:
        _req_uuid(self.id, "id")
        _req_uuid(self.maintenance_task_id, "maintenanceTaskID")
        if self.state not in ("Enabled", "Disabled"):
            raise DocumentError(f"state: {self.state!r} is not Enabled or Disabled")
        if isinstance(self.look_forward_count, bool) or not isinstance(self.look_forward_count, int) or self.look_forward_count < 1:
            raise DocumentError(f"lookForwardCount: must be an integer >= 1, got {self.look_forward_count!r}")
        from mimo.durations import parse_duration

        try:
            across = parse_duration(self.schedule_across)
        except ValueError as e:
            raise DocumentError(f"scheduleAcross: {e}") from None
        if across.total_seconds() < 0:
            raise DocumentError("scheduleAcross: must not be negative")
        if not isinstance(self.schedule, str) or not self.schedule.strip():
            raise DocumentError("schedule: must be a calendar expression")

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "state": self.state,
            "maintenanceTaskID": self.maintenance_task_id,
            "schedule": self.schedule,
            "lookForwardCount": self.look_forward_count,
            "scheduleAcross": self.schedule_across,
            "selectors": [s.to_dict() for s in self.selectors],
        }

    @classmethod
    def from_dict(cls, d: Any) -> MaintenanceSchedule:
        if not isinstance(d, dict):
            raise DocumentError("schedule: must be a JSON object")
        d = _flatten_document(d, "maintenanceSchedule")
        _no_unknown(d, {"id", "state", "maintenanceTaskID", "schedule", "lookForwardCount", "scheduleAcross", "selectors"}, "")
        for required in ("maintenanceTaskID", "schedule", "selectors"):
            if required not in d:
                raise DocumentError(f"{required}: missing")
        sels = d["selectors"]
        if not isinstance(sels, list):
            raise DocumentError("selectors: must be a list")
        kw: dict[str, Any] = {}
        if "id" in d:
            kw["id"] = d["id"]
        return cls(
            maintenance_task_id=d["maintenanceTaskID"],
            schedule=d["schedule"],
            selectors=[Selector.from_dict(s, f"selectors[{i}].") for i, s in enumerate(sels)],
            state=d.get("state", "Enabled"),
            look_forward_count=d.get("lookForwardCount", 1),
            schedule_across=d.get("scheduleAcross", "0s"),
            **kw,
        )


# -- time helpers -----------------------------------------------------------------------------


def _fmt_time(t: datetime) -> str:
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_time(v: Any, name: str) -> datetime:
    if not isinstance(v, str):
        raise DocumentError(f"{name}: must be an RFC 3339 time string")
    try:
        t = datetime.fromisoformat(v.replace("Z", "+00:00"))
    except ValueError:
        raise DocumentError(f"{name}: {v!r} is not an RFC 3339 time") from None
    if t.tzinfo is None:
        raise DocumentError(f"{name}: {v!r} has no time zone")
    return t
