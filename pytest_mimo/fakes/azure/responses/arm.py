"""Azure Resource Manager's front door: authentication, api-version, subscription,
resource group, routing to the resource providers, long-running operations, paging.

Resource providers (``network``, ``compute``, ``containerregistry``) register
their resource :class:`Kind` s, actions and subscription-level lists here.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from pytest_mimo.fakes.azure.models.arm import Operation
from pytest_mimo.fakes.azure.responses.common import (
    ArmError,
    Incoming,
    Reply,
    UnservedRequestError,
    json_reply,
    parse_json_body,
)
from pytest_mimo.fakes.azure.responses.sdk import check_api_version, writable_body
from pytest_mimo.fakes.azure.urls import ArmPath, parse_arm_path

if TYPE_CHECKING:
    from pytest_mimo.fakes.azure.serving import AzureServing

__all__ = ["Kind", "KINDS", "ACTIONS", "SUBSCRIPTION_LISTS", "classify", "handle", "not_found", "start_operation"]

Builder = Callable[["AzureServing", str, dict[str, Any], "dict[str, Any] | None", str], dict[str, Any]]
ActionHandler = Callable[["AzureServing", Incoming, ArmPath, bool], Reply]
ListHandler = Callable[["AzureServing", Incoming, ArmPath], Reply]


@dataclass(frozen=True)
class Kind:
    """A resource type the fake serves."""

    full_type: str  #: canonical, e.g. Microsoft.Network/loadBalancers
    build: Builder  #: stored form of a PUT body: (fake, id, body, old, provisioningState)
    methods: frozenset[str] = frozenset({"GET", "PUT", "DELETE", "PATCH"})
    lro_put: bool = True
    lro_delete: bool = True
    lro_patch: bool = False  #: network PATCH (tags) is synchronous; ACR token PATCH is long-running
    put_state: str = "Updating"  #: provisioningState while the PUT runs
    requires_location: bool = True
    retry_after: int = 10
    validate: Callable[[AzureServing, str, dict[str, Any]], None] | None = None  #: on PUT, may raise ArmError
    check_delete: Callable[[AzureServing, dict[str, Any]], None] | None = None  #: on DELETE, may raise ArmError
    view: Callable[[AzureServing, dict[str, Any]], dict[str, Any]] | None = None  #: how GET shows a stored body
    #: writes while an operation on the resource runs get 429 RetryableErrorDueToAnotherOperation (network RP)
    locks_while_running: bool = False
    #: a child kept inside its parent's body, in ``properties[embedded_in]`` (a virtual network's subnets):
    #: GET and list read it from there
    embedded_in: str | None = None


KINDS: dict[str, Kind] = {}  #: lower-cased type (nested types joined with /) -> Kind
ACTIONS: dict[str, tuple[ActionHandler, bool]] = {}  #: "<type>/<action>" -> (handler, is_lro)
SUBSCRIPTION_LISTS: dict[str, ListHandler] = {}  #: lower-cased type -> list handler

_MAX_BODY = 4 * 1024 * 1024  #: ARM's request body limit (4 MB)
_ARM_AUDIENCES_EXTRA = ("https://management.core.windows.net",)


def _unserved(inc: Incoming, why: str) -> Exception:
    return UnservedRequestError(f"FakeAzure does not serve {inc.method} {inc.url.raw}: {why}")


# -- classification (for the fault hook and the request log) ----------------------------------
def classify(fake: AzureServing, inc: Incoming) -> tuple[str, str, bool, bool]:
    """(verb, resource, is_write, is_lro) of an ARM request; a poll names the operation's resource."""
    p = parse_arm_path(inc.url.path)
    if p is None:
        return inc.method.lower(), inc.url.path.lower(), inc.method != "GET", False
    if p.namespace is not None and p.types[:1] and p.types[0].lower() == "locations" and len(p.types) == 2:
        op = fake.arm.operations.get(p.names[-1].lower()) if len(p.names) == 2 else None
        return "lro_poll", (op.resource_id if op else inc.url.path.lower()), False, False
    rid = (p.collection_id() if p.is_collection else p.resource_id()).lower()
    m = inc.method
    if m == "GET":
        return ("list" if p.is_collection or p.namespace is None and p.resource_group is None else "get"), rid, False, False
    if m == "POST" and p.is_collection and p.namespace is not None:
        entry = ACTIONS.get(p.type_key)
        parent = p.resource_id().lower()
        return "action", parent, True, bool(entry and entry[1])
    kind = KINDS.get(p.type_key)
    if m == "PUT":
        return "create_or_update", rid, True, bool(kind and kind.lro_put)
    if m == "DELETE":
        return "delete", rid, True, bool(kind and kind.lro_delete)
    if m == "PATCH":
        return "update", rid, True, bool(kind and kind.lro_patch)
    return m.lower(), rid, m != "HEAD", False


