"""Tasks with planted bugs, and their correct versions, for the replay tests.

Written as a task author would, against the TaskContext only. Loaded into
pytester runs with ``pytester.copy_example``-like text copies (see test_replay).
"""

from __future__ import annotations

import base64
import time

from kubernetes.client.exceptions import ApiException

from mimo import TerminalError, TransientError, action, condition, get_task_context, run_steps
from mimo.kube import is_already_exists, is_conflict, is_not_found, retry_on_conflict
from pytest_mimo import defaults, mimo_invariant

CO = ("config.openshift.io/v1", "ClusterOperator", "kube-apiserver")


def _classify(e: Exception, what: str) -> Exception:
    if isinstance(e, ApiException) and is_not_found(e):
        return TerminalError(f"{what}: {e.reason}")
    return TransientError(e)


# -- (a) create without handling AlreadyExists ------------------------------------------------
MARKER = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "marker", "namespace": "openshift-config"},
          "data": {"owner": "mimo"}}


def create_marker_buggy(tc: object) -> None:
    tc = get_task_context(tc)
    try:
        tc.client_helper().create(dict(MARKER))
    except Exception as e:  # AlreadyExists after a lost response is retried for ever
        raise TransientError(e) from e


def create_marker(tc: object) -> None:
    tc = get_task_context(tc)
    try:
        tc.client_helper().create(dict(MARKER))
    except Exception as e:
        if isinstance(e, ApiException) and is_already_exists(e):
            return
        raise _classify(e, "marker") from e


# -- (b) a 503 called terminal ------------------------------------------------------------------
def check_apiserver_strict(tc: object) -> None:
    tc = get_task_context(tc)
    try:
        tc.client_helper().get_one(*CO)
    except ApiException as e:
        raise TerminalError(e) from e  # every API error terminal: a 503 too
    except Exception as e:
        raise TransientError(e) from e


def check_apiserver(tc: object) -> None:
    tc = get_task_context(tc)
    try:
        tc.client_helper().get_one(*CO)
    except Exception as e:
        raise _classify(e, "kube-apiserver") from e


# -- (c) a raw ApiException escapes -------------------------------------------------------------
def check_apiserver_raw(tc: object) -> None:
    get_task_context(tc).client_helper().get_one(*CO)


# -- (d) not idempotent: appends on every run -------------------------------------------------
def append_run(tc: object) -> None:
    tc = get_task_context(tc)
    kube = tc.client_helper()

    def once() -> None:
        cm = kube.get_one("v1", "ConfigMap", "runs", "openshift-config")
        cm.setdefault("data", {})["runs"] = cm.get("data", {}).get("runs", "") + "x"
        kube.update(cm)

    try:
        retry_on_conflict(once)
    except Exception as e:
        raise _classify(e, "runs") from e


def set_run(tc: object) -> None:
    tc = get_task_context(tc)
    kube = tc.client_helper()

    def once() -> None:
        cm = kube.get_one("v1", "ConfigMap", "runs", "openshift-config")
        if cm.get("data", {}).get("runs") == "x":
            return
        cm.setdefault("data", {})["runs"] = "x"
        kube.update(cm)

    try:
        retry_on_conflict(once)
    except Exception as e:
        if isinstance(e, ApiException) and is_conflict(e):
            raise TransientError(e) from e
        raise _classify(e, "runs") from e


# -- (l) a conflict retry that re-sends its stale read ---------------------------------------------
def set_run_stale_retry(tc: object) -> None:
    tc = get_task_context(tc)
    kube = tc.client_helper()
    try:
        cm = kube.get_one("v1", "ConfigMap", "runs", "openshift-config")
        if cm.get("data", {}).get("runs") == "x":
            return
        cm.setdefault("data", {})["runs"] = "x"
        for _ in range(5):
            try:
                kube.update(cm)
                return
            except ApiException as e:
                if not is_conflict(e):
                    raise
                # only the resourceVersion is refreshed: the body is still the read from before the 409
                live = kube.get_one("v1", "ConfigMap", "runs", "openshift-config")
                cm["metadata"]["resourceVersion"] = live["metadata"]["resourceVersion"]
        raise TransientError("runs: conflicts")
    except Exception as e:
        raise _classify(e, "runs") from e


# -- (m) a lost update on the cluster document ------------------------------------------------
PLANTED_FLAG = "aro.planted.enabled"


