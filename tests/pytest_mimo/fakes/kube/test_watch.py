"""Watches through the official client (typed, dynamic, ``watch.Watch``) and on the wire.

Rules from kube-apiserver's sources:
- storage/cacher (watch cache): rv unset/0 = current objects as ADDED then changes;
  a too-old rv = one ERROR event, 410 ``Expired`` "too old resource version: N (M)";
  objects moving in/out of a selector's selection are ADDED/DELETED;
  ``k8s.io/initial-events-end`` bookmark after ``sendInitialEvents``.
- apimachinery internalversion/validation ``validateWatchOptions``: resourceVersionMatch
  on a watch needs sendInitialEvents, which needs resourceVersionMatch=NotOlderThan (422).
- ``--min-request-timeout`` 1800 s: a watch's default length.
"""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from kubernetes import client, dynamic, watch
from kubernetes.client.exceptions import ApiException

from pytest_mimo.clock import SimClock
from pytest_mimo.fakes.kube import FakeKube


@pytest.fixture
def clock() -> Iterator[SimClock]:
    with SimClock("2026-03-02T09:00:00Z") as c:
        yield c


@pytest.fixture
def kube(clock: SimClock) -> Iterator[FakeKube]:
    with FakeKube(token="tok") as fake:
        yield fake


def cm(name: str, labels: dict[str, str] | None = None, data: dict[str, str] | None = None) -> client.V1ConfigMap:
    return client.V1ConfigMap(metadata=client.V1ObjectMeta(name=name, labels=labels), data=data)


class Listener:
    """Runs ``watch.Watch().stream(func, ...)`` in a thread, and returns once the fake
    serves the watch; events as the JSON objects the client received (``raw_object``)."""

    def __init__(self, kube: FakeKube, func: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        self.events: list[dict[str, Any]] = []
        self.error: BaseException | None = None
        self._cond = threading.Condition()
        self._w = watch.Watch()
        kwargs.setdefault("timeout_seconds", 600)
        self._thread = threading.Thread(target=self._run, args=(func, args, kwargs), daemon=True)
        open_before = kube.open_watches
        self._thread.start()
        assert kube.wait_for_watches(open_before + 1, timeout=10) or self.error, "the watch never started"

    def _run(self, func: Callable[..., Any], args: Any, kwargs: Any) -> None:
        try:
            for ev in self._w.stream(func, *args, **kwargs):
                with self._cond:
                    self.events.append({"type": ev["type"], "object": ev["raw_object"]})
                    self._cond.notify_all()
        except BaseException as e:  # noqa: BLE001 - handed to the test
            self.error = e
        finally:
            with self._cond:
                self._cond.notify_all()

    def wait_for(self, count: int) -> list[dict[str, Any]]:
        with self._cond:
            assert self._cond.wait_for(
                lambda: len(self.events) >= count or not self._thread.is_alive(), timeout=10
            ), f"only {len(self.events)} events: {self.seen()}"
        assert len(self.events) >= count, (self.error, self.seen())
        return self.events[:count]

    def seen(self) -> list[tuple[str, str]]:
        return [(e["type"], e["object"]["metadata"].get("name", "")) for e in self.events]

    def join(self) -> None:
        self._thread.join(timeout=10)
        assert not self._thread.is_alive(), "the watch did not end"


def test_watch_from_now_sends_current_objects_as_added_then_changes(kube: FakeKube, core: client.CoreV1Api) -> None:
    core.create_namespaced_config_map("default", cm("first"))
    listener = Listener(kube, core.list_namespaced_config_map, "default")
    listener.wait_for(1)
    core.create_namespaced_config_map("default", cm("second"))
    core.patch_namespaced_config_map("second", "default", {"data": {"k": "v"}})
    core.delete_namespaced_config_map("first", "default")
    kube.add({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "python-side", "namespace": "default"}})
    events = listener.wait_for(5)
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [
        ("ADDED", "first"),
        ("ADDED", "second"),
        ("MODIFIED", "second"),
        ("DELETED", "first"),
        ("ADDED", "python-side"),
    ]
    rvs = [int(e["object"]["metadata"]["resourceVersion"]) for e in events[1:]]
    assert rvs == sorted(rvs) and len(set(rvs)) == len(rvs)
    assert events[0]["object"]["kind"] == "ConfigMap" and events[0]["object"]["apiVersion"] == "v1"


