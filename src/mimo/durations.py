"""Durations as the reference system writes them (Go's ``time.Duration`` text)."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

__all__ = ["format_duration", "parse_duration", "as_seconds"]

_UNIT = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)(ms|h|m|s)")
#: Go's time.Duration is int64 nanoseconds: about 292 years; longer text is out of range there too
_MAX_SECONDS = (2**63 - 1) / 1e9


def as_seconds(value: float | int | timedelta) -> float:
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"duration must be seconds or a timedelta, not {type(value).__name__}")
    return float(value)


def _nanoseconds(value: float | int | timedelta) -> int:
    """``value`` in whole nanoseconds, exactly (no float rounding in the printed digits)."""
    if isinstance(value, timedelta):
        return ((value.days * 86400 + value.seconds) * 1_000_000 + value.microseconds) * 1000
    return int((Decimal(repr(as_seconds(value))) * 1_000_000_000).to_integral_value())


def _decimal(count: int, unit: int) -> str:
    """``count / unit`` with no trailing zeros: ``(1500, 1000)`` -> ``1.5``."""
    whole, frac = divmod(count, unit)
    if not frac:
        return str(whole)
    digits = str(frac).rjust(len(str(unit)) - 1, "0").rstrip("0")
    return f"{whole}.{digits}"


def format_duration(value: float | int | timedelta) -> str:
    """Go's ``time.Duration.String``: ``1200`` → ``20m0s``; ``90`` → ``1m30s``;
    ``3600`` → ``1h0m0s``; ``0.5`` → ``500ms``; ``59.999999`` → ``59.999999s``."""
    ns = _nanoseconds(value)
    if ns == 0:
        return "0s"
    sign = "-" if ns < 0 else ""
    ns = abs(ns)
    if ns < 1000:
        return f"{sign}{ns}ns"
    if ns < 1_000_000:
        return f"{sign}{_decimal(ns, 1000)}µs"
    if ns < 1_000_000_000:
        return f"{sign}{_decimal(ns, 1_000_000)}ms"
    hours, rest = divmod(ns, 3600 * 1_000_000_000)
    minutes, secs = divmod(rest, 60 * 1_000_000_000)
    sec_text = _decimal(secs, 1_000_000_000) + "s"
    if hours:
        return f"{sign}{hours}h{minutes}m{sec_text}"
    if minutes:
        return f"{sign}{minutes}m{sec_text}"
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
        if len(m.group(1)) > 30:
            raise ValueError(f"invalid duration {text[:40]!r}: out of range")
        total += float(m.group(1)) * _UNIT[m.group(2)]
        pos = m.end()
    if pos != len(s):
        raise ValueError(f"invalid duration {text[:40]!r}: expected e.g. 24h, 90m, 0s")
    if total > _MAX_SECONDS:
        raise ValueError(f"invalid duration {text[:40]!r}: out of range (at most about 292 years)")
    return timedelta(seconds=total)