# -- errors ---------------------------------------------------------------------------------
def not_found(p: ArmPath, upto: int | None = None) -> ArmError:
    n = len(p.names) if upto is None else upto
    parts = [p.namespace or ""]
    for t, name in zip(p.types[:n], p.names[:n], strict=False):
        parts += [t, name]
    return ArmError(
        404,
        "ResourceNotFound",
        f"The Resource '{'/'.join(parts)}' under resource group '{p.resource_group}' was not found. "
        "For more details please go to https://aka.ms/ARMResourceNotFoundFix",
    )


def _group_not_found(name: str) -> ArmError:
    return ArmError(404, "ResourceGroupNotFound", f"Resource group '{name}' could not be found.")


def _check_auth(fake: AzureServing, inc: Incoming) -> None:
    issued, why = fake.directory.lookup(inc.headers.get("Authorization"))
    challenge = 'Bearer authorization_uri="{}", error="invalid_token", error_description="{}"'
    auth_uri = f"{fake.cloud.authority_host.rstrip('/')}/{fake.tenant_id}"
    if why == "missing":
        raise ArmError(
            401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.",
            {"WWW-Authenticate": challenge.format(auth_uri, "The authentication failed because of missing 'Authorization' header.")},
        )
    if issued is None:
        raise ArmError(401, "InvalidAuthenticationToken", "The access token is invalid.",
                       {"WWW-Authenticate": challenge.format(auth_uri, "The access token is invalid.")})
    if why == "expired":
        raise ArmError(401, "ExpiredAuthenticationToken",
                       f"The access token expiry UTC time '{_us_time(issued.expires_on)}' is earlier than current "
                       f"UTC time '{_us_time(fake._now())}'.",
                       {"WWW-Authenticate": challenge.format(auth_uri, "The access token has expired.")})
    allowed = {fake.cloud.resource_manager.rstrip("/"), *_ARM_AUDIENCES_EXTRA}
    if issued.audience.rstrip("/") not in allowed:
        raise ArmError(
            401, "InvalidAuthenticationTokenAudience",
            f"The access token has been obtained for wrong audience or resource '{issued.audience}'. It should "
            f"exactly match with one of the allowed audiences {', '.join(repr(a) for a in sorted(allowed))}.",
        )


def _us_time(ts: float) -> str:
    """ARM's time format in auth errors: ``1/5/2026 1:00:00 AM``."""
    t = datetime.fromtimestamp(ts, timezone.utc)
    hour = t.hour % 12 or 12
    return f"{t.month}/{t.day}/{t.year} {hour}:{t.minute:02d}:{t.second:02d} {'AM' if t.hour < 12 else 'PM'}"


# -- the front door -----------------------------------------------------------------------------
def handle(fake: AzureServing, inc: Incoming, lro_failed: bool) -> Reply:
    try:
        _check_auth(fake, inc)
        if inc.body is not None and len(inc.body) > _MAX_BODY:
            raise ArmError(413, "RequestEntityTooLarge", "The request content size exceeds the maximum size of 4 MB.")
        if not inc.url.query.get("api-version"):
            raise ArmError(400, "MissingApiVersionParameter",
                           "The api-version query parameter (?api-version=) is required for all requests.")
        p = parse_arm_path(inc.url.path)
        if p is None:
            raise ArmError(404, "InvalidResourceType",
                           f"The resource type '{inc.url.path.strip('/').split('/')[0]}' could not be found "
                           f"for api version '{inc.url.query['api-version']}'.")
        if p.subscription.lower() not in fake.arm.subscriptions:
            raise ArmError(404, "SubscriptionNotFound", f"The subscription '{p.subscription}' could not be found.")
        group = fake.arm.group(p.resource_group, p.subscription) if p.resource_group else None
        check_api_version(p, inc.url.query["api-version"], group.location if group else "global")
        fake.arm.settle()
        return _route(fake, inc, p, lro_failed)
    except ArmError as e:
        return e.reply()


