"""Generate ``pytest_mimo/fakes/kube/builtin_kinds.json``: the built-in kinds the fake serves.

Run: ``.venv/bin/python tools/gen_kube_kinds.py`` (reads installed packages only, no network).

Sources (data, not code):

* resource names (plural), scope (namespaced or not), the verbs a path answers and the
  subresources: the operations of the official ``kubernetes`` Python client (37.x, generated
  from the Kubernetes 1.37 OpenAPI spec ``api/openapi-spec/swagger.json``): each operation's
  HTTP method and path, and the kind its ``read`` answers with;
* that the kind exists in the release: ``x-kubernetes-group-version-kind`` of the
  ``kubernetes-validate`` 1.37 definitions;
* short names, categories, and the verbs the OpenAPI paths cannot tell (``watch``): the real
  API server's discovery documents in kubernetes/kubernetes ``api/discovery/``
  (``api__v1.json`` @ 4d817e79, ``apis__batch__v1.json`` @ 2e090810, ``aggregated_v2.json`` @
  0b1dcaba), which ``hack/update-openapi-spec.sh`` writes from a running kube-apiserver.
  Transcribed below in :data:`DISCOVERY` (only the entries that differ from the defaults:
  no short names, no categories, all eight verbs);
* ``metadata.generation`` kept: the registry strategies that bump it in ``PrepareForUpdate``
  (pkg/registry/<group>/<kind>/strategy.go), listed in :data:`GENERATION`.

Served group-versions: the GA (``v<N>``) ones a default kube-apiserver enables, one version per
group (the preferred one: several versions of a group are views of one stored object, which a
fake with one store per version would split), and resources that can be read (``get`` and
``list``). ``events.k8s.io/v1`` is left out: its Events are the core ``v1`` Events.
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "pytest_mimo" / "fakes" / "kube" / "builtin_kinds.json"

#: (group, resource) → fields of the real discovery entry that are not the defaults
DISCOVERY: dict[tuple[str, str], dict[str, list[str]]] = {
    # api__v1.json
    ("", "componentstatuses"): {"shortNames": ["cs"], "verbs": ["get", "list"]},
    ("", "configmaps"): {"shortNames": ["cm"]},
    ("", "endpoints"): {"shortNames": ["ep"]},
    ("", "events"): {"shortNames": ["ev"]},
    ("", "limitranges"): {"shortNames": ["limits"]},
    ("", "namespaces"): {
        "shortNames": ["ns"],
        "verbs": ["create", "delete", "get", "list", "patch", "update", "watch"],
    },
    ("", "nodes"): {"shortNames": ["no"]},
    ("", "persistentvolumeclaims"): {"shortNames": ["pvc"]},
    ("", "persistentvolumes"): {"shortNames": ["pv"]},
    ("", "pods"): {"shortNames": ["po"], "categories": ["all"]},
    ("", "replicationcontrollers"): {"shortNames": ["rc"], "categories": ["all"]},
    ("", "resourcequotas"): {"shortNames": ["quota"]},
    ("", "serviceaccounts"): {"shortNames": ["sa"]},
    ("", "services"): {"shortNames": ["svc"], "categories": ["all"]},
    # aggregated_v2.json
    ("apiregistration.k8s.io", "apiservices"): {"categories": ["api-extensions"]},
    ("apps", "daemonsets"): {"shortNames": ["ds"], "categories": ["all"]},
    ("apps", "deployments"): {"shortNames": ["deploy"], "categories": ["all"]},
    ("apps", "replicasets"): {"shortNames": ["rs"], "categories": ["all"]},
    ("apps", "statefulsets"): {"shortNames": ["sts"], "categories": ["all"]},
    ("autoscaling", "horizontalpodautoscalers"): {"shortNames": ["hpa"], "categories": ["all"]},
    # apis__batch__v1.json
    ("batch", "cronjobs"): {"shortNames": ["cj"], "categories": ["all"]},
    ("batch", "jobs"): {"categories": ["all"]},
    ("certificates.k8s.io", "certificatesigningrequests"): {"shortNames": ["csr"]},
    ("networking.k8s.io", "ingresses"): {"shortNames": ["ing"]},
    ("networking.k8s.io", "ipaddresses"): {"shortNames": ["ip"]},
    ("networking.k8s.io", "networkpolicies"): {"shortNames": ["netpol"]},
    ("policy", "poddisruptionbudgets"): {"shortNames": ["pdb"]},
    ("storage.k8s.io", "storageclasses"): {"shortNames": ["sc"]},
    ("storage.k8s.io", "volumeattributesclasses"): {"shortNames": ["vac"]},
    ("admissionregistration.k8s.io", "mutatingwebhookconfigurations"): {"categories": ["api-extensions"]},
    ("admissionregistration.k8s.io", "validatingwebhookconfigurations"): {"categories": ["api-extensions"]},
    ("admissionregistration.k8s.io", "validatingadmissionpolicies"): {"categories": ["api-extensions"]},
    ("admissionregistration.k8s.io", "validatingadmissionpolicybindings"): {"categories": ["api-extensions"]},
    ("admissionregistration.k8s.io", "mutatingadmissionpolicies"): {"categories": ["api-extensions"]},
    ("admissionregistration.k8s.io", "mutatingadmissionpolicybindings"): {"categories": ["api-extensions"]},
    ("apiextensions.k8s.io", "customresourcedefinitions"): {
        "shortNames": ["crd", "crds"],
        "categories": ["api-extensions"],
    },
    ("scheduling.k8s.io", "priorityclasses"): {"shortNames": ["pc"]},
}

#: kinds whose registry strategy keeps ``metadata.generation`` (bumped when the spec changes)
GENERATION = {
    ("apps", "Deployment"),
    ("apps", "ReplicaSet"),
    ("apps", "StatefulSet"),
    ("apps", "DaemonSet"),
    ("batch", "Job"),
    ("batch", "CronJob"),
    ("", "ReplicationController"),
    ("policy", "PodDisruptionBudget"),
    ("networking.k8s.io", "Ingress"),
    ("networking.k8s.io", "NetworkPolicy"),
    ("apiextensions.k8s.io", "CustomResourceDefinition"),
    ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"),
    ("admissionregistration.k8s.io", "MutatingAdmissionPolicy"),
    ("flowcontrol.apiserver.k8s.io", "FlowSchema"),
    ("flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration"),
}

#: group-versions left out though GA (see the module docstring)
SKIP_GV = {"events.k8s.io/v1"}

VERB_ORDER = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]

_SERIALIZE = re.compile(
    r"def _(\w+)_serialize\(.*?method='(\w+)',\s*resource_path='([^']+)'", re.S
)
_DEF = re.compile(r"\n    def (\w+)\(")
_OK = re.compile(r"'200': \"(\w+)\"")
_PATH = re.compile(
    r"^/(?:api/(?P<cv>v1)|apis/(?P<g>[^/]+)/(?P<v>[^/]+))"
    r"(?P<ns>/namespaces/\{namespace\})?/(?P<plural>[a-z0-9]+)(?P<item>/\{name\})?(?:/(?P<sub>[a-z]+))?$"
)
_GA = re.compile(r"^v\d+$")


def _client_dir() -> Path:
    spec = importlib.util.find_spec("kubernetes")
    assert spec and spec.submodule_search_locations
    return Path(next(iter(spec.submodule_search_locations))) / "client" / "api"


def _defs_kinds() -> set[tuple[str, str]]:
    spec = importlib.util.find_spec("kubernetes_validate")
    assert spec and spec.submodule_search_locations
    path = (
        Path(next(iter(spec.submodule_search_locations)))
        / "kubernetes-json-schema/v1.37.0-local-strict/_definitions.json"
    )
    out = set()
    for name, d in json.loads(path.read_bytes())["$defs"].items():
        for gvk in d.get("x-kubernetes-group-version-kind") or ():
            if name.rsplit(".", 1)[-1] == gvk["kind"]:
                g = gvk.get("group", "")
                out.add((f"{g}/{gvk['version']}" if g else gvk["version"], gvk["kind"]))
    return out


def _response_models(text: str) -> dict[str, str]:
    """operation → the model its 200 answers with (searched within the operation's own body)."""
    defs = list(_DEF.finditer(text))
    out = {}
    for m, nxt in zip(defs, [*defs[1:], None]):
        ok = _OK.search(text, m.end(), nxt.start() if nxt else len(text))
        if ok:
            out[m[1]] = ok[1]
    return out


def _crd_kinds() -> list[dict]:
    """The OpenShift/ARO kinds: names, scope and subresources from their CRDs (``crds/``)."""
    import yaml

    crd_dir = OUT.with_name("crds")
    out = []
    for path in sorted(crd_dir.glob("*.yaml")):
        spec = yaml.safe_load(path.read_text())["spec"]
        names = spec["names"]
        for v in spec["versions"]:
            if not v.get("served"):
                continue
            out.append(
                {
                    "apiVersion": f"{spec['group']}/{v['name']}",
                    "kind": names["kind"],
                    "plural": names["plural"],
                    "namespaced": spec["scope"] == "Namespaced",
                    "verbs": list(VERB_ORDER),
                    "shortNames": names.get("shortNames", []),
                    "categories": names.get("categories", []),
                    "subresources": sorted(v.get("subresources") or {}),
                    "generation": True,
                    "crd": path.name,
                }
            )
    return out


def main() -> None:
    resources: dict[tuple[str, str, bool], dict] = {}
    for mod in sorted(_client_dir().glob("*_api.py")):
        text = mod.read_text()
        kinds = _response_models(text)
        for op, method, path in _SERIALIZE.findall(text):
            m = _PATH.match(path)
            if not m:
                continue
            api_version = m["cv"] or f"{m['g']}/{m['v']}"
            version = m["cv"] or m["v"]
            if not _GA.match(version) or api_version in SKIP_GV:
                continue
            if m["sub"] and not m["item"]:
                continue
            key = (api_version, m["plural"], m["ns"] is not None)
            r = resources.setdefault(key, {"verbs": set(), "subresources": {}, "kind": None})
            if m["sub"]:
                r["subresources"].setdefault(m["sub"], set()).add(method)
                continue
            verb = {
                (False, "GET"): "list",
                (False, "POST"): "create",
                (False, "DELETE"): "deletecollection",
                (True, "GET"): "get",
                (True, "PUT"): "update",
                (True, "PATCH"): "patch",
                (True, "DELETE"): "delete",
            }[(m["item"] is not None, method)]
            r["verbs"].add(verb)
            if verb == "get":
                model = kinds[op]
                r["kind"] = re.sub(r"^(?:[A-Z][a-z]+)*?V\d+(?:(?:alpha|beta)\d+)?(?=[A-Z])", "", model)
    known = _defs_kinds()
    # a cluster-scoped list of a namespaced resource (``/api/v1/pods``) is the all-namespaces list
    namespaced = {(av, p) for (av, p, ns) in resources if ns}
    by_group: dict[str, set[str]] = {}
    out = []
    for (av, plural, ns), r in sorted(resources.items()):
        if not ns and (av, plural) in namespaced:
            continue
        if r["kind"] is None or (av, r["kind"]) not in known:
            continue
        if not {"get", "list"} <= r["verbs"]:
            continue
        by_group.setdefault(av.rpartition("/")[0], set()).add(av)
    preferred = {
        g: max(avs, key=lambda av: int(av.rpartition("/")[2][1:])) for g, avs in by_group.items()
    }
    for (av, plural, ns), r in sorted(resources.items()):
        if not ns and (av, plural) in namespaced:
            continue
        group = av.rpartition("/")[0]
        if preferred.get(group) != av or r["kind"] is None or (av, r["kind"]) not in known:
            continue
        if not {"get", "list"} <= r["verbs"]:
            continue
        extra = DISCOVERY.get((group, plural), {})
        verbs = extra.get("verbs") or sorted(r["verbs"] | {"watch"}, key=VERB_ORDER.index)
        entry = {
            "apiVersion": av,
            "kind": r["kind"],
            "plural": plural,
            "namespaced": ns,
            "verbs": verbs,
            "shortNames": extra.get("shortNames", []),
            "categories": extra.get("categories", []),
            "subresources": sorted(r["subresources"]),
            "generation": (group, r["kind"]) in GENERATION,
        }
        out.append(entry)
    out.extend(_crd_kinds())
    doc = {
        "source": "kubernetes Python client 37 operations (Kubernetes 1.37 OpenAPI), "
        "kubernetes-validate 1.37 definitions, kubernetes/kubernetes api/discovery; "
        "generated by tools/gen_kube_kinds.py",
        "kinds": out,
    }
    body = ",\n".join("  " + json.dumps(k, separators=(",", ":")) for k in doc["kinds"])
    OUT.write_text(f'{{"source": {json.dumps(doc["source"])},\n "kinds": [\n{body}\n]}}\n')
    print(f"{len(out)} kinds → {OUT}")


if __name__ == "__main__":
    main()
