"""The documents MIMO reads and writes, with JSON round-trip and validation.

JSON field names follow the reference system (``clusterResourceID``,
``maintenanceTaskID``, ``runAfter``, ``infraId``, …). Secrets are held in
:class:`Secret`, whose ``repr`` and ``str`` never show the value; use
``to_dict(redact=True)`` for anything a human will read.
"""

from __future__ import annotations

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
    "OpenShiftClusterProperties",
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


# -- cluster document ------------------------------------------------------------------------


@dataclass
class ClusterProfile:
    domain: str = ""
    resource_group_id: str = ""
    version: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"domain": self.domain, "resourceGroupId": self.resource_group_id, "version": self.version}

    @classmethod
    def from_dict(cls, d: dict[str, Any], where: str = "properties.clusterProfile.") -> ClusterProfile:
        _no_unknown(d, {"domain", "resourceGroupId", "version"}, where)
        return cls(
            domain=_str(d, "domain", where=where),
            resource_group_id=_str(d, "resourceGroupId", where=where),
            version=_str(d, "version", where=where),
        )


@dataclass
class NetworkProfile:
    outbound_type: str = "Loadbalancer"

    def to_dict(self) -> dict[str, Any]:
        return {"outboundType": self.outbound_type}

    @classmethod
    def from_dict(cls, d: dict[str, Any], where: str = "properties.networkProfile.") -> NetworkProfile:
        _no_unknown(d, {"outboundType"}, where)
        v = _str(d, "outboundType", "Loadbalancer", where=where)
        if v not in ("Loadbalancer", "UserDefinedRouting"):
            raise DocumentError(f"{where}outboundType: {v!r} is not Loadbalancer or UserDefinedRouting")
        return cls(outbound_type=v)


@dataclass
class APIServerProfile:
    visibility: str = "Public"

    def to_dict(self) -> dict[str, Any]:
        return {"visibility": self.visibility}

    @classmethod
    def from_dict(cls, d: dict[str, Any], where: str = "properties.apiserverProfile.") -> APIServerProfile:
        _no_unknown(d, {"visibility"}, where)
        v = _str(d, "visibility", "Public", where=where)
        if v not in ("Public", "Private"):
            raise DocumentError(f"{where}visibility: {v!r} is not Public or Private")
        return cls(visibility=v)


@dataclass
class MasterProfile:
    subnet_id: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"subnetId": self.subnet_id}

    @classmethod
    def from_dict(cls, d: dict[str, Any], where: str = "properties.masterProfile.") -> MasterProfile:
        _no_unknown(d, {"subnetId"}, where)
        return cls(subnet_id=_str(d, "subnetId", where=where))


@dataclass
class RegistryProfile:
    name: str
    username: str = ""
    password: Secret = field(default_factory=lambda: Secret(""))
    issue_date: datetime | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.password, Secret):
            self.password = Secret(self.password)
        if self.issue_date is not None and self.issue_date.tzinfo is None:
            raise DocumentError(f"registryProfiles[{self.name}].issueDate: must carry a time zone")

    def to_dict(self, *, redact: bool = False) -> dict[str, Any]:
        return {
            "name": self.name,
            "username": self.username,
            "password": str(self.password) if redact else self.password.reveal(),
            "issueDate": _fmt_time(self.issue_date) if self.issue_date else None,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any], where: str) -> RegistryProfile:
        _no_unknown(d, {"name", "username", "password", "issueDate"}, where)
        name = _str(d, "name", where=where)
        if not name:
            raise DocumentError(f"{where}name: must not be empty")
        issue = d.get("issueDate")
        return cls(
            name=name,
            username=_str(d, "username", where=where),
            password=Secret(_str(d, "password", where=where)),
            issue_date=_parse_time(issue, f"{where}issueDate") if issue else None,
        )


@dataclass
class ServicePrincipalProfile:
    client_id: str = ""
    client_secret: Secret = field(default_factory=lambda: Secret(""))

    def __post_init__(self) -> None:
        if not isinstance(self.client_secret, Secret):
            self.client_secret = Secret(self.client_secret)

    def to_dict(self, *, redact: bool = False) -> dict[str, Any]:
        return {
            "clientId": self.client_id,
            "clientSecret": str(self.client_secret) if redact else self.client_secret.reveal(),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any], where: str = "properties.servicePrincipalProfile.") -> ServicePrincipalProfile:
        _no_unknown(d, {"clientId", "clientSecret"}, where)
        return cls(client_id=_str(d, "clientId", where=where), client_secret=Secret(_str(d, "clientSecret", where=where)))