def _route(fake: AzureServing, inc: Incoming, p: ArmPath, lro_failed: bool) -> Reply:
    m = inc.method
    if p.namespace is None:
        if p.resource_group is not None and not p.extra:
            return _resource_group(fake, inc, p)
        raise _unserved(inc, "only resource groups and provider resources are faked")
    if p.types[:1] and p.types[0].lower() == "locations" and len(p.types) == 2 and len(p.names) == 2:
        return _operation(fake, inc, p)
    if p.resource_group is None:
        if m == "GET" and p.is_collection and len(p.types) == 1:
            handler = SUBSCRIPTION_LISTS.get(p.type_key)
            if handler is not None:
                return handler(fake, inc, p)
            if p.type_key in KINDS:
                return page(fake, inc, _view(fake, KINDS[p.type_key], fake.arm.of_type(p.type_key, p.subscription)))
        raise _invalid_type(inc, p)
    if fake.arm.group(p.resource_group, p.subscription) is None:
        raise _group_not_found(p.resource_group)
    if m == "POST" and p.is_collection and len(p.types) >= 2:
        entry = ACTIONS.get(p.type_key)
        if entry is None:
            raise _invalid_type(inc, p)
        return entry[0](fake, inc, p, lro_failed)
    kind = KINDS.get(p.type_key)
    if kind is None:
        raise _invalid_type(inc, p)
    if m not in kind.methods and not (m == "GET"):
        raise _unserved(inc, f"{m} on {kind.full_type} is not implemented by the fake")
    if m == "GET" and "$expand" in inc.url.query:
        raise _unserved(inc, f"$expand on {kind.full_type} is not implemented by the fake")
    if kind.embedded_in is not None:
        return _embedded(fake, inc, p, kind, kind.embedded_in)
    if p.is_collection:
        if m != "GET":
            raise ArmError(405, "MethodNotAllowed", f"The requested method {m} is not allowed on a collection.")
        if len(p.types) > 1:
            if fake.arm.get(p.resource_id()) is None:
                raise not_found(p)
            return page(fake, inc, _view(fake, kind, fake.arm.children(p.resource_id(), p.types[-1])))
        return page(fake, inc, _view(fake, kind, fake.arm.in_group(p.resource_group, p.type_key, p.subscription)))
    rid = p.resource_id()
    if m == "GET":
        body = fake.arm.get(rid)
        if body is None:
            raise not_found(p)
        return json_reply(200, kind.view(fake, body) if kind.view else body)
    if m == "PUT":
        return _put(fake, inc, p, kind, lro_failed)
    if m == "DELETE":
        return _delete(fake, inc, p, kind, lro_failed)
    if m == "PATCH":
        return _patch(fake, inc, p, kind, lro_failed)
    raise _unserved(inc, f"{m} on {kind.full_type} is not implemented by the fake")


def _embedded(fake: AzureServing, inc: Incoming, p: ArmPath, kind: Kind, collection: str) -> Reply:
    """GET or list of a child its parent keeps in its body (``virtualNetworks/{vnet}/subnets``)."""
    if inc.method != "GET":
        raise _unserved(inc, f"{inc.method} on {kind.full_type} is not implemented by the fake")
    parent_id = p.resource_id(len(p.names) if p.is_collection else len(p.names) - 1)
    parent = fake.arm.get(parent_id)
    if parent is None:
        raise not_found(p, len(p.names) if p.is_collection else len(p.names) - 1)
    parent_kind = KINDS.get(_type_key_of(parent_id))
    if parent_kind is not None and parent_kind.view is not None:
        parent = parent_kind.view(fake, parent)
    items = [x for x in ((parent.get("properties") or {}).get(collection) or []) if isinstance(x, dict)]
    if p.is_collection:
        return page(fake, inc, items)
    for item in items:
        if str(item.get("name", "")).lower() == p.names[-1].lower():
            return json_reply(200, item)
    raise not_found(p)