def set_flag_from_stale_read(tc: object) -> None:
    import copy

    tc = get_task_context(tc)
    props = tc.get_openshift_cluster_properties()  # read once, at the start
    if props.operator_flags.get(PLANTED_FLAG) == "true":
        return
    stale = copy.deepcopy(props)
    stale.operator_flags[PLANTED_FLAG] = "true"

    def mutate(doc) -> None:
        doc.properties = stale  # the whole properties as read before: another writer's change is lost

    try:
        tc.patch_openshift_cluster_document(mutate)
    except Exception as e:
        raise TransientError(e) from e


def set_flag(tc: object) -> None:
    tc = get_task_context(tc)
    if tc.get_openshift_cluster_properties().operator_flags.get(PLANTED_FLAG) == "true":
        return

    def mutate(doc) -> None:
        doc.properties.operator_flags[PLANTED_FLAG] = "true"  # on the document the store hands over

    try:
        tc.patch_openshift_cluster_document(mutate)
    except Exception as e:
        raise TransientError(e) from e


# -- (n) a host paused past its lease writes when it resumes --------------------------------------
def release_lock(tc: object) -> None:
    tc = get_task_context(tc)
    try:
        tc.client_helper().delete("v1", "ConfigMap", "mimo-lock", "openshift-config")
    except Exception as e:
        if isinstance(e, ApiException) and is_not_found(e):
            return
        raise _classify(e, "mimo-lock") from e


def cleanup_in_finally(tc, manifest, cluster) -> None:
    try:
        run_steps(tc, [action(check_apiserver), action(set_run)])
    finally:
        release_lock(tc)  # runs after LeaseLost too: a host that no longer owns the manifest writes


def cleanup_as_a_step(tc, manifest, cluster) -> None:
    """The correct twin: the clean-up is a step, so the lease is checked before it."""
    run_steps(tc, [action(check_apiserver), action(set_run), action(release_lock)])


# -- (e) really sleeps / waits past the deadline -----------------------------------------------
def wait_too_long(tc: object) -> None:
    get_task_context(tc)
    time.sleep(2 * 3600)  # a real sleep, not tc.sleep: nothing stops it at the deadline


def wait_briefly(tc: object) -> None:
    get_task_context(tc).sleep(30)


# -- (f) an infinite wait: a readiness loop with no timeout ------------------------------------
def _etcd_settled(tc: object) -> bool:
    tc = get_task_context(tc)
    try:
        co = tc.client_helper().get_one("config.openshift.io/v1", "ClusterOperator", "etcd")
    except Exception as e:
        raise _classify(e, "etcd") from e
    conds = {c["type"]: c["status"] for c in co.get("status", {}).get("conditions", [])}
    return conds.get("Progressing") == "False"


def wait_etcd_forever(tc: object) -> None:
    while not _etcd_settled(tc):  # etcd keeps Progressing: this never ends
        time.sleep(30)


def etcd_settled(tc: object) -> bool:
    return _etcd_settled(tc)


def wait_etcd_bounded(tc, manifest, cluster) -> None:
    """The correct twin: a condition with a timeout, going on after it (``fail=False``)."""
    run_steps(tc, [condition(etcd_settled, timeout=600, fail=False), action(check_apiserver)])


# -- (g) a real sleep in a step ----------------------------------------------------------------
def settle_with_time_sleep(tc: object) -> None:
    time.sleep(30)  # blocks the host; the deadline is not looked at
    check_apiserver(tc)


def settle_with_tc_sleep(tc: object) -> None:
    get_task_context(tc).sleep(30)
    check_apiserver(tc)


# -- (h) the second run always fails ------------------------------------------------------------
def create_marker_once_only(tc: object) -> None:
    tc = get_task_context(tc)
    try:
        tc.client_helper().create(dict(MARKER))
    except Exception as e:
        if isinstance(e, ApiException) and is_already_exists(e):
            raise TerminalError("marker already exists: refusing to run twice") from e
        raise _classify(e, "marker") from e


# -- (i) an unconditional PUT: the load balancer is reprogrammed on every run ---------------------
LB_RG = "planted-rg"
LB_NAME = "planted-internal"
LB_ID = (f"/subscriptions/{defaults.SUBSCRIPTION_ID}/resourceGroups/{LB_RG}"
         f"/providers/Microsoft.Network/loadBalancers/{LB_NAME}")


def _azure_error(e: Exception, what: str) -> Exception:
    from azure.core.exceptions import AzureError, ResourceNotFoundError

    if isinstance(e, ResourceNotFoundError):
        return TerminalError(f"{what} not found")
    if isinstance(e, AzureError):  # HTTP errors and connection errors alike
        return TransientError(e)
    return e


