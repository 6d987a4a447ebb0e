"""Framing, health checks and the namespaces a fresh cluster has, on the wire.

Sources of the rules:
- Go ``net/http`` (server.go ``readRequest`` / transfer.go ``fixLength``): a request it
  cannot frame gets ``HTTP/1.1 400 Bad Request`` in plain text and ``Connection: close``;
  an unknown Transfer-Encoding ``501 Unsupported transfer encoding``.
- kube-apiserver ``MaxRequestBodyBytes`` = 3 MiB and handlers' ``limitedReadBody``:
  ``413 RequestEntityTooLarge`` "Request entity too large: limit is 3145728".
- ``negotiation.NegotiateInputSerializer``: a body in a media type the server cannot
  decode is ``415 UnsupportedMediaType``.
- go-restful's unmatched method: ``405 MethodNotAllowed`` Status.
- the system namespaces controller (pkg/controlplane/controller/systemnamespaces):
  default, kube-system, kube-public, kube-node-lease.
"""

from __future__ import annotations

import json
import random
import socket
from collections.abc import Iterator

import pytest
from kubernetes import client

from pytest_mimo.fakes.kube import FakeKube

SECRETS = "/api/v1/namespaces/default/secrets"


@pytest.fixture
def kube() -> Iterator[FakeKube]:
    with FakeKube(token="tok") as fake:
        yield fake


def raw(kube: FakeKube, data: bytes, *, timeout: float = 5.0) -> bytes:
    """Send ``data`` as is; return everything the server sends until it closes or answers."""
    host, port = kube.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as s:
        try:
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # the server answered and closed before taking it all
        out = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return out
            out += chunk