def _view(fake: AzureServing, kind: Kind | None, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if kind is None or kind.view is None:
        return items
    view = kind.view
    return [view(fake, x) for x in items]


def _invalid_type(inc: Incoming, p: ArmPath) -> Exception:
    """A resource type, list or action the fake does not model. Azure has far more types than the
    fake knows, so a 404 ``InvalidResourceType`` (or ``ResourceNotFound``) would tell a step
    "not there" where Azure would answer: fail the test instead, naming the URL."""
    return _unserved(inc, f"resource type '{p.namespace}/{'/'.join(p.types)}' is not faked")


def _resource_group(fake: AzureServing, inc: Incoming, p: ArmPath) -> Reply:
    assert p.resource_group is not None
    rg_id = f"/subscriptions/{p.subscription}/resourceGroups/{p.resource_group}"
    if inc.method == "GET":
        g = fake.arm.group(p.resource_group, p.subscription)
        if g is None:
            raise _group_not_found(p.resource_group)
        return json_reply(200, {"id": rg_id, "name": g.name, "type": "Microsoft.Resources/resourceGroups",
                                "location": g.location, "properties": {"provisioningState": "Succeeded"}})
    if inc.method == "PUT":
        body = parse_json_body(inc.body)
        if not isinstance(body, dict) or not body.get("location"):
            raise ArmError(400, "LocationRequired", "The location property is required for this definition.")
        existed = fake.arm.group(p.resource_group, p.subscription) is not None
        g = fake.arm.add_group(p.resource_group, str(body["location"]), p.subscription)
        return json_reply(200 if existed else 201, {"id": rg_id, "name": g.name, "type": "Microsoft.Resources/resourceGroups",
                                                     "location": g.location, "properties": {"provisioningState": "Succeeded"}},
                          None if existed else {"Retry-After": "10"})
    raise _unserved(inc, "only GET and PUT of resource groups are faked")


# -- writes -------------------------------------------------------------------------------------
_PRECONDITION = "The condition specified using HTTP conditional header(s) is not met."


def _check_if_match(inc: Incoming, old: dict[str, Any] | None) -> None:
    """If-Match / If-None-Match as the ARM RPC's Addendum.md "ETags for Resources" tables say:
    PUT If-Match on a missing resource, If-Match not the current etag, If-None-Match ``*`` on an
    existing resource (or the current etag) → 412 PreconditionFailed. (PATCH and DELETE of a
    missing resource answer 404 / 204 before this check.)"""
    have = (old or {}).get("etag")
    want = inc.headers.get("If-Match")
    if want is not None and not (want.strip() == "*" and old is not None) and (have is None or want != have):
        raise ArmError(412, "PreconditionFailed", _PRECONDITION)
    none_match = inc.headers.get("If-None-Match")
    if none_match is not None and old is not None and (none_match.strip() == "*" or none_match == have):
        raise ArmError(412, "PreconditionFailed", _PRECONDITION)


def _check_not_locked(fake: AzureServing, inc: Incoming, p: ArmPath, kind: Kind, rid: str) -> None:
    """The network RP refuses a write to a resource while an operation on it runs (429, retryable)."""
    if not kind.locks_while_running:
        return
    key = rid.lower()
    for op_id in fake.arm.pending:  # settled before routing: only operations still running
        op = fake.arm.operations[op_id]
        if op.resource_id == key:
            raise ArmError(
                429, "RetryableErrorDueToAnotherOperation",
                f"Operation {inc.method} on resource {rid} is not allowed because another operation "
                f"({op.id}) is in progress on it. To retrieve status of the operation use uri: "
                f"{op_url(fake, inc, p, op, 'operations')}. Retry the request after some time.",
                {"Retry-After": str(kind.retry_after)},
            )


def _put(fake: AzureServing, inc: Incoming, p: ArmPath, kind: Kind, lro_failed: bool) -> Reply:
    body = parse_json_body(inc.body)
    if not isinstance(body, dict):
        raise ArmError(400, "InvalidRequestContent",
                       "The request content was invalid and could not be deserialized: 'The JSON value could not "
                       "be converted to a resource definition: expected an object.'.")
    for key in ("properties", "tags", "sku"):
        if key in body and body[key] is not None and not isinstance(body[key], dict):
            raise ArmError(400, "InvalidRequestContent",
                           "The request content was invalid and could not be deserialized: 'Error converting value "
                           f"to type for property '{key}': expected an object.'.")
    if len(p.names) > 1 and fake.arm.get(p.resource_id(len(p.names) - 1)) is None:
        raise ArmError(404, "ParentResourceNotFound",
                       f"Can not perform requested operation on nested resource. Parent resource "
                       f"'{'/'.join(p.names[:-1])}' not found.")
    if kind.requires_location and not body.get("location"):
        raise ArmError(400, "LocationRequired", "The location property is required for this definition.")
    body = writable_body(p, inc.url.query["api-version"], body)
    rid = p.resource_id()
    _check_not_locked(fake, inc, p, kind, rid)
    old = fake.arm.get(rid)
    _check_if_match(inc, old)
    state = (kind.put_state if old is None else "Updating") if kind.lro_put else "Succeeded"
    new = kind.build(fake, rid, body, old, state)
    if kind.validate is not None:
        kind.validate(fake, rid, new)
    status = 201 if old is None else 200
    if not kind.lro_put:
        fake.arm.put(rid, new)
        return json_reply(status, kind.view(fake, new) if kind.view else new)
    fake.arm.put(rid, new)
    op = start_operation(fake, "put", rid, p, failed=lro_failed, previous=old)
    return json_reply(status, kind.view(fake, new) if kind.view else new, {
        "Azure-AsyncOperation": op_url(fake, inc, p, op, "operations"),
        "Retry-After": str(kind.retry_after),
    })


def _merge(old: Any, patch: Any) -> Any:
    """JSON merge-patch (RFC 7396) of a PATCH body into the stored resource: objects merge, ``null``
    removes, the rest replaces — except ``tags``, which a PATCH replaces whole (ARM RPC,
    resource-api-reference.md "Patch Resource": tag1+tag2 PATCHed with tag3 gives tag3)."""
    out = _merge_patch(old, patch)
    if isinstance(patch, dict) and isinstance(out, dict) and isinstance(patch.get("tags"), dict):
        out["tags"] = copy.deepcopy(patch["tags"])
    return out


def _merge_patch(old: Any, patch: Any) -> Any:
    if not isinstance(old, dict) or not isinstance(patch, dict):
        return copy.deepcopy(patch) if not isinstance(patch, dict) else {
            k: _merge_patch(None, v) for k, v in patch.items() if v is not None}
    out = dict(old)
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = _merge_patch(old.get(k), v)
    return out


def _patch(fake: AzureServing, inc: Incoming, p: ArmPath, kind: Kind, lro_failed: bool) -> Reply:
    body = parse_json_body(inc.body)
    if not isinstance(body, dict):
        raise ArmError(400, "InvalidRequestContent",
                       "The request content was invalid and could not be deserialized: 'expected an object'.")
    rid = p.resource_id()
    old = fake.arm.get(rid)
    if old is None:
        raise not_found(p)
    _check_if_match(inc, old)
    body = writable_body(p, inc.url.query["api-version"], body, check_required=False)
    state = "Updating" if kind.lro_patch else "Succeeded"
    new = kind.build(fake, rid, _merge(old, body), old, state)
    if kind.validate is not None:
        kind.validate(fake, rid, new)
    shown = kind.view(fake, new) if kind.view else new
    if not kind.lro_patch:
        fake.arm.put(rid, new)
        return json_reply(200, shown)
    fake.arm.put(rid, new)
    op = start_operation(fake, "put", rid, p, failed=lro_failed, previous=old)
    return json_reply(200, shown, {
        "Azure-AsyncOperation": op_url(fake, inc, p, op, "operations"),
        "Retry-After": str(kind.retry_after),
    })


def _delete(fake: AzureServing, inc: Incoming, p: ArmPath, kind: Kind, lro_failed: bool) -> Reply:
    rid = p.resource_id()
    old = fake.arm.get(rid)
    if old is None:
        return Reply(204, {})
    _check_not_locked(fake, inc, p, kind, rid)
    _check_if_match(inc, old)
    if kind.check_delete is not None:
        kind.check_delete(fake, old)
    if not kind.lro_delete:
        fake.arm.delete(rid)
        return Reply(200, {})
    old.setdefault("properties", {})["provisioningState"] = "Deleting"
    op = start_operation(fake, "delete", rid, p, failed=lro_failed)
    return Reply(202, {
        "Azure-AsyncOperation": op_url(fake, inc, p, op, "operations"),
        "Location": op_url(fake, inc, p, op, "operationResults"),
        "Retry-After": str(kind.retry_after),
        "Content-Length": "0",
    })


# -- long-running operations ----------------------------------------------------------------------
def start_operation(fake: AzureServing, kind: str, rid: str, p: ArmPath, *, failed: bool, result: Any = None,
                    previous: dict[str, Any] | None = None) -> Operation:
    g = fake.arm.group(p.resource_group or "", p.subscription)
    op = Operation(
        id=fake._new_uuid(),
        kind=kind,
        resource_id=rid.lower(),
        done_at=fake._now() + fake.lro_seconds,
        location=(g.location if g else "eastus"),
        namespace=p.namespace or "",
        subscription=p.subscription,
        outcome="Failed" if failed else "Succeeded",
        result=result,
        previous=copy.deepcopy(previous),
    )
    return fake.arm.start(op)


def op_url(fake: AzureServing, inc: Incoming, p: ArmPath, op: Operation, what: str) -> str:
    return (
        f"{fake.cloud.resource_manager.rstrip('/')}/subscriptions/{op.subscription or fake.subscription_id}/providers/"
        f"{p.namespace}/locations/{op.location}/{what}/{op.id}?api-version={inc.url.query.get('api-version', '')}"
    )


def _operation(fake: AzureServing, inc: Incoming, p: ArmPath) -> Reply:
    what = p.types[1].lower()
    op = fake.arm.operations.get(p.names[1].lower())
    if inc.method != "GET" or what not in ("operations", "operationresults") or op is None:
        raise ArmError(404, "OperationNotFound" if op is None else "InvalidResourceType",
                       f"The operation '{p.names[1]}' could not be found.")
    status = op.status(fake._now())
    if what == "operations":
        body: dict[str, Any] = {"id": inc.url.path, "name": op.id, "status": status}
        if status == "InProgress":
            return json_reply(200, body, {"Retry-After": "10"})
        if status == "Failed":
            body["error"] = {"code": "InternalServerError",
                             "message": "The long-running operation failed (fault lro_failed injected by pytest_mimo)."}
        return json_reply(200, body)
    if status == "InProgress":
        return Reply(202, {"Location": inc.url.raw, "Retry-After": "10", "Content-Length": "0"})
    if status == "Failed":
        raise ArmError(500, "InternalServerError",
                       "The long-running operation failed (fault lro_failed injected by pytest_mimo).")
    if op.kind == "action":
        return json_reply(200, op.result)
    if op.kind == "put":
        body2 = fake.arm.get(op.resource_id)
        if body2 is not None:
            kind = KINDS.get(_type_key_of(op.resource_id))
            return json_reply(200, kind.view(fake, body2) if kind and kind.view else body2)
    return Reply(204, {})


def _type_key_of(resource_id: str) -> str:
    p = parse_arm_path(resource_id)
    return p.type_key if p is not None else ""


# -- paging -------------------------------------------------------------------------------------
def page(fake: AzureServing, inc: Incoming, items: list[dict[str, Any]]) -> Reply:
    try:
        start = int(inc.url.query.get("$skiptoken", "0") or 0)
    except ValueError:
        raise ArmError(400, "InvalidSkipToken", "The skip token is not valid.") from None
    size = fake.page_size
    out: dict[str, Any] = {"value": items[start : start + size]}
    if start + size < len(items):
        base = inc.url.raw.split("?", 1)[0]
        q = {k: v for k, v in inc.url.query.items() if k != "$skiptoken"}
        q["$skiptoken"] = str(start + size)
        qs = "&".join(f"{quote(k, safe='$')}={quote(v, safe='$')}" for k, v in q.items())
        out["nextLink"] = f"{base}?{qs}"
    return json_reply(200, out)

