"""The cluster's managed domain: the domain whose certificates ARO issues and rotates.

A cluster created with a short domain (``mycluster``) or with one under the
region's suffix (``mycluster.eastus.aroapp.io``) is *managed*: ARO owns its
DNS and certificates. Any other domain (``apps.contoso.com``) is *custom*: the
customer brings their own certificates and the TLS steps leave them alone.
"""

from __future__ import annotations

import json

from mimo.context import TaskContext
from mimo.errors import TerminalError

__all__ = ["managed_domain", "managed_domain_of"]


def managed_domain_of(domain: str, suffix: str) -> str:
    """``<name>.<suffix>`` for a managed domain, ``""`` for a custom one.

    Raises ``ValueError`` for a domain that is empty or starts or ends with ``.``.
    """
    if not domain or domain.startswith(".") or domain.endswith("."):
        # quoted as the reference system's Go %q does: invalid domain "bad."
        raise ValueError(f"invalid domain {json.dumps(domain, ensure_ascii=False)}")
    left = domain.removesuffix("." + suffix)
    if "." in left:
        return ""
    return f"{left}.{suffix}"


def managed_domain(tc: TaskContext) -> str:
    """The cluster's managed domain, ``""`` when the domain is custom.

    An invalid domain in the cluster document is a :class:`TerminalError`:
    only a human can fix the document.
    """
    domain = tc.get_openshift_cluster_properties().cluster_profile.domain
    try:
        return managed_domain_of(domain, tc.environment().domain_suffix)
    except ValueError as e:
        raise TerminalError(str(e)) from e
