"""Routing: which fake service a URL belongs to, and how ARM paths split into parts.

Kept apart from state and wire format: this module only reads URLs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote, urlsplit

__all__ = ["ArmPath", "Url", "parse_url", "parse_arm_path", "resource_type_of", "split_resource_id"]


@dataclass(frozen=True)
class Url:
    scheme: str
    host: str  #: lower-cased
    path: str  #: unquoted
    query: dict[str, str] = field(default_factory=dict)  #: keys lower-cased
    raw: str = ""

    @property
    def base(self) -> str:
        return f"{self.scheme}://{self.host}"


def parse_url(url: str) -> Url:
    parts = urlsplit(url)
    query = {k.lower(): v for k, v in parse_qsl(parts.query, keep_blank_values=True)}
    return Url(parts.scheme, (parts.hostname or "").lower(), unquote(parts.path), query, url)


@dataclass(frozen=True)
class ArmPath:
    """``/subscriptions/{sub}[/resourceGroups/{rg}][/providers/{ns}/{type}/{name}/…][/{action}]``.

    ``types`` and ``names`` alternate after the namespace: a path that ends on a
    type (one more type than names) is a collection; ``action`` is set when the
    caller says the last segment is an action (POST on a resource).
    """

    subscription: str
    resource_group: str | None
    namespace: str | None
    types: tuple[str, ...]
    names: tuple[str, ...]
    extra: tuple[str, ...] = ()  #: segments after the namespace that are not type/name pairs

    @property
    def type_key(self) -> str:
        """``microsoft.network/loadbalancers`` (lower-cased, nested types joined)."""
        return "/".join([self.namespace or "", *self.types]).lower()

    @property
    def is_collection(self) -> bool:
        return len(self.types) == len(self.names) + 1

    def resource_id(self, upto: int | None = None) -> str:
        """The resource ID of this path (or of its first ``upto`` type/name pairs)."""
        n = len(self.names) if upto is None else upto
        out = f"/subscriptions/{self.subscription}"
        if self.resource_group is not None:
            out += f"/resourceGroups/{self.resource_group}"
        if self.namespace is None:
            return out
        out += f"/providers/{self.namespace}"
        for t, name in zip(self.types[:n], self.names[:n], strict=False):
            out += f"/{t}/{name}"
        return out

    def collection_id(self) -> str:
        return self.resource_id() + f"/{self.types[-1]}" if self.is_collection else self.resource_id()


def parse_arm_path(path: str) -> ArmPath | None:
    """Split an ARM path, or ``None`` when it is not under ``/subscriptions/{id}``."""
    segs = [s for s in path.split("/") if s]
    if len(segs) < 2 or segs[0].lower() != "subscriptions":
        return None
    sub = segs[1]
    i = 2
    rg: str | None = None
    if len(segs) >= i + 2 and segs[i].lower() == "resourcegroups":
        rg = segs[i + 1]
        i += 2
    elif len(segs) == i + 1 and segs[i].lower() == "resourcegroups":
        return ArmPath(sub, None, None, (), (), tuple(segs[i:]))
    if len(segs) == i:
        return ArmPath(sub, rg, None, (), ())
    if segs[i].lower() != "providers" or len(segs) < i + 2:
        return ArmPath(sub, rg, None, (), (), tuple(segs[i:]))
    ns = segs[i + 1]
    rest = segs[i + 2 :]
    types = tuple(rest[0::2])
    names = tuple(rest[1::2])
    return ArmPath(sub, rg, ns, types, names)


def split_resource_id(resource_id: str) -> ArmPath:
    """An ARM resource ID as an :class:`ArmPath`; ``ValueError`` naming it when malformed."""
    p = parse_arm_path(resource_id)
    if p is None or p.namespace is None or p.resource_group is None or not p.names or p.is_collection:
        raise ValueError(
            f"{resource_id!r} is not a resource ID "
            "(/subscriptions/<id>/resourceGroups/<rg>/providers/<namespace>/<type>/<name>)"
        )
    return p


def resource_type_of(resource_id: str) -> str:
    """``Microsoft.Network/loadBalancers`` for a load balancer ID (casing as given)."""
    p = split_resource_id(resource_id)
    return "/".join([p.namespace or "", *p.types])
