"""How MIMO authenticates to Azure: validated settings and the credential they make.

Three kinds, as the reference system runs in production:

``client_secret``
    a service principal: ``tenant_id``, ``client_id`` and ``client_secret``.
``workload_identity``
    a federated token projected into a file (AKS workload identity):
    ``tenant_id``, ``client_id`` and ``federated_token_file``.
``managed_identity``
    the host's managed identity; ``client_id`` picks a user-assigned one.

The secret is a :class:`mimo.api.Secret`: it never shows in ``repr``, logs or
``to_dict(redact=True)``.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from azure.core.credentials import TokenCredential

from mimo.api import Secret
from mimo.environment import AzureCloud

__all__ = ["AzureCredentialError", "AzureCredentialSettings", "CREDENTIAL_KINDS", "make_credential", "shared_credential"]

CREDENTIAL_KINDS = ("client_secret", "workload_identity", "managed_identity")

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_FIELDS = ("kind", "tenant_id", "client_id", "client_secret", "federated_token_file")
_JSON = {
    "kind": "kind",
    "tenant_id": "tenantId",
    "client_id": "clientId",
    "client_secret": "clientSecret",
    "federated_token_file": "federatedTokenFile",
}


class AzureCredentialError(ValueError):
    """Credential settings that do not validate; the message names the field."""


@dataclass(frozen=True)
class AzureCredentialSettings:
    """How to authenticate to Azure. Validated on creation; errors name the field."""

    kind: str
    tenant_id: str = ""
    client_id: str = ""
    client_secret: Secret | None = None
    federated_token_file: str = ""

    def __post_init__(self) -> None:
        if isinstance(self.client_secret, str):
            object.__setattr__(self, "client_secret", Secret(self.client_secret))
        self.validate()

    def validate(self) -> None:
        def bad(name: str, why: str) -> AzureCredentialError:
            return AzureCredentialError(f"azure credential field {name!r}: {why}")

        if self.kind not in CREDENTIAL_KINDS:
            raise bad("kind", f"{self.kind!r} is not one of {', '.join(CREDENTIAL_KINDS)}")
        for name in ("tenant_id", "client_id", "federated_token_file"):
            if not isinstance(getattr(self, name), str):
                raise bad(name, f"must be a string, got {type(getattr(self, name)).__name__}")
        if self.client_secret is not None and not isinstance(self.client_secret, Secret):
            raise bad("client_secret", "must be a string or a mimo.api.Secret")
        needs_tenant = self.kind in ("client_secret", "workload_identity")
        if needs_tenant and not self.tenant_id:
            raise bad("tenant_id", f"required for kind {self.kind!r}")
        if self.tenant_id and not _UUID.match(self.tenant_id):
            raise bad("tenant_id", f"{self.tenant_id!r} is not a UUID")
        if needs_tenant and not self.client_id:
            raise bad("client_id", f"required for kind {self.kind!r}")
        if self.client_id and not _UUID.match(self.client_id):
            raise bad("client_id", f"{self.client_id!r} is not a UUID")
        has_secret = self.client_secret is not None and bool(self.client_secret)
        if self.kind == "client_secret" and not has_secret:
            raise bad("client_secret", "required for kind 'client_secret'")
        if self.kind != "client_secret" and self.client_secret is not None:
            raise bad("client_secret", f"not allowed for kind {self.kind!r}")
        if self.kind == "workload_identity" and not self.federated_token_file:
            raise bad("federated_token_file", "required for kind 'workload_identity'")
        if self.kind != "workload_identity" and self.federated_token_file:
            raise bad("federated_token_file", f"not allowed for kind {self.kind!r}")

    # -- storage ----------------------------------------------------------------------
    def to_dict(self, *, redact: bool = False) -> dict[str, str]:
        """JSON form (camelCase keys); empty fields left out; ``redact`` hides the secret."""
        out: dict[str, str] = {"kind": self.kind}
        for name in _FIELDS[1:]:
            value = getattr(self, name)
            if name == "client_secret":
                if value is None:
                    continue
                out[_JSON[name]] = "***" if redact else value.reveal()
            elif value:
                out[_JSON[name]] = value
        return out

    @classmethod
    def from_dict(cls, d: Any) -> AzureCredentialSettings:
        """Reads :meth:`to_dict` output; snake_case keys are accepted too."""
        if not isinstance(d, Mapping):
            raise AzureCredentialError("azure credential settings: must be an object")
        names = {**{v: k for k, v in _JSON.items()}, **{k: k for k in _FIELDS}}
        kwargs: dict[str, Any] = {}
        for key, value in d.items():
            if key not in names:
                raise AzureCredentialError(f"azure credential settings: unknown field {key!r}")
            field_name = names[key]
            if field_name == "client_secret":
                if value == "***":
                    raise AzureCredentialError(
                        "azure credential field 'client_secret': is redacted ('***'), not a secret"
                    )
                if not isinstance(value, (str, Secret)):
                    raise AzureCredentialError("azure credential field 'client_secret': must be a string")
                value = value if isinstance(value, Secret) else Secret(value)
            elif not isinstance(value, str):
                raise AzureCredentialError(
                    f"azure credential field {field_name!r}: must be a string, got {type(value).__name__}"
                )
            kwargs[field_name] = value
        if "kind" not in kwargs:
            raise AzureCredentialError("azure credential field 'kind': missing")
        return cls(**kwargs)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> AzureCredentialSettings:
        """From the standard ``AZURE_*`` variables.

        ``MIMO_AZURE_CREDENTIAL`` names the kind; without it the kind follows the
        variables present: a federated token file means workload identity, a
        client secret means a service principal, neither means managed identity.
        """
        e = os.environ if env is None else env
        secret = e.get("AZURE_CLIENT_SECRET", "")
        token_file = e.get("AZURE_FEDERATED_TOKEN_FILE", "")
        kind = e.get("MIMO_AZURE_CREDENTIAL", "")
        if not kind:
            kind = "workload_identity" if token_file else "client_secret" if secret else "managed_identity"
        return cls(
            kind=kind,
            tenant_id=e.get("AZURE_TENANT_ID", ""),
            client_id=e.get("AZURE_CLIENT_ID", ""),
            client_secret=Secret(secret) if secret else None,
            federated_token_file=token_file,
        )


def make_credential(settings: AzureCredentialSettings, cloud: AzureCloud) -> TokenCredential:
    """The ``azure-identity`` credential ``settings`` describe, on ``cloud``'s authority host."""
    from azure.identity import (
        ClientSecretCredential,
        ManagedIdentityCredential,
        WorkloadIdentityCredential,
    )

    if not isinstance(settings, AzureCredentialSettings):
        raise AzureCredentialError(
            f"make_credential: settings must be AzureCredentialSettings, got {type(settings).__name__}"
        )
    if settings.kind == "client_secret":
        assert settings.client_secret is not None  # validated
        return ClientSecretCredential(
            settings.tenant_id,
            settings.client_id,
            settings.client_secret.reveal(),
            authority=cloud.authority_host,
        )
    if settings.kind == "workload_identity":
        return WorkloadIdentityCredential(
            tenant_id=settings.tenant_id,
            client_id=settings.client_id,
            token_file_path=settings.federated_token_file,
            authority=cloud.authority_host,
        )
    return ManagedIdentityCredential(client_id=settings.client_id or None)


