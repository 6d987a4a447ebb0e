"""URL routing: from a request path to what it addresses.

A path is either a discovery document (``/version``, ``/api``, ``/apis/...``,
``/openapi/...``) or a resource path
``/api/v1|/apis/<group>/<version>[/namespaces/<ns>]/<plural>[/<name>[/<subresource>]]``.
Anything else is ``None`` (404 page not found).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from urllib.parse import parse_qs, unquote, urlsplit

from .models import KindInfo

__all__ = ["Discovery", "Resource", "route", "split_path"]


@dataclass(frozen=True)
class Discovery:
    """A discovery or OpenAPI document: ``what`` is version, core, groups, group, resources, openapi, openapi-gv."""

    what: str
    arg: str = ""


@dataclass(frozen=True)
class Resource:
    info: KindInfo
    namespace: str | None
    name: str | None
    subresource: str | None
    #: reached through the legacy ``/watch/`` prefix (``/api/v1/watch/namespaces/x/secrets``)
    watch: bool = False

    @cached_property
    def resource(self) -> str:
        """``<plural>.<group>/<namespace>/<name>``, as the fault hook sees it (a route is
        remembered per path, and its target with it: worked out once)."""
        return f"{self.info.group_resource}/{self.namespace or ''}/{self.name or ''}"


#: :func:`split_path`'s answers by request target (the query's lists copied for each caller)
_SPLIT: dict[str, tuple[str, dict[str, list[str]]]] = {}
_SPLIT_MAX = 1024


def split_path(raw: str) -> tuple[str, dict[str, list[str]]]:
    """The path and the parsed query of a request target (each caller gets its own query)."""
    hit = _SPLIT.get(raw)
    if hit is None:
        parts = urlsplit(raw)
        hit = parts.path, parse_qs(parts.query)
        if len(_SPLIT) >= _SPLIT_MAX:
            _SPLIT.clear()
        _SPLIT[raw] = hit
    path, query = hit
    return path, {k: list(v) for k, v in query.items()} if query else {}


def route(path: str, kinds: Mapping[tuple[str, str], KindInfo]) -> Discovery | Resource | None:
    """``kinds`` maps (api_version, plural) to the served kind."""
    segs = [unquote(s) for s in path.strip("/").split("/")] if path.strip("/") else []
    if segs == ["version"]:
        return Discovery("version")
    if segs and segs[0] == "openapi":
        if segs == ["openapi", "v3"]:
            return Discovery("openapi")
        if len(segs) >= 4 and segs[1] == "v3":
            api_version = (
                "v1"
                if segs[2:] == ["api", "v1"]
                else "/".join(segs[3:])
                if segs[2] == "apis"
                else ""
            )
            return Discovery("openapi-gv", api_version) if api_version else None
        return None
    if segs == ["api"]:
        return Discovery("core")
    if segs == ["apis"]:
        return Discovery("groups")
    if len(segs) >= 2 and segs[:2] == ["api", "v1"]:
        api_version, rest = "v1", segs[2:]
    elif len(segs) == 2 and segs[0] == "apis":
        return Discovery("group", segs[1])
    elif len(segs) >= 3 and segs[0] == "apis":
        api_version, rest = f"{segs[1]}/{segs[2]}", segs[3:]
    else:
        return None
    if not rest:
        return Discovery("resources", api_version)
    watch = rest[0] == "watch"
    if watch:
        rest = rest[1:]
        if not rest:
            return None

    namespace: str | None = None
    if (
        rest[0] == "namespaces"
        and len(rest) >= 3
        and not (len(rest) == 3 and rest[2] in ("status", "finalize"))
    ):
        namespace, rest = rest[1], rest[2:]
    if len(rest) > 3:
        return None
    info = kinds.get((api_version, rest[0]))
    if info is None:
        return None
    if namespace is not None and not info.namespaced:
        return None
    name = rest[1] if len(rest) >= 2 else None
    sub = rest[2] if len(rest) == 3 else None
    if sub is not None and not (
        (sub == "status" and info.has_status)
        or (sub == "scale" and "scale" in info.subresources)
    ):
        return None
    if name == "":
        return None
    if watch and sub is not None:
        return None
    return Resource(info, namespace, name, sub, watch)
