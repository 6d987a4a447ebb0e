from __future__ import annotations

import json

import pytest
import urllib3
from azure.core.exceptions import HttpResponseError, ServiceRequestError
from kubernetes.client.exceptions import ApiException

from mimo import TerminalError, TransientError
from mimo.steps.errors import azure_error, describe, kube_error, store_error
from mimo.store.base import StoreConflict, StoreNotFound


def _api(status: int, reason: str, message: str | None) -> ApiException:
    e = ApiException(status=status, reason=reason)
    if message is not None:
        e.body = json.dumps(
            {
                "kind": "Status",
                "apiVersion": "v1",
                "status": "Failure",
                "message": message,
                "reason": reason,
                "code": status,
            }
        )
    return e


def test_kube_not_found_is_terminal_with_the_status_message() -> None:
    err = kube_error(_api(404, "NotFound", 'apiservers.config.openshift.io "cluster" not found'))
    assert isinstance(err, TerminalError)
    assert str(err) == 'TerminalError: apiservers.config.openshift.io "cluster" not found'
    assert isinstance(err.__cause__, ApiException)


def test_kube_not_found_can_be_transient() -> None:
    err = kube_error(_api(404, "NotFound", 'namespaces "x" not found'), not_found_is_terminal=False)
    assert isinstance(err, TransientError)


@pytest.mark.parametrize(
    ("exc", "text"),
    [
        (
            _api(500, "InternalError", "Internal error occurred: etcdserver: leader changed"),
            "Internal error occurred: etcdserver: leader changed",
        ),
        (
            _api(
                409,
                "Conflict",
                'Operation cannot be fulfilled on x "y": the object has been modified',
            ),
            'Operation cannot be fulfilled on x "y": the object has been modified',
        ),
        (_api(503, "Service Unavailable", None), "503 Service Unavailable"),
        (urllib3.exceptions.ProtocolError("Connection aborted.\nmore"), "Connection aborted."),
    ],
)
def test_other_kube_errors_are_transient(exc: Exception, text: str) -> None:
    err = kube_error(exc)
    assert isinstance(err, TransientError)
    assert err.cause_text == text


def test_mimo_errors_pass_through() -> None:
    original = TerminalError("bad document")
    assert kube_error(original) is original
    assert azure_error(original) is original
    assert store_error(original) is original


def test_azure_errors_are_transient_with_the_first_line() -> None:
    err = azure_error(
        HttpResponseError(message="(NotFound) The resource was not found.\nCode: NotFound")
    )
    assert isinstance(err, TransientError)
    assert err.cause_text == "(NotFound) The resource was not found."
    assert isinstance(azure_error(ServiceRequestError("connection refused")), TransientError)


def test_store_errors() -> None:
    assert isinstance(store_error(StoreNotFound("cluster", "/subscriptions/x")), TerminalError)
    assert isinstance(store_error(StoreConflict("lost the race 5 times")), TransientError)


def test_describe_never_dumps_headers() -> None:
    e = _api(429, "TooManyRequests", "Too many requests, please try again later.")
    e.headers = {"Retry-After": "1", "Authorization": "Bearer secret-token"}
    assert describe(e) == "Too many requests, please try again later."
    assert "secret-token" not in str(kube_error(e))
