"""Internal load balancer zones migration: give the API's internal frontend availability zones.

The Go MIMO's ``MigrateInternalLoadBalancerZonesStep`` over
``pkg/cluster/loadbalancerinternal.go`` ``MigrateInternalLoadBalancerZones``.
Azure fixes a frontend's zones when the frontend is created, and the cluster's
private link service (``<infraID>-pls``) must always use some frontend of the
load balancer, so the zonal frontend is built beside a temporary one:

1. add a temporary zonal frontend ``<unix time>-ip`` (dynamic address in the
   master subnet) and move the private link service to it;
2. remove the old frontend and every load balancing rule;
3. add ``internal-lb-ip-v4`` again, zonal, with the old address
   (``apiserverProfile.intIp``), and its two rules (``api-internal-v4`` 6443,
   ``sint-v4`` 22623);
4. move the private link service back to it;
5. remove the temporary frontend; write the zones into the cluster document.

The zones are the control-plane VM size's zones in the cluster's region (resource
SKUs), 1-3 only unless the environment has ``EnableClusterExpandedAvailabilityZones``.
A frontend that is zonal already, or a VM size with no zones, means nothing to do.
The SSH rules go with step 2: the task runs Fix SSH afterwards to put them back.

Where this differs from Go (README, choices): Go stops as soon as
``internal-lb-ip-v4`` is zonal, so a run interrupted between steps 3 and 5 would
leave the private link service on the temporary frontend for good; here a
temporary frontend still there means steps 4 and 5 (and the document) are
finished, and a zonal frontend with a document that has no zones gets them. The
infra ID defaults to ``aro`` for the private link service and pool names too (Go
uses the raw field there). SKUs are listed with ``location eq '<region>'`` (the
REST API's documented form; Go sends the region unquoted). Errors are one line
(Go joins with a newline). Every error is transient, as in Go.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from mimo.context import TaskContext, get_task_context
from mimo.errors import MIMOError, TerminalError, TransientError
from mimo.steps.azure.fixssh import if_match as _if_match
from mimo.steps.azure.fixssh import load_balancer_names
from mimo.steps.azure.skus import (
    EXPANDED_ZONES_FEATURE,
    check_sku_availability,
    filter_zones,
    select_vm_skus_in_region,
    sku_zones,
)
from mimo.steps.errors import describe

__all__ = ["INTERNAL_LB_FRONTEND_IP_NAME", "TEMPORARY_FRONTEND", "migrate_internal_load_balancer_zones"]

INTERNAL_LB_FRONTEND_IP_NAME = "internal-lb-ip-v4"
#: the temporary frontends step one makes (``<unix time>-ip``)
TEMPORARY_FRONTEND = re.compile(r"^[0-9]+-ip$")
#: Go ``arm.TransientBackoff``: 4 tries, 15 s doubling, capped at 60 s
_RETRY_STEPS = 4
_RETRY_FIRST = 15.0
_RETRY_CAP = 60.0

Resource = dict[str, Any]


def _as_dict(model: Any) -> Resource:
    return dict(model.as_dict()) if hasattr(model, "as_dict") else dict(model)


def _frontends(lb: Resource) -> list[Resource]:
    return list((lb.get("properties") or {}).get("frontendIPConfigurations") or [])


def _zonal_frontend(lb: Resource) -> Resource | None:
    for fe in _frontends(lb):
        if fe.get("name") == INTERNAL_LB_FRONTEND_IP_NAME and fe.get("zones"):
            return fe
    return None


def _pls_frontend_ids(pls: Resource) -> list[str]:
    refs = (pls.get("properties") or {}).get("loadBalancerFrontendIpConfigurations") or []
    return [str(r.get("id", "")) for r in refs if isinstance(r, dict)]


def _retry_after(err: BaseException) -> float:
    response = getattr(err, "response", None)
    headers = getattr(response, "headers", None) or {}
    try:
        value = int(headers.get("Retry-After", "") or 0)
    except (TypeError, ValueError):
        return 0.0
    return float(value) if value > 0 else 0.0


def _is_retryable(err: BaseException) -> bool:
    """Go ``azureerrors.IsRetryableError``: 429, or 409 with ``Retry-After``."""
    status = getattr(err, "status_code", None)
    return status == 429 or (status == 409 and _retry_after(err) > 0)


def _carry_etag(sent: Resource, stored: Resource) -> Resource:
    """The body reused for the next PUT gets the etag of what was stored."""
    if stored.get("etag"):
        sent["etag"] = stored["etag"]
    return stored


def _retryable(tc: TaskContext, fn: Callable[[], Any], desc: str) -> Any:
    """Go ``arm.Retryable``: retry throttling and conflicts on the task's clock."""
    wait = _RETRY_FIRST
    for i in range(_RETRY_STEPS):
        try:
            return fn()
        except Exception as e:
            if not _is_retryable(e) or i == _RETRY_STEPS - 1:
                raise
            sleep = _retry_after(e) or wait
            wait = min(wait * 2, _RETRY_CAP)
            tc.log().warning("error on %s, retrying: %s", desc, describe(e),
                             extra={"retry_after": sleep})
            tc.sleep(sleep)
    raise AssertionError("unreachable")  # pragma: no cover