def request(method: str, path: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    head = [f"{method} {path} HTTP/1.1", "Host: fake", "Authorization: Bearer tok"]
    head += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def status_of(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


def body_of(answer: bytes) -> bytes:
    return answer.split(b"\r\n\r\n", 1)[1]


def test_a_fresh_fake_has_the_system_namespaces(kube: FakeKube) -> None:
    api = client.CoreV1Api(kube.api_client())
    names = {ns.metadata.name for ns in api.list_namespace().items}
    assert names == {"default", "kube-system", "kube-public", "kube-node-lease"}
    default = api.read_namespace("default")
    assert default.status.phase == "Active"
    assert default.spec.finalizers == ["kubernetes"]
    assert default.metadata.labels == {"kubernetes.io/metadata.name": "default"}
    # and writing there works, as on a real cluster
    api.create_namespaced_config_map("default", client.V1ConfigMap(metadata=client.V1ObjectMeta(name="c")))
    assert kube.get("v1", "ConfigMap", "c", "default") is not None


@pytest.mark.parametrize("path", ["/healthz", "/livez", "/readyz"])
def test_health_endpoints_answer_ok_without_a_token(kube: FakeKube, path: str) -> None:
    answer = raw(kube, f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    assert status_of(answer) == 200
    assert body_of(answer) == b"ok"


def test_a_body_over_3_mib_is_413(kube: FakeKube) -> None:
    body = json.dumps({"metadata": {"name": "big"}, "data": {"a": "x" * (3 * 1024 * 1024)}}).encode()
    answer = raw(kube, request("POST", SECRETS, {"Content-Type": "application/json", "Content-Length": str(len(body))}, body))
    assert status_of(answer) == 413
    status = json.loads(body_of(answer))
    assert status["reason"] == "RequestEntityTooLarge"
    assert status["message"] == "Request entity too large: limit is 3145728"
    assert kube.get("v1", "Secret", "big", "default") is None


def test_a_chunked_body_over_3_mib_is_413(kube: FakeKube) -> None:
    chunk = b"x" * (1024 * 1024)
    body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(3)) + b"10\r\n" + b"y" * 16 + b"\r\n0\r\n\r\n"
    answer = raw(kube, request("POST", SECRETS, {"Content-Type": "application/json", "Transfer-Encoding": "chunked"}, body))
    assert status_of(answer) == 413


@pytest.mark.parametrize(
    "headers",
    [
        {"Content-Length": "-1"},
        {"Content-Length": "abc"},
        {"Content-Length": "+5"},
        {"Content-Length": "5, 6"},
    ],
)
def test_a_bad_content_length_is_go_s_plain_400(kube: FakeKube, headers: dict[str, str]) -> None:
    answer = raw(kube, request("POST", SECRETS, {"Content-Type": "application/json", **headers}, b"{}"))
    assert answer.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert b"Content-Type: text/plain; charset=utf-8" in answer
    assert b"Connection: close" in answer
    assert body_of(answer) == b"400 Bad Request"


def test_two_different_content_length_headers_are_400(kube: FakeKube) -> None:
    data = request("POST", SECRETS, {"Content-Type": "application/json"}).replace(
        b"\r\n\r\n", b"\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}"
    )
    assert status_of(raw(kube, data)) == 400


@pytest.mark.parametrize(
    "body",
    [b"zz\r\n{}\r\n0\r\n\r\n", b"2\r\n{}XX0\r\n\r\n", b"5\r\n{}", b"-2\r\n{}\r\n0\r\n\r\n"],
)
def test_bad_chunking_is_400(kube: FakeKube, body: bytes) -> None:
    answer = raw(kube, request("POST", SECRETS, {"Content-Type": "application/json", "Transfer-Encoding": "chunked"}, body))
    assert status_of(answer) == 400
    assert kube.list("v1", "Secret", "default") == []


def test_good_chunking_is_served(kube: FakeKube) -> None:
    obj = json.dumps({"metadata": {"name": "chunked"}}).encode()
    body = b"%x\r\n%s\r\n0\r\n\r\n" % (len(obj), obj)
    answer = raw(kube, request("POST", SECRETS, {"Content-Type": "application/json", "Transfer-Encoding": "chunked", "Connection": "close"}, body))
    assert status_of(answer) == 201
    assert kube.get("v1", "Secret", "chunked", "default") is not None


def test_an_unknown_transfer_encoding_is_501(kube: FakeKube) -> None:
    answer = raw(kube, request("POST", SECRETS, {"Content-Type": "application/json", "Transfer-Encoding": "gzip"}, b"{}"))
    assert answer.startswith(b"HTTP/1.1 501 Unsupported transfer encoding\r\n")


@pytest.mark.parametrize("ctype", ["text/plain", "application/x-www-form-urlencoded", "image/png"])
def test_create_in_a_media_type_other_than_json_or_yaml_is_415(kube: FakeKube, ctype: str) -> None:
    body = json.dumps({"metadata": {"name": "s"}}).encode()
    headers = {"Content-Length": str(len(body)), "Connection": "close", "Content-Type": ctype}
    answer = raw(kube, request("POST", SECRETS, headers, body))
    assert status_of(answer) == 415
    status = json.loads(body_of(answer))
    assert status["reason"] == "UnsupportedMediaType"
    assert status["message"].startswith(
        "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml"
    )
    assert kube.get("v1", "Secret", "s", "default") is None


def test_no_content_type_means_json(kube: FakeKube) -> None:
    """``NegotiateInputSerializerForMediaType``: an empty Content-Type is the first supported
    media type (JSON); the official Python client sends none on create."""
    body = json.dumps({"metadata": {"name": "plain"}}).encode()
    answer = raw(kube, request("POST", SECRETS, {"Content-Length": str(len(body)), "Connection": "close"}, body))
    assert status_of(answer) == 201


def test_a_yaml_body_is_decoded(kube: FakeKube) -> None:
    body = b"metadata:\n  name: from-yaml\nstringData:\n  k: v\n"
    answer = raw(kube, request("POST", SECRETS, {"Content-Type": "application/yaml", "Content-Length": str(len(body)), "Connection": "close"}, body))
    assert status_of(answer) == 201
    assert kube.get("v1", "Secret", "from-yaml", "default")["data"] == {"k": "dg=="}


@pytest.mark.parametrize("method", ["FOO", "OPTIONS", "TRACE"])
def test_an_unknown_method_is_a_405_status_not_html(kube: FakeKube, method: str) -> None:
    answer = raw(kube, request(method, SECRETS, {"Connection": "close"}))
    assert status_of(answer) == 405
    status = json.loads(body_of(answer))
    assert (status["kind"], status["reason"], status["code"]) == ("Status", "MethodNotAllowed", 405)


def test_a_malformed_request_line_is_400_plain_text(kube: FakeKube) -> None:
    answer = raw(kube, b"GARBAGE\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert b"<html" not in answer.lower()


def test_a_half_sent_request_times_out_and_the_connection_closes() -> None:
    with FakeKube(token="tok", read_timeout=0.3) as kube:
        host, port = kube.url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=10) as s:
            s.sendall(request("POST", SECRETS, {"Content-Type": "application/json", "Content-Length": "100"}, b"{"))
            # the server gives up on the body: the connection closes with no answer
            assert s.recv(1024) == b""
        # and it keeps serving others
        assert status_of(raw(kube, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")) == 200


def test_no_garbage_makes_the_server_answer_500_or_hang(kube: FakeKube) -> None:
    seed = random.randrange(2**32)
    print(f"framing fuzz seed: {seed}")
    rng = random.Random(seed)
    pieces = [
        b"GET", b"POST", b"PUT", b"PATCH", b"DELETE", b"\x00", b"\xff", b" ", b"\r\n", b"/api/v1",
        b"/namespaces/default/secrets", b"HTTP/1.1", b"Content-Length: ", b"Transfer-Encoding: chunked",
        b"-1", b"99999999999999999999", b"{", b"}", b"%", b"?watch=true&limit=-3", b"?continue=%ff",
        b"Authorization: Bearer tok", b"Content-Type: application/json",
    ]
    for _ in range(60):
        data = b"".join(rng.choice(pieces) for _ in range(rng.randrange(1, 25)))
        answer = raw(kube, data, timeout=5.0)  # a hang would raise socket.timeout
        if answer:
            assert answer.startswith(b"HTTP/1.1 "), answer[:80]
            assert status_of(answer) != 500, (seed, data, answer[:300])
