from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from mimo import TerminalError
from mimo.steps.cluster.domain import managed_domain, managed_domain_of

SUFFIX = "eastus.aroapp.io"


@pytest.mark.parametrize(
    ("domain", "managed"),
    [
        ("mycluster", "mycluster.eastus.aroapp.io"),
        ("mycluster.eastus.aroapp.io", "mycluster.eastus.aroapp.io"),
        ("apps.contoso.com", ""),
        ("mycluster.westus.aroapp.io", ""),
        ("a.b.eastus.aroapp.io", ""),
    ],
)
def test_managed_or_custom(domain: str, managed: str) -> None:
    assert managed_domain_of(domain, SUFFIX) == managed


@pytest.mark.parametrize("domain", ["", ".mycluster", "mycluster."])
def test_invalid_domain(domain: str) -> None:
    with pytest.raises(ValueError, match=r"invalid domain"):
        managed_domain_of(domain, SUFFIX)


def test_from_the_context(fake_task_context: Any) -> None:
    assert managed_domain(fake_task_context) == "mycluster.eastus.aroapp.io"


def test_invalid_document_domain_is_terminal(fake_task_context: Any) -> None:
    doc = fake_task_context.get_openshift_cluster_document().copy()
    doc.properties.cluster_profile = replace(doc.properties.cluster_profile, domain="bad.")
    fake_task_context.with_cluster_document(doc)
    with pytest.raises(TerminalError) as e:
        managed_domain(fake_task_context)
    assert str(e.value) == 'TerminalError: invalid domain "bad."'
