"""Decoding, field validation, object validation and defaulting on the fake's write path.

Every rule is shown on the wire (raw HTTP/1.1) and through the official ``kubernetes``
client, with the status code and the words a real kube-apiserver answers with. Each
test names the apiserver source it follows (kubernetes/kubernetes, read with the search
tool); the wording of the modules themselves is in ``test_strictness_modules.py``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from kubernetes import client as k8s
from kubernetes.client.exceptions import ApiException
from kubernetes.dynamic import DynamicClient

from pytest_mimo.fakes.kube import FakeKube
from pytest_mimo.fakes.kube.models import ApiError

from .conftest import Wire

DEPLOYMENTS = "/apis/apps/v1/namespaces/ns/deployments"
CONFIGMAPS = "/api/v1/namespaces/ns/configmaps"
SECRETS = "/api/v1/namespaces/ns/secrets"
CLUSTERS = "/apis/aro.openshift.io/v1alpha1/clusters"
INGRESS = "/apis/operator.openshift.io/v1/namespaces/ns/ingresscontrollers"
CO = "/apis/config.openshift.io/v1/clusteroperators"


@pytest.fixture
def api(kube: FakeKube) -> Iterator[k8s.ApiClient]:
    with kube.api_client() as c:
        yield c


def dynamic(api: k8s.ApiClient, api_version: str, kind: str) -> Any:
    """The official dynamic client's resource (it sends dict bodies as they are; the typed
    APIs of client 37 check types client-side first)."""
    return DynamicClient(api).resources.get(api_version=api_version, kind=kind)


def refused(call: Any, *args: Any, **kwargs: Any) -> tuple[int, dict[str, Any]]:
    """The official client's ApiException for a call: (status, Status body)."""
    with pytest.raises(ApiException) as info:
        call(*args, **kwargs)
    return info.value.status, json.loads(info.value.body)


def deployment(name: str = "d", **spec: Any) -> dict[str, Any]:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "ns"},
        "spec": {
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "c", "image": "registry.example/app:1.0"}]},
            },
            **spec,
        },
    }


def configmap(name: str = "cm", **extra: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "ns"}, **extra}


