"""``mimo.Environment``: what a task knows of the region it runs in.

Loaded from a TOML file, from ``MIMO_*`` environment variables, or both
(variables win). Every validation error names the field.

TOML layout::

    region = "eastus"
    acr_domain = "arointsvc.azurecr.io"
    acr_resource_id = "/subscriptions/…/resourceGroups/…/providers/Microsoft.ContainerRegistry/registries/arointsvc"
    cluster_keyvault_uri = "https://eastus-cls.vault.azure.net/"
    cluster_msi_keyvault_uri = "https://eastus-msi.vault.azure.net/"
    msi_rp_endpoint = "https://…"    # the MSI data plane's audience (Go MSI_RP_ENDPOINT); none by default
    domain_suffix = "eastus.aroapp.io"
    features = ["DisableSignedCertificates"]
    cloud = "AzureCloud"           # or a table [cloud] with the endpoint fields
    # the RP-side values the operator's Cluster object carries (Go deploy.clusterObject); none by default
    rp_subscription_id = "…"       # Go env.SubscriptionID(): the RP's own subscription (instance metadata)
    rp_resource_group = "…"        # Go env.ResourceGroup(): the RP's resource group (instance metadata)
    gateway_resource_group = "…"   # Go GATEWAY_RESOURCEGROUP
    gateway_domains = ["…"]        # Go GATEWAY_DOMAINS (comma list in MIMO_GATEWAY_DOMAINS)
    rp_parent_domain_name = "…"    # Go RP_PARENT_DOMAIN_NAME
    environment_type = "…"         # Go ENVIRONMENT (the aro.environment operator flag)
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from mimo import inputs

__all__ = ["AzureCloud", "Environment", "EnvironmentError_", "CLOUDS"]


class EnvironmentError_(inputs.InputError):  # noqa: N801 - keeps clear of the builtin EnvironmentError
    """An environment that does not validate; the message names the field."""


@dataclass(frozen=True)
class AzureCloud:
    """The endpoints of one Azure cloud."""

    name: str
    authority_host: str
    resource_manager: str
    credential_scope: str
    keyvault_dns_suffix: str
    #: Go ``Environment().Name`` (go-autorest ``azure.Environment.Name``), the Cluster object's ``azEnvironment``
    go_name: str = ""
    #: Go ``AROEnvironment.GenevaMonitoringEndpoint`` (``pkg/util/azureclient/environments.go``)
    geneva_monitoring_endpoint: str = ""
    #: go-autorest ``StorageEndpointSuffix``
    storage_endpoint_suffix: str = ""

    @property
    def active_directory_endpoint(self) -> str:
        """go-autorest ``ActiveDirectoryEndpoint``: the authority host with Go's trailing slash."""
        return self.authority_host.rstrip("/") + "/"

    @property
    def resource_manager_endpoint(self) -> str:
        """go-autorest ``ResourceManagerEndpoint``: with Go's trailing slash."""
        return self.resource_manager.rstrip("/") + "/"


CLOUDS: dict[str, AzureCloud] = {
    "AzureCloud": AzureCloud(
        name="AzureCloud",
        authority_host="https://login.microsoftonline.com",
        resource_manager="https://management.azure.com",
        credential_scope="https://management.azure.com/.default",
        keyvault_dns_suffix="vault.azure.net",
        go_name="AzurePublicCloud",
        geneva_monitoring_endpoint="https://gcs.prod.monitoring.core.windows.net/",
        storage_endpoint_suffix="core.windows.net",
    ),
    "AzureUSGovernment": AzureCloud(
        name="AzureUSGovernment",
        authority_host="https://login.microsoftonline.us",
        resource_manager="https://management.usgovcloudapi.net",
        credential_scope="https://management.usgovcloudapi.net/.default",
        keyvault_dns_suffix="vault.usgovcloudapi.net",
        go_name="AzureUSGovernmentCloud",
        geneva_monitoring_endpoint="https://gcs.monitoring.core.usgovcloudapi.net/",
        storage_endpoint_suffix="core.usgovcloudapi.net",
    ),
    "AzureChinaCloud": AzureCloud(
        name="AzureChinaCloud",
        authority_host="https://login.chinacloudapi.cn",
        resource_manager="https://management.chinacloudapi.cn",
        credential_scope="https://management.chinacloudapi.cn/.default",
        keyvault_dns_suffix="vault.azure.cn",
        go_name="AzureChinaCloud",
        # Go's ARO has no AROEnvironment for China (azureclient.EnvironmentFromName): no Geneva endpoint
        storage_endpoint_suffix="core.chinacloudapi.cn",
    ),
}

