"""The resource types the fake serves: :class:`KindInfo` and the built-in set.

Kept apart from :mod:`.models` so that the decoding and validation modules, which
name kinds and raise API errors, need not import the store (no import circle).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "APPLY_PATCH",
    "BUILTIN_KINDS",
    "JSON_PATCH",
    "MERGE_PATCH",
    "STRATEGIC_PATCH",
    "KindInfo",
]

#: the patch media types the API server accepts
MERGE_PATCH = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
STRATEGIC_PATCH = "application/strategic-merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"


@dataclass(frozen=True)
class KindInfo:
    """One served resource type."""

    api_version: str
    kind: str
    plural: str
    namespaced: bool
    #: has a ``status`` subresource (main-resource writes keep the old status)
    has_status: bool = True
    #: ``metadata.generation`` is kept (bumped on changes outside metadata/status)
    generation: bool = True
    #: compiled into the API server (not a CRD): strategic merge patch and
    #: unconditional updates (no resourceVersion) are allowed
    builtin: bool = False
    short_names: tuple[str, ...] = ()

    @property
    def group(self) -> str:
        return self.api_version.rpartition("/")[0]

    @property
    def version(self) -> str:
        return self.api_version.rpartition("/")[2]

    @property
    def group_resource(self) -> str:
        """``secrets`` or ``clusteroperators.config.openshift.io``, as in error messages."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def singular(self) -> str:
        return self.kind.lower()


BUILTIN_KINDS: tuple[KindInfo, ...] = (
    KindInfo(
        "v1",
        "Namespace",
        "namespaces",
        False,
        has_status=True,
        generation=False,
        builtin=True,
        short_names=("ns",),
    ),
    KindInfo("v1", "Secret", "secrets", True, has_status=False, generation=False, builtin=True),
    KindInfo(
        "v1",
        "ConfigMap",
        "configmaps",
        True,
        has_status=False,
        generation=False,
        builtin=True,
        short_names=("cm",),
    ),
    KindInfo("apps/v1", "Deployment", "deployments", True, builtin=True, short_names=("deploy",)),
    # what the ARO operator's deployer writes besides (pkg/operator/deploy/staticresources)
    KindInfo(
        "v1",
        "ServiceAccount",
        "serviceaccounts",
        True,
        has_status=False,
        generation=False,
        builtin=True,
        short_names=("sa",),
    ),
    KindInfo(
        "v1", "Service", "services", True, generation=False, builtin=True, short_names=("svc",)
    ),
    KindInfo(
        "rbac.authorization.k8s.io/v1",
        "Role",
        "roles",
        True,
        has_status=False,
        generation=False,
        builtin=True,
    ),
    KindInfo(
        "rbac.authorization.k8s.io/v1",
        "RoleBinding",
        "rolebindings",
        True,
        has_status=False,
        generation=False,
        builtin=True,
    ),
    KindInfo(
        "rbac.authorization.k8s.io/v1",
        "ClusterRole",
        "clusterroles",
        False,
        has_status=False,
        generation=False,
        builtin=True,
    ),
    KindInfo(
        "rbac.authorization.k8s.io/v1",
        "ClusterRoleBinding",
        "clusterrolebindings",
        False,
        has_status=False,
        generation=False,
        builtin=True,
    ),
    KindInfo(
        "config.openshift.io/v1", "ClusterOperator", "clusteroperators", False, short_names=("co",)
    ),
    KindInfo("config.openshift.io/v1", "ClusterVersion", "clusterversions", False),
    KindInfo("config.openshift.io/v1", "APIServer", "apiservers", False),
    KindInfo("operator.openshift.io/v1", "IngressController", "ingresscontrollers", True),
    KindInfo("aro.openshift.io/v1alpha1", "Cluster", "clusters", False),
)