def secret(name: str = "s", **extra: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": "ns"}, **extra}


def aro_cluster(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "aro.openshift.io/v1alpha1",
        "kind": "Cluster",
        "metadata": {"name": "cluster"},
        "spec": {"resourceId": "/subscriptions/x", **spec},
    }


# -- decoding: 400 BadRequest in transformDecodeError's words ------------------------------


def test_a_body_that_does_not_decode_is_400_naming_kind_and_version(
    wire: Wire, api: k8s.ApiClient
) -> None:
    """handlers/create.go: ``transformDecodeError`` → ``NewBadRequest("<Kind> in version
    \\"v1\\" cannot be handled as a <Kind>: <decoder error>")``; the decoder error is
    sigs.k8s.io/json's (encoding/json's UnmarshalTypeError text)."""
    code, body, _ = wire("POST", CONFIGMAPS, configmap(data={"k": 1}))
    assert (code, body["reason"], body["code"]) == (400, "BadRequest", 400)
    assert body["message"] == (
        'ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal '
        "number into Go struct field ConfigMap.data of type string"
    )
    assert "details" not in body  # NewBadRequest carries none
    code, body = refused(
        dynamic(api, "apps/v1", "Deployment").create, body=deployment(replicas="three"), namespace="ns"
    )
    assert code == 400
    assert body["message"] == (
        'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal '
        "string into Go struct field DeploymentSpec.spec.replicas of type int32"
    )


def test_secret_data_must_be_base64(wire: Wire, api: k8s.ApiClient) -> None:
    """``[]byte`` fields decode as base64 (encoding/json): Go's ``CorruptInputError``."""
    code, body, _ = wire("POST", SECRETS, secret(data={"password": "not base64!"}))
    assert code == 400
    assert body["message"] == (
        'Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 3'
    )
    code, body = refused(
        k8s.CoreV1Api(api).create_namespaced_secret, "ns", secret(data={"k": "abc"})
    )
    assert code == 400 and body["message"].endswith("illegal base64 data at input byte 0")


def test_a_custom_resource_of_the_wrong_type_is_422_from_its_schema(wire: Wire) -> None:
    """Custom resources decode as unstructured JSON; types are the CRD schema's
    (apiextensions-apiserver ``validation.ValidateCustomResource``, kube-openapi's
    ``<path> in body must be of type integer: "string"``) → 422 Invalid."""
    body_in = {
        "apiVersion": "operator.openshift.io/v1",
        "kind": "IngressController",
        "metadata": {"name": "default", "namespace": "ns"},
        "spec": {"replicas": "three"},
    }
    code, body, _ = wire("POST", INGRESS, body_in)
    assert (code, body["reason"]) == (422, "Invalid")
    # the CRD has x-kubernetes-validations: a type error stops them, said by one more error
    # (registry/customresource/strategy.go, hasBlockingErr: field.Invalid(nil, nil, ...))
    blocked = (
        "some validation rules were not checked because the object was invalid; "
        "correct the existing errors to complete validation"
    )
    assert body["message"] == (
        'IngressController.operator.openshift.io "default" is invalid: [spec.replicas: Invalid '
        'value: "string": spec.replicas in body must be of type integer: "string", '
        f"<nil>: Invalid value: null: {blocked}]"
    )
    assert body["details"] == {
        "name": "default",
        "group": "operator.openshift.io",
        "kind": "IngressController",
        "causes": [
            {
                "reason": "FieldValueTypeInvalid",
                "message": 'Invalid value: "string": spec.replicas in body must be of type integer: "string"',
                "field": "spec.replicas",
            },
            {"reason": "FieldValueInvalid", "message": f"Invalid value: null: {blocked}", "field": "<nil>"},
        ],
    }


# -- fieldValidation: Ignore, Warn (default), Strict ---------------------------------------


def test_unknown_fields_warn_by_default_with_a_299_header(kube: FakeKube, wire: Wire) -> None:
    """handlers/create.go: ``Warn`` (the default) decodes strictly and turns each strict
    error into a warning (``addStrictDecodingWarnings``); endpoints/filters/warning.go adds
    one ``Warning: 299 - "<text>"`` header per distinct warning; the field is dropped."""
    body_in = deployment(replica=3)
    body_in["spec"]["template"]["spec"]["containers"][0]["imagePullPolice"] = "Always"
    code, body, resp = wire("POST", DEPLOYMENTS, body_in)
    assert code == 201
    assert resp.headers.get_all("Warning") == [  # in the body's order, as the decoder meets them
        '299 - "unknown field \\"spec.template.spec.containers[0].imagePullPolice\\""',
        '299 - "unknown field \\"spec.replica\\""',
    ]
    stored = kube.get("apps/v1", "Deployment", "d", "ns")
    assert stored is not None and "replica" not in stored["spec"]
    assert "imagePullPolice" not in stored["spec"]["template"]["spec"]["containers"][0]


def test_ignore_drops_unknown_fields_silently(wire: Wire) -> None:
    code, body, resp = wire("POST", DEPLOYMENTS + "?fieldValidation=Ignore", deployment(replica=3))
    assert code == 201 and resp.headers.get_all("Warning") is None
    assert "replica" not in body["spec"]


def test_strict_refuses_unknown_fields_with_400(kube: FakeKube, wire: Wire, api: k8s.ApiClient) -> None:
    """handlers/create.go: under ``Strict`` the strict decoding error goes through
    ``transformDecodeError`` (400); ``runtime.NewStrictDecodingError`` joins them."""
    code, body, _ = wire("POST", DEPLOYMENTS + "?fieldValidation=Strict", deployment(replica=3))
    assert (code, body["reason"]) == (400, "BadRequest")
    assert body["message"] == (
        'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: '
        'unknown field "spec.replica"'
    )
    assert kube.get("apps/v1", "Deployment", "d", "ns") is None
    code, body = refused(
        dynamic(api, "apps/v1", "Deployment").create,
        body=deployment(replica=3),
        namespace="ns",
        query_params=[("fieldValidation", "Strict")],  # the dynamic client has no keyword for it
    )
    assert code == 400 and body["message"].endswith('strict decoding error: unknown field "spec.replica"')


def test_an_unsupported_field_validation_value_is_422_on_the_options(wire: Wire) -> None:
    """apimachinery ``ValidateCreateOptions`` → ``ValidateFieldValidation``: NotSupported on
    ``fieldValidation``, ``NewInvalid(CreateOptions.meta.k8s.io, "", errs)``."""
    code, body, _ = wire("POST", DEPLOYMENTS + "?fieldValidation=Loud", deployment())
    assert code == 422
    assert body["message"] == (
        'CreateOptions.meta.k8s.io "" is invalid: fieldValidation: Unsupported value: "Loud": '
        'supported values: "", "Ignore", "Strict", "Warn"'
    )


def test_custom_resources_are_pruned_with_the_same_warnings(kube: FakeKube, wire: Wire) -> None:
    """apiextensions-apiserver ``schema/pruning``: fields the structural schema does not name
    are dropped and reported as unknown fields, like a built-in kind's."""
    code, body, resp = wire("POST", CLUSTERS, aro_cluster(operatorFlags={"a": "b"}))
    assert code == 201
    assert resp.headers.get_all("Warning") == ['299 - "unknown field \\"spec.operatorFlags\\""']
    assert "operatorFlags" not in body["spec"]
    code, body, _ = wire(
        "PUT", CLUSTERS + "/cluster?fieldValidation=Strict", {**body, "spec": {**body["spec"], "x": 1}}
    )
    assert code == 400
    assert body["message"] == (
        'Cluster in version "v1alpha1" cannot be handled as a Cluster: strict decoding error: '
        'unknown field "spec.x"'
    )


# -- object validation: 422 Invalid with field paths ---------------------------------------


def test_a_bad_name_is_422_with_the_dns_subdomain_rule(wire: Wire, api: k8s.ApiClient) -> None:
    """apimachinery ``ValidateObjectMetaAccessor`` with ``NameIsDNSSubdomain``;
    ``validation.IsDNS1123Subdomain``'s RegexError text; ``errors.NewInvalid``."""
    code, body, _ = wire("POST", CONFIGMAPS, configmap("Bad_Name"))
    assert (code, body["reason"]) == (422, "Invalid")
    assert body["message"] == (
        'ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase '
        "RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and "
        "must start and end with an alphanumeric character (e.g. 'example.com', regex used for "
        "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
    )
    assert body["details"]["causes"][0]["field"] == "metadata.name"
    assert body["details"]["kind"] == "ConfigMap" and "group" not in body["details"]
    code, body = refused(
        k8s.CoreV1Api(api).create_namespaced_config_map,
        "ns",
        configmap("cm", metadata={"name": "cm", "labels": {"team": "x" * 64}}),
    )
    assert code == 422
    assert [c["field"] for c in body["details"]["causes"]] == ["metadata.labels"]
    assert "must be no more than 63 characters" in body["message"]


def test_too_many_annotation_bytes_is_422(wire: Wire) -> None:
    """``ValidateAnnotations``: total size over ``TotalAnnotationSizeLimitB`` (256 KiB) →
    ``field.TooLong(path, "", limit)``."""
    meta = {"name": "cm", "annotations": {"a": "x" * (256 * 1024)}}
    code, body, _ = wire("POST", CONFIGMAPS, configmap(metadata=meta))
    assert code == 422
    assert body["message"] == (
        'ConfigMap "cm" is invalid: metadata.annotations: Too long: must have at most 262144 bytes'
    )


def test_a_namespace_name_must_be_a_dns_label(wire: Wire) -> None:
    """core validation ``ValidateNamespace``: ``ValidateNamespaceName`` (a DNS-1123 label)."""
    code, body, _ = wire(
        "POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a.b"}}
    )
    assert code == 422
    assert body["message"].startswith(
        'Namespace "a.b" is invalid: metadata.name: Invalid value: "a.b": a lowercase RFC 1123 label'
    )