_REGION = re.compile(r"^[a-z][a-z0-9]{1,39}$")
_DOMAIN = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))+$")
_ACR_ID = re.compile(
    r"^/subscriptions/[0-9a-fA-F-]{36}/resourceGroups/[^/]+/providers/"
    r"Microsoft\.ContainerRegistry/registries/[A-Za-z0-9]+$",
    re.IGNORECASE,
)
_FEATURE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]*$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
#: ARM resource group names: 1-90 of letters, digits, ``._-()``, not ending in a period
_RESOURCE_GROUP = re.compile(r"^[-\w._()]{0,89}[-\w_()]$")


@dataclass(frozen=True)
class Environment:
    region: str = "eastus"
    acr_domain: str = "arointsvc.azurecr.io"
    acr_resource_id: str = (
        "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/global"
        "/providers/Microsoft.ContainerRegistry/registries/arointsvc"
    )
    cluster_keyvault_uri: str = "https://eastus-cls.vault.azure.net/"
    #: Go ``ClusterMsiKeyVaultName()``: ``<KEYVAULT_PREFIX>-msi``, the vault of the cluster MSIs' credentials
    cluster_msi_keyvault_uri: str = "https://eastus-msi.vault.azure.net/"
    #: Go ``MsiRpEndpoint()``: the audience of MSI data plane tokens; empty = not configured
    msi_rp_endpoint: str = ""
    domain_suffix: str = "eastus.aroapp.io"
    features: frozenset[str] = field(default_factory=frozenset)
    cloud: AzureCloud = field(default_factory=lambda: CLOUDS["AzureCloud"])
    # -- what the RP knows of itself, which the ARO operator's Cluster object carries (Go
    # deploy.clusterObject); Go's RP reads them from instance metadata and its variables, we from
    # configuration. Empty = not configured: the Cluster object sync then refuses, naming the field.
    #: Go ``env.SubscriptionID()``: the RP's own subscription
    rp_subscription_id: str = ""
    #: Go ``env.ResourceGroup()``: the RP's resource group
    rp_resource_group: str = ""
    #: Go ``env.GatewayResourceGroup()`` (``GATEWAY_RESOURCEGROUP``)
    gateway_resource_group: str = ""
    #: Go ``GATEWAY_DOMAINS``; :meth:`all_gateway_domains` adds what Go's ``GatewayDomains()`` adds
    gateway_domains: tuple[str, ...] = ()
    #: Go ``env.RPParentDomainName()`` (``RP_PARENT_DOMAIN_NAME``, lower-cased)
    rp_parent_domain_name: str = ""
    #: Go ``env.EnvironmentType()`` (``ENVIRONMENT``): the ``aro.environment`` operator flag
    environment_type: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "features", frozenset(self.features))
        object.__setattr__(self, "gateway_domains", tuple(self.gateway_domains))
        object.__setattr__(self, "rp_parent_domain_name", str(self.rp_parent_domain_name).lower())
        self.validate()

    def all_gateway_domains(self) -> list[str]:
        """Go ``prod.GatewayDomains()`` (``pkg/env/prod.go`` ``newProd``): ``GATEWAY_DOMAINS``, then the
        hosts of the Active Directory and Resource Manager endpoints, the ACR domain and the ACR's
        data domain ``<registry>.<region>.data.<registry DNS suffix>``."""
        from urllib.parse import urlsplit

        registry, _, suffix = self.acr_domain.partition(".")
        return [
            *self.gateway_domains,
            urlsplit(self.cloud.active_directory_endpoint).hostname or "",
            urlsplit(self.cloud.resource_manager_endpoint).hostname or "",
            self.acr_domain,
            f"{registry}.{self.region}.data.{suffix}",
        ]

    # -- queries -------------------------------------------------------------
    def feature_is_set(self, flag: str) -> bool:
        return flag in self.features

    def with_features(self, *flags: str) -> Environment:
        return replace(self, features=self.features | set(flags))

    # -- validation ----------------------------------------------------------
    def validate(self) -> None:
        def bad(name: str, why: str) -> EnvironmentError_:
            return EnvironmentError_(f"environment field {name!r}: {why}")

        for f in ("region", "acr_domain", "acr_resource_id", "cluster_keyvault_uri", "cluster_msi_keyvault_uri",
                  "msi_rp_endpoint", "domain_suffix"):
            if not isinstance(getattr(self, f), str):
                raise bad(f, f"must be a string, got {type(getattr(self, f)).__name__}")
        if not _REGION.fullmatch(self.region):
            raise bad("region", f"{self.region!r} is not an Azure region name (e.g. eastus)")
        if not _DOMAIN.fullmatch(self.acr_domain):
            raise bad("acr_domain", f"{self.acr_domain!r} is not a DNS name")
        if not _ACR_ID.fullmatch(self.acr_resource_id):
            raise bad(
                "acr_resource_id",
                f"{self.acr_resource_id!r} is not a container registry resource ID",
            )
        for f in ("cluster_keyvault_uri", "cluster_msi_keyvault_uri"):
            uri = getattr(self, f)
            if not re.fullmatch(r"https://[a-z0-9-]{3,24}\.[a-z0-9.-]+/?", uri, re.IGNORECASE):
                raise bad(f, f"{uri!r} is not a Key Vault URI (https://<name>.vault.azure.net/)")
        if self.msi_rp_endpoint and not re.fullmatch(r"https://[a-z0-9.-]+(:[0-9]{1,5})?(/[^\s]*)?",
                                                     self.msi_rp_endpoint, re.IGNORECASE):
            raise bad("msi_rp_endpoint", f"{self.msi_rp_endpoint!r} is not an https:// URL")
        if not _DOMAIN.fullmatch(self.domain_suffix):
            raise bad("domain_suffix", f"{self.domain_suffix!r} is not a DNS name")
        for f in ("rp_subscription_id", "rp_resource_group", "gateway_resource_group", "rp_parent_domain_name",
                  "environment_type"):
            if not isinstance(getattr(self, f), str):
                raise bad(f, f"must be a string, got {type(getattr(self, f)).__name__}")
        if self.rp_subscription_id and not _UUID.fullmatch(self.rp_subscription_id):
            raise bad("rp_subscription_id", f"{self.rp_subscription_id!r} is not a subscription ID (a UUID)")
        for f in ("rp_resource_group", "gateway_resource_group"):
            if getattr(self, f) and not _RESOURCE_GROUP.fullmatch(getattr(self, f)):
                raise bad(f, f"{getattr(self, f)!r} is not a resource group name")
        for f, names in (("rp_parent_domain_name", [self.rp_parent_domain_name] if self.rp_parent_domain_name else []),
                         ("gateway_domains", list(self.gateway_domains))):
            for name in names:
                if not isinstance(name, str) or not _DOMAIN.fullmatch(name):
                    raise bad(f, f"{name!r} is not a DNS name")
        if self.environment_type and not _FEATURE.fullmatch(self.environment_type):
            raise bad("environment_type", f"{self.environment_type!r} is not an environment name (e.g. prod)")
        for flag in self.features:
            if not isinstance(flag, str) or not _FEATURE.fullmatch(flag):
                raise bad("features", f"{flag!r} is not a feature flag name")
        if not isinstance(self.cloud, AzureCloud):
            raise bad("cloud", "must be an AzureCloud")

    # -- loading -------------------------------------------------------------
    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, source: str = "environment") -> Environment:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise EnvironmentError_(f"{source}: unknown environment field {unknown[0]!r}")
        kwargs: dict[str, Any] = dict(data)
        if "features" in kwargs:
            feats = kwargs["features"]
            if isinstance(feats, str):
                feats = [x for x in re.split(r"[,\s]+", feats) if x]
            if (not isinstance(feats, Iterable) or isinstance(feats, Mapping)
                    or not all(isinstance(x, str) for x in feats)):
                raise EnvironmentError_(f"{source}: environment field 'features': must be a list of names")
            kwargs["features"] = frozenset(feats)
        if "gateway_domains" in kwargs:
            doms = kwargs["gateway_domains"]
            if isinstance(doms, str):
                doms = [x for x in re.split(r"[,\s]+", doms) if x]
            if (not isinstance(doms, Iterable) or isinstance(doms, Mapping)
                    or not all(isinstance(x, str) for x in doms)):
                raise EnvironmentError_(f"{source}: environment field 'gateway_domains': must be a list of names")
            kwargs["gateway_domains"] = tuple(doms)
        if "cloud" in kwargs:
            kwargs["cloud"] = _cloud(kwargs["cloud"], source)
        try:
            return cls(**kwargs)
        except EnvironmentError_ as e:
            raise EnvironmentError_(f"{source}: {e}") from None

    @classmethod
    def from_toml(cls, path: str | os.PathLike[str], *, env: Mapping[str, str] | None = None) -> Environment:
        p = Path(path)
        if not p.exists():
            raise EnvironmentError_(f"{p}: environment file not found")
        try:
            data = inputs.parse_toml(inputs.read_file(p, "environment file", max_bytes=inputs.MAX_CONFIG_BYTES),
                                     str(p))
        except inputs.InputError as e:
            raise EnvironmentError_(str(e)) from None
        table = data.get("environment", data)
        if not isinstance(table, dict):
            raise EnvironmentError_(f"{p}: environment: must be a table")
        data = dict(table)
        data.update(_from_env(env if env is not None else os.environ))
        return cls.from_mapping(data, source=str(p))

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Environment:
        """Defaults overridden by ``MIMO_REGION``, ``MIMO_ACR_DOMAIN``, … ``MIMO_FEATURES`` (comma list)."""
        return cls.from_mapping(_from_env(env if env is not None else os.environ), source="environment variables")


