"""Key Vault state: secrets with their versions, per vault.

Secret names are case-insensitive, as in Key Vault; the casing of the first
write is kept. Versions are 32 hex digits drawn from the fake's seeded RNG.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["FakeVault", "SecretVersion"]


@dataclass
class SecretVersion:
    version: str
    value: str
    created: int
    updated: int
    enabled: bool = True
    content_type: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    not_before: int | None = None  #: ``attributes.nbf`` (seconds), as set
    expires: int | None = None  #: ``attributes.exp`` (seconds), as set

    def __repr__(self) -> str:  # never show the value
        return f"SecretVersion(version={self.version!r}, created={self.created}, enabled={self.enabled})"


class FakeVault:
    """One Key Vault, served at ``https://<name>.<suffix>``."""

    def __init__(self, name: str, suffix: str, new_version: Callable[[], str]) -> None:
        self.name = name
        self.vault_uri = f"https://{name}.{suffix}"
        self._new_version = new_version
        self._names: dict[str, str] = {}  #: lower-cased name -> name as first written
        self._secrets: dict[str, list[SecretVersion]] = {}  #: lower-cased name -> versions, oldest first

    def __repr__(self) -> str:
        return f"FakeVault({self.vault_uri!r}, secrets={sorted(self._names.values())})"

    # -- Python side ----------------------------------------------------------------------
    def set_secret(
        self,
        name: str,
        value: str,
        *,
        content_type: str | None = None,
        tags: dict[str, str] | None = None,
        enabled: bool = True,
        not_before: int | None = None,
        expires: int | None = None,
    ) -> SecretVersion:
        """Adds a new version of ``name`` (a new secret if there is none)."""
        if not isinstance(value, str):
            raise TypeError(f"FakeVault.set_secret({name!r}): value must be a string")
        now = int(time.time())
        key = name.lower()
        self._names.setdefault(key, name)
        v = SecretVersion(self._new_version(), value, now, now, enabled, content_type, dict(tags or {}),
                          not_before, expires)
        self._secrets.setdefault(key, []).append(v)
        return v

    def get_secret(self, name: str, version: str | None = None) -> str | None:
        v = self.find(name, version)
        return v.value if v is not None else None

    def versions(self, name: str) -> list[SecretVersion]:
        return list(self._secrets.get(name.lower(), []))

    def secret_names(self) -> list[str]:
        return sorted(self._names.values())

    def delete_secret(self, name: str) -> bool:
        key = name.lower()
        self._names.pop(key, None)
        return self._secrets.pop(key, None) is not None

    # -- shared with the wire side -----------------------------------------------------------
    def display_name(self, name: str) -> str:
        return self._names.get(name.lower(), name)

    def find(self, name: str, version: str | None = None) -> SecretVersion | None:
        versions = self._secrets.get(name.lower())
        if not versions:
            return None
        if not version:
            return versions[-1]
        for v in versions:
            if v.version == version.lower():
                return v
        return None

    def state(self) -> Any:
        return copy.deepcopy((self._names, self._secrets))

    def load(self, state: Any) -> None:
        names, secrets = copy.deepcopy(state)
        self._names, self._secrets = names, secrets