def test_deployment_rules(wire: Wire, api: k8s.ApiClient) -> None:
    """apps validation ``ValidateDeploymentSpec``: the selector must match the template's
    labels, replicas ≥ 0 (``ValidateNonnegativeField``); core ``validateContainers``:
    container names are unique (``field.Duplicate``)."""
    d = deployment()
    d["spec"]["template"]["metadata"]["labels"] = {"app": "other"}
    code, body, _ = wire("POST", DEPLOYMENTS, d)
    assert code == 422
    assert body["message"] == (
        'Deployment.apps "d" is invalid: spec.template.metadata.labels: Invalid value: '
        'map[string]string{"app":"other"}: `selector` does not match template `labels`'
    )
    assert body["details"]["group"] == "apps"
    code, body = refused(k8s.AppsV1Api(api).create_namespaced_deployment, "ns", deployment(replicas=-1))
    assert code == 422
    assert body["message"] == (
        'Deployment.apps "d" is invalid: spec.replicas: Invalid value: -1: must be greater than '
        "or equal to 0"
    )
    d = deployment()
    d["spec"]["template"]["spec"]["containers"].append({"name": "c", "image": "x:1"})
    code, body, _ = wire("POST", DEPLOYMENTS, d)
    assert code == 422
    assert body["details"]["causes"] == [
        {
            "reason": "FieldValueDuplicate",
            "message": 'Duplicate value: "c"',
            "field": "spec.template.spec.containers[1].name",
        }
    ]