def test_watch_from_a_resource_version_replays_only_later_changes(kube: FakeKube, core: client.CoreV1Api) -> None:
    core.create_namespaced_config_map("default", cm("old"))
    rv = core.list_namespaced_config_map("default").metadata.resource_version
    core.create_namespaced_config_map("default", cm("new"))
    core.delete_namespaced_config_map("old", "default")
    listener = Listener(kube, core.list_namespaced_config_map, "default", resource_version=rv)
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in listener.wait_for(2)] == [
        ("ADDED", "new"),
        ("DELETED", "old"),
    ]


def test_a_too_old_resource_version_is_410_gone(kube: FakeKube, core: client.CoreV1Api) -> None:
    rv = core.list_namespaced_config_map("default").metadata.resource_version
    core.create_namespaced_config_map("default", cm("a"))
    kube.compact()
    listener = Listener(kube, core.list_namespaced_config_map, "default", resource_version=rv)
    listener.join()
    assert isinstance(listener.error, ApiException)
    assert listener.error.status == 410
    assert f"Expired: too old resource version: {rv}" in str(listener.error.reason)


def test_selectors_filter_and_objects_moving_out_are_deleted(kube: FakeKube, core: client.CoreV1Api) -> None:
    listener = Listener(kube, core.list_namespaced_config_map, "default", label_selector="app=web")
    core.create_namespaced_config_map("default", cm("other", {"app": "db"}))
    core.create_namespaced_config_map("default", cm("web", {"app": "web"}))
    core.patch_namespaced_config_map("other", "default", {"metadata": {"labels": {"app": "web"}}})
    core.patch_namespaced_config_map("web", "default", {"metadata": {"labels": {"app": "db"}}})
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in listener.wait_for(3)] == [
        ("ADDED", "web"),
        ("ADDED", "other"),
        ("DELETED", "web"),
    ]


def test_field_selector_on_a_watch(kube: FakeKube, core: client.CoreV1Api) -> None:
    listener = Listener(kube, core.list_namespaced_secret, "default", field_selector="type=kubernetes.io/tls")
    core.create_namespaced_secret("default", client.V1Secret(metadata=client.V1ObjectMeta(name="plain")))
    core.create_namespaced_secret(
        "default",
        client.V1Secret(metadata=client.V1ObjectMeta(name="cert"), type="kubernetes.io/tls", string_data={"tls.crt": "c", "tls.key": "k"}),
    )
    assert [e["object"]["metadata"]["name"] for e in listener.wait_for(1)] == ["cert"]


def test_an_unsupported_field_on_a_watch_is_400(core: client.CoreV1Api) -> None:
    with pytest.raises(ApiException) as e:
        core.list_namespaced_secret("default", watch=True, field_selector="spec.nope=1", _preload_content=False)
    assert e.value.status == 400
    assert json.loads(e.value.body)["message"] == "field label not supported: spec.nope"


def test_timeout_seconds_run_on_the_simulated_clock(kube: FakeKube, core: client.CoreV1Api, clock: SimClock) -> None:
    listener = Listener(kube, core.list_namespaced_config_map, "default", timeout_seconds=300)
    core.create_namespaced_config_map("default", cm("a"))
    listener.wait_for(1)
    clock.advance(299)
    core.create_namespaced_config_map("default", cm("b"))  # still open after 299 s
    listener.wait_for(2)
    clock.advance(2)  # past the 300 s: the watch ends now, not in five real minutes
    listener.join()
    assert listener.error is None
    assert kube.wait_for_watches(0, timeout=10)


def test_bookmarks_each_minute_of_virtual_time(kube: FakeKube, core: client.CoreV1Api, clock: SimClock) -> None:
    listener = Listener(kube, core.list_namespaced_config_map, "default", allow_watch_bookmarks=True)
    core.create_namespaced_config_map("default", cm("a"))
    listener.wait_for(1)
    clock.advance(61)
    bookmark = listener.wait_for(2)[1]
    assert bookmark["type"] == "BOOKMARK"
    assert bookmark["object"] == {
        "kind": "ConfigMap",
        "apiVersion": "v1",
        "metadata": {"resourceVersion": kube.model.resource_version},
    }


