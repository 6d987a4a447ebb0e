"""What the SDKs' models say, applied on the wire: the api-versions a resource type is served at,
read-only properties dropped from a write, required ones refused when missing.

Resource providers register, per lower-cased type key, the SDK model and operation group that
describe it (:data:`SDK_RESOURCES`); a type with no entry is not checked.

Answers (kept as Resource Manager and the network RP give them):

* an api-version that is not a date (``%%%``) → 400 ``InvalidApiVersionParameter``, "The api-version
  '…' is invalid. The supported versions are '…'." with Resource Manager's own versions (as ARM
  answers before routing to a provider);
* a well-formed api-version the type does not have → 400 ``NoRegisteredProviderFound``, "No
  registered resource provider found for location '…' and API version '…' for type '…'. The
  supported api-versions are '…'." (the versions the installed SDKs carry for the type; Azure also
  names its supported locations, which the fake does not know, so that sentence is left out);
* a required property missing from a write → 400 ``InvalidRequestFormat`` "Cannot parse the
  request." with one ``InvalidJson`` detail per property naming its path (the network RP's JSON
  errors; Newtonsoft's "Required property 'x' not found in JSON. Path '…'.").
"""

from __future__ import annotations

import re
from typing import Any

from pytest_mimo.fakes.azure.models.sdkmodels import (
    SdkResource,
    api_versions,
    missing_required,
    shape_of,
    strip_read_only,
)
from pytest_mimo.fakes.azure.responses.common import ArmError
from pytest_mimo.fakes.azure.urls import ArmPath

__all__ = ["SDK_RESOURCES", "ARM_API_VERSIONS", "check_api_version", "writable_body", "supported_api_versions"]

SDK_RESOURCES: dict[str, SdkResource] = {}  #: lower-cased type key -> its SDK model and operation group

#: Resource Manager's own api-versions (resource groups), newest first, as its
#: InvalidApiVersionParameter message lists them (ansible-collections/azure#1739, azure-cli#28038)
ARM_API_VERSIONS = (
    "2024-08-01", "2024-06-01-preview", "2024-03-01", "2023-07-01", "2023-07-01-preview", "2023-03-01-preview",
    "2022-12-01", "2022-11-01-preview", "2022-09-01", "2022-06-01", "2022-05-01", "2022-03-01-preview",
    "2022-01-01", "2021-04-01", "2021-01-01", "2020-10-01", "2020-09-01", "2020-08-01", "2020-07-01",
    "2020-06-01", "2020-05-01", "2020-01-01", "2019-11-01", "2019-10-01", "2019-09-01", "2019-08-01",
    "2019-07-01", "2019-06-01", "2019-05-10", "2019-05-01", "2019-03-01", "2018-11-01", "2018-09-01",
    "2018-08-01", "2018-07-01", "2018-06-01", "2018-05-01", "2018-02-01", "2018-01-01", "2017-12-01",
    "2017-08-01", "2017-06-01", "2017-05-10", "2017-05-01", "2017-03-01", "2016-09-01", "2016-07-01",
    "2016-06-01", "2016-02-01", "2015-11-01", "2015-01-01", "2014-04-01-preview", "2014-04-01",
    "2014-01-01", "2013-03-01", "2014-02-26", "2014-04",
)
_WELL_FORMED = re.compile(r"^\d{4}-\d{2}-\d{2}(-[A-Za-z0-9]+)*$")


def _sdk_for(p: ArmPath) -> SdkResource | None:
    """The SDK entry for a path's resource type; an action (``registries/generateCredentials``)
    and a collection use their resource's."""
    key = p.type_key
    while key:
        found = SDK_RESOURCES.get(key)
        if found is not None:
            return found
        if "/" not in key.split("/", 1)[-1]:
            return None
        key = key.rsplit("/", 1)[0]
    return None


def supported_api_versions(type_key: str) -> tuple[str, ...]:
    """The api-versions the fake serves a resource type at (``microsoft.network/loadbalancers``)."""
    sdk = SDK_RESOURCES.get(type_key.lower())
    if sdk is None:
        raise KeyError(f"no SDK model registered for resource type {type_key!r}")
    return api_versions(sdk)


def _invalid_api_version(version: str) -> ArmError:
    return ArmError(400, "InvalidApiVersionParameter",
                    f"The api-version '{version}' is invalid. The supported versions are '{','.join(ARM_API_VERSIONS)}'.")


def check_api_version(p: ArmPath, version: str, location: str) -> None:
    """Refuse an api-version the resource type does not have (see the module docstring)."""
    if p.namespace is None:
        if version not in ARM_API_VERSIONS:
            raise _invalid_api_version(version)
        return
    if p.types[:1] and p.types[0].lower() == "locations":  # operation status: the version of the operation
        return
    sdk = _sdk_for(p)
    if sdk is None:
        return
    supported = api_versions(sdk)
    if version in supported:
        return
    if not _WELL_FORMED.match(version):
        raise _invalid_api_version(version)
    raise ArmError(400, "NoRegisteredProviderFound",
                   f"No registered resource provider found for location '{location}' and API version '{version}' "
                   f"for type '{'/'.join(p.types)}'. The supported api-versions are '{', '.join(supported)}'.")


def writable_body(p: ArmPath, version: str, body: dict[str, Any], *, check_required: bool = True) -> dict[str, Any]:
    """``body`` as the service reads it: read-only properties dropped (at any depth); a missing
    required property refused. Types without an SDK entry pass unchanged."""
    sdk = SDK_RESOURCES.get(p.type_key)
    if sdk is None:
        return body
    shape = shape_of(sdk, version)
    if check_required:
        missing = missing_required(shape, body)
        if missing:
            details = []
            for path in missing:
                parent, _, name = path.rpartition(".")
                details.append({"code": "InvalidJson",
                                "message": f"Required property '{name}' not found in JSON. Path '{parent}'."})
            raise ArmError(400, "InvalidRequestFormat", "Cannot parse the request.", details=details)
    out = strip_read_only(shape, body)
    assert isinstance(out, dict)
    return out