def test_several_errors_are_listed_in_brackets(wire: Wire) -> None:
    """``ErrorList.ToAggregate()``: more than one message → ``[a, b]``; one cause each."""
    d = deployment(replicas=-1)
    d["metadata"]["labels"] = {"bad key!": "v"}
    code, body, _ = wire("POST", DEPLOYMENTS, d)
    assert code == 422
    assert body["message"].startswith('Deployment.apps "d" is invalid: [metadata.labels: Invalid value: "bad key!"')
    assert [c["field"] for c in body["details"]["causes"]] == ["metadata.labels", "spec.replicas"]


def test_a_cluster_operator_needs_a_spec(wire: Wire) -> None:
    """The ClusterOperator CRD's schema has ``required: [spec]``: kube-openapi's required
    check → ``field.Required("spec", "")``."""
    code, body, _ = wire(
        "POST", CO, {"apiVersion": "config.openshift.io/v1", "kind": "ClusterOperator", "metadata": {"name": "dns"}}
    )
    assert code == 422
    assert body["message"] == 'ClusterOperator.config.openshift.io "dns" is invalid: spec: Required value'


def test_status_conditions_follow_the_crd_schema(kube: FakeKube, wire: Wire) -> None:
    """The status subresource validates the whole object against the schema
    (apiextensions ``statusStrategy.ValidateUpdate``): a condition needs
    ``lastTransitionTime`` (``required`` in the ClusterOperator CRD)."""
    code, co, _ = wire(
        "POST", CO, {"apiVersion": "config.openshift.io/v1", "kind": "ClusterOperator", "metadata": {"name": "dns"}, "spec": {}}
    )
    assert code == 201
    co["status"] = {"conditions": [{"type": "Available", "status": "True"}]}
    code, body, _ = wire("PUT", CO + "/dns/status", co)
    assert code == 422
    assert body["details"]["causes"] == [
        {
            "reason": "FieldValueRequired",
            "message": "Required value",
            "field": "status.conditions[0].lastTransitionTime",
        }
    ]


# -- update rules ---------------------------------------------------------------------------


def test_immutable_configmaps_and_secrets(wire: Wire, api: k8s.ApiClient) -> None:
    """core validation ``ValidateConfigMapUpdate`` / ``ValidateSecretUpdate``: once
    ``immutable: true``, data may not change and immutable may not be unset
    (``field.Forbidden(…, "field is immutable when `immutable` is set")``)."""
    code, cm, _ = wire("POST", CONFIGMAPS, configmap(data={"k": "1"}, immutable=True))
    assert code == 201
    code, body, _ = wire("PUT", CONFIGMAPS + "/cm", {**cm, "data": {"k": "2"}})
    assert code == 422
    assert body["message"] == (
        'ConfigMap "cm" is invalid: data: Forbidden: field is immutable when `immutable` is set'
    )
    code, body, _ = wire(
        "PATCH", CONFIGMAPS + "/cm", {"immutable": False}, ctype="application/merge-patch+json"
    )
    assert code == 422
    assert body["details"]["causes"][0]["field"] == "immutable"
    core = k8s.CoreV1Api(api)
    core.create_namespaced_secret("ns", secret(data={"k": "MQ=="}, immutable=True))
    code, body = refused(core.patch_namespaced_secret, "s", "ns", {"data": {"k": "Mg=="}})
    assert code == 422
    assert body["message"] == (
        'Secret "s" is invalid: data: Forbidden: field is immutable when `immutable` is set'
    )


def test_a_secret_type_is_immutable_and_tls_needs_its_keys(wire: Wire) -> None:
    """core validation ``ValidateSecretUpdate`` (``type``: ``field is immutable``) and
    ``ValidateSecret`` for ``kubernetes.io/tls`` (``tls.crt`` and ``tls.key`` required)."""
    code, body, _ = wire("POST", SECRETS, secret(type="kubernetes.io/tls", data={"tls.crt": "YQ=="}))
    assert code == 422
    assert body["message"] == 'Secret "s" is invalid: data[tls.key]: Required value'
    code, s, _ = wire("POST", SECRETS, secret(data={"k": "YQ=="}))
    assert code == 201 and s["type"] == "Opaque"  # SetDefaults_Secret
    code, body, _ = wire("PUT", SECRETS + "/s", {**s, "type": "kubernetes.io/basic-auth"})
    assert code == 422
    assert body["details"]["causes"][0] == {
        "reason": "FieldValueInvalid",
        "message": 'Invalid value: "kubernetes.io/basic-auth": field is immutable',
        "field": "type",
    }


