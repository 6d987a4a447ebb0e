"""pytest-mimo: the harness that replays MIMO tasks against fakes, faults and virtual time."""

from __future__ import annotations

__all__: list[str] = []
