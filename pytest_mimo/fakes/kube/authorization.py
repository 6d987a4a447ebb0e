"""``SelfSubjectAccessReview``: "may I?" for the caller (``kubectl auth can-i``).

``pkg/registry/authorization/selfsubjectaccessreview/rest.go`` (``REST.Create``): the body
must be a ``SelfSubjectAccessReview``; ``ValidateSelfSubjectAccessReview``
(``pkg/apis/authorization/validation``) wants exactly one of ``spec.resourceAttributes`` and
``spec.nonResourceAttributes`` (422 ``SelfSubjectAccessReview.authorization.k8s.io "" is
invalid``); the answer (201) is the review with ``status.allowed``.

The fake has one user, the kubeconfig's token holder, bound to everything (as
``cluster-admin``): every review of that user is allowed. A request without that token
never gets here (401).
"""

from __future__ import annotations

import json
from typing import Any

from . import protobuf
from .apierrors import ApiError
from .kinds import KindInfo

__all__ = ["PATH", "RESOURCE", "review"]

PATH = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"

#: the discovery entry of authorization.k8s.io/v1 that the fake serves
RESOURCE = {
    "name": "selfsubjectaccessreviews",
    "singularName": "selfsubjectaccessreview",
    "namespaced": False,
    "kind": "SelfSubjectAccessReview",
    "verbs": ["create"],
}

_INFO = KindInfo(
    "authorization.k8s.io/v1", "SelfSubjectAccessReview", "selfsubjectaccessreviews", False, builtin=True
)


def review(raw: bytes, content_type: str = "application/json") -> dict[str, Any]:
    """The answered review (201), or an :class:`ApiError`. kubectl sends it in protobuf
    (:mod:`.protobuf`), other clients in JSON."""
    if content_type.split(";")[0].strip().lower() == protobuf.MEDIA_TYPE:
        try:
            return _answer(protobuf.decode_object(raw))
        except protobuf.ProtobufError as err:
            raise ApiError.bad_request(
                'SelfSubjectAccessReview in version "v1" cannot be handled as a SelfSubjectAccessReview: '
                f"{err}"
            ) from None
    try:
        body = json.loads(raw.decode("utf-8") or "null")
    except (UnicodeDecodeError, ValueError) as err:
        raise ApiError.bad_request(
            'SelfSubjectAccessReview in version "v1" cannot be handled as a SelfSubjectAccessReview: '
            f"{err}"
        ) from None
    if not isinstance(body, dict):
        raise ApiError.bad_request(
            'SelfSubjectAccessReview in version "v1" cannot be handled as a SelfSubjectAccessReview: '
            "json: cannot unmarshal into Go value of type authorization.SelfSubjectAccessReview"
        )
    return _answer(body)


def _answer(body: dict[str, Any]) -> dict[str, Any]:
    kind = body.get("kind")
    if kind not in (None, "SelfSubjectAccessReview"):
        raise ApiError.bad_request(f"not a SelfSubjectAccessReview: {kind}")
    spec = body.get("spec")
    spec = spec if isinstance(spec, dict) else {}
    res, non = spec.get("resourceAttributes"), spec.get("nonResourceAttributes")
    if res is None and non is None:
        raise ApiError.invalid(
            _INFO, "", "spec.resourceAttributes",
            "Required value: exactly one of nonResourceAttributes or resourceAttributes must be specified",
            cause="FieldValueRequired",
        )
    if res is not None and non is not None:
        raise ApiError.invalid(
            _INFO, "", "spec.nonResourceAttributes",
            f"Invalid value: {json.dumps(non)}: cannot be specified in combination with resourceAttributes",
        )
    return {
        "kind": "SelfSubjectAccessReview",
        "apiVersion": "authorization.k8s.io/v1",
        "metadata": body.get("metadata") or {},
        "spec": spec,
        "status": {"allowed": True},
    }
