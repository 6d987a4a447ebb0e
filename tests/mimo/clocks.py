"""A hand-driven clock for the runtime's own unit tests (no plugin needed)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone


class ManualClock:
    def __init__(self, start: datetime | None = None) -> None:
        self.t = start or datetime(2026, 1, 5, tzinfo=timezone.utc)
        self.sleeps: list[float] = []

    def now(self) -> datetime:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += timedelta(seconds=seconds)
