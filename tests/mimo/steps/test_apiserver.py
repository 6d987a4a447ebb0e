from __future__ import annotations

from typing import Any

import pytest

from mimo import TerminalError, TransientError
from mimo.steps.cluster.apiserver import ensure_api_server_is_up

from .builders import cluster_operator


def test_available_and_settled_is_up(kube_tc: Any, fake_kube: Any) -> None:
    fake_kube.add(cluster_operator())
    ensure_api_server_is_up(kube_tc)


def test_no_degraded_condition_is_fine(kube_tc: Any, fake_kube: Any) -> None:
    fake_kube.add(cluster_operator(degraded=None))
    ensure_api_server_is_up(kube_tc)


def test_missing_cluster_operator_is_terminal_with_the_404_message(kube_tc: Any) -> None:
    with pytest.raises(TerminalError) as e:
        ensure_api_server_is_up(kube_tc)
    assert (
        str(e.value)
        == 'TerminalError: clusteroperators.config.openshift.io "kube-apiserver" not found'
    )
    assert e.value.__cause__ is not None


@pytest.mark.parametrize(
    ("available", "progressing", "degraded", "text"),
    [
        (
            "False",
            "False",
            "False",
            "kube-apiserver Available=False, Progressing=False, Degraded=False",
        ),
        (
            "True",
            "True",
            "False",
            "kube-apiserver Available=True, Progressing=True, Degraded=False",
        ),
        (
            "True",
            "False",
            "True",
            "kube-apiserver Available=True, Progressing=False, Degraded=True",
        ),
        (None, None, None, "kube-apiserver Available=, Progressing=, Degraded="),
        ("True", None, None, "kube-apiserver Available=True, Progressing=, Degraded="),
    ],
)
def test_unhealthy_operator_is_transient(
    kube_tc: Any, fake_kube: Any, available: Any, progressing: Any, degraded: Any, text: str
) -> None:
    fake_kube.add(cluster_operator(available=available, progressing=progressing, degraded=degraded))
    with pytest.raises(TransientError) as e:
        ensure_api_server_is_up(kube_tc)
    assert str(e.value) == f"TransientError: {text}"


@pytest.mark.parametrize(
    "kind", ["server_error", "unavailable", "timeout", "throttle", "connection_reset"]
)
def test_read_errors_are_transient(
    kube_tc: Any, fake_kube: Any, mimo_faults: Any, kind: str
) -> None:
    fake_kube.add(cluster_operator())
    mimo_faults.inject("kube", kind, match="clusteroperators")
    with pytest.raises(TransientError):
        ensure_api_server_is_up(kube_tc)


def test_without_kubernetes_wired_the_error_names_the_missing_call(fake_task_context: Any) -> None:
    with pytest.raises(TerminalError, match=r"with_kube"):
        ensure_api_server_is_up(fake_task_context)


def test_not_a_task_context_is_terminal() -> None:
    with pytest.raises(TerminalError, match="not a TaskContext"):
        ensure_api_server_is_up(object())  # type: ignore[arg-type]
