"""The harness's public import line (issue #15, item 6): every name on docs/public-api.md
imports from ``pytest_mimo`` and is the very object its module defines."""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

import pytest_mimo

DOCS = Path(__file__).resolve().parents[2] / "docs" / "public-api.md"


def test_every_exported_name_is_the_defining_modules_object() -> None:
    assert pytest_mimo.__all__, "the harness exports its API"
    assert sorted(pytest_mimo._EXPORTS) == pytest_mimo.__all__
    for name in pytest_mimo.__all__:
        obj = getattr(pytest_mimo, name)
        assert obj is getattr(importlib.import_module(obj.__module__), name), name


def test_the_issue_import_line_works_in_a_fresh_interpreter_without_pytest() -> None:
    code = (
        "import sys\n"
        "from pytest_mimo import FakeKube, FakeAzure, SimClock, FakeTaskContext, MimoWorld, Replayer, "
        "FaultInjector\n"
        "assert 'pytest_mimo.fakes.azure' in sys.modules\n"
        "print(FakeKube.__name__, FakeAzure.__name__, SimClock.__name__, Replayer.__name__)\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["FakeKube", "FakeAzure", "SimClock", "Replayer"]


def test_names_load_lazily_and_unknown_names_raise() -> None:
    r = subprocess.run([sys.executable, "-c", "import sys, pytest_mimo; "
                        "print('pytest_mimo.fakes.azure' in sys.modules, 'pytest_mimo.replay' in sys.modules)"],
                       capture_output=True, text=True, timeout=120)
    assert r.stdout.split() == ["False", "False"], r.stderr
    with pytest.raises(AttributeError, match="no attribute 'NoSuchThing'"):
        pytest_mimo.NoSuchThing  # noqa: B018


def _listed(text: str, heading: str) -> set[str]:
    section = text.split(heading, 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `(\w+)` \|", section, flags=re.M))


def test_the_docs_page_lists_exactly_the_exports() -> None:
    import mimo

    text = DOCS.read_text("utf-8")
    assert _listed(text, "## The harness: `pytest_mimo`") == set(pytest_mimo.__all__)
    assert _listed(text, "## The runtime: `mimo`") == set(mimo.__all__)


def test_the_docs_page_lists_exactly_the_world_builders() -> None:
    """docs/public-api.md's world-builder table names every name the two builder modules
    export, and nothing else (a builder added to ``__all__`` must be documented there)."""
    from pytest_mimo.worlds import azure, kube

    listed = set(re.findall(r"^\| `(\w+\.\w+)` \|", DOCS.read_text("utf-8").split(
        "## World builders: `pytest_mimo.worlds`", 1)[1].split("\n## ", 1)[0], flags=re.M))
    exported = {f"kube.{n}" for n in kube.__all__} | {f"azure.{n}" for n in azure.__all__}
    assert listed == exported, "add or remove the builder in docs/public-api.md"
    for name in exported:
        mod, attr = name.split(".")
        assert hasattr({"kube": kube, "azure": azure}[mod], attr), name
