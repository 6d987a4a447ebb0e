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


CLOUDS: dict[str, AzureCloud] = {
    "AzureCloud": AzureCloud(
        name="AzureCloud",
        authority_host="https://login.microsoftonline.com",
        resource_manager="https://management.azure.com",
        credential_scope="https://management.azure.com/.default",
        keyvault_dns_suffix="vault.azure.net",
    ),
    "AzureUSGovernment": AzureCloud(
        name="AzureUSGovernment",
        authority_host="https://login.microsoftonline.us",
        resource_manager="https://management.usgovcloudapi.net",
        credential_scope="https://management.usgovcloudapi.net/.default",
        keyvault_dns_suffix="vault.usgovcloudapi.net",
    ),
    "AzureChinaCloud": AzureCloud(
        name="AzureChinaCloud",
        authority_host="https://login.chinacloudapi.cn",
        resource_manager="https://management.chinacloudapi.cn",
        credential_scope="https://management.chinacloudapi.cn/.default",
        keyvault_dns_suffix="vault.azure.cn",
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

    def __post_init__(self) -> None:
        object.__setattr__(self, "features", frozenset(self.features))
        self.validate()

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
               "msi_rp_endpoint", "domain_suffix", "features", "cloud")


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
        missing = sorted(names - set(value))
        if missing:
            raise EnvironmentError_(f"{source}: environment field 'cloud': missing {missing[0]!r}")
        extra = sorted(set(value) - names)
        if extra:
            raise EnvironmentError_(f"{source}: environment field 'cloud': unknown key {extra[0]!r}")
        try:
            for k, v in value.items():
                if k == "name":
                    inputs.text(v, f"environment field 'cloud.{k}'", max_chars=64, empty=False)
                elif k == "keyvault_dns_suffix":
                    if not isinstance(v, str) or not _DOMAIN.fullmatch(v):
                        raise inputs.InputError(f"environment field 'cloud.{k}'", f"{v!r} is not a DNS name")
                else:
                    inputs.parse_url(v, f"environment field 'cloud.{k}'", schemes=("https",))
        except inputs.InputError as e:
            raise EnvironmentError_(f"{source}: {e}") from None
        return AzureCloud(**{k: str(v) for k, v in value.items()})
    raise EnvironmentError_(f"{source}: environment field 'cloud': must be a cloud name or a table")