class _Migration:
    """One run of the migration against one cluster's load balancer and private link service."""

    def __init__(self, tc: TaskContext) -> None:
        self.tc = tc
        self.log = tc.log()
        doc = tc.get_openshift_cluster_document()
        self.props = props = doc.properties
        self.location = doc.location
        self.infra = props.infra_id or "aro"
        self.rg = (props.cluster_profile.resource_group_id or "").rstrip("/").rsplit("/", 1)[-1]
        self.lbs = tc.load_balancers_client()
        self.plss = tc.private_link_services_client()

    # -- reads ------------------------------------------------------------------------------
    def internal_lb(self) -> Resource:
        try:
            name = load_balancer_names(self.props.architecture_version, self.infra)["internal_lb"]
        except TerminalError as e:  # Go: a plain error, made transient by the step
            raise TransientError(e.cause_text) from None
        try:
            return _as_dict(self.lbs.get(self.rg, name))
        except Exception as e:
            raise TransientError(f"error fetching internal load balancer: {describe(e)}") from e

    def pls(self) -> Resource:
        try:
            return _as_dict(self.plss.get(self.rg, f"{self.infra}-pls"))
        except Exception as e:
            raise TransientError(f"failure fetching PLS: {describe(e)}") from e

    def control_plane_zones(self) -> list[str]:
        vm_size = self.props.master_profile.vm_size
        try:
            listing = self.tc.resource_skus_client().list(filter=f"location eq '{self.location}'")
            found = select_vm_skus_in_region(listing, self.location, [vm_size])
        except MIMOError:
            raise
        except Exception as e:
            raise TransientError(describe(e)) from e
        try:
            sku = check_sku_availability(found, self.location, "properties.masterProfile.VMSize", vm_size)
        except Exception as e:
            raise TransientError(f"error determining the VM SKU availability: {e}") from e
        allow = self.tc.environment().feature_is_set(EXPANDED_ZONES_FEATURE)
        return filter_zones(sku_zones(sku), allow_expanded=allow)

    # -- writes -----------------------------------------------------------------------------
    def put_lb(self, lb: Resource, desc: str, failure: str) -> Resource:
        name = str(lb["name"])
        try:
            return _carry_etag(lb, _as_dict(_retryable(
                self.tc, lambda: self.lbs.begin_create_or_update(self.rg, name, lb, **_if_match(lb)).result(),
                f"{desc} {name}")))
        except Exception as e:
            self.log.error("%s: '%s'", failure, describe(e))
            raise TransientError(f"failure updating internal load balancer: {describe(e)}") from e

    def put_pls(self, pls: Resource, frontend_id: str, desc: str) -> Resource:
        pls.setdefault("properties", {})["loadBalancerFrontendIpConfigurations"] = [{"id": frontend_id}]
        try:
            return _carry_etag(pls, _as_dict(_retryable(
                self.tc,
                lambda: self.plss.begin_create_or_update(self.rg, f"{self.infra}-pls", pls, **_if_match(pls)).result(),
                desc,
            )))
        except Exception as e:
            self.log.error("FAILURE IN CRITICAL SECTION - PLS MAY NOW BE DISCONNECTED FROM LB: '%s'", describe(e))
            raise TransientError(f"failure disassociating LB frontend IP from PLS: {describe(e)}") from e

    def save_zones(self, zones: list[str]) -> None:
        def set_zones(doc: Any) -> None:
            doc.properties.zones = list(zones)

        try:
            self.tc.patch_openshift_cluster_document(set_zones)
        except Exception as e:  # Go: transient, whatever the store said
            raise TransientError(f"failure updating cluster doc with load balancer zones: {describe(e)}") from e

    # -- the frontends and rules ------------------------------------------------------------
    def frontend(self, name: str, zones: list[str], address: str | None) -> Resource:
        props: Resource = {"subnet": {"id": self.props.master_profile.subnet_id}}
        if address is None:
            props["privateIPAllocationMethod"] = "Dynamic"
        else:
            props["privateIPAllocationMethod"] = "Static"
            props["privateIPAddress"] = address
        return {"name": name, "zones": list(zones), "properties": props}

    def rules(self, lb_id: str) -> list[Resource]:
        pool = f"{lb_id}/backendAddressPools/{load_balancer_names(self.props.architecture_version, self.infra)['api_pool']}"
        frontend = f"{lb_id}/frontendIPConfigurations/{INTERNAL_LB_FRONTEND_IP_NAME}"

        def rule(name: str, probe: str, port: int, **extra: Any) -> Resource:
            return {"name": name, "properties": {
                "frontendIPConfiguration": {"id": frontend},
                "backendAddressPool": {"id": pool},
                "probe": {"id": f"{lb_id}/probes/{probe}"},
                "protocol": "Tcp",
                "loadDistribution": "Default",
                "frontendPort": port,
                "backendPort": port,
                "idleTimeoutInMinutes": 30,
                **extra,
            }}

        return [rule("api-internal-v4", "api-internal-probe", 6443, disableOutboundSnat=True),
                rule("sint-v4", "sint-probe", 22623)]

    # -- the run ----------------------------------------------------------------------------
    def run(self) -> None:
        lb = self.internal_lb()
        zonal = _zonal_frontend(lb)
        if zonal is not None:
            self.finish(lb, zonal)
            return
        zones = self.control_plane_zones()
        if not zones:
            self.log.info("non-zonal control plane SKU, not adding zone-redundant frontend IP")
            return
        pls = self.pls()
        lb_id = str(lb["id"])
        props = lb.setdefault("properties", {})

        self.log.info("load balancer zonal migration: starting critical section")
        # STEP ONE: a temporary zonal frontend, and the private link service on it
        temp_name = f"{int(self.tc.now().timestamp())}-ip"
        temp = self.frontend(temp_name, zones, None)
        props["frontendIPConfigurations"] = [*_frontends(lb), temp]
        self.put_lb(lb, "adding temporary frontend IP to load balancer", "FAILURE IN CRITICAL SECTION")
        self.log.info("associating temporary frontend IP (%s) to PLS", temp_name)
        self.put_pls(pls, f"{lb_id}/frontendIPConfigurations/{temp_name}", "associating temporary frontend IP to PLS")

        # STEP TWO: the old frontend and every rule go
        props["frontendIPConfigurations"] = [temp]
        props["loadBalancingRules"] = []
        self.log.info("removing old frontend IP")
        self.put_lb(lb, "removing old frontend IP from load balancer",
                    "FAILURE IN CRITICAL SECTION - API-INT RULES MAY NOW BE MISSING")

        # STEP THREE: the zonal frontend with the old address, and its rules
        new = self.frontend(INTERNAL_LB_FRONTEND_IP_NAME, zones, self.props.apiserver_profile.int_ip)
        props["frontendIPConfigurations"] = [temp, new]
        props["loadBalancingRules"] = self.rules(lb_id)
        self.log.info("updating internal load balancer with zone-redundant frontend IP")
        done = self.put_lb(lb, "updating load balancer with zone-redundant frontend IP",
                           "FAILURE IN CRITICAL SECTION - API-INT RULES MAY NOW BE MISSING")
        self.finish(done, _zonal_frontend(done) or new, pls)

    def finish(self, lb: Resource, zonal: Resource, pls: Resource | None = None) -> None:
        """Steps four and five, and the document, each only when not done yet. With no temporary
        frontend left the migration is over (Go's test: the frontend is zonal): the private link
        service is not even read."""
        zonal_id = f"{lb['id']}/frontendIPConfigurations/{INTERNAL_LB_FRONTEND_IP_NAME}"
        zones = [str(z) for z in zonal.get("zones") or []]
        temporary = [fe for fe in _frontends(lb) if TEMPORARY_FRONTEND.match(str(fe.get("name", "")))]
        if not temporary:
            self.log.info("internal load balancer frontend IP already zone-redundant, no need to continue")
            if not self.props.zones:  # a run that stopped before the document was written
                self.save_zones(zones)
            return
        # STEP FOUR: the private link service back on the zonal frontend
        pls = pls if pls is not None else self.pls()
        if [x.lower() for x in _pls_frontend_ids(pls)] != [zonal_id.lower()]:
            self.log.info("reassociating frontend IP with PLS")
            self.put_pls(pls, zonal_id, "reassociating frontend IP with PLS")
        # STEP FIVE: the temporary frontend goes
        self.log.info("cleaning up temporary frontend IP")
        lb.setdefault("properties", {})["frontendIPConfigurations"] = [
            fe for fe in _frontends(lb) if fe not in temporary
        ]
        self.put_lb(lb, "cleaning up temporary frontend IP from load balancer",
                    "FAILURE IN CRITICAL SECTION - API-INT RULES MAY NOW BE MISSING")
        self.log.info("critical section complete, api-int migrated")
        self.save_zones(zones)


def migrate_internal_load_balancer_zones(tc: TaskContext) -> None:
    """Make the internal load balancer's API frontend zonal (see the module docstring)."""
    tc = get_task_context(tc)
    _Migration(tc).run()
