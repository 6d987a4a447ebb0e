"""Malformed or oversized bodies get the service's 4xx, never a Python exception in the caller."""

from __future__ import annotations

import requests

from pytest_mimo.fakes.azure import FakeAzure
from pytest_mimo.fakes.azure.responses.sdk import supported_api_versions

NET = supported_api_versions("microsoft.network/loadbalancers")[-1]

SUB = "00000000-0000-0000-0000-000000000000"
URL = (f"https://management.azure.com/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Network/"
       f"loadBalancers/lb?api-version={NET}")


def test_a_body_of_the_wrong_shape_is_400_invalid_request_content(fake: FakeAzure, arm_token: str) -> None:
    h = {"Authorization": f"Bearer {arm_token}"}
    for body in ({"location": "eastus", "properties": [1]}, {"location": "eastus", "tags": "x"}):
        r = requests.put(URL, json=body, headers=h)
        assert r.status_code == 400 and r.json()["error"]["code"] == "InvalidRequestContent"
    r = requests.put(URL, data=b"\xff\xfe{", headers=h)  # not UTF-8
    assert r.status_code == 400 and r.json()["error"]["code"] == "InvalidRequestContent"
    assert fake.get_resource(URL.split(".com")[1].split("?")[0]) is None


def test_a_body_over_4_mb_is_413(fake: FakeAzure, arm_token: str) -> None:
    r = requests.put(URL, data=b" " * (4 * 1024 * 1024 + 1), headers={"Authorization": f"Bearer {arm_token}"})
    assert r.status_code == 413 and r.json()["error"]["code"] == "RequestEntityTooLarge"


def test_a_token_request_that_is_not_utf8_is_an_aad_400(fake: FakeAzure) -> None:
    url = f"https://login.microsoftonline.com/{fake.tenant_id}/oauth2/v2.0/token"
    r = requests.post(url, data=b"grant_type=\xff\xfe", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 400
    body = r.json()
    assert body["error"] == "unsupported_grant_type" and body["error_description"].startswith("AADSTS70003:")
