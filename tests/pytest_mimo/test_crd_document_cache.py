"""``crd_document`` parses each real CRD once per process and hands out copies (speed: a world per
replay, or a thousand in a simulation, parsed the same YAML again each time)."""

from __future__ import annotations

from pathlib import Path

import yaml

from pytest_mimo.fakes.kube.schemas import crds_dir
from pytest_mimo.worlds.kube import crd_document

NAME = "servicemonitors.monitoring.coreos.com"
FILE = "monitoring.coreos.com_servicemonitors.yaml"


def test_each_call_is_the_file_and_a_copy_of_its_own() -> None:
    first = crd_document(NAME)
    assert first == yaml.safe_load((Path(crds_dir()) / FILE).read_text())
    first["spec"]["names"]["kind"] = "Changed"
    first["spec"]["versions"].clear()
    second = crd_document(NAME)
    assert second["spec"]["names"]["kind"] == "ServiceMonitor" and second["spec"]["versions"]