def tag_lb_always(tc: object) -> None:
    tc = get_task_context(tc)
    lbs = tc.load_balancers_client()
    try:
        lb = lbs.get(LB_RG, LB_NAME)
        lb.tags = {**(lb.tags or {}), "maintained-by": "mimo"}
        # even when the tag is there already (conditional on the etag read, as the twin)
        lbs.begin_create_or_update(LB_RG, LB_NAME, lb, headers={"If-Match": lb.etag}).result()
    except Exception as e:
        raise _azure_error(e, "load balancer") from e


def tag_lb_if_missing(tc: object) -> None:
    tc = get_task_context(tc)
    lbs = tc.load_balancers_client()
    try:
        lb = lbs.get(LB_RG, LB_NAME)
        if (lb.tags or {}).get("maintained-by") == "mimo":
            return
        lb.tags = {**(lb.tags or {}), "maintained-by": "mimo"}
        # conditional on the etag read: another writer's change in between is a 412 (transient,
        # re-read on the next attempt), never overwritten (ARM RPC Addendum "ETags for Resources").
        # Without it the twin lost a concurrent writer's tag in 63 of 1,000 seeds.
        lbs.begin_create_or_update(LB_RG, LB_NAME, lb, headers={"If-Match": lb.etag}).result()
    except Exception as e:
        raise _azure_error(e, "load balancer") from e


# -- (j) the connection error nobody catches ----------------------------------------------------
def read_lb_http_errors_only(tc: object) -> None:
    from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

    tc = get_task_context(tc)
    try:
        tc.load_balancers_client().get(LB_RG, LB_NAME)
    except ResourceNotFoundError as e:
        raise TerminalError("load balancer not found") from e
    except HttpResponseError as e:  # a dropped connection is no HttpResponseError: it escapes
        raise TransientError(e) from e


def read_lb(tc: object) -> None:
    tc = get_task_context(tc)
    try:
        tc.load_balancers_client().get(LB_RG, LB_NAME)
    except Exception as e:
        raise _azure_error(e, "load balancer") from e


# -- (k) wrong order of writes: a reference before the object it names -------------------------
SERVING = "planted-serving"


@mimo_invariant
def serving_certificates_exist(world) -> object:
    """Every serving certificate the API server names is a Secret in openshift-config."""
    apiserver = world.kube.get("config.openshift.io/v1", "APIServer", "cluster") or {}
    named = apiserver.get("spec", {}).get("servingCerts", {}).get("namedCertificates", [])
    missing = [n["servingCertificate"]["name"] for n in named
               if world.kube.get("v1", "Secret", n["servingCertificate"]["name"], "openshift-config") is None]
    return f"the API server names missing Secret(s) {missing}" if missing else None


def _serving_secret(tc: object) -> None:
    tc = get_task_context(tc)
    want = {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": {"name": SERVING, "namespace": "openshift-config"},
            "data": {"token": base64.b64encode(b"serving").decode()}}
    kube = tc.client_helper()
    try:
        retry_on_conflict(lambda: kube.ensure(want))
    except Exception as e:
        raise _classify(e, SERVING) from e


def _point_apiserver(tc: object) -> None:
    tc = get_task_context(tc)
    kube = tc.client_helper()

    def once() -> None:
        api = kube.get_one("config.openshift.io/v1", "APIServer", "cluster")
        named = [{"names": ["api.planted.example.com"], "servingCertificate": {"name": SERVING}}]
        if api.get("spec", {}).get("servingCerts", {}).get("namedCertificates") == named:
            return
        api.setdefault("spec", {}).setdefault("servingCerts", {})["namedCertificates"] = named
        kube.update(api)

    try:
        retry_on_conflict(once)
    except Exception as e:
        if isinstance(e, ApiException) and is_conflict(e):
            raise TransientError(e) from e
        raise _classify(e, "apiserver") from e


def point_then_create(tc: object) -> None:
    _point_apiserver(tc)  # for a moment the API server serves a certificate that does not exist
    _serving_secret(tc)


def create_then_point(tc: object) -> None:
    _serving_secret(tc)
    _point_apiserver(tc)