def test_send_initial_events_ends_with_the_initial_events_end_bookmark(kube: FakeKube, core: client.CoreV1Api) -> None:
    core.create_namespaced_config_map("default", cm("a"))
    core.create_namespaced_config_map("default", cm("b"))
    listener = Listener(
        kube,
        core.list_namespaced_config_map,
        "default",
        send_initial_events=True,
        resource_version_match="NotOlderThan",
        allow_watch_bookmarks=True,
    )
    events = listener.wait_for(3)
    assert [e["type"] for e in events] == ["ADDED", "ADDED", "BOOKMARK"]
    assert events[2]["object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"resource_version_match": "NotOlderThan"},
            'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided',
        ),
        (
            {"send_initial_events": True},
            'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan',
        ),
    ],
)
def test_invalid_watch_options_are_422(core: client.CoreV1Api, params: dict[str, Any], message: str) -> None:
    with pytest.raises(ApiException) as e:
        core.list_namespaced_config_map("default", watch=True, _preload_content=False, **params)
    assert e.value.status == 422
    assert json.loads(e.value.body)["message"] == message


def test_the_legacy_watch_path_of_one_object(kube: FakeKube, core: client.CoreV1Api, clock: SimClock) -> None:
    core.create_namespaced_config_map("default", cm("mine"))
    core.create_namespaced_config_map("default", cm("theirs"))
    host, port = kube.url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    conn.request(
        "GET",
        "/api/v1/watch/namespaces/default/configmaps/mine?timeoutSeconds=30",
        headers={"Authorization": "Bearer tok"},
    )
    resp = conn.getresponse()
    assert resp.status == 200
    assert resp.getheader("Transfer-Encoding") == "chunked"
    first = json.loads(resp.readline())
    assert (first["type"], first["object"]["metadata"]["name"]) == ("ADDED", "mine")
    core.patch_namespaced_config_map("theirs", "default", {"data": {"a": "1"}})
    core.patch_namespaced_config_map("mine", "default", {"data": {"a": "1"}})
    second = json.loads(resp.readline())
    assert (second["type"], second["object"]["metadata"]["name"]) == ("MODIFIED", "mine")
    clock.advance(31)
    assert resp.read() == b""  # the stream ends with the last chunk
    conn.close()


def test_dynamic_client_watch(kube: FakeKube, clock: SimClock) -> None:
    dyn = dynamic.DynamicClient(kube.api_client())
    secrets = dyn.resources.get(api_version="v1", kind="Secret")
    got: list[tuple[str, str]] = []
    done = threading.Event()

    def run() -> None:
        for ev in secrets.watch(namespace="default", timeout=120):
            got.append((ev["type"], ev["object"].metadata.name))
            if len(got) == 2:
                done.set()

    secrets.create(body={"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}}, namespace="default")
    t = threading.Thread(target=run, daemon=True)
    t.start()
    assert kube.wait_for_watches(1, timeout=10)
    secrets.delete(name="s", namespace="default")
    assert done.wait(10), got
    assert got == [("ADDED", "s"), ("DELETED", "s")]
    clock.advance(121)
    t.join(10)
    assert not t.is_alive()


def test_stopping_the_fake_ends_its_watches(clock: SimClock) -> None:
    with FakeKube() as kube:
        api = kube.api_client()
        listener = Listener(kube, client.CoreV1Api(api).list_namespace)
        listener.wait_for(4)
    listener.join()


def test_restoring_a_snapshot_ends_watches_with_410(kube: FakeKube, core: client.CoreV1Api) -> None:
    snap = kube.snapshot()
    listener = Listener(kube, core.list_namespaced_config_map, "default")
    core.create_namespaced_config_map("default", cm("a"))
    listener.wait_for(1)
    kube.restore(snap)
    listener.join()
    assert isinstance(listener.error, ApiException) and listener.error.status == 410