#: at most this many credentials are kept (least recently used go first): one per identity in use
SHARED_CREDENTIALS_MAX = 256
_SHARED: OrderedDict[tuple[str, ...], TokenCredential] = OrderedDict()
_SHARED_LOCK = threading.Lock()


def shared_credential(settings: AzureCredentialSettings, cloud: AzureCloud) -> TokenCredential:
    """The process's one credential for ``settings`` on ``cloud``, made on first use.

    azure-identity credentials are thread-safe and cache their tokens; reusing one
    instance across task runs (as the Azure SDK recommends) means a token is
    requested once per lifetime, not once per task run, and Entra ID's throttling
    is not provoked by a busy actuator. The key holds a SHA-256 of the client
    secret, never the secret itself; a changed secret gets a new credential.
    """
    if not isinstance(settings, AzureCredentialSettings):
        raise AzureCredentialError(
            f"shared_credential: settings must be AzureCredentialSettings, got {type(settings).__name__}"
        )
    secret = settings.client_secret.reveal() if settings.client_secret is not None else ""
    key = (
        settings.kind, settings.tenant_id, settings.client_id, settings.federated_token_file,
        hashlib.sha256(secret.encode()).hexdigest(), cloud.authority_host,
    )
    with _SHARED_LOCK:
        cred = _SHARED.get(key)
        if cred is None:
            cred = _SHARED[key] = make_credential(settings, cloud)
            while len(_SHARED) > SHARED_CREDENTIALS_MAX:  # e.g. secrets rotated many times over
                _SHARED.popitem(last=False)
        else:
            _SHARED.move_to_end(key)
        return cred