def test_a_deployment_selector_is_immutable(wire: Wire) -> None:
    """apps validation ``ValidateDeploymentUpdate``: ``ValidateImmutableField`` on the selector."""
    code, d, _ = wire("POST", DEPLOYMENTS, deployment())
    assert code == 201
    d["spec"]["selector"] = {"matchLabels": {"app": "d", "tier": "x"}}
    d["spec"]["template"]["metadata"]["labels"]["tier"] = "x"
    code, body, _ = wire("PUT", DEPLOYMENTS + "/d", d)
    assert code == 422
    assert [c["field"] for c in body["details"]["causes"]] == ["spec.selector"]
    assert body["message"].endswith("field is immutable")


def test_a_changed_uid_is_refused_on_update(wire: Wire) -> None:
    """``ValidateObjectMetaAccessorUpdate``: ``ValidateImmutableField`` on ``metadata.uid``
    (rest.BeforeUpdate keeps the existing UID only when none is sent)."""
    code, cm, _ = wire("POST", CONFIGMAPS, configmap(data={"k": "1"}))
    cm["metadata"]["uid"] = "00000000-0000-0000-0000-000000000000"
    code, body, _ = wire("PUT", CONFIGMAPS + "/cm", cm)
    assert code == 422
    assert body["message"] == (
        'ConfigMap "cm" is invalid: metadata.uid: Invalid value: '
        '"00000000-0000-0000-0000-000000000000": field is immutable'
    )


def test_no_new_finalizers_on_an_object_being_deleted(wire: Wire) -> None:
    """``ValidateObjectMetaAccessorUpdate`` → ``ValidateNoNewFinalizers`` once the old object
    has a deletionTimestamp: ``field.Forbidden`` naming the new ones (``%#v`` of a []string)."""
    code, cm, _ = wire("POST", CONFIGMAPS, configmap(metadata={"name": "cm", "finalizers": ["example.com/a"]}))
    code, cm, _ = wire("DELETE", CONFIGMAPS + "/cm")
    assert code == 200 and cm["metadata"]["deletionTimestamp"]
    cm["metadata"]["finalizers"] = ["example.com/a", "example.com/b"]
    code, body, _ = wire("PUT", CONFIGMAPS + "/cm", cm)
    assert code == 422
    assert body["message"] == (
        'ConfigMap "cm" is invalid: metadata.finalizers: Forbidden: no new finalizers can be added '
        'if the object is being deleted, found new finalizers []string{"example.com/b"}'
    )


# -- patches --------------------------------------------------------------------------------


def test_a_patch_that_breaks_the_type_is_422_on_the_field_patch(kube: FakeKube, wire: Wire) -> None:
    """handlers/patch.go ``jsonPatcher.applyPatchToCurrentObject``: a patched object that
    does not decode → ``NewInvalid(schema.GroupKind{}, "", {field.Invalid("patch",
    <patched JSON>, err)})`` — no kind, no name, the decoder's own words."""
    code, _, _ = wire("POST", DEPLOYMENTS, deployment())
    code, body, _ = wire(
        "PATCH", DEPLOYMENTS + "/d", {"spec": {"replicas": "three"}}, ctype="application/merge-patch+json"
    )
    assert (code, body["reason"]) == (422, "Invalid")
    assert body["message"].startswith(' "" is invalid: patch: Invalid value: "{')
    assert body["message"].endswith(
        ": json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32"
    )
    (cause,) = body["details"]["causes"]
    assert cause["field"] == "patch" and "kind" not in body["details"]
    code, body, _ = wire(
        "PATCH",
        DEPLOYMENTS + "/d?fieldValidation=Strict",
        {"spec": {"replica": 2}},
        ctype="application/merge-patch+json",
    )
    assert code == 422
    assert body["message"].endswith('strict decoding error: unknown field "spec.replica"')
    code, body, resp = wire(
        "PATCH", DEPLOYMENTS + "/d", {"spec": {"replica": 2}}, ctype="application/merge-patch+json"
    )
    assert code == 200 and resp.headers.get_all("Warning") == ['299 - "unknown field \\"spec.replica\\""']