PROVISIONING_STATES = ("Creating", "Updating", "AdminUpdating", "Canceled", "Deleting", "Failed", "Succeeded")


@dataclass
class OpenShiftClusterProperties:
    provisioning_state: str = "Succeeded"
    arch_version: int = 2
    infra_id: str = "aro"
    cluster_profile: ClusterProfile = field(default_factory=ClusterProfile)
    network_profile: NetworkProfile = field(default_factory=NetworkProfile)
    apiserver_profile: APIServerProfile = field(default_factory=APIServerProfile)
    master_profile: MasterProfile = field(default_factory=MasterProfile)
    operator_flags: dict[str, str] = field(default_factory=dict)
    operator_version: str = ""
    registry_profiles: list[RegistryProfile] = field(default_factory=list)
    service_principal_profile: ServicePrincipalProfile | None = None
    #: set (to the identities' map) for workload-identity clusters
    platform_workload_identity_profile: dict[str, Any] | None = None

    @property
    def authentication_type(self) -> str:
        return "WorkloadIdentity" if self.platform_workload_identity_profile is not None else "ServicePrincipal"

    def to_dict(self, *, redact: bool = False) -> dict[str, Any]:
        d: dict[str, Any] = {
            "provisioningState": self.provisioning_state,
            "archVersion": self.arch_version,
            "infraId": self.infra_id,
            "clusterProfile": self.cluster_profile.to_dict(),
            "networkProfile": self.network_profile.to_dict(),
            "apiserverProfile": self.apiserver_profile.to_dict(),
            "masterProfile": self.master_profile.to_dict(),
            "operatorFlags": dict(self.operator_flags),
            "operatorVersion": self.operator_version,
            "registryProfiles": [r.to_dict(redact=redact) for r in self.registry_profiles],
        }
        if self.service_principal_profile is not None:
            d["servicePrincipalProfile"] = self.service_principal_profile.to_dict(redact=redact)
        if self.platform_workload_identity_profile is not None:
            d["platformWorkloadIdentityProfile"] = dict(self.platform_workload_identity_profile)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any], where: str = "properties.") -> OpenShiftClusterProperties:
        if not isinstance(d, dict):
            raise DocumentError(f"{where.rstrip('.')}: must be an object")
        _no_unknown(
            d,
            {
                "provisioningState", "archVersion", "infraId", "clusterProfile", "networkProfile",
                "apiserverProfile", "masterProfile", "operatorFlags", "operatorVersion",
                "registryProfiles", "servicePrincipalProfile", "platformWorkloadIdentityProfile",
            },
            where,
        )
        state = _str(d, "provisioningState", "Succeeded", where=where)
        if state not in PROVISIONING_STATES:
            raise DocumentError(f"{where}provisioningState: {state!r} is not one of {', '.join(PROVISIONING_STATES)}")
        flags = d.get("operatorFlags") or {}
        if not isinstance(flags, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in flags.items()):
            raise DocumentError(f"{where}operatorFlags: must map strings to strings")
        regs = d.get("registryProfiles") or []
        if not isinstance(regs, list):
            raise DocumentError(f"{where}registryProfiles: must be a list")
        sp = d.get("servicePrincipalProfile")
        wi = d.get("platformWorkloadIdentityProfile")
        if wi is not None and not isinstance(wi, dict):
            raise DocumentError(f"{where}platformWorkloadIdentityProfile: must be an object")
        return cls(
            provisioning_state=state,
            arch_version=_int(d, "archVersion", 2, where=where),
            infra_id=_str(d, "infraId", "aro", where=where) or "aro",
            cluster_profile=ClusterProfile.from_dict(_obj(d, "clusterProfile", where=where)),
            network_profile=NetworkProfile.from_dict(_obj(d, "networkProfile", where=where)),
            apiserver_profile=APIServerProfile.from_dict(_obj(d, "apiserverProfile", where=where)),
            master_profile=MasterProfile.from_dict(_obj(d, "masterProfile", where=where)),
            operator_flags=dict(flags),
            operator_version=_str(d, "operatorVersion", where=where),
            registry_profiles=[
                RegistryProfile.from_dict(r if isinstance(r, dict) else {}, f"{where}registryProfiles[{i}].")
                for i, r in enumerate(regs)
            ],
            service_principal_profile=ServicePrincipalProfile.from_dict(sp) if isinstance(sp, dict) else None,
            platform_workload_identity_profile=dict(wi) if wi is not None else None,
        )