# -- a representative three-step Kubernetes + Key Vault task ----------------------------------
def copy_secret(tc: object) -> None:
    tc = get_task_context(tc)
    try:
        value = tc.cluster_keyvault().get_secret("pull-secret").value
    except Exception as e:
        from azure.core.exceptions import ResourceNotFoundError

        if isinstance(e, ResourceNotFoundError):
            raise TerminalError("key vault secret pull-secret not found") from e
        raise TransientError(e) from e
    want = {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": {"name": "pull-secret", "namespace": "openshift-config"},
            "data": {"token": base64.b64encode(value.encode()).decode()}}
    kube = tc.client_helper()
    try:
        retry_on_conflict(lambda: kube.ensure(want))
    except Exception as e:
        raise _classify(e, "pull-secret") from e


def apiserver_ready(tc: object) -> bool:
    tc = get_task_context(tc)
    try:
        co = tc.client_helper().get_one(*CO)
    except Exception as e:
        raise _classify(e, "kube-apiserver") from e
    conds = {c["type"]: c["status"] for c in co.get("status", {}).get("conditions", [])}
    return conds.get("Available") == "True"


def three_step_task(tc, manifest, cluster) -> None:
    run_steps(tc, [action(check_apiserver), action(copy_secret), condition(apiserver_ready, timeout=300)])


def one_step(fn):
    def task(tc, manifest, cluster) -> None:
        run_steps(tc, [action(fn)])

    task.__name__ = task.__qualname__ = f"task_{fn.__name__}"
    return task


def two_steps(first, second):
    def task(tc, manifest, cluster) -> None:
        run_steps(tc, [action(first), action(second)])

    task.__name__ = task.__qualname__ = f"task_{first.__name__}_{second.__name__}"
    return task


#: when the seeded conditions last changed
SINCE = "2026-01-01T00:00:00Z"


def seed_world(world) -> None:
    """The objects the planted tasks read."""
    world.kube.add(
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "openshift-config"}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "runs", "namespace": "openshift-config"},
         "data": {"runs": ""}},
        # the ClusterOperator CRD requires spec and each condition's lastTransitionTime
        {"apiVersion": "config.openshift.io/v1", "kind": "ClusterOperator", "metadata": {"name": "kube-apiserver"},
         "spec": {}, "status": {"conditions": [
             {"type": "Available", "status": "True", "lastTransitionTime": SINCE},
             {"type": "Progressing", "status": "False", "lastTransitionTime": SINCE}]}},
        {"apiVersion": "config.openshift.io/v1", "kind": "ClusterOperator", "metadata": {"name": "etcd"},
         "spec": {}, "status": {"conditions": [
             {"type": "Available", "status": "True", "lastTransitionTime": SINCE},
             {"type": "Progressing", "status": "True", "lastTransitionTime": SINCE}]}},
    )
    world.kube.add({"apiVersion": "config.openshift.io/v1", "kind": "APIServer", "metadata": {"name": "cluster"},
                    "spec": {}})
    world.azure.add_resource_group(LB_RG, "eastus")
    world.azure.put_resource(LB_ID, {"location": "eastus", "sku": {"name": "Standard"}, "properties": {}})
    vault = world.environment.cluster_keyvault_uri.split("//")[1].split(".")[0]
    world.azure.keyvault(vault).set_secret("pull-secret", "s3cr3t-value")


# == world corners (issue #15): bugs that only a varied world shows =======================
# Each world builder below has named variation points (pytest_mimo.variants); every replay seed
# draws one option per point, replay 0 takes the first of each. ``expect`` is what a correct task
# ends in for such a world.
from pytest_mimo import option, world_builder  # noqa: E402


def _co(conditions: dict) -> dict:
    return {"apiVersion": "config.openshift.io/v1", "kind": "ClusterOperator", "metadata": {"name": "kube-apiserver"},
            "spec": {}, "status": {"conditions": [
                {"type": t, "status": s, "lastTransitionTime": SINCE} for t, s in conditions.items()]}}


@world_builder
def world_clusteroperator(world, v) -> None:
    """The ClusterOperator kube-apiserver present or missing (a cluster that is no OpenShift we can
    service: the task must fail for good, ensure_api_server_is_up's contract), and its Degraded
    condition present or absent (a condition the operator has not reported yet: openshift/api
    config/v1 ClusterOperatorStatus.conditions is a list, no type in it is required)."""
    seed_world(world)
    world.kube.delete("config.openshift.io/v1", "ClusterOperator", "kube-apiserver")
    conditions = {"Available": "True", "Progressing": "False"}
    if v.choose("degraded", {"present": True, "absent": False}):
        conditions["Degraded"] = "False"
    if v.choose("clusteroperator", [option("present", True), option("missing", False, expect="Failed")]):
        world.kube.add(_co(conditions))


