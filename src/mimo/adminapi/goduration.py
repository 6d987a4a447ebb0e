"""Go's ``time.ParseDuration`` refusals, in Go's words (without the ``time: `` prefix).

The admin API answers a bad ``scheduleAcross`` with ``Must be a valid
time.Duration: <why>`` (``maintenanceschedule_validatestatic.go``), ``<why>``
being Go's error text: ``invalid duration "x"``, ``missing unit in duration
"5"`` or ``unknown unit "d" in duration "5d"``.
"""

from __future__ import annotations

__all__ = ["duration_error"]

_UNITS_NS = {
    "ns": 1, "us": 1_000, "\u00b5s": 1_000, "\u03bcs": 1_000, "ms": 1_000_000,
    "s": 1_000_000_000, "m": 60_000_000_000, "h": 3_600_000_000_000,
}
_MAX = 2**63 - 1


def _quote(s: str) -> str:
    out = []
    for ch in s:
        if ch in ('"', "\\"):
            out.append("\\" + ch)
        elif ch.isprintable():
            out.append(ch)
        else:
            out.append("".join(f"\\x{b:02x}" for b in ch.encode("utf-8")))
    return '"' + "".join(out) + '"'


def duration_error(text: str) -> str | None:
    """``None`` when Go's ``time.ParseDuration`` accepts ``text``, else its error without ``time: ``."""
    orig = text
    invalid = f"invalid duration {_quote(orig)}"
    s = text
    if s and s[0] in "+-":
        s = s[1:]
    if s == "0":
        return None
    if not s:
        return invalid
    total = 0.0
    while s:
        if not (s[0] == "." or s[0].isdigit() and s[0].isascii()):
            return invalid
        i = 0
        while i < len(s) and "0" <= s[i] <= "9":
            i += 1
        whole, s = s[:i], s[i:]
        frac = ""
        if s.startswith("."):
            s = s[1:]
            j = 0
            while j < len(s) and "0" <= s[j] <= "9":
                j += 1
            frac, s = s[:j], s[j:]
        if not whole and not frac:
            return invalid
        k = 0
        while k < len(s) and not (s[k] == "." or "0" <= s[k] <= "9"):
            k += 1
        if k == 0:
            return f"missing unit in duration {_quote(orig)}"
        unit, s = s[:k], s[k:]
        if unit not in _UNITS_NS:
            return f"unknown unit {_quote(unit)} in duration {_quote(orig)}"
        value = int(whole or "0")
        if value > _MAX // _UNITS_NS[unit] + 1:
            return invalid
        total += (value + (float("0." + frac) if frac else 0.0)) * _UNITS_NS[unit]
        if total > _MAX + 1:
            return invalid
    return None
