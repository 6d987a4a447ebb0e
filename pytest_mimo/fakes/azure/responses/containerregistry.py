"""Microsoft.ContainerRegistry on the wire: registries (read), tokens, generateCredentials.

Token PUT answers 201/200 with ``Azure-AsyncOperation``; token DELETE and
``generateCredentials`` answer 202 with ``Azure-AsyncOperation`` and
``Location`` (the final result of ``generateCredentials`` is served there).
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

from pytest_mimo.fakes.azure.models.containerregistry import (
    apply_credentials,
    build_registry,
    build_token,
    iso_now,
    scope_map_exists,
)
from pytest_mimo.fakes.azure.models.sdkmodels import SdkResource
from pytest_mimo.fakes.azure.responses.arm import (
    ACTIONS,
    KINDS,
    Kind,
    not_found,
    op_url,
    start_operation,
)
from pytest_mimo.fakes.azure.responses.common import (
    ArmError,
    Incoming,
    Reply,
    UnservedRequestError,
    parse_json_body,
)
from pytest_mimo.fakes.azure.responses.sdk import SDK_RESOURCES
from pytest_mimo.fakes.azure.urls import ArmPath, parse_arm_path

if TYPE_CHECKING:
    from pytest_mimo.fakes.azure.serving import AzureServing

__all__ = ["generate_credentials"]


def _registry(fake: AzureServing, rid: str, body: dict[str, Any], old: dict[str, Any] | None, state: str) -> dict[str, Any]:
    return build_registry(rid, body, old, iso_now(fake._now()))


def _token(fake: AzureServing, rid: str, body: dict[str, Any], old: dict[str, Any] | None, state: str) -> dict[str, Any]:
    return build_token(rid, body, old, iso_now(fake._now()), state)


KINDS["microsoft.containerregistry/registries"] = Kind(
    "Microsoft.ContainerRegistry/registries", _registry, methods=frozenset({"GET"}), lro_put=False, lro_delete=False,
)
def _validate_token(fake: AzureServing, rid: str, token: dict[str, Any]) -> None:
    """A token's scope map must be one of its registry's. Azure refuses one that is not, but its
    exact answer is in neither the specs nor their examples: fail the test loudly rather than
    invent it."""
    scope_map = (token.get("properties") or {}).get("scopeMapId")
    registry_id = rid.rsplit("/tokens/", 1)[0]
    if isinstance(scope_map, str) and scope_map and not scope_map_exists(fake.arm.resources, registry_id, scope_map):
        raise UnservedRequestError(
            f"FakeAzure does not serve PUT {rid}: its scopeMapId {scope_map!r} is not a scope map of registry "
            f"{registry_id!r} (a system scope map, or one seeded with FakeAzure.put_resource); Azure refuses this "
            "write and the fake does not model its exact answer")


KINDS["microsoft.containerregistry/registries/tokens"] = Kind(
    "Microsoft.ContainerRegistry/registries/tokens", _token, put_state="Creating", requires_location=False,
    lro_patch=True, validate=_validate_token,
)

SDK_RESOURCES["microsoft.containerregistry/registries"] = SdkResource(
    "azure.mgmt.containerregistry", "Registry", "RegistriesOperations")
SDK_RESOURCES["microsoft.containerregistry/registries/tokens"] = SdkResource(
    "azure.mgmt.containerregistry", "Token", "TokensOperations")


def new_password(fake: AzureServing) -> str:
    return base64.b64encode(fake.rng.getrandbits(256).to_bytes(32, "big")).decode()[:43] + "+ACR"


def generate_credentials(fake: AzureServing, inc: Incoming, p: ArmPath, lro_failed: bool) -> Reply:
    registry_id = p.resource_id()
    if fake.arm.get(registry_id) is None:
        raise not_found(p)
    body = parse_json_body(inc.body)
    if not isinstance(body, dict):
        raise ArmError(400, "InvalidRequestContent", "The request content was invalid and could not be deserialized: "
                       "'expected an object'.")
    token_id = body.get("tokenId")
    if not isinstance(token_id, str) or not token_id:
        raise ArmError(400, "InvalidRequestContent", "The request content was invalid: 'tokenId' is required.")
    tp = parse_arm_path(token_id)
    if (tp is None or not token_id.lower().startswith(registry_id.lower() + "/tokens/") or len(tp.names) != 2):
        raise ArmError(400, "InvalidRequestContent",
                       f"The request content was invalid: tokenId '{token_id}' is not a token of registry '{p.names[0]}'.")
    token = fake.arm.get(token_id)
    if token is None:
        raise not_found(tp)
    name = body.get("name")
    if name not in (None, "password1", "password2"):
        raise ArmError(400, "InvalidRequestContent",
                       f"The request content was invalid: password name '{name}' is not password1 or password2.")
    now = iso_now(fake._now())
    generated = []
    for n in ([name] if name else ["password1", "password2"]):
        pw: dict[str, Any] = {"creationTime": now, "name": n, "value": new_password(fake)}
        if body.get("expiry"):
            pw["expiry"] = body["expiry"]
        generated.append(pw)
    result = {"username": token["name"], "passwords": generated}
    if not lro_failed:
        apply_credentials(token, generated)
        values = fake.arm.hidden.setdefault(token_id.lower(), {})
        for pw in generated:
            values[pw["name"]] = pw["value"]
    op = start_operation(fake, "action", registry_id, p, failed=lro_failed, result=result)
    return Reply(202, {
        "Azure-AsyncOperation": op_url(fake, inc, p, op, "operations"),
        "Location": op_url(fake, inc, p, op, "operationResults"),
        "Retry-After": "10",
        "Content-Length": "0",
    })


ACTIONS["microsoft.containerregistry/registries/generatecredentials"] = (generate_credentials, True)
