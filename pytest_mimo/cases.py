"""A replay case: one faulted replay written down exactly — world variant and fault schedule.

``pytest NODE --mimo-replay-case=.mimo/cases/<name>.json`` replays it: the world builder takes
the case's options (:class:`~pytest_mimo.variants.Variant` ``fixed``), the faulted run meets
exactly the case's faults (:attr:`~pytest_mimo.faults.FaultInjector.script`), nothing drawn.
The shrinker (:mod:`pytest_mimo.shrink`) writes the minimal failing case of a replay here.

The file is JSON::

    {"mimo_replay_case": 1, "scenario": "tests/test_x.py::test_it", "task": "…",
     "variant": {"clusteroperator": "missing"}, "faults": [{"attempt": 1, "target": "kube", …}]}
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_mimo.faults import ScheduledFault

__all__ = ["CASE_DIR", "ReplayCase", "load_case"]

#: where cases are saved, under the session's rootdir
CASE_DIR = Path(".mimo") / "cases"
_FORMAT = 1
_FIELDS = {"mimo_replay_case", "scenario", "task", "seed", "variant", "faults", "violation"}


@dataclass(frozen=True)
class ReplayCase:
    scenario: str  #: the test's node ID without its replay parameter
    task: str
    variant: dict[str, str] = field(default_factory=dict)  #: point → option, for points off their default
    faults: tuple[ScheduledFault, ...] = ()
    seed: int = 0  #: the replay seed the case was found under (the injector's seed: concurrent writers' values)
    violation: str = ""  #: the first violation it showed when it was written

    def to_dict(self) -> dict[str, Any]:
        return {
            "mimo_replay_case": _FORMAT,
            "scenario": self.scenario,
            "task": self.task,
            "seed": self.seed,
            "variant": dict(self.variant),
            "faults": [f.to_dict() for f in self.faults],
            "violation": self.violation,
        }

    def describe(self) -> str:
        variant = ", ".join(f"{p}={o}" for p, o in self.variant.items()) or "default"
        return f"world variant {variant}; {len(self.faults)} fault(s)"

    def save(self, root: Path) -> Path:
        """Write the case under ``root/.mimo/cases/`` (named by its content) and return the path."""
        text = json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n"
        digest = hashlib.sha256(text.encode()).hexdigest()[:12]
        path = root / CASE_DIR / f"{self.task[:8] or 'task'}-{digest}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path


def load_case(path: str | Path) -> ReplayCase:
    """Read a case file; a ``ValueError`` naming the file and what is wrong with it."""
    where = f"--mimo-replay-case {path}"
    try:
        data = json.loads(Path(path).read_text())
    except OSError as e:
        raise ValueError(f"{where}: cannot read it: {e.strerror}") from None
    except json.JSONDecodeError as e:
        raise ValueError(f"{where}: not JSON ({e.msg} at line {e.lineno})") from None
    if not isinstance(data, dict) or data.get("mimo_replay_case") != _FORMAT:
        raise ValueError(f"{where}: not a mimo replay case (no \"mimo_replay_case\": {_FORMAT})")
    unknown = sorted(set(data) - _FIELDS)
    if unknown:
        raise ValueError(f"{where}: unknown field {unknown[0]!r}")
    scenario, task, variant, faults = data.get("scenario"), data.get("task"), data.get("variant", {}), data.get("faults", [])
    if not isinstance(scenario, str) or not scenario or not isinstance(task, str):
        raise ValueError(f"{where}: \"scenario\" and \"task\" must be strings")
    if not isinstance(variant, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in variant.items()):
        raise ValueError(f"{where}: \"variant\" must map variation points to option names")
    if not isinstance(faults, list) or not all(isinstance(f, dict) for f in faults):
        raise ValueError(f"{where}: \"faults\" must be a list of objects")
    seed = data.get("seed", 0)
    if not isinstance(seed, int):
        raise ValueError(f"{where}: \"seed\" must be an integer")
    try:
        schedule = tuple(ScheduledFault.from_dict(f) for f in faults)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{where}: {e}") from None
    return ReplayCase(scenario, task, dict(variant), schedule, seed, str(data.get("violation", "")))