def test_a_json_patch_to_an_invalid_object_is_422(wire: Wire) -> None:
    """The patched object is validated like an update (``rest.BeforeUpdate``)."""
    wire("POST", CONFIGMAPS, configmap(data={"k": "1"}))
    code, body, _ = wire(
        "PATCH",
        CONFIGMAPS + "/cm",
        [{"op": "add", "path": "/data/bad key", "value": "x"}],
        ctype="application/json-patch+json",
    )
    assert code == 422
    assert body["details"]["causes"][0]["field"] == "data[bad key]"


# -- defaulting -----------------------------------------------------------------------------


def test_a_deployment_is_read_back_defaulted(wire: Wire, api: k8s.ApiClient) -> None:
    """pkg/apis/apps/v1/defaults.go ``SetDefaults_Deployment`` and core/v1/defaults.go
    ``SetDefaults_PodSpec`` / ``_Container``: what a real cluster gives back."""
    created = k8s.AppsV1Api(api).create_namespaced_deployment("ns", deployment())
    spec = created.spec
    assert spec.replicas == 1 and spec.revision_history_limit == 10
    assert spec.progress_deadline_seconds == 600
    assert spec.strategy.type == "RollingUpdate"
    assert (spec.strategy.rolling_update.max_surge, spec.strategy.rolling_update.max_unavailable) == ("25%", "25%")
    pod = spec.template.spec
    assert (pod.restart_policy, pod.dns_policy, pod.scheduler_name) == ("Always", "ClusterFirst", "default-scheduler")
    assert pod.termination_grace_period_seconds == 30
    c = pod.containers[0]
    assert (c.image_pull_policy, c.termination_message_path, c.termination_message_policy) == (
        "IfNotPresent",
        "/dev/termination-log",
        "File",
    )
    code, body, _ = wire("GET", DEPLOYMENTS + "/d")
    assert body["spec"]["template"]["spec"]["securityContext"] == {}


def test_latest_images_are_pulled_always(api: k8s.ApiClient) -> None:
    """core/v1/defaults.go ``SetDefaults_Container``: no tag (or ``:latest``) → ``Always``."""
    d = deployment()
    d["spec"]["template"]["spec"]["containers"][0]["image"] = "registry.example/app"
    created = k8s.AppsV1Api(api).create_namespaced_deployment("ns", d)
    assert created.spec.template.spec.containers[0].image_pull_policy == "Always"


def test_crd_schema_defaults_are_applied(wire: Wire) -> None:
    """apiextensions-apiserver ``schema/defaulting``: absent fields get the schema's
    ``default`` (the APIServer CRD defaults ``spec.audit.profile`` to ``Default``)."""
    body_in = {"apiVersion": "config.openshift.io/v1", "kind": "APIServer", "metadata": {"name": "cluster"},
               "spec": {"audit": {}}}
    code, body, _ = wire("POST", "/apis/config.openshift.io/v1/apiservers", body_in)
    assert code == 201
    assert body["spec"]["audit"]["profile"] == "Default"


# -- the Python side ------------------------------------------------------------------------


def test_add_validates_strictly_and_validate_false_stores_as_given(kube: FakeKube) -> None:
    """``FakeKube.add`` goes through the same decoding and validation (``Strict``): a world
    starts from objects a real cluster could hold; ``validate=False`` opts out."""
    with pytest.raises(ApiError) as info:
        kube.add(configmap("Bad_Name"))
    assert info.value.code == 422 and "metadata.name" in info.value.message
    with pytest.raises(ApiError) as info:
        kube.add(deployment(replica=2))
    assert info.value.code == 400
    assert info.value.message.endswith('strict decoding error: unknown field "spec.replica"')
    kube.add(configmap("Bad_Name"), validate=False)
    assert kube.get("v1", "ConfigMap", "Bad_Name", "ns") is not None
    (stored,) = kube.add(deployment())
    assert stored["spec"]["strategy"]["type"] == "RollingUpdate"  # defaulted like a create


def test_dry_run_is_validated_too(kube: FakeKube, wire: Wire) -> None:
    """``dryRun=All`` runs every stage but storage (handlers/create.go)."""
    code, body, _ = wire("POST", CONFIGMAPS + "?dryRun=All", configmap("Bad_Name"))
    assert code == 422
    code, body, _ = wire("POST", CONFIGMAPS + "?dryRun=All", configmap(data={"k": "v"}))
    assert code == 201 and kube.get("v1", "ConfigMap", "cm", "ns") is None