# -- (o) a 404 of an essential object treated as transient ------------------------------------------
def check_apiserver_all_transient(tc: object) -> None:
    tc = get_task_context(tc)
    try:
        co = tc.client_helper().get_one(*CO)
    except Exception as e:  # a missing ClusterOperator is retried as if it could come back
        raise TransientError(e) from e
    _settled(co)


def _settled(co: dict) -> None:
    conds = {c["type"]: c["status"] for c in co.get("status", {}).get("conditions", [])}
    if conds.get("Available") != "True" or conds.get("Progressing") != "False" or conds.get("Degraded", "False") != "False":
        raise TransientError(f"kube-apiserver not settled: {conds}")


def check_apiserver_settled(tc: object) -> None:
    """The correct twin of (o) and (p): 404 terminal, other errors transient, Degraded optional."""
    tc = get_task_context(tc)
    try:
        co = tc.client_helper().get_one(*CO)
    except Exception as e:
        raise _classify(e, "kube-apiserver") from e
    _settled(co)


# -- (p) a condition assumed present ----------------------------------------------------------------
def check_apiserver_degraded_required(tc: object) -> None:
    tc = get_task_context(tc)
    try:
        co = tc.client_helper().get_one(*CO)
    except Exception as e:
        raise _classify(e, "kube-apiserver") from e
    conds = {c["type"]: c["status"] for c in co.get("status", {}).get("conditions", [])}
    if conds["Degraded"] != "False":  # KeyError when the operator has not reported Degraded
        raise TransientError("kube-apiserver degraded")
    _settled(co)


# -- (q) empty operator flags taken for "not loaded yet" -----------------------------------------------
FLAGS_CM = ("v1", "ConfigMap", "operator-flags", "openshift-config")


@world_builder(expect="Completed")
def world_flags(world, v) -> None:
    """The cluster document's operator flags: a few, none at all (a cluster created before any
    flag was set: ARO-RP's api.OperatorFlags is a map that may be empty), or many."""
    seed_world(world)
    flags = v.choose("operator_flags", {
        "some": {"aro.imageconfig.enabled": "true"},
        "empty": {},
        "many": {f"aro.planted.flag{i}": "true" for i in range(8)},
    })

    def set_flags(doc) -> None:
        doc.properties.operator_flags = dict(flags)

    world.patch_cluster(set_flags)


def _write_flags(tc, flags: dict) -> None:
    kube = tc.client_helper()
    want = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": FLAGS_CM[2], "namespace": FLAGS_CM[3]},
            "data": dict(flags)}
    try:
        retry_on_conflict(lambda: kube.ensure(want))
    except Exception as e:
        raise _classify(e, "operator-flags") from e


def copy_flags_nonempty_only(tc: object) -> None:
    tc = get_task_context(tc)
    flags = tc.get_openshift_cluster_properties().operator_flags
    if not flags:  # an empty flag set is a cluster with no flags, not a document still loading
        raise TransientError("operator flags not loaded yet")
    _write_flags(tc, flags)


def copy_flags(tc: object) -> None:
    tc = get_task_context(tc)
    _write_flags(tc, tc.get_openshift_cluster_properties().operator_flags)


# -- (r) a case-sensitive comparison of resource IDs --------------------------------------------------
@world_builder(expect="Completed")
def world_lb_ids(world, v) -> None:
    """The load balancer as ARM returns it: its ``id`` keeps the casing it was created with, which
    need not be the casing the task builds (ARM RPC, "Resource IDs": resource IDs are compared
    case-insensitively; ARM returns resourceGroups and provider segments in other cases)."""
    seed_world(world)
    spelled = v.choose("lb_id_case", {
        "as_written": LB_ID,
        "upper_resource_group": LB_ID.replace(f"/resourceGroups/{LB_RG}/", f"/resourceGroups/{LB_RG.upper()}/"),
        "lower_provider": LB_ID.replace("/providers/Microsoft.Network/loadBalancers/",
                                        "/providers/microsoft.network/loadbalancers/"),
    })
    if spelled != LB_ID:
        world.azure.delete_resource(LB_ID)
        world.azure.put_resource(spelled, {"location": "eastus", "sku": {"name": "Standard"}, "properties": {}})


