"""The apiserver's content negotiation for what it answers: ``Accept`` parsed and ordered as
``github.com/munnerz/goautoneg`` ``ParseAccept`` does, and matched as
``k8s.io/apiserver/pkg/endpoints/handlers/negotiation`` (``NegotiateMediaTypeOptions``,
``acceptMediaTypeOptions``) matches it against a serializer's media types.

``ParseAccept`` keeps every clause (``q=0`` too; a ``q`` Go's ``ParseFloat`` refuses is 0),
matches types case-sensitively, and sorts with ``sort.Sort`` by a ``Less`` that puts a higher
``q``, then a concrete type, then a concrete subtype first. Go sorts up to 12 elements by
insertion sort, which keeps the order of clauses ``Less`` does not tell apart; the fake sorts
every list so (a list of more than 12 clauses may come out in another order than Go's pdqsort).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["Clause", "GVK", "MEDIA_TYPES", "Negotiated", "negotiate", "parse_accept"]

#: a clause's conversion (``as``, ``g``, ``v``) as (group, version, kind)
GVK = tuple[str, str, str]

#: what kube-apiserver's codec factory serializes, in its order (``CodecFactory``: JSON, YAML,
#: protobuf; CBOR only behind the alpha ``CBORServingAndStorage`` gate)
MEDIA_TYPES = ("application/json", "application/yaml", "application/vnd.kubernetes.protobuf")

#: media types with a stream serializer (``stream=watch``): JSON and protobuf, not YAML
_STREAMING = frozenset({"application/json", "application/vnd.kubernetes.protobuf"})

#: what Go's strconv.ParseFloat takes (decimal, exponent, inf/nan; no spaces, no underscores)
_GO_FLOAT = re.compile(r"[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf|infinity|nan)", re.IGNORECASE)


@dataclass
class Clause:
    type: str
    subtype: str
    q: float = 1.0
    params: dict[str, str] = field(default_factory=dict)


def _q(text: str) -> float:
    if not _GO_FLOAT.fullmatch(text):
        return 0.0  # a, _ = strconv.ParseFloat(...): the error's value is 0
    return float(text)


def _less(a: Clause, b: Clause) -> bool:
    if a.q > b.q:
        return True
    if a.type != "*" and b.type == "*":
        return True
    return a.subtype != "*" and b.subtype == "*"


def parse_accept(header: str) -> list[Clause]:
    """``goautoneg.ParseAccept``."""
    out: list[Clause] = []
    for part in header.split(","):
        part = part.strip(" ")
        mrp = part.split(";")
        sp = mrp[0].split("/")
        type_ = sp[0].strip(" ")
        if len(sp) == 1 and type_ == "*":
            subtype = "*"
        elif len(sp) == 2:
            subtype = sp[1].strip(" ")
        else:
            continue
        clause = Clause(type_, subtype)
        for param in mrp[1:]:
            kv = param.split("=", 1)
            if len(kv) != 2:
                continue
            token = kv[0].strip(" ")
            if token == "q":
                clause.q = _q(kv[1])
            else:
                clause.params[token] = kv[1].strip(" ")
        out.append(clause)
    for i in range(1, len(out)):  # insertion sort, as sort.Sort does for short lists
        j = i
        while j > 0 and _less(out[j], out[j - 1]):
            out[j], out[j - 1] = out[j - 1], out[j]
            j -= 1
    return out


@dataclass(frozen=True)
class Negotiated:
    """The media type picked and the conversion its clause asked for (``as``, ``g``, ``v``)."""

    media_type: str
    convert: GVK | None = None


def _options(clause: Clause, media: str, allows: Callable[[GVK | None], bool]) -> Negotiated | None:
    """``acceptMediaTypeOptions``: None when the endpoint refuses the clause's options."""
    convert: list[str] | None = None
    for k, v in clause.params.items():
        if k in ("as", "g", "v"):
            convert = convert or ["", "", ""]
            convert[{"g": 0, "v": 1, "as": 2}[k]] = v
        elif k == "stream":
            if v and (media not in _STREAMING or v != "watch"):
                return None
        elif k == "sv" and v:  # AllowsServerVersion: false on every endpoint the fake serves
            return None
    gvk: GVK | None = (convert[0], convert[1], convert[2]) if convert is not None else None
    if not allows(gvk):
        return None
    return Negotiated(media, gvk)


def _no_conversion(gvk: GVK | None) -> bool:
    return gvk is None


def negotiate(
    header: str,
    allows_conversion: Callable[[GVK | None], bool] = _no_conversion,
    media_types: tuple[str, ...] = MEDIA_TYPES,
) -> Negotiated | None:
    """``NegotiateMediaTypeOptions``: the first clause (in ``ParseAccept``'s order) that names
    a supported media type (exactly, ``type/*`` or ``*/*``; each clause tries the media types in
    the serializer's order) and whose options the endpoint allows; None (a 406) if none does.
    No ``Accept`` at all is the first media type. ``allows_conversion(gvk)`` is the endpoint's
    ``AllowsMediaTypeTransform`` (default: ``DefaultEndpointRestrictions``, no conversion)."""
    if not header:
        return Negotiated(media_types[0])
    for clause in parse_accept(header):
        for media in media_types:
            type_, _, subtype = media.partition("/")
            if (clause.type == type_ and clause.subtype in (subtype, "*")) or (
                clause.type == "*" and clause.subtype == "*"
            ):
                found = _options(clause, media, allows_conversion)
                if found is not None:
                    return found
    return None
