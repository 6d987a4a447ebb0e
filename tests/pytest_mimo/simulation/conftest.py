"""Small scenarios for the simulation tests (each runs in well under a second of wall time)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

TINY = """
name = "tiny"
seed = 4

[fleet]
clusters = 4
subscriptions = 2
architecture_version = { "2" = 0.5, "1" = 0.5 }

[[schedules]]
name = "acr"
task = "ACR_TOKEN_CHECKER_ID"
calendar = "*-*-* 06:00"
scheduleAcross = "1h"

[[schedules]]
name = "tls"
task = "TLS_CERT_ROTATION_ID"
calendar = "Tue *-*-* 00:00"
scheduleAcross = "2h"

[faults.kube]
throttle = 0.05

[run]
duration = "3d"
workers = 2

[expect]
completed_share_min = 1.0
manifests_min = 10
"""


@pytest.fixture
def tiny_text() -> str:
    return TINY


@pytest.fixture
def write_scenario(tmp_path: Path) -> Any:
    def write(text: str = TINY, name: str = "tiny.toml") -> Path:
        p = tmp_path / name
        p.write_text(text, encoding="utf-8")
        return p

    return write