def check_lb_is_ours_case_sensitive(tc: object) -> None:
    tc = get_task_context(tc)
    try:
        lb = tc.load_balancers_client().get(LB_RG, LB_NAME)
    except Exception as e:
        raise _azure_error(e, "load balancer") from e
    if lb.id != LB_ID:  # the same resource in another spelling looks like someone else's
        raise TerminalError(f"load balancer {lb.id} is not the cluster's {LB_ID}")


def check_lb_is_ours(tc: object) -> None:
    tc = get_task_context(tc)
    try:
        lb = tc.load_balancers_client().get(LB_RG, LB_NAME)
    except Exception as e:
        raise _azure_error(e, "load balancer") from e
    if (lb.id or "").lower() != LB_ID.lower():
        raise TerminalError(f"load balancer {lb.id} is not the cluster's {LB_ID}")


# -- (s) the first registry profile instead of the region's --------------------------------------------
@world_builder(expect="Completed")
def world_registry(world, v) -> None:
    """The cluster's registry profiles: the region's only, or also another registry's (a cluster
    moved between ACRs keeps the old profile: ARO-RP's RegistryProfiles is a list), listed before
    or after the region's. The other registry's token is long expired."""
    from datetime import timedelta

    from mimo.api import RegistryProfile, Secret

    seed_world(world)
    order = v.choose("registry_profiles", {"region_only": "", "other_first": "first", "other_last": "last"})

    def profiles(doc) -> None:
        if not order:
            return
        old = RegistryProfile(name="arointsvcold.azurecr.io", username="token-old", password=Secret("old-password"),
                              issue_date=world.clock.now() - timedelta(days=400))
        mine = list(doc.properties.registry_profiles)
        doc.properties.registry_profiles = [old, *mine] if order == "first" else [*mine, old]

    world.patch_cluster(profiles)


def _token_valid(tc, profile) -> None:
    from datetime import timedelta

    if profile is None or profile.issue_date is None:
        raise TerminalError("no registry token issue date")
    if tc.now() > profile.issue_date + timedelta(days=180):
        raise TerminalError(f"registry token of {profile.name} is expired")


def check_first_registry_token(tc: object) -> None:
    tc = get_task_context(tc)
    profiles = tc.get_openshift_cluster_properties().registry_profiles
    _token_valid(tc, profiles[0] if profiles else None)  # whichever registry is listed first


def check_region_registry_token(tc: object) -> None:
    tc = get_task_context(tc)
    acr = tc.environment().acr_domain
    profiles = tc.get_openshift_cluster_properties().registry_profiles
    _token_valid(tc, next((p for p in profiles if p.name == acr), None))


# -- (o) "the first object exists, so the last run did both": wrong once a process dies between ---
STAGE_A = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "stage-a", "namespace": "openshift-config"},
           "data": {"stage": "a"}}
STAGE_B = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "stage-b", "namespace": "openshift-config"},
           "data": {"stage": "b"}}


def _with_retries(tc, call, tries: int = 6):
    """Retry transient API errors in the step (429/5xx, a dropped connection), a lost response's
    AlreadyExists taken as done: no transient fault leaves the step half-done."""
    for attempt in range(tries):
        try:
            return call()
        except ApiException as e:
            if is_already_exists(e):
                return None
            if e.status not in (429, 500, 503, 504) or attempt == tries - 1:
                raise _classify(e, "stage") from e
        except Exception as e:  # urllib3's MaxRetryError after a dropped connection
            if attempt == tries - 1:
                raise TransientError(e) from e
        tc.sleep(1)
    return None


def _stage_exists(tc, kube) -> bool:
    def read() -> bool:
        try:
            kube.get_one("v1", "ConfigMap", "stage-a", "openshift-config")
        except ApiException as e:
            if is_not_found(e):
                return False
            raise
        return True

    return bool(_with_retries(tc, read))


def stage_both_buggy(tc: object) -> None:
    tc = get_task_context(tc)
    kube = tc.client_helper()
    if _stage_exists(tc, kube):
        return  # BUG: A exists, so "the last run created B too" — not if it died between the two
    _with_retries(tc, lambda: kube.create(dict(STAGE_A)))
    _with_retries(tc, lambda: kube.create(dict(STAGE_B)))


def stage_both(tc: object) -> None:
    tc = get_task_context(tc)
    kube = tc.client_helper()
    _with_retries(tc, lambda: kube.create(dict(STAGE_A)))
    _with_retries(tc, lambda: kube.create(dict(STAGE_B)))
