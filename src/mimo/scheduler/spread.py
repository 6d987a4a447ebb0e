"""Spreading: where a cluster lands inside a schedule's ``scheduleAcross`` window.

``p = crc32(lowercase(resourceID)) / (2**32 - 1)`` (IEEE CRC-32, as
:func:`zlib.crc32`), and the offset is ``p × (scheduleAcross − 1 s)`` rounded
to the whole second (``0`` when the window is 1 s or less), so the window's
last second is never used. The arithmetic follows the reference system
exactly: the product is taken in float64 nanoseconds, truncated to an integer,
then rounded to the nearest second with halves away from zero.
"""

from __future__ import annotations

import zlib
from datetime import timedelta

__all__ = ["percent_within_period", "spread_fraction", "spread_offset"]

_NS_PER_S = 1_000_000_000
_MAX_CRC = 2**32 - 1


def spread_fraction(resource_id: str) -> float:
    """``crc32(lowercase(resource_id)) / (2**32 - 1)``, in ``[0, 1]``."""
    if not isinstance(resource_id, str):
        raise TypeError(f"resource_id: must be a string, not {type(resource_id).__name__}")
    return zlib.crc32(resource_id.lower().encode("utf-8")) / _MAX_CRC


def spread_offset(resource_id: str, schedule_across: timedelta) -> timedelta:
    """The cluster's whole-second offset inside a window of ``schedule_across``."""
    if not isinstance(schedule_across, timedelta):
        raise TypeError(f"schedule_across: must be a timedelta, not {type(schedule_across).__name__}")
    return percent_within_period(spread_fraction(resource_id), schedule_across)


def percent_within_period(p: float, schedule_across: timedelta) -> timedelta:
    """Go ``PercentWithinPeriod`` (``pkg/mimo/scheduler/manager.go``): ``p`` of the window less
    its last second, rounded to the second; ``0`` for a window of a second or less."""
    across_ns = (schedule_across // timedelta(microseconds=1)) * 1000
    if across_ns <= _NS_PER_S:
        return timedelta(0)
    ns = int((float(across_ns) - float(_NS_PER_S)) * p)  # Go: time.Duration(int64(float64 * p))
    seconds = (ns + _NS_PER_S // 2) // _NS_PER_S  # Go: Duration.Round(time.Second), ns >= 0
    return timedelta(seconds=seconds)
