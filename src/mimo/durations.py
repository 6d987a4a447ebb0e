"""Durations as the reference system writes them (Go's ``time.Duration`` text)."""

from __future__ import annotations

import re
from datetime import timedelta

__all__ = ["format_duration", "parse_duration", "as_seconds"]

_UNIT = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")


def as_seconds(value: float | int | timedelta) -> float:
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"duration must be seconds or a timedelta, not {type(value).__name__}")
    return float(value)


def format_duration(value: float | int | timedelta) -> str:
    """``1200`` → ``20m0s``; ``90`` → ``1m30s``; ``3600`` → ``1h0m0s``; ``0.5`` → ``500ms``."""
    seconds = as_seconds(value)
    if seconds == 0:
        return "0s"
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    if seconds < 1:
        return f"{sign}{seconds * 1000:g}ms"
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    sec_text = f"{secs:g}s" if secs != int(secs) else f"{int(secs)}s"
    if hours:
        return f"{sign}{int(hours)}h{int(minutes)}m{sec_text}"
    if minutes:
        return f"{sign}{int(minutes)}m{sec_text}"
    return f"{sign}{sec_text}"


def parse_duration(text: str) -> timedelta:
    """``24h``, ``90m``, ``1h30m``, ``0s``, ``45s`` → ``timedelta``; ``ValueError`` otherwise."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"invalid duration {text!r}: expected e.g. 24h, 90m, 0s")
    s = text.strip()
    pos = 0
    total = 0.0
    for m in _PART.finditer(s):
        if m.start() != pos:
            break
        total += float(m.group(1)) * _UNIT[m.group(2)]
        pos = m.end()
    if pos != len(s):
        raise ValueError(f"invalid duration {text!r}: expected e.g. 24h, 90m, 0s")
    return timedelta(seconds=total)