_ENV_FIELDS = ("region", "acr_domain", "acr_resource_id", "cluster_keyvault_uri", "cluster_msi_keyvault_uri",
               "msi_rp_endpoint", "domain_suffix", "features", "cloud", "rp_subscription_id", "rp_resource_group",
               "gateway_resource_group", "gateway_domains", "rp_parent_domain_name", "environment_type")


def _from_env(env: Mapping[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in _ENV_FIELDS:
        name = f"MIMO_{f.upper()}"
        if name in env:
            try:
                out[f] = inputs.text(env[name], name)
            except inputs.InputError as e:
                raise EnvironmentError_(str(e)) from None
    return out


#: cloud table keys that may be left out (Go-only values; empty when not given)
_OPTIONAL_CLOUD_FIELDS = frozenset({"go_name", "geneva_monitoring_endpoint", "storage_endpoint_suffix"})


def _cloud(value: Any, source: str) -> AzureCloud:
    if isinstance(value, AzureCloud):
        return value
    if isinstance(value, str):
        if value not in CLOUDS:
            raise EnvironmentError_(
                f"{source}: environment field 'cloud': unknown cloud {value!r} (known: {', '.join(CLOUDS)})"
            )
        return CLOUDS[value]
    if isinstance(value, Mapping):
        names = {f.name for f in fields(AzureCloud)}
        missing = sorted(names - set(value) - _OPTIONAL_CLOUD_FIELDS)
        if missing:
            raise EnvironmentError_(f"{source}: environment field 'cloud': missing {missing[0]!r}")
        extra = sorted(set(value) - names)
        if extra:
            raise EnvironmentError_(f"{source}: environment field 'cloud': unknown key {extra[0]!r}")
        try:
            for k, v in value.items():
                if k == "name":
                    inputs.text(v, f"environment field 'cloud.{k}'", max_chars=64, empty=False)
                elif k in _OPTIONAL_CLOUD_FIELDS and v == "":
                    continue
                elif k == "go_name":
                    inputs.text(v, f"environment field 'cloud.{k}'", max_chars=64, empty=False)
                elif k in ("keyvault_dns_suffix", "storage_endpoint_suffix"):
                    if not isinstance(v, str) or not _DOMAIN.fullmatch(v):
                        raise inputs.InputError(f"environment field 'cloud.{k}'", f"{v!r} is not a DNS name")
                else:
                    inputs.parse_url(v, f"environment field 'cloud.{k}'", schemes=("https",))
        except inputs.InputError as e:
            raise EnvironmentError_(f"{source}: {e}") from None
        return AzureCloud(**{k: str(v) for k, v in value.items()})
    raise EnvironmentError_(f"{source}: environment field 'cloud': must be a cloud name or a table")