@dataclass
class OpenShiftClusterDocument:
    """A cluster: its document ID, resource ID (always lower-cased) and properties."""

    id: str
    resource_id: str
    properties: OpenShiftClusterProperties = field(default_factory=OpenShiftClusterProperties)
    location: str = "eastus"

    def __post_init__(self) -> None:
        _req_uuid(self.id, "id")
        self.resource_id = normalize_resource_id(self.resource_id, name="resourceID")

    @property
    def name(self) -> str:
        return self.resource_id.rsplit("/", 1)[1]

    @property
    def subscription_id(self) -> str:
        return self.resource_id.split("/")[2]

    def to_dict(self, *, redact: bool = False) -> dict[str, Any]:
        return {
            "id": self.id,
            "key": self.resource_id,
            "openShiftCluster": {
                "id": self.resource_id,
                "name": self.name,
                "type": "Microsoft.RedHatOpenShift/openShiftClusters",
                "location": self.location,
                "properties": self.properties.to_dict(redact=redact),
            },
        }

    @classmethod
    def from_dict(cls, d: Any) -> OpenShiftClusterDocument:
        if not isinstance(d, dict):
            raise DocumentError("cluster document: must be a JSON object")
        _no_unknown(d, {"id", "key", "openShiftCluster"}, "")
        oc = _obj(d, "openShiftCluster", where="")
        _no_unknown(oc, {"id", "name", "type", "location", "properties"}, "openShiftCluster.")
        rid = oc.get("id") or d.get("key")
        if not rid:
            raise DocumentError("openShiftCluster.id: missing")
        return cls(
            id=_req_uuid(d.get("id"), "id"),
            resource_id=normalize_resource_id(rid, name="openShiftCluster.id"),
            properties=OpenShiftClusterProperties.from_dict(
                _obj(oc, "properties", where="openShiftCluster."), "openShiftCluster.properties."
            ),
            location=_str(oc, "location", "eastus", where="openShiftCluster."),
        )

    def copy(self) -> OpenShiftClusterDocument:
        return OpenShiftClusterDocument.from_dict(self.to_dict())


# -- subscription ----------------------------------------------------------------------------

SUBSCRIPTION_STATES = ("Registered", "Warned", "Suspended", "Deleted", "Unregistered")


@dataclass
class SubscriptionDocument:
    id: str
    state: str = "Registered"
    tenant_id: str = "00000000-0000-0000-0000-000000000000"

    def __post_init__(self) -> None:
        _req_uuid(self.id, "id")
        if self.state not in SUBSCRIPTION_STATES:
            raise DocumentError(f"state: {self.state!r} is not one of {', '.join(SUBSCRIPTION_STATES)}")
        _req_uuid(self.tenant_id, "tenantId")

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "subscription": {"state": self.state, "properties": {"tenantId": self.tenant_id}}}

    @classmethod
    def from_dict(cls, d: Any) -> SubscriptionDocument:
        if not isinstance(d, dict):
            raise DocumentError("subscription document: must be a JSON object")
        _no_unknown(d, {"id", "subscription"}, "")
        sub = _obj(d, "subscription", where="")
        props = _obj(sub, "properties", where="subscription.")
        return cls(
            id=str(d.get("id")),
            state=_str(sub, "state", "Registered", where="subscription."),
            tenant_id=_str(props, "tenantId", "00000000-0000-0000-0000-000000000000", where="subscription.properties."),
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
        """A ``Pending`` manifest with the reference defaults: run after now, before now + 7 days."""
        ra = now if run_after is None else run_after
        rb = ra + SEVEN_DAYS if run_before is None else run_before
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
