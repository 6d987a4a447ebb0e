"""The rules every request meets before its handler: Go's middlewares, authentication, unknown paths.

``pkg/frontend/middleware/validate.go`` (path parameters), ``lowercase.go``,
``authenticated.go`` (403 Forbidden), ``frontend.go`` (``notFound`` behind
authentication), ``ready_get.go`` / controller-runtime healthz.
"""

from __future__ import annotations

import pytest

from mimo.adminapi.app import create_app
from mimo.adminapi.auth import AuthConfigError, Authenticator, read_token_file

from .helpers import AUTH, CLUSTER_URL, SUB


def err(code: str, message: str) -> dict:
    return {"error": {"code": code, "message": message}}


@pytest.mark.parametrize(
    "old, new, code, message",
    [
        (SUB, "not-a-uuid", "InvalidSubscriptionID", "The provided subscription identifier 'not-a-uuid' is malformed or invalid."),
        ("/rg/", "/r%20g/", "ResourceGroupNotFound", "Resource group 'r g' could not be found."),
        ("Microsoft.RedHatOpenShift", "Microsoft.Compute", "InvalidResourceNamespace", "The resource namespace 'microsoft.compute' is invalid."),
        ("openShiftClusters", "virtualMachines", "InvalidResourceType",
         "The resource type 'virtualmachines' could not be found in the namespace 'microsoft.redhatopenshift' for api version ''."),
        ("/c1", "/c1!", "ResourceNotFound",
         "The Resource 'microsoft.redhatopenshift/openshiftclusters/c1!' under resource group 'rg' was not found."),
    ],
)
def test_bad_path_parameters_are_refused_before_authentication(client, store, old, new, code, message):
    url = CLUSTER_URL.replace(old, new) + "/maintenancemanifests"
    r = client.get(url)  # no credentials: validate.go runs before authenticated.go
    assert (r.status_code, r.json()) == (400, err(code, message))


def test_no_or_wrong_credentials_are_403_forbidden(client, store):
    url = CLUSTER_URL + "/maintenancemanifests"
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic czNjcmV0LXRva2Vu"}):
        r = client.get(url, headers=headers)
        assert (r.status_code, r.json()) == (403, err("Forbidden", "Forbidden.")), headers
    r = client.put(url, content=b'{"maintenanceTaskID": "x"}', headers={"Content-Type": "application/json"})
    assert r.status_code == 403
    assert store.list_manifests() == []
    assert client.get("/metrics").status_code == 403


def test_paths_match_in_any_case_and_with_a_trailing_slash(client, store):
    assert client.get(CLUSTER_URL.upper().replace(SUB.upper(), SUB) + "/MAINTENANCEMANIFESTS/", headers=AUTH).status_code == 200
    assert client.get("/admin/maintenanceschedules/", headers=AUTH).status_code == 200


def test_unknown_paths_are_404_not_found_once_authenticated(client, store):
    assert client.get("/admin/nothing").status_code == 403
    r = client.get("/admin/nothing", headers=AUTH)
    assert (r.status_code, r.json()) == (404, err("NotFound", "The requested path could not be found."))


def test_a_known_path_with_another_method_is_405_without_a_body(client, store):
    r = client.delete("/admin/maintenanceschedules", headers=AUTH)
    assert (r.status_code, r.content) == (405, b"")


def test_healthz_as_controller_runtime_answers(client, store):
    r = client.get("/healthz/ready")
    assert (r.status_code, r.text) == (200, "ok")
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    assert (client.get("/healthz").status_code, client.get("/healthz").text) == (200, "ok")
    assert client.get("/healthz?verbose").text == "[+]ready ok\nhealthz check passed\n"
    assert (client.get("/healthz/other").status_code, client.get("/healthz/other").text) == (404, "404 page not found\n")


def test_an_app_without_authentication_is_refused(service):
    with pytest.raises(ValueError, match="no authentication configured"):
        create_app(service, Authenticator())


def test_token_files(tmp_path):
    p = tmp_path / "tokens"
    p.write_text("# admin tokens\n\nabc\n  def  \n")
    assert read_token_file(str(p)) == ["abc", "def"]
    p.write_text("# none\n")
    with pytest.raises(AuthConfigError, match="holds no token"):
        read_token_file(str(p))
    p.write_text("two words\n")
    with pytest.raises(AuthConfigError, match="one word"):
        read_token_file(str(p))
    with pytest.raises(AuthConfigError, match="no such file"):
        read_token_file(str(tmp_path / "missing"))
    a = Authenticator(tokens=["abc"])
    assert "abc" not in repr(a)
    assert a.authorize({"authorization": "Bearer abc"}, None)
    assert a.authorize({"authorization": "bearer abc"}, None)
    assert not a.authorize({"authorization": "Bearer abcd"}, None)
